//! The opt-in uplink: a Linux TUN device (IFF_TUN | IFF_NO_PI), one bare IP
//! packet per read or write.
//!
//! One ioctl (TUNSETIFF) through nix, which the transports already use,
//! rather than a TUN crate: nothing else of such a crate would be used.

use anyhow::{bail, Context};
use nix::libc;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tracing::debug;

// TUNSETIFF = _IOW('T', 202, int) (linux/if_tun.h).
nix::ioctl_write_ptr_bad!(
    tun_set_iff,
    nix::request_code_write!(b'T', 202, std::mem::size_of::<libc::c_int>()),
    libc::ifreq
);

/// The largest packet read at once: well above any MTU the bearer offers.
const MAX_PACKET: usize = 65535;

pub struct Tun {
    fd: AsyncFd<OwnedFd>,
    pub name: String,
}

impl Tun {
    /// Creates (or attaches to) TUN interface `name`. Needs CAP_NET_ADMIN,
    /// or a persistent device owned by the user (`ip tuntap add ... user`).
    pub fn open(name: &str) -> anyhow::Result<Tun> {
        if name.is_empty() || name.len() >= libc::IFNAMSIZ {
            bail!("TUN name {name:?}: 1 to {} bytes", libc::IFNAMSIZ - 1);
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open("/dev/net/tun")
            .context("cannot open /dev/net/tun (is the tun module loaded?)")?;
        // SAFETY: ifreq is plain old data; all zeroes is a valid value.
        let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
        for (d, s) in req.ifr_name.iter_mut().zip(name.bytes()) {
            *d = s as libc::c_char;
        }
        req.ifr_ifru.ifru_flags = (libc::IFF_TUN | libc::IFF_NO_PI) as libc::c_short;
        // SAFETY: the fd is open, and req lives across the call.
        unsafe { tun_set_iff(file.as_raw_fd(), &req) }
            .with_context(|| format!("cannot create TUN device {name} (needs CAP_NET_ADMIN)"))?;
        let fd: OwnedFd = file.into();
        // SAFETY: the AsyncFd owns the fd, so it stays open while registered.
        let fd = unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE)? };
        Ok(Tun {
            fd,
            name: name.to_string(),
        })
    }

    /// The next packet from the interface; `None` if nothing was ready.
    pub async fn read(&self) -> anyhow::Result<Option<Vec<u8>>> {
        let mut guard = self.fd.readable().await?;
        let mut buf = vec![0u8; MAX_PACKET];
        match guard.try_io(|f| nix::unistd::read(f.get_ref(), &mut buf).map_err(Into::into)) {
            Ok(Ok(n)) => {
                buf.truncate(n);
                Ok(Some(buf))
            }
            Ok(Err(e)) => Err(e).with_context(|| format!("reading TUN device {}", self.name)),
            Err(_would_block) => Ok(None),
        }
    }

    /// Hands one packet to the kernel; a full queue (or an interface that
    /// is down) loses it, as a congested link would. Returns whether it went.
    pub fn write(&self, pkt: &[u8]) -> bool {
        match nix::unistd::write(self.fd.get_ref(), pkt) {
            Ok(_) => true,
            Err(e) => {
                debug!(
                    "TUN {}: dropping a {}-byte packet: {e}",
                    self.name,
                    pkt.len()
                );
                false
            }
        }
    }
}

/// Reads from an optional TUN device; never completes when there is none.
pub async fn read_opt(tun: Option<&Tun>) -> anyhow::Result<Option<Vec<u8>>> {
    match tun {
        Some(t) => t.read().await,
        None => std::future::pending().await,
    }
}
