//! The EM7305 as a Linux USB gadget: configfs + FunctionFS.
//!
//! The gadget follows the firmware's personality: the application (9041,
//! DM/NMEA/AT/QMI) or the boot loader (9040, one QDL port). On a change
//! the engine's `Event::ReturnToBus` names the personality, and a new one
//! makes this transport remove the gadget and register one built for it
//! (see gadget.rs).

use super::capture::Capture;
use super::gadget::{Inbound, LiveGadget};
use super::tun::{self, Tun};
use crate::supervise::{Options, Supervisor};
use anyhow::Context;
use bytes::Bytes;
use std::time::Duration;
use tokio::sync::mpsc;
use tracing::{debug, info, warn};
use usb_gadget::function::custom::{Custom, Event as FfsEvent};
use usb_gadget::Udc;
use vmodem_core::capture::ControlOutcome;
use vmodem_core::fault::StalledEndpoint;
use vmodem_core::model::Profile;
use vmodem_core::time::Instant;
use vmodem_core::usb::{ControlReply, PortRole, Setup, TransferKind, UsbPersonality, WdmChannel};
use vmodem_core::{Event, Modem, Personality, SerialPort};

/// wMaxCommand that qmi_wwan registers for cdc-wdm.
const QMI_MAX_COMMAND: usize = 4096;

fn find_udc(name: Option<&str>) -> anyhow::Result<Udc> {
    let udcs = usb_gadget::udcs().context(
        "cannot list USB device controllers: is configfs mounted and libcomposite loaded?",
    )?;
    match name {
        Some(n) => udcs
            .into_iter()
            .find(|u| u.name() == n)
            .with_context(|| format!("no USB device controller named {n}")),
        None => usb_gadget::default_udc().context(
            "no USB device controller: load a UDC driver (dummy_hcd for testing, dwc2 on a Raspberry Pi)",
        ),
    }
}

pub fn run(profile: Profile, seed: u64, udc: Option<String>, opts: Options) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(serve(profile, seed, udc, opts))
}

