//! The EM7305 as a Linux USB gadget: configfs + FunctionFS.
//!
//! The gadget follows the firmware's personality: the application (9041,
//! DM/NMEA/AT/QMI) or the boot loader (9040, one QDL port). On a change
//! the engine's `Event::ReturnToBus` names the personality, and a new one
//! makes this transport remove the gadget and register one built for it
//! (see gadget.rs). EP0's requests go to `UsbDevice`, as USB/IP's do; the
//! device policy is the driver's (`crate::driver`).

use super::capture::Capture;
use super::gadget::{Ep0, Inbound, LiveGadget};
use super::QMI_MAX_COMMAND;
use crate::driver::{self, Clock, ControlKind, Driver, Overrun, Paused, Transport};
use crate::supervise::Options;
use anyhow::Context;
use bytes::Bytes;
use std::time::Duration;
use tokio::io::unix::AsyncFd;
use tokio::sync::mpsc;
use tracing::{debug, info, warn};
use usb_gadget::function::custom::Event as FfsEvent;
use usb_gadget::Udc;
use vmodem_core::capture::ControlOutcome;
use vmodem_core::model::Profile;
use vmodem_core::usb::{
    HostTraffic, PortRole, Setup, TransferKind, Urb, UrbStatus, UsbDevice, MAX_QUEUED_RESPONSES,
};
use vmodem_core::{Modem, Personality, SerialPort};

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
    let pcap = opts.pcap.clone();
    let udc = find_udc(udc_name.as_deref())?;
    let shutdown = super::shutdown_signal(opts.stop_after)?;
    let driver = Driver::start(
        profile.clone(),
        seed,
        opts,
        Clock(tokio::time::Instant::now()),
    )?;
    let (in_tx, in_rx) = mpsc::channel::<Inbound>(64);
    let live = LiveGadget::up(driver.personality(), &profile, &udc, &in_tx)?;
    // The kernel answers the standard requests of enumeration itself, so
    // the capture opens with what the host read from the descriptors.
    let mut capture = Capture::create(pcap.as_deref(), &live.usb)?;
    capture.record(|c, ts| c.enumeration(ts));
    println!(
        "vmodem: {:04x}:{:04x} EM7305 on {} (seed {seed})",
        live.usb.vendor_id,
        live.usb.product_id,
        udc.name().to_string_lossy()
    );
    let g = Gadget {
        dev: UsbDevice::new(live.usb.clone(), QMI_MAX_COMMAND),
        profile,
        udc,
        live,
        in_tx,
        in_rx,
        capture,
        rebind_at: None,
        ep0_errors: 0,
        ep0_unread: true,
        data_in_dropped: 0,
    };
    let g = driver.run(g, shutdown).await?;
    info!(data_in_dropped = g.data_in_dropped, "removing the gadget");
    g.live.remove()
}

/// Pause between attempts to bind the gadget again after a reset.
const REBIND_RETRY: Duration = Duration::from_millis(250);

/// Chunks a serial IN endpoint's queue may hold before its port stops
/// taking host input (half the gadget's queue of 256).
const SERIAL_ROOM: usize = 128;

/// The gadget transport: EP0 through the device core, bulk and interrupt
/// endpoints through the gadget's tasks.
struct Gadget {
    profile: Profile,
    udc: Udc,
    live: LiveGadget,
    /// EP0's class requests and the CDC-WDM channel. The kernel answers
    /// the standard requests; FunctionFS tells us the configuration.
    dev: UsbDevice,
    in_tx: mpsc::Sender<Inbound>,
    in_rx: mpsc::Receiver<Inbound>,
    capture: Capture,
    rebind_at: Option<tokio::time::Instant>,
    ep0_errors: u64,
    /// EP0 may hold events not read yet: look before waiting.
    ep0_unread: bool,
    /// Packets for the host dropped at the full data IN queue.
    data_in_dropped: u64,
}

impl Gadget {
    /// EP0's events since the last wake-up, a bounded number per turn.
    /// Readiness was cleared before the first read, so an event that
    /// comes after the last read wakes the loop again; one left unread
    /// (the bound, an error) makes the next turn look again at once.
    async fn ep0_events(&mut self) {
        self.ep0_unread = true;
        for _ in 0..EP0_EVENTS_PER_TURN {
            match self.ep0() {
                Ok(true) => {}
                Ok(false) => {
                    self.ep0_unread = false;
                    return;
                }
                // EP0 errors are the host's doing (EIDRM: it abandoned a
                // control transfer, e.g. a timeout; ESHUTDOWN: it went away
                // mid-transfer). The device keeps serving.
                Err(e) => {
                    self.ep0_errors += 1;
                    debug!("EP0: {e:#}");
                    if self.ep0_errors % 1000 == 1 {
                        warn!("EP0 error (host abandoned a transfer?): {e:#}");
                    }
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    return;
                }
            }
        }
    }

