//! QMI messages: the SDU inside a QMUX frame.
//!
//! CTL uses a short header (`u8 flags, u8 txn, u16 id, u16 len`); every
//! other service a long one (`u8 flags, u16 txn, u16 id, u16 len`). Both
//! carry a list of TLVs.

use super::qmux::{self, Sender};
use super::tlv::{Tlv, TlvIter, TlvPacket};
use super::{Error, MessageId, Result, ServiceId};

/// Header length for CTL messages.
pub const CTL_HEADER_LEN: usize = 6;
/// Header length for every other service.
pub const SERVICE_HEADER_LEN: usize = 7;

/// The result TLV every response carries: `u16 status, u16 error`.
pub const TLV_RESULT: u8 = 0x02;

/// Request, response or indication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    Request,
    Response,
    Indication,
}

impl MessageKind {
    fn to_flags(self, ctl: bool) -> u8 {
        match (self, ctl) {
            (MessageKind::Request, _) => 0x00,
            (MessageKind::Response, true) => 0x01,
            (MessageKind::Indication, true) => 0x02,
            (MessageKind::Response, false) => 0x02,
            (MessageKind::Indication, false) => 0x04,
        }
    }
    fn from_flags(flags: u8, ctl: bool) -> Result<Self> {
        match (flags, ctl) {
            (0x00, _) => Ok(MessageKind::Request),
            (0x01, true) | (0x02, false) => Ok(MessageKind::Response),
            (0x02, true) | (0x04, false) => Ok(MessageKind::Indication),
            _ => Err(Error::BadValue("QMI message flags")),
        }
    }
}

fn header_len(ctl: bool) -> usize {
    if ctl {
        CTL_HEADER_LEN
    } else {
        SERVICE_HEADER_LEN
    }
}

/// A zero-copy view of a QMI SDU.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
    ctl: bool,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// `ctl` selects the short CTL header.
    pub fn new_unchecked(buffer: T, ctl: bool) -> Self {
        Packet { buffer, ctl }
    }
    pub fn new_checked(buffer: T, ctl: bool) -> Result<Self> {
        let p = Self::new_unchecked(buffer, ctl);
        p.check_len()?;
        Ok(p)
    }
    /// Checks only that the header is present; see [`Packet::check_body`].
    pub fn check_header(&self) -> Result<()> {
        if self.buffer.as_ref().len() < header_len(self.ctl) {
            Err(Error::Truncated("QMI message header"))
        } else {
            Ok(())
        }
    }
    /// Checks that the TLV length field fills the SDU exactly.
    pub fn check_body(&self) -> Result<()> {
        let have = self.buffer.as_ref().len() - header_len(self.ctl);
        let said = self.tlv_len() as usize;
        if said > have {
            Err(Error::BadLength("QMI TLV length past the end of the frame"))
        } else if said < have {
            Err(Error::TrailingData("bytes after the QMI TLVs"))
        } else {
            Ok(())
        }
    }
    pub fn check_len(&self) -> Result<()> {
        self.check_header()?;
        self.check_body()
    }
    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }
    pub fn flags(&self) -> u8 {
        self.b()[0]
    }
    pub fn txn(&self) -> u16 {
        if self.ctl {
            self.b()[1] as u16
        } else {
            u16::from_le_bytes([self.b()[1], self.b()[2]])
        }
    }
    pub fn message_id(&self) -> MessageId {
        let o = if self.ctl { 2 } else { 3 };
        MessageId(u16::from_le_bytes([self.b()[o], self.b()[o + 1]]))
    }
    pub fn tlv_len(&self) -> u16 {
        let o = if self.ctl { 4 } else { 5 };
        u16::from_le_bytes([self.b()[o], self.b()[o + 1]])
    }
    pub fn body(&self) -> &[u8] {
        &self.b()[header_len(self.ctl)..]
    }
    pub fn tlvs(&self) -> TlvIter<'_> {
        TlvIter::new(self.body())
    }
}

/// A whole QMI message with its QMUX addressing, owned and validated.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Message {
    pub sender: Sender,
    pub service: ServiceId,
    pub client: u8,
    pub kind: MessageKind,
    /// CTL transaction IDs are one byte; only the low byte is sent for CTL.
    pub txn: u16,
    pub id: MessageId,
    pub tlvs: Vec<Tlv>,
}

impl Message {
    /// Parses one QMUX frame (marker included).
    pub fn parse(frame: &[u8]) -> Result<Message> {
        let q = qmux::Packet::new_checked(frame)?;
        let hdr = qmux::Repr::parse(&q)?;
        let ctl = hdr.service == ServiceId::Ctl;
        let p = Packet::new_checked(q.payload(), ctl)?;
        let tlvs = p
            .tlvs()
            .map(|t| t.map(|t| t.to_owned()))
            .collect::<Result<Vec<_>>>()?;
        Ok(Message {
            sender: hdr.sender,
            service: hdr.service,
            client: hdr.client,
            kind: MessageKind::from_flags(p.flags(), ctl)?,
            txn: p.txn(),
            id: p.message_id(),
            tlvs,
        })
    }

    /// A request from the host, as hosts and tests build them.
    pub fn request(service: ServiceId, client: u8, txn: u16, id: u16, tlvs: Vec<Tlv>) -> Message {
        Message {
            sender: Sender::Host,
            service,
            client,
            kind: MessageKind::Request,
            txn,
            id: MessageId(id),
            tlvs,
        }
    }

    fn is_ctl(&self) -> bool {
        self.service == ServiceId::Ctl
    }

    fn tlv_len(&self) -> usize {
        self.tlvs.iter().map(Tlv::buffer_len).sum()
    }