async fn serve(
    profile: Profile,
    seed: u64,
    udc_name: Option<String>,
    opts: Options,
) -> anyhow::Result<()> {
    let tun = opts.uplink.as_deref().map(Tun::open).transpose()?;
    let opts_pcap = opts.pcap.clone();
    let udc = find_udc(udc_name.as_deref())?;
    // The QMI interface number of the application personality; the boot
    // loader has none, so its EP0 never addresses the channel.
    let qmi_if = UsbPersonality::application_qmi(&profile)
        .interface(PortRole::Qmi)
        .map_or(8, |i| i.number);

    let epoch = tokio::time::Instant::now();
    let now = || Instant::from_millis(epoch.elapsed().as_millis() as u64);
    let mut modem = Modem::new(profile.clone(), seed, now());
    if let Some(t) = &tun {
        modem.set_uplink(true);
        warn!(
            "uplink: packets beyond the simulated network go to TUN {}",
            t.name
        );
    }
    if opts.start_in_bootloader {
        // Already in the boot loader at power-on: no reset to announce.
        modem.enter_bootloader(now());
        while modem.poll_event().is_some() {}
    }
    let (in_tx, mut in_rx) = mpsc::channel::<Inbound>(64);
    let first = modem.personality().unwrap_or(Personality::Application);
    let mut live = LiveGadget::up(first, &profile, &udc, &in_tx)?;
    // The kernel answers the standard requests of enumeration itself, so
    // the capture opens with what the host read from the descriptors.
    let mut capture = Capture::create(opts_pcap.as_deref(), &live.usb)?;
    capture.record(|c, ts| c.enumeration(ts));
    println!(
        "vmodem: {:04x}:{:04x} EM7305 on {} (seed {seed})",
        live.usb.vendor_id,
        live.usb.product_id,
        udc.name().to_string_lossy()
    );

    let mut sup = Supervisor::start(opts, seed, now())?;
    sup.attach(&mut modem);
    let mut wdm = WdmChannel::new(qmi_if, QMI_MAX_COMMAND);
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut leave_bus_at: Option<tokio::time::Instant> = None;
    let mut rebind_at: Option<tokio::time::Instant> = None;
    let mut ep0_errors: u64 = 0;
    // Packets the engine forwarded that the TUN device refused (it is down).
    let mut tun_write_failures: u64 = 0;

    loop {
        let engine_wake = [modem.poll_timeout(), sup.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
            .map(|t| epoch + Duration::from_millis(t.millis()));
        let wake = [engine_wake, leave_bus_at, rebind_at]
            .into_iter()
            .flatten()
            .min();
        let sleep = super::sleep_until(wake);
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = sigterm.recv() => break,
            _ = sleep => modem.handle_timeout(now()),
            Some(msg) = sup.next_control() => sup.handle_control(msg, &mut modem, now()),
            r = live.custom.wait_event() => {
                // EP0 errors are the host's doing (EIDRM: it abandoned a
                // control transfer, e.g. a timeout; ESHUTDOWN: it went away
                // mid-transfer). The device keeps serving.
                let r = match r {
                    Ok(()) => handle_ep0(&mut live.custom, &mut wdm, &mut modem, &mut sup, &mut capture, now()),
                    Err(e) => Err(e.into()),
                };
                if let Err(e) = r {
                    ep0_errors += 1;
                    debug!("EP0: {e:#}");
                    if ep0_errors % 1000 == 1 {
                        warn!("EP0 error (host abandoned a transfer?): {e:#}");
                    }
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
            Some(msg) = in_rx.recv() => match msg.role.serial_port() {
                Some(port) if modem.is_stalled(StalledEndpoint::Serial(port)) => {
                    debug!(?port, "serial OUT stalled: dropping");
                }
                Some(port) => {
                    capture.record(|c, ts| c.serial(ts, port, false, &msg.data));
                    modem.handle_serial(port, &msg.data, now());
                }
                None if msg.role == PortRole::Qmi => {
                    capture.record(|c, ts| c.data(ts, false, &msg.data));
                    modem.handle_data(&msg.data, now());
                    tracing::trace!(len = msg.data.len(), stats = ?modem.data_stats(), "data OUT");
                }
                None => debug!(role = ?msg.role, len = msg.data.len(), "bulk OUT"),
            },
            r = tun::read_opt(tun.as_ref()) => {
                if let Some(pkt) = r? {
                    modem.handle_downlink(&pkt, now());
                }
            }
        }
        if let Some(t) = &tun {
            while let Some(pkt) = modem.poll_uplink() {
                if !t.write(&pkt) {
                    tun_write_failures += 1;
                }
            }
        }
        sup.after(&mut modem, now());
        while let Some(ev) = modem.poll_event() {
            match ev {
                Event::LeaveBus { cause } if cause.answers_first() => {
                    // The module answers the reset request before it drops
                    // off the bus; leave once the host has read it.
                    leave_bus_at = Some(tokio::time::Instant::now() + RESET_GRACE);
                }
                Event::LeaveBus { cause } => {
                    leave_bus_at = None;
                    rebind_at = None;
                    info!(?cause, "leaving the bus");
                    leave_bus(&mut live, &mut wdm);
                }
                Event::ReturnToBus { personality } => {
                    if leave_bus_at.take().is_some() {
                        leave_bus(&mut live, &mut wdm);
                    }
                    if personality != live.kind {
                        info!("firmware booted as {personality:?}: new gadget");
                        leave_bus(&mut live, &mut wdm);
                        let old = std::mem::replace(
                            &mut live,
                            LiveGadget::up(personality, &profile, &udc, &in_tx)?,
                        );
                        // The old gadget left the UDC above, so the new one
                        // is already bound.
                        if let Err(e) = old.remove() {
                            warn!("removing the old gadget: {e:#}");
                        }
                        rebind_at = None;
                    } else if !live.on_bus() {
                        info!("firmware booted: back on the bus");
                        rebind_at = Some(tokio::time::Instant::now());
                    }
                    if personality == Personality::BootLoader {
                        // A Sahara boot loader greets whoever reads the port.
                        modem.set_serial_open(SerialPort::Download, true, now());
                    }
                }
            }
        }
        for role in [
            PortRole::Dm,
            PortRole::Nmea,
            PortRole::At,
            PortRole::Download,
        ] {
            let Some(port) = role.serial_port() else {
                continue;
            };
            let tx = live.sender(role, TransferKind::Bulk);
            while let Some(bytes) = modem.poll_serial(port) {
                if let Some(tx) = tx {
                    capture.record(|c, ts| c.serial(ts, port, true, &bytes));
                    if tx.try_send(Bytes::from(bytes)).is_err() {
                        debug!(?role, "serial IN queue full: dropping");
                    }
                }
            }
        }
        if let Some(tx) = live.sender(PortRole::Qmi, TransferKind::Bulk) {
            while let Some(pkt) = modem.poll_data() {
                // A packet filling whole bulk packets needs a zero-length
                // packet after it, or the host reads on into the next one.
                let zlp = pkt.len() % 512 == 0;
                capture.record(|c, ts| c.data(ts, true, &pkt));
                if tx.try_send(Bytes::from(pkt)).is_err() {
                    debug!("data IN queue full: dropping a packet");
                } else if zlp {
                    let _ = tx.try_send(Bytes::new());
                }
            }
        }
        while let Some(frame) = modem.poll_qmi() {
            wdm.queue_response(frame);
        }
        // The controller may still be busy with the unbind: retry until it
        // takes the gadget back.
        if rebind_at.is_some_and(|t| tokio::time::Instant::now() >= t) {
            let t = std::time::Instant::now();
            match live.join_bus(&udc) {
                Ok(()) => {
                    rebind_at = None;
                    capture.record(|c, ts| c.enumeration(ts));
                    // The UDC write runs the whole gadget bind; what it costs
                    // adds to the down time the host sees.
                    info!(
                        ms = t.elapsed().as_millis() as u64,
                        "back on the bus: bound"
                    );
                }
                Err(e) => {
                    warn!("rebind failed, retrying: {e}");
                    rebind_at = Some(tokio::time::Instant::now() + REBIND_RETRY);
                }
            }
        }
        if leave_bus_at.is_some_and(|t| wdm.queued() == 0 || tokio::time::Instant::now() >= t) {
            leave_bus_at = None;
            leave_bus(&mut live, &mut wdm);
        }
        let notify = !modem.is_stalled(StalledEndpoint::Notification);
        if let Some(tx) = live
            .sender(PortRole::Qmi, TransferKind::Interrupt)
            .filter(|_| notify)
        {
            while let Some(n) = wdm.poll_notification() {
                capture.record(|c, ts| {
                    match c.endpoint(PortRole::Qmi, TransferKind::Interrupt, true) {
                        Some(ep) => c.transfer(ts, ep, TransferKind::Interrupt, &n),
                        None => Vec::new(),
                    }
                });
                if tx.try_send(Bytes::copy_from_slice(&n)).is_err() {
                    debug!("notification queue full");
                }
            }
        }
    }
    info!(stats = ?modem.data_stats(), tun_write_failures, "data path");
    info!("removing the gadget");
    live.remove()
}

/// Pause between attempts to bind the gadget again after a reset.
const REBIND_RETRY: Duration = Duration::from_millis(250);

/// How long a reset waits for the host to collect the reset response.
const RESET_GRACE: Duration = Duration::from_millis(500);

/// The device drops off the bus (a reset, crash or disconnect).
fn leave_bus(live: &mut LiveGadget, wdm: &mut WdmChannel) {
    if !live.on_bus() {
        return;
    }
    let t = std::time::Instant::now();
    wdm.reset();
    live.leave_bus();
    info!(ms = t.elapsed().as_millis() as u64, "left the bus: unbound");
}

/// One EP0 event: class requests go to the CDC-WDM channel; everything
/// else the kernel has not answered is stalled, as the module does.
fn handle_ep0(
    custom: &mut Custom,
    wdm: &mut WdmChannel,
    modem: &mut Modem,
    sup: &mut Supervisor,
    capture: &mut Capture,
    now: Instant,
) -> anyhow::Result<()> {
    let Some(event) = custom.try_event()? else {
        return Ok(());
    };
    match event {
        FfsEvent::SetupHostToDevice(rx) => {
            let setup = setup_of(rx.ctrl_req());
            let serial_line_state = setup.is_class_interface()
                && setup.request == 0x22
                && setup.interface() != wdm.interface();
            let for_wdm = setup.is_class_interface()
                && setup.interface() == wdm.interface()
                && matches!(setup.request, 0x00 | 0x22);
            if serial_line_state {
                let data = rx.recv_all()?;
                capture.record(|c, ts| c.control(ts, &setup, &data, ControlOutcome::Accepted));
                // qcserial raises DTR when a tty is opened and drops it on close.
                let port = match setup.interface() {
                    2 => Some(SerialPort::Nmea),
                    3 => Some(SerialPort::At),
                    _ => None,
                };
                if let Some(port) = port {
                    modem.set_serial_open(port, setup.value & 1 != 0, now);
                }
            } else if for_wdm {
                let data = rx.recv_all()?;
                capture.record(|c, ts| c.control(ts, &setup, &data, ControlOutcome::Accepted));
                if let ControlReply::Accept(Some(cmd)) = wdm.handle(&setup, &data) {
                    sup.on_request(&cmd, now);
                    modem.handle_qmi(&cmd, now);
                }
            } else {
                debug!(?setup, "stalling OUT request");
                capture.record(|c, ts| c.control(ts, &setup, &[], ControlOutcome::Stalled));
                rx.halt()?;
            }
        }
        FfsEvent::SetupDeviceToHost(tx) => {
            let setup = setup_of(tx.ctrl_req());
            match wdm.handle(&setup, &[]) {
                ControlReply::Data(d) => {
                    capture.record(|c, ts| c.control(ts, &setup, &[], ControlOutcome::Data(&d)));
                    tx.send(&d)?;
                }
                _ => {
                    debug!(?setup, "stalling IN request");
                    capture.record(|c, ts| c.control(ts, &setup, &[], ControlOutcome::Stalled));
                    tx.halt()?;
                }
            }
        }
        FfsEvent::Disable | FfsEvent::Unbind => {
            debug!("function disabled");
            wdm.reset();
        }
        other => debug!(?other, "FunctionFS event"),
    }
    Ok(())
}

fn setup_of(r: &usb_gadget::function::custom::CtrlReq) -> Setup {
    Setup {
        request_type: r.request_type,
        request: r.request,
        value: r.value,
        index: r.index,
        length: r.length,
    }
}
