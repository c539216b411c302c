//! GadgetFS endpoint files: which file serves which of the personality's
//! endpoint addresses, and one thread per enabled endpoint that moves its
//! data.
//!
//! The files are named after the controller's endpoints. A hardware
//! controller (dwc2: `ep1in` ... `ep7out`) addresses an endpoint by its
//! number, so address 0x87 must be `ep7in`. `dummy_hcd` has fixed-function
//! endpoints (`ep1in-bulk`, `ep5in-int`, ...) and generic ones, and routes
//! the host's transfers by the address in the descriptor the endpoint was
//! enabled with; there an address without a file of its number takes any
//! free file of its direction and type.
//!
//! An endpoint file does plain blocking reads and writes (it cannot be
//! polled), and a transfer waits for the host, so each endpoint gets a
//! thread. Disabling an endpoint means closing its file, which the
//! kernel does only once the pending transfer returns: a stop interrupts
//! the thread with a signal (the transfer returns EINTR) until it exits.

use super::abi;
use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::thread::JoinHandleExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc as std_mpsc, Arc, Once};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tracing::{debug, trace, warn};
use vmodem_core::usb::{EndpointDesc, TransferKind};

/// What an endpoint thread tells the transport.
#[derive(Debug)]
pub enum FromEndpoint {
    /// A bulk OUT transfer from the host.
    Out {
        address: u8,
        generation: u64,
        data: Vec<u8>,
    },
    /// An IN endpoint can take its next transfer.
    Ready { address: u8, generation: u64 },
}

/// The largest OUT transfer read at once: a QMI data packet or an NTB
/// (the MBIM function's dwNtbOutMaxSize is 4 KiB) fits.
const READ_BUF: usize = 16384;

/// How long a stop keeps interrupting a thread before it gives up on it.
const STOP_TIMEOUT: Duration = Duration::from_secs(2);

/// How an endpoint file's name reads: its number, direction and type,
/// where the name says them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileName {
    name: String,
    number: Option<u8>,
    /// `Some(true)`: IN only; `None`: either.
    is_in: Option<bool>,
    /// `None`: any type; `Some(None)`: none of ours (isochronous).
    kind: Option<Option<TransferKind>>,
}

fn parse_name(name: &str) -> Option<FileName> {
    let rest = name.strip_prefix("ep")?;
    let (base, kind) = match rest.rsplit_once('-') {
        Some((b, "bulk")) => (b, Some(Some(TransferKind::Bulk))),
        Some((b, "int")) => (b, Some(Some(TransferKind::Interrupt))),
        Some((b, "iso")) => (b, Some(None)),
        _ => (rest, None),
    };
    let digits: String = base.chars().take_while(char::is_ascii_digit).collect();
    let number = digits.parse().ok();
    let is_in = if base.ends_with("in") {
        Some(true)
    } else if base.ends_with("out") {
        Some(false)
    } else {
        None
    };
    Some(FileName {
        name: name.to_string(),
        number,
        is_in,
        kind,
    })
}

impl FileName {
    fn fits(&self, e: &EndpointDesc) -> bool {
        self.is_in.is_none_or(|d| d == e.is_in())
            && match self.kind {
                None => true,
                Some(k) => k == Some(e.kind),
            }
    }
}

/// Assigns an endpoint file to every endpoint address: first the files of
/// the address's own number, then (`by_number` false: a controller that
/// routes by descriptor) any free file that fits. Errors name what is
/// missing.
pub fn assign(
    endpoints: &[EndpointDesc],
    files: &[String],
    by_number: bool,
) -> Result<BTreeMap<u8, String>, String> {
    let mut free: Vec<FileName> = files.iter().filter_map(|f| parse_name(f)).collect();
    free.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out = BTreeMap::new();
    let mut unassigned = Vec::new();
    for e in endpoints {
        if out.contains_key(&e.address) {
            continue;
        }
        let n = e.address & 0x0f;
        match free.iter().position(|f| f.number == Some(n) && f.fits(e)) {
            Some(i) => {
                out.insert(e.address, free.remove(i).name);
            }
            None => unassigned.push(*e),
        }
    }
    for e in unassigned {
        if out.contains_key(&e.address) {
            continue;
        }
        let found = if by_number {
            None
        } else {
            free.iter().position(|f| f.fits(&e))
        };
        match found {
            Some(i) => {
                out.insert(e.address, free.remove(i).name);
            }
            None => {
                return Err(format!(
                    "no endpoint file for {:#04x} ({:?} {})",
                    e.address,
                    e.kind,
                    if e.is_in() { "IN" } else { "OUT" }
                ))
            }
        }
    }
    Ok(out)
}

