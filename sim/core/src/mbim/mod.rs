//! The MBIM function: the control channel of an MBIM composition, on the
//! same [`Device`] as QMI, so a PIN entered over one is entered for both.
//!
//! [`Function`] takes one control transfer at a time (what
//! SEND_ENCAPSULATED_COMMAND carries) and queues transfers for the host
//! (each one a GET_ENCAPSULATED_RESPONSE), fragmented to the
//! MaxControlTransfer the host asked for in OPEN.

mod basic_connect;
pub mod services;
pub mod sms;
pub(crate) mod values;

use crate::model::{Device, DeviceEvent};
use crate::time::Instant;
use crate::wire::mbim::fragment::{self, Reassembler, Reassembly, MIN_CONTROL_TRANSFER};
use crate::wire::mbim::{
    peek_transaction_id, CommandType, Message, MessageType, Packet, ProtocolError, Status, Uuid,
};
use basic_connect::BasicConnect;
use std::collections::VecDeque;

/// wMaxControlMessage of the EM7305's MBIM functional descriptor.
pub const MAX_CONTROL_MESSAGE: usize = 4096;

/// Transfers waiting for the host beyond this are dropped, oldest first.
pub const MAX_PENDING: usize = 512;

/// Counters for what the function could not serve.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub transfers: u64,
    pub function_errors: u64,
    pub host_errors: u64,
    pub dropped_output: u64,
}

/// What a command handler answers: COMMAND_DONE's status and buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub status: Status,
    pub info: Vec<u8>,
}

impl Done {
    pub fn ok(info: Vec<u8>) -> Done {
        Done {
            status: Status::SUCCESS,
            info,
        }
    }
    pub fn fail(status: Status) -> Done {
        Done {
            status,
            info: Vec::new(),
        }
    }
}

impl From<Status> for Done {
    fn from(s: Status) -> Done {
        Done::fail(s)
    }
}

/// The MBIM control function of one EM7305.
#[derive(Debug, Default)]
pub struct Function {
    /// MaxControlTransfer agreed in OPEN; `None` while closed.
    open: Option<usize>,
    reassembler: Reassembler,
    basic: BasicConnect,
    out: VecDeque<Vec<u8>>,
    /// QMUX frames that came in the QMI service (CID MSG, set), with the
    /// transaction each answer goes back in; the engine takes them.
    qmi_in: VecDeque<(u32, Vec<u8>)>,
    stats: Stats,
}

impl Function {
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The model bearers behind data session `session` (IPS<session>);
    /// empty while the session is not activated.
    pub fn session_bearers(&self, session: u8) -> &[u32] {
        self.basic.session_bearers(session.into())
    }

    /// The data session a model bearer was activated in, if any.
    pub fn session_of(&self, handle: u32) -> Option<u8> {
        self.basic
            .session_of(handle)
            .and_then(|s| u8::try_from(s).ok())
    }

    /// The firmware restarted: the host must OPEN again.
    pub fn reset(&mut self) {
        self.restart();
        self.out.clear();
    }

    /// The firmware restarted after answering the host's own reset
    /// request: the answer already queued still goes out before the
    /// module leaves the bus; everything else is gone.
    pub fn restart(&mut self) {
        self.open = None;
        self.reassembler.clear();
        self.basic = BasicConnect::default();
        self.qmi_in.clear();
    }

    /// One control transfer from the host.
    pub fn handle(&mut self, transfer: &[u8], dev: &mut Device, now: Instant) {
        self.stats.transfers += 1;
        self.expire(now);
        let packet = match Packet::new_checked(transfer) {
            Ok(p) => p,
            Err(_) => {
                let txn = peek_transaction_id(transfer).unwrap_or(0);
                return self.function_error(txn, ProtocolError::LENGTH_MISMATCH);
            }
        };
        let txn = packet.transaction_id();
        let ty = packet.message_type();
        let limit = self.open.unwrap_or(MAX_CONTROL_MESSAGE);
        if transfer.len() > limit {
            return self.function_error(txn, ProtocolError::MAX_TRANSFER);
        }
        if packet.message_length() as usize != transfer.len() {
            return self.function_error(txn, ProtocolError::LENGTH_MISMATCH);
        }
        let whole = if ty == MessageType::COMMAND {
            if self.open.is_none() {
                return self.function_error(txn, ProtocolError::NOT_OPENED);
            }
            match self.reassembler.push(&packet, now) {
                Ok(Reassembly::Whole(b)) => b,
                Ok(Reassembly::Pending) => return,
                Err(r) => return self.function_error(r.txn, r.error),
            }
        } else {
            transfer.to_vec()
        };
        match Message::parse(&whole) {
            Ok(m) => self.dispatch(m, dev, now),
            Err(_) if is_host_type(ty) => self.function_error(txn, ProtocolError::LENGTH_MISMATCH),
            Err(_) => self.function_error(txn, ProtocolError::UNKNOWN),
        }
    }

    /// Drops a fragmented message the host stopped sending.
    fn expire(&mut self, now: Instant) {
        if let Some(r) = self.reassembler.expire(now) {
            self.function_error(r.txn, r.error);
        }
    }

