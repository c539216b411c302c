//! How many modems one vmodem process serves over USB/IP, and what each
//! costs: the release binary runs `--modems N` on loopback while this
//! program is N hosts at once, each importing its own modem and driving
//! CTL Sync round trips the way cdc-wdm carries QMI (SEND_ENCAPSULATED_COMMAND,
//! RESPONSE_AVAILABLE on the interrupt endpoint, GET_ENCAPSULATED_RESPONSE).
//! Prints a table of medians; nothing is asserted.
//!
//!     cargo bench -p vmodem --bench usbip_fleet
//!     cargo bench -p vmodem --bench usbip_fleet -- --modems 1,64,512 --secs 3 --runs 5
//!
//! The hosts share one thread, so on a small machine they and the server
//! compete for the same cores: the figures are a floor for the server.

use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use vmodem_core::testkit::usbip::{UsbipHost, SET_CONFIGURATION_1};
use vmodem_core::usbip::{Op, Pdu, RetSubmit, HEADER_LEN, OP_HEADER_LEN};
use vmodem_core::wire::qmi::{Message, MessageKind};
use vmodem_core::wire::ServiceId;

/// QMI CTL Sync.
const CTL_SYNC: u16 = 0x0027;
/// `struct usbip_usb_device` in OP_REP_IMPORT.
const DEVICE_LEN: usize = 312;
/// The QMI interface's interrupt IN endpoint (0x87) and its RESPONSE_AVAILABLE.
const NOTIFY_EP: u8 = 7;
const RESPONSE_AVAILABLE: [u8; 8] = [0xA1, 1, 0, 0, 8, 0, 0, 0];
/// Interface 8's CDC-WDM requests; wLength 4096 as cdc-wdm asks.
const SEND_ENCAPSULATED: [u8; 6] = [0x21, 0, 0, 0, 8, 0];
const GET_ENCAPSULATED: [u8; 8] = [0xA1, 1, 0, 0, 8, 0, 0x00, 0x10];

/// `cargo bench` passes --bench and gets the full table; `cargo test
/// --benches` passes nothing and gets one short run that checks the bench
/// still works.
#[derive(clap::Parser)]
struct Cli {
    /// Modems per run, comma-separated [bench: 1,16,64,128,256; test: 4].
    #[arg(long, value_delimiter = ',')]
    modems: Option<Vec<u32>>,
    /// Seconds measured per run [bench: 3; test: 0.3].
    #[arg(long)]
    secs: Option<f64>,
    /// Runs per modem count, of which the median is shown [bench: 5; test: 1].
    #[arg(long)]
    runs: Option<usize>,
    /// What `cargo bench` passes to every bench target.
    #[arg(long)]
    bench: bool,
}

struct Args {
    modems: Vec<u32>,
    secs: f64,
    runs: usize,
}

fn args() -> Args {
    let cli = <Cli as clap::Parser>::parse();
    let (modems, secs, runs) = match cli.bench {
        true => (vec![1, 16, 64, 128, 256], 3.0, 5),
        false => (vec![4], 0.3, 1),
    };
    Args {
        modems: cli.modems.unwrap_or(modems),
        secs: cli.secs.unwrap_or(secs),
        runs: cli.runs.unwrap_or(runs),
    }
}

/// The vmodem under test; killed on drop.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(modems: u32) -> Server {
        // A free port: bound for a moment, then handed to vmodem.
        let addr = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port");
        let child = Command::new(env!("CARGO_BIN_EXE_vmodem"))
            .args(["run", "--transport", "usbip", "--listen"])
            .arg(addr.to_string())
            .args(["--modems", &modems.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start vmodem");
        let s = Server { child, addr };
        let t0 = Instant::now();
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(t0.elapsed() < Duration::from_secs(20), "vmodem listens");
            std::thread::sleep(Duration::from_millis(20));
        }
        // Let every modem power on and settle.
        std::thread::sleep(Duration::from_millis(300));
        s
    }

    /// VmRSS in KiB.
    fn rss_kib(&self) -> u64 {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc status");
        s.lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }

    fn cpu_ticks(&self) -> u64 {
        cpu_ticks(&self.child.id().to_string())
    }
}

/// User + system CPU time of process `pid` so far, in clock ticks.
fn cpu_ticks(pid: &str) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc stat");
    // Fields after the command name, which may hold spaces: utime is the
    // 14th field, stime the 15th.
    let rest = &s[s.rfind(')').expect("stat") + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    f[11].parse::<u64>().unwrap_or(0) + f[12].parse::<u64>().unwrap_or(0)
}

