//! QMI and the serial ports over pseudo-terminals.
//!
//! libqmi reads a byte stream and splits it by QMUX lengths, so a raw pty
//! stands in for `/dev/cdc-wdmN`: `qmicli -d PTY --device-open-qmi ...`.
//! The AT, DM and NMEA functions each get their own raw pty when asked
//! (`--at-link` ...), standing in for ttyUSB2, ttyUSB0 and ttyUSB1, all
//! served by the same engine: `socat - PATH,raw,echo=0` talks AT.
//!
//! With [`Control::Mbim`] the control pty carries MBIM instead of QMUX
//! (`mbimcli -d PTY ...`): libmbim splits the stream by MessageLength, so
//! each control transfer (each fragment) is written whole.
//!
//! In the boot loader (1199:9040) the QMI link stays open but nothing
//! answers, as the cdc-wdm device is gone; the DM link carries the
//! boot loader's download port (QDL), since on the module the DM
//! interface is the one that becomes the QDL port.

use super::capture::Capture;
use super::link::Link;
use super::outq::{self, Bound, OutQueue, CONTROL_BOUND, SERIAL_BOUND};
use crate::driver::{self, Clock, ControlKind, Driver, Overrun, Paused, Transport};
use crate::supervise::Options;
use anyhow::Context;
use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::pty::{openpty, OpenptyResult};
use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;
use tokio::io::unix::AsyncFd;
use tokio::io::{Interest, Ready};
use tracing::{debug, info, trace, warn};
use vmodem_core::model::Profile;
use vmodem_core::usb::{HostTraffic, PortRole, UsbPersonality};
use vmodem_core::wire::mbim::stream::Deframer as MbimDeframer;
use vmodem_core::wire::qmux::Deframer;
use vmodem_core::{Modem, Personality, SerialPort};

/// What the control pty speaks: the composition's control function.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Control {
    #[default]
    Qmi,
    Mbim,
}

/// Where to link each pty; `qmi` (the control pty, QMI or MBIM as
/// `control` says) is always served, the others on request.
#[derive(Debug, Default)]
pub struct Links {
    pub control: Control,
    pub qmi: Option<PathBuf>,
    pub at: Option<PathBuf>,
    pub dm: Option<PathBuf>,
    pub nmea: Option<PathBuf>,
}

/// One raw pty: the master we serve, the slave the host opens.
struct Pty {
    master: AsyncFd<OwnedFd>,
    // The slave stays open here so that the master never reads EIO while
    // no host has the pty open (qmicli opens and closes it per run).
    _slave: OwnedFd,
    path: PathBuf,
    _link: Option<Link>,
}

impl Pty {
    fn open(link: Option<PathBuf>) -> anyhow::Result<Pty> {
        let OpenptyResult { master, slave } = openpty(None, None).context("openpty")?;
        let mut t = tcgetattr(&slave).context("tcgetattr")?;
        cfmakeraw(&mut t);
        tcsetattr(&slave, SetArg::TCSANOW, &t).context("tcsetattr")?;
        let path = std::fs::read_link(format!("/proc/self/fd/{}", slave.as_raw_fd()))
            .context("resolving the pty's path")?;
        let flags = OFlag::from_bits_truncate(fcntl(&master, FcntlArg::F_GETFL)?);
        fcntl(&master, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
        let link = link.map(|l| Link::create(&l, &path)).transpose()?;
        // SAFETY: the AsyncFd owns the fd, so it stays open while registered.
        let master = unsafe {
            AsyncFd::register_with_interest(master, Interest::READABLE | Interest::WRITABLE)?
        };
        Ok(Pty {
            master,
            _slave: slave,
            path,
            _link: link,
        })
    }
}

/// Bytes read from a pty at once.
const READ_CHUNK: usize = 4096;

/// One pty with the output waiting for its host.
struct Port {
    pty: Pty,
    out: OutQueue,
}

impl Port {
    fn open(link: Option<PathBuf>, bound: Bound) -> anyhow::Result<Port> {
        Ok(Port {
            pty: Pty::open(link)?,
            out: OutQueue::new(bound),
        })
    }

