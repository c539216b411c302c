//! The URB phase: USBIP_CMD_SUBMIT / RET_SUBMIT, CMD_UNLINK / RET_UNLINK.

use super::error::{be32, need, Error};

/// Every URB-phase PDU starts with a 48-byte header.
pub const HEADER_LEN: usize = 48;

const CMD_SUBMIT: u32 = 1;
const CMD_UNLINK: u32 = 2;
const RET_SUBMIT: u32 = 3;
const RET_UNLINK: u32 = 4;

const DIR_OUT: u32 = 0;
const DIR_IN: u32 = 1;

/// Largest OUT data stage accepted; a bigger one is a hostile or broken
/// peer, and waiting for it would let it grow our buffer without bound.
pub const MAX_TRANSFER: usize = 4 << 20;
/// The kernel's USBIP_MAX_ISO_PACKETS.
const MAX_ISO_PACKETS: u32 = 1024;
const ISO_DESC_LEN: usize = 16;

/// One ISO packet descriptor (unused by this device, kept for framing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IsoPacket {
    pub offset: u32,
    pub length: u32,
    pub actual_length: u32,
    pub status: i32,
}

/// USBIP_CMD_SUBMIT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submit {
    pub seqnum: u32,
    pub devid: u32,
    /// IN when true.
    pub dir_in: bool,
    /// Endpoint number, 0..=15 (no direction bit).
    pub ep: u8,
    pub transfer_flags: u32,
    pub transfer_buffer_length: u32,
    pub start_frame: i32,
    /// 0 (or 0xffffffff per the protocol document) when not ISO.
    pub number_of_packets: u32,
    pub interval: i32,
    pub setup: [u8; 8],
    /// OUT data stage (empty for IN).
    pub data: Vec<u8>,
    pub iso: Vec<IsoPacket>,
}

/// USBIP_RET_SUBMIT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetSubmit {
    pub seqnum: u32,
    pub status: i32,
    /// For IN: the data returned. For OUT: empty, `actual_length` tells how much was taken.
    pub data: Vec<u8>,
    pub actual_length: u32,
    pub error_count: i32,
}

/// USBIP_CMD_UNLINK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unlink {
    pub seqnum: u32,
    pub devid: u32,
    pub dir_in: bool,
    pub ep: u8,
    /// The CMD_SUBMIT to cancel.
    pub unlink_seqnum: u32,
}

/// USBIP_RET_UNLINK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetUnlink {
    pub seqnum: u32,
    pub status: i32,
}

/// URB phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pdu {
    Submit(Submit),
    Unlink(Unlink),
    RetSubmit(RetSubmit),
    RetUnlink(RetUnlink),
}

fn put_header(out: &mut Vec<u8>, cmd: u32, seqnum: u32, devid: u32, dir_in: bool, ep: u8) {
    for v in [cmd, seqnum, devid, dir_in as u32, ep as u32] {
        out.extend_from_slice(&v.to_be_bytes());
    }
}

