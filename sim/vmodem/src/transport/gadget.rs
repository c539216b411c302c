//! One registered gadget: a personality's FunctionFS function, its configfs
//! registration and the tasks that move its bulk and interrupt data.
//!
//! A personality change (application 9041 <-> boot loader 9040) removes
//! the whole gadget and registers a new one built for the new personality,
//! as the module re-enumerates with a new descriptor set.
//!
//! FunctionFS numbers interfaces itself, sequentially, so the real layout
//! (0, 2, 3, 8) is reached by padding 1 and 4-7 with endpoint-less vendor
//! interfaces; see docs/usb.md for this and the other deviations.

use anyhow::Context;
use bytes::{Bytes, BytesMut};
use std::collections::HashMap;
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{info, warn};
use usb_gadget::function::custom::{
    Custom, Endpoint, EndpointDirection, EndpointReceiver, EndpointSender, Interface, TransferType,
};
use usb_gadget::{Class, Config, Gadget, Id, RegGadget, Strings, Udc};
use vmodem_core::model::Profile;
use vmodem_core::usb::{PortRole, TransferKind, UsbPersonality};
use vmodem_core::Personality;

/// One OUT transfer's buffer: a packet or frame is one transfer, and a
/// longer transfer than this would be split.
const READ_BUF: usize = 16384;

/// AIO requests in flight on the QMI bulk endpoints (the packet data
/// path), and on the others (the crate's default).
const DATA_AIO_DEPTH: u32 = 32;
const OTHER_AIO_DEPTH: u32 = 16;

/// Pause between reads of an OUT endpoint whose function is disabled.
const DISABLED_RETRY: Duration = Duration::from_millis(50);

/// Earlier transfers' results taken before a send at most: more than an
/// endpoint's queue holds.
const STALE_RESULTS_PER_SEND: usize = 64;

/// Data that arrived on a bulk OUT endpoint.
pub struct Inbound {
    pub role: PortRole,
    pub data: BytesMut,
}

/// The USB identity for a firmware personality.
pub fn personality(kind: Personality, p: &Profile) -> UsbPersonality {
    match kind {
        Personality::Application => UsbPersonality::application_qmi(p),
        Personality::BootLoader => UsbPersonality::bootloader(p),
    }
}

/// A gadget registered with configfs, bound to the UDC or not.
pub struct LiveGadget {
    pub kind: Personality,
    pub usb: UsbPersonality,
    /// EP0's file in the runtime's poller, registered once for the
    /// gadget's life (not once per wait: two syscalls per turn). Declared
    /// before `custom`, so it leaves the poller before the file closes.
    pub ep0: AsyncFd<Ep0>,
    pub custom: Custom,
    reg: RegGadget,
    /// Writers for IN endpoints, keyed by (role, kind).
    senders: HashMap<(PortRole, TransferKind), mpsc::Sender<Bytes>>,
    tasks: Vec<JoinHandle<()>>,
    on_bus: bool,
}

impl LiveGadget {
    /// Builds, registers and binds the gadget for `kind`.
    pub fn up(
        kind: Personality,
        profile: &Profile,
        udc: &Udc,
        inbound: &mpsc::Sender<Inbound>,
    ) -> anyhow::Result<LiveGadget> {
        let usb = personality(kind, profile);
        let f = build_function(&usb);
        let reg = register(&usb, f.handle, udc)?;
        let mut custom = f.custom;
        // EP0 too: a stall on a transfer the host already abandoned reads
        // EP0, which would otherwise wait for the next event off the bus.
        let ep0_fd = custom.fd()?;
        nonblocking(ep0_fd)?;
        // SAFETY: the descriptor is EP0's file, which `custom` keeps open;
        // `remove` drops this registration before `custom` closes it.
        let ep0 = unsafe { AsyncFd::register_with_interest(Ep0(ep0_fd), Interest::READABLE) }
            .map_err(std::io::Error::from)?;
        let mut tasks = vec![];
        for (role, mut rx) in f.outs {
            nonblocking(rx.control()?.fd()?)?;
            tasks.push(tokio::spawn(read_endpoint(role, rx, inbound.clone())));
        }
        let mut senders = HashMap::new();
        for (role, tk, mut tx) in f.ins {
            nonblocking(tx.control()?.fd()?)?;
            let (q_tx, q_rx) = mpsc::channel::<Bytes>(256);
            senders.insert((role, tk), q_tx);
            tasks.push(tokio::spawn(write_endpoint(role, tx, q_rx)));
        }
        info!(
            "{:04x}:{:04x} {kind:?} on {}",
            usb.vendor_id,
            usb.product_id,
            udc.name().to_string_lossy()
        );
        Ok(LiveGadget {
            kind,
            usb,
            ep0,
            custom,
            reg,
            senders,
            tasks,
            on_bus: true,
        })
    }

    pub fn sender(&self, role: PortRole, kind: TransferKind) -> Option<&mpsc::Sender<Bytes>> {
        self.senders.get(&(role, kind))
    }

    pub fn on_bus(&self) -> bool {
        self.on_bus
    }