    /// Writes what waits, and reads into `buf` unless `read` is false;
    /// returns the bytes read, if any. Never completes with nothing to do.
    async fn io(&mut self, read: bool, buf: &mut [u8]) -> anyhow::Result<Option<usize>> {
        let write = !self.out.is_empty();
        let interest = match (read, write) {
            (true, true) => Interest::READABLE | Interest::WRITABLE,
            (true, false) => Interest::READABLE,
            (false, true) => Interest::WRITABLE,
            (false, false) => return std::future::pending().await,
        };
        let mut guard = self.pty.master.ready(interest).await?;
        let ready = guard.ready();
        if write && ready.is_writable() {
            match self.out.write_to(self.pty.master.get_ref()) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    guard.clear_ready_matching(Ready::WRITABLE);
                }
                Err(e) => {
                    warn!(
                        "writing {}: {e}: dropping its output",
                        self.pty.path.display()
                    );
                    self.out.clear();
                }
            }
        }
        if read && ready.is_readable() {
            match nix::unistd::read(self.pty.master.get_ref(), buf) {
                Ok(n) => return Ok(Some(n)),
                Err(nix::errno::Errno::EAGAIN) => guard.clear_ready_matching(Ready::READABLE),
                Err(e) => return Err(e).context("reading a pty"),
            }
        }
        Ok(None)
    }

    /// Writes what the pty takes now, without waiting.
    fn write_now(&mut self) {
        if let Err(e) = self.out.write_to(self.pty.master.get_ref()) {
            if e.kind() != std::io::ErrorKind::WouldBlock {
                warn!(
                    "writing {}: {e}: dropping its output",
                    self.pty.path.display()
                );
                self.out.clear();
            }
        }
    }
}

/// Reads and writes an optional port; never completes when there is none.
async fn io_opt(p: Option<&mut Port>, read: bool, buf: &mut [u8]) -> anyhow::Result<Option<usize>> {
    match p {
        Some(p) => p.io(read, buf).await,
        None => std::future::pending().await,
    }
}

pub fn run(profile: Profile, seed: u64, links: Links, opts: Options) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(serve(profile, seed, links, opts))
}

/// The personality a capture shows: composition `c`, reduced to the
/// configuration whose control function the pty speaks (a dual
/// composition's MBIM configuration on an MBIM pty).
fn captured(profile: &Profile, c: u8, kind: ControlKind) -> UsbPersonality {
    let mut p = UsbPersonality::application(profile, c);
    let role = match kind {
        ControlKind::Qmi => PortRole::Qmi,
        ControlKind::Mbim => PortRole::Mbim,
    };
    p.configurations.retain(|c| c.interface(role).is_some());
    if p.configurations.is_empty() {
        let fallback = if role == PortRole::Mbim { 9 } else { 6 };
        p = UsbPersonality::application(profile, fallback);
    }
    p
}

async fn serve(profile: Profile, seed: u64, links: Links, opts: Options) -> anyhow::Result<()> {
    // The capture shows the transfers as if the pty were the USB module.
    let first = captured(
        &profile,
        profile.identity.usb_composition,
        control_kind(links.control),
    );
    let mut capture = Capture::create(opts.pcap.as_deref(), &first)?;
    capture.record(|c, ts| c.enumeration(ts));
    // Serial ports first: once the QMI link exists, every link does.
    let dm = links
        .dm
        .clone()
        .map(|l| Port::open(Some(l), SERIAL_BOUND))
        .transpose()?;
    let nmea = (links.nmea.clone())
        .map(|l| Port::open(Some(l), SERIAL_BOUND))
        .transpose()?;
    let at = links
        .at
        .clone()
        .map(|l| Port::open(Some(l), SERIAL_BOUND))
        .transpose()?;
    let control = Port::open(links.qmi, CONTROL_BOUND)?;
    let kind = control_kind(links.control);
    let composition = profile.identity.usb_composition;
    let roles = serial_roles(&profile, composition, kind);
    let shutdown = super::shutdown_signal(opts.stop_after)?;
    let clock = Clock(tokio::time::Instant::now());
    let mut driver = Driver::start(profile, seed, opts, clock)?;
    // A pty does not tell us when the host opens it, so the NMEA port
    // counts as open from the start.
    if nmea.is_some() {
        driver.set_serial_open(SerialPort::Nmea, true);
    }
    let bootloader = driver.personality() == Personality::BootLoader;
    let mut ptys = Ptys {
        control,
        kind,
        at,
        dm,
        nmea,
        links: SerialLinks {
            at: links.at,
            dm: links.dm,
            nmea: links.nmea,
        },
        seed,
        deframer: Deframer::new(),
        mbim_deframer: MbimDeframer::new(),
        capture,
        bootloader,
        clock,
        dropped_logged: 0,
    };
    if !bootloader {
        ptys.keep_functions(&roles, composition);
    }
    ptys.print_map();
    if bootloader {
        match &ptys.dm {
            Some(p) => println!(
                "vmodem: boot loader 1199:9040, QDL on {}",
                p.pty.path.display()
            ),
            None => warn!("boot loader without --dm-link: its download port is unreachable"),
        }
    }
    driver.run(ptys, shutdown).await?;
    debug!("stopping");
    Ok(())
}

