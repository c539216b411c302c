//! MBIM over a byte stream (a pty standing in for /dev/cdc-wdmN): libmbim
//! splits what it reads by the header's MessageLength, and so do we.
//!
//! The resync rule (docs/architecture.md, "Resync"): a transfer starts only
//! at a header of a type the host sends (OPEN, CLOSE, COMMAND, HOST_ERROR);
//! other bytes are dropped one at a time. A header of such a type whose
//! length cannot be right (OPEN and HOST_ERROR are 16 bytes, CLOSE 12, a
//! COMMAND at least its fragment header and at most [`MAX_STREAM_MESSAGE`])
//! goes on alone as a 12-byte transfer, so the function answers
//! LENGTH_MISMATCH for its transaction. A one-fragment COMMAND's
//! InformationBufferLength gives a second opinion: if they disagree the
//! transfer ends at the shorter of the two lengths, for the function to
//! reject. Such rejects happen only where a message must start (first, or
//! right after a whole one): found among noise, a bad header is noise. A partial transfer idle for
//! [`RESYNC_IDLE`](crate::wire::RESYNC_IDLE) is abandoned and the bytes
//! after its first scanned again.

use super::{le32, MessageType, HEADER_LEN};
use crate::time::Instant;
use crate::wire::resync::{Candidate, StreamBuf};
use crate::wire::ResyncStats;

/// The largest control transfer the function ever negotiates (OPEN's
/// MaxControlTransfer is capped at 4096): a longer claim is a lost stream.
pub const MAX_STREAM_MESSAGE: usize = 4096;
/// Header, fragment header, service UUID, CID, command type, buffer length.
const COMMAND_FIXED: usize = 48;
const FRAGMENT_HEADER_END: usize = HEADER_LEN + 8;

/// Splits a byte stream into control transfers.
#[derive(Debug, Clone, Default)]
pub struct Deframer {
    stream: StreamBuf,
}

fn judge(b: &[u8]) -> Candidate {
    if b.len() < 4 {
        return Candidate::Partial;
    }
    let ty = MessageType(le32(b, 0));
    let fixed = match ty {
        MessageType::OPEN | MessageType::HOST_ERROR => Some(HEADER_LEN + 4),
        MessageType::CLOSE => Some(HEADER_LEN),
        MessageType::COMMAND => None,
        _ => return Candidate::Noise,
    };
    if b.len() < HEADER_LEN {
        return Candidate::Partial;
    }
    let len = le32(b, 4) as usize;
    let fits = match fixed {
        Some(n) => len == n,
        None => (FRAGMENT_HEADER_END..=MAX_STREAM_MESSAGE).contains(&len),
    };
    if !fits {
        return Candidate::Reject(HEADER_LEN);
    }
    let mut end = len;
    if ty == MessageType::COMMAND && len >= COMMAND_FIXED {
        if b.len() < COMMAND_FIXED {
            return Candidate::Partial;
        }
        let (total, current) = (le32(b, 12), le32(b, 16));
        if (total, current) == (1, 0) {
            let ib = le32(b, COMMAND_FIXED - 4) as usize;
            end = len.min(COMMAND_FIXED.saturating_add(ib));
        }
    }
    if b.len() < end {
        return Candidate::Partial;
    }
    if end != len {
        return Candidate::Reject(end);
    }
    Candidate::Frame(end)
}

impl Deframer {
    pub fn new() -> Self {
        Deframer::default()
    }

    /// Takes bytes read from the stream at `now`.
    pub fn push(&mut self, bytes: &[u8], now: Instant) {
        self.stream.push(bytes, now);
    }

    pub fn stats(&self) -> ResyncStats {
        self.stream.stats()
    }

    /// Bytes held for a transfer not yet complete.
    pub fn pending(&self) -> usize {
        self.stream.pending()
    }

    /// When a partial transfer held now is abandoned, if no byte comes
    /// first; call [`Deframer::next_transfer`] then.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.stream.poll_timeout()
    }

    /// The next whole transfer, or a header the function is to reject.
    pub fn next_transfer(&mut self, now: Instant) -> Option<Vec<u8>> {
        self.stream.next(now, judge)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::mbim::Message;
    use crate::wire::RESYNC_IDLE;

    const T: Instant = Instant::ZERO;

    fn open(txn: u32) -> Vec<u8> {
        Message::Open {
            txn,
            max_control_transfer: 4096,
        }
        .to_bytes()
    }

    #[test]
    fn splits_by_message_length() {
        let a = Message::Close { txn: 1 }.to_bytes();
        let b = open(2);
        let mut d = Deframer::new();
        let mut all = a.clone();
        all.extend_from_slice(&b);
        d.push(&all[..15], T);
        assert_eq!(d.next_transfer(T), Some(a));
        assert_eq!(d.next_transfer(T), None);
        d.push(&all[15..], T);
        assert_eq!(d.next_transfer(T), Some(b));
    }

    #[test]
    fn a_header_with_a_wrong_length_goes_on_alone() {
        let mut bad = open(5);
        bad[4] = 0x40; // OPEN claiming 64 bytes
        let mut d = Deframer::new();
        d.push(&bad, T);
        d.push(&open(6), T);
        assert_eq!(d.next_transfer(T).as_deref(), Some(&bad[..HEADER_LEN]));
        // The rest of the bad OPEN is not a header; the next OPEN is found.
        assert_eq!(d.next_transfer(T), Some(open(6)));
        assert_eq!(d.stats().dropped_bytes, 4);
    }

    #[test]
    fn garbage_is_dropped_and_the_next_message_found() {
        let mut d = Deframer::new();
        d.push(b"\xff\xfe garbage \x00\x00", T);
        d.push(&open(1), T);
        assert_eq!(d.next_transfer(T), Some(open(1)));
        assert_eq!(d.stats().dropped_bytes, 13);
    }

    #[test]
    fn a_command_whose_buffer_length_disagrees_is_cut_short() {
        let cmd = Message::Command {
            txn: 3,
            service: crate::wire::mbim::Uuid::BASIC_CONNECT,
            cid: 1,
            command_type: crate::wire::mbim::CommandType::QUERY,
            info: vec![],
        }
        .to_bytes();
        let mut long = cmd.clone();
        long[4] = 200; // MessageLength claims 200, the buffer length 0
        let mut d = Deframer::new();
        d.push(&long, T);
        d.push(&cmd, T);
        assert_eq!(d.next_transfer(T), Some(long));
        assert_eq!(d.next_transfer(T), Some(cmd));
    }

    #[test]
    fn a_stalled_transfer_is_abandoned_after_the_idle_time() {
        let mut d = Deframer::new();
        let mut stalled = open(9);
        stalled[0] = 3; // a COMMAND claiming 16 bytes, of which 12 came
        stalled[4] = 100;
        d.push(&stalled[..12], T);
        d.push(&open(10), Instant::from_millis(5));
        assert_eq!(d.next_transfer(Instant::from_millis(5)), None);
        let idle = d.poll_timeout().unwrap();
        assert_eq!(idle, Instant::from_millis(5) + RESYNC_IDLE);
        assert_eq!(d.next_transfer(idle), Some(open(10)));
        assert_eq!(d.pending(), 0);
        assert_eq!(d.stats().idle_abandoned, 1);
    }
}
