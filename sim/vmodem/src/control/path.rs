//! Where the control socket lives, and the rules that keep it from
//! touching anything but itself: the default is in an owner-only
//! directory of the user's; a path that holds anything other than a stale
//! socket of ours is refused, never removed; at exit only the socket this
//! process bound is removed; a client talks only to a socket owned by its
//! own user or root.

use anyhow::{bail, Context};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

fn my_uid() -> u32 {
    nix::unistd::getuid().as_raw()
}

/// The directory of the default socket: `$XDG_RUNTIME_DIR/vmodem`, or
/// `vmodem-UID` in the temp dir when there is no runtime dir.
fn default_dir() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d).join("vmodem"),
        _ => std::env::temp_dir().join(format!("vmodem-{}", my_uid())),
    }
}

/// Where `vmodem run --control` (no PATH) and `vmodem ctl` meet.
pub fn default_path() -> PathBuf {
    default_dir().join("control.sock")
}

/// The default path, its directory made (0700) or checked: it must be a
/// directory of ours that nobody else can enter, or another user could
/// put their own socket there.
pub fn prepare_default() -> anyhow::Result<PathBuf> {
    let dir = default_dir();
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e).with_context(|| format!("cannot create {}", dir.display())),
    }
    let m = std::fs::symlink_metadata(&dir)
        .with_context(|| format!("cannot read {}", dir.display()))?;
    if !m.is_dir() {
        bail!("{} is not a directory: refusing to use it", dir.display());
    }
    if m.uid() != my_uid() {
        bail!(
            "{} belongs to uid {}, not to you (uid {}): refusing to put the control socket there",
            dir.display(),
            m.uid(),
            my_uid()
        );
    }
    if m.mode() & 0o077 != 0 {
        // Ours: make it owner-only rather than fail.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot make {} owner-only", dir.display()))?;
    }
    Ok(dir.join("control.sock"))
}

/// Clears the way for binding at `path`: nothing there, or a stale socket
/// of ours (no vmodem answers on it), which is removed. Anything else is
/// refused with what it is.
pub fn clear_stale(path: &Path) -> anyhow::Result<()> {
    let m = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let t = m.file_type();
    if !t.is_socket() {
        let what = if t.is_symlink() {
            "a symlink"
        } else if t.is_dir() {
            "a directory"
        } else if t.is_file() {
            "a regular file"
        } else {
            "not a socket"
        };
        bail!(
            "{} exists and is {what}: refusing to replace it (choose another --control PATH)",
            path.display()
        );
    }
    if std::os::unix::net::UnixStream::connect(path).is_ok() {
        bail!("{} is in use by another vmodem", path.display());
    }
    if m.uid() != my_uid() {
        bail!(
            "{} is a socket of uid {}, not yours: refusing to remove it",
            path.display(),
            m.uid()
        );
    }
    std::fs::remove_file(path)
        .with_context(|| format!("cannot remove stale socket {}", path.display()))
}

/// The socket this process bound; removed at exit only if it is still
/// that socket (same device and inode), not whatever replaced it.
pub struct SocketFile {
    path: PathBuf,
    id: (u64, u64),
}

impl SocketFile {
    pub fn bound(path: &Path) -> anyhow::Result<SocketFile> {
        let m = std::fs::symlink_metadata(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Ok(SocketFile {
            path: path.to_path_buf(),
            id: (m.dev(), m.ino()),
        })
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        if let Ok(m) = std::fs::symlink_metadata(&self.path) {
            if m.file_type().is_socket() && (m.dev(), m.ino()) == self.id {
                let _ = std::fs::remove_file(&self.path);
            }
        }
    }
}

/// A client's check before it connects: a socket, owned by the caller or
/// root. Another user's socket could be a fake vmodem that answers lies.
pub fn check_owner(path: &Path) -> anyhow::Result<()> {
    let m = match std::fs::metadata(path) {
        Ok(m) => m,
        // Connecting says it better (with the hint to start vmodem).
        Err(_) => return Ok(()),
    };
    if !m.file_type().is_socket() {
        bail!("{} is not a socket", path.display());
    }
    check_uid(path, m.uid())
}

/// The same rule for the uid of the process at the other end.
pub fn check_uid(path: &Path, uid: u32) -> anyhow::Result<()> {
    let me = my_uid();
    if uid != me && uid != 0 {
        bail!(
            "{} belongs to uid {uid}, not to you (uid {me}) or root: refusing to use it",
            path.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("vmodem-path-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_regular_file_or_symlink_is_never_replaced() {
        let d = scratch("refuse");
        let file = d.join("notes.txt");
        std::fs::write(&file, "keep me").unwrap();
        let e = clear_stale(&file).unwrap_err().to_string();
        assert!(
            e.contains("a regular file") && e.contains("refusing"),
            "{e}"
        );
        let link = d.join("link");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        let e = clear_stale(&link).unwrap_err().to_string();
        assert!(e.contains("a symlink"), "{e}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_stale_socket_of_ours_is_removed_and_a_live_one_refused() {
        let d = scratch("stale");
        let sock = d.join("s");
        let live = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        assert!(clear_stale(&sock)
            .unwrap_err()
            .to_string()
            .contains("in use"));
        drop(live);
        clear_stale(&sock).unwrap();
        assert!(!sock.exists());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn only_the_socket_bound_is_removed_at_exit() {
        let d = scratch("exit");
        let sock = d.join("s");
        let l = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let guard = SocketFile::bound(&sock).unwrap();
        drop(l);
        std::fs::remove_file(&sock).unwrap();
        std::fs::write(&sock, "someone else's").unwrap();
        drop(guard);
        assert!(sock.exists(), "a file put in its place stays");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn another_users_socket_is_refused() {
        let other = my_uid().wrapping_add(1).max(1);
        let e = check_uid(Path::new("/x"), other).unwrap_err().to_string();
        assert!(e.contains("refusing"), "{e}");
        check_uid(Path::new("/x"), my_uid()).unwrap();
        check_uid(Path::new("/x"), 0).unwrap();
    }
}
