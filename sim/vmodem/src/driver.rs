//! The one loop every transport plugs into: the device policy lives here,
//! once. A transport ([`Transport`]) only delivers (what the host sent in,
//! what the engine produced out) and comes and goes from its bus.
//!
//! The driver owns the engine, the supervisor (scenario, event log,
//! control socket) and the uplink. It powers the module on (in the boot
//! loader if asked), feeds the host's traffic to the engine (serial OUT
//! gated by stalls, and by what the port can answer: back-pressure), moves
//! the engine's output to the transport, and acts on the engine's events:
//! leave the bus (after the host has read a reset's answer, within
//! [`RESET_GRACE`]), come back with a personality, and greet as a Sahara
//! boot loader.

use crate::supervise::{Options, Supervisor};
use crate::transport::tun::{self, Tun};
use std::future::Future;
use std::time::Duration;
use tracing::{debug, info, warn};
use vmodem_core::fault::StalledEndpoint;
use vmodem_core::model::Profile;
use vmodem_core::time::Instant;
use vmodem_core::usb::{HostTraffic, PortRole};
use vmodem_core::{Event, Modem, Personality, SerialPort};

/// How long a reset waits for the host to collect the reset response.
pub const RESET_GRACE: Duration = Duration::from_millis(500);

/// Serial input the engine has not taken yet, per port. A pty stops
/// reading while any waits, so it holds at most one read; a USB transport
/// has completed the transfer already, so beyond this the host's bytes
/// are dropped (and logged).
pub const MAX_HELD_INPUT: usize = 64 * 1024;

/// Rounds of "output out, held input in" per turn: enough for the host's
/// input to drain into a transport with room; the rest waits for a read.
const MAX_ROUNDS: usize = 16;

/// What the control channel speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlKind {
    Qmi,
    Mbim,
}

/// A whole frame for the host that a transport dropped: the port's queue
/// was at its bound because the host did not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overrun {
    pub port: &'static str,
    pub bytes: usize,
}

const ALL_PORTS: [SerialPort; 4] = [
    SerialPort::Dm,
    SerialPort::Nmea,
    SerialPort::At,
    SerialPort::Download,
];

/// Serial ports whose host input must wait in the host (not be read).
pub type Paused = [bool; 4];

fn index(port: SerialPort) -> usize {
    match port {
        SerialPort::Dm => 0,
        SerialPort::Nmea => 1,
        SerialPort::At => 2,
        SerialPort::Download => 3,
    }
}

/// Whether `port` is paused in `p`.
pub fn paused(p: &Paused, port: SerialPort) -> bool {
    p[index(port)]
}

/// The event-log name of a serial port.
pub fn port_name(port: SerialPort) -> &'static str {
    match port {
        SerialPort::Dm => "dm",
        SerialPort::Nmea => "nmea",
        SerialPort::At => "at",
        SerialPort::Download => "download",
    }
}

/// Delivery and bus presence: everything a transport does.
pub trait Transport {
    /// Waits until the host sent something (appended to `host`) or the
    /// transport moved its own delivery on. Cancel-safe. Input on a port
    /// `paused` says must stay with the host.
    fn recv(
        &mut self,
        host: &mut Vec<HostTraffic>,
        paused: &Paused,
    ) -> impl Future<Output = anyhow::Result<()>>;
    /// What the control channel speaks now; `None` when there is none.
    fn control_kind(&self) -> Option<ControlKind>;
    /// Queues a control message (QMI or MBIM) for the host.
    fn send_control(&mut self, frame: Vec<u8>) -> Result<(), Overrun>;
    /// Whether the port's output queue has room for what one more turn of
    /// host input can produce; while not, the host's input waits.
    fn serial_room(&self, port: SerialPort) -> bool;
    /// Queues serial bytes for the host; a port the transport lacks
    /// discards them.
    fn send_serial(&mut self, port: SerialPort, bytes: Vec<u8>) -> Result<(), Overrun>;
    /// Whether the transport has a packet data path at all.
    fn carries_data(&self) -> bool {
        true
    }
    /// One packet for the host's bulk IN path, or for MBIM data session
    /// `session` (its IPS stream in the NTBs).
    fn send_data(&mut self, session: u8, packet: Vec<u8>);
    /// After the engine's output is queued: notifications (unless
    /// `notify` is false: the endpoint is stalled), completions, writes.
    fn flush(&mut self, notify: bool);
    /// Every control message queued for the host has been read.
    fn control_drained(&mut self) -> bool;
    /// Drops off the bus (a pty stays, and only says so).
    fn leave_bus(&mut self);
    /// Enumerates (again) as `personality`.
    fn join_bus(&mut self, personality: Personality, modem: &Modem) -> anyhow::Result<()>;
}

