//! Qualcomm's HDLC-like async framing, used by DIAG (QCDM) and DLOAD/QDL:
//! `escape(payload || crc16_le) 0x7E`. 0x7E and 0x7D inside are sent as
//! `0x7D, byte ^ 0x20`. The CRC is CRC-16/X-25 (reflected 0x1021, init and
//! xor-out 0xFFFF, i.e. libqcdm's table-driven 0x8408 CRC), low byte first.
//! A leading 0x7E is optional: hosts often send one to flush the line.

use super::ResyncStats;
use crate::time::Instant;
use crc::{Crc, CRC_16_IBM_SDLC};

/// Ends every frame (and may start one).
pub const FLAG: u8 = 0x7E;
/// Marks the next byte as escaped.
pub const ESCAPE: u8 = 0x7D;
/// What an escaped byte is xor-ed with.
pub const ESCAPE_XOR: u8 = 0x20;
/// CRC bytes after the payload.
pub const CRC_LEN: usize = 2;

const X25: Crc<u16> = Crc::<u16>::new(&CRC_16_IBM_SDLC);

/// The frame check sequence of `payload`.
pub fn crc16(payload: &[u8]) -> u16 {
    X25.checksum(payload)
}

/// Why a frame between two flags was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Too few bytes for one payload byte and the CRC.
    #[error("frame of {0} bytes is too short")]
    TooShort(usize),
    /// The CRC does not match the payload.
    #[error("bad CRC: computed {computed:#06x}, frame carries {carried:#06x}")]
    BadCrc { computed: u16, carried: u16 },
    /// An escape byte directly before the closing flag (an abort).
    #[error("escape before the closing flag")]
    DanglingEscape,
    /// More bytes than the deframer keeps before a flag.
    #[error("frame longer than {0} bytes")]
    TooLong(usize),
}

/// A checked view of an unescaped frame body: payload then CRC (LE).
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    pub fn new_unchecked(buffer: T) -> Self {
        Packet { buffer }
    }
    /// Wraps `buffer` after checking its length and CRC.
    pub fn new_checked(buffer: T) -> Result<Self, FrameError> {
        let p = Self::new_unchecked(buffer);
        p.check()?;
        Ok(p)
    }
    pub fn check(&self) -> Result<(), FrameError> {
        let b = self.buffer.as_ref();
        if b.len() < CRC_LEN + 1 {
            return Err(FrameError::TooShort(b.len()));
        }
        let computed = crc16(self.payload());
        let carried = self.crc();
        if computed != carried {
            return Err(FrameError::BadCrc { computed, carried });
        }
        Ok(())
    }
    pub fn payload(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        &b[..b.len() - CRC_LEN]
    }
    /// The CRC the frame carries.
    pub fn crc(&self) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_le_bytes([b[b.len() - 2], b[b.len() - 1]])
    }
}

/// The owned form: one payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repr {
    pub payload: Vec<u8>,
}

impl Repr {
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Result<Repr, FrameError> {
        p.check()?;
        Ok(Repr {
            payload: p.payload().to_vec(),
        })
    }
    /// Unescaped body length: payload plus CRC.
    pub fn buffer_len(&self) -> usize {
        self.payload.len() + CRC_LEN
    }
    /// Writes the unescaped body; `buf` must hold `buffer_len()` bytes.
    pub fn emit(&self, buf: &mut [u8]) {
        let n = self.payload.len();
        buf[..n].copy_from_slice(&self.payload);
        buf[n..n + CRC_LEN].copy_from_slice(&crc16(&self.payload).to_le_bytes());
    }
    /// The bytes on the wire: escaped body and closing flag, no leading flag
    /// (Qualcomm DIAG does not send one, and libqcdm's parser rejects a flag
    /// in the first three bytes).
    pub fn encode(&self) -> Vec<u8> {
        encode(&self.payload)
    }
}

/// Frames `payload` for the wire (see [`Repr::encode`]).
pub fn encode(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 8);
    let crc = crc16(payload).to_le_bytes();
    for &b in payload.iter().chain(crc.iter()) {
        if b == FLAG || b == ESCAPE {
            out.extend_from_slice(&[ESCAPE, b ^ ESCAPE_XOR]);
        } else {
            out.push(b);
        }
    }
    out.push(FLAG);
    out
}

