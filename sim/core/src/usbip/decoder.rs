//! A stream decoder: bytes from a TCP connection in, whole PDUs out.

use super::error::Error;
use super::op::Op;
use super::urb::Pdu;

/// Accumulates bytes from a stream and yields whole operations or PDUs.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
}

impl Decoder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received but not yet decoded.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next operation, `Ok(None)` while incomplete. After an error the
    /// stream cannot be resynchronised: close the connection.
    pub fn next_op(&mut self) -> Result<Option<Op>, Error> {
        self.take(Op::parse)
    }

    /// The next URB-phase PDU sent by a host (CMD_SUBMIT / CMD_UNLINK).
    pub fn next_pdu(&mut self) -> Result<Option<Pdu>, Error> {
        self.take(|b| Pdu::parse(b, false))
    }

    fn take<T>(
        &mut self,
        parse: impl FnOnce(&[u8]) -> Result<(T, usize), Error>,
    ) -> Result<Option<T>, Error> {
        match parse(&self.buf) {
            Ok((v, n)) => {
                self.buf.drain(..n);
                Ok(Some(v))
            }
            Err(Error::Incomplete { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usbip::{RetUnlink, Submit, HEADER_LEN};

    #[test]
    fn devlist_request_is_eight_bytes() {
        assert_eq!(
            Op::DevlistRequest.emit(),
            [0x01, 0x11, 0x80, 0x05, 0, 0, 0, 0]
        );
    }

    #[test]
    fn submit_waits_for_its_data_stage() {
        let s = Submit {
            seqnum: 7,
            devid: 0x10002,
            dir_in: false,
            ep: 4,
            transfer_flags: 0,
            transfer_buffer_length: 3,
            start_frame: 0,
            number_of_packets: 0,
            interval: 0,
            setup: [0; 8],
            data: vec![1, 2, 3],
            iso: vec![],
        };
        let b = Pdu::Submit(s.clone()).emit();
        assert_eq!(b.len(), HEADER_LEN + 3);
        let mut d = Decoder::new();
        d.push(&b[..HEADER_LEN + 2]);
        assert_eq!(d.next_pdu(), Ok(None));
        d.push(&b[HEADER_LEN + 2..]);
        assert_eq!(d.next_pdu(), Ok(Some(Pdu::Submit(s))));
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn ret_unlink_layout() {
        let b = Pdu::RetUnlink(RetUnlink {
            seqnum: 9,
            status: -104,
        })
        .emit();
        assert_eq!(b.len(), HEADER_LEN);
        assert_eq!(&b[0..8], &[0, 0, 0, 4, 0, 0, 0, 9]);
        assert_eq!(&b[20..24], &(-104i32).to_be_bytes());
    }

    #[test]
    fn pdus_emitted_into_one_buffer_decode_one_by_one() {
        let a = Pdu::RetSubmit(crate::usbip::RetSubmit {
            seqnum: 3,
            status: 0,
            actual_length: 5,
            data: vec![0x45, 1, 2, 3, 4],
            error_count: 0,
        });
        let b = Pdu::RetUnlink(RetUnlink {
            seqnum: 4,
            status: -104,
        });
        let c = Pdu::RetSubmit(crate::usbip::RetSubmit {
            seqnum: 5,
            status: -32,
            actual_length: 0,
            data: vec![],
            error_count: 0,
        });
        let mut batch = Vec::new();
        for p in [&a, &b, &c] {
            p.emit_into(&mut batch);
        }
        assert_eq!(batch, [a.emit(), b.emit(), c.emit()].concat());
        let (first, n) = Pdu::parse(&batch, true).unwrap();
        assert_eq!(first, a);
        let (second, m) = Pdu::parse(&batch[n..], true).unwrap();
        assert_eq!(second, b);
        assert_eq!(Pdu::parse(&batch[n + m..], false).unwrap().0, c);
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let mut b = Pdu::RetUnlink(RetUnlink {
            seqnum: 1,
            status: 0,
        })
        .emit();
        b[3] = 9;
        assert_eq!(Pdu::parse(&b, false), Err(Error::UnknownCommand(9)));
        assert_eq!(
            Op::parse(&[0x01, 0x00, 0x80, 0x05, 0, 0, 0, 0]),
            Err(Error::Version(0x0100))
        );
    }
}
