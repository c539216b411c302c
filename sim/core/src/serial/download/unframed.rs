//! The one QDL request sent without HDLC framing: WRITE_UNFRAMED (0x27).
//! A 13-byte header protects itself with the framing's CRC-16 over its
//! first 11 bytes; the chunk of image data follows raw.

use super::qdl::Command;
use crate::wire::hdlc::crc16;

/// cmd, u16 sequence, u32 reserved, u32 chunk size, u16 CRC.
pub const HEADER_LEN: usize = 13;
/// The largest chunk libqmi sends (QFU_IMAGE_CHUNK_SIZE, 1 MiB).
pub const MAX_CHUNK: u32 = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("write header of {0} bytes")]
    Truncated(usize),
    #[error("not a write request: {0}")]
    NotWrite(Command),
    #[error("header CRC {carried:#06x}, computed {computed:#06x}")]
    BadCrc { computed: u16, carried: u16 },
}

/// A checked view of a WRITE_UNFRAMED header.
#[derive(Debug, Clone)]
pub struct Header<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Header<T> {
    pub fn new_checked(buffer: T) -> Result<Self, HeaderError> {
        let b = buffer.as_ref();
        if b.len() < HEADER_LEN {
            return Err(HeaderError::Truncated(b.len()));
        }
        if b[0] != Command::WRITE_UNFRAMED_REQ.0 {
            return Err(HeaderError::NotWrite(Command(b[0])));
        }
        let h = Header { buffer };
        let computed = crc16(&h.buffer.as_ref()[..HEADER_LEN - 2]);
        if computed != h.crc() {
            return Err(HeaderError::BadCrc {
                computed,
                carried: h.crc(),
            });
        }
        Ok(h)
    }
    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }
    pub fn sequence(&self) -> u16 {
        u16::from_le_bytes([self.b()[1], self.b()[2]])
    }
    pub fn chunk_size(&self) -> u32 {
        let b = self.b();
        u32::from_le_bytes([b[7], b[8], b[9], b[10]])
    }
    pub fn crc(&self) -> u16 {
        u16::from_le_bytes([self.b()[11], self.b()[12]])
    }
}

/// The owned header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteHeader {
    pub sequence: u16,
    pub chunk_size: u32,
}

impl WriteHeader {
    pub fn parse<T: AsRef<[u8]>>(h: &Header<T>) -> WriteHeader {
        WriteHeader {
            sequence: h.sequence(),
            chunk_size: h.chunk_size(),
        }
    }
    /// The header bytes with their CRC, as a host sends them.
    pub fn emit(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[0] = Command::WRITE_UNFRAMED_REQ.0;
        b[1..3].copy_from_slice(&self.sequence.to_le_bytes());
        b[7..11].copy_from_slice(&self.chunk_size.to_le_bytes());
        let crc = crc16(&b[..HEADER_LEN - 2]);
        b[11..].copy_from_slice(&crc.to_le_bytes());
        b
    }
}
