//! The simulated SMS centre: takes what the host submits (joining the
//! parts of a concatenated message for the event log), answers with a
//! message reference or an RP cause, sends delivery reports when asked,
//! and delivers messages to the module from `vmodem ctl sms` and scenario
//! steps.

use super::{network_timestamp, ReceiptAction, SmsEvent, Storage, Tag};
use crate::model::Device;
use crate::time::{Duration, Instant};
use crate::wire::sms::{
    split_text, Address, Alphabet, Dcs, Deliver, Direction, Pdu, StatusReport, Submit, Tpdu,
};
use std::collections::VecDeque;

/// Concatenated messages the centre holds half-received; beyond this the
/// oldest is given up (`SmsEvent::PartsDropped`).
pub const MAX_PENDING_CONCAT: usize = 16;
/// Delivery reports waiting to be sent; beyond this a new one is lost
/// (`SmsEvent::ReportLost`).
pub const MAX_PENDING_REPORTS: usize = 64;
/// The centre's delivery report comes this long after the submission.
pub const REPORT_DELAY: Duration = Duration::from_millis(1000);

/// What a fault does to delivery reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReportFault {
    #[default]
    None,
    Delay(Duration),
    Lost,
}

/// Why a submission failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmitError {
    /// Not a SUBMIT, or broken.
    BadPdu,
    /// No SIM or not registered: the module did not try.
    NoService,
    /// The network answered RP-ERROR with this cause.
    Rejected { rp_cause: u8 },
}

#[derive(Debug, Clone)]
struct Partial {
    to: String,
    reference: u16,
    alphabet: Alphabet,
    parts: Vec<Option<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct Centre {
    /// RP cause and how many more submissions to refuse.
    reject: Option<(u8, u32)>,
    pub reports: ReportFault,
    /// Concatenation reference of the next multipart delivery.
    next_reference: u16,
    /// TP-MR of the last submission: the module numbers them itself
    /// (TS 23.040 §9.2.3.6), whatever the host put there.
    last_mr: u8,
    pending: VecDeque<Partial>,
    due_reports: VecDeque<(Instant, Address, u8)>,
}

impl Centre {
    /// The next `count` submissions get RP-ERROR with `rp_cause`.
    pub fn reject(&mut self, rp_cause: u8, count: u32) {
        self.reject = Some((rp_cause, count));
    }

    pub fn poll_at(&self) -> Option<Instant> {
        self.due_reports.iter().map(|r| r.0).min()
    }
}

impl Device {
    /// One SUBMIT from the host (whole PDU, SMSC first): the message
    /// reference the centre acknowledged, or why it failed.
    pub fn sms_submit(&mut self, pdu: &[u8], now: Instant) -> Result<u8, SubmitError> {
        let Ok(Pdu {
            tpdu: Tpdu::Submit(s),
            ..
        }) = Pdu::parse(pdu, Direction::FromHost)
        else {
            return Err(SubmitError::BadPdu);
        };
        if !self.sim.is_ready() || !self.registration.is_registered() {
            return Err(SubmitError::NoService);
        }
        let to = s.destination.text();
        if let Some((cause, n)) = self.messaging.centre.reject {
            self.messaging.centre.reject = (n > 1).then_some((cause, n - 1));
            self.events
                .push(super::super::DeviceEvent::Sms(SmsEvent::SubmitRejected {
                    to,
                    rp_cause: cause,
                }));
            return Err(SubmitError::Rejected { rp_cause: cause });
        }
        let centre = &mut self.messaging.centre;
        centre.last_mr = centre.last_mr.wrapping_add(1);
        let mut s = s;
        s.reference = centre.last_mr;
        self.sms_log_submit(&s);
        if s.status_report_request {
            self.sms_schedule_report(&s, now);
        }
        Ok(s.reference)
    }

    /// Logs a submission, joining the parts of a concatenated one.
    fn sms_log_submit(&mut self, s: &Submit) {
        let alphabet = s.dcs.alphabet();
        let text = s.user_data.text_in(alphabet);
        let to = s.destination.text();
        let Some(c) = s.user_data.concat().filter(|c| c.total > 1) else {
            return self.sms_event(SmsEvent::Sent {
                to,
                text,
                alphabet: alphabet.name(),
                parts: 1,
                reference: s.reference,
            });
        };
        let centre = &mut self.messaging.centre;
        let at = centre.pending.iter().position(|p| {
            p.to == to && p.reference == c.reference && p.parts.len() == usize::from(c.total)
        });
        let at = match at {
            Some(i) => i,
            None => {
                if centre.pending.len() >= MAX_PENDING_CONCAT {
                    if let Some(old) = centre.pending.pop_front() {
                        self.sms_event(SmsEvent::PartsDropped {
                            to: old.to,
                            reference: old.reference,
                        });
                    }
                }
                let centre = &mut self.messaging.centre;
                centre.pending.push_back(Partial {
                    to: to.clone(),
                    reference: c.reference,
                    alphabet,
                    parts: vec![None; usize::from(c.total)],
                });
                centre.pending.len() - 1
            }
        };
        let centre = &mut self.messaging.centre;
        centre.pending[at].parts[usize::from(c.seq) - 1] = Some(text);
        if centre.pending[at].parts.iter().all(Option::is_some) {
            let Some(p) = centre.pending.remove(at) else {
                return;
            };
            let text: String = p.parts.into_iter().flatten().collect();
            self.sms_event(SmsEvent::Sent {
                to: p.to,
                text,
                alphabet: p.alphabet.name(),
                parts: c.total,
                reference: s.reference,
            });
        }
    }

