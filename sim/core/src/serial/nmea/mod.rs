//! The NMEA port, interface 2: the sentences of each GNSS epoch while a
//! session runs (`model::gnss`) and the host has the port open.
//!
//! qcserial raises DTR when the host opens the port (sendsetup on
//! interfaces 2 and 3). Only epochs after the open are sent, so a host
//! never reads a stale backlog; a host that does not read loses whole
//! sentences, oldest first, never part of one. Writes from the host are
//! ignored: the port is output only.

pub mod sentences;

use crate::model::gnss::Epoch;
use crate::model::{Device, DeviceEvent};
use std::collections::VecDeque;

/// Bytes kept for a host that does not read; older sentences are dropped.
pub const MAX_PENDING_BYTES: usize = 16 * 1024;

#[derive(Debug, Default)]
pub struct NmeaPort {
    open: bool,
    queue: VecDeque<String>,
    bytes: usize,
    dropped: u64,
}

impl NmeaPort {
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// The host opened (DTR up) or closed the port. Either way nothing
    /// from before reaches the host.
    pub fn set_open(&mut self, open: bool) {
        self.open = open;
        self.clear();
    }

    fn clear(&mut self) {
        self.queue.clear();
        self.bytes = 0;
    }

    pub fn on_event(&mut self, ev: &DeviceEvent, dev: &Device) {
        if let DeviceEvent::GnssEpoch(e) = ev {
            if self.open {
                self.push_epoch(e, dev);
            }
        }
    }

    fn push_epoch(&mut self, e: &Epoch, dev: &Device) {
        for s in sentences::epoch(dev.clock(e.at).utc_seconds(), e.fix.as_ref()) {
            self.bytes += s.len();
            self.queue.push_back(s);
        }
        while self.bytes > MAX_PENDING_BYTES {
            let Some(old) = self.queue.pop_front() else {
                break;
            };
            self.bytes -= old.len();
            self.dropped += 1;
        }
    }

    /// Bytes waiting for the host.
    pub fn pending_output(&self) -> usize {
        self.bytes
    }

    /// Sentences lost because the host did not read them.
    pub fn dropped_sentences(&self) -> u64 {
        self.dropped
    }

    /// Every whole sentence waiting, in one piece.
    pub fn poll(&mut self) -> Option<Vec<u8>> {
        if self.queue.is_empty() {
            return None;
        }
        let mut out = Vec::with_capacity(self.bytes);
        for s in self.queue.drain(..) {
            out.extend_from_slice(s.as_bytes());
        }
        self.bytes = 0;
        Some(out)
    }

    /// The firmware restarted: the open state belongs to the host, so it
    /// stays; unsent sentences are lost.
    pub fn reset(&mut self) {
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::gnss::Holder;
    use crate::model::Profile;
    use crate::time::Instant;

    fn t(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }

    /// Runs the device to `to`, feeding its events to the port.
    fn run(dev: &mut Device, n: &mut NmeaPort, to: u64) {
        while let Some(at) = dev.poll_at().filter(|a| a.millis() <= to) {
            dev.handle_timeout(at);
            let evs: Vec<_> = dev.drain_events().collect();
            for e in &evs {
                n.on_event(e, dev);
            }
        }
    }

    #[test]
    fn streams_only_while_a_session_runs_and_the_port_is_open() {
        let mut dev = Device::new(Profile::default(), 0, t(0));
        let mut n = NmeaPort::default();
        n.set_open(true);
        run(&mut dev, &mut n, 5000);
        assert!(n.poll().is_none(), "no session, no sentences");
        dev.gnss_start(Holder::At, t(5000));
        run(&mut dev, &mut n, 5999);
        assert!(n.poll().is_none(), "epochs on whole seconds");
        run(&mut dev, &mut n, 10_000);
        let text = String::from_utf8(n.poll().unwrap()).unwrap();
        assert_eq!(text.matches("$GPGGA").count(), 5);
        assert!(
            text.starts_with("$GPGGA,000006.00,,"),
            "searching first: {text}"
        );
        assert!(text.contains("$GPGGA,000010.00,4909.9960,N"), "{text}");
        assert!(dev.gnss.stop(Holder::At));
        run(&mut dev, &mut n, 20_000);
        assert!(n.poll().is_none());
    }

    #[test]
    fn no_backlog_on_open_and_only_whole_sentences_when_unread() {
        let mut dev = Device::new(Profile::default(), 0, t(0));
        let mut n = NmeaPort::default();
        dev.gnss_start(Holder::At, t(0));
        run(&mut dev, &mut n, 40_000);
        n.set_open(true);
        assert!(n.poll().is_none(), "nothing from before the open");
        run(&mut dev, &mut n, 41_000);
        let first = String::from_utf8(n.poll().unwrap()).unwrap();
        assert!(first.starts_with("$GPGGA,000041.00,"), "{first}");
        run(&mut dev, &mut n, 2_000_000);
        assert!(n.dropped_sentences() > 0);
        let out = n.poll().unwrap();
        assert!(out.len() <= MAX_PENDING_BYTES);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with('$') && text.ends_with("\r\n"));
        for line in text.split_terminator("\r\n") {
            let body = &line[1..line.len() - 3];
            let cs = body.bytes().fold(0, |a, b| a ^ b);
            assert_eq!(&line[line.len() - 2..], format!("{cs:02X}"), "{line}");
        }
    }
}
