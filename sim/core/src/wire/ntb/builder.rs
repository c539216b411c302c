//! Packing datagrams into NTBs for the IN (device to host) direction.
//!
//! Layout of each NTB: the NTH, the datagrams in the order they were
//! queued (each at an offset the host's divisor and remainder allow), then
//! one NDP per stream at the host's NDP alignment, chained in the order
//! the streams first appear. NCM lets NDPs sit anywhere; putting them last
//! means a datagram's place never depends on how many follow it.

use super::{Format, Stream};
use std::collections::VecDeque;

/// What the host allows in the IN direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InLimits {
    /// The format SET_NTB_FORMAT chose.
    pub format: Format,
    /// dwNtbInMaxSize, or what SET_NTB_INPUT_SIZE asked for.
    pub max_size: u32,
    /// wNdpInDivisor and wNdpInPayloadRemainder: every datagram starts at
    /// an offset that leaves this remainder when divided by the divisor.
    pub divisor: u16,
    pub remainder: u16,
    /// wNdpInAlignment: every NDP starts at a multiple of it.
    pub ndp_alignment: u16,
    /// wNtbInMaxDatagrams of an 8-byte SET_NTB_INPUT_SIZE; 0 for no limit.
    pub max_datagrams: u16,
}

/// Why a datagram was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// A zero length is the null entry; such a datagram cannot be sent.
    #[error("empty datagram")]
    Empty,
    /// Larger than an NTB under the current limits, even alone.
    #[error("datagram of {0} bytes does not fit an NTB")]
    TooLarge(usize),
    /// [`NtbBuilder::MAX_QUEUED`] datagrams already wait.
    #[error("IN queue full")]
    Full,
}

/// The limits made safe to compute with: a divisor of at least 1, a
/// remainder below it, an NDP alignment that is a power of two and at
/// least 4 (NCM 1.0 table 6-3), a size the format can express.
#[derive(Debug, Clone, Copy)]
struct Layout {
    format: Format,
    max: usize,
    divisor: usize,
    remainder: usize,
    ndp_align: usize,
    max_datagrams: usize,
}

impl Layout {
    fn new(l: &InLimits) -> Layout {
        let divisor = l.divisor.max(1) as usize;
        let a = l.ndp_alignment as usize;
        Layout {
            format: l.format,
            max: l.max_size.min(l.format.max_block()) as usize,
            divisor,
            remainder: l.remainder as usize % divisor,
            ndp_align: if a >= 4 && a.is_power_of_two() { a } else { 4 },
            max_datagrams: match l.max_datagrams {
                0 => usize::MAX,
                n => n as usize,
            },
        }
    }

    /// The first offset at or after `end` where a datagram may start.
    fn payload_at(&self, end: usize) -> usize {
        let r = end % self.divisor;
        if r <= self.remainder {
            end + (self.remainder - r)
        } else {
            end + (self.divisor - r) + self.remainder
        }
    }

    /// The end of the NDPs placed from `from` for these streams' counts,
    /// with one more datagram counted for `extra`.
    fn ndps_end(&self, from: usize, counts: &[(Stream, usize)], extra: Option<Stream>) -> usize {
        let f = self.format;
        let table = |n: usize| f.ndp_header_len() + (n + 1) * f.entry_len();
        let mut pos = from;
        let mut extra_done = false;
        for &(s, n) in counts {
            let n = if Some(s) == extra {
                extra_done = true;
                n + 1
            } else {
                n
            };
            pos = pos.next_multiple_of(self.ndp_align) + table(n);
        }
        if let (Some(_), false) = (extra, extra_done) {
            pos = pos.next_multiple_of(self.ndp_align) + table(1);
        }
        pos
    }

    fn fits_alone(&self, len: usize) -> bool {
        let end = self.payload_at(self.format.nth_len()).saturating_add(len);
        self.ndps_end(end, &[], Some(Stream::Ip(0))) <= self.max
    }
}

/// Datagrams waiting for the IN endpoint, packed into NTBs on demand.
#[derive(Debug, Clone)]
pub struct NtbBuilder {
    limits: InLimits,
    queue: VecDeque<(Stream, Vec<u8>)>,
    sequence: u16,
    dropped: u64,
}

impl NtbBuilder {
    /// Datagrams kept for a host that does not read; beyond this, `push`
    /// refuses, so memory stays bounded.
    pub const MAX_QUEUED: usize = 256;

    pub fn new(limits: InLimits) -> NtbBuilder {
        NtbBuilder {
            limits,
            queue: VecDeque::new(),
            sequence: 0,
            dropped: 0,
        }
    }

