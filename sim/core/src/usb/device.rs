//! A USB device independent of how the bus is reached: EP0 with the
//! chapter-9 standard requests answered from the personality's
//! descriptors, the class requests of the module's interfaces, and URB
//! queues per endpoint.
//!
//! IN URBs wait until the device has data for their endpoint (an idle
//! interrupt endpoint keeps its URB for as long as the host leaves it);
//! OUT URBs complete at once and what they carried is handed to the
//! engine through [`UsbDevice::poll_host`]. A transport (USB/IP today)
//! turns URBs into [`Urb`]s and [`Completion`]s into its own replies.

use super::ncm::NcmFunction;
use super::personality::{PortRole, TransferKind, UsbPersonality};
use super::setup::{Direction, Setup};
use super::wdm::{
    ControlReply, WdmChannel, GET_ENCAPSULATED_RESPONSE, SEND_ENCAPSULATED_COMMAND,
    SET_CONTROL_LINE_STATE,
};
use crate::usb::descriptors;
use crate::wire::ntb::Stream;
use std::collections::{BTreeMap, HashSet, VecDeque};

// Standard requests (USB 2.0 table 9-4).
const GET_STATUS: u8 = 0;
const CLEAR_FEATURE: u8 = 1;
const SET_FEATURE: u8 = 3;
const SET_ADDRESS: u8 = 5;
const GET_DESCRIPTOR: u8 = 6;
const GET_CONFIGURATION: u8 = 8;
const SET_CONFIGURATION: u8 = 9;
const GET_INTERFACE: u8 = 10;
const SET_INTERFACE: u8 = 11;
// Feature selectors.
const ENDPOINT_HALT: u16 = 0;
const DEVICE_REMOTE_WAKEUP: u16 = 1;

/// Chunks kept per IN endpoint for a host that does not read; beyond this
/// the oldest is dropped so memory stays bounded.
pub const MAX_IN_QUEUE: usize = 1024;

/// How a URB ended, in USB terms; transports map it to their errno.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrbStatus {
    Ok,
    /// STALL handshake (EP0 request error or halted endpoint).
    Stall,
    /// The data did not fit the URB's buffer.
    Overflow,
}

/// A transfer request from the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Urb {
    /// The host's handle for it (USB/IP seqnum).
    pub id: u32,
    /// Endpoint address, bit 7 set for IN; 0x00/0x80 is EP0.
    pub endpoint: u8,
    /// SETUP packet, meaningful on EP0 only.
    pub setup: [u8; 8],
    /// Buffer length the host offers (IN) or sends (OUT).
    pub length: u32,
    /// OUT data.
    pub data: Vec<u8>,
}

/// A finished URB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub id: u32,
    pub status: UrbStatus,
    /// IN data.
    pub data: Vec<u8>,
    /// Bytes transferred (for OUT: bytes taken).
    pub actual_length: u32,
}

/// What the host sent, for the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostTraffic {
    /// SEND_ENCAPSULATED_COMMAND on the QMI interface.
    Control(Vec<u8>),
    /// SEND_ENCAPSULATED_COMMAND on the MBIM communication interface.
    MbimControl(Vec<u8>),
    /// The host selected alternate setting `alternate` of the interface of
    /// `role` (MBIM data: 0 stops the data function, 1 starts it afresh).
    AltSetting { role: PortRole, alternate: u8 },
    /// One IP datagram of MBIM session `session`, out of an NTB.
    Datagram { session: u8, data: Vec<u8> },
    /// RESET_FUNCTION on the MBIM interface: the control function goes
    /// back to its initial, closed state (the host OPENs again).
    MbimReset,
    /// Bulk OUT data on an interface (serial bytes, or QMI data packets).
    Bulk { role: PortRole, data: Vec<u8> },
    /// SET_CONTROL_LINE_STATE (DTR) on a serial interface: the tty opened or closed.
    LineState { role: PortRole, open: bool },
}

#[derive(Debug, Clone, Copy)]
struct Endpoint {
    role: PortRole,
    kind: TransferKind,
    interface: u8,
    /// The alternate setting of `interface` the endpoint belongs to.
    alternate: u8,
}

