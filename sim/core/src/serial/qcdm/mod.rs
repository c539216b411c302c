//! The DM (DIAG) port, interface 0: QCDM requests in HDLC frames.
//!
//! ModemManager's sierra plugin (1.20) requires a QCDM port and probes it
//! with Version Info; that and a few identity commands are answered, every
//! other command gets DIAG's "bad command" echo. Frames with a bad CRC are
//! dropped without an answer, as Qualcomm's HDLC decoder drops them; DIAG
//! has no "bad CRC" response (libqcdm knows codes 0x13-0x18 and 0x42 only).

pub mod commands;

use crate::model::Profile;
use crate::time::Instant;
use crate::wire::hdlc::{self, Deframer};
use std::collections::VecDeque;

/// Responses waiting for the host beyond this are dropped, oldest first.
pub const MAX_PENDING: usize = 64;

/// Responses waiting beyond this make [`DmPort::offer`] stop taking input.
pub const HIGH_WATER: usize = MAX_PENDING / 2;

/// What the DM port could not serve.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DmStats {
    pub requests: u64,
    /// Frames dropped for a bad CRC, an abort or too little data.
    pub bad_frames: u64,
    pub dropped_output: u64,
}

#[derive(Debug, Default)]
pub struct DmPort {
    deframer: Deframer,
    out: VecDeque<Vec<u8>>,
    stats: DmStats,
}

impl DmPort {
    /// Takes bytes the host wrote at `now` and queues the framed responses.
    pub fn handle(&mut self, bytes: &[u8], profile: &Profile, now: Instant) {
        for frame in self.deframer.push_at(bytes, now) {
            match frame {
                Ok(req) => {
                    self.stats.requests += 1;
                    let rsp = commands::respond(&req, profile);
                    if self.out.len() >= MAX_PENDING {
                        self.out.pop_front();
                        self.stats.dropped_output += 1;
                    }
                    self.out.push_back(hdlc::encode(&rsp));
                }
                Err(_) => self.stats.bad_frames += 1,
            }
        }
    }

    /// Takes bytes while fewer than [`HIGH_WATER`] responses wait; returns
    /// how many it took (a byte at a time, so no frame's answer is lost).
    pub fn offer(&mut self, bytes: &[u8], profile: &Profile, now: Instant) -> usize {
        for (i, b) in bytes.iter().enumerate() {
            if self.out.len() >= HIGH_WATER {
                return i;
            }
            self.handle(std::slice::from_ref(b), profile, now);
        }
        bytes.len()
    }

    pub fn poll(&mut self) -> Option<Vec<u8>> {
        self.out.pop_front()
    }

    /// Framed responses waiting for the host.
    pub fn pending_output(&self) -> usize {
        self.out.len()
    }

    /// Bytes held for an unfinished frame.
    pub fn pending_input(&self) -> usize {
        self.deframer.pending()
    }

    pub fn stats(&self) -> DmStats {
        self.stats
    }

    /// What the deframer dropped to stay in step with the host.
    pub fn resync_stats(&self) -> crate::wire::ResyncStats {
        self.deframer.stats()
    }

    /// The firmware restarted: partial frames and unread answers are gone.
    pub fn reset(&mut self) {
        self.deframer.reset();
        self.out.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(wire: &[u8]) -> Vec<u8> {
        assert_eq!(wire.last(), Some(&hdlc::FLAG));
        let mut d = Deframer::default();
        let mut got = d.push(wire);
        assert_eq!(got.len(), 1);
        got.remove(0).unwrap()
    }

    #[test]
    fn answers_the_modemmanager_probe() {
        let mut dm = DmPort::default();
        let p = Profile::default();
        dm.handle(&[0x7E, 0x00, 0x78], &p, Instant::ZERO);
        assert!(dm.poll().is_none());
        dm.handle(&[0xF0, 0x7E], &p, Instant::ZERO);
        let rsp = decode(&dm.poll().unwrap());
        assert_eq!(rsp[0], commands::VERSION_INFO);
        assert_eq!(rsp.len(), 55);
    }

    #[test]
    fn bad_crc_is_dropped_and_next_frame_served() {
        let mut dm = DmPort::default();
        let p = Profile::default();
        dm.handle(&[0x00, 0x00, 0x00, 0x7E], &p, Instant::ZERO);
        assert!(dm.poll().is_none());
        assert_eq!(dm.stats().bad_frames, 1);
        dm.handle(&hdlc::encode(&[0x3A]), &p, Instant::ZERO);
        let wire = dm.poll().unwrap();
        assert_eq!(decode(&wire), vec![0x13, 0x3A]);
    }

    #[test]
    fn output_is_bounded() {
        let mut dm = DmPort::default();
        let p = Profile::default();
        let req = hdlc::encode(&[0x7C]);
        for _ in 0..(MAX_PENDING + 10) {
            dm.handle(&req, &p, Instant::ZERO);
        }
        assert_eq!(dm.stats().dropped_output, 10);
    }
}
