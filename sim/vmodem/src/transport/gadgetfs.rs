//! The EM7305 as a GadgetFS device: the kernel's user-mode gadget
//! interface (`gadgetfs.ko`, mounted at `/dev/gadget`), which takes the
//! personality's descriptors whole. Unlike FunctionFS it keeps the fixed
//! interface numbers, the CDC and MBIM functional descriptors and the
//! IAD, so every single-configuration composition (MBIM included) is
//! served as USB/IP serves it (docs/usb.md).
//!
//! The device file carries EP0: the kernel answers GET_DESCRIPTOR for the
//! device, configuration and qualifier, and passes every other request up
//! as a SETUP event, which the device core (`UsbDevice`, as USB/IP's)
//! answers. Bulk and interrupt data moves through the same core as URBs:
//! an endpoint thread that can take a transfer is an IN URB waiting, and
//! what it reads is an OUT URB. A firmware reset or a new personality
//! closes the device file (the host sees a disconnect) and opens it again
//! with the new descriptors.

mod abi;
mod endpoints;

use crate::driver::{Clock, ControlKind, Driver, Overrun, Paused, Transport};
use crate::supervise::Options;
use abi::Event;
use anyhow::{bail, Context};
use endpoints::{Endpoint, FromEndpoint};
use nix::errno::Errno;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::unix::AsyncFd;
use tokio::sync::mpsc;
use tracing::{debug, info, warn};
use vmodem_core::model::Profile;
use vmodem_core::usb::{
    Completion, EndpointDesc, HostTraffic, PortRole, Setup, TransferKind, Urb, UrbStatus,
    UsbDevice, UsbPersonality,
};
use vmodem_core::{Modem, Personality, SerialPort};

/// Where GadgetFS is mounted.
pub const GADGETFS_DIR: &str = "/dev/gadget";

/// Pause between attempts to come back on the bus.
const REJOIN_RETRY: Duration = Duration::from_millis(250);

/// How often a control OUT request's data stage is looked for (the device
/// file cannot be polled for it), and for how long: a host gives up on
/// a control transfer after 5 s.
const OUT_DATA_POLL: Duration = Duration::from_millis(1);
const OUT_DATA_WAIT: Duration = Duration::from_secs(5);

/// The URB id EP0's requests go to the device core with.
const EP0_URB: u32 = u32::MAX;

/// The buffer of an IN transfer on a bulk endpoint: an NTB of the MBIM
/// function's dwNtbInMaxSize (16 KiB) fits; serial data is cut to it.
const BULK_IN_TRANSFER: u32 = 16384;

/// IN URBs a bulk endpoint keeps waiting in the device core (the thread
/// still writes one transfer at a time: GadgetFS's endpoint files are
/// synchronous).
const IN_URBS_IN_FLIGHT: usize = 8;