/// The endpoint files in the GadgetFS directory (the device file is not one).
pub fn list_files(dir: &Path, chip: &str) -> std::io::Result<Vec<String>> {
    let mut v = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name != chip && name.starts_with("ep") {
            v.push(name);
        }
    }
    v.sort();
    Ok(v)
}

/// An enabled endpoint and the thread moving its data.
pub struct Endpoint {
    pub address: u8,
    pub generation: u64,
    /// IN endpoints: the next transfer for the host.
    to_host: Option<std_mpsc::Sender<Vec<u8>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Opens the endpoint file, enables it with the endpoint's descriptors and
/// starts its thread. `zlp_every`: the packet size after which a transfer
/// that fills whole packets needs a zero-length packet (packet-shaped
/// data: QMI data, NTBs); `None` for a byte stream.
pub fn enable(
    path: &Path,
    e: &EndpointDesc,
    generation: u64,
    zlp_every: Option<usize>,
    events: mpsc::Sender<FromEndpoint>,
) -> anyhow::Result<Endpoint> {
    use anyhow::Context;
    install_interrupt_handler();
    let file = File::options()
        .read(true)
        .write(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let blob = abi::endpoint_blob(e);
    let n = nix::unistd::write(&file, &blob)
        .with_context(|| format!("cannot enable {} as {:#04x}", path.display(), e.address))?;
    if n != blob.len() {
        anyhow::bail!("{}: short endpoint configuration write", path.display());
    }
    let stop = Arc::new(AtomicBool::new(false));
    let address = e.address;
    let name = format!("gadgetfs-{address:02x}");
    let (to_host, thread) = if e.is_in() {
        let (tx, rx) = std_mpsc::channel::<Vec<u8>>();
        let stop = stop.clone();
        let t = std::thread::Builder::new()
            .name(name)
            .spawn(move || write_loop(file, address, generation, zlp_every, rx, events, stop))?;
        (Some(tx), t)
    } else {
        let stop = stop.clone();
        let t = std::thread::Builder::new()
            .name(name)
            .spawn(move || read_loop(file, address, generation, events, stop))?;
        (None, t)
    };
    debug!(address, file = %path.display(), "endpoint enabled");
    Ok(Endpoint {
        address,
        generation,
        to_host,
        stop,
        thread: Some(thread),
    })
}

impl Endpoint {
    /// Hands one transfer to an IN endpoint's thread.
    pub fn send(&self, data: Vec<u8>) {
        if let Some(tx) = &self.to_host {
            let _ = tx.send(data);
        }
    }

    /// Disables the endpoint: the thread ends (a pending transfer is
    /// interrupted) and closes the file. Waits at most `STOP_TIMEOUT`.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.to_host = None;
        let Some(t) = self.thread.take() else { return };
        let deadline = Instant::now() + STOP_TIMEOUT;
        while !t.is_finished() {
            if Instant::now() >= deadline {
                warn!(
                    address = self.address,
                    "endpoint thread did not stop: left behind"
                );
                return;
            }
            // Not joined yet, so the thread id is still this thread's.
            let _ = nix::sys::pthread::pthread_kill(
                t.as_pthread_t(),
                nix::sys::signal::Signal::SIGUSR2,
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        let _ = t.join();
        debug!(address = self.address, "endpoint disabled");
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        self.halt();
    }
}

extern "C" fn interrupted(_: nix::libc::c_int) {}

/// SIGUSR2 interrupts a blocked endpoint transfer: a handler that does
/// nothing, installed without SA_RESTART, so the transfer returns EINTR.
fn install_interrupt_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
        let action = SigAction::new(
            SigHandler::Handler(interrupted),
            SaFlags::empty(),
            SigSet::empty(),
        );
        // SAFETY: the handler does nothing, so it is async-signal-safe.
        if let Err(e) = unsafe { sigaction(Signal::SIGUSR2, &action) } {
            warn!("cannot install the endpoint interrupt handler: {e}");
        }
    });
}