fn clock_ticks_per_sec() -> f64 {
    // SAFETY: sysconf reads a constant of the system and touches no memory.
    let t = unsafe { nix::libc::sysconf(nix::libc::_SC_CLK_TCK) };
    if t > 0 {
        t as f64
    } else {
        100.0
    }
}

/// One host with one imported modem.
struct Host {
    rx: BufReader<OwnedReadHalf>,
    tx: OwnedWriteHalf,
    out: Vec<u8>,
    urbs: UsbipHost,
}

impl Host {
    async fn attach(addr: SocketAddr, busid: &str) -> std::io::Result<Host> {
        let s = TcpStream::connect(addr).await?;
        s.set_nodelay(true)?;
        let (rx, mut tx) = s.into_split();
        let mut rx = BufReader::new(rx);
        let req = Op::ImportRequest {
            busid: busid.into(),
        };
        tx.write_all(&req.emit()).await?;
        let mut head = [0u8; OP_HEADER_LEN];
        rx.read_exact(&mut head).await?;
        if head[4..8] != [0; 4] {
            return Err(std::io::Error::other(format!("import {busid} refused")));
        }
        let mut dev = [0u8; DEVICE_LEN];
        rx.read_exact(&mut dev).await?;
        let mut h = Host {
            rx,
            tx,
            out: Vec::new(),
            urbs: UsbipHost::new(),
        };
        let id = h.queue(0, false, SET_CONFIGURATION_1, 0, &[]);
        h.flush().await?;
        h.wait(id).await?;
        Ok(h)
    }

    fn queue(&mut self, ep: u8, dir_in: bool, setup: [u8; 8], length: u32, data: &[u8]) -> u32 {
        let (id, bytes) = self.urbs.submit(ep, dir_in, setup, length, data);
        self.out.extend_from_slice(&bytes);
        id
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        self.tx.write_all(&self.out).await?;
        self.out.clear();
        Ok(())
    }

    /// The completion of URB `id`, keeping others that come first.
    async fn wait(&mut self, id: u32) -> std::io::Result<RetSubmit> {
        if let Some(r) = self.urbs.take(id) {
            return Ok(r);
        }
        loop {
            let mut head = [0u8; HEADER_LEN];
            self.rx.read_exact(&mut head).await?;
            let mut all = head.to_vec();
            all.resize(HEADER_LEN + self.urbs.payload_len(&head), 0);
            self.rx.read_exact(&mut all[HEADER_LEN..]).await?;
            let r = match self.urbs.parse(&all) {
                Ok(Pdu::RetSubmit(r)) => r,
                other => return Err(std::io::Error::other(format!("{other:?}"))),
            };
            if r.seqnum == id {
                return Ok(r);
            }
            self.urbs.keep(r);
        }
    }

    /// CTL Sync round trips until `end`; counts those completed after `from`.
    async fn sync_loop(mut self, from: Instant, end: Instant) -> std::io::Result<u64> {
        let mut notify = self.queue(NOTIFY_EP, true, [0; 8], 64, &[]);
        let mut count = 0u64;
        let mut txn = 0u8;
        while Instant::now() < end {
            txn = txn.wrapping_add(1).max(1);
            let req = Message::request(ServiceId::Ctl, 0, txn.into(), CTL_SYNC, vec![]).to_bytes();
            let l = (req.len() as u16).to_le_bytes();
            let mut setup = [0u8; 8];
            setup[..6].copy_from_slice(&SEND_ENCAPSULATED);
            setup[6..].copy_from_slice(&l);
            let send = self.queue(0, false, setup, req.len() as u32, &req);
            self.flush().await?;
            loop {
                let n = self.wait(notify).await?;
                if n.data != RESPONSE_AVAILABLE {
                    return Err(std::io::Error::other("not RESPONSE_AVAILABLE"));
                }
                // Re-armed at once, as cdc-wdm does, with the read.
                notify = self.queue(NOTIFY_EP, true, [0; 8], 64, &[]);
                let get = self.queue(0, true, GET_ENCAPSULATED, 4096, &[]);
                self.flush().await?;
                let r = self.wait(get).await?;
                // Indications (SIM, registration) share the channel.
                let m =
                    Message::parse(&r.data).map_err(|e| std::io::Error::other(e.to_string()))?;
                if m.kind == MessageKind::Response && m.txn == u16::from(txn) {
                    break;
                }
            }
            if self.wait(send).await?.status != 0 {
                return Err(std::io::Error::other("SEND_ENCAPSULATED_COMMAND failed"));
            }
            if Instant::now() >= from {
                count += 1;
            }
        }
        Ok(count)
    }
}

