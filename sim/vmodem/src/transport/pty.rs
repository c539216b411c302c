//! QMI over a pseudo-terminal.
//!
//! libqmi reads a byte stream and splits it by QMUX lengths, so a raw pty
//! stands in for `/dev/cdc-wdmN`: `qmicli -d PTY --device-open-qmi ...`.

use anyhow::Context;
use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::pty::{openpty, OpenptyResult};
use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tracing::{debug, info, trace, warn};
use vmodem_core::model::Profile;
use vmodem_core::time::Instant;
use vmodem_core::wire::qmux::Deframer;
use vmodem_core::{Event, Modem};

/// Removes the symlink when the transport ends.
struct Link(Option<PathBuf>);
impl Drop for Link {
    fn drop(&mut self) {
        if let Some(p) = &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn open_raw_pty() -> anyhow::Result<(OwnedFd, OwnedFd, PathBuf)> {
    let OpenptyResult { master, slave } = openpty(None, None).context("openpty")?;
    let mut t = tcgetattr(&slave).context("tcgetattr")?;
    cfmakeraw(&mut t);
    tcsetattr(&slave, SetArg::TCSANOW, &t).context("tcsetattr")?;
    let path = std::fs::read_link(format!("/proc/self/fd/{}", slave.as_raw_fd()))
        .context("resolving the pty's path")?;
    let flags = OFlag::from_bits_truncate(fcntl(&master, FcntlArg::F_GETFL)?);
    fcntl(&master, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    Ok((master, slave, path))
}

pub fn run(profile: Profile, seed: u64, link: Option<PathBuf>) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(serve(profile, seed, link))
}

async fn serve(profile: Profile, seed: u64, link: Option<PathBuf>) -> anyhow::Result<()> {
    // The slave stays open here so that the master never reads EIO while
    // no host has the pty open (qmicli opens and closes it per run).
    let (master, _slave, path) = open_raw_pty()?;
    let _link = match link {
        Some(l) => {
            let _ = std::fs::remove_file(&l);
            std::os::unix::fs::symlink(&path, &l)
                .with_context(|| format!("cannot create symlink {}", l.display()))?;
            Link(Some(l))
        }
        None => Link(None),
    };
    // SAFETY: the AsyncFd owns the fd, so it stays open while registered.
    let fd = unsafe { AsyncFd::register_with_interest(master, Interest::READABLE)? };
    let epoch = tokio::time::Instant::now();
    let now = || Instant::from_millis(epoch.elapsed().as_millis() as u64);
    let mut modem = Modem::new(profile, seed, now());
    let mut deframer = Deframer::new();
    println!("vmodem: QMI on {} (EM7305, seed {seed})", path.display());
    let mut buf = vec![0u8; 16384];
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        let wake = modem
            .poll_timeout()
            .map(|t| epoch + std::time::Duration::from_millis(t.millis()));
        let sleep = async {
            match wake {
                Some(w) => tokio::time::sleep_until(w).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = sigterm.recv() => break,
            _ = sleep => modem.handle_timeout(now()),
            r = fd.readable() => {
                let mut guard = r?;
                match guard.try_io(|f| nix::unistd::read(f.get_ref(), &mut buf).map_err(Into::into)) {
                    Ok(Ok(n)) => {
                        deframer.push(&buf[..n]);
                        while let Some(frame) = deframer.next_frame() {
                            trace!(bytes = ?frame, "host →");
                            modem.handle_qmi(&frame, now());
                        }
                    }
                    Ok(Err(e)) => return Err(e).context("reading the pty"),
                    Err(_would_block) => {}
                }
            }
        }
        while let Some(ev) = modem.poll_event() {
            match ev {
                Event::Reset => info!("firmware reset: rebooting"),
                Event::Booted => info!("firmware booted"),
            }
        }
        while let Some(frame) = modem.poll_qmi() {
            trace!(bytes = ?frame, "← modem");
            write_all(fd.get_ref(), &frame);
        }
    }
    debug!("stopping");
    Ok(())
}

/// Writes a frame; a host that stopped reading loses it rather than stall us.
fn write_all(fd: &OwnedFd, mut data: &[u8]) {
    let mut tries = 0;
    while !data.is_empty() {
        match nix::unistd::write(fd, data) {
            Ok(n) => data = &data[n..],
            Err(nix::errno::Errno::EAGAIN) if tries < 50 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            Err(e) => {
                warn!("dropping {} bytes for the host: {e}", data.len());
                return;
            }
        }
    }
}