    pub fn limits(&self) -> InLimits {
        self.limits
    }

    /// New limits from the host; queued datagrams they no longer allow
    /// are dropped when their turn comes.
    pub fn set_limits(&mut self, limits: InLimits) {
        self.limits = limits;
    }

    /// Queues one datagram of `stream`.
    pub fn push(&mut self, stream: Stream, datagram: Vec<u8>) -> Result<(), Refused> {
        if datagram.is_empty() {
            return Err(Refused::Empty);
        }
        if !Layout::new(&self.limits).fits_alone(datagram.len()) {
            return Err(Refused::TooLarge(datagram.len()));
        }
        if self.queue.len() >= Self::MAX_QUEUED {
            return Err(Refused::Full);
        }
        self.queue.push_back((stream, datagram));
        Ok(())
    }

    /// Datagrams waiting.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// Queued datagrams dropped because the limits shrank under them.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// wSequence of the next NTB.
    pub fn sequence(&self) -> u16 {
        self.sequence
    }

    /// Forgets what waits and restarts the sequence (a function reset).
    pub fn reset(&mut self) {
        self.queue.clear();
        self.sequence = 0;
    }

    /// The next IN transfer: as many queued datagrams, in order, as fit
    /// the limits; the rest stay for the next call.
    pub fn next_ntb(&mut self) -> Option<Vec<u8>> {
        let l = Layout::new(&self.limits);
        while let Some((_, d)) = self.queue.front() {
            if l.fits_alone(d.len()) {
                break;
            }
            self.queue.pop_front();
            self.dropped += 1;
        }
        if self.queue.is_empty() {
            return None;
        }
        let mut counts: Vec<(Stream, usize)> = Vec::new();
        let mut end = l.format.nth_len();
        let mut taken = 0;
        for (stream, d) in self.queue.iter() {
            if taken == l.max_datagrams {
                break;
            }
            let new_end = l.payload_at(end) + d.len();
            if l.ndps_end(new_end, &counts, Some(*stream)) > l.max {
                break;
            }
            end = new_end;
            taken += 1;
            match counts.iter_mut().find(|(s, _)| s == stream) {
                Some((_, n)) => *n += 1,
                None => counts.push((*stream, 1)),
            }
        }
        let batch: Vec<(Stream, Vec<u8>)> = self.queue.drain(..taken).collect();
        let ntb = emit(&l, self.sequence, &batch, &counts);
        self.sequence = self.sequence.wrapping_add(1);
        Some(ntb)
    }
}

/// Writes one NTB holding `batch`, whose per-stream counts are `counts`.
fn emit(
    l: &Layout,
    sequence: u16,
    batch: &[(Stream, Vec<u8>)],
    counts: &[(Stream, usize)],
) -> Vec<u8> {
    let f = l.format;
    let mut end = f.nth_len();
    let mut places = Vec::with_capacity(batch.len());
    for (_, d) in batch {
        let at = l.payload_at(end);
        places.push(at);
        end = at + d.len();
    }
    let total = l.ndps_end(end, counts, None);
    let mut b = vec![0u8; total];
    b[0..4].copy_from_slice(&f.nth_signature().to_le_bytes());
    b[4..6].copy_from_slice(&(f.nth_len() as u16).to_le_bytes());
    b[6..8].copy_from_slice(&sequence.to_le_bytes());
    f.put(&mut b, 8, total as u32);
    for ((_, d), &at) in batch.iter().zip(&places) {
        b[at..at + d.len()].copy_from_slice(d);
    }
    // The field that points at the next NDP: wNdpIndex first.
    let mut link = match f {
        Format::Ntb16 => 10,
        Format::Ntb32 => 12,
    };
    let mut pos = end;
    for &(stream, n) in counts {
        pos = pos.next_multiple_of(l.ndp_align);
        f.put(&mut b, link, pos as u32);
        let len = f.ndp_header_len() + (n + 1) * f.entry_len();
        b[pos..pos + 4].copy_from_slice(&stream.signature(f).to_le_bytes());
        b[pos + 4..pos + 6].copy_from_slice(&(len as u16).to_le_bytes());
        link = match f {
            Format::Ntb16 => pos + 6,
            Format::Ntb32 => pos + 8,
        };
        let mut entry = pos + f.ndp_header_len();
        for ((s, d), &at) in batch.iter().zip(&places) {
            if *s == stream {
                f.put(&mut b, entry, at as u32);
                f.put(&mut b, entry + f.entry_len() / 2, d.len() as u32);
                entry += f.entry_len();
            }
        }
        pos += len;
    }
    debug_assert_eq!(pos, total);
    b
}
