//! One modem of the server, bus id `1-n`: its engine, its USB device core
//! and the host that imported it, in a task of its own. Every URB a host
//! sends this modem is handled here (`on_pdu`), and everything between the
//! device core and the engine passes through `to_engine` / `from_engine`.
//!
//! Only one host holds the modem at a time. A firmware reset closes that
//! host's connection, which it sees as a disconnect, and the modem is
//! offered again once its firmware is back; the other modems of the
//! server are not affected.

use super::super::capture::Capture;
use super::super::tun::{self, Tun};
use super::capture::UrbCapture;
use super::connection::FromHost;
use crate::supervise::{Options, Supervisor};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tracing::{debug, info, Instrument};
use vmodem_core::fault::StalledEndpoint;
use vmodem_core::model::Profile;
use vmodem_core::time::Instant;
use vmodem_core::usb::{
    HostTraffic, PortRole, TransferKind, Urb, UrbStatus, UsbDevice, UsbPersonality,
};
use vmodem_core::usbip::{
    status, ExportedDevice, ExportedInterface, Pdu, RetSubmit, RetUnlink, SPEED_HIGH,
};
use vmodem_core::{Event, Modem, Personality, SerialPort};

/// wMaxCommand that qmi_wwan registers for cdc-wdm.
const QMI_MAX_COMMAND: usize = 4096;
/// How long a reset waits for the host to collect the reset response.
const RESET_GRACE: Duration = Duration::from_millis(500);
/// PDUs a connection may queue for its modem before it stops reading the
/// socket: bounds what one host makes the modem hold (a submit carries up
/// to `usbip::MAX_TRANSFER`), and is one block of tokio's channel.
const FROM_HOST_QUEUE: usize = 32;

/// What connections hold of one modem: how it is offered, where its
/// operations and URBs go.
pub(super) struct ModemPort {
    pub busid: String,
    /// The device as OP_REP_DEVLIST describes it; `None` while off the bus.
    pub offer: watch::Receiver<Option<ExportedDevice>>,
    pub to_modem: mpsc::Sender<FromHost>,
}

/// The connection that imported the modem.
struct Attached {
    conn: u64,
    to_host: mpsc::UnboundedSender<Vec<u8>>,
}

/// The clock every modem of the server reads: milliseconds since start.
#[derive(Clone, Copy)]
pub(super) struct Clock(pub tokio::time::Instant);

impl Clock {
    fn now(self) -> Instant {
        Instant::from_millis(self.0.elapsed().as_millis() as u64)
    }
    fn at(self, t: Instant) -> tokio::time::Instant {
        self.0 + Duration::from_millis(t.millis())
    }
}

/// Creates modem `n` and starts its task on `tasks`. `opts` are the run's
/// options for a supervised modem, or just the power-on state for the rest.
pub(super) fn spawn(
    n: u32,
    profile: Profile,
    seed: u64,
    opts: Options,
    clock: Clock,
    shutdown: watch::Receiver<bool>,
    tasks: &mut JoinSet<anyhow::Result<()>>,
) -> anyhow::Result<ModemPort> {
    let busid = super::fleet::busid(n);
    let tun = opts.uplink.as_deref().map(Tun::open).transpose()?;
    let mut modem = Modem::new(profile.clone(), seed, clock.now());
    if tun.is_some() {
        modem.set_uplink(true);
    }
    if opts.start_in_bootloader {
        modem.enter_bootloader(clock.now());
        while modem.poll_event().is_some() {}
    }
    let kind = modem.personality().unwrap_or(Personality::Application);
    let dev = UsbDevice::new(personality_of(kind, &modem, &profile), QMI_MAX_COMMAND);
    let (offer_tx, offer) = watch::channel(Some(exported(&busid, n, dev.personality())));
    // The capture starts with the host's own enumeration, once it attaches.
    let capture = UrbCapture::new(Capture::create(opts.pcap.as_deref(), dev.personality())?);
    let mut sup = Supervisor::start(opts, seed, clock.now())?;
    sup.attach(&mut modem);
    let (to_modem, from_host) = mpsc::channel(FROM_HOST_QUEUE);
    debug!(busid, seed, imei = profile.identity.imei, "modem created");
    let unit = Unit {
        busid: busid.clone(),
        n,
        profile,
        clock,
        modem,
        dev,
        sup,
        tun,
        offer: offer_tx,
        attached: None,
        leave_bus_at: None,
        capture,
    };
    let span = tracing::info_span!("modem", busid);
    tasks.spawn(unit.serve(from_host, shutdown).instrument(span));
    Ok(ModemPort {
        busid,
        offer,
        to_modem,
    })
}