    /// One EP0 event, if one waits (true): class requests go to the device
    /// core, which stalls what it does not know, as the module does.
    fn ep0(&mut self) -> anyhow::Result<bool> {
        let Some(event) = self.live.custom.try_event()? else {
            return Ok(false);
        };
        match event {
            FfsEvent::SetupHostToDevice(rx) => {
                let setup = setup_of(rx.ctrl_req());
                if setup.length == 0 {
                    // No data stage: the device decides before the status stage.
                    match control(&mut self.dev, &setup, Vec::new()).status {
                        UrbStatus::Ok => {
                            rx.recv_all()?;
                            self.capture.record(|c, ts| {
                                c.control(ts, &setup, &[], ControlOutcome::Accepted)
                            });
                        }
                        _ => {
                            debug!(?setup, "stalling OUT request");
                            self.capture.record(|c, ts| {
                                c.control(ts, &setup, &[], ControlOutcome::Stalled)
                            });
                            rx.halt()?;
                        }
                    }
                } else {
                    // FunctionFS completes the status stage with the data,
                    // so a request the device refuses is only logged.
                    let data = rx.recv_all()?;
                    let status = control(&mut self.dev, &setup, data.clone()).status;
                    if status != UrbStatus::Ok {
                        debug!(?setup, "OUT request refused after its data stage");
                    }
                    let outcome = match status {
                        UrbStatus::Ok => ControlOutcome::Accepted,
                        _ => ControlOutcome::Stalled,
                    };
                    self.capture
                        .record(|c, ts| c.control(ts, &setup, &data, outcome));
                }
            }
            FfsEvent::SetupDeviceToHost(tx) => {
                let setup = setup_of(tx.ctrl_req());
                let c = control(&mut self.dev, &setup, Vec::new());
                if c.status == UrbStatus::Ok {
                    let d = c.data;
                    self.capture
                        .record(|c, ts| c.control(ts, &setup, &[], ControlOutcome::Data(&d)));
                    tx.send(&d)?;
                } else {
                    debug!(?setup, "stalling IN request");
                    self.capture
                        .record(|c, ts| c.control(ts, &setup, &[], ControlOutcome::Stalled));
                    tx.halt()?;
                }
            }
            FfsEvent::Enable => {
                // The host selected the configuration (the kernel answered
                // SET_CONFIGURATION): the device core follows.
                let value = self
                    .dev
                    .personality()
                    .configurations
                    .first()
                    .map_or(1, |c| c.value);
                let set = Setup {
                    request_type: 0x00,
                    request: 9,
                    value: value.into(),
                    index: 0,
                    length: 0,
                };
                control(&mut self.dev, &set, Vec::new());
                debug!("function enabled");
            }
            FfsEvent::Disable | FfsEvent::Unbind => {
                debug!("function disabled");
                self.dev.reset();
            }
            other => debug!(?other, "FunctionFS event"),
        }
        Ok(true)
    }

    /// One completed OUT transfer, for the engine.
    fn inbound(&mut self, msg: Inbound, host: &mut Vec<HostTraffic>) {
        match msg.role.serial_port() {
            Some(port) => self
                .capture
                .record(|c, ts| c.serial(ts, port, false, &msg.data)),
            None if msg.role == PortRole::Qmi => {
                self.capture.record(|c, ts| c.data(ts, false, &msg.data));
            }
            None => {}
        }
        // The read buffer itself becomes the engine's input: no copy.
        host.push(HostTraffic::Bulk {
            role: msg.role,
            data: Vec::from(msg.data),
        });
    }

    /// Binds again; the controller may still be busy with the unbind.
    fn rebind(&mut self) {
        let t = std::time::Instant::now();
        match self.live.join_bus(&self.udc) {
            Ok(()) => {
                self.rebind_at = None;
                self.capture.record(|c, ts| c.enumeration(ts));
                // The UDC write runs the whole gadget bind; what it costs
                // adds to the down time the host sees.
                info!(
                    ms = t.elapsed().as_millis() as u64,
                    "back on the bus: bound"
                );
            }
            Err(e) => {
                warn!("rebind failed, retrying: {e}");
                self.rebind_at = Some(tokio::time::Instant::now() + REBIND_RETRY);
            }
        }
    }
}

/// EP0 events read per turn at most, so the data path is not starved.
const EP0_EVENTS_PER_TURN: usize = 16;

/// Resolves when EP0 may have events: at once if some were left unread,
/// else when the poller says it is readable (its readiness cleared, so
/// the next event wakes it again). Cancel-safe.
async fn ep0_ready(ep0: &AsyncFd<Ep0>, unread: bool) -> std::io::Result<()> {
    if !unread {
        ep0.readable().await?.clear_ready();
    }
    Ok(())
}

/// One control transfer through the device core, completed at once.
fn control(dev: &mut UsbDevice, setup: &Setup, data: Vec<u8>) -> vmodem_core::usb::Completion {
    let in_ = setup.request_type & 0x80 != 0;
    dev.submit(Urb {
        id: 0,
        endpoint: if in_ { 0x80 } else { 0 },
        setup: setup.emit(),
        length: u32::from(setup.length),
        data,
    });
    dev.poll_completion()
        .unwrap_or(vmodem_core::usb::Completion {
            id: 0,
            status: UrbStatus::Stall,
            data: Vec::new(),
            actual_length: 0,
        })
}

