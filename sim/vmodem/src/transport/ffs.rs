//! The EM7305 as a Linux USB gadget: configfs + FunctionFS.
//!
//! FunctionFS numbers interfaces itself, sequentially, so the real layout
//! (0, 2, 3, 8) is reached by padding 1 and 4-7 with endpoint-less vendor
//! interfaces; see docs/usb.md for this and the other deviations.

use super::capture::Capture;
use anyhow::{bail, Context};
use bytes::{Bytes, BytesMut};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::mpsc;
use tracing::{debug, info, warn};
use usb_gadget::function::custom::{
    Custom, Endpoint, EndpointDirection, EndpointReceiver, EndpointSender, Event as FfsEvent,
    Interface, TransferType,
};
use usb_gadget::{Class, Config, Gadget, Id, RegGadget, Strings, Udc};
use vmodem_core::capture::ControlOutcome;
use vmodem_core::model::Profile;
use vmodem_core::time::Instant;
use vmodem_core::usb::{ControlReply, PortRole, Setup, TransferKind, UsbPersonality, WdmChannel};
use vmodem_core::{Event, Modem, SerialPort};

/// wMaxCommand that qmi_wwan registers for cdc-wdm.
const QMI_MAX_COMMAND: usize = 4096;
const READ_BUF: usize = 16384;

/// Data that arrived on a bulk OUT endpoint.
struct Inbound {
    role: PortRole,
    data: BytesMut,
}

/// The gadget's endpoints, by role and direction.
struct Endpoints {
    /// Writers for IN endpoints, keyed by (role, kind).
    senders: HashMap<(PortRole, TransferKind), mpsc::Sender<Bytes>>,
}

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

/// The FunctionFS function with its endpoint halves.
struct Function {
    custom: Custom,
    handle: usb_gadget::function::Handle,
    ins: Vec<(PortRole, TransferKind, EndpointSender)>,
    outs: Vec<(PortRole, EndpointReceiver)>,
}

/// Builds the FunctionFS function for `p`.
fn build_function(p: &UsbPersonality) -> Function {
    let mut builder = Custom::builder();
    let mut ins = vec![];
    let mut outs = vec![];
    let last = p.interfaces.iter().map(|i| i.number).max().unwrap_or(0);
    for n in 0..=last {
        let Some(desc) = p.interfaces.iter().find(|i| i.number == n) else {
            // A placeholder that no driver claims: qcserial skips interfaces
            // outside its SWI map, qmi_wwan matches only number 8.
            builder = builder.with_interface(Interface::new(
                Class::vendor_specific(0xff, 0xff),
                "placeholder",
            ));
            continue;
        };
        let mut intf = Interface::new(
            Class::new(desc.class, desc.subclass, desc.protocol),
            format!("{:?}", desc.role),
        );
        for e in &desc.endpoints {
            let transfer = match e.kind {
                TransferKind::Bulk => TransferType::Bulk,
                TransferKind::Interrupt => TransferType::Interrupt,
            };
            let mut ep = if e.is_in() {
                let (tx, dir) = EndpointDirection::device_to_host();
                ins.push((desc.role, e.kind, tx));
                Endpoint::custom(dir, transfer)
            } else {
                let (rx, dir) = EndpointDirection::host_to_device();
                outs.push((desc.role, rx));
                Endpoint::custom(dir, transfer)
            };
            ep.max_packet_size_hs = e.max_packet_size;
            ep.interval = e.interval;
            intf = intf.with_endpoint(ep);
        }
        builder = builder.with_interface(intf);
    }
    let (custom, handle) = builder.build();
    Function {
        custom,
        handle,
        ins,
        outs,
    }
}

fn register(
    p: &UsbPersonality,
    handle: usb_gadget::function::Handle,
    udc: &Udc,
) -> anyhow::Result<RegGadget> {
    let mut gadget = Gadget::new(
        Class::new(0, 0, 0),
        Id::new(p.vendor_id, p.product_id),
        Strings::new(&p.manufacturer, &p.product, &p.serial),
    );
    gadget.device_release = p.bcd_device;
    gadget.max_packet_size0 = 64;
    gadget.max_speed = Some(usb_gadget::Speed::HighSpeed);
    let mut config = Config::new("vmodem");
    config.max_power = p.max_power_ma;
    config.self_powered = p.self_powered;
    config.remote_wakeup = p.remote_wakeup;
    gadget
        .with_config(config.with_function(handle))
        .bind(udc)
        .context("cannot register the gadget with configfs")
}

pub fn run(
    profile: Profile,
    seed: u64,
    udc: Option<String>,
    pcap: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(serve(profile, seed, udc, pcap))
}