    /// Drops off the bus (unbinds from the UDC); the registration stays.
    pub fn leave_bus(&mut self) {
        if let Err(e) = self.reg.bind(None) {
            warn!("unbind: {e}");
        }
        self.on_bus = false;
    }

    /// Binds to the UDC again; the controller may still be busy.
    pub fn join_bus(&mut self, udc: &Udc) -> anyhow::Result<()> {
        self.reg.bind(Some(udc))?;
        self.on_bus = true;
        Ok(())
    }

    /// Unbinds first, so pending endpoint I/O fails instead of waiting
    /// for a host, then stops the tasks and removes the gadget.
    pub fn remove(mut self) -> anyhow::Result<()> {
        if self.on_bus {
            self.leave_bus();
        }
        for t in &self.tasks {
            t.abort();
        }
        self.senders.clear();
        // Out of the poller before the file closes.
        drop(self.ep0);
        drop(self.custom);
        self.reg.remove().context("removing the gadget")
    }
}

/// EP0's file descriptor, as the poller holds it; the file belongs to
/// the gadget's `Custom`, which outlives it.
pub struct Ep0(RawFd);

impl AsRawFd for Ep0 {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

/// Endpoint files must not block: while the function is disabled (the
/// module is off the bus) FunctionFS makes every I/O submission wait for the
/// endpoint to come back, which would stall the single-threaded loop
/// before it could ever rebind. Non-blocking, the submission fails with
/// EAGAIN and the endpoint task retries later.
fn nonblocking(fd: std::os::fd::RawFd) -> anyhow::Result<()> {
    use nix::fcntl::{fcntl, FcntlArg, OFlag};
    // SAFETY: the endpoint file stays open for the gadget's lifetime.
    let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    let flags = OFlag::from_bits_truncate(fcntl(fd, FcntlArg::F_GETFL)?);
    fcntl(fd, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    Ok(())
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
    let last = p.interfaces().iter().map(|i| i.number).max().unwrap_or(0);
    for n in 0..=last {
        let Some(desc) = p.interfaces().iter().find(|i| i.number == n) else {
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
            // The packet data path keeps more transfers in flight: a host
            // (usbnet) queues many URBs, and each AIO request is one.
            let depth = if desc.role == PortRole::Qmi && e.kind == TransferKind::Bulk {
                DATA_AIO_DEPTH
            } else {
                OTHER_AIO_DEPTH
            };
            let mut ep = if e.is_in() {
                let (tx, dir) = EndpointDirection::device_to_host();
                ins.push((desc.role, e.kind, tx));
                Endpoint::custom(dir.with_queue_len(depth), transfer)
            } else {
                let (rx, dir) = EndpointDirection::host_to_device();
                outs.push((desc.role, rx));
                Endpoint::custom(dir.with_queue_len(depth), transfer)
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
        // configfs always announces a serial string: the boot loader's
        // "none" becomes an empty one here (docs/usb.md).
        Strings::new(
            &p.manufacturer,
            &p.product,
            p.serial.as_deref().unwrap_or(""),
        ),
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

/// Reads an OUT endpoint: with its whole queue of requests in flight
/// while data flows, and one request at a time after an error until one
/// succeeds. Why: while the function is disabled (before the host
/// configures it, or off the bus) every request fails at once with
/// EAGAIN, and a full queue of such failures, each waited out in turn,
/// would hold the endpoint for seconds after the host came back.
async fn read_endpoint(role: PortRole, mut rx: EndpointReceiver, out: mpsc::Sender<Inbound>) {
    let mut probing = true;
    loop {
        let r = if probing {
            if rx.is_empty() {
                if let Err(e) = rx.try_recv(BytesMut::with_capacity(READ_BUF)) {
                    tracing::trace!(?role, "OUT endpoint: {e}");
                    tokio::time::sleep(DISABLED_RETRY).await;
                    continue;
                }
            }
            rx.fetch_async().await
        } else {
            rx.recv_async(BytesMut::with_capacity(READ_BUF)).await
        };
        match r {
            Ok(Some(data)) => {
                probing = false;
                if out.send(Inbound { role, data }).await.is_err() {
                    return;
                }
            }
            Ok(None) => {}
            Err(e) => {
                tracing::trace!(?role, "OUT endpoint: {e}");
                probing = true;
                // Results of requests queued before are taken at once;
                // only a fresh EAGAIN (the function is disabled) waits.
                if rx.is_empty() && e.kind() == std::io::ErrorKind::WouldBlock {
                    tokio::time::sleep(DISABLED_RETRY).await;
                }
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
        // Failed results of earlier transfers (sent while the host was
        // away) are taken first: the crate reports one per send, and the
        // send it reports it in does not go out.
        for _ in 0..STALE_RESULTS_PER_SEND {
            match tx.try_ready() {
                Ok(()) => break,
                Err(e) => tracing::trace!(?role, "IN endpoint, an earlier transfer: {e}"),
            }
        }
        if let Err(e) = tx.send_async(data).await {
            tracing::trace!(?role, "IN endpoint: {e}");
        }
    }
}
