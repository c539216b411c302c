//! The engine: QMUX frames and time in; QMUX frames and events out.

mod inject;
mod lifecycle;
mod observe;
mod qmi_over_mbim;

pub use lifecycle::{Happening, LeaveCause, Personality, Record, ResetCause};

use crate::fault::{Mangle, StalledEndpoint};
use crate::model::{DataStats, Device, Phase, Profile, BOOT_TIME};
use crate::qmi::ctl::CtlCtx;
use crate::qmi::{self, ClientTable, Ctx, Failure, Indication, Req, Service, Tlvs};
use crate::serial::{SerialPort, SerialPorts};
use crate::time::Instant;
use crate::wire::qmi::{Message, MessageKind, Salvage, TLV_RESULT};
use crate::wire::qmux::Sender;
use crate::wire::tlv::Tlv;
use crate::wire::{MessageId, ProtocolError, ServiceId};
use inject::FaultState;
use lifecycle::Life;
use std::collections::VecDeque;

/// Frames waiting for the host beyond this are dropped, oldest first, so a
/// host that never reads cannot grow memory without bound.
pub const MAX_PENDING_FRAMES: usize = 512;

/// Most deadlines `handle_timeout` works through in one call; a caller
/// that sleeps for ages catches up over several calls.
const MAX_STEPS: usize = 100_000;

/// Something the transport must act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Drop off the bus now (a USB transport unbinds; a pty stays open but
    /// the engine no longer answers). When `cause.answers_first()`, let the
    /// host read what is queued before going.
    LeaveBus { cause: LeaveCause },
    /// Enumerate (again) as `personality`: after a reset's down time, a
    /// reconnect, or the failsafe's switch to the boot loader.
    ReturnToBus { personality: Personality },
}

/// Counters for what the engine could not serve.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub requests: u64,
    /// Frames too broken to answer (no readable QMUX/QMI header).
    pub unanswerable: u64,
    /// Frames that arrived while the firmware was rebooting, away from
    /// the bus or in the boot loader, or on a stalled endpoint.
    pub ignored_while_booting: u64,
    /// Frames dropped because the host did not read them.
    pub dropped_output: u64,
    /// Messages too long for QMI's 16-bit lengths: a response became an
    /// `Internal` error, an indication was dropped.
    pub unencodable: u64,
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
    life: Life,
    faults: FaultState,
    stats: Stats,
    indications: Vec<Indication>,
    serial: SerialPorts,
    mbim: crate::mbim::Function,
    tunnel: qmi_over_mbim::Tunnel,
    /// The boot loader's download port, while the boot loader runs.
    bootloader: Option<crate::serial::download::DownloadPort>,
    /// What the host does, for the event log.
    observer: observe::HostObserver,
}