/// One modem's state, owned by its task.
struct Unit {
    busid: String,
    n: u32,
    profile: Profile,
    clock: Clock,
    modem: Modem,
    dev: UsbDevice,
    sup: Supervisor,
    tun: Option<Tun>,
    offer: watch::Sender<Option<ExportedDevice>>,
    attached: Option<Attached>,
    /// When a reset that answers first drops the modem off the bus at the latest.
    leave_bus_at: Option<tokio::time::Instant>,
    /// `--pcap`: the URBs that crossed.
    capture: UrbCapture,
}

impl Unit {
    async fn serve(
        mut self,
        mut from_host: mpsc::Receiver<FromHost>,
        mut shutdown: watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        loop {
            let engine_wake = [self.modem.poll_timeout(), self.sup.poll_timeout()]
                .into_iter()
                .flatten()
                .min()
                .map(|t| self.clock.at(t));
            let wake = [engine_wake, self.leave_bus_at].into_iter().flatten().min();
            let clock = self.clock;
            let now = || clock.now();
            tokio::select! {
                _ = shutdown.changed() => break,
                _ = super::super::sleep_until(wake) => self.modem.handle_timeout(now()),
                Some(msg) = self.sup.next_control() => {
                    self.sup.handle_control(msg, &mut self.modem, now());
                }
                Some(msg) = from_host.recv() => {
                    self.on_host(msg);
                    // What else the host sent meanwhile (the queue bounds
                    // it) shares this turn of the engine.
                    while let Ok(msg) = from_host.try_recv() {
                        self.on_host(msg);
                    }
                }
                r = tun::read_opt(self.tun.as_ref()) => {
                    if let Some(pkt) = r? {
                        self.modem.handle_downlink(&pkt, now());
                    }
                }
            }
            self.turn();
        }
        info!(stats = ?self.modem.data_stats(), dropped_in = self.dev.dropped(), "stopping");
        Ok(())
    }

    fn on_host(&mut self, msg: FromHost) {
        match msg {
            FromHost::Import {
                conn,
                to_host,
                accept,
            } => {
                let free = self.attached.is_none() && self.offer.borrow().is_some();
                // The task may have gone meanwhile (send fails): then the
                // modem stays free.
                if accept.send(free).is_ok() && free {
                    info!(conn, "host attached");
                    self.dev.reset();
                    self.attached = Some(Attached { conn, to_host });
                }
            }
            FromHost::Pdu(conn, pdu) if self.attached.as_ref().is_some_and(|a| a.conn == conn) => {
                on_pdu(
                    &mut self.dev,
                    pdu,
                    self.attached.as_ref(),
                    &mut self.capture,
                );
            }
            FromHost::Pdu(..) => {}
            FromHost::Closed(conn) => {
                if self.attached.as_ref().is_some_and(|a| a.conn == conn) {
                    info!(conn, "host detached");
                    self.attached = None;
                    self.dev.reset();
                }
            }
        }
    }