/// Splits a byte stream into frames, unescaping as it goes.
///
/// Memory is bounded: a body longer than `max` is dropped (reported once as
/// `TooLong` at its flag). Empty bodies (back-to-back flags) are skipped.
///
/// Resync (docs/architecture.md, "Resync"): every flag ends a frame, so a
/// bad frame costs only itself. Garbage without a flag would be glued to
/// the front of the next request and fail its CRC; [`Deframer::push_at`]
/// therefore abandons a partial body that got no byte for
/// [`RESYNC_IDLE`](super::RESYNC_IDLE) before it takes new bytes.
#[derive(Debug)]
pub struct Deframer {
    body: Vec<u8>,
    escaping: bool,
    overflow: bool,
    max: usize,
    last_byte: Instant,
    stats: ResyncStats,
}

impl Default for Deframer {
    fn default() -> Self {
        Deframer::new(Deframer::MAX_FRAME)
    }
}

impl Deframer {
    /// DIAG requests are at most 4 KiB plus CRC on Qualcomm firmware.
    pub const MAX_FRAME: usize = 4096 + CRC_LEN;

    pub fn new(max: usize) -> Self {
        Deframer {
            body: Vec::new(),
            escaping: false,
            overflow: false,
            max,
            last_byte: Instant::ZERO,
            stats: ResyncStats::default(),
        }
    }

    /// Takes one byte; returns a payload or an error when it closes a frame.
    pub fn feed(&mut self, b: u8) -> Option<Result<Vec<u8>, FrameError>> {
        if b == FLAG {
            let escaping = std::mem::take(&mut self.escaping);
            let overflow = std::mem::take(&mut self.overflow);
            let body = std::mem::take(&mut self.body);
            if overflow {
                return Some(Err(FrameError::TooLong(self.max)));
            }
            if body.is_empty() && !escaping {
                return None;
            }
            if escaping {
                return Some(Err(FrameError::DanglingEscape));
            }
            return Some(Packet::new_checked(&body[..]).map(|p| p.payload().to_vec()));
        }
        if self.overflow {
            return None;
        }
        let b = if std::mem::take(&mut self.escaping) {
            b ^ ESCAPE_XOR
        } else if b == ESCAPE {
            self.escaping = true;
            return None;
        } else {
            b
        };
        if self.body.len() >= self.max {
            self.overflow = true;
            self.body = Vec::new();
            return None;
        }
        self.body.push(b);
        None
    }