pub fn run(profile: Profile, seed: u64, chip: Option<String>, opts: Options) -> anyhow::Result<()> {
    if opts.pcap.is_some() {
        bail!("--pcap is recorded on --transport usbip, ffs and pty, not on gadgetfs");
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(serve(profile, seed, chip, opts))
}

async fn serve(
    profile: Profile,
    seed: u64,
    chip: Option<String>,
    opts: Options,
) -> anyhow::Result<()> {
    let dir = PathBuf::from(GADGETFS_DIR);
    let chip = find_device_file(&dir, chip)?;
    let shutdown = super::shutdown_signal(opts.stop_after)?;
    let driver = Driver::start(
        profile.clone(),
        seed,
        opts,
        Clock(tokio::time::Instant::now()),
    )?;
    let kind = driver.personality();
    let usb = personality_of(kind, driver.modem(), &profile);
    let (ep_tx, ep_rx) = mpsc::channel(256);
    let mut g = GadgetFs {
        profile,
        dir,
        chip,
        dev: UsbDevice::new(usb.clone(), control_max(&usb)),
        wanted: usb,
        ep0: None,
        files: BTreeMap::new(),
        high_speed: true,
        eps: BTreeMap::new(),
        generation: 0,
        ep_tx,
        ep_rx,
        in_urbs: HashMap::new(),
        next_id: 0,
        pending_out: None,
        rejoin_at: None,
    };
    g.plug()?;
    println!(
        "vmodem: {:04x}:{:04x} EM7305 on {} over GadgetFS (seed {seed})",
        g.wanted.vendor_id,
        g.wanted.product_id,
        g.dir.join(&g.chip).display()
    );
    let mut g = driver.run(g, shutdown).await?;
    info!("closing the gadget");
    g.leave_bus();
    Ok(())
}

/// The device file: the one name under `dir` that is not an endpoint's,
/// or the one named.
fn find_device_file(dir: &Path, name: Option<String>) -> anyhow::Result<String> {
    const HINT: &str = "mount GadgetFS first: modprobe gadgetfs; mkdir -p /dev/gadget; \
                        mount -t gadgetfs gadgetfs /dev/gadget";
    if let Some(n) = name {
        if dir.join(&n).exists() {
            return Ok(n);
        }
        bail!("no device file {}/{n} ({HINT})", dir.display());
    }
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {} ({HINT})", dir.display()))?;
    let mut chips = Vec::new();
    for e in entries {
        let name = e?.file_name().to_string_lossy().into_owned();
        if !name.starts_with("ep") {
            chips.push(name);
        }
    }
    match chips.len() {
        1 => Ok(chips.remove(0)),
        0 => bail!("no device file in {} ({HINT})", dir.display()),
        _ => bail!(
            "several device files in {} ({}): name one with --udc",
            dir.display(),
            chips.join(", ")
        ),
    }
}

/// What the module enumerates as, within what GadgetFS can describe: one
/// configuration (a dual composition offers its MBIM one, which Linux
/// would choose from the two) and no remote wakeup (the kernel refuses a
/// configuration that announces it).
fn personality_of(kind: Personality, modem: &Modem, p: &Profile) -> UsbPersonality {
    let mut u = match kind {
        Personality::Application => UsbPersonality::application(p, modem.device().usb_composition),
        Personality::BootLoader => UsbPersonality::bootloader(p),
    };
    within_gadgetfs(&mut u);
    u
}

/// GadgetFS moves at most this many bytes through EP0 (the kernel's
/// RBUF_SIZE): it shortens an IN request's wLength to it, so a reply of
/// exactly this length ends without the short packet the host waits for
/// when it asked for more, and it stalls longer OUT requests itself.
const EP0_MAX: usize = 256;

/// The longest control message this personality's channel can carry: all
/// of EP0 for MBIM, whose descriptor then asks for no more, and one byte
/// less for QMI (qmi_wwan asks for 4096, which GadgetFS shortens).
fn control_max(u: &UsbPersonality) -> usize {
    match u.interface(PortRole::Mbim) {
        Some(_) => EP0_MAX,
        None => EP0_MAX - 1,
    }
}

fn within_gadgetfs(u: &mut UsbPersonality) {
    // libmbim then opens the function with 256 and fragments both ways.
    u.cap_mbim_control_message(EP0_MAX as u16);
    if u.configurations.len() > 1 {
        let keep = (u.configurations.iter())
            .position(|c| c.interface(PortRole::Mbim).is_some())
            .unwrap_or(0);
        let c = u.configurations.swap_remove(keep);
        u.configurations = vec![c];
    }
    u.remote_wakeup = false;
}

/// The GadgetFS transport: EP0 through the device file, each enabled
/// endpoint through its file and thread, both through the device core.
struct GadgetFs {
    profile: Profile,
    dir: PathBuf,
    /// The device file's name (the controller's).
    chip: String,
    dev: UsbDevice,
    /// The personality to be on the bus as.
    wanted: UsbPersonality,
    /// The open device file; `None` while off the bus.
    ep0: Option<AsyncFd<File>>,
    /// Endpoint address -> endpoint file name.
    files: BTreeMap<u8, String>,
    high_speed: bool,
    eps: BTreeMap<u8, Endpoint>,
    generation: u64,
    ep_tx: mpsc::Sender<FromEndpoint>,
    ep_rx: mpsc::Receiver<FromEndpoint>,
    /// IN URBs handed to the device core: id -> endpoint address.
    in_urbs: HashMap<u32, u8>,
    next_id: u32,
    /// A control OUT request whose data stage has not been read yet.
    pending_out: Option<(Setup, tokio::time::Instant)>,
    rejoin_at: Option<tokio::time::Instant>,
}

impl GadgetFs {
    /// Opens the device file and writes the descriptors: the kernel binds
    /// the gadget to the controller and the host enumerates it.
    fn plug(&mut self) -> anyhow::Result<()> {
        let p = self.wanted.clone();
        let blob = abi::device_blob(&p).context("GadgetFS takes one configuration")?;
        let path = self.dir.join(&self.chip);
        let file = File::options()
            .read(true)
            .write(true)
            .custom_flags(nix::libc::O_NONBLOCK)
            .open(&path)
            .with_context(|| format!("cannot open {} (in use?)", path.display()))?;
        nix::unistd::write(&file, &blob)
            .with_context(|| format!("{} refused the descriptors", path.display()))?;
        let files = endpoints::list_files(&self.dir, &self.chip)?;
        if files.is_empty() {
            bail!(
                "the gadget did not bind to {}: is another gadget (configfs) using the controller?",
                self.chip
            );
        }
        let eps: Vec<EndpointDesc> = (p.interfaces().iter())
            .flat_map(|i| i.endpoints.iter().copied())
            .collect();
        // dummy_hcd routes transfers by the descriptor's address; a
        // hardware controller by the endpoint's number.
        let by_number = !self.chip.starts_with("dummy_udc");
        self.files = match endpoints::assign(&eps, &files, by_number) {
            Ok(m) => m,
            Err(e) if by_number => {
                warn!("{e} of its own number: taking another, which a controller routing by number will not serve");
                endpoints::assign(&eps, &files, false).map_err(anyhow::Error::msg)?
            }
            Err(e) => bail!(e),
        };
        debug!(files = ?self.files, "endpoint files");
        // SAFETY: the AsyncFd owns the file, so the fd stays open while registered.
        let fd = unsafe { AsyncFd::register_with_interest(file, tokio::io::Interest::READABLE) }
            .map_err(|e| e.into_parts().1)?;
        self.ep0 = Some(fd);
        let max = control_max(&p);
        self.dev = UsbDevice::new(p, max);
        self.in_urbs.clear();
        self.pending_out = None;
        // The first read of the device file also tells the kernel that
        // user space answers control requests.
        self.pump_ep0();
        Ok(())
    }

    /// Comes back on the bus; retried while the controller is busy.
    fn rejoin(&mut self) {
        let t = std::time::Instant::now();
        match self.plug() {
            Ok(()) => {
                self.rejoin_at = None;
                info!(
                    ms = t.elapsed().as_millis() as u64,
                    "{:04x}:{:04x} back on the bus", self.wanted.vendor_id, self.wanted.product_id
                );
            }
            Err(e) => {
                self.ep0 = None;
                warn!("cannot come back on the bus, retrying: {e:#}");
                self.rejoin_at = Some(tokio::time::Instant::now() + REJOIN_RETRY);
            }
        }
    }

    fn wake(&self) -> Option<tokio::time::Instant> {
        let poll = self
            .pending_out
            .map(|_| tokio::time::Instant::now() + OUT_DATA_POLL);
        [poll, self.rejoin_at].into_iter().flatten().min()
    }

    /// Reads the device file's events and answers them, until it has none.
    fn pump_ep0(&mut self) {
        if !self.collect_out() {
            return;
        }
        let mut buf = [0u8; abi::EVENT_LEN * 4];
        loop {
            let r = match &self.ep0 {
                Some(fd) => nix::unistd::read(fd.get_ref(), &mut buf),
                None => return,
            };
            match r {
                Ok(0) | Err(Errno::EAGAIN) => return,
                Ok(n) => {
                    for rec in buf[..n].chunks(abi::EVENT_LEN) {
                        if let Some(ev) = Event::parse(rec) {
                            self.on_event(ev);
                        }
                    }
                    if self.pending_out.is_some() {
                        return;
                    }
                }
                // The host gave up on a control request (and sent another).
                Err(Errno::EIDRM) => debug!("control request abandoned by the host"),
                Err(e) => {
                    debug!("device file: {e}");
                    return;
                }
            }
        }
    }

    fn on_event(&mut self, ev: Event) {
        match ev {
            Event::Connect { speed } => {
                self.high_speed = speed == abi::SPEED_HIGH;
                info!(speed, "host connected");
            }
            Event::Disconnect => {
                info!("bus reset or disconnect");
                self.stop_endpoints(None);
                self.dev.reset();
                self.in_urbs.clear();
                self.pending_out = None;
            }
            Event::Setup(s) => self.setup(s),
            Event::Suspend => debug!("bus suspended"),
            Event::Nop => {}
            Event::Unknown(t) => debug!(t, "GadgetFS event of unknown type"),
        }
    }

    /// One control request the kernel passed up.
    fn setup(&mut self, s: Setup) {
        tracing::trace!(?s, "control request");
        if s.request_type & 0x80 != 0 {
            let c = self.control(&s, Vec::new());
            tracing::trace!(status = ?c.status, len = c.data.len(), "IN answer");
            if c.status == UrbStatus::Ok {
                self.ep0_io(|fd| nix::unistd::write(fd, &c.data), "IN data");
            } else {
                debug!(?s, "stalling IN request");
                // A read of an IN request halts EP0.
                self.ep0_io(|fd| nix::unistd::read(fd, &mut []), "IN stall");
            }
        } else if s.length > 0 {
            // The kernel reads the data stage itself and completes the
            // status stage with it: the request cannot be stalled any
            // more (as with FunctionFS, docs/usb.md).
            self.pending_out = Some((s, tokio::time::Instant::now() + OUT_DATA_WAIT));
            self.collect_out();
        } else {
            let c = self.control(&s, Vec::new());
            if c.status == UrbStatus::Ok {
                self.after_standard(&s);
                // An empty read completes the status stage.
                self.ep0_io(|fd| nix::unistd::read(fd, &mut []), "status");
            } else {
                debug!(?s, "stalling OUT request");
                // A write of an OUT request halts EP0.
                self.ep0_io(|fd| nix::unistd::write(fd, &[]), "OUT stall");
            }
        }
    }

    /// An EP0 operation; a halt answers EL2HLT, which is its success.
    fn ep0_io(&self, op: impl FnOnce(&File) -> nix::Result<usize>, what: &str) {
        let Some(fd) = &self.ep0 else { return };
        match op(fd.get_ref()) {
            Ok(n) => tracing::trace!(n, "EP0 {what}"),
            Err(Errno::EL2HLT) => {}
            Err(e) => debug!("EP0 {what}: {e}"),
        }
    }

    /// The data stage of the pending OUT request, then the request to the
    /// device core. False while the data has not arrived.
    fn collect_out(&mut self) -> bool {
        let Some((s, deadline)) = self.pending_out else {
            return true;
        };
        let mut buf = vec![0u8; usize::from(s.length)];
        let r = match &self.ep0 {
            Some(fd) => nix::unistd::read(fd.get_ref(), &mut buf),
            None => Err(Errno::ENODEV),
        };
        match r {
            Ok(n) => {
                self.pending_out = None;
                buf.truncate(n);
                let c = self.control(&s, buf);
                if c.status != UrbStatus::Ok {
                    debug!(?s, "OUT request refused after its data stage");
                }
                true
            }
            Err(Errno::EAGAIN) if tokio::time::Instant::now() < deadline => false,
            Err(e) => {
                debug!(?s, "control OUT data stage: {e}");
                self.pending_out = None;
                true
            }
        }
    }

    /// One control transfer through the device core.
    fn control(&mut self, s: &Setup, data: Vec<u8>) -> Completion {
        let in_ = s.request_type & 0x80 != 0;
        self.dev.submit(Urb {
            id: EP0_URB,
            endpoint: if in_ { 0x80 } else { 0 },
            setup: s.emit(),
            length: u32::from(s.length),
            data,
        });
        while let Some(c) = self.dev.poll_completion() {
            if c.id == EP0_URB {
                return c;
            }
            self.route(c);
        }
        Completion {
            id: EP0_URB,
            status: UrbStatus::Stall,
            data: Vec::new(),
            actual_length: 0,
        }
    }

    /// After an accepted standard request: the endpoints follow the
    /// configuration and the interfaces' alternate settings.
    fn after_standard(&mut self, s: &Setup) {
        const SET_CONFIGURATION: u8 = 9;
        const SET_INTERFACE: u8 = 11;
        match (s.request_type, s.request) {
            (0x00, SET_CONFIGURATION) => {
                self.stop_endpoints(None);
                if s.value != 0 {
                    for n in self.interface_numbers() {
                        self.enable_interface(n, 0);
                    }
                }
            }
            (0x01, SET_INTERFACE) => {
                let n = s.index as u8;
                self.stop_endpoints(Some(n));
                self.enable_interface(n, s.value as u8);
            }
            _ => {}
        }
    }

    /// The interface numbers of the selected configuration.
    fn interface_numbers(&self) -> std::collections::BTreeSet<u8> {
        (self
            .dev
            .personality()
            .configuration(self.dev.configuration()))
        .into_iter()
        .flat_map(|c| c.interfaces.iter().map(|i| i.number))
        .collect()
    }

    fn enable_interface(&mut self, number: u8, alternate: u8) {
        let Some(c) = self
            .dev
            .personality()
            .configuration(self.dev.configuration())
        else {
            return;
        };
        let wanted: Vec<(EndpointDesc, PortRole)> = (c.interfaces.iter())
            .filter(|i| i.number == number && i.alternate == alternate)
            .flat_map(|i| i.endpoints.iter().map(|e| (*e, i.role)))
            .collect();
        for (e, role) in wanted {
            self.enable_endpoint(&e, role);
        }
    }

    fn enable_endpoint(&mut self, e: &EndpointDesc, role: PortRole) {
        let Some(name) = self.files.get(&e.address) else {
            warn!(address = e.address, "no endpoint file");
            return;
        };
        self.generation += 1;
        // Packets (QMI data, NTBs) end with a short packet; a byte stream
        // needs none.
        let packet = match (self.high_speed, e.kind) {
            (true, _) | (false, TransferKind::Interrupt) => usize::from(e.max_packet_size),
            (false, TransferKind::Bulk) => usize::from(e.max_packet_size.min(64)),
        };
        let zlp = (matches!(role, PortRole::Qmi | PortRole::MbimData)
            && e.kind == TransferKind::Bulk)
            .then_some(packet);
        let path = self.dir.join(name);
        match endpoints::enable(&path, e, self.generation, zlp, self.ep_tx.clone()) {
            Ok(ep) => {
                self.eps.insert(e.address, ep);
            }
            Err(err) => warn!("endpoint {:#04x}: {err:#}", e.address),
        }
    }

    /// Disables the endpoints of interface `number`, or all of them; their
    /// IN URBs are withdrawn from the device core.
    fn stop_endpoints(&mut self, number: Option<u8>) {
        let of_interface: Vec<u8> = match number {
            None => self.eps.keys().copied().collect(),
            Some(n) => (self.dev.personality().configurations.iter())
                .flat_map(|c| c.interfaces.iter())
                .filter(|i| i.number == n)
                .flat_map(|i| i.endpoints.iter().map(|e| e.address))
                .collect(),
        };
        for a in of_interface {
            if let Some(ep) = self.eps.remove(&a) {
                ep.stop();
            }
            let ids: Vec<u32> = (self.in_urbs.iter())
                .filter(|(_, ep)| **ep == a)
                .map(|(id, _)| *id)
                .collect();
            for id in ids {
                self.in_urbs.remove(&id);
                self.dev.unlink(id);
            }
        }
    }

    fn next_id(&mut self) -> u32 {
        self.next_id = self.next_id.wrapping_add(1);
        if self.next_id == EP0_URB {
            self.next_id = 0;
        }
        self.next_id
    }

    fn on_endpoint(&mut self, m: FromEndpoint) {
        let (address, generation) = match &m {
            FromEndpoint::Out {
                address,
                generation,
                ..
            }
            | FromEndpoint::Ready {
                address,
                generation,
            } => (*address, *generation),
        };
        // A thread of an endpoint disabled since: what it read is gone
        // with the setting it belonged to.
        if self
            .eps
            .get(&address)
            .is_none_or(|e| e.generation != generation)
        {
            return;
        }
        match m {
            FromEndpoint::Out { data, .. } => {
                let id = self.next_id();
                self.dev.submit(Urb {
                    id,
                    endpoint: address,
                    setup: [0; 8],
                    length: data.len() as u32,
                    data,
                })
            }
            FromEndpoint::Ready { .. } => {
                // Several IN URBs wait in the device core, so that the
                // thread finds the next packet queued as soon as it has
                // written one, without a turn of this loop in between.
                let (length, depth) = match self.dev.endpoint_kind(address) {
                    Some(TransferKind::Interrupt) => (self.max_packet(address), 1),
                    _ => (BULK_IN_TRANSFER, IN_URBS_IN_FLIGHT),
                };
                let waiting = self.in_urbs.values().filter(|&&a| a == address).count();
                for _ in waiting..depth {
                    let id = self.next_id();
                    self.in_urbs.insert(id, address);
                    self.dev.submit(Urb {
                        id,
                        endpoint: address,
                        setup: [0; 8],
                        length,
                        data: Vec::new(),
                    });
                }
            }
        }
    }

    fn max_packet(&self, address: u8) -> u32 {
        (self.dev.personality().interfaces().iter())
            .flat_map(|i| i.endpoints.iter())
            .find(|e| e.address == address)
            .map_or(64, |e| u32::from(e.max_packet_size))
    }

    /// A finished URB: IN data goes to its endpoint's thread.
    fn route(&mut self, c: Completion) {
        let Some(address) = self.in_urbs.remove(&c.id) else {
            return;
        };
        match (c.status, self.eps.get(&address)) {
            (UrbStatus::Ok | UrbStatus::Overflow, Some(ep)) => ep.send(c.data),
            // Halted or not in the selected setting: the endpoint waits
            // for the host to select it again.
            (status, _) => debug!(address, ?status, "IN transfer not sent"),
        }
    }

    fn route_completions(&mut self) {
        while let Some(c) = self.dev.poll_completion() {
            self.route(c);
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

impl Drop for GadgetFs {
    /// However the run ends: the endpoints before the device file.
    fn drop(&mut self) {
        self.leave_bus();
    }
}

/// Waits until the device file has something to read (never while off
/// the bus). Cancel-safe: the readiness is cleared only when it resolves.
async fn ep0_readable(fd: Option<&AsyncFd<File>>) -> std::io::Result<()> {
    match fd {
        Some(fd) => {
            let mut g = fd.readable().await?;
            g.clear_ready();
            Ok(())
        }
        None => std::future::pending().await,
    }
}

impl Transport for GadgetFs {
    async fn recv(&mut self, host: &mut Vec<HostTraffic>, _paused: &Paused) -> anyhow::Result<()> {
        // An OUT transfer has completed once its thread read it: input a
        // port has not taken waits in the driver.
        let wake = self.wake();
        tokio::select! {
            r = ep0_readable(self.ep0.as_ref()) => {
                r?;
                self.pump_ep0();
            }
            Some(m) = self.ep_rx.recv() => self.on_endpoint(m),
            _ = super::sleep_until(wake) => {
                if self.rejoin_at.is_some_and(|at| tokio::time::Instant::now() >= at) {
                    self.rejoin();
                }
                self.pump_ep0();
            }
        }
        while let Ok(m) = self.ep_rx.try_recv() {
            self.on_endpoint(m);
        }
        self.route_completions();
        while let Some(t) = self.dev.poll_host() {
            host.push(t);
        }
        Ok(())
    }

    fn control_kind(&self) -> Option<ControlKind> {
        super::core_queues::control_kind(&self.dev)
    }

    fn send_control(&mut self, frame: Vec<u8>) -> Result<(), Overrun> {
        let max = control_max(self.dev.personality());
        if frame.len() > max {
            warn!(
                bytes = frame.len(),
                max, "control message longer than GadgetFS's EP0 carries: dropped whole"
            );
            return Err(super::core_queues::control_overrun(&self.dev, frame.len()));
        }
        super::core_queues::send_control(&mut self.dev, frame)
    }

    fn serial_room(&self, port: SerialPort) -> bool {
        super::core_queues::serial_room(&self.dev, port)
    }

    fn send_serial(&mut self, port: SerialPort, bytes: Vec<u8>) -> Result<(), Overrun> {
        super::core_queues::send_serial(&mut self.dev, port, bytes)
    }

    fn send_data(&mut self, session: u8, pkt: Vec<u8>) {
        super::core_queues::send_data(&mut self.dev, session, pkt)
    }

    fn flush(&mut self, notify: bool) {
        if notify {
            self.notify();
        }
        self.route_completions();
    }

    fn control_drained(&mut self) -> bool {
        self.dev.wdm().queued() == 0
    }

    /// Closing the device file unbinds the gadget: the host sees a
    /// disconnect.
    fn leave_bus(&mut self) {
        self.rejoin_at = None;
        if self.ep0.is_none() {
            return;
        }
        let t = std::time::Instant::now();
        // Endpoint files first: closing the device file unbinds the gadget,
        // which takes each endpoint's lock, held by a transfer that waits
        // for the host (a blocked thread would hang the close).
        self.stop_endpoints(None);
        self.ep0 = None;
        self.dev.reset();
        self.in_urbs.clear();
        self.pending_out = None;
        info!(
            ms = t.elapsed().as_millis() as u64,
            "left the bus: device file closed"
        );
    }

    fn join_bus(&mut self, personality: Personality, modem: &Modem) -> anyhow::Result<()> {
        self.leave_bus();
        // Built afresh: a composition set before the reset applies now.
        self.wanted = personality_of(personality, modem, &self.profile);
        info!(
            ?personality,
            "firmware booted: opening the device file again"
        );
        self.rejoin();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dual_composition_offers_its_mbim_configuration() {
        let mut u = UsbPersonality::application(&Profile::default(), 14);
        within_gadgetfs(&mut u);
        assert_eq!(u.configurations.len(), 1);
        assert!(u.configurations[0].interface(PortRole::Mbim).is_some());
        assert!(abi::device_blob(&u).is_some());
    }

    #[test]
    fn no_remote_wakeup_and_the_rest_as_usbip_serves_it() {
        let full = UsbPersonality::application(&Profile::default(), 6);
        let mut u = full.clone();
        within_gadgetfs(&mut u);
        assert!(!u.remote_wakeup);
        let c = vmodem_core::usb::descriptors::configuration(&u, 0).unwrap();
        let reference = vmodem_core::usb::descriptors::configuration(&full, 0).unwrap();
        // Only bmAttributes differs: 0xc0 instead of 0xe0.
        assert_eq!((c[7], reference[7]), (0xc0, 0xe0));
        assert_eq!(c[..7], reference[..7]);
        assert_eq!(c[8..], reference[8..]);
    }

    #[test]
    fn mbim_asks_for_no_more_than_gadgetfs_ep0_carries() {
        let full = UsbPersonality::application(&Profile::default(), 9);
        let mut u = full.clone();
        within_gadgetfs(&mut u);
        let c = vmodem_core::usb::descriptors::configuration(&u, 0).unwrap();
        let reference = vmodem_core::usb::descriptors::configuration(&full, 0).unwrap();
        let at = reference
            .windows(3)
            .position(|w| w == [0x0c, 0x24, 0x1b])
            .unwrap();
        // wMaxControlMessage 4096 -> 256, and nothing else but bmAttributes.
        assert_eq!(reference[at + 5..at + 7], 4096u16.to_le_bytes());
        assert_eq!(c[at + 5..at + 7], 256u16.to_le_bytes());
        let differ: Vec<usize> = (0..c.len()).filter(|&i| c[i] != reference[i]).collect();
        assert_eq!(differ, vec![7, at + 6]);
        assert_eq!(
            (
                control_max(&u),
                control_max(&UsbPersonality::application(&Profile::default(), 6))
            ),
            (256, 255)
        );
    }

    #[test]
    fn the_device_file_is_the_name_that_is_no_endpoint() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("dummy_udc"), "").unwrap();
        std::fs::write(d.path().join("ep1in-bulk"), "").unwrap();
        assert_eq!(find_device_file(d.path(), None).unwrap(), "dummy_udc");
        assert!(find_device_file(d.path(), Some("dwc2".into())).is_err());
        std::fs::write(d.path().join("fe980000.usb"), "").unwrap();
        let e = find_device_file(d.path(), None).unwrap_err().to_string();
        assert!(e.contains("--udc"), "{e}");
        let empty = tempfile::tempdir().unwrap();
        let e = find_device_file(empty.path(), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("mount -t gadgetfs"), "{e}");
    }
}
