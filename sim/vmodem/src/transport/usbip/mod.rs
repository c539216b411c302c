//! EM7305s as a USB/IP device server: any Linux host attaches one with
//! `usbip attach -r ADDR -b 1-1` and its vhci_hcd enumerates the exact
//! descriptors, no gadget hardware needed (docs/usbip.md).
//!
//! One process serves `--modems N` independent modems, bus ids `1-1` to
//! `1-N`, each in a task of its own (`modem.rs`) with its own engine,
//! device core, seed and identity (`fleet.rs`). This file only listens:
//! each TCP connection (`connection.rs`) starts with one operation.
//! OP_REQ_DEVLIST lists every modem on the bus; OP_REQ_IMPORT hands the
//! connection to the modem it names, and it becomes that modem's bus.
//! Connections that have not imported are bounded (`admission.rs`); a
//! failed accept is logged and survived (`crate::accept`).

mod admission;
mod capture;
mod connection;
mod fleet;
mod modem;

use crate::accept::{self, Failure, Throttled};
use crate::supervise::Options;
use admission::Pending;
use connection::connection;
use modem::{Clock, ModemPort};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{debug, warn};
use vmodem_core::model::Profile;

/// The most modems one server offers: a bound on what a mistyped count
/// can allocate, far above what one host's vhci_hcd attaches.
pub const MAX_MODEMS: u32 = 1024;

/// The wait after closing a silent connection for its descriptor: its
/// task closes it on the next turn of the loop.
const EVICTED_BACK_OFF: std::time::Duration = std::time::Duration::from_millis(2);

pub fn run(
    profile: Profile,
    seed: u64,
    listen: SocketAddr,
    modems: u32,
    opts: Options,
) -> anyhow::Result<()> {
    if !(1..=MAX_MODEMS).contains(&modems) {
        anyhow::bail!("--modems {modems}: expected 1 to {MAX_MODEMS}");
    }
    // One TUN device cannot carry several modems' identical addresses.
    if modems > 1 && opts.uplink.is_some() {
        anyhow::bail!("--uplink serves one modem: it cannot be used with --modems {modems}");
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(serve(profile, seed, listen, modems, opts))
}

async fn serve(
    profile: Profile,
    seed: u64,
    listen: SocketAddr,
    modems: u32,
    opts: Options,
) -> anyhow::Result<()> {
    if !listen.ip().is_loopback() {
        warn!("USB/IP has no authentication: anyone who reaches {listen} can attach these modems");
        eprintln!("vmodem: WARNING: USB/IP on {listen} is not loopback and has no authentication");
    }
    let supervised = opts.scenario.is_some() || opts.events.is_some() || opts.control.is_some();
    let start_in_bootloader = opts.start_in_bootloader;
    let stop_after = opts.stop_after;
    let listener = TcpListener::bind(listen).await?;
    let clock = Clock(tokio::time::Instant::now());
    let (stop, shutdown) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let mut ports: Vec<ModemPort> = Vec::with_capacity(modems as usize);
    // Modem 1 gets the run's options (scenario, control socket, event
    // log, uplink); the others only its power-on state.
    // The dashboard's requests go to every modem, each to its own.
    let mut opts = opts;
    let mut web = std::mem::take(&mut opts.web).into_iter();
    let mut first = Some(opts);
    for n in 1..=modems {
        let mut opts = first.take().unwrap_or(Options {
            start_in_bootloader,
            ..Options::default()
        });
        opts.web = web.next().into_iter().collect();
        ports.push(modem::spawn(
            n,
            fleet::profile(&profile, n),
            fleet::seed(seed, n),
            opts,
            clock,
            shutdown.clone(),
            &mut tasks,
        )?);
    }
    let fleet: Arc<[ModemPort]> = ports.into();
    if let Some(d) = fleet[0].offer.borrow().as_ref() {
        let (vid, pid) = (d.vendor_id, d.product_id);
        match modems {
            1 => println!("vmodem: {vid:04x}:{pid:04x} EM7305 on usbip://{listen} busid 1-1 (seed {seed})"),
            n => println!(
                "vmodem: {n} x {vid:04x}:{pid:04x} EM7305 on usbip://{listen} busids 1-1 to 1-{n} (seeds {seed} to {})",
                fleet::seed(seed, n)
            ),
        }
    }
    if modems > 1 && supervised {
        println!("vmodem: --scenario, --control, --events and --pcap apply to busid 1-1 only");
    }
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut next_conn = 0u64;
    let pending = Pending::new();
    let mut accept_errors = Throttled::new("USB/IP accept");
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = sigterm.recv() => break,
            _ = super::sleep_for(stop_after) => break,
            // A modem's task ends early only on an error (its uplink).
            Some(r) = tasks.join_next() => r??,
            r = listener.accept() => match r {
                Ok((stream, peer)) => {
                    next_conn += 1;
                    debug!(%peer, conn = next_conn, "USB/IP connection");
                    let place = pending.admit(next_conn);
                    tokio::spawn(connection(next_conn, stream, fleet.clone(), place));
                }
                Err(e) => {
                    let (failure, mut wait) = accept::failed(&mut accept_errors, &e);
                    // Imported connections are the modems' buses; a silent
                    // one gives its descriptor back as soon as its task
                    // runs, so the next accept need not wait long.
                    if failure == Failure::Shortage
                        && pending.evict_oldest("out of file descriptors")
                    {
                        wait = EVICTED_BACK_OFF;
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
    // Every modem logs its figures and closes its outputs.
    stop.send_replace(true);
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    Ok(())
}