    /// Feeds `bytes`, collecting every frame they close.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Result<Vec<u8>, FrameError>> {
        let out: Vec<_> = bytes.iter().filter_map(|&b| self.feed(b)).collect();
        self.stats.frames += out.iter().filter(|f| f.is_ok()).count() as u64;
        out
    }

    /// [`Deframer::push`] for bytes read at `now`: a partial frame idle
    /// since before `now - RESYNC_IDLE` is abandoned first.
    pub fn push_at(&mut self, bytes: &[u8], now: Instant) -> Vec<Result<Vec<u8>, FrameError>> {
        if bytes.is_empty() {
            return Vec::new();
        }
        self.expire(now);
        self.last_byte = now;
        self.push(bytes)
    }

    /// Abandons a partial frame idle for [`RESYNC_IDLE`](super::RESYNC_IDLE)
    /// at `now`; true if there was one.
    pub fn expire(&mut self, now: Instant) -> bool {
        if self.is_idle() || now.since(self.last_byte) < super::RESYNC_IDLE {
            return false;
        }
        self.stats.idle_abandoned += 1;
        self.stats.dropped_bytes += self.body.len() as u64;
        self.body.clear();
        self.escaping = false;
        self.overflow = false;
        true
    }

    /// When a partial frame held now would be abandoned.
    pub fn poll_timeout(&self) -> Option<Instant> {
        (!self.is_idle()).then(|| self.last_byte + super::RESYNC_IDLE)
    }

    pub fn stats(&self) -> ResyncStats {
        self.stats
    }

    /// Between frames: nothing held, no escape or overflow pending.
    pub fn is_idle(&self) -> bool {
        self.body.is_empty() && !self.escaping && !self.overflow
    }

    /// Bytes held for an unfinished frame.
    pub fn pending(&self) -> usize {
        self.body.len()
    }

    /// Forgets a partial frame (the port was closed or the modem reset).
    pub fn reset(&mut self) {
        let stats = self.stats;
        *self = Deframer::new(self.max);
        self.stats = stats;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_libqcdm_and_x25_check_value() {
        // CRC-16/X-25 check value over "123456789".
        assert_eq!(crc16(b"123456789"), 0x906E);
        // Vectors from the facts sheet (QDL log and libqcdm's CRC).
        assert_eq!(crc16(&[0x70, 0x00, 0x00]), 0x4614);
        assert_eq!(crc16(&[0x13, 0x70, 0x00, 0x00]), 0x9A6A);
        assert_eq!(crc16(&[0x00]), 0xF078);
    }

    #[test]
    fn mm_qcdm_probe_is_a_valid_version_info_frame() {
        // ModemManager's probe: a flush flag, then version info (0x00).
        let mut d = Deframer::default();
        let got = d.push(&[0x7E, 0x00, 0x78, 0xF0, 0x7E]);
        assert_eq!(got, vec![Ok(vec![0x00])]);
        assert_eq!(encode(&[0x00]), vec![0x00, 0x78, 0xF0, 0x7E]);
    }

    #[test]
    fn dload_vector_encodes_like_qmi_firmware_update() {
        assert_eq!(
            encode(&[0x70, 0x00, 0x00]),
            vec![0x70, 0x00, 0x00, 0x14, 0x46, 0x7E]
        );
    }

    #[test]
    fn escapes_flag_and_escape_bytes() {
        let payload = [0x7E, 0x7D, 0x01];
        let wire = encode(&payload);
        assert_eq!(&wire[..5], &[0x7D, 0x5E, 0x7D, 0x5D, 0x01]);
        assert!(!wire[..wire.len() - 1].contains(&FLAG));
        let mut d = Deframer::default();
        assert_eq!(d.push(&wire), vec![Ok(payload.to_vec())]);
    }

    #[test]
    fn view_and_repr() {
        let r = Repr {
            payload: vec![0x0C, 0x01],
        };
        let mut buf = vec![0; r.buffer_len()];
        r.emit(&mut buf);
        let p = Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(p.payload(), &[0x0C, 0x01]);
        assert_eq!(Repr::parse(&p).unwrap(), r);
    }

    #[test]
    fn bad_crc_short_and_abort_are_reported() {
        let mut d = Deframer::default();
        assert_eq!(
            d.push(&[0x00, 0x78, 0xF1, 0x7E]),
            vec![Err(FrameError::BadCrc {
                computed: 0xF078,
                carried: 0xF178
            })]
        );
        assert_eq!(d.push(&[0x01, 0x7E]), vec![Err(FrameError::TooShort(1))]);
        assert_eq!(
            d.push(&[0x00, 0x7D, 0x7E]),
            vec![Err(FrameError::DanglingEscape)]
        );
        // The stream recovers at once.
        assert_eq!(d.push(&[0x00, 0x78, 0xF0, 0x7E]), vec![Ok(vec![0])]);
    }

    #[test]
    fn unterminated_and_overlong_frames_are_bounded() {
        let mut d = Deframer::new(16);
        assert!(d.push(&[0x55; 100]).is_empty());
        assert!(d.pending() <= 16);
        assert_eq!(d.push(&[0x7E]), vec![Err(FrameError::TooLong(16))]);
        assert_eq!(d.push(&encode(&[0x1C])), vec![Ok(vec![0x1C])]);
    }

    #[test]
    fn a_partial_frame_idle_for_the_resync_time_is_abandoned() {
        let mut d = Deframer::default();
        let request = encode(&[0x00]);
        // Noise without a flag, then, after a pause, a request.
        assert!(d.push_at(&[0x12, 0x34, 0x56], Instant::ZERO).is_empty());
        assert_eq!(
            d.poll_timeout(),
            Some(Instant::ZERO + crate::wire::RESYNC_IDLE)
        );
        let later = Instant::ZERO + crate::wire::RESYNC_IDLE;
        assert_eq!(d.push_at(&request, later), vec![Ok(vec![0x00])]);
        assert_eq!(d.stats().dropped_bytes, 3);
        assert_eq!(d.stats().idle_abandoned, 1);
        // Without the pause the noise is glued to the request.
        d.push_at(&[0x12], later);
        assert!(d.push_at(&request, later)[0].is_err());
    }
}
