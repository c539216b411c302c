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
use crate::supervise::{Options, Supervisor};
use anyhow::Context;
use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::pty::{openpty, OpenptyResult};
use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tracing::{debug, info, trace, warn};
use vmodem_core::model::Profile;
use vmodem_core::time::Instant;
use vmodem_core::usb::{PortRole, UsbPersonality};
use vmodem_core::wire::mbim::stream::Deframer as MbimDeframer;
use vmodem_core::wire::qmux::Deframer;
use vmodem_core::{Event, Modem, Personality, SerialPort};

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
        let master = unsafe { AsyncFd::register_with_interest(master, Interest::READABLE)? };
        Ok(Pty {
            master,
            _slave: slave,
            path,
            _link: link,
        })
    }

    /// Reads what the host wrote, or `None` if nothing was ready after all.
    async fn read(&self, buf: &mut [u8]) -> anyhow::Result<Option<usize>> {
        let mut guard = self.master.readable().await?;
        match guard.try_io(|f| nix::unistd::read(f.get_ref(), buf).map_err(Into::into)) {
            Ok(Ok(n)) => Ok(Some(n)),
            Ok(Err(e)) => Err(e).context("reading a pty"),
            Err(_would_block) => Ok(None),
        }
    }
}

/// Reads from an optional pty; never completes when there is none.
async fn read_opt(pty: Option<&Pty>) -> anyhow::Result<Option<Vec<u8>>> {
    let Some(p) = pty else {
        return std::future::pending().await;
    };
    let mut buf = vec![0u8; 4096];
    Ok(p.read(&mut buf).await?.map(|n| {
        buf.truncate(n);
        buf
    }))
}

pub fn run(profile: Profile, seed: u64, links: Links, opts: Options) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(serve(profile, seed, links, opts))
}

/// The firmware function behind the DM link.
fn dm_port(modem: &Modem) -> SerialPort {
    match modem.personality() {
        Some(Personality::BootLoader) => SerialPort::Download,
        _ => SerialPort::Dm,
    }
}