#[derive(Debug)]
pub struct UsbDevice {
    personality: UsbPersonality,
    /// Endpoints of the selected configuration (of the first before the
    /// host selects one), over all alternate settings.
    endpoints: BTreeMap<u8, Endpoint>,
    /// The selected alternate setting per interface.
    alternates: BTreeMap<u8, u8>,
    wdm: WdmChannel,
    /// The role of the configuration's encapsulated control channel.
    control_role: Option<PortRole>,
    /// The NCM side of an MBIM configuration: class requests and NTBs.
    ncm: Option<NcmFunction>,
    max_command: usize,
    configuration: u8,
    remote_wakeup: bool,
    halted: HashSet<u8>,
    /// IN URBs waiting for data: (id, buffer length), per endpoint.
    pending: BTreeMap<u8, VecDeque<(u32, u32)>>,
    /// Device data waiting for IN URBs, per endpoint.
    in_data: BTreeMap<u8, VecDeque<Vec<u8>>>,
    completions: VecDeque<Completion>,
    host: VecDeque<HostTraffic>,
    dropped: u64,
}

impl UsbDevice {
    /// `max_command`: the wMaxCommand of the control channel (4096 for
    /// qmi_wwan, and the MBIM function's wMaxControlMessage).
    pub fn new(personality: UsbPersonality, max_command: usize) -> Self {
        let mut d = UsbDevice {
            personality,
            endpoints: BTreeMap::new(),
            alternates: BTreeMap::new(),
            wdm: WdmChannel::new(0xff, max_command),
            control_role: None,
            ncm: None,
            max_command,
            configuration: 0,
            remote_wakeup: false,
            halted: HashSet::new(),
            pending: BTreeMap::new(),
            in_data: BTreeMap::new(),
            completions: VecDeque::new(),
            host: VecDeque::new(),
            dropped: 0,
        };
        let first = d.personality.configurations.first().map_or(0, |c| c.value);
        d.load_configuration(first);
        d
    }

    /// Endpoints, alternates and control channel of configuration `value`.
    fn load_configuration(&mut self, value: u8) {
        self.endpoints.clear();
        self.alternates.clear();
        let Some(c) = self.personality.configuration(value) else {
            return;
        };
        for i in &c.interfaces {
            self.alternates.insert(i.number, 0);
            for e in &i.endpoints {
                self.endpoints.insert(
                    e.address,
                    Endpoint {
                        role: i.role,
                        kind: e.kind,
                        interface: i.number,
                        alternate: i.alternate,
                    },
                );
            }
        }
        let control = c
            .interfaces
            .iter()
            .find(|i| matches!(i.role, PortRole::Qmi | PortRole::Mbim));
        self.control_role = control.map(|i| i.role);
        self.ncm = control
            .filter(|i| i.role == PortRole::Mbim)
            .map(|i| NcmFunction::new(i.number));
        self.wdm = WdmChannel::new(control.map_or(0xff, |i| i.number), self.max_command);
    }

    /// The NCM function of an MBIM configuration, for inspection.
    pub fn ncm(&self) -> Option<&NcmFunction> {
        self.ncm.as_ref()
    }

    /// One IP datagram for the host in MBIM session `session`, packed into
    /// the next NTB. False if there is no MBIM function or its IN queue
    /// refused it (counted in its stats).
    pub fn queue_datagram(&mut self, session: u8, datagram: Vec<u8>) -> bool {
        match &mut self.ncm {
            Some(n) => n.send(Stream::Ip(session), datagram).is_ok(),
            None => false,
        }
    }

    /// The role of the encapsulated control channel (QMI or MBIM) of the
    /// selected configuration, or of the first before one is selected.
    pub fn control_role(&self) -> Option<PortRole> {
        self.control_role
    }

    pub fn personality(&self) -> &UsbPersonality {
        &self.personality
    }

    /// bConfigurationValue the host selected (0: unconfigured).
    pub fn configuration(&self) -> u8 {
        self.configuration
    }

    /// The CDC-WDM channel of the QMI interface.
    pub fn wdm(&mut self) -> &mut WdmChannel {
        &mut self.wdm
    }

    /// IN chunks dropped because the host did not read them.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The transfer type of endpoint `address` in the current configuration.
    pub fn endpoint_kind(&self, address: u8) -> Option<TransferKind> {
        self.endpoints.get(&address).map(|e| e.kind)
    }

    /// The address of the IN endpoint of `kind` on the interface of `role`.
    pub fn in_endpoint(&self, role: PortRole, kind: TransferKind) -> Option<u8> {
        self.endpoints
            .iter()
            .find(|(a, e)| **a & 0x80 != 0 && e.role == role && e.kind == kind)
            .map(|(a, _)| *a)
    }