/// One run's figures.
struct Run {
    per_modem: Vec<f64>,
    rss_idle_kib: u64,
    rss_kib: u64,
    /// CPU time over the window, in cores: vmodem's and the hosts'.
    cpu: f64,
    host_cpu: f64,
}

fn run_once(n: u32, secs: f64) -> Run {
    let server = Server::start(n);
    let rss_idle_kib = server.rss_kib();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let warmup = Duration::from_millis(500);
    let window = Duration::from_secs_f64(secs);
    let per_modem = rt.block_on(async {
        let mut hosts = Vec::new();
        for i in 1..=n {
            hosts.push(
                Host::attach(server.addr, &format!("1-{i}"))
                    .await
                    .expect("import"),
            );
        }
        let from = Instant::now() + warmup;
        let end = from + window;
        let tasks: Vec<_> = hosts
            .into_iter()
            .map(|h| tokio::spawn(h.sync_loop(from, end)))
            .collect();
        // Server CPU over the window, and its RSS near the end, all hosts busy.
        tokio::time::sleep_until(from.into()).await;
        let ticks0 = server.cpu_ticks();
        let host0 = cpu_ticks("self");
        tokio::time::sleep_until((end - Duration::from_millis(100)).into()).await;
        let rss = server.rss_kib();
        let ticks = server.cpu_ticks() - ticks0;
        let host = cpu_ticks("self") - host0;
        let mut counts = Vec::new();
        for t in tasks {
            counts.push(t.await.expect("host task").expect("round trips"));
        }
        let cores = |t: u64| t as f64 / clock_ticks_per_sec() / (window.as_secs_f64() - 0.1);
        (counts, rss, cores(ticks), cores(host))
    });
    let (counts, rss_kib, cpu, host_cpu) = per_modem;
    Run {
        per_modem: counts.iter().map(|&c| c as f64 / secs).collect(),
        rss_idle_kib,
        rss_kib,
        cpu,
        host_cpu,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn main() {
    let a = args();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "usbip_fleet: CTL Sync round trips over USB/IP on loopback, {} s per run after 0.5 s warm-up, median of {} runs, {cores} cores",
        a.secs, a.runs
    );
    // The process with one modem and no host: what every run pays anyway.
    let base = median(
        (0..a.runs)
            .map(|_| Server::start(1).rss_kib() as f64)
            .collect(),
    );
    println!(
        "idle process (--modems 1, no host): VmRSS {:.1} MiB",
        base / 1024.0
    );
    println!();
    println!(
        "{:>7} {:>11} {:>10} {:>8} {:>6} {:>7} {:>6} {:>10} {:>10} {:>9} {:>13}",
        "modems",
        "rt/s total",
        "rt/s each",
        "slowest",
        "cpu",
        "us/rt",
        "hosts",
        "RSS idle",
        "RSS busy",
        "RSS/N",
        "(RSS-base)/N"
    );
    for &n in &a.modems {
        let runs: Vec<Run> = (0..a.runs).map(|_| run_once(n, a.secs)).collect();
        let total = median(runs.iter().map(|r| r.per_modem.iter().sum()).collect());
        let slowest = median(
            runs.iter()
                .map(|r| r.per_modem.iter().copied().fold(f64::INFINITY, f64::min))
                .collect(),
        );
        let cpu = median(runs.iter().map(|r| r.cpu).collect());
        let host_cpu = median(runs.iter().map(|r| r.host_cpu).collect());
        let idle = median(runs.iter().map(|r| r.rss_idle_kib as f64).collect());
        let rss = median(runs.iter().map(|r| r.rss_kib as f64).collect());
        let nf = f64::from(n);
        println!(
            "{:>7} {:>11.0} {:>10.1} {:>8.1} {:>5.0}% {:>7.1} {:>5.0}% {:>6.1} MiB {:>6.1} MiB {:>5.0} KiB {:>9.0} KiB",
            n,
            total,
            total / nf,
            slowest,
            cpu * 100.0,
            cpu * 1e6 / total,
            host_cpu * 100.0,
            idle / 1024.0,
            rss / 1024.0,
            rss / nf,
            (rss - base) / nf
        );
    }
    println!();
    for line in [
        "rt/s: CTL Sync round trips per second (send, notification, read); slowest: the",
        "least-served modem's rate; cpu: vmodem's CPU time over the window (100% = one",
        "core), us/rt: its CPU microseconds per round trip; hosts: this program's CPU;",
        "RSS idle: N modems before any host; RSS busy: VmRSS near the end of the window,",
        "every host attached and busy; base: the idle one-modem process.",
    ] {
        println!("{line}");
    }
}
