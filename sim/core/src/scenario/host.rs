//! A scripted host for headless runs: what ModemManager does in outline,
//! with real QMI frames. It allocates clients, unlocks the SIM with the
//! profile's PIN, sets the radio online, waits for registration and starts
//! a data call, and does it all again after every reset.

use crate::qmi::{ctl, dms, nas, wds};
use crate::time::{Duration, Instant};
use crate::wire::qmi::{Message, MessageKind, TLV_RESULT};
use crate::wire::qmux::Sender;
use crate::wire::tlv::Tlv;
use crate::wire::ServiceId;
use std::collections::VecDeque;

/// How long the host waits for a response before asking again.
const RESPONSE_TIMEOUT: Duration = Duration::from_millis(5000);
/// How often it polls registration and the data call.
const POLL_REGISTRATION: Duration = Duration::from_millis(1000);
const POLL_CALL: Duration = Duration::from_millis(5000);
/// Polls without registration before the host checks the SIM again.
const POLLS_BEFORE_PIN_AGAIN: u32 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The module is off the bus.
    Gone,
    Allocate(ServiceId),
    VerifyPin,
    SetOnline,
    WaitRegistered,
    StartNetwork,
    Connected,
}

#[derive(Debug, Clone, Copy)]
struct Waiting {
    service: ServiceId,
    txn: u16,
    deadline: Instant,
}

/// One host action for the event log: what, and whether the module agreed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostAction {
    pub action: &'static str,
    pub ok: bool,
}

#[derive(Debug, Clone)]
pub struct ScriptedHost {
    pin: String,
    apn: String,
    phase: Phase,
    next_at: Option<Instant>,
    waiting: Option<Waiting>,
    txn: u16,
    dms: u8,
    nas: u8,
    wds: u8,
    unregistered_polls: u32,
    out: VecDeque<Vec<u8>>,
    actions: VecDeque<HostAction>,
}

impl ScriptedHost {
    /// A host that knows the SIM's PIN and the APN to connect to.
    pub fn new(pin: &str, apn: &str, now: Instant) -> ScriptedHost {
        ScriptedHost {
            pin: pin.to_string(),
            apn: apn.to_string(),
            phase: Phase::Allocate(ServiceId::Dms),
            next_at: Some(now),
            waiting: None,
            txn: 0,
            dms: 0,
            nas: 0,
            wds: 0,
            unregistered_polls: 0,
            out: VecDeque::new(),
            actions: VecDeque::new(),
        }
    }

    /// The module dropped off the bus: every client is gone with it.
    pub fn module_gone(&mut self) {
        self.phase = Phase::Gone;
        self.waiting = None;
        self.next_at = None;
        self.out.clear();
    }

    /// The module is back: start over, as a host does on re-enumeration.
    pub fn module_back(&mut self, now: Instant) {
        self.phase = Phase::Allocate(ServiceId::Dms);
        self.next_at = Some(now);
        self.unregistered_polls = 0;
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.waiting {
            Some(w) => Some(w.deadline),
            None => self.next_at,
        }
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(w) = self.waiting {
            if now >= w.deadline {
                // The response was lost: ask again.
                self.act("response-timeout", false);
                self.waiting = None;
                self.next_at = Some(now);
            }
            return;
        }
        if self.next_at.is_some_and(|t| t <= now) {
            self.next_at = None;
            self.send_phase(now);
        }
    }

    /// A frame the host should write to the module.
    pub fn poll_frame(&mut self) -> Option<Vec<u8>> {
        self.out.pop_front()
    }

    /// What the host did since the last call.
    pub fn poll_action(&mut self) -> Option<HostAction> {
        self.actions.pop_front()
    }

    fn act(&mut self, action: &'static str, ok: bool) {
        self.actions.push_back(HostAction { action, ok });
    }

