//! The control socket: one JSON request per line, one JSON reply per line.
//!
//! `{"cmd":"inject","fault":{"fault":"reset","down-ms":1500}}`,
//! `{"cmd":"status"}`, `{"cmd":"watch"}` (then one event record per line).
//! The socket is owner-only (0600): whoever can fire faults owns the modem.

use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, warn};

/// Longest request line accepted; a fault is a few dozen bytes.
const MAX_LINE: u64 = 16 * 1024;

pub use vmodem_core::control::protocol::Request;

/// What a connection asks of the transport loop.
pub enum ControlMsg {
    /// A request and where its reply (one JSON line) goes.
    Call(Request, oneshot::Sender<String>),
    /// Send every event record (JSON lines) here from now on.
    Watch(mpsc::UnboundedSender<String>),
}

/// Where the socket goes when `--control` names no path.
pub fn default_path() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d).join("vmodem.sock"),
        _ => {
            use std::os::unix::fs::MetadataExt;
            // /proc/self belongs to our uid: one socket per user.
            let uid = std::fs::metadata("/proc/self")
                .map(|m| m.uid())
                .unwrap_or(0);
            std::env::temp_dir().join(format!("vmodem-{uid}.sock"))
        }
    }
}

/// Removes the socket file when the transport ends.
pub struct SocketFile(PathBuf);
impl Drop for SocketFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Binds the socket (owner-only) and serves it; requests arrive on the
/// returned channel. Must run inside the transport's tokio runtime.
pub fn listen(path: &Path) -> anyhow::Result<(mpsc::Receiver<ControlMsg>, SocketFile)> {
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            bail!("{} is in use by another vmodem", path.display());
        }
        std::fs::remove_file(path)
            .with_context(|| format!("cannot remove stale socket {}", path.display()))?;
    }
    // The mode is set by umask at bind time: no moment with wider access.
    let old = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o177));
    let bound = UnixListener::bind(path);
    nix::sys::stat::umask(old);
    let listener = bound.with_context(|| format!("cannot bind {}", path.display()))?;
    let guard = SocketFile(path.to_path_buf());
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    tokio::spawn(serve(stream, tx.clone()));
                }
                Err(e) => {
                    warn!("control socket: {e}");
                    return;
                }
            }
        }
    });
    Ok((rx, guard))
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
                let (wtx, mut wrx) = mpsc::unbounded_channel();
                if tx.send(ControlMsg::Watch(wtx)).await.is_err() {
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