    /// After every wake-up: the engine takes what the host sent, its
    /// events move the modem on and off the bus, and its output goes back.
    fn turn(&mut self) {
        let now = self.clock.now();
        to_engine(&mut self.dev, &mut self.modem, &mut self.sup, now);
        if let Some(t) = &self.tun {
            while let Some(pkt) = self.modem.poll_uplink() {
                let _ = t.write(&pkt);
            }
        }
        self.sup.after(&mut self.modem, now);
        while let Some(ev) = self.modem.poll_event() {
            match ev {
                Event::LeaveBus { cause } if cause.answers_first() => {
                    // The reset response goes out before the module drops off.
                    self.leave_bus_at = Some(tokio::time::Instant::now() + RESET_GRACE);
                }
                Event::LeaveBus { cause } => {
                    info!(?cause, "leaving the bus");
                    self.leave_bus_at = None;
                    self.leave_bus();
                }
                Event::ReturnToBus { personality } => {
                    if self.leave_bus_at.take().is_some() || self.attached.is_some() {
                        self.leave_bus();
                    }
                    info!(
                        ?personality,
                        "firmware booted: offered again as {}", self.busid
                    );
                    let p = personality_of(personality, &self.modem, &self.profile);
                    self.dev = UsbDevice::new(p, QMI_MAX_COMMAND);
                    self.capture.reenumerated(&self.dev);
                    let offer = exported(&self.busid, self.n, self.dev.personality());
                    self.offer.send_replace(Some(offer));
                    if personality == Personality::BootLoader {
                        self.modem.set_serial_open(SerialPort::Download, true, now);
                    }
                }
            }
        }
        from_engine(&mut self.dev, &mut self.modem);
        if let Some(a) = &self.attached {
            while let Some(c) = self.dev.poll_completion() {
                self.capture.completed(&c);
                let _ = a.to_host.send(
                    Pdu::RetSubmit(RetSubmit {
                        seqnum: c.id,
                        status: errno(c.status),
                        actual_length: c.actual_length,
                        data: c.data,
                        error_count: 0,
                    })
                    .emit(),
                );
            }
        }
        // After the flush: the reply that emptied the channel (the reset
        // response) is already on its way when the connection closes.
        if self
            .leave_bus_at
            .is_some_and(|t| self.dev.wdm().queued() == 0 || tokio::time::Instant::now() >= t)
        {
            self.leave_bus_at = None;
            self.leave_bus();
        }
    }

    /// The modem drops off the bus: the host's connection closes (it sees
    /// a disconnect) and nothing is offered until the firmware is back.
    fn leave_bus(&mut self) {
        info!("leaving the bus");
        self.offer.send_replace(None);
        // Dropping the sender ends the connection task, which closes the socket.
        self.attached = None;
        self.dev.reset();
        self.capture.clear();
    }
}

/// What the module enumerates as: the boot loader, or the application in
/// the USB composition its non-volatile settings hold.
fn personality_of(kind: Personality, modem: &Modem, p: &Profile) -> UsbPersonality {
    match kind {
        Personality::Application => UsbPersonality::application(p, modem.device().usb_composition),
        Personality::BootLoader => UsbPersonality::bootloader(p),
    }
}

/// How OP_REP_DEVLIST / OP_REP_IMPORT describe modem `n`: port `n` of
/// bus 1, device number `n + 1` (the root hub is 1).
fn exported(busid: &str, n: u32, p: &UsbPersonality) -> ExportedDevice {
    ExportedDevice {
        path: format!("/sys/devices/platform/vmodem/usb1/{busid}"),
        busid: busid.into(),
        busnum: 1,
        devnum: n + 1,
        speed: SPEED_HIGH,
        vendor_id: p.vendor_id,
        product_id: p.product_id,
        bcd_device: p.bcd_device,
        device_class: 0,
        device_subclass: 0,
        device_protocol: 0,
        configuration_value: 1,
        num_configurations: p.configurations.len() as u8,
        interfaces: p
            .interfaces()
            .iter()
            .filter(|i| i.alternate == 0)
            .map(|i| ExportedInterface {
                class: i.class,
                subclass: i.subclass,
                protocol: i.protocol,
            })
            .collect(),
    }
}