fn kind_name(kind: ControlKind) -> &'static str {
    match kind {
        ControlKind::Mbim => "MBIM",
        ControlKind::Qmi => "QMI",
    }
}

/// Where the host asked for each serial pty; a pty exists while the
/// running composition has its function.
struct SerialLinks {
    at: Option<PathBuf>,
    dm: Option<PathBuf>,
    nmea: Option<PathBuf>,
}

/// What the control pty speaks in composition `c`: a single-configuration
/// composition's function; a dual one (13 to 17) keeps what the host
/// chose, as a host keeps choosing the same configuration.
fn control_kind(c: Control) -> ControlKind {
    match c {
        Control::Qmi => ControlKind::Qmi,
        Control::Mbim => ControlKind::Mbim,
    }
}

fn control_of(c: u8, current: ControlKind) -> ControlKind {
    match c {
        8..=12 => ControlKind::Mbim,
        13..=17 => current,
        _ => ControlKind::Qmi,
    }
}

/// The serial functions of composition `c`, in the configuration whose
/// control function is `kind`.
fn serial_roles(profile: &Profile, c: u8, kind: ControlKind) -> Vec<PortRole> {
    let control = match kind {
        ControlKind::Qmi => PortRole::Qmi,
        ControlKind::Mbim => PortRole::Mbim,
    };
    let p = UsbPersonality::application(profile, c);
    let config = p
        .configurations
        .iter()
        .find(|cfg| cfg.interface(control).is_some())
        .or(p.configurations.first());
    config
        .map(|cfg| {
            [PortRole::Dm, PortRole::Nmea, PortRole::At]
                .into_iter()
                .filter(|&r| cfg.interface(r).is_some())
                .collect()
        })
        .unwrap_or_default()
}

/// The pty transport: a control pty (QMI or MBIM) and the serial ptys.
struct Ptys {
    control: Port,
    kind: ControlKind,
    at: Option<Port>,
    dm: Option<Port>,
    nmea: Option<Port>,
    links: SerialLinks,
    seed: u64,
    deframer: Deframer,
    mbim_deframer: MbimDeframer,
    capture: Capture,
    /// The DM pty carries the boot loader's download port.
    bootloader: bool,
    clock: Clock,
    /// Bytes the deframers dropped to resync, as last logged.
    dropped_logged: u64,
}

impl Ptys {
    /// The port map on stdout: at start and after every enumeration as
    /// the application, so a host learns which ptys the composition has.
    fn print_map(&self) {
        println!(
            "vmodem: {} on {} (EM7305, seed {})",
            kind_name(self.kind),
            self.control.pty.path.display(),
            self.seed
        );
        for (name, p) in [("DM", &self.dm), ("NMEA", &self.nmea), ("AT", &self.at)] {
            if let Some(p) = p {
                println!("vmodem: {name} on {}", p.pty.path.display());
            }
        }
    }