/// The engine's clock: milliseconds of real time since `epoch`.
#[derive(Clone, Copy)]
pub struct Clock(pub tokio::time::Instant);

impl Clock {
    pub fn now(self) -> Instant {
        Instant::from_millis(self.0.elapsed().as_millis() as u64)
    }
    pub fn at(self, t: Instant) -> tokio::time::Instant {
        self.0 + Duration::from_millis(t.millis())
    }
}

/// The engine and the policy around it.
pub struct Driver {
    modem: Modem,
    sup: Supervisor,
    tun: Option<Tun>,
    clock: Clock,
    /// When a reset that answers first drops the module off the bus at the latest.
    leave_bus_at: Option<tokio::time::Instant>,
    /// Per port (by `index`), what the engine has not taken yet.
    held: [Vec<u8>; 4],
    held_dropped: u64,
    tun_write_failures: u64,
    nmea_drops: StreamDrops,
}

/// Drops on the NMEA port, coalesced: it streams whether or not a host
/// reads it, so one record per dropped burst would fill the event log
/// once a second. One record at the first drop, then at most one a
/// minute with what was dropped since.
#[derive(Debug, Default)]
struct StreamDrops {
    frames: u64,
    bytes: u64,
    logged_at: Option<Instant>,
}

const STREAM_DROPS_EVERY: Duration = Duration::from_secs(60);

impl StreamDrops {
    /// Counts one drop; `Some((frames, bytes))` when a record is due.
    fn add(&mut self, bytes: usize, now: Instant) -> Option<(u64, u64)> {
        self.frames += 1;
        self.bytes += bytes as u64;
        let due = self
            .logged_at
            .is_none_or(|at| now.since(at) >= STREAM_DROPS_EVERY);
        due.then(|| {
            self.logged_at = Some(now);
            (
                std::mem::take(&mut self.frames),
                std::mem::take(&mut self.bytes),
            )
        })
    }
}

impl Driver {
    /// Powers the module on: the engine (in the boot loader if asked, with
    /// the uplink if asked) and the supervisor. Call inside the runtime.
    pub fn start(profile: Profile, seed: u64, opts: Options, clock: Clock) -> anyhow::Result<Self> {
        let tun = opts.uplink.as_deref().map(Tun::open).transpose()?;
        let mut modem = Modem::new(profile, seed, clock.now());
        if let Some(t) = &tun {
            modem.set_uplink(true);
            warn!(
                "uplink: packets beyond the simulated network go to TUN {}",
                t.name
            );
        }
        if opts.start_in_bootloader {
            // Already in the boot loader at power-on: no reset to announce.
            modem.enter_bootloader(clock.now());
            while modem.poll_event().is_some() {}
        }
        let mut sup = Supervisor::start(opts, seed, clock.now())?;
        sup.attach(&mut modem);
        Ok(Driver {
            modem,
            sup,
            tun,
            clock,
            leave_bus_at: None,
            held: Default::default(),
            held_dropped: 0,
            tun_write_failures: 0,
            nmea_drops: StreamDrops::default(),
        })
    }

    pub fn modem(&self) -> &Modem {
        &self.modem
    }

    /// The personality the module powered on in.
    pub fn personality(&self) -> Personality {
        self.modem.personality().unwrap_or(Personality::Application)
    }

    /// The host opened (or closed) a port the transport cannot watch.
    pub fn set_serial_open(&mut self, port: SerialPort, open: bool) {
        let now = self.clock.now();
        self.modem.set_serial_open(port, open, now);
    }