    /// Device data for the host on the IN endpoint of `kind` on `role`'s
    /// interface. Returns false when there is no such endpoint.
    pub fn queue_in(&mut self, role: PortRole, kind: TransferKind, data: Vec<u8>) -> bool {
        let Some(ep) = self.in_endpoint(role, kind) else {
            return false;
        };
        let q = self.in_data.entry(ep).or_default();
        if q.len() >= MAX_IN_QUEUE {
            q.pop_front();
            self.dropped += 1;
        }
        q.push_back(data);
        true
    }

    /// Chunks and bytes waiting for the host on the IN endpoint of `kind`
    /// on `role`'s interface.
    pub fn queued_in(&self, role: PortRole, kind: TransferKind) -> (usize, usize) {
        self.in_endpoint(role, kind)
            .and_then(|ep| self.in_data.get(&ep))
            .map_or((0, 0), |q| (q.len(), q.iter().map(Vec::len).sum()))
    }

    /// A new URB from the host.
    pub fn submit(&mut self, urb: Urb) {
        let ep = urb.endpoint;
        if ep & 0x7f == 0 {
            let c = self.control(urb);
            self.completions.push_back(c);
            return;
        }
        let known = self.endpoints.get(&ep).copied();
        let Some(e) = known.filter(|e| {
            self.configuration != 0
                && !self.halted.contains(&ep)
                && self.alternates.get(&e.interface) == Some(&e.alternate)
        }) else {
            self.completions
                .push_back(done(urb.id, UrbStatus::Stall, Vec::new(), 0));
            return;
        };
        if ep & 0x80 != 0 {
            self.pending
                .entry(ep)
                .or_default()
                .push_back((urb.id, urb.length));
        } else {
            let n = urb.data.len() as u32;
            match (e.role, &mut self.ncm) {
                // An NTB: its datagrams go on; a malformed one is dropped
                // whole and counted, as a real function drops it.
                (PortRole::MbimData, Some(ncm)) => {
                    if let Ok(p) = ncm.receive(&urb.data) {
                        for d in p.datagrams() {
                            if let Stream::Ip(session) = d.stream {
                                self.host.push_back(HostTraffic::Datagram {
                                    session,
                                    data: d.payload.to_vec(),
                                });
                            }
                        }
                    }
                }
                _ => self.host.push_back(HostTraffic::Bulk {
                    role: e.role,
                    data: urb.data,
                }),
            }
            self.completions
                .push_back(done(urb.id, UrbStatus::Ok, Vec::new(), n));
        }
    }

    /// The host cancels URB `id`. True if it was still pending (it is now
    /// gone and will never complete); false if it already completed or
    /// was never seen.
    pub fn unlink(&mut self, id: u32) -> bool {
        for q in self.pending.values_mut() {
            if let Some(i) = q.iter().position(|(u, _)| *u == id) {
                q.remove(i);
                return true;
            }
        }
        // A completion not yet handed to the transport is withdrawn too:
        // the host gave up on it.
        if let Some(i) = self.completions.iter().position(|c| c.id == id) {
            self.completions.remove(i);
            return true;
        }
        false
    }

    /// The next finished URB.
    pub fn poll_completion(&mut self) -> Option<Completion> {
        if let Some(c) = self.completions.pop_front() {
            return Some(c);
        }
        self.pack_ntb();
        for (ep, urbs) in self.pending.iter_mut() {
            let Some(q) = self.in_data.get_mut(ep).filter(|q| !q.is_empty()) else {
                continue;
            };
            let Some((id, len)) = urbs.pop_front() else {
                continue;
            };
            let len = len as usize;
            let mut chunk = q.pop_front().unwrap_or_default();
            let role = self.endpoints.get(ep).map(|e| e.role);
            let mut status = UrbStatus::Ok;
            if chunk.len() > len {
                if matches!(role, Some(PortRole::Qmi | PortRole::MbimData)) {
                    // A packet is one transfer: what does not fit is babble.
                    chunk.truncate(len);
                    status = UrbStatus::Overflow;
                } else {
                    // Serial ports are byte streams: the rest waits.
                    q.push_front(chunk.split_off(len));
                }
            }
            let n = chunk.len() as u32;
            return Some(done(id, status, chunk, n));
        }
        None
    }