    /// Closes the serial ptys composition `c` has no function for.
    fn keep_functions(&mut self, roles: &[PortRole], c: u8) {
        for (role, port, name) in [
            (PortRole::Dm, &mut self.dm, "--dm-link"),
            (PortRole::Nmea, &mut self.nmea, "--nmea-link"),
            (PortRole::At, &mut self.at, "--at-link"),
        ] {
            if port.is_some() && !roles.contains(&role) {
                warn!("composition {c} has no such function: no pty for {name} until one has");
                *port = None;
            }
        }
    }

    /// After a reset into composition `c`: the control pty speaks its
    /// control function, and a serial pty exists (its link too) only while
    /// the composition has that function, as ttyUSB nodes come and go.
    fn enumerate(&mut self, profile: &Profile, c: u8) -> anyhow::Result<()> {
        let kind = control_of(c, self.kind);
        if kind != self.kind {
            self.kind = kind;
            self.deframer = Deframer::new();
            self.mbim_deframer = MbimDeframer::new();
            self.control.out = OutQueue::new(CONTROL_BOUND);
        }
        // The capture shows the host enumerating the new composition.
        self.capture.reenumerated(|| captured(profile, c, kind));
        let roles = serial_roles(profile, c, kind);
        for (role, port, link) in [
            (PortRole::Dm, &mut self.dm, &self.links.dm),
            (PortRole::Nmea, &mut self.nmea, &self.links.nmea),
            (PortRole::At, &mut self.at, &self.links.at),
        ] {
            match (roles.contains(&role), link) {
                (false, _) => *port = None,
                (true, Some(l)) if port.is_none() => {
                    *port = Some(Port::open(Some(l.clone()), SERIAL_BOUND)?);
                }
                _ => {}
            }
        }
        self.print_map();
        Ok(())
    }

    /// The firmware function behind the DM link.
    fn dm_port(&self) -> SerialPort {
        if self.bootloader {
            SerialPort::Download
        } else {
            SerialPort::Dm
        }
    }

    fn control_in(&mut self, bytes: &[u8]) {
        let now = self.clock.now();
        match self.kind {
            ControlKind::Mbim => self.mbim_deframer.push(bytes, now),
            ControlKind::Qmi => self.deframer.push(bytes, now),
        }
    }

    /// When the control deframer abandons a stalled partial frame.
    fn resync_at(&self) -> Option<tokio::time::Instant> {
        let t = match self.kind {
            ControlKind::Mbim => self.mbim_deframer.poll_timeout(),
            ControlKind::Qmi => self.deframer.poll_timeout(),
        };
        t.map(|t| self.clock.at(t))
    }

    /// Whole control frames, after every wake (not only after a read: the
    /// idle deadline may have abandoned a partial frame).
    fn control_frames(&mut self, host: &mut Vec<HostTraffic>) {
        let now = self.clock.now();
        while let Some(t) = self.mbim_deframer.next_transfer(now) {
            trace!(bytes = ?t, "host →");
            self.capture.record(|c, ts| c.control_request(ts, &t));
            host.push(HostTraffic::MbimControl(t));
        }
        while let Some(frame) = self.deframer.next_frame(now) {
            trace!(bytes = ?frame, "host →");
            self.capture.record(|c, ts| c.control_request(ts, &frame));
            host.push(HostTraffic::Control(frame));
        }
        let dropped =
            self.deframer.stats().dropped_bytes + self.mbim_deframer.stats().dropped_bytes;
        if dropped > self.dropped_logged {
            warn!(
                bytes = dropped - self.dropped_logged,
                total = dropped,
                "control stream: bytes dropped to resync (docs/architecture.md, Resync)"
            );
            self.dropped_logged = dropped;
        }
    }

    fn serial_in(&mut self, port: SerialPort, bytes: &[u8], host: &mut Vec<HostTraffic>) {
        trace!(?port, ?bytes, "host →");
        self.capture
            .record(|c, ts| c.serial(ts, port, false, bytes));
        host.push(HostTraffic::Bulk {
            role: PortRole::of_serial(port),
            data: bytes.to_vec(),
        });
    }
}