impl Transport for Gadget {
    async fn recv(&mut self, host: &mut Vec<HostTraffic>, _paused: &Paused) -> anyhow::Result<()> {
        // A bulk OUT transfer is complete once read from the endpoint:
        // input a port has not taken waits in the driver.
        let rebind = super::sleep_until(self.rebind_at);
        tokio::select! {
            r = ep0_ready(&self.live.ep0, self.ep0_unread) => {
                match r {
                    Ok(()) => self.ep0_events().await,
                    Err(e) => {
                        warn!("EP0 poll: {e}");
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                }
            }
            Some(msg) = self.in_rx.recv() => {
                self.inbound(msg, host);
                // What else the endpoints completed meanwhile shares this
                // turn of the engine (the channel bounds it).
                while let Ok(msg) = self.in_rx.try_recv() {
                    self.inbound(msg, host);
                }
            }
            _ = rebind => self.rebind(),
        }
        while let Some(t) = self.dev.poll_host() {
            host.push(t);
        }
        Ok(())
    }

    fn control_kind(&self) -> Option<ControlKind> {
        self.dev.control_role().map(|_| ControlKind::Qmi)
    }

    fn send_control(&mut self, frame: Vec<u8>) -> Result<(), Overrun> {
        if self.dev.wdm().queued() >= MAX_QUEUED_RESPONSES {
            return Err(Overrun {
                port: "qmi",
                bytes: frame.len(),
            });
        }
        self.dev.wdm().queue_response(frame);
        Ok(())
    }

    fn serial_room(&self, port: SerialPort) -> bool {
        self.live
            .sender(PortRole::of_serial(port), TransferKind::Bulk)
            .is_none_or(|tx| tx.capacity() > SERIAL_ROOM)
    }

    fn send_serial(&mut self, port: SerialPort, bytes: Vec<u8>) -> Result<(), Overrun> {
        let Some(tx) = self
            .live
            .sender(PortRole::of_serial(port), TransferKind::Bulk)
        else {
            return Ok(());
        };
        self.capture
            .record(|c, ts| c.serial(ts, port, true, &bytes));
        let n = bytes.len();
        tx.try_send(Bytes::from(bytes)).map_err(|_| Overrun {
            port: driver::port_name(port),
            bytes: n,
        })
    }

    fn send_data(&mut self, _session: u8, pkt: Vec<u8>) {
        let Some(tx) = self.live.sender(PortRole::Qmi, TransferKind::Bulk) else {
            return;
        };
        // A packet filling whole bulk packets needs a zero-length packet
        // after it, or the host reads on into the next one.
        // Whole or not at all: the packet goes only with room for its ZLP.
        let zlp = pkt.len() % 512 == 0;
        if tx.capacity() < 1 + usize::from(zlp) {
            self.data_in_dropped += 1;
            if self.data_in_dropped % 1000 == 1 {
                warn!(
                    dropped = self.data_in_dropped,
                    "data IN queue full (the host does not read): packets dropped"
                );
            }
            return;
        }
        self.capture.record(|c, ts| c.data(ts, true, &pkt));
        let _ = tx.try_send(Bytes::from(pkt));
        if zlp {
            let _ = tx.try_send(Bytes::new());
        }
    }

    fn flush(&mut self, notify: bool) {
        let Some(tx) = self
            .live
            .sender(PortRole::Qmi, TransferKind::Interrupt)
            .filter(|_| notify)
        else {
            return;
        };
        while let Some(n) = self.dev.wdm().poll_notification() {
            self.capture.record(|c, ts| {
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

    fn control_drained(&mut self) -> bool {
        self.dev.wdm().queued() == 0
    }

    /// The device drops off the bus (a reset, crash or disconnect).
    fn leave_bus(&mut self) {
        self.rebind_at = None;
        if !self.live.on_bus() {
            return;
        }
        let t = std::time::Instant::now();
        self.dev.reset();
        self.live.leave_bus();
        info!(ms = t.elapsed().as_millis() as u64, "left the bus: unbound");
    }

    fn join_bus(&mut self, personality: Personality, _modem: &Modem) -> anyhow::Result<()> {
        if personality != self.live.kind {
            info!("firmware booted as {personality:?}: new gadget");
            self.leave_bus();
            let new = LiveGadget::up(personality, &self.profile, &self.udc, &self.in_tx)?;
            let old = std::mem::replace(&mut self.live, new);
            // The old gadget left the UDC above, so the new one is already bound.
            if let Err(e) = old.remove() {
                warn!("removing the old gadget: {e:#}");
            }
            self.dev = UsbDevice::new(self.live.usb.clone(), QMI_MAX_COMMAND);
            self.ep0_unread = true;
        } else if !self.live.on_bus() {
            info!("firmware booted: back on the bus");
            self.rebind_at = Some(tokio::time::Instant::now());
        }
        Ok(())
    }
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
