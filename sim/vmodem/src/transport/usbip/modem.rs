//! One modem of the server, bus id `1-n`: its USB device core and the host
//! that imported it, under its own driver (`crate::driver`, which owns the
//! engine) in a task of its own. Every URB a host sends this modem is
//! handled here (`on_pdu`); the device core's traffic goes to the driver
//! and its completions back to the host.
//!
//! Only one host holds the modem at a time. A firmware reset closes that
//! host's connection, which it sees as a disconnect, and the modem is
//! offered again once its firmware is back; the other modems of the
//! server are not affected.

use super::super::capture::Capture;
use super::super::QMI_MAX_COMMAND;
use super::capture::UrbCapture;
use super::connection::FromHost;
pub(super) use crate::driver::Clock;
use crate::driver::{ControlKind, Driver, Overrun, Paused, Transport};
use crate::supervise::Options;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tracing::{debug, info, Instrument};
use vmodem_core::model::Profile;
use vmodem_core::usb::{
    HostTraffic, PortRole, TransferKind, Urb, UrbStatus, UsbDevice, UsbPersonality,
};
use vmodem_core::usbip::{
    status, ExportedDevice, ExportedInterface, Pdu, RetSubmit, RetUnlink, SPEED_HIGH,
};
use vmodem_core::{Modem, Personality, SerialPort};

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
    let pcap = opts.pcap.clone();
    let driver = Driver::start(profile.clone(), seed, opts, clock)?;
    let p = personality_of(driver.personality(), driver.modem(), &profile);
    let dev = UsbDevice::new(p, QMI_MAX_COMMAND);
    let (offer_tx, offer) = watch::channel(Some(exported(&busid, n, dev.personality())));
    // The capture starts with the host's own enumeration, once it attaches.
    let capture = UrbCapture::new(Capture::create(pcap.as_deref(), dev.personality())?);
    let (to_modem, from_host) = mpsc::channel(FROM_HOST_QUEUE);
    debug!(busid, seed, imei = profile.identity.imei, "modem created");
    let unit = Unit {
        busid: busid.clone(),
        n,
        profile,
        dev,
        from_host,
        offer: offer_tx,
        attached: None,
        capture,
    };
    let span = tracing::info_span!("modem", busid);
    let mut shutdown = shutdown;
    let stop = async move {
        let _ = shutdown.changed().await;
    };
    tasks.spawn(
        async move {
            let unit = driver.run(unit, stop).await?;
            info!(dropped_in = unit.dev.dropped(), "stopped");
            Ok(())
        }
        .instrument(span),
    );
    Ok(ModemPort {
        busid,
        offer,
        to_modem,
    })
}

/// One modem's bus: its USB device core and the host that imported it,
/// owned by its task.
struct Unit {
    busid: String,
    n: u32,
    profile: Profile,
    dev: UsbDevice,
    from_host: mpsc::Receiver<FromHost>,
    offer: watch::Sender<Option<ExportedDevice>>,
    attached: Option<Attached>,
    /// `--pcap`: the URBs that crossed.
    capture: UrbCapture,
}

impl Unit {
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

    /// The control channel's notifications go to its interrupt endpoint.
    fn notify(&mut self) {
        let control = self.dev.control_role().unwrap_or(PortRole::Qmi);
        while let Some(n) = self.dev.wdm().poll_notification() {
            self.dev
                .queue_in(control, TransferKind::Interrupt, n.to_vec());
        }
    }
}

impl Transport for Unit {
    async fn recv(&mut self, host: &mut Vec<HostTraffic>, _paused: &Paused) -> anyhow::Result<()> {
        // An OUT URB completes once the device core has it: input a port
        // has not taken waits in the driver.
        let Some(msg) = self.from_host.recv().await else {
            return std::future::pending().await;
        };
        self.on_host(msg);
        // What else the host sent meanwhile (the queue bounds it) shares
        // this turn of the engine.
        while let Ok(msg) = self.from_host.try_recv() {
            self.on_host(msg);
        }
        while let Some(t) = self.dev.poll_host() {
            host.push(t);
        }
        Ok(())
    }

    fn control_kind(&self) -> Option<ControlKind> {
        super::super::core_queues::control_kind(&self.dev)
    }

    fn send_control(&mut self, frame: Vec<u8>) -> Result<(), Overrun> {
        super::super::core_queues::send_control(&mut self.dev, frame)
    }

    fn serial_room(&self, port: SerialPort) -> bool {
        super::super::core_queues::serial_room(&self.dev, port)
    }

    fn send_serial(&mut self, port: SerialPort, bytes: Vec<u8>) -> Result<(), Overrun> {
        super::super::core_queues::send_serial(&mut self.dev, port, bytes)
    }

    fn send_data(&mut self, session: u8, pkt: Vec<u8>) {
        super::super::core_queues::send_data(&mut self.dev, session, pkt)
    }

    fn flush(&mut self, notify: bool) {
        if notify {
            self.notify();
        }
        let Some(a) = &self.attached else {
            return;
        };
        // Every completion of this turn in one buffer: one message to the
        // connection, one write to the socket (the host bounds how many
        // URBs it has pending, so this does too).
        let mut batch = Vec::new();
        while let Some(c) = self.dev.poll_completion() {
            self.capture.completed(&c);
            Pdu::RetSubmit(RetSubmit {
                seqnum: c.id,
                status: errno(c.status),
                actual_length: c.actual_length,
                data: c.data,
                error_count: 0,
            })
            .emit_into(&mut batch);
        }
        if !batch.is_empty() {
            let _ = a.to_host.send(batch);
        }
    }

    fn control_drained(&mut self) -> bool {
        self.dev.wdm().queued() == 0
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

    fn join_bus(&mut self, personality: Personality, modem: &Modem) -> anyhow::Result<()> {
        if self.attached.is_some() {
            self.leave_bus();
        }
        info!(
            ?personality,
            "firmware booted: offered again as {}", self.busid
        );
        let p = personality_of(personality, modem, &self.profile);
        self.dev = UsbDevice::new(p, QMI_MAX_COMMAND);
        self.capture.reenumerated(&self.dev);
        let offer = exported(&self.busid, self.n, self.dev.personality());
        self.offer.send_replace(Some(offer));
        Ok(())
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
