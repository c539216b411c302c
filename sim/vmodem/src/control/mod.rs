//! The control socket: one JSON request per line, one JSON reply per line.
//!
//! `{"cmd":"inject","fault":{"fault":"reset","down-ms":1500}}`,
//! `{"cmd":"status"}`, `{"cmd":"watch"}` (then one event record per line).
//! The socket is owner-only (0600): whoever can fire faults owns the modem.
//! Where it lives and what it may replace: `path.rs`; each watcher's
//! bounded queue: `watch.rs`.

mod path;
mod watch;

use crate::accept::{self, Throttled};
use anyhow::Context;
use std::path::Path;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot, Semaphore};
use tracing::debug;

pub use path::{check_owner, check_uid, default_path, prepare_default, SocketFile};
pub use watch::{Watcher, WATCH_QUEUE};

/// Longest request line accepted; a fault is a few dozen bytes.
const MAX_LINE: u64 = 16 * 1024;

/// Control connections at once. A client is a person or a test script;
/// the bound keeps a flood of them (each possibly a watcher holding up to
/// `watch::WATCH_QUEUE` records) from growing memory or using up the
/// process's file descriptors.
pub const MAX_CLIENTS: usize = 128;

pub use vmodem_core::control::protocol::Request;

/// What a connection asks of the transport loop.
pub enum ControlMsg {
    /// A request and where its reply (one JSON line) goes.
    Call(Request, oneshot::Sender<String>),
    /// Send every event record (JSON lines) here from now on.
    Watch(Watcher),
    /// The same, after the last records (`supervise::RECENT`): a page
    /// opened mid-run starts with what just happened. The dashboard's.
    WatchRecent(Watcher),
    /// The host's activity counters (JSON, `crate::activity`): the
    /// dashboard's, not the socket's.
    Activity(oneshot::Sender<String>),
}

/// Binds the socket (owner-only) and serves it; requests arrive on the
/// returned channel. Must run inside the transport's tokio runtime.
pub fn listen(path: &Path) -> anyhow::Result<(mpsc::Receiver<ControlMsg>, SocketFile)> {
    path::clear_stale(path)?;
    // The mode is set by umask at bind time: no moment with wider access.
    let old = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o177));
    let bound = UnixListener::bind(path);
    nix::sys::stat::umask(old);
    let listener = bound.with_context(|| format!("cannot bind {}", path.display()))?;
    let guard = SocketFile::bound(path)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(accept_loop(listener, tx));
    Ok((rx, guard))
}

/// Accepts for as long as the transport runs: a failed accept (out of
/// descriptors, a client that gave up) is logged and waited out.
async fn accept_loop(listener: UnixListener, tx: mpsc::Sender<ControlMsg>) {
    let clients = Arc::new(Semaphore::new(MAX_CLIENTS));
    let mut errors = Throttled::new("control socket accept");
    let mut refused = Throttled::new("control socket");
    loop {
        match listener.accept().await {
            Ok((stream, _)) => match clients.clone().try_acquire_owned() {
                Ok(permit) => {
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        serve(stream, tx).await;
                        drop(permit);
                    });
                }
                Err(_) => {
                    refused.warn(&format_args!("{MAX_CLIENTS} clients already: one refused"));
                    let reply = error_reply(&format!(
                        "too many control connections (at most {MAX_CLIENTS})"
                    ));
                    // Best effort, and never waiting on that client.
                    let _ = stream.try_write((reply + "\n").as_bytes());
                }
            },
            Err(e) => {
                let (_, wait) = accept::failed(&mut errors, &e);
                tokio::time::sleep(wait).await;
            }
        }
    }
}

fn error_reply(msg: &str) -> String {
    serde_json::json!({"ok": false, "error": msg}).to_string()
}

async fn serve(stream: UnixStream, tx: mpsc::Sender<ControlMsg>) {
    let (rd, mut wr) = stream.into_split();
    let mut rd = BufReader::new(rd);
    loop {
        let mut line = Vec::new();
        match (&mut rd)
            .take(MAX_LINE + 1)
            .read_until(b'\n', &mut line)
            .await
        {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if line.len() as u64 > MAX_LINE {
            let _ = wr
                .write_all((error_reply("request too long") + "\n").as_bytes())
                .await;
            return;
        }
        let text = String::from_utf8_lossy(&line);
        if text.trim().is_empty() {
            continue;
        }
        let reply = match Request::parse(&text) {
            Err(e) => error_reply(&format!("bad request: {e}")),
            Ok(Request::Watch) => {
                let (watcher, mut wrx) = Watcher::channel();
                if tx.send(ControlMsg::Watch(watcher)).await.is_err() {
                    return;
                }
                if wr.write_all(b"{\"ok\":true}\n").await.is_err() {
                    return;
                }
                while let Some(l) = wrx.recv().await {
                    if wr.write_all((l + "\n").as_bytes()).await.is_err() {
                        return;
                    }
                }
                return;
            }
            Ok(req) => {
                let (otx, orx) = oneshot::channel();
                if tx.send(ControlMsg::Call(req, otx)).await.is_err() {
                    return;
                }
                orx.await
                    .unwrap_or_else(|_| error_reply("vmodem is stopping"))
            }
        };
        debug!(%reply, "control reply");
        if wr.write_all((reply + "\n").as_bytes()).await.is_err() {
            return;
        }
    }
}
