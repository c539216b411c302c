//! The engine: QMUX frames and time in; QMUX frames and events out.

use crate::model::{Device, Profile, BOOT_TIME};
use crate::qmi::ctl::CtlCtx;
use crate::qmi::{self, ClientTable, Ctx, Failure, Indication, Req, Service, Tlvs};
use crate::serial::{SerialPort, SerialPorts};
use crate::time::Instant;
use crate::wire::qmi::{Message, MessageKind, Salvage, TLV_RESULT};
use crate::wire::qmux::Sender;
use crate::wire::tlv::Tlv;
use crate::wire::{MessageId, ProtocolError, ServiceId};
use std::collections::VecDeque;

/// Frames waiting for the host beyond this are dropped, oldest first, so a
/// host that never reads cannot grow memory without bound.
pub const MAX_PENDING_FRAMES: usize = 512;

/// Something the transport must act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The firmware restarts: a USB transport drops off the bus now.
    Reset,
    /// The firmware is back and serving again.
    Booted,
}

/// Counters for what the engine could not serve.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub requests: u64,
    /// Frames too broken to answer (no readable QMUX/QMI header).
    pub unanswerable: u64,
    /// Frames that arrived while the firmware was rebooting.
    pub ignored_while_booting: u64,
    /// Frames dropped because the host did not read them.
    pub dropped_output: u64,
}

/// A virtual EM7305 speaking QMI.
pub struct Modem {
    net: crate::net::PacketNetwork,
    device: Device,
    clients: ClientTable,
    ctl: qmi::Ctl,
    services: Vec<Box<dyn Service + Send>>,
    out: VecDeque<Vec<u8>>,
    events: VecDeque<Event>,
    booting_until: Option<Instant>,
    stats: Stats,
    indications: Vec<Indication>,
    serial: SerialPorts,
}

impl Modem {
    pub fn new(profile: Profile, seed: u64, now: Instant) -> Modem {
        Modem {
            net: crate::net::PacketNetwork::default(),
            device: Device::new(profile, seed, now),
            clients: ClientTable::default(),
            ctl: qmi::Ctl::default(),
            services: qmi::em7305_services(),
            out: VecDeque::new(),
            events: VecDeque::new(),
            booting_until: None,
            stats: Stats::default(),
            indications: Vec::new(),
            serial: SerialPorts::default(),
        }
    }

    pub fn device(&self) -> &Device {
        &self.device
    }
    pub fn device_mut(&mut self) -> &mut Device {
        &mut self.device
    }
    pub fn clients(&self) -> &ClientTable {
        &self.clients
    }
    pub fn stats(&self) -> Stats {
        self.stats
    }
    pub fn is_booting(&self) -> bool {
        self.booting_until.is_some()
    }

    /// Takes one QMUX frame from the host (one cdc-wdm transfer).
    pub fn handle_qmi(&mut self, frame: &[u8], now: Instant) {
        self.handle_timeout(now);
        if self.booting_until.is_some() {
            self.stats.ignored_while_booting += 1;
            return;
        }
        self.stats.requests += 1;
        let msg = match Message::parse(frame) {
            Ok(m) => m,
            Err(_) => {
                match Salvage::from_frame(frame) {
                    Some(s) => self.respond(
                        s.service,
                        s.client,
                        s.txn,
                        s.id,
                        Err(ProtocolError::MalformedMessage.into()),
                    ),
                    None => self.stats.unanswerable += 1,
                }
                return;
            }
        };
        if msg.sender != Sender::Host || msg.kind != MessageKind::Request {
            self.stats.unanswerable += 1;
            return;
        }
        let reply = self.dispatch(&msg, now);
        let synced = msg.service == ServiceId::Ctl && msg.id.0 == qmi::ctl::SYNC && reply.is_ok();
        self.respond(msg.service, msg.client, msg.txn, msg.id, reply);
        if synced {
            // After a Sync the firmware announces it to every CTL listener.
            self.send(Message {
                sender: Sender::Modem,
                service: ServiceId::Ctl,
                client: 0,
                kind: MessageKind::Indication,
                txn: 0,
                id: MessageId(qmi::ctl::SYNC),
                tlvs: vec![],
            });
        }
        for svc in self.services.iter_mut() {
            svc.settle(&mut self.device);
        }
        if self.device.reset_requested {
            self.reset(now);
        }
        self.flush_events();
    }

    fn dispatch(&mut self, msg: &Message, now: Instant) -> Result<Tlvs, Failure> {
        let req = Req::new(msg);
        if msg.service == ServiceId::Ctl {
            let mut cx = CtlCtx {
                device: &mut self.device,
                clients: &mut self.clients,
                services: &mut self.services,
            };
            return self.ctl.handle(&req, &mut cx);
        }
        let Some(svc) = self.services.iter_mut().find(|s| s.id() == msg.service) else {
            return Err(ProtocolError::InvalidServiceType.into());
        };
        if !self.clients.contains(msg.service, msg.client) {
            return Err(ProtocolError::InvalidClientId.into());
        }
        if msg.id.0 == qmi::GET_SUPPORTED_MESSAGES {
            return Ok(supported_messages(svc.supported()));
        }
        if !svc.supported().contains(&msg.id.0) {
            return Err(ProtocolError::InvalidQmiCommand.into());
        }
        let mut ctx = Ctx {
            dev: &mut self.device,
            now,
            client: msg.client,
        };
        svc.handle(&req, &mut ctx)
    }

