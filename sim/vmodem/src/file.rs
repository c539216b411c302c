//! Reading the files a user names, with a size cap: a profile of
//! `/dev/zero` or a log that never ends fails fast with a clear error
//! instead of eating memory.

use anyhow::{bail, Context};
use std::io::Read;
use std::path::Path;

/// Profiles are a few KiB.
pub const PROFILE_CAP: u64 = 1 << 20;
/// A scenario of 100,000 steps is about 8 MiB.
pub const SCENARIO_CAP: u64 = 64 << 20;
/// Event logs and ModemManager views of long runs.
pub const LOG_CAP: u64 = 512 << 20;

/// The text of `path`, `what` naming it in errors; more than `cap` bytes
/// or bytes that are not UTF-8 are an error.
pub fn read_text(path: &Path, what: &str, cap: u64) -> anyhow::Result<String> {
    let f = std::fs::File::open(path)
        .with_context(|| format!("cannot read {what} {}", path.display()))?;
    let mut bytes = Vec::new();
    f.take(cap + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {what} {}", path.display()))?;
    if bytes.len() as u64 > cap {
        bail!(
            "{}: a {what} is at most {} bytes; this one is larger",
            path.display(),
            cap
        );
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(&e.into_bytes()[..at]).into_owned();
        let (l, c) = vmodem_core::model::profile::line_col(&text, at);
        anyhow::anyhow!("{}:{l}:{c}: a {what} must be UTF-8 text", path.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_file_fails_fast() {
        let t = std::time::Instant::now();
        let e = read_text(Path::new("/dev/zero"), "profile", PROFILE_CAP).unwrap_err();
        assert!(
            e.to_string()
                .contains("/dev/zero: a profile is at most 1048576 bytes"),
            "{e}"
        );
        assert!(t.elapsed() < std::time::Duration::from_secs(10));
    }
}
