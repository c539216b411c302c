//! MBIM over a byte stream (a pty standing in for /dev/cdc-wdmN): libmbim
//! splits what it reads by the header's MessageLength, and so do we.

use super::{le32, HEADER_LEN};

/// A length this large is not a transfer but a lost stream.
const MAX_STREAM_MESSAGE: usize = 64 * 1024;

/// Splits a byte stream into control transfers.
#[derive(Debug, Clone, Default)]
pub struct Deframer {
    buf: Vec<u8>,
}

impl Deframer {
    pub fn new() -> Self {
        Deframer::default()
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole transfer. A length field that cannot be right
    /// (below the header, or huge) gives everything buffered as one
    /// transfer, for the function to reject, and starts afresh.
    pub fn next_transfer(&mut self) -> Option<Vec<u8>> {
        if self.buf.len() < 8 {
            return None;
        }
        let len = le32(&self.buf, 4) as usize;
        if !(HEADER_LEN..=MAX_STREAM_MESSAGE).contains(&len) {
            return Some(std::mem::take(&mut self.buf));
        }
        if self.buf.len() < len {
            return None;
        }
        let rest = self.buf.split_off(len);
        Some(std::mem::replace(&mut self.buf, rest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::mbim::Message;

    #[test]
    fn splits_by_message_length() {
        let a = Message::Close { txn: 1 }.to_bytes();
        let b = Message::Open {
            txn: 2,
            max_control_transfer: 4096,
        }
        .to_bytes();
        let mut d = Deframer::new();
        let mut all = a.clone();
        all.extend_from_slice(&b);
        d.push(&all[..15]);
        assert_eq!(d.next_transfer(), Some(a));
        assert_eq!(d.next_transfer(), None);
        d.push(&all[15..]);
        assert_eq!(d.next_transfer(), Some(b));
        d.push(&[3, 0, 0, 0, 4, 0, 0, 0, 9]);
        assert_eq!(d.next_transfer().map(|t| t.len()), Some(9));
    }
}