    fn respond(
        &mut self,
        service: ServiceId,
        client: u8,
        txn: u16,
        id: MessageId,
        reply: Result<Tlvs, Failure>,
    ) {
        let (status, error, rest) = match reply {
            Ok(t) => (0u16, ProtocolError::None, t),
            Err(f) => (1u16, f.error, f.tlvs),
        };
        let mut result = Vec::with_capacity(4);
        result.extend_from_slice(&status.to_le_bytes());
        result.extend_from_slice(&error.0.to_le_bytes());
        let mut tlvs = Vec::with_capacity(rest.0.len() + 1);
        tlvs.push(Tlv::new(TLV_RESULT, result));
        tlvs.extend(rest.0);
        self.send(Message {
            sender: Sender::Modem,
            service,
            client,
            kind: MessageKind::Response,
            txn,
            id,
            tlvs,
        });
    }

    fn send(&mut self, m: Message) {
        if self.out.len() >= MAX_PENDING_FRAMES {
            self.out.pop_front();
            self.stats.dropped_output += 1;
        }
        self.out.push_back(m.to_bytes());
    }

    /// The firmware restarts: clients, bearers and SIM verification are lost.
    fn reset(&mut self, now: Instant) {
        for s in self.services.iter_mut() {
            for &c in self.clients.clients(s.id()) {
                s.client_removed(c);
            }
        }
        self.clients.clear();
        self.device.reboot(now);
        self.net.clear();
        self.serial.reset();
        self.booting_until = Some(now + BOOT_TIME);
        self.events.push_back(Event::Reset);
    }

    /// Turns model events into indications for the clients that asked.
    fn flush_events(&mut self) {
        let events: Vec<_> = self.device.drain_events().collect();
        for ev in &events {
            self.serial.on_event(ev, &self.device);
            for svc in self.services.iter_mut() {
                svc.indications(ev, &self.device, &mut self.indications);
                let id = svc.id();
                for ind in self.indications.drain(..) {
                    let targets: Vec<u8> = if ind.client == qmi::BROADCAST {
                        vec![qmi::BROADCAST]
                    } else if self.clients.contains(id, ind.client) {
                        vec![ind.client]
                    } else {
                        vec![]
                    };
                    for client in targets {
                        let m = Message {
                            sender: Sender::Modem,
                            service: id,
                            client,
                            kind: MessageKind::Indication,
                            txn: 0,
                            id: MessageId(ind.id),
                            tlvs: ind.tlvs.0.clone(),
                        };
                        if self.out.len() >= MAX_PENDING_FRAMES {
                            self.out.pop_front();
                            self.stats.dropped_output += 1;
                        }
                        self.out.push_back(m.to_bytes());
                    }
                }
            }
        }
    }

    /// Advances simulated time.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(t) = self.booting_until {
            if now < t {
                return;
            }
            self.booting_until = None;
            self.events.push_back(Event::Booted);
        }
        self.device.handle_timeout(now);
        self.flush_events();
        self.serial.handle_timeout(now, &self.device);
    }

    /// When `handle_timeout` should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.booting_until {
            Some(t) => Some(t),
            None => match (self.device.poll_at(), self.serial.poll_at()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        }
    }

    /// Takes bytes the host wrote to a serial port (a bulk OUT transfer or
    /// a read from a pty). A rebooting firmware does not hear them.
    pub fn handle_serial(&mut self, port: SerialPort, bytes: &[u8], now: Instant) {
        self.handle_timeout(now);
        if self.booting_until.is_some() {
            self.stats.ignored_while_booting += 1;
            return;
        }
        self.serial.handle(port, bytes, &mut self.device, now);
        self.flush_events();
        if self.device.reset_requested {
            self.reset(now);
        }
        self.flush_events();
    }

    /// Bytes for the host on a serial port.
    pub fn poll_serial(&mut self, port: SerialPort) -> Option<Vec<u8>> {
        self.serial.poll(port)
    }

    /// The host opened (`true`) or closed a serial port.
    pub fn set_serial_open(&mut self, port: SerialPort, open: bool, now: Instant) {
        self.serial.set_open(port, open, now);
    }

    /// The serial functions, for inspection.
    pub fn serial(&self) -> &SerialPorts {
        &self.serial
    }

    /// One transfer from the host on the QMI interface's bulk OUT endpoint:
    /// an IP packet (raw IP) or an Ethernet frame (802.3), as WDA set it.
    pub fn handle_data(&mut self, bytes: &[u8], now: Instant) {
        self.handle_timeout(now);
        if self.booting_until.is_some() {
            self.stats.ignored_while_booting += 1;
            return;
        }
        self.net.handle(&self.device, bytes);
        self.device.data_stats = self.net.stats();
    }

    /// One transfer for the host's bulk IN endpoint.
    pub fn poll_data(&mut self) -> Option<Vec<u8>> {
        self.net.poll()
    }

    /// Packets waiting for the host's bulk IN endpoint.
    pub fn pending_data(&self) -> usize {
        self.net.pending()
    }

    /// Counters of the packet data path.
    pub fn data_stats(&self) -> crate::net::DataStats {
        self.net.stats()
    }

    /// The next frame for the host.
    pub fn poll_qmi(&mut self) -> Option<Vec<u8>> {
        self.out.pop_front()
    }

    /// Frames waiting for the host.
    pub fn pending(&self) -> usize {
        self.out.len()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }
}

/// Get Supported Messages: TLV 0x10, a u16 byte count then a bitmap in
/// which bit N marks message ID N.
fn supported_messages(ids: &[u16]) -> Tlvs {
    let mut list = ids.to_vec();
    list.push(qmi::GET_SUPPORTED_MESSAGES);
    let max = list.iter().copied().max().unwrap_or(0) as usize;
    let mut bits = vec![0u8; max / 8 + 1];
    for id in list {
        bits[id as usize / 8] |= 1 << (id % 8);
    }
    let mut t = Tlvs::new();
    t.with(0x10, |w| {
        w.u16(bits.len() as u16).bytes(&bits);
    });
    t
}
