//! The EM7305 as a USB/IP device server: any Linux host attaches it with
//! `usbip attach -r ADDR -b 1-1` and its vhci_hcd enumerates the exact
//! descriptors, no gadget hardware needed (docs/usbip.md).
//!
//! Each TCP connection starts with one operation. OP_REQ_DEVLIST is
//! answered and the connection closed; an accepted OP_REQ_IMPORT turns the
//! connection into the device's bus: URBs in, completions out, through the
//! sans-IO `UsbDevice`. Only one host holds the device at a time. A
//! firmware reset closes that connection, which the host sees as a
//! disconnect, and the device is offered again once the firmware is back.

mod connection;

use super::tun::{self, Tun};
use crate::supervise::{Options, Supervisor};
use connection::{connection, FromHost};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};
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

/// The bus id a host names in `usbip attach -b`.
pub const BUSID: &str = "1-1";
/// wMaxCommand that qmi_wwan registers for cdc-wdm.
const QMI_MAX_COMMAND: usize = 4096;
/// How long a reset waits for the host to collect the reset response.
const RESET_GRACE: Duration = Duration::from_millis(500);

/// The connection that imported the device.
struct Attached {
    conn: u64,
    to_host: mpsc::UnboundedSender<Vec<u8>>,
}

pub fn run(profile: Profile, seed: u64, listen: SocketAddr, opts: Options) -> anyhow::Result<()> {
    if opts.pcap.is_some() {
        anyhow::bail!("--pcap is served on --transport ffs only");
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(serve(profile, seed, listen, opts))
}

/// What the module enumerates as: the boot loader, or the application in
/// the USB composition its non-volatile settings hold.
fn personality_of(kind: Personality, modem: &Modem, p: &Profile) -> UsbPersonality {
    match kind {
        Personality::Application => UsbPersonality::application(p, modem.device().usb_composition),
        Personality::BootLoader => UsbPersonality::bootloader(p),
    }
}

/// How OP_REP_DEVLIST / OP_REP_IMPORT describe the device.
fn exported(p: &UsbPersonality) -> ExportedDevice {
    ExportedDevice {
        path: format!("/sys/devices/platform/vmodem/usb1/{BUSID}"),
        busid: BUSID.into(),
        busnum: 1,
        devnum: 2,
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

async fn serve(
    profile: Profile,
    seed: u64,
    listen: SocketAddr,
    opts: Options,
) -> anyhow::Result<()> {
    if !listen.ip().is_loopback() {
        warn!("USB/IP has no authentication: anyone who reaches {listen} can attach this modem");
        eprintln!("vmodem: WARNING: USB/IP on {listen} is not loopback and has no authentication");
    }
    let tun = opts.uplink.as_deref().map(Tun::open).transpose()?;
    let listener = TcpListener::bind(listen).await?;
    let epoch = tokio::time::Instant::now();
    let now = || Instant::from_millis(epoch.elapsed().as_millis() as u64);
    let mut modem = Modem::new(profile.clone(), seed, now());
    if tun.is_some() {
        modem.set_uplink(true);
    }
    if opts.start_in_bootloader {
        modem.enter_bootloader(now());
        while modem.poll_event().is_some() {}
    }
    let kind = modem.personality().unwrap_or(Personality::Application);
    let mut dev = UsbDevice::new(personality_of(kind, &modem, &profile), QMI_MAX_COMMAND);
    let (offer_tx, offer_rx) = watch::channel(Some(exported(dev.personality())));
    println!(
        "vmodem: {:04x}:{:04x} EM7305 on usbip://{listen} busid {BUSID} (seed {seed})",
        dev.personality().vendor_id,
        dev.personality().product_id,
    );
    let mut sup = Supervisor::start(opts, seed, now())?;
    sup.attach(&mut modem);
    let (from_host_tx, mut from_host) = mpsc::channel::<FromHost>(256);
    let mut attached: Option<Attached> = None;
    let mut next_conn = 0u64;
    let mut leave_bus_at: Option<tokio::time::Instant> = None;
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;

    loop {
        let engine_wake = [modem.poll_timeout(), sup.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
            .map(|t| epoch + Duration::from_millis(t.millis()));
        let wake = [engine_wake, leave_bus_at].into_iter().flatten().min();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = sigterm.recv() => break,
            _ = super::sleep_until(wake) => modem.handle_timeout(now()),
            Some(msg) = sup.next_control() => sup.handle_control(msg, &mut modem, now()),
            r = listener.accept() => {
                let (stream, peer) = r?;
                next_conn += 1;
                debug!(%peer, conn = next_conn, "USB/IP connection");
                tokio::spawn(connection(next_conn, stream, offer_rx.clone(), from_host_tx.clone()));
            }
            Some(msg) = from_host.recv() => match msg {
                FromHost::Import { conn, to_host, accept } => {
                    let free = attached.is_none() && offer_rx.borrow().is_some();
                    // The task may have gone meanwhile (send fails): then
                    // the device stays free.
                    if accept.send(free).is_ok() && free {
                        info!(conn, "host attached");
                        dev.reset();
                        attached = Some(Attached { conn, to_host });
                    }
                }
                FromHost::Pdu(conn, pdu) if attached.as_ref().is_some_and(|a| a.conn == conn) => {
                    on_pdu(&mut dev, pdu, attached.as_ref());
                }
                FromHost::Pdu(..) => {}
                FromHost::Closed(conn) => {
                    if attached.as_ref().is_some_and(|a| a.conn == conn) {
                        info!(conn, "host detached");
                        attached = None;
                        dev.reset();
                    }
                }
            },
            r = tun::read_opt(tun.as_ref()) => {
                if let Some(pkt) = r? {
                    modem.handle_downlink(&pkt, now());
                }
            }
        }
        to_engine(&mut dev, &mut modem, &mut sup, now());
        if let Some(t) = &tun {
            while let Some(pkt) = modem.poll_uplink() {
                let _ = t.write(&pkt);
            }
        }
        sup.after(&mut modem, now());
        while let Some(ev) = modem.poll_event() {
            match ev {
                Event::LeaveBus { cause } if cause.answers_first() => {
                    // The reset response goes out before the module drops off.
                    leave_bus_at = Some(tokio::time::Instant::now() + RESET_GRACE);
                }
                Event::LeaveBus { cause } => {
                    info!(?cause, "leaving the bus");
                    leave_bus_at = None;
                    leave_bus(&mut dev, &mut attached, &offer_tx);
                }
                Event::ReturnToBus { personality } => {
                    if leave_bus_at.take().is_some() || attached.is_some() {
                        leave_bus(&mut dev, &mut attached, &offer_tx);
                    }
                    info!(?personality, "firmware booted: offered again as {BUSID}");
                    dev = UsbDevice::new(
                        personality_of(personality, &modem, &profile),
                        QMI_MAX_COMMAND,
                    );
                    offer_tx.send_replace(Some(exported(dev.personality())));
                    if personality == Personality::BootLoader {
                        modem.set_serial_open(SerialPort::Download, true, now());
                    }
                }
            }
        }
        from_engine(&mut dev, &mut modem);
        if let Some(a) = &attached {
            while let Some(c) = dev.poll_completion() {
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
        if leave_bus_at.is_some_and(|t| dev.wdm().queued() == 0 || tokio::time::Instant::now() >= t)
        {
            leave_bus_at = None;
            leave_bus(&mut dev, &mut attached, &offer_tx);
        }
    }
    info!(stats = ?modem.data_stats(), dropped_in = dev.dropped(), "stopping");
    Ok(())
}

fn errno(s: UrbStatus) -> i32 {
    match s {
        UrbStatus::Ok => status::OK,
        UrbStatus::Stall => status::EPIPE,
        UrbStatus::Overflow => status::EOVERFLOW,
    }
}

/// The device drops off the bus: the host's connection closes (it sees a
/// disconnect) and nothing is offered until the firmware is back.
fn leave_bus(
    dev: &mut UsbDevice,
    attached: &mut Option<Attached>,
    offer: &watch::Sender<Option<ExportedDevice>>,
) {
    info!("leaving the bus");
    offer.send_replace(None);
    // Dropping the sender ends the connection task, which closes the socket.
    *attached = None;
    dev.reset();
}

fn on_pdu(dev: &mut UsbDevice, pdu: Pdu, attached: Option<&Attached>) {
    match pdu {
        Pdu::Submit(s) => dev.submit(Urb {
            id: s.seqnum,
            endpoint: s.ep | if s.dir_in { 0x80 } else { 0 },
            setup: s.setup,
            length: s.transfer_buffer_length,
            data: s.data,
        }),
        Pdu::Unlink(u) => {
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
    while let Some(pkt) = modem.poll_data() {
        dev.queue_in(PortRole::Qmi, TransferKind::Bulk, pkt);
    }
    // The configuration's control channel carries QMI or MBIM.
    let control = dev.control_role().unwrap_or(PortRole::Qmi);
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
