//! Surviving a failed `accept`: running out of file descriptors (EMFILE,
//! ENFILE) or buffers, or a peer that gave up before it was accepted
//! (ECONNABORTED), ends one attempt, never the listener. Each failure is
//! logged at most once a second, with a count of the ones in between.

use std::io;
use std::time::{Duration, Instant};
use tracing::warn;

/// The wait after a shortage of descriptors or memory, so that a full
/// table does not turn the accept loop into a busy loop. Short enough
/// that a freed descriptor is used within a tenth of a second.
pub const SHORTAGE_BACK_OFF: Duration = Duration::from_millis(100);

/// The least time between two log lines about the same listener.
const LOG_EVERY: Duration = Duration::from_secs(1);

/// What a failed accept means for the listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The process or system is out of descriptors or memory: wait, and
    /// free what can be freed.
    Shortage,
    /// That one connection failed (aborted, reset, refused by a filter):
    /// accept the next one at once.
    Connection,
}

pub fn classify(e: &io::Error) -> Failure {
    use nix::libc::{EMFILE, ENFILE, ENOBUFS, ENOMEM};
    match e.raw_os_error() {
        Some(EMFILE | ENFILE | ENOBUFS | ENOMEM) => Failure::Shortage,
        _ => Failure::Connection,
    }
}

/// A log line at most once per `LOG_EVERY`, counting the silenced ones.
#[derive(Debug)]
pub struct Throttled {
    what: &'static str,
    last: Option<Instant>,
    silenced: u64,
}

impl Throttled {
    pub const fn new(what: &'static str) -> Throttled {
        Throttled {
            what,
            last: None,
            silenced: 0,
        }
    }

    pub fn warn(&mut self, detail: &dyn std::fmt::Display) {
        let now = Instant::now();
        if self.last.is_some_and(|t| now.duration_since(t) < LOG_EVERY) {
            self.silenced += 1;
            return;
        }
        match std::mem::take(&mut self.silenced) {
            0 => warn!("{}: {detail}", self.what),
            n => warn!("{}: {detail} ({n} more since the last report)", self.what),
        }
        self.last = Some(now);
    }
}

/// Logs a failed accept and says how long to wait before the next one.
pub fn failed(log: &mut Throttled, e: &io::Error) -> (Failure, Duration) {
    log.warn(e);
    match classify(e) {
        Failure::Shortage => (Failure::Shortage, SHORTAGE_BACK_OFF),
        Failure::Connection => (Failure::Connection, Duration::ZERO),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_shortage_waits_and_an_aborted_peer_does_not() {
        let emfile = io::Error::from_raw_os_error(nix::libc::EMFILE);
        let enfile = io::Error::from_raw_os_error(nix::libc::ENFILE);
        let aborted = io::Error::from_raw_os_error(nix::libc::ECONNABORTED);
        let mut log = Throttled::new("test");
        assert_eq!(
            failed(&mut log, &emfile),
            (Failure::Shortage, SHORTAGE_BACK_OFF)
        );
        assert_eq!(failed(&mut log, &enfile).0, Failure::Shortage);
        assert_eq!(
            failed(&mut log, &aborted),
            (Failure::Connection, Duration::ZERO)
        );
    }

    #[test]
    fn a_burst_of_failures_logs_once() {
        let mut log = Throttled::new("test");
        let e = io::Error::from_raw_os_error(nix::libc::EMFILE);
        for _ in 0..100 {
            log.warn(&e);
        }
        assert_eq!(log.silenced, 99);
    }
}
