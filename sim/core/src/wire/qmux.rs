//! QMUX framing: `u8 marker (0x01), u16le length, u8 control flags,
//! u8 service, u8 client`, then one QMI SDU. The length counts every byte
//! after the marker.

use super::{Error, Result, ServiceId};

/// The interface-type marker that opens every QMUX frame.
pub const MARKER: u8 = 0x01;
/// Marker plus QMUX header.
pub const HEADER_LEN: usize = 6;
/// Control flag set on frames a service sends.
pub const FLAG_SERVICE: u8 = 0x80;

mod field {
    pub const MARKER: usize = 0;
    pub const LENGTH: core::ops::Range<usize> = 1..3;
    pub const FLAGS: usize = 3;
    pub const SERVICE: usize = 4;
    pub const CLIENT: usize = 5;
}

/// Which end sent a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sender {
    Host,
    Modem,
}

/// A zero-copy view of a QMUX frame.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    pub fn new_unchecked(buffer: T) -> Self {
        Packet { buffer }
    }
    /// Wraps `buffer` after checking the marker and that the length field
    /// matches the buffer exactly.
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }
    pub fn check_len(&self) -> Result<()> {
        let b = self.buffer.as_ref();
        if b.len() < HEADER_LEN {
            return Err(Error::Truncated("QMUX header"));
        }
        if b[field::MARKER] != MARKER {
            return Err(Error::BadValue("QMUX marker"));
        }
        let total = self.length() as usize + 1;
        if total < HEADER_LEN {
            return Err(Error::BadLength("QMUX length shorter than its header"));
        }
        if total > b.len() {
            return Err(Error::BadLength("QMUX length past the end of the transfer"));
        }
        if total < b.len() {
            return Err(Error::TrailingData("bytes after the QMUX frame"));
        }
        Ok(())
    }
    pub fn length(&self) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_le_bytes([b[field::LENGTH.start], b[field::LENGTH.start + 1]])
    }
    pub fn flags(&self) -> u8 {
        self.buffer.as_ref()[field::FLAGS]
    }
    pub fn sender(&self) -> Sender {
        if self.flags() & FLAG_SERVICE != 0 {
            Sender::Modem
        } else {
            Sender::Host
        }
    }
    pub fn service(&self) -> ServiceId {
        ServiceId(self.buffer.as_ref()[field::SERVICE])
    }
    pub fn client(&self) -> u8 {
        self.buffer.as_ref()[field::CLIENT]
    }
    /// The QMI SDU the frame carries.
    pub fn payload(&self) -> &[u8] {
        let end = self.length() as usize + 1;
        &self.buffer.as_ref()[HEADER_LEN..end]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[HEADER_LEN..]
    }
}

/// The owned form of a QMUX header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr {
    pub sender: Sender,
    pub service: ServiceId,
    pub client: u8,
}

impl Repr {
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Result<Repr> {
        p.check_len()?;
        Ok(Repr {
            sender: p.sender(),
            service: p.service(),
            client: p.client(),
        })
    }
    /// Writes marker and header for a frame whose SDU is `sdu_len` bytes.
    /// `buf` must hold at least `HEADER_LEN` bytes.
    pub fn emit(&self, buf: &mut [u8], sdu_len: usize) {
        buf[field::MARKER] = MARKER;
        let len = (HEADER_LEN - 1 + sdu_len) as u16;
        buf[field::LENGTH].copy_from_slice(&len.to_le_bytes());
        buf[field::FLAGS] = match self.sender {
            Sender::Host => 0,
            Sender::Modem => FLAG_SERVICE,
        };
        buf[field::SERVICE] = self.service.0;
        buf[field::CLIENT] = self.client;
    }
}

/// Splits a byte stream (a pty, a serial line) into QMUX frames.
///
/// cdc-wdm hands over one message per transfer, but a stream has no such
/// boundaries. Bytes before a marker are skipped: a real modem's control
/// channel cannot answer what it cannot frame.
#[derive(Debug, Default)]
pub struct Deframer {
    buf: Vec<u8>,
    skipped: u64,
}

impl Deframer {
    /// Largest frame the deframer accepts; longer claims are resynchronised.
    pub const MAX_FRAME: usize = 0x4000;

    pub fn new() -> Self {
        Self::default()
    }
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }
    /// Bytes discarded so far while looking for a frame start.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }
    /// The next whole frame, marker included.
    pub fn next_frame(&mut self) -> Option<Vec<u8>> {
        loop {
            let start = match self.buf.iter().position(|&b| b == MARKER) {
                Some(i) => i,
                None => {
                    self.skipped += self.buf.len() as u64;
                    self.buf.clear();
                    return None;
                }
            };
            if start > 0 {
                self.skipped += start as u64;
                self.buf.drain(..start);
            }
            if self.buf.len() < 3 {
                return None;
            }
            let total = u16::from_le_bytes([self.buf[1], self.buf[2]]) as usize + 1;
            if !(HEADER_LEN..=Self::MAX_FRAME).contains(&total) {
                // Not a plausible frame: drop this marker and look again.
                self.skipped += 1;
                self.buf.drain(..1);
                continue;
            }
            if self.buf.len() < total {
                return None;
            }
            return Some(self.buf.drain(..total).collect());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static FRAME: [u8; 12] = [
        0x01, 0x0b, 0x00, 0x00, 0x00, 0x00, // QMUX: CTL, client 0
        0x00, 0x01, 0x22, 0x00, 0x00, 0x00, // CTL request, txn 1, Allocate CID, no TLVs
    ];

    #[test]
    fn deconstruct() {
        let p = Packet::new_checked(&FRAME[..]).unwrap();
        assert_eq!(p.service(), ServiceId::Ctl);
        assert_eq!(p.sender(), Sender::Host);
        assert_eq!(p.payload().len(), 6);
    }

    #[test]
    fn rejects_lengths_that_lie() {
        let mut f = FRAME;
        f[1] = 0x20;
        assert!(matches!(
            Packet::new_checked(&f[..]),
            Err(Error::BadLength(_))
        ));
        f[1] = 0x02;
        assert!(matches!(
            Packet::new_checked(&f[..]),
            Err(Error::BadLength(_))
        ));
    }

    #[test]
    fn deframer_splits_and_resyncs() {
        let mut d = Deframer::new();
        let mut stream = vec![0xFF, 0x00];
        stream.extend_from_slice(&FRAME);
        stream.extend_from_slice(&FRAME[..5]);
        d.push(&stream);
        assert_eq!(d.next_frame().unwrap(), FRAME.to_vec());
        assert_eq!(d.next_frame(), None);
        d.push(&FRAME[5..]);
        assert_eq!(d.next_frame().unwrap(), FRAME.to_vec());
        assert_eq!(d.skipped(), 2);
    }
}