    /// Datagrams waiting for the MBIM data IN endpoint become one NTB when
    /// a URB waits there: everything queued since the last one travels
    /// together, as aggregation intends.
    fn pack_ntb(&mut self) {
        let Some(ncm) = &mut self.ncm else { return };
        let Some(ep) = (self.endpoints.iter())
            .find(|(a, e)| **a & 0x80 != 0 && e.role == PortRole::MbimData)
            .map(|(a, _)| *a)
        else {
            return;
        };
        let waiting = self.pending.get(&ep).is_some_and(|q| !q.is_empty());
        let q = self.in_data.entry(ep).or_default();
        if waiting && q.is_empty() {
            if let Some(ntb) = ncm.poll_in() {
                q.push_back(ntb);
            }
        }
    }

    /// The next thing the host sent, for the engine.
    pub fn poll_host(&mut self) -> Option<HostTraffic> {
        self.host.pop_front()
    }

    /// The host went away or the device left the bus: back to the
    /// default state with nothing pending.
    pub fn reset(&mut self) {
        self.configuration = 0;
        self.remote_wakeup = false;
        self.halted.clear();
        self.pending.clear();
        self.in_data.clear();
        self.completions.clear();
        self.host.clear();
        self.wdm.reset();
        let first = self
            .personality
            .configurations
            .first()
            .map_or(0, |c| c.value);
        self.load_configuration(first);
    }

    fn control(&mut self, urb: Urb) -> Completion {
        let Ok(setup) = Setup::parse(&urb.setup) else {
            return done(urb.id, UrbStatus::Stall, Vec::new(), 0);
        };
        let reply = match setup.request_type & 0x60 {
            0x00 => self.standard(&setup),
            0x20 => self.class(&setup, &urb.data),
            _ => ControlReply::Stall,
        };
        match reply {
            ControlReply::Stall => done(urb.id, UrbStatus::Stall, Vec::new(), 0),
            ControlReply::Accept(_) => {
                let n = urb.data.len() as u32;
                done(urb.id, UrbStatus::Ok, Vec::new(), n)
            }
            ControlReply::Data(mut d) => {
                d.truncate((setup.length as usize).min(urb.length as usize));
                let n = d.len() as u32;
                done(urb.id, UrbStatus::Ok, d, n)
            }
        }
    }

    fn class(&mut self, setup: &Setup, data: &[u8]) -> ControlReply {
        if !setup.is_class_interface() {
            return ControlReply::Stall;
        }
        let encapsulated = matches!(
            setup.request,
            SEND_ENCAPSULATED_COMMAND | GET_ENCAPSULATED_RESPONSE | SET_CONTROL_LINE_STATE
        );
        if let Some(ncm) = self.ncm.as_mut().filter(|_| !encapsulated) {
            if setup.interface() == ncm.interface() {
                let r = ncm.handle(setup, data);
                if ncm.take_reset_request() {
                    self.host.push_back(HostTraffic::MbimReset);
                }
                return r;
            }
        }
        if setup.interface() == self.wdm.interface() {
            let r = self.wdm.handle(setup, data);
            if let ControlReply::Accept(Some(cmd)) = &r {
                if setup.request != SET_CONTROL_LINE_STATE {
                    self.host.push_back(match self.control_role {
                        Some(PortRole::Mbim) => HostTraffic::MbimControl(cmd.clone()),
                        _ => HostTraffic::Control(cmd.clone()),
                    });
                }
            }
            return r;
        }
        let role = self
            .personality
            .configuration(self.configuration)
            .and_then(|c| c.interfaces.iter().find(|i| i.number == setup.interface()))
            .map(|i| i.role);
        match (role, setup.direction(), setup.request) {
            (Some(role), Direction::HostToDevice, SET_CONTROL_LINE_STATE) => {
                self.host.push_back(HostTraffic::LineState {
                    role,
                    open: setup.value & 1 != 0,
                });
                ControlReply::Accept(None)
            }
            _ => ControlReply::Stall,
        }
    }

