//! QMUX framing: `u8 marker (0x01), u16le length, u8 control flags,
//! u8 service, u8 client`, then one QMI SDU. The length counts every byte
//! after the marker.

use super::resync::{Candidate, StreamBuf};
use super::{Error, Result, ResyncStats, ServiceId};
use crate::time::Instant;

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
    /// `buf` must hold at least `HEADER_LEN` bytes. An SDU too long for the
    /// 16-bit length is an error; nothing is written then.
    pub fn emit(&self, buf: &mut [u8], sdu_len: usize) -> Result<()> {
        let len = u16::try_from(HEADER_LEN - 1 + sdu_len)
            .map_err(|_| Error::TooLong("QMUX frame over 65535 bytes"))?;
        buf[field::MARKER] = MARKER;
        buf[field::LENGTH].copy_from_slice(&len.to_le_bytes());
        buf[field::FLAGS] = match self.sender {
            Sender::Host => 0,
            Sender::Modem => FLAG_SERVICE,
        };
        buf[field::SERVICE] = self.service.0;
        buf[field::CLIENT] = self.client;
        Ok(())
    }
}

/// Splits a byte stream (a pty, a serial line) into QMUX frames.
///
/// cdc-wdm hands over one message per transfer, but a stream has no such
/// boundaries, and one lost byte or one length that lies must not stall
/// the channel. The resync rule (docs/architecture.md, "Resync"):
/// - a frame starts only at a plausible header: marker 0x01, control flags
///   0x00 or 0x80, a length from the smallest QMI message (CTL 6 bytes,
///   other services 7) up to [`Deframer::MAX_FRAME`]; other bytes are
///   dropped one at a time;
/// - once the QMI header is in, its TLV length gives a second opinion: if
///   the two lengths disagree where a frame must start (first, or right
///   after a whole frame) the frame ends at the shorter, so the engine
///   answers it with a malformed-message error and the bytes after it are
///   scanned again instead of being swallowed; found among noise, such a
///   header is noise too;
/// - a partial frame that gets no byte for [`RESYNC_IDLE`](super::RESYNC_IDLE) is abandoned:
///   its marker is dropped and the rest scanned again, so a request written
///   behind garbage is answered once the idle time has passed, and a
///   request written after such a pause is never taken into a frame begun
///   before it.
#[derive(Debug, Default)]
pub struct Deframer {
    stream: StreamBuf,
}

/// Judges the bytes at `b[0]`.
fn judge(b: &[u8]) -> Candidate {
    if b[0] != MARKER {
        return Candidate::Noise;
    }
    if b.len() < 5 {
        return Candidate::Partial;
    }
    let total = u16::from_le_bytes([b[1], b[2]]) as usize + 1;
    let ctl = b[4] == ServiceId::Ctl.0;
    let sdu_header = if ctl { 6 } else { 7 };
    if !(HEADER_LEN + sdu_header..=Deframer::MAX_FRAME).contains(&total)
        || b[3] & !FLAG_SERVICE != 0
    {
        return Candidate::Bad;
    }
    let tlv_len_at = HEADER_LEN + sdu_header - 2;
    if b.len() < tlv_len_at + 2 {
        return Candidate::Partial;
    }
    let tlv_len = u16::from_le_bytes([b[tlv_len_at], b[tlv_len_at + 1]]) as usize;
    let sdu_total = HEADER_LEN + sdu_header + tlv_len;
    let end = total.min(sdu_total);
    if b.len() < end {
        return Candidate::Partial;
    }
    if total != sdu_total {
        return Candidate::Reject(end);
    }
    Candidate::Frame(end)
}

impl Deframer {
    /// Largest frame the deframer accepts; longer claims are resynchronised.
    pub const MAX_FRAME: usize = 0x4000;

