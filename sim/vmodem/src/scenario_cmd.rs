//! `vmodem scenario check` and `vmodem simulate`: scenario files on disk.

use std::io::Write;
use std::path::{Path, PathBuf};
use vmodem_core::model::Profile;
use vmodem_core::scenario::{simulate, Scenario};
use vmodem_core::time::Duration;

/// A scenario file with the profile it names, loaded relative to it.
pub fn load(path: &Path) -> anyhow::Result<(Scenario, Profile)> {
    let text = crate::file::read_text(path, "scenario", crate::file::SCENARIO_CAP)?;
    crate::cli::warn_old_spellings(&text, path);
    let scenario = Scenario::from_toml(&text, &path.display().to_string())?;
    let profile = match &scenario.profile {
        None => Profile::default(),
        Some(p) => {
            let base = path.parent().unwrap_or(Path::new("."));
            let full: PathBuf = base.join(p);
            crate::cli::load_profile(Some(&full))?
        }
    };
    Ok((scenario, profile))
}

pub fn check(path: &Path) -> anyhow::Result<()> {
    let (s, _) = load(path)?;
    println!(
        "{}: ok (seed {}, {} profile, {} steps{})",
        path.display(),
        s.seed,
        if s.profile.is_some() {
            "own"
        } else {
            "built-in"
        },
        s.steps.len(),
        if s.power.is_some() {
            ", power set-up"
        } else {
            ""
        }
    );
    Ok(())
}

/// Runs the scenario in simulated time; the event log goes to stdout.
pub fn run(
    path: &Path,
    seed: Option<u64>,
    duration: std::time::Duration,
    supply: bool,
) -> anyhow::Result<()> {
    let (s, profile) = load(path)?;
    let seed = seed.unwrap_or(s.seed);
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    let mut failed = None;
    let d = Duration::from_millis(duration.as_millis() as u64);
    simulate(&s, profile, seed, d, supply, |r| {
        if failed.is_none() {
            let line = serde_json::to_string(&r).expect("records serialise");
            failed = writeln!(out, "{line}").err();
        }
    });
    if let Some(e) = failed {
        // A closed pipe (`| head`) is the reader's choice, not an error.
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e.into());
        }
        return Ok(());
    }
    out.flush().or_else(|e| match e.kind() {
        std::io::ErrorKind::BrokenPipe => Ok(()),
        _ => Err(e),
    })?;
    Ok(())
}
