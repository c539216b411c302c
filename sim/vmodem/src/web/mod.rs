//! `vmodem run --web [ADDR]`: the dashboard, served by the process itself
//! (docs/dashboard.md). It speaks to each modem exactly as `vmodem ctl`
//! does, with `ControlMsg`s into the modem's supervisor: faults are
//! `inject` requests, the state panel is `status`, the live charts and
//! the timeline are a `watch` stream (bounded, with its lagged marker).
//!
//! The server runs on a thread of its own, so it serves whichever
//! transport runs the modems, and a busy modem loop never delays a page.

mod api;
mod assets;
mod guard;
mod listener;

use crate::control::ControlMsg;
use anyhow::Context;
use std::net::SocketAddr;
use tokio::sync::mpsc;

pub use guard::Guard;

/// Requests queued per modem, as for the control socket.
const FEED_QUEUE: usize = 16;

/// What `start` hands the transport: each modem's feed of requests.
pub struct Web {
    pub feeds: Vec<mpsc::Receiver<ControlMsg>>,
}

/// Binds `addr` and starts serving the dashboard of `modems` modems.
/// Prints the address (with the token, off loopback) to open.
pub fn start(addr: SocketAddr, modems: u32) -> anyhow::Result<Web> {
    let std_listener = std::net::TcpListener::bind(addr)
        .with_context(|| format!("--web {addr}: cannot listen"))?;
    std_listener.set_nonblocking(true)?;
    let bound = std_listener.local_addr()?;
    let token = if addr.ip().is_loopback() {
        None
    } else {
        Some(guard::new_token().context("cannot draw a dashboard token")?)
    };
    let guard = Guard::new(bound, token);
    let (mut txs, mut feeds) = (Vec::new(), Vec::new());
    for _ in 0..modems {
        let (tx, rx) = mpsc::channel(FEED_QUEUE);
        txs.push(tx);
        feeds.push(rx);
    }
    match guard.token() {
        None => println!("vmodem: dashboard http://{bound}/"),
        Some(t) => {
            eprintln!(
                "vmodem: WARNING: the dashboard on {bound} is not loopback: anyone with the token can fire faults"
            );
            let shown = if bound.ip().is_unspecified() {
                format!("http://HOST:{}", bound.port())
            } else {
                format!("http://{bound}")
            };
            println!("vmodem: dashboard {shown}/?token={t}");
        }
    }
    let app = api::router(api::App::new(guard, txs));
    std::thread::Builder::new()
        .name("dashboard".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    tracing::error!("dashboard: no runtime: {e}");
                    return;
                }
            };
            rt.block_on(async move {
                let l = match tokio::net::TcpListener::from_std(std_listener) {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::error!("dashboard: {e}");
                        return;
                    }
                };
                if let Err(e) = axum::serve(listener::Bounded::new(l), app).await {
                    tracing::error!("dashboard stopped: {e}");
                }
            });
        })?;
    Ok(Web { feeds })
}