fn read_loop(
    file: File,
    address: u8,
    generation: u64,
    events: mpsc::Sender<FromEndpoint>,
    stop: Arc<AtomicBool>,
) {
    let mut buf = vec![0u8; READ_BUF];
    while !stop.load(Ordering::SeqCst) {
        match nix::unistd::read(&file, &mut buf) {
            Ok(n) => {
                let data = buf[..n].to_vec();
                let msg = FromEndpoint::Out {
                    address,
                    generation,
                    data,
                };
                if events.blocking_send(msg).is_err() {
                    return;
                }
            }
            Err(nix::errno::Errno::EINTR) => {}
            Err(e) => {
                // The host went away or reset the bus: wait to be stopped
                // or for the endpoint to come back.
                trace!(address, "OUT endpoint: {e}");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

fn write_loop(
    file: File,
    address: u8,
    generation: u64,
    zlp_every: Option<usize>,
    transfers: std_mpsc::Receiver<Vec<u8>>,
    events: mpsc::Sender<FromEndpoint>,
    stop: Arc<AtomicBool>,
) {
    if events
        .blocking_send(FromEndpoint::Ready {
            address,
            generation,
        })
        .is_err()
    {
        return;
    }
    while let Ok(data) = transfers.recv() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let zlp = zlp_every.is_some_and(|m| m > 0 && !data.is_empty() && data.len() % m == 0);
        if let Err(e) = nix::unistd::write(&file, &data) {
            trace!(address, "IN endpoint: {e}");
        } else if zlp {
            // A transfer that fills whole packets ends with an empty one,
            // or the host reads on into the next.
            let _ = nix::unistd::write(&file, &[]);
        }
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let ready = FromEndpoint::Ready {
            address,
            generation,
        };
        if events.blocking_send(ready).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vmodem_core::model::Profile;
    use vmodem_core::usb::UsbPersonality;

    fn endpoints(p: &UsbPersonality) -> Vec<EndpointDesc> {
        p.interfaces()
            .iter()
            .flat_map(|i| i.endpoints.iter().copied())
            .collect()
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_controller_with_numbered_files_gets_the_exact_numbers() {
        // dwc2 on a Raspberry Pi: ep1in..ep7in, ep1out..ep7out.
        let mut files = vec![];
        for n in 1..=7 {
            files.push(format!("ep{n}in"));
            files.push(format!("ep{n}out"));
        }
        let p = UsbPersonality::application_qmi(&Profile::default());
        let m = assign(&endpoints(&p), &files, true).unwrap();
        assert_eq!(m.len(), 11);
        assert_eq!(m[&0x87], "ep7in");
        assert_eq!(m[&0x83], "ep3in");
        assert_eq!(m[&0x04], "ep4out");
    }

    #[test]
    fn dummy_hcd_files_fit_composition_6_with_fallbacks() {
        let files = names(&[
            "ep1in-bulk",
            "ep2out-bulk",
            "ep5in-int",
            "ep6in-bulk",
            "ep7out-bulk",
            "ep10in-int",
            "ep11in-bulk",
            "ep12out-bulk",
            "ep15in-int",
            "ep1out-bulk",
            "ep2in-bulk",
            "ep3out",
            "ep4in",
            "ep5out",
            "ep6out",
            "ep7in",
            "ep8out",
            "ep9in",
            "ep10out",
            "ep11out",
            "ep12in",
            "ep13out",
            "ep14in",
            "ep15out",
        ]);
        let p = UsbPersonality::application_qmi(&Profile::default());
        let m = assign(&endpoints(&p), &files, false).unwrap();
        assert_eq!(m.len(), 11);
        assert_eq!(m[&0x81], "ep1in-bulk");
        assert_eq!(m[&0x85], "ep5in-int");
        assert_eq!(m[&0x87], "ep7in");
        // No ep3in: an interrupt IN of another number.
        assert!(m[&0x83].contains("in"));
        assert_ne!(m[&0x83], "ep5in-int");
        // Numbered files only: 0x83 has none.
        assert!(assign(&endpoints(&p), &files, true).is_err());
    }

    #[test]
    fn lettered_generic_files_serve_the_mbim_composition() {
        let files = names(&[
            "ep1in-bulk",
            "ep2out-bulk",
            "ep1out-bulk",
            "ep2in-bulk",
            "ep-aout",
            "ep-bin",
        ]);
        let p = UsbPersonality::application(&Profile::default(), 9);
        let m = assign(&endpoints(&p), &files, false).unwrap();
        assert_eq!(m[&0x81], "ep1in-bulk");
        assert_eq!(m[&0x01], "ep1out-bulk");
        // The interrupt IN cannot be a -bulk file: the generic one.
        assert_eq!(m[&0x82], "ep-bin");
    }

    #[test]
    fn too_few_files_is_an_error_naming_the_endpoint() {
        let p = UsbPersonality::bootloader(&Profile::default());
        let e = assign(&endpoints(&p), &names(&["ep1in-bulk", "ep5in-int"]), false).unwrap_err();
        assert!(e.contains("0x01"), "{e}");
    }

    #[test]
    fn names_parse() {
        let f = parse_name("ep5in-int").unwrap();
        assert_eq!((f.number, f.is_in), (Some(5), Some(true)));
        assert_eq!(f.kind, Some(Some(TransferKind::Interrupt)));
        let f = parse_name("ep-aout").unwrap();
        assert_eq!((f.number, f.is_in, f.kind), (None, Some(false), None));
        assert_eq!(parse_name("ep3in-iso").unwrap().kind, Some(None));
        assert_eq!(parse_name("dummy_udc"), None);
    }
}