impl Pdu {
    pub fn emit(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN);
        self.emit_into(&mut out);
        out
    }

    /// Appends the PDU to `out`: the completions of one turn go out as
    /// one buffer, written once.
    pub fn emit_into(&self, out: &mut Vec<u8>) {
        let base = out.len();
        match self {
            Pdu::Submit(s) => {
                put_header(out, CMD_SUBMIT, s.seqnum, s.devid, s.dir_in, s.ep);
                for v in [
                    s.transfer_flags,
                    s.transfer_buffer_length,
                    s.start_frame as u32,
                    s.number_of_packets,
                    s.interval as u32,
                ] {
                    out.extend_from_slice(&v.to_be_bytes());
                }
                out.extend_from_slice(&s.setup);
                if !s.dir_in {
                    out.extend_from_slice(&s.data);
                }
                emit_iso(out, &s.iso);
            }
            Pdu::Unlink(u) => {
                put_header(out, CMD_UNLINK, u.seqnum, u.devid, u.dir_in, u.ep);
                out.extend_from_slice(&u.unlink_seqnum.to_be_bytes());
                out.resize(base + HEADER_LEN, 0);
            }
            // The server leaves devid, direction and ep zero in replies; the
            // host matches them by seqnum.
            Pdu::RetSubmit(r) => {
                put_header(out, RET_SUBMIT, r.seqnum, 0, false, 0);
                for v in [r.status as u32, r.actual_length, 0, 0, r.error_count as u32] {
                    out.extend_from_slice(&v.to_be_bytes());
                }
                out.resize(base + HEADER_LEN, 0);
                out.extend_from_slice(&r.data);
            }
            Pdu::RetUnlink(r) => {
                put_header(out, RET_UNLINK, r.seqnum, 0, false, 0);
                out.extend_from_slice(&(r.status as u32).to_be_bytes());
                out.resize(base + HEADER_LEN, 0);
            }
        }
    }

    /// Decodes one PDU from the start of `b`. RET_SUBMIT carries data only
    /// for IN transfers, which its header does not say: `ret_in` tells
    /// whether the reply answers an IN submit (a client decoder knows).
    pub fn parse(b: &[u8], ret_in: bool) -> Result<(Pdu, usize), Error> {
        need(b, HEADER_LEN)?;
        let cmd = be32(b, 0);
        let seqnum = be32(b, 4);
        let devid = be32(b, 8);
        let dir = be32(b, 12);
        let dir_in = match dir {
            DIR_OUT => false,
            DIR_IN => true,
            d => return Err(Error::Direction(d)),
        };
        let ep = be32(b, 16);
        if ep > 15 {
            return Err(Error::Endpoint(ep));
        }
        let ep = ep as u8;
        match cmd {
            CMD_SUBMIT => {
                let length = be32(b, 24);
                let number_of_packets = be32(b, 32);
                if length as usize > MAX_TRANSFER || (length as i32) < 0 {
                    return Err(Error::Length(length as i32 as i64));
                }
                let iso_n = match number_of_packets {
                    0 | u32::MAX => 0,
                    n if n <= MAX_ISO_PACKETS => n as usize,
                    n => return Err(Error::IsoPackets(n)),
                };
                let data_len = if dir_in { 0 } else { length as usize };
                let total = HEADER_LEN + data_len + iso_n * ISO_DESC_LEN;
                need(b, total)?;
                let mut setup = [0u8; 8];
                setup.copy_from_slice(&b[40..48]);
                let data = b[HEADER_LEN..HEADER_LEN + data_len].to_vec();
                let iso = parse_iso(&b[HEADER_LEN + data_len..total]);
                Ok((
                    Pdu::Submit(Submit {
                        seqnum,
                        devid,
                        dir_in,
                        ep,
                        transfer_flags: be32(b, 20),
                        transfer_buffer_length: length,
                        start_frame: be32(b, 28) as i32,
                        number_of_packets,
                        interval: be32(b, 36) as i32,
                        setup,
                        data,
                        iso,
                    }),
                    total,
                ))
            }
            CMD_UNLINK => Ok((
                Pdu::Unlink(Unlink {
                    seqnum,
                    devid,
                    dir_in,
                    ep,
                    unlink_seqnum: be32(b, 20),
                }),
                HEADER_LEN,
            )),
            RET_SUBMIT => {
                let actual = be32(b, 24);
                if actual as usize > MAX_TRANSFER {
                    return Err(Error::Length(actual as i64));
                }
                let data_len = if ret_in { actual as usize } else { 0 };
                need(b, HEADER_LEN + data_len)?;
                Ok((
                    Pdu::RetSubmit(RetSubmit {
                        seqnum,
                        status: be32(b, 20) as i32,
                        data: b[HEADER_LEN..HEADER_LEN + data_len].to_vec(),
                        actual_length: actual,
                        error_count: be32(b, 36) as i32,
                    }),
                    HEADER_LEN + data_len,
                ))
            }
            RET_UNLINK => Ok((
                Pdu::RetUnlink(RetUnlink {
                    seqnum,
                    status: be32(b, 20) as i32,
                }),
                HEADER_LEN,
            )),
            other => Err(Error::UnknownCommand(other)),
        }
    }
}

fn emit_iso(out: &mut Vec<u8>, iso: &[IsoPacket]) {
    for p in iso {
        for v in [p.offset, p.length, p.actual_length, p.status as u32] {
            out.extend_from_slice(&v.to_be_bytes());
        }
    }
}

fn parse_iso(b: &[u8]) -> Vec<IsoPacket> {
    b.chunks_exact(ISO_DESC_LEN)
        .map(|c| IsoPacket {
            offset: be32(c, 0),
            length: be32(c, 4),
            actual_length: be32(c, 8),
            status: be32(c, 12) as i32,
        })
        .collect()
}