async fn serve(
    profile: Profile,
    seed: u64,
    udc_name: Option<String>,
    pcap: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    let udc = find_udc(udc_name.as_deref())?;
    let personality = UsbPersonality::application_qmi(&profile);
    // The kernel answers the standard requests of enumeration itself, so
    // the capture opens with what the host read from the descriptors.
    let mut capture = Capture::create(pcap.as_deref(), &personality)?;
    capture.record(|c, ts| c.enumeration(ts));
    let Some(qmi_if) = personality.interface(PortRole::Qmi).map(|i| i.number) else {
        bail!("the personality has no QMI interface");
    };
    let Function {
        mut custom,
        handle,
        ins,
        outs,
    } = build_function(&personality);
    let reg = register(&personality, handle, &udc)?;
    println!(
        "vmodem: {:04x}:{:04x} EM7305 on {} (seed {seed})",
        personality.vendor_id,
        personality.product_id,
        udc.name().to_string_lossy()
    );

    let (in_tx, mut in_rx) = mpsc::channel::<Inbound>(64);
    for (role, rx) in outs {
        tokio::spawn(read_endpoint(role, rx, in_tx.clone()));
    }
    let mut eps = Endpoints {
        senders: HashMap::new(),
    };
    for (role, kind, tx) in ins {
        let (q_tx, q_rx) = mpsc::channel::<Bytes>(256);
        eps.senders.insert((role, kind), q_tx);
        tokio::spawn(write_endpoint(role, tx, q_rx));
    }

    let epoch = tokio::time::Instant::now();
    let now = || Instant::from_millis(epoch.elapsed().as_millis() as u64);
    let mut modem = Modem::new(profile, seed, now());
    let mut wdm = WdmChannel::new(qmi_if, QMI_MAX_COMMAND);
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut leave_bus_at: Option<tokio::time::Instant> = None;
    let mut rebind_at: Option<tokio::time::Instant> = None;
    let mut ep0_errors: u64 = 0;

    loop {
        let engine_wake = modem
            .poll_timeout()
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
            r = custom.wait_event() => {
                // EP0 errors are the host's doing (EIDRM: it abandoned a
                // control transfer, e.g. a timeout; ESHUTDOWN: it went away
                // mid-transfer). The device keeps serving.
                let r = match r {
                    Ok(()) => handle_ep0(&mut custom, &mut wdm, &mut modem, &mut capture, now()),
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
            Some(msg) = in_rx.recv() => match serial_port(msg.role) {
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
        }
        while let Some(ev) = modem.poll_event() {
            match ev {
                Event::Reset => {
                    // The module answers the reset request before it drops
                    // off the bus; leave once the host has read it.
                    leave_bus_at = Some(tokio::time::Instant::now() + RESET_GRACE);
                }
                Event::Booted => {
                    if leave_bus_at.take().is_some() {
                        leave_bus(&reg, &mut wdm);
                    }
                    info!("firmware booted: back on the bus");
                    rebind_at = Some(tokio::time::Instant::now());
                }
            }
        }
        for role in [PortRole::Dm, PortRole::Nmea, PortRole::At] {
            let Some(port) = serial_port(role) else {
                continue;
            };
            let tx = eps.senders.get(&(role, TransferKind::Bulk));
            while let Some(bytes) = modem.poll_serial(port) {
                if let Some(tx) = tx {
                    capture.record(|c, ts| c.serial(ts, port, true, &bytes));
                    if tx.try_send(Bytes::from(bytes)).is_err() {
                        debug!(?role, "serial IN queue full: dropping");
                    }
                }
            }
        }
        if let Some(tx) = eps.senders.get(&(PortRole::Qmi, TransferKind::Bulk)) {
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
            match reg.bind(Some(&udc)) {
                Ok(()) => {
                    rebind_at = None;
                    capture.record(|c, ts| c.enumeration(ts));
                }
                Err(e) => {
                    warn!("rebind failed, retrying: {e}");
                    rebind_at = Some(tokio::time::Instant::now() + REBIND_RETRY);
                }
            }
        }
        if leave_bus_at.is_some_and(|t| wdm.queued() == 0 || tokio::time::Instant::now() >= t) {
            leave_bus_at = None;
            leave_bus(&reg, &mut wdm);
        }
        if let Some(tx) = eps.senders.get(&(PortRole::Qmi, TransferKind::Interrupt)) {
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
    info!("removing the gadget");
    drop(custom);
    reg.remove().context("removing the gadget")?;
    Ok(())
}

/// Pause between attempts to bind the gadget again after a reset.
const REBIND_RETRY: Duration = Duration::from_millis(250);

/// How long a reset waits for the host to collect the reset response.
const RESET_GRACE: Duration = Duration::from_millis(500);

/// A firmware reset: the device drops off the bus until it has booted.
fn leave_bus(reg: &RegGadget, wdm: &mut WdmChannel) {
    info!("firmware reset: leaving the bus");
    wdm.reset();
    if let Err(e) = reg.bind(None) {
        warn!("unbind: {e}");
    }
}

/// One EP0 event: class requests go to the CDC-WDM channel; everything
/// else the kernel has not answered is stalled, as the module does.
fn handle_ep0(
    custom: &mut Custom,
    wdm: &mut WdmChannel,
    modem: &mut Modem,
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

fn serial_port(role: PortRole) -> Option<SerialPort> {
    match role {
        PortRole::Dm => Some(SerialPort::Dm),
        PortRole::Nmea => Some(SerialPort::Nmea),
        PortRole::At => Some(SerialPort::At),
        PortRole::Qmi | PortRole::Download => None,
    }
}

async fn read_endpoint(role: PortRole, mut rx: EndpointReceiver, out: mpsc::Sender<Inbound>) {
    loop {
        match rx.recv_async(BytesMut::with_capacity(READ_BUF)).await {
            Ok(Some(data)) => {
                if out.send(Inbound { role, data }).await.is_err() {
                    return;
                }
            }
            Ok(None) => {}
            Err(e) => {
                // Unbound or disabled: wait for the host to come back.
                tracing::trace!(?role, "OUT endpoint: {e}");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    }
}

async fn write_endpoint(role: PortRole, mut tx: EndpointSender, mut q: mpsc::Receiver<Bytes>) {
    // No timeout-and-cancel here: EndpointSender::cancel blocks the thread
    // until the kernel gives the buffers back, which it does not do while
    // the host is away. Pending writes complete (or fail) when the host
    // reads or the function is disabled; meanwhile this task just waits,
    // and the bounded queue in front of it sheds what does not fit.
    while let Some(data) = q.recv().await {
        if let Err(e) = tx.send_async(data).await {
            tracing::trace!(?role, "IN endpoint: {e}");
        }
    }
}