    fn standard(&mut self, s: &Setup) -> ControlReply {
        let recipient = s.request_type & 0x1f;
        let p = &self.personality;
        let ok = ControlReply::Accept(None);
        match (s.direction(), recipient, s.request) {
            (Direction::DeviceToHost, 0, GET_DESCRIPTOR) => {
                let index = s.value as u8;
                let d = match (s.value >> 8) as u8 {
                    descriptors::DEVICE => Some(descriptors::device(p)),
                    descriptors::CONFIGURATION => descriptors::configuration(p, index),
                    descriptors::STRING => descriptors::string(p, index),
                    descriptors::DEVICE_QUALIFIER => Some(descriptors::qualifier(p)),
                    descriptors::OTHER_SPEED_CONFIGURATION => {
                        descriptors::other_speed_configuration(p, index)
                    }
                    _ => None,
                };
                d.map_or(ControlReply::Stall, ControlReply::Data)
            }
            (Direction::HostToDevice, 0, SET_ADDRESS) => ok,
            (Direction::DeviceToHost, 0, GET_CONFIGURATION) => {
                ControlReply::Data(vec![self.configuration])
            }
            (Direction::HostToDevice, 0, SET_CONFIGURATION)
                if s.value == 0 || p.configuration(s.value as u8).is_some() =>
            {
                // Every interface back to alternate 0 with nothing queued.
                // Pending URBs stay until the host unlinks them, which it
                // does before it reconfigures.
                self.configuration = s.value as u8;
                self.halted.clear();
                self.in_data.clear();
                let first = p.configurations.first().map_or(0, |c| c.value);
                self.load_configuration(if s.value == 0 { first } else { s.value as u8 });
                ok
            }
            (Direction::DeviceToHost, 0, GET_STATUS) => ControlReply::Data(vec![
                p.self_powered as u8 | (self.remote_wakeup as u8) << 1,
                0,
            ]),
            (Direction::HostToDevice, 0, f @ (SET_FEATURE | CLEAR_FEATURE))
                if s.value == DEVICE_REMOTE_WAKEUP && p.remote_wakeup =>
            {
                self.remote_wakeup = f == SET_FEATURE;
                ok
            }
            (dir, 1, req) if self.configuration != 0 && self.has_interface(s.interface()) => {
                let n = s.interface();
                match (dir, req) {
                    (Direction::DeviceToHost, GET_STATUS) => ControlReply::Data(vec![0, 0]),
                    (Direction::DeviceToHost, GET_INTERFACE) => {
                        ControlReply::Data(vec![self.alternates.get(&n).copied().unwrap_or(0)])
                    }
                    (Direction::HostToDevice, SET_INTERFACE) => self.set_interface(n, s.value),
                    _ => ControlReply::Stall,
                }
            }
            (dir, 2, req) if self.endpoints.contains_key(&(s.index as u8)) => {
                let ep = s.index as u8;
                match (dir, req, s.value) {
                    (Direction::DeviceToHost, GET_STATUS, _) => {
                        ControlReply::Data(vec![self.halted.contains(&ep) as u8, 0])
                    }
                    (Direction::HostToDevice, CLEAR_FEATURE, ENDPOINT_HALT) => {
                        self.halted.remove(&ep);
                        ok
                    }
                    (Direction::HostToDevice, SET_FEATURE, ENDPOINT_HALT) => {
                        self.halted.insert(ep);
                        ok
                    }
                    _ => ControlReply::Stall,
                }
            }
            _ => ControlReply::Stall,
        }
    }

    fn has_interface(&self, n: u8) -> bool {
        self.alternates.contains_key(&n)
    }

    /// SET_INTERFACE: the interface's endpoints start afresh (queued data
    /// of the old setting is gone, halts cleared; the host unlinks its URBs
    /// itself).
    fn set_interface(&mut self, n: u8, alternate: u16) -> ControlReply {
        let role = self
            .personality
            .configuration(self.configuration)
            .and_then(|c| {
                c.interfaces
                    .iter()
                    .find(|i| i.number == n && u16::from(i.alternate) == alternate)
            })
            .map(|i| i.role);
        let Some(role) = role else {
            return ControlReply::Stall;
        };
        let alternate = alternate as u8;
        self.alternates.insert(n, alternate);
        let eps: Vec<u8> = (self.endpoints.iter())
            .filter(|(_, e)| e.interface == n)
            .map(|(a, _)| *a)
            .collect();
        for ep in eps {
            self.in_data.remove(&ep);
            self.halted.remove(&ep);
        }
        // NCM 1.0 §7.2: selecting the data interface's alternate resets
        // the function's NTB state.
        if role == PortRole::MbimData {
            if let Some(ncm) = &mut self.ncm {
                ncm.reset();
            }
        }
        self.host
            .push_back(HostTraffic::AltSetting { role, alternate });
        ControlReply::Accept(None)
    }
}

fn done(id: u32, status: UrbStatus, data: Vec<u8>, actual_length: u32) -> Completion {
    Completion {
        id,
        status,
        data,
        actual_length,
    }
}

#[cfg(test)]
mod tests;