    fn dispatch(&mut self, m: Message, dev: &mut Device, now: Instant) {
        match m {
            Message::Open {
                txn,
                max_control_transfer,
            } => {
                let max = (max_control_transfer as usize).min(MAX_CONTROL_MESSAGE);
                if max < MIN_CONTROL_TRANSFER {
                    return self.send(Message::OpenDone {
                        txn,
                        status: Status::INVALID_PARAMETERS,
                    });
                }
                // A second OPEN starts a fresh session, as after a host
                // driver reload.
                self.reassembler.clear();
                self.basic.close();
                self.open = Some(max);
                self.send(Message::OpenDone {
                    txn,
                    status: Status::SUCCESS,
                });
            }
            Message::Close { txn } => {
                self.send(Message::CloseDone {
                    txn,
                    status: Status::SUCCESS,
                });
                self.open = None;
                self.reassembler.clear();
                self.basic.close();
            }
            Message::Command {
                txn,
                service,
                cid,
                command_type,
                info,
            } => {
                let done = match command_type {
                    CommandType::QUERY | CommandType::SET => {
                        let set = command_type == CommandType::SET;
                        if service == Uuid::BASIC_CONNECT {
                            self.basic.command(cid, set, &info, dev, now)
                        } else if !services::serves(dev, &service, cid) {
                            Done::fail(Status::NO_DEVICE_SUPPORT)
                        } else if service == Uuid::SMS {
                            sms::command(cid, set, &info, dev, now)
                        } else if set {
                            // QMI's MSG: the engine answers it (`qmi_done`).
                            if self.qmi_in.len() >= MAX_PENDING {
                                self.qmi_in.pop_front();
                                self.stats.dropped_output += 1;
                            }
                            self.qmi_in.push_back((txn, info));
                            return;
                        } else {
                            Done::fail(Status::INVALID_PARAMETERS)
                        }
                    }
                    _ => Done::fail(Status::INVALID_PARAMETERS),
                };
                self.send(Message::CommandDone {
                    txn,
                    service,
                    cid,
                    status: done.status,
                    info: done.info,
                });
            }
            // The host reports a problem with something we sent; nothing
            // is owed in reply.
            Message::HostError { .. } => self.stats.host_errors += 1,
            // Device-to-host types coming from the host.
            other => self.function_error(other.transaction_id(), ProtocolError::UNKNOWN),
        }
    }

    /// Turns a model change into the indications the host subscribed to.
    pub fn on_event(&mut self, ev: &DeviceEvent, dev: &Device) {
        if self.open.is_none() {
            return;
        }
        for (cid, info) in self.basic.indications(ev, dev) {
            self.send(Message::IndicateStatus {
                txn: 0,
                service: Uuid::BASIC_CONNECT,
                cid,
                info,
            });
        }
        if let DeviceEvent::Sms(e) = ev {
            for (cid, info) in sms::indications(e, dev) {
                if self.basic.subscribed_to(&Uuid::SMS, cid) {
                    self.send(Message::IndicateStatus {
                        txn: 0,
                        service: Uuid::SMS,
                        cid,
                        info,
                    });
                }
            }
        }
    }

    /// The next QMUX frame a host sent through the QMI service, with the
    /// transaction its answer goes back in.
    pub fn take_qmi(&mut self) -> Option<(u32, Vec<u8>)> {
        self.qmi_in.pop_front()
    }

    /// The QMI engine's answer to the frame of transaction `txn`:
    /// COMMAND_DONE carrying the QMUX response; without one (the frame
    /// was too broken to address an answer), INVALID_PARAMETERS.
    pub fn qmi_done(&mut self, txn: u32, response: Option<Vec<u8>>) {
        let (status, info) = match response {
            Some(frame) => (Status::SUCCESS, frame),
            None => (Status::INVALID_PARAMETERS, Vec::new()),
        };
        self.send(Message::CommandDone {
            txn,
            service: Uuid::QMI,
            cid: services::QMI_MSG,
            status,
            info,
        });
    }

    /// A QMI indication for a client the host allocated through the QMI
    /// service: an INDICATE_STATUS, if the channel is open and the host
    /// subscribed to it.
    pub fn qmi_indication(&mut self, frame: Vec<u8>) {
        if self.open.is_some() && self.basic.subscribed_to(&Uuid::QMI, services::QMI_MSG) {
            self.send(Message::IndicateStatus {
                txn: 0,
                service: Uuid::QMI,
                cid: services::QMI_MSG,
                info: frame,
            });
        }
    }

    fn function_error(&mut self, txn: u32, error: ProtocolError) {
        self.stats.function_errors += 1;
        self.send(Message::FunctionError { txn, error });
    }

    fn send(&mut self, m: Message) {
        let max = self.open.unwrap_or(MAX_CONTROL_MESSAGE);
        for t in fragment::split(&m.to_bytes(), max) {
            if self.out.len() >= MAX_PENDING {
                self.out.pop_front();
                self.stats.dropped_output += 1;
            }
            self.out.push_back(t);
        }
    }

    /// The next transfer for the host.
    pub fn poll(&mut self) -> Option<Vec<u8>> {
        self.out.pop_front()
    }

    pub fn pending(&self) -> usize {
        self.out.len()
    }
}

fn is_host_type(t: MessageType) -> bool {
    matches!(
        t,
        MessageType::OPEN | MessageType::CLOSE | MessageType::COMMAND | MessageType::HOST_ERROR
    )
}