/// The personality a capture shows: the profile's composition, reduced
/// to the configuration whose control function the pty speaks (a dual
/// composition's MBIM configuration on an MBIM pty).
fn captured(profile: &Profile, links: &Links) -> UsbPersonality {
    let mut p = UsbPersonality::application(profile, profile.identity.usb_composition);
    let role = match links.control {
        Control::Qmi => PortRole::Qmi,
        Control::Mbim => PortRole::Mbim,
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
    let mut capture = Capture::create(opts.pcap.as_deref(), &captured(&profile, &links))?;
    capture.record(|c, ts| c.enumeration(ts));
    // Serial ports first: once the QMI link exists, every link does.
    let dm = links.dm.map(|l| Pty::open(Some(l))).transpose()?;
    let nmea = links.nmea.map(|l| Pty::open(Some(l))).transpose()?;
    let at = links.at.map(|l| Pty::open(Some(l))).transpose()?;
    let qmi = Pty::open(links.qmi)?;
    let epoch = tokio::time::Instant::now();
    let now = || Instant::from_millis(epoch.elapsed().as_millis() as u64);
    let mut modem = Modem::new(profile, seed, now());
    if opts.start_in_bootloader {
        modem.enter_bootloader(now());
        while modem.poll_event().is_some() {}
    }
    let mut sup = Supervisor::start(opts, seed, now())?;
    sup.attach(&mut modem);
    // A pty does not tell us when the host opens it, so the NMEA port
    // counts as open from the start; what nobody reads is dropped.
    if nmea.is_some() {
        modem.set_serial_open(SerialPort::Nmea, true, now());
    }
    let mut deframer = Deframer::new();
    let mut mbim_deframer = MbimDeframer::new();
    // Bytes the deframers dropped to resync, as last logged.
    let mut dropped_logged = 0;
    let mbim = links.control == Control::Mbim;
    println!(
        "vmodem: {} on {} (EM7305, seed {seed})",
        if mbim { "MBIM" } else { "QMI" },
        qmi.path.display()
    );
    for (name, p) in [("DM", &dm), ("NMEA", &nmea), ("AT", &at)] {
        if let Some(p) = p {
            println!("vmodem: {name} on {}", p.path.display());
        }
    }
    if modem.personality() == Some(Personality::BootLoader) {
        match &dm {
            Some(p) => println!("vmodem: boot loader 1199:9040, QDL on {}", p.path.display()),
            None => warn!("boot loader without --dm-link: its download port is unreachable"),
        }
    }
    let mut buf = vec![0u8; 16384];
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        // A deframer's idle deadline too: a stalled partial frame is
        // abandoned then, and a request behind it answered.
        let resync = if mbim {
            mbim_deframer.poll_timeout()
        } else {
            deframer.poll_timeout()
        };
        let wake = [modem.poll_timeout(), sup.poll_timeout(), resync]
            .into_iter()
            .flatten()
            .min()
            .map(|t| epoch + std::time::Duration::from_millis(t.millis()));
        let sleep = super::sleep_until(wake);
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = sigterm.recv() => break,
            _ = sleep => modem.handle_timeout(now()),
            Some(msg) = sup.next_control() => sup.handle_control(msg, &mut modem, now()),
            r = qmi.read(&mut buf) => {
                match r? {
                    Some(n) if mbim => mbim_deframer.push(&buf[..n], now()),
                    Some(n) => deframer.push(&buf[..n], now()),
                    None => {}
                }
            }
            r = read_opt(at.as_ref()) => serial_in(&mut modem, &mut capture, SerialPort::At, r?, now()),
            r = read_opt(dm.as_ref()) => {
                let port = dm_port(&modem);
                serial_in(&mut modem, &mut capture, port, r?, now())
            }
            r = read_opt(nmea.as_ref()) => serial_in(&mut modem, &mut capture, SerialPort::Nmea, r?, now()),
        }
        // Frames are taken after every wake, not only after a read: the
        // idle deadline may have abandoned a partial frame.
        while let Some(t) = mbim_deframer.next_transfer(now()) {
            trace!(bytes = ?t, "host →");
            capture.record(|c, ts| c.control_request(ts, &t));
            modem.handle_mbim(&t, now());
        }
        while let Some(frame) = deframer.next_frame(now()) {
            trace!(bytes = ?frame, "host →");
            sup.on_request(&frame, now());
            capture.record(|c, ts| c.control_request(ts, &frame));
            modem.handle_qmi(&frame, now());
        }
        let dropped = deframer.stats().dropped_bytes + mbim_deframer.stats().dropped_bytes;
        if dropped > dropped_logged {
            warn!(
                bytes = dropped - dropped_logged,
                total = dropped,
                "control stream: bytes dropped to resync (docs/architecture.md, Resync)"
            );
            dropped_logged = dropped;
        }
        sup.after(&mut modem, now());
        while let Some(ev) = modem.poll_event() {
            // The link stays; the engine itself stops answering while the
            // module is away and holds what a stall or a delay holds.
            match ev {
                Event::LeaveBus { cause } => info!(?cause, "off the bus"),
                Event::ReturnToBus { personality } => {
                    info!(?personality, "back on the bus");
                    if personality == Personality::BootLoader {
                        // A pty cannot tell when the host opens it: a
                        // Sahara boot loader greets at once.
                        modem.set_serial_open(SerialPort::Download, true, now());
                    }
                }
            }
        }
        while let Some(frame) = modem.poll_qmi().or_else(|| modem.poll_mbim()) {
            trace!(bytes = ?frame, "← modem");
            capture.record(|c, ts| c.control_response(ts, &frame));
            write_all(qmi.master.get_ref(), &frame);
        }
        for (port, pty) in [
            (SerialPort::Dm, &dm),
            (SerialPort::Download, &dm),
            (SerialPort::Nmea, &nmea),
            (SerialPort::At, &at),
        ] {
            while let Some(bytes) = modem.poll_serial(port) {
                if let Some(p) = pty {
                    trace!(?port, bytes = ?bytes, "← modem");
                    capture.record(|c, ts| c.serial(ts, port, true, &bytes));
                    write_serial(p.master.get_ref(), &bytes);
                }
            }
        }
    }
    debug!("stopping");
    Ok(())
}

fn serial_in(
    modem: &mut Modem,
    capture: &mut Capture,
    port: SerialPort,
    bytes: Option<Vec<u8>>,
    now: Instant,
) {
    if let Some(bytes) = bytes {
        trace!(?port, ?bytes, "host →");
        capture.record(|c, ts| c.serial(ts, port, false, &bytes));
        modem.handle_serial(port, &bytes, now);
    }
}

/// Writes a frame; a host that stopped reading loses it rather than stall us.
fn write_all(fd: &OwnedFd, mut data: &[u8]) {
    let mut tries = 0;
    while !data.is_empty() {
        match nix::unistd::write(fd, data) {
            Ok(n) => data = &data[n..],
            Err(nix::errno::Errno::EAGAIN) if tries < 50 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            Err(e) => {
                warn!("dropping {} bytes for the host: {e}", data.len());
                return;
            }
        }
    }
}

/// Serial output is a stream, like a UART without flow control: what does
/// not fit in the pty (nobody reading the NMEA port) is dropped quietly.
fn write_serial(fd: &OwnedFd, mut data: &[u8]) {
    while !data.is_empty() {
        match nix::unistd::write(fd, data) {
            Ok(n) => data = &data[n..],
            Err(e) => {
                trace!("dropping {} serial bytes: {e}", data.len());
                return;
            }
        }
    }
}