impl Transport for Ptys {
    async fn recv(&mut self, host: &mut Vec<HostTraffic>, paused: &Paused) -> anyhow::Result<()> {
        let dm_port = self.dm_port();
        let read_dm = !driver::paused(paused, dm_port);
        let read_at = !driver::paused(paused, SerialPort::At);
        let read_nmea = !driver::paused(paused, SerialPort::Nmea);
        let resync = self.resync_at();
        let mut bufs = [[0u8; READ_CHUNK]; 4];
        let [b_control, b_at, b_dm, b_nmea] = &mut bufs;
        tokio::select! {
            r = self.control.io(true, b_control) => {
                if let Some(n) = r? {
                    self.control_in(&b_control[..n]);
                }
            }
            _ = super::sleep_until(resync) => {}
            r = io_opt(self.at.as_mut(), read_at, b_at) => {
                if let Some(n) = r? {
                    self.serial_in(SerialPort::At, &b_at[..n], host);
                }
            }
            r = io_opt(self.dm.as_mut(), read_dm, b_dm) => {
                if let Some(n) = r? {
                    self.serial_in(dm_port, &b_dm[..n], host);
                }
            }
            r = io_opt(self.nmea.as_mut(), read_nmea, b_nmea) => {
                if let Some(n) = r? {
                    self.serial_in(SerialPort::Nmea, &b_nmea[..n], host);
                }
            }
        }
        self.control_frames(host);
        Ok(())
    }

    fn control_kind(&self) -> Option<ControlKind> {
        Some(self.kind)
    }

    fn send_control(&mut self, frame: Vec<u8>) -> Result<(), Overrun> {
        trace!(bytes = ?frame, "← modem");
        self.capture.record(|c, ts| c.control_response(ts, &frame));
        self.control.out.push(frame).map_err(|f| Overrun {
            port: match self.kind {
                ControlKind::Qmi => "qmi",
                ControlKind::Mbim => "mbim",
            },
            bytes: f.len(),
        })
    }

    fn serial_room(&self, port: SerialPort) -> bool {
        let p = match port {
            SerialPort::Dm | SerialPort::Download => &self.dm,
            SerialPort::Nmea => &self.nmea,
            SerialPort::At => &self.at,
        };
        p.as_ref().is_none_or(|p| outq::serial_room(p.out.len()))
    }

    fn send_serial(&mut self, port: SerialPort, bytes: Vec<u8>) -> Result<(), Overrun> {
        let p = match port {
            SerialPort::Dm | SerialPort::Download => self.dm.as_mut(),
            SerialPort::Nmea => self.nmea.as_mut(),
            SerialPort::At => self.at.as_mut(),
        };
        let Some(p) = p else {
            return Ok(());
        };
        trace!(?port, bytes = ?bytes, "← modem");
        self.capture
            .record(|c, ts| c.serial(ts, port, true, &bytes));
        p.out.push(bytes).map_err(|b| Overrun {
            port: driver::port_name(port),
            bytes: b.len(),
        })
    }

    fn carries_data(&self) -> bool {
        false
    }

    fn send_data(&mut self, _session: u8, _packet: Vec<u8>) {}

    fn flush(&mut self, _notify: bool) {
        self.control.write_now();
        for p in [&mut self.at, &mut self.dm, &mut self.nmea]
            .into_iter()
            .flatten()
        {
            p.write_now();
        }
    }

    fn control_drained(&mut self) -> bool {
        self.control.out.is_empty()
    }

    /// The link stays; the engine itself stops answering while the module
    /// is away, as requests to a rebooting module time out.
    fn leave_bus(&mut self) {
        info!("off the bus");
    }

    fn join_bus(&mut self, personality: Personality, modem: &Modem) -> anyhow::Result<()> {
        info!(?personality, "back on the bus");
        self.bootloader = personality == Personality::BootLoader;
        if self.bootloader {
            // The download port is the DM interface's.
            if let (None, Some(l)) = (&self.dm, &self.links.dm) {
                self.dm = Some(Port::open(Some(l.clone()), SERIAL_BOUND)?);
            }
            let profile = &modem.device().profile;
            self.capture
                .reenumerated(|| UsbPersonality::bootloader(profile));
            return Ok(());
        }
        let dev = modem.device();
        self.enumerate(&dev.profile, dev.usb_composition)
    }
}
