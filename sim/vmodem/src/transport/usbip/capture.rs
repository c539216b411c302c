//! `--pcap` on USB/IP: the URBs the host really submitted, recorded when
//! they complete (submission and completion together), so the capture
//! holds the host's own enumeration and whatever configuration it chose.

use super::super::capture::Capture;
use std::collections::HashMap;
use vmodem_core::capture::ControlOutcome;
use vmodem_core::usb::{Completion, Setup, TransferKind, Urb, UrbStatus, UsbDevice};

/// What a URB carried when it was submitted.
struct Submitted {
    endpoint: u8,
    setup: [u8; 8],
    out: Vec<u8>,
    kind: Option<TransferKind>,
}

/// URBs in flight are bounded by what the host submits and the device
/// core bounds; this caps the bookkeeping for a host that never reads.
const MAX_IN_FLIGHT: usize = 4096;

pub(super) struct UrbCapture {
    file: Capture,
    in_flight: HashMap<u32, Submitted>,
}

impl UrbCapture {
    pub fn new(file: Capture) -> UrbCapture {
        UrbCapture {
            file,
            in_flight: HashMap::new(),
        }
    }

    pub fn is_on(&self) -> bool {
        self.file.is_on()
    }

    /// A URB the host submitted to `dev`.
    pub fn submitted(&mut self, dev: &UsbDevice, urb: &Urb) {
        if !self.is_on() || self.in_flight.len() >= MAX_IN_FLIGHT {
            return;
        }
        let kind = dev.endpoint_kind(urb.endpoint);
        let out = if urb.endpoint & 0x80 == 0 {
            urb.data.clone()
        } else {
            Vec::new()
        };
        let s = Submitted {
            endpoint: urb.endpoint,
            setup: urb.setup,
            out,
            kind,
        };
        self.in_flight.insert(urb.id, s);
    }

    /// The host cancelled it: nothing crossed the bus.
    pub fn unlinked(&mut self, id: u32) {
        self.in_flight.remove(&id);
    }

    /// The modem left the bus: what was in flight never completes.
    pub fn clear(&mut self) {
        self.in_flight.clear();
    }

    pub fn completed(&mut self, c: &Completion) {
        let Some(s) = self.in_flight.remove(&c.id) else {
            return;
        };
        if s.endpoint & 0x7f == 0 {
            let Ok(setup) = Setup::parse(&s.setup) else {
                return;
            };
            let outcome = match (c.status, setup.request_type & 0x80 != 0) {
                (UrbStatus::Stall, _) => ControlOutcome::Stalled,
                (_, true) => ControlOutcome::Data(&c.data),
                (_, false) => ControlOutcome::Accepted,
            };
            self.file
                .record(|cap, ts| cap.control(ts, &setup, &s.out, outcome));
        } else if c.status == UrbStatus::Ok {
            let Some(kind) = s.kind else { return };
            let data = if s.endpoint & 0x80 != 0 {
                &c.data
            } else {
                &s.out
            };
            self.file
                .record(|cap, ts| cap.transfer(ts, s.endpoint, kind, data));
        }
    }

    /// The modem enumerates again, as `dev` describes it.
    pub fn reenumerated(&mut self, dev: &UsbDevice) {
        self.in_flight.clear();
        let p = dev.personality().clone();
        self.file.record(|cap, _| {
            cap.reenumerated(p);
            Vec::new()
        });
    }
}
