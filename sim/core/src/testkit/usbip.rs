//! The host side of an imported USB/IP device, without I/O: CMD_SUBMIT
//! bytes for each URB, and RET_SUBMITs read back and matched to their
//! URBs. The caller moves the bytes over whatever socket it has.

use crate::usbip::{Error, Pdu, RetSubmit, Submit, Unlink, HEADER_LEN};
use std::collections::{HashMap, HashSet};

/// The devid a first import on bus 1 gets: bus 1, device 2.
pub const DEVID: u32 = 0x10002;

/// SET_CONFIGURATION 1, what usbcore sends once it has enumerated.
pub const SET_CONFIGURATION_1: [u8; 8] = [0, 9, 1, 0, 0, 0, 0, 0];

/// The bytes of one USBIP_CMD_SUBMIT (no isochronous packets).
pub fn submit(
    seqnum: u32,
    ep: u8,
    dir_in: bool,
    setup: [u8; 8],
    length: u32,
    data: &[u8],
) -> Vec<u8> {
    Pdu::Submit(Submit {
        seqnum,
        devid: DEVID,
        dir_in,
        ep,
        transfer_flags: 0,
        transfer_buffer_length: length,
        start_frame: 0,
        number_of_packets: 0,
        interval: 0,
        setup,
        data: data.to_vec(),
        iso: vec![],
    })
    .emit()
}

/// A host's URBs in flight on one imported device.
#[derive(Debug, Default)]
pub struct UsbipHost {
    seq: u32,
    /// IN URBs not completed yet: their RET_SUBMIT carries data.
    ins: HashSet<u32>,
    /// Completions read while waiting for another one.
    early: HashMap<u32, RetSubmit>,
}

impl UsbipHost {
    pub fn new() -> UsbipHost {
        UsbipHost::default()
    }

    /// A new URB: its seqnum and the CMD_SUBMIT to send. `ep` is the
    /// endpoint number without the direction bit.
    pub fn submit(
        &mut self,
        ep: u8,
        dir_in: bool,
        setup: [u8; 8],
        length: u32,
        data: &[u8],
    ) -> (u32, Vec<u8>) {
        self.seq += 1;
        if dir_in {
            self.ins.insert(self.seq);
        }
        (self.seq, submit(self.seq, ep, dir_in, setup, length, data))
    }

    /// A CMD_UNLINK of URB `target`: its own seqnum and the bytes to send.
    pub fn unlink(&mut self, ep: u8, dir_in: bool, target: u32) -> (u32, Vec<u8>) {
        self.seq += 1;
        let u = Unlink {
            seqnum: self.seq,
            devid: DEVID,
            dir_in,
            ep,
            unlink_seqnum: target,
        };
        (self.seq, Pdu::Unlink(u).emit())
    }

    /// How many bytes follow this 48-byte header: the data of a RET_SUBMIT
    /// that completes an IN URB, nothing otherwise.
    pub fn payload_len(&self, header: &[u8; HEADER_LEN]) -> usize {
        let seq = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
        let is_ret_submit = header[3] == 3;
        if is_ret_submit && self.ins.contains(&seq) {
            u32::from_be_bytes([header[24], header[25], header[26], header[27]]) as usize
        } else {
            0
        }
    }

    /// One whole PDU from the device (header and payload_len bytes).
    pub fn parse(&mut self, pdu: &[u8]) -> Result<Pdu, Error> {
        let seq = pdu
            .get(4..8)
            .map_or(0, |s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]));
        let dir_in = pdu.get(3) == Some(&3) && self.ins.contains(&seq);
        let (p, _) = Pdu::parse(pdu, dir_in)?;
        if let Pdu::RetSubmit(r) = &p {
            self.ins.remove(&r.seqnum);
        }
        Ok(p)
    }

    /// A completion that came before the one being waited for.
    pub fn keep(&mut self, r: RetSubmit) {
        self.early.insert(r.seqnum, r);
    }

    /// Whether URB `id` completed while another was waited for.
    pub fn completed_early(&self, id: u32) -> bool {
        self.early.contains_key(&id)
    }

    /// The completion of URB `id`, if it came early.
    pub fn take(&mut self, id: u32) -> Option<RetSubmit> {
        self.early.remove(&id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usbip::Decoder;

    #[test]
    fn a_submit_is_what_the_device_decodes() {
        let mut h = UsbipHost::new();
        let (id, bytes) = h.submit(4, false, [0; 8], 3, &[1, 2, 3]);
        let mut d = Decoder::new();
        d.push(&bytes);
        match d.next_pdu() {
            Ok(Some(Pdu::Submit(s))) => {
                assert_eq!(
                    (s.seqnum, s.ep, s.dir_in, s.data),
                    (id, 4, false, vec![1, 2, 3])
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_in_completion_carries_its_data() {
        let mut h = UsbipHost::new();
        let (id, _) = h.submit(6, true, [0; 8], 64, &[]);
        let ret = Pdu::RetSubmit(RetSubmit {
            seqnum: id,
            status: 0,
            data: vec![7; 5],
            actual_length: 5,
            error_count: 0,
        })
        .emit();
        let head: [u8; HEADER_LEN] = ret[..HEADER_LEN].try_into().unwrap();
        assert_eq!(h.payload_len(&head), 5);
        match h.parse(&ret) {
            Ok(Pdu::RetSubmit(r)) => assert_eq!(r.data, vec![7; 5]),
            other => panic!("{other:?}"),
        }
    }
}
