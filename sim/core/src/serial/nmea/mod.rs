//! The NMEA port, interface 2: one burst of sentences per second.
//!
//! qcserial raises DTR when the host opens the port (sendsetup on
//! interfaces 2 and 3), so the port streams while it is open and the
//! receiver is tracking (`Device::gps_on`, from the profile's autostart,
//! as a 9x15 with GPS autostart streams without a command). Writes from the
//! host are ignored: the port is output only.

pub mod sentences;

use crate::model::Device;
use crate::time::{Duration, Instant};

/// Bytes kept for a host that does not read; older ones are dropped.
pub const MAX_PENDING_BYTES: usize = 16 * 1024;
const PERIOD: Duration = Duration::from_millis(1000);

#[derive(Debug, Default)]
pub struct NmeaPort {
    open: bool,
    next: Option<Instant>,
    out: crate::serial::Outbox<MAX_PENDING_BYTES>,
}

impl NmeaPort {
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// The host opened (DTR up) or closed the port.
    pub fn set_open(&mut self, open: bool, now: Instant) {
        self.open = open;
        if !open {
            self.next = None;
            self.out.clear();
        } else if self.next.is_none() {
            // Fixes come on whole seconds of simulated time.
            self.next = Some(Instant::from_millis((now.millis() / 1000 + 1) * 1000));
        }
    }

    pub fn poll_at(&self) -> Option<Instant> {
        self.next
    }

    pub fn handle_timeout(&mut self, now: Instant, dev: &Device) {
        let Some(mut next) = self.next else { return };
        // After a long gap, report the present rather than replay the past.
        if now.since(next) > PERIOD * 3 {
            next = Instant::from_millis(now.millis() / 1000 * 1000);
        }
        while next <= now {
            if dev.gps_on {
                // The fix's UTC time is the module clock's.
                for s in sentences::epoch(dev.clock(next).seconds(), &dev.profile.gps) {
                    self.out.push(s.as_bytes());
                }
            }
            next = next + PERIOD;
        }
        self.next = Some(next);
    }

    /// Bytes waiting for the host.
    pub fn pending_output(&self) -> usize {
        self.out.len()
    }

    pub fn poll(&mut self) -> Option<Vec<u8>> {
        self.out.poll()
    }

    /// The firmware restarted: the open state belongs to the host, so it
    /// stays; unsent sentences are lost.
    pub fn reset(&mut self) {
        self.out.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Profile;

    fn t(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }

    #[test]
    fn streams_once_a_second_while_open() {
        let mut dev = Device::new(Profile::default(), 0, t(0));
        let mut n = NmeaPort::default();
        n.handle_timeout(t(5000), &dev);
        assert!(n.poll().is_none(), "closed port is silent");
        n.set_open(true, t(1500));
        assert_eq!(n.poll_at(), Some(t(2000)));
        n.handle_timeout(t(1999), &dev);
        assert!(n.poll().is_none());
        n.handle_timeout(t(3000), &dev);
        let text = String::from_utf8(n.poll().unwrap()).unwrap();
        assert_eq!(text.matches("$GPGGA").count(), 2);
        assert_eq!(n.poll_at(), Some(t(4000)));
        dev.gps_on = false;
        n.handle_timeout(t(4000), &dev);
        assert!(n.poll().is_none());
        n.set_open(false, t(4100));
        assert_eq!(n.poll_at(), None);
    }

    #[test]
    fn long_gaps_do_not_replay_and_output_is_bounded() {
        let dev = Device::new(Profile::default(), 0, t(0));
        let mut n = NmeaPort::default();
        n.set_open(true, t(0));
        n.handle_timeout(t(10_000_000), &dev);
        let out = n.poll().unwrap();
        assert!(out.len() < 2000);
        for i in 1..200 {
            n.handle_timeout(t(10_000_000 + i * 1000), &dev);
        }
        assert!(n.poll().unwrap().len() <= MAX_PENDING_BYTES);
    }
}