    /// Bytes the whole frame takes.
    pub fn buffer_len(&self) -> usize {
        qmux::HEADER_LEN + header_len(self.is_ctl()) + self.tlv_len()
    }

    /// Writes the frame into `buf`, which must be `buffer_len()` bytes. A
    /// frame whose lengths do not fit their 16-bit fields (a TLV value, the
    /// TLV area, the QMUX frame) is an error: never wrapped, so the headers
    /// can never disagree.
    pub fn emit(&self, buf: &mut [u8]) -> Result<()> {
        let ctl = self.is_ctl();
        let hl = header_len(ctl);
        let tlv_len = u16::try_from(self.tlv_len())
            .map_err(|_| Error::TooLong("QMI TLVs over 65535 bytes"))?;
        for t in &self.tlvs {
            t.encoded_len()?;
        }
        qmux::Repr {
            sender: self.sender,
            service: self.service,
            client: self.client,
        }
        .emit(buf, hl + usize::from(tlv_len))?;
        let s = &mut buf[qmux::HEADER_LEN..];
        s[0] = self.kind.to_flags(ctl);
        let o = if ctl {
            s[1] = self.txn as u8;
            2
        } else {
            s[1..3].copy_from_slice(&self.txn.to_le_bytes());
            3
        };
        s[o..o + 2].copy_from_slice(&self.id.0.to_le_bytes());
        s[o + 2..o + 4].copy_from_slice(&tlv_len.to_le_bytes());
        let mut at = hl;
        for t in &self.tlvs {
            t.emit(&mut s[at..])?;
            at += t.buffer_len();
        }
        Ok(())
    }

    /// The frame's bytes, or why it cannot be encoded.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut v = vec![0u8; self.buffer_len()];
        self.emit(&mut v)?;
        Ok(v)
    }

    /// [`Message::encode`] for a message known to fit (tests, fixed
    /// requests). Anything built from input goes through `encode`.
    ///
    /// # Panics
    /// If the message cannot be encoded.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.encode().expect("a QMI message within 16-bit lengths")
    }

    /// The first TLV of type `ty`.
    pub fn tlv(&self, ty: u8) -> Option<&[u8]> {
        self.tlvs
            .iter()
            .find(|t| t.ty == ty)
            .map(|t| t.value.as_slice())
    }

    /// The result TLV of a response: `(status, error)`.
    pub fn result(&self) -> Option<(u16, u16)> {
        let v = self.tlv(TLV_RESULT)?;
        if v.len() != 4 {
            return None;
        }
        Some((
            u16::from_le_bytes([v[0], v[1]]),
            u16::from_le_bytes([v[2], v[3]]),
        ))
    }
}

/// Reads what can be read of a frame that failed to parse whole, so that
/// the error reply can name the service, client, transaction and message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Salvage {
    pub service: ServiceId,
    pub client: u8,
    pub txn: u16,
    pub id: MessageId,
}

impl Salvage {
    /// Returns `None` when not even the QMUX and QMI headers are readable:
    /// such a frame cannot be answered.
    pub fn from_frame(frame: &[u8]) -> Option<Salvage> {
        if frame.len() < qmux::HEADER_LEN || frame[0] != qmux::MARKER {
            return None;
        }
        let q = qmux::Packet::new_unchecked(frame);
        if q.sender() != Sender::Host {
            return None;
        }
        let ctl = q.service() == ServiceId::Ctl;
        let p = Packet::new_unchecked(&frame[qmux::HEADER_LEN..], ctl);
        p.check_header().ok()?;
        if p.flags() != 0 {
            return None;
        }
        Some(Salvage {
            service: q.service(),
            client: q.client(),
            txn: p.txn(),
            id: p.message_id(),
        })
    }
}

/// Convenience for iterating TLVs of a raw SDU body in tests and tools.
pub fn body_tlvs(body: &[u8]) -> impl Iterator<Item = Result<TlvPacket<'_>>> {
    TlvIter::new(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    // A real MC7455 reply to DMS SWI Get Current Firmware, cut to two TLVs.
    static RESPONSE: [u8; 35] = [
        0x01, 0x22, 0x00, 0x80, 0x02, 0x03, // QMUX: from DMS, client 3
        0x02, 0x01, 0x00, 0x56, 0x55, 0x16, 0x00, // response, txn 1, 0x5556
        0x02, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, // result: success
        0x10, 0x07, 0x00, b'M', b'C', b'7', b'4', b'5', b'5', 0x00, // model
        0x15, 0x02, 0x00, b'1', 0x00, // carrier id
    ];

    #[test]
    fn parse_and_emit_real_bytes() {
        let m = Message::parse(&RESPONSE).unwrap();
        assert_eq!(m.sender, Sender::Modem);
        assert_eq!(m.service, ServiceId::Dms);
        assert_eq!((m.client, m.txn, m.id), (3, 1, MessageId(0x5556)));
        assert_eq!(m.kind, MessageKind::Response);
        assert_eq!(m.result(), Some((0, 0)));
        assert_eq!(m.tlv(0x10), Some(&b"MC7455\0"[..]));
        assert_eq!(m.to_bytes(), RESPONSE.to_vec());
    }

    #[test]
    fn salvage_reads_headers_of_a_broken_frame() {
        let f = [
            0x01, 0x0f, 0x00, 0x00, 0x02, 0x05, 0x00, 0x07, 0x00, 0x25, 0x00, 0x09, 0x00, 0x10,
            0x09, 0x00,
        ];
        assert!(Message::parse(&f).is_err());
        let s = Salvage::from_frame(&f).unwrap();
        assert_eq!(
            (s.service, s.client, s.txn, s.id),
            (ServiceId::Dms, 5, 7, MessageId(0x25))
        );
    }
}