    fn send_phase(&mut self, now: Instant) {
        let (service, client, id, tlvs) = match self.phase {
            Phase::Gone => return,
            Phase::Allocate(s) => (
                ServiceId::Ctl,
                0,
                ctl::ALLOCATE_CID,
                vec![Tlv::new(0x01, [s.0])],
            ),
            Phase::VerifyPin => {
                let mut v = vec![1, self.pin.len() as u8];
                v.extend_from_slice(self.pin.as_bytes());
                (
                    ServiceId::Dms,
                    self.dms,
                    dms::UIM_VERIFY_PIN,
                    vec![Tlv::new(0x01, v)],
                )
            }
            Phase::SetOnline => (
                ServiceId::Dms,
                self.dms,
                dms::SET_OPERATING_MODE,
                vec![Tlv::new(0x01, [0u8])],
            ),
            Phase::WaitRegistered => (ServiceId::Nas, self.nas, nas::GET_SERVING_SYSTEM, vec![]),
            Phase::StartNetwork => (
                ServiceId::Wds,
                self.wds,
                wds::START_NETWORK,
                vec![Tlv::new(0x14, self.apn.as_bytes())],
            ),
            Phase::Connected => (
                ServiceId::Wds,
                self.wds,
                wds::GET_PACKET_SERVICE_STATUS,
                vec![],
            ),
        };
        // CTL carries one-byte transaction IDs; stay within them for all.
        self.txn = self.txn % 255 + 1;
        let m = Message::request(service, client, self.txn, id, tlvs);
        self.out.push_back(m.to_bytes());
        self.waiting = Some(Waiting {
            service,
            txn: self.txn,
            deadline: now + RESPONSE_TIMEOUT,
        });
    }

    /// A frame the module sent (responses move the script on).
    pub fn handle_frame(&mut self, frame: &[u8], now: Instant) {
        let Ok(m) = Message::parse(frame) else { return };
        let Some(w) = self.waiting else { return };
        if m.sender != Sender::Modem
            || m.kind != MessageKind::Response
            || m.service != w.service
            || m.txn != w.txn
        {
            return;
        }
        self.waiting = None;
        let tlv = |ty: u8| {
            m.tlvs
                .iter()
                .find(|t| t.ty == ty)
                .map(|t| t.value.as_slice())
        };
        let ok = tlv(TLV_RESULT).is_some_and(|r| r.len() >= 2 && r[..2] == [0, 0]);
        let (next, wait) = match self.phase {
            Phase::Gone => return,
            Phase::Allocate(s) => {
                let cid = tlv(0x01)
                    .filter(|v| v.len() >= 2 && v[0] == s.0)
                    .map(|v| v[1]);
                self.act("allocate-client", ok && cid.is_some());
                match (cid, s) {
                    (None, _) => (self.phase, POLL_REGISTRATION),
                    (Some(c), ServiceId::Dms) => {
                        self.dms = c;
                        (Phase::Allocate(ServiceId::Nas), Duration::ZERO)
                    }
                    (Some(c), ServiceId::Nas) => {
                        self.nas = c;
                        (Phase::Allocate(ServiceId::Wds), Duration::ZERO)
                    }
                    (Some(c), _) => {
                        self.wds = c;
                        (Phase::VerifyPin, Duration::ZERO)
                    }
                }
            }
            // A refused PIN (disabled, or no SIM) is no reason to stop:
            // registration will tell.
            Phase::VerifyPin => {
                self.act("verify-pin", ok);
                (Phase::SetOnline, Duration::ZERO)
            }
            Phase::SetOnline => {
                self.act("set-online", ok);
                (Phase::WaitRegistered, Duration::ZERO)
            }
            Phase::WaitRegistered => {
                let registered = ok && tlv(0x01).is_some_and(|v| v.first() == Some(&1));
                if registered {
                    self.act("registered", true);
                    self.unregistered_polls = 0;
                    (Phase::StartNetwork, Duration::ZERO)
                } else {
                    self.unregistered_polls += 1;
                    if self.unregistered_polls >= POLLS_BEFORE_PIN_AGAIN {
                        self.unregistered_polls = 0;
                        (Phase::VerifyPin, Duration::ZERO)
                    } else {
                        (Phase::WaitRegistered, POLL_REGISTRATION)
                    }
                }
            }
            Phase::StartNetwork => {
                self.act("start-network", ok);
                if ok {
                    (Phase::Connected, POLL_CALL)
                } else {
                    (Phase::WaitRegistered, POLL_REGISTRATION)
                }
            }
            Phase::Connected => {
                let up = ok && tlv(0x01).is_some_and(|v| v.first() == Some(&2));
                if up {
                    (Phase::Connected, POLL_CALL)
                } else {
                    self.act("bearer-lost", false);
                    (Phase::WaitRegistered, Duration::ZERO)
                }
            }
        };
        self.phase = next;
        self.next_at = Some(now + wait);
    }
}
