//! The part every length-delimited stream deframer shares: a buffer, the
//! time of the last byte, and the resync rule (docs/architecture.md,
//! "Resync"). Each format says only what its bytes can be.

use super::{ResyncStats, RESYNC_IDLE};
use crate::time::Instant;

/// What the bytes at the front of a buffer can be, as a format judges them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Candidate {
    /// A frame of this many bytes, all buffered.
    Frame(usize),
    /// A header that names a message but cannot be right: these bytes go
    /// on alone, so the function answers with its own error (only at the
    /// front of the buffer; elsewhere it counts as `Bad`).
    Reject(usize),
    /// A plausible start; more bytes are needed to tell.
    Partial,
    /// A header that cannot start a frame (a length out of range).
    Bad,
    /// A byte that starts nothing (not a marker, not a known type).
    Noise,
}

/// Buffered stream bytes and the rule that keeps them in step.
#[derive(Debug, Default, Clone)]
pub(crate) struct StreamBuf {
    buf: Vec<u8>,
    last_byte: Instant,
    /// Bytes at the front that came before a pause of [`RESYNC_IDLE`]: no
    /// frame begun among them may take a later byte.
    stale: usize,
    stats: ResyncStats,
}

impl StreamBuf {
    pub fn push(&mut self, bytes: &[u8], now: Instant) {
        if bytes.is_empty() {
            return;
        }
        if now.since(self.last_byte) >= RESYNC_IDLE {
            self.stale = self.buf.len();
        }
        self.buf.extend_from_slice(bytes);
        self.last_byte = now;
    }

    pub fn stats(&self) -> ResyncStats {
        self.stats
    }

    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        (!self.buf.is_empty()).then(|| self.last_byte + RESYNC_IDLE)
    }

    /// The next frame (or rejected header) by `judge`; bytes that start
    /// nothing are dropped, a partial frame idle at `now` is abandoned.
    pub fn next(&mut self, now: Instant, judge: impl Fn(&[u8]) -> Candidate) -> Option<Vec<u8>> {
        let idle = now.since(self.last_byte) >= RESYNC_IDLE;
        let mut at = 0;
        while at < self.buf.len() {
            let stale = at < self.stale;
            let c = match judge(&self.buf[at..]) {
                // Only where a message must start (after a whole one, or
                // first): a "header" found among noise or inside an
                // abandoned frame is no message, and an error naming its
                // transaction could answer a real request of the host.
                Candidate::Reject(_) if at > 0 => Candidate::Bad,
                c => c,
            };
            match c {
                Candidate::Frame(n) | Candidate::Reject(n) if !stale || at + n <= self.stale => {
                    self.drop_front(at);
                    if matches!(c, Candidate::Frame(_)) {
                        self.stats.frames += 1;
                    } else {
                        self.stats.bad_headers += 1;
                    }
                    self.stale = self.stale.saturating_sub(n);
                    return Some(self.buf.drain(..n).collect());
                }
                Candidate::Partial if !stale && !idle => {
                    self.drop_front(at);
                    return None;
                }
                Candidate::Bad => {
                    self.stats.bad_headers += 1;
                    at += 1;
                }
                Candidate::Noise => at += 1,
                // Begun before a pause, or idle now: abandoned.
                _ => {
                    self.stats.idle_abandoned += 1;
                    at += 1;
                }
            }
        }
        self.drop_front(at);
        None
    }

    fn drop_front(&mut self, n: usize) {
        self.stats.dropped_bytes += n as u64;
        self.stale = self.stale.saturating_sub(n);
        self.buf.drain(..n);
    }
}