fn errno(s: UrbStatus) -> i32 {
    match s {
        UrbStatus::Ok => status::OK,
        UrbStatus::Stall => status::EPIPE,
        UrbStatus::Overflow => status::EOVERFLOW,
    }
}

/// A URB-phase PDU from the host that imported this modem.
fn on_pdu(dev: &mut UsbDevice, pdu: Pdu, attached: Option<&Attached>, capture: &mut UrbCapture) {
    match pdu {
        Pdu::Submit(s) => {
            let urb = Urb {
                id: s.seqnum,
                endpoint: s.ep | if s.dir_in { 0x80 } else { 0 },
                setup: s.setup,
                length: s.transfer_buffer_length,
                data: s.data,
            };
            capture.submitted(dev, &urb);
            dev.submit(urb);
        }
        Pdu::Unlink(u) => {
            capture.unlinked(u.unlink_seqnum);
            // -ECONNRESET: cancelled while pending; 0: it had completed
            // already and its RET_SUBMIT is on the way or gone.
            let status = if dev.unlink(u.unlink_seqnum) {
                status::ECONNRESET
            } else {
                status::OK
            };
            if let Some(a) = attached {
                let r = RetUnlink {
                    seqnum: u.seqnum,
                    status,
                };
                let _ = a.to_host.send(Pdu::RetUnlink(r).emit());
            }
        }
        other => debug!(?other, "reply PDU from a host: ignored"),
    }
}

/// What the host sent goes to the engine.
fn to_engine(dev: &mut UsbDevice, modem: &mut Modem, sup: &mut Supervisor, now: Instant) {
    while let Some(t) = dev.poll_host() {
        match t {
            HostTraffic::Control(cmd) => {
                sup.on_request(&cmd, now);
                modem.handle_qmi(&cmd, now);
            }
            HostTraffic::MbimControl(msg) => modem.handle_mbim(&msg, now),
            HostTraffic::Datagram { data, .. } => modem.handle_ip_datagram(&data, now),
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
                Some(port) => modem.handle_serial(port, &data, now),
                None => {}
            },
            // qcserial raises DTR when a tty opens and drops it on close.
            HostTraffic::LineState { role, open } => {
                if let Some(port @ (SerialPort::Nmea | SerialPort::At)) = role.serial_port() {
                    modem.set_serial_open(port, open, now);
                }
            }
        }
    }
}

/// What the engine produced goes to the device's IN endpoints.
fn from_engine(dev: &mut UsbDevice, modem: &mut Modem) {
    for role in [
        PortRole::Dm,
        PortRole::Nmea,
        PortRole::At,
        PortRole::Download,
    ] {
        if let Some(port) = role.serial_port() {
            while let Some(bytes) = modem.poll_serial(port) {
                dev.queue_in(role, TransferKind::Bulk, bytes);
            }
        }
    }
    // The configuration's control channel carries QMI or MBIM; MBIM's
    // data travels in NTBs (session 0, the one the simulated network
    // serves).
    let control = dev.control_role().unwrap_or(PortRole::Qmi);
    while let Some(pkt) = modem.poll_data() {
        match control {
            PortRole::Mbim => dev.queue_datagram(0, pkt),
            _ => dev.queue_in(PortRole::Qmi, TransferKind::Bulk, pkt),
        };
    }
    while let Some(frame) = match control {
        PortRole::Mbim => modem.poll_mbim(),
        _ => modem.poll_qmi(),
    } {
        dev.wdm().queue_response(frame);
    }
    if !modem.is_stalled(StalledEndpoint::Notification) {
        while let Some(n) = dev.wdm().poll_notification() {
            dev.queue_in(control, TransferKind::Interrupt, n.to_vec());
        }
    }
}