impl Modem {
    pub fn new(profile: Profile, seed: u64, now: Instant) -> Modem {
        Modem {
            net: crate::net::PacketNetwork::default(),
            faults: FaultState::new(seed, now),
            life: Life::Running,
            device: Device::new(profile, seed, now),
            clients: ClientTable::default(),
            ctl: qmi::Ctl::default(),
            services: qmi::em7305_services(),
            out: VecDeque::new(),
            events: VecDeque::new(),
            stats: Stats::default(),
            indications: Vec::new(),
            serial: SerialPorts::default(),
            mbim: crate::mbim::Function::default(),
            tunnel: Default::default(),
            bootloader: None,
            observer: observe::HostObserver::default(),
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
    /// Off the bus rebooting (a reset's down time).
    pub fn is_booting(&self) -> bool {
        matches!(self.life, Life::Down { .. })
    }

    /// Takes one QMUX frame from the host (one cdc-wdm transfer).
    pub fn handle_qmi(&mut self, frame: &[u8], now: Instant) {
        self.handle_timeout(now);
        if self.life != Life::Running {
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
        self.observe_qmi(&msg, reply.is_ok(), now);
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
        let mut follow = Vec::new();
        for svc in self.services.iter_mut() {
            svc.settle(&mut self.device);
            svc.follow_ups(&mut self.indications);
            let id = svc.id();
            for ind in self.indications.drain(..) {
                if self.clients.contains(id, ind.client) {
                    follow.push((id, ind));
                }
            }
        }
        for (service, ind) in follow {
            self.send(Message {
                sender: Sender::Modem,
                service,
                client: ind.client,
                kind: MessageKind::Indication,
                txn: 0,
                id: MessageId(ind.id),
                tlvs: ind.tlvs.0,
            });
        }
        if self.device.reset_requested {
            self.reset(now);
        }
        self.flush_events();
        self.sync_power(now);
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
            let ids: Vec<u16> = svc.messages().iter().map(|m| m.id).collect();
            return Ok(supported_messages(&ids));
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
        let mut m = Message {
            sender: Sender::Modem,
            service,
            client,
            kind: MessageKind::Response,
            txn,
            id,
            tlvs,
        };
        if m.encode().is_err() {
            // Too long for QMI's 16-bit lengths: the host gets an error it
            // can read instead of a frame whose headers disagree.
            self.stats.unencodable += 1;
            let mut result = Vec::with_capacity(4);
            result.extend_from_slice(&1u16.to_le_bytes());
            result.extend_from_slice(&ProtocolError::Internal.0.to_le_bytes());
            m.tlvs = vec![Tlv::new(TLV_RESULT, result)];
        }
        // A `Fault::Responses` in force changes what the host gets.
        match self.faults.take_mangle() {
            None => self.send(m),
            Some(Mangle::Drop) => {}
            Some(Mangle::Duplicate) => {
                self.send(m.clone());
                self.send(m);
            }
            Some(Mangle::Truncate) => {
                if let Ok(mut b) = m.encode() {
                    b.truncate(b.len() / 2);
                    self.push_out(b);
                }
            }
            Some(Mangle::WrongTxn) => {
                // Hosts count up from 1: the top bit is one they never used.
                m.txn ^= if service == ServiceId::Ctl {
                    0x80
                } else {
                    0x8000
                };
                self.send(m);
            }
            Some(Mangle::Delay { by }) => {
                let at = self.faults.now + by;
                if let Ok(b) = m.encode() {
                    self.faults.delayed.push((at, b));
                }
            }
        }
    }

    /// Queues a message; one that cannot be encoded is dropped and counted
    /// (`Stats::unencodable`), never sent with wrapped lengths.
    fn send(&mut self, m: Message) {
        match m.encode() {
            Ok(b) => self.push_out(b),
            Err(_) => self.stats.unencodable += 1,
        }
    }

    /// Queues a frame for the host; nothing reaches a host that is away.
    fn push_out(&mut self, frame: Vec<u8>) {
        if !self.life.on_bus() {
            return;
        }
        let Some(frame) = self.route_over_mbim(frame) else {
            return;
        };
        if self.out.len() >= MAX_PENDING_FRAMES {
            self.out.pop_front();
            self.stats.dropped_output += 1;
        }
        self.out.push_back(frame);
    }

    /// The host asked for a reset: clients, bearers and SIM verification
    /// are lost; the module comes back after the fixed `BOOT_TIME`.
    fn reset(&mut self, now: Instant) {
        self.reset_with(now, ResetCause::HostRequest, BOOT_TIME);
    }

    /// Tells the power model what the radio is doing now.
    fn sync_power(&mut self, now: Instant) {
        let phase = match self.life {
            Life::Running | Life::Disconnected { .. } => self.device.power_phase(),
            Life::BootLoader => Phase::LowPower,
            Life::Down { .. } | Life::Crashed => Phase::Off,
        };
        let before = self.device.power.load_state(now);
        self.device.power.set_phase(phase, now);
        let after = self.device.power.load_state(now);
        if after != before {
            let volts = self.device.power.status(now).volts;
            self.faults.record(
                now,
                Happening::Load {
                    state: after,
                    volts,
                },
            );
        }
    }

    /// The earliest thing due: a boot, a device timer, a supply breakpoint,
    /// a stall's end or a delayed response.
    fn next_deadline(&self) -> Option<Instant> {
        let device = self
            .life
            .firmware_runs()
            .then(|| self.device.poll_at())
            .flatten();
        let net = self
            .life
            .firmware_runs()
            .then(|| self.net.poll_at())
            .flatten();
        [
            self.life.deadline(),
            device,
            net,
            self.device.power.poll_at(),
            self.faults.deadline(),
            self.observer.deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Everything due at `t`, in order.
    fn step(&mut self, t: Instant) {
        self.faults.now = self.faults.now.max(t);
        if let Some(at) = self.device.power.advance(t) {
            self.brownout(at);
            return;
        }
        self.lifecycle_due(t);
        if self.life.firmware_runs() {
            self.device.handle_timeout(t);
            self.net.handle_timeout(t);
        }
        self.faults_due(t);
        self.observe_windows(t, false);
        self.flush_events();
        self.sync_power(t);
    }

    /// Turns model events into indications for the clients that asked.
    fn flush_events(&mut self) {
        let events: Vec<_> = self.device.drain_events().collect();
        for ev in &events {
            if let Some(h) = Happening::of(ev, &self.device) {
                self.faults.record(self.faults.now, h);
            }
            self.serial.on_event(ev, &self.device);
            self.mbim.on_event(ev, &self.device);
            let mut frames = Vec::new();
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
                        match m.encode() {
                            Ok(b) => frames.push(b),
                            Err(_) => self.stats.unencodable += 1,
                        }
                    }
                }
            }
            for f in frames {
                self.push_out(f);
            }
        }
    }

    /// Advances simulated time. Whatever fell due since the last call
    /// happens at its own time, not at `now`, so results do not depend on
    /// how late the caller is.
    pub fn handle_timeout(&mut self, now: Instant) {
        for _ in 0..MAX_STEPS {
            match self.next_deadline() {
                Some(t) if t <= now => self.step(t),
                _ => break,
            }
        }
        self.step(now);
        if self.life.firmware_runs() {
            self.serial.handle_timeout(now, &self.device);
        }
    }

    /// When `handle_timeout` should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let serial = self
            .life
            .firmware_runs()
            .then(|| self.serial.poll_at())
            .flatten();
        [self.next_deadline(), serial].into_iter().flatten().min()
    }

    /// Takes bytes the host wrote to a serial port (a bulk OUT transfer or
    /// a read from a pty). A rebooting firmware does not hear them.
    pub fn handle_serial(&mut self, port: SerialPort, bytes: &[u8], now: Instant) {
        self.serial_in(port, bytes, now, false);
    }

    /// Like [`Modem::handle_serial`], but takes only what the port can
    /// answer without dropping output, as a bulk OUT endpoint NAKs while
    /// the device's buffers are full; returns the bytes taken. The
    /// transport offers the rest again once the host has read.
    pub fn offer_serial(&mut self, port: SerialPort, bytes: &[u8], now: Instant) -> usize {
        self.serial_in(port, bytes, now, true)
    }

    fn serial_in(&mut self, port: SerialPort, bytes: &[u8], now: Instant, bounded: bool) -> usize {
        self.handle_timeout(now);
        if self.life == Life::BootLoader && port == SerialPort::Download {
            self.observe_download(bytes.len(), now);
            self.handle_download(bytes, now);
            return bytes.len();
        }
        if self.life != Life::Running || port == SerialPort::Download {
            self.stats.ignored_while_booting += 1;
            return bytes.len();
        }
        let taken = if bounded {
            self.serial.offer(port, bytes, &mut self.device, now)
        } else {
            self.serial.handle(port, bytes, &mut self.device, now);
            bytes.len()
        };
        self.flush_events();
        if self.device.reset_requested {
            self.reset(now);
        }
        self.flush_events();
        self.sync_power(now);
        taken
    }

    /// Takes one MBIM control transfer from the host (an MBIM
    /// composition's SEND_ENCAPSULATED_COMMAND), on the same device as QMI.
    pub fn handle_mbim(&mut self, transfer: &[u8], now: Instant) {
        self.handle_timeout(now);
        if self.life != Life::Running {
            self.stats.ignored_while_booting += 1;
            return;
        }
        self.stats.requests += 1;
        self.observe_mbim(transfer, now);
        self.mbim.handle(transfer, &mut self.device, now);
        self.serve_qmi_over_mbim(now);
        if self.device.reset_requested {
            self.reset(now);
        }
        self.flush_events();
        self.sync_power(now);
    }

    /// The host reset the MBIM function (RESET_FUNCTION): it is closed
    /// until the host OPENs it again; the device model is untouched.
    pub fn reset_mbim_function(&mut self) {
        self.mbim.reset();
    }

    /// The next MBIM control transfer for the host.
    pub fn poll_mbim(&mut self) -> Option<Vec<u8>> {
        self.mbim.poll()
    }

    /// The MBIM function, for inspection.
    pub fn mbim(&self) -> &crate::mbim::Function {
        &self.mbim
    }

    /// Bytes for the host on a serial port (held while it is stalled or
    /// the module is off the bus).
    pub fn poll_serial(&mut self, port: SerialPort) -> Option<Vec<u8>> {
        if self.is_stalled(StalledEndpoint::Serial(port)) {
            return None;
        }
        if port == SerialPort::Download {
            return self.bootloader.as_mut()?.poll();
        }
        let bytes = self.serial.poll(port)?;
        // A reset's answer still goes out (the outbox is emptied at the
        // reset itself); a host that is away gets nothing.
        let away = matches!(self.life, Life::Disconnected { .. } | Life::Crashed);
        (!away).then_some(bytes)
    }

    /// The host opened (`true`) or closed a serial port.
    pub fn set_serial_open(&mut self, port: SerialPort, open: bool, now: Instant) {
        match (self.bootloader.as_mut(), port) {
            (Some(dl), SerialPort::Download) => dl.set_open(open),
            (_, SerialPort::Download) => {}
            _ => self.serial.set_open(port, open, now),
        }
    }

    /// The boot loader's download port, while the boot loader runs.
    pub fn download_port(&self) -> Option<&crate::serial::download::DownloadPort> {
        self.bootloader.as_ref()
    }

    /// The serial functions, for inspection.
    pub fn serial(&self) -> &SerialPorts {
        &self.serial
    }

    /// One transfer from the host on the QMI interface's bulk OUT endpoint:
    /// an IP packet (raw IP) or an Ethernet frame (802.3), as WDA set it.
    pub fn handle_data(&mut self, bytes: &[u8], now: Instant) {
        self.handle_timeout(now);
        if self.life != Life::Running || self.is_stalled(StalledEndpoint::DataOut) {
            self.stats.ignored_while_booting += 1;
            return;
        }
        self.observe_data(bytes.len(), now);
        self.net.handle_timeout(now);
        self.net.handle(&self.device, bytes);
        self.device.data_stats = self.net.stats();
    }

    /// One IP datagram from an MBIM NTB's IPS<session> stream. Only the
    /// bearers activated in that session answer it, and their replies
    /// go out in the same session ([`Modem::poll_datagram`]); a datagram
    /// in a session that is not activated is dropped and counted
    /// (`DataStats::inactive_session`).
    pub fn handle_ip_datagram(&mut self, session: u8, datagram: &[u8], now: Instant) {
        self.handle_timeout(now);
        if self.life != Life::Running || self.is_stalled(StalledEndpoint::DataOut) {
            self.stats.ignored_while_booting += 1;
            return;
        }
        self.observe_data(datagram.len(), now);
        self.net.handle_timeout(now);
        let handles = self.mbim.session_bearers(session);
        if handles.is_empty() {
            self.net.drop_inactive_session();
        } else if self
            .device
            .bearers
            .iter()
            .all(|b| handles.contains(&b.handle))
        {
            // One session holds every bearer (the common case): no copy
            // per datagram.
            self.net.handle_ip(session, &self.device.bearers, datagram);
        } else {
            let bearers: Vec<_> = self
                .device
                .bearers
                .iter()
                .filter(|b| handles.contains(&b.handle))
                .cloned()
                .collect();
            self.net.handle_ip(session, &bearers, datagram);
        }
        self.device.data_stats = self.net.stats();
    }

    /// One transfer for the host's bulk IN endpoint.
    pub fn poll_data(&mut self) -> Option<Vec<u8>> {
        self.poll_datagram().map(|(_, p)| p)
    }

    /// One packet for the host with the MBIM data session (IPS stream) it
    /// belongs to; 0 on QMI's bulk path, which has a single stream.
    pub fn poll_datagram(&mut self) -> Option<(u8, Vec<u8>)> {
        if self.is_stalled(StalledEndpoint::DataIn) {
            return None;
        }
        self.net.poll_to_host().map(|t| (t.session, t.packet))
    }

    /// Lets packets bound beyond the simulated network out through
    /// [`Modem::poll_uplink`] (off by default: nothing leaves the modem).
    pub fn set_uplink(&mut self, enabled: bool) {
        self.net.set_uplink(enabled);
    }

    /// One IP packet from the host for the transport to forward.
    pub fn poll_uplink(&mut self) -> Option<Vec<u8>> {
        self.net.poll_uplink()
    }

    /// One IP packet the transport received for the host: delivered through
    /// [`Modem::poll_data`] if a connected bearer owns its destination.
    pub fn handle_downlink(&mut self, packet: &[u8], now: Instant) {
        self.handle_timeout(now);
        let mbim = &self.mbim;
        self.net
            .handle_downlink_routed(&self.device, packet, |h| mbim.session_of(h));
        self.device.data_stats = self.net.stats();
    }

    /// Packets waiting for the host's bulk IN endpoint.
    pub fn pending_data(&self) -> usize {
        self.net.pending()
    }

    /// Counters of the packet data path.
    pub fn data_stats(&self) -> DataStats {
        self.net.stats()
    }

    /// Counters of the DHCP server (802.3 mode).
    pub fn dhcp_stats(&self) -> crate::net::dhcp::DhcpStats {
        self.net.dhcp().stats()
    }

    /// The next frame for the host.
    /// Held while the control endpoint is stalled.
    pub fn poll_qmi(&mut self) -> Option<Vec<u8>> {
        if self.is_stalled(StalledEndpoint::Control) {
            return None;
        }
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