    /// Serves until `shutdown` completes; gives the transport back.
    pub async fn run<T: Transport>(
        mut self,
        mut t: T,
        shutdown: impl Future<Output = ()>,
    ) -> anyhow::Result<T> {
        tokio::pin!(shutdown);
        let mut host = Vec::new();
        loop {
            let clock = self.clock;
            let engine_wake = [self.modem.poll_timeout(), self.sup.poll_timeout()]
                .into_iter()
                .flatten()
                .min()
                .map(|w| clock.at(w));
            let wake = [engine_wake, self.leave_bus_at].into_iter().flatten().min();
            let paused = self.paused(&t);
            tokio::select! {
                _ = &mut shutdown => break,
                _ = crate::transport::sleep_until(wake) => self.modem.handle_timeout(clock.now()),
                Some(msg) = self.sup.next_control() => {
                    self.sup.handle_control(msg, &mut self.modem, clock.now());
                }
                r = t.recv(&mut host, &paused) => {
                    r?;
                    for h in host.drain(..) {
                        self.host_traffic(h, &t);
                    }
                }
                r = tun::read_opt(self.tun.as_ref()) => {
                    if let Some(pkt) = r? {
                        self.modem.handle_downlink(&pkt, clock.now());
                    }
                }
            }
            self.turn(&mut t)?;
        }
        info!(
            stats = ?self.modem.data_stats(),
            tun_write_failures = self.tun_write_failures,
            held_input_dropped = self.held_dropped,
            "data path"
        );
        Ok(t)
    }

    /// Ports whose input must wait: the engine has not taken all the last
    /// input, or the transport has no room for more answers.
    fn paused<T: Transport>(&self, t: &T) -> Paused {
        let mut p = [false; 4];
        for port in ALL_PORTS {
            p[index(port)] = !self.held[index(port)].is_empty() || !t.serial_room(port);
        }
        p
    }

    /// One thing the host sent, to the engine.
    fn host_traffic<T: Transport>(&mut self, h: HostTraffic, t: &T) {
        let now = self.clock.now();
        let modem = &mut self.modem;
        match h {
            HostTraffic::Control(cmd) => {
                self.sup.on_request(&cmd, now);
                modem.handle_qmi(&cmd, now);
            }
            HostTraffic::MbimControl(msg) => {
                self.sup.on_mbim();
                modem.handle_mbim(&msg, now);
            }
            HostTraffic::Datagram { session, data } => {
                modem.handle_ip_datagram(session, &data, now)
            }
            HostTraffic::MbimReset => modem.reset_mbim_function(),
            HostTraffic::AltSetting { .. } => {}
            HostTraffic::Bulk {
                role: PortRole::Qmi,
                data,
            } => modem.handle_data(&data, now),
            HostTraffic::Bulk { role, data } => match role.serial_port() {
                Some(port) if modem.is_stalled(StalledEndpoint::Serial(port)) => {
                    debug!(?port, "serial OUT stalled: dropping");
                }
                Some(port) => self.serial_in(port, &data, t),
                None => debug!(?role, len = data.len(), "bulk OUT"),
            },
            // qcserial raises DTR when a tty opens and drops it on close.
            HostTraffic::LineState { role, open } => {
                if let Some(port @ (SerialPort::Nmea | SerialPort::At)) = role.serial_port() {
                    modem.set_serial_open(port, open, now);
                }
            }
        }
    }

    /// Serial input waits behind what the port has not taken yet.
    fn serial_in<T: Transport>(&mut self, port: SerialPort, data: &[u8], t: &T) {
        let room = MAX_HELD_INPUT.saturating_sub(self.held[index(port)].len());
        if data.len() > room {
            self.held_dropped += (data.len() - room) as u64;
            warn!(
                ?port,
                bytes = data.len() - room,
                "serial input beyond what is held: dropped"
            );
            let now = self.clock.now();
            self.sup
                .host_input_dropped(port_name(port), (data.len() - room) as u64, now);
        }
        self.held[index(port)].extend_from_slice(&data[..data.len().min(room)]);
        self.offer_held(port, t);
    }