    fn sms_schedule_report(&mut self, s: &Submit, now: Instant) {
        let delay = match self.messaging.centre.reports {
            ReportFault::Lost => {
                return self.sms_event(SmsEvent::ReportLost {
                    reference: s.reference,
                })
            }
            ReportFault::Delay(d) => d,
            ReportFault::None => REPORT_DELAY,
        };
        let centre = &mut self.messaging.centre;
        if centre.due_reports.len() >= MAX_PENDING_REPORTS {
            return self.sms_event(SmsEvent::ReportLost {
                reference: s.reference,
            });
        }
        centre
            .due_reports
            .push_back((now + delay, s.destination.clone(), s.reference));
    }

    /// Sends the delivery reports due by `now`.
    pub(in crate::model) fn sms_handle_timeout(&mut self, now: Instant) {
        while let Some(i) = self
            .messaging
            .centre
            .due_reports
            .iter()
            .position(|r| r.0 <= now)
        {
            let Some((at, recipient, reference)) = self.messaging.centre.due_reports.remove(i)
            else {
                break;
            };
            let ts = network_timestamp(self.clock(at));
            let pdu = Pdu {
                smsc: Address::from_number(&self.messaging.smsc),
                tpdu: Tpdu::StatusReport(StatusReport {
                    more_messages: false,
                    for_command: false,
                    reference,
                    recipient,
                    timestamp: ts,
                    discharge: ts,
                    status: 0,
                }),
            };
            if let Ok(b) = pdu.to_bytes() {
                if self.messaging.transfer_status_reports {
                    self.sms_event(SmsEvent::Transferred {
                        pdu: b,
                        class: None,
                    });
                } else {
                    self.sms_store_mt(b, None);
                }
            }
        }
    }

    /// A text message from `from` arrives from the network, in as many
    /// parts as it needs; `Err` says why it cannot be sent (a bad
    /// originator, too long a text, a bad class).
    pub fn sms_deliver(
        &mut self,
        from: &str,
        text: &str,
        class: Option<u8>,
        now: Instant,
    ) -> Result<(), String> {
        check_delivery(from, text, class)?;
        let originator = originator(from)?;
        let centre = &mut self.messaging.centre;
        let reference = centre.next_reference;
        centre.next_reference = centre.next_reference.wrapping_add(1) & 0xFF;
        let (alphabet, parts) =
            split_text(text, reference).ok_or("the text needs more than 255 parts")?;
        let smsc = Address::from_number(&self.messaging.smsc);
        let ts = network_timestamp(self.clock(now));
        self.sms_event(SmsEvent::Received {
            from: originator.text(),
            text: text.to_string(),
            alphabet: alphabet.name(),
            parts: parts.len() as u8,
            class,
        });
        for ud in parts {
            let pdu = Pdu {
                smsc: smsc.clone(),
                tpdu: Tpdu::Deliver(Deliver {
                    more_messages: false,
                    status_report_indication: false,
                    reply_path: false,
                    originator: originator.clone(),
                    pid: 0,
                    dcs: Dcs::new(alphabet, class),
                    timestamp: ts,
                    user_data: ud,
                }),
            };
            let bytes = pdu.to_bytes().map_err(|e| e.to_string())?;
            self.sms_route_mt(bytes, class);
        }
        Ok(())
    }

    /// A message from the network, routed as its class says.
    fn sms_route_mt(&mut self, pdu: Vec<u8>, class: Option<u8>) {
        let route = self.messaging.route(class);
        match route.action {
            ReceiptAction::Discard => {}
            ReceiptAction::TransferOnly | ReceiptAction::TransferAndAck => {
                self.sms_event(SmsEvent::Transferred { pdu, class })
            }
            ReceiptAction::StoreAndNotify => self.sms_store_mt(pdu, route.storage),
        }
    }

    fn sms_store_mt(&mut self, pdu: Vec<u8>, storage: Option<Storage>) {
        let storage = storage.unwrap_or_else(|| self.messaging.preferred_storage());
        if self.messaging.store_full_forced {
            return self.sms_event(SmsEvent::StoreFull { storage });
        }
        match self.messaging.store_mut(storage).store(Tag::MtNotRead, pdu) {
            Some(index) => self.sms_event(SmsEvent::Stored { storage, index }),
            None => self.sms_event(SmsEvent::StoreFull { storage }),
        }
    }

    fn sms_event(&mut self, e: SmsEvent) {
        self.events.push(super::super::DeviceEvent::Sms(e));
    }
}

/// Whether the centre can deliver `text` from `from` as class `class`:
/// a number or sender name, a text of 1 to 255 parts, a class 0 to 3.
pub fn check_delivery(from: &str, text: &str, class: Option<u8>) -> Result<(), String> {
    originator(from)?;
    if let Some(c) = class.filter(|&c| c > 3) {
        return Err(format!("class {c} is not 0 to 3"));
    }
    if text.is_empty() {
        return Err("an empty text".into());
    }
    split_text(text, 0).ok_or("the text needs more than 255 parts")?;
    Ok(())
}

/// A number ("+4477..."), or an alphanumeric sender ("Bank").
fn originator(from: &str) -> Result<Address, String> {
    if from.starts_with('+') || from.bytes().all(|b| b.is_ascii_digit()) {
        return Address::from_number(from)
            .ok_or_else(|| format!("{from:?} is not a number of 1 to 20 digits"));
    }
    Address::from_alphanumeric(from)
        .ok_or_else(|| format!("{from:?} is not a sender name of 1 to 11 GSM characters"))
}