    pub fn new() -> Self {
        Self::default()
    }
    /// Takes bytes read from the stream at `now`.
    pub fn push(&mut self, bytes: &[u8], now: Instant) {
        self.stream.push(bytes, now);
    }
    /// Bytes discarded so far while looking for a frame start.
    pub fn skipped(&self) -> u64 {
        self.stream.stats().dropped_bytes
    }
    pub fn stats(&self) -> ResyncStats {
        self.stream.stats()
    }
    /// Bytes held for a frame not yet complete.
    pub fn pending(&self) -> usize {
        self.stream.pending()
    }
    /// When a partial frame held now is abandoned, if no byte comes first;
    /// call [`Deframer::next_frame`] then.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.stream.poll_timeout()
    }
    /// The next whole frame, marker included. At `now` a partial frame idle
    /// for [`RESYNC_IDLE`](super::RESYNC_IDLE) is abandoned.
    pub fn next_frame(&mut self, now: Instant) -> Option<Vec<u8>> {
        self.stream.next(now, judge)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::RESYNC_IDLE;

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
        let t = Instant::ZERO;
        let mut d = Deframer::new();
        let mut stream = vec![0xFF, 0x00];
        stream.extend_from_slice(&FRAME);
        stream.extend_from_slice(&FRAME[..5]);
        d.push(&stream, t);
        assert_eq!(d.next_frame(t).unwrap(), FRAME.to_vec());
        assert_eq!(d.next_frame(t), None);
        d.push(&FRAME[5..], t);
        assert_eq!(d.next_frame(t).unwrap(), FRAME.to_vec());
        assert_eq!(d.skipped(), 2);
    }

    #[test]
    fn a_length_longer_than_the_message_does_not_swallow_the_next() {
        let t = Instant::ZERO;
        let mut bad = FRAME;
        bad[1] = 0xFF; // claims 256 bytes, the QMI header says 6
        let mut d = Deframer::new();
        d.push(&bad, t);
        d.push(&FRAME, t);
        // Cut at the QMI header's length: the engine answers it as malformed.
        assert_eq!(d.next_frame(t).unwrap(), bad.to_vec());
        assert_eq!(d.next_frame(t).unwrap(), FRAME.to_vec());
        assert_eq!(d.pending(), 0);
    }

    #[test]
    fn a_stalled_partial_frame_is_abandoned_after_the_idle_time() {
        let mut d = Deframer::new();
        // A frame whose lengths agree on 64 bytes of TLVs but whose body
        // never comes, then a request: held behind it until the idle time.
        let stalled = [
            0x01, 0x4b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x22, 0x00, 0x40, 0x00,
        ];
        d.push(&stalled, Instant::from_millis(0));
        d.push(&FRAME[..3], Instant::from_millis(10));
        assert_eq!(d.next_frame(Instant::from_millis(10)), None);
        d.push(&FRAME[3..], Instant::from_millis(20));
        assert_eq!(d.next_frame(Instant::from_millis(20)), None);
        let idle = d.poll_timeout().unwrap();
        assert_eq!(idle, Instant::from_millis(20) + RESYNC_IDLE);
        assert_eq!(d.next_frame(idle), Some(FRAME.to_vec()));
        assert_eq!(d.pending(), 0);
        assert_eq!(d.poll_timeout(), None);
        assert_eq!(d.stats().dropped_bytes, stalled.len() as u64);
        assert!(d.stats().idle_abandoned >= 1);
    }

    #[test]
    fn implausible_headers_are_skipped() {
        let t = Instant::ZERO;
        let mut d = Deframer::new();
        // Bad flags, a length below the QMI header, a length past MAX_FRAME.
        let garbage = [0x01, 0x0b, 0x00, 0x42, 0x01, 0x02, 0x00, 0x01, 0xff, 0x7f];
        d.push(&garbage, t);
        d.push(&FRAME, t);
        assert_eq!(d.next_frame(t), Some(FRAME.to_vec()));
        assert_eq!(d.skipped(), garbage.len() as u64);
        assert!(d.stats().bad_headers >= 3);
    }

    #[test]
    fn a_request_after_a_pause_is_not_taken_into_an_older_frame() {
        let mut d = Deframer::new();
        // A plausible start, then nothing: nobody polled at the idle time.
        d.push(&[0x01, 0x0b, 0x00, 0x00, 0x00, 0x00], Instant::ZERO);
        assert_eq!(d.next_frame(Instant::ZERO), None);
        let later = Instant::ZERO + RESYNC_IDLE;
        d.push(&FRAME, later);
        assert_eq!(d.next_frame(later), Some(FRAME.to_vec()));
        assert_eq!(d.skipped(), 6);
    }
}
