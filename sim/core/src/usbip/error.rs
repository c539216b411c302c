//! USB/IP decoding errors and the big-endian field helpers.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("incomplete PDU: {needed} more bytes needed")]
    Incomplete { needed: usize },
    #[error("truncated {0}")]
    Truncated(&'static str),
    #[error("unsupported USB/IP version {0:#06x}")]
    Version(u16),
    #[error("unknown operation code {0:#06x}")]
    UnknownOp(u16),
    #[error("unknown command {0:#x}")]
    UnknownCommand(u32),
    #[error("bad direction {0}")]
    Direction(u32),
    #[error("endpoint {0} out of range")]
    Endpoint(u32),
    #[error("transfer length {0} out of range")]
    Length(i64),
    #[error("{0} ISO packets")]
    IsoPackets(u32),
    #[error("string field is not UTF-8")]
    BadString,
}

pub(crate) fn be16(b: &[u8], o: usize) -> u16 {
    u16::from_be_bytes([b[o], b[o + 1]])
}
pub(crate) fn be32(b: &[u8], o: usize) -> u32 {
    u32::from_be_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}
pub(crate) fn need(b: &[u8], n: usize) -> Result<(), Error> {
    if b.len() < n {
        Err(Error::Incomplete {
            needed: n - b.len(),
        })
    } else {
        Ok(())
    }
}
