//! `--link PATH` (and `--at-link`, `--dm-link`, `--nmea-link`): a symlink
//! to a pty. It may replace only a symlink to a pty (/dev/pts/N), as an
//! earlier run that was killed leaves behind (pty numbers are reused, so
//! whether its target still exists says nothing), never a file, a
//! directory or a link to anything else; at exit it is removed only if it
//! is still the link this process made.

use anyhow::{bail, Context};
use std::path::{Path, PathBuf};

/// The symlink this process made; removed when dropped.
pub struct Link {
    at: PathBuf,
    target: PathBuf,
}

impl Link {
    /// Links `at` to the pty `target`.
    pub fn create(at: &Path, target: &Path) -> anyhow::Result<Link> {
        clear_stale(at)?;
        std::os::unix::fs::symlink(target, at)
            .with_context(|| format!("cannot create symlink {}", at.display()))?;
        Ok(Link {
            at: at.to_path_buf(),
            target: target.to_path_buf(),
        })
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        if std::fs::read_link(&self.at).is_ok_and(|t| t == self.target) {
            let _ = std::fs::remove_file(&self.at);
        }
    }
}

/// A pty's path: what a vmodem link points to.
fn is_pty_path(p: &Path) -> bool {
    p.starts_with("/dev/pts")
}

fn clear_stale(at: &Path) -> anyhow::Result<()> {
    let m = match std::fs::symlink_metadata(at) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", at.display())),
    };
    if !m.file_type().is_symlink() {
        let what = if m.is_dir() {
            "a directory"
        } else if m.is_file() {
            "a regular file"
        } else {
            "not a symlink"
        };
        bail!(
            "{} exists and is {what}: refusing to replace it with a link to the pty",
            at.display()
        );
    }
    let target = std::fs::read_link(at).with_context(|| format!("cannot read {}", at.display()))?;
    if !is_pty_path(&target) {
        bail!(
            "{} is a symlink to {}, not to a pty: refusing to replace it",
            at.display(),
            target.display()
        );
    }
    std::fs::remove_file(at).with_context(|| format!("cannot remove stale link {}", at.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("vmodem-link-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_regular_file_is_refused_and_kept() {
        let d = scratch("file");
        let at = d.join("qmi");
        std::fs::write(&at, "keep me").unwrap();
        let e = Link::create(&at, Path::new("/dev/pts/999999"))
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("a regular file") && e.contains("refusing"),
            "{e}"
        );
        assert_eq!(std::fs::read_to_string(&at).unwrap(), "keep me");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_link_elsewhere_is_refused() {
        let d = scratch("other");
        let at = d.join("qmi");
        std::os::unix::fs::symlink("/etc/hostname", &at).unwrap();
        assert!(Link::create(&at, Path::new("/dev/pts/999999")).is_err());
        assert_eq!(std::fs::read_link(&at).unwrap(), Path::new("/etc/hostname"));
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_stale_pty_link_is_replaced_and_removed_at_exit() {
        let d = scratch("stale");
        let at = d.join("qmi");
        std::os::unix::fs::symlink("/dev/pts/999998", &at).unwrap();
        let link = Link::create(&at, Path::new("/dev/pts/999999")).unwrap();
        assert_eq!(
            std::fs::read_link(&at).unwrap(),
            Path::new("/dev/pts/999999")
        );
        drop(link);
        assert!(std::fs::symlink_metadata(&at).is_err());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_link_replaced_by_someone_else_is_left_at_exit() {
        let d = scratch("replaced");
        let at = d.join("qmi");
        let link = Link::create(&at, Path::new("/dev/pts/999999")).unwrap();
        std::fs::remove_file(&at).unwrap();
        std::fs::write(&at, "new").unwrap();
        drop(link);
        assert_eq!(std::fs::read_to_string(&at).unwrap(), "new");
        std::fs::remove_dir_all(&d).unwrap();
    }
}