    /// Offers the port's held input to the engine if the transport has
    /// room for the answers; true if the engine took any.
    fn offer_held<T: Transport>(&mut self, port: SerialPort, t: &T) -> bool {
        if self.held[index(port)].is_empty() || !t.serial_room(port) {
            return false;
        }
        let held = &mut self.held[index(port)];
        let n = self.modem.offer_serial(port, held, self.clock.now());
        held.drain(..n);
        n > 0
    }

    /// After every wake-up: the uplink, the supervisor, the engine's
    /// events, then its output to the transport.
    fn turn<T: Transport>(&mut self, t: &mut T) -> anyhow::Result<()> {
        let now = self.clock.now();
        if let Some(tun) = &self.tun {
            while let Some(pkt) = self.modem.poll_uplink() {
                if !tun.write(&pkt) {
                    self.tun_write_failures += 1;
                }
            }
        }
        self.sup.after(&mut self.modem, now);
        while let Some(ev) = self.modem.poll_event() {
            match ev {
                Event::LeaveBus { cause } if cause.answers_first() => {
                    // The module answers the reset request before it drops
                    // off the bus; leave once the host has read it.
                    self.leave_bus_at = Some(tokio::time::Instant::now() + RESET_GRACE);
                }
                Event::LeaveBus { cause } => {
                    info!(?cause, "leaving the bus");
                    self.leave_bus_at = None;
                    t.leave_bus();
                }
                Event::ReturnToBus { personality } => {
                    if self.leave_bus_at.take().is_some() {
                        t.leave_bus();
                    }
                    info!(?personality, "firmware booted: back on the bus");
                    t.join_bus(personality, &self.modem)?;
                    if personality == Personality::BootLoader {
                        // A Sahara boot loader greets whoever reads the
                        // port; a pty cannot tell when that is, so at once.
                        self.modem.set_serial_open(SerialPort::Download, true, now);
                    }
                }
            }
        }
        for _ in 0..MAX_ROUNDS {
            self.output(t);
            let mut took = false;
            for port in ALL_PORTS {
                took |= self.offer_held(port, t);
            }
            if !took {
                break;
            }
        }
        // What a turn of input produced may still be in the engine.
        self.output(t);
        t.flush(!self.modem.is_stalled(StalledEndpoint::Notification));
        // After the flush: the reply that emptied the channel (the reset
        // response) is already on its way when the module leaves.
        if self
            .leave_bus_at
            .is_some_and(|at| t.control_drained() || tokio::time::Instant::now() >= at)
        {
            self.leave_bus_at = None;
            t.leave_bus();
        }
        Ok(())
    }

    /// The engine's output to the transport; every frame dropped for a
    /// host that does not read is a "host overrun" in the event log.
    fn output<T: Transport>(&mut self, t: &mut T) {
        let now = self.clock.now();
        let mut overruns = Vec::new();
        // The wrong kind stays in the engine (bounded there): a dual
        // composition's QMI indications never reach an MBIM host.
        while let Some(frame) = match t.control_kind() {
            Some(ControlKind::Qmi) => self.modem.poll_qmi(),
            Some(ControlKind::Mbim) => self.modem.poll_mbim(),
            None => None,
        } {
            overruns.extend(t.send_control(frame).err());
        }
        if t.carries_data() {
            while let Some((session, pkt)) = self.modem.poll_datagram() {
                t.send_data(session, pkt);
            }
        }
        for port in ALL_PORTS {
            while let Some(bytes) = self.modem.poll_serial(port) {
                overruns.extend(t.send_serial(port, bytes).err());
            }
        }
        for o in overruns {
            debug!(
                port = o.port,
                bytes = o.bytes,
                "host overrun: a whole frame dropped"
            );
            let record = if o.port == port_name(SerialPort::Nmea) {
                self.nmea_drops.add(o.bytes, now)
            } else {
                Some((1, o.bytes as u64))
            };
            if let Some((frames, bytes)) = record {
                self.sup.host_overrun(o.port, frames, bytes, now);
            }
        }
    }
}

#[cfg(test)]
mod tests;
