//! `vmodem scenario check` and `vmodem simulate`: scenario files on disk.

use std::io::Write;
use std::path::{Path, PathBuf};
use vmodem_core::fault::Fault;
use vmodem_core::model::Profile;
use vmodem_core::scenario::{simulate, Scenario};
use vmodem_core::time::Duration;

/// A scenario file with the profile it names, loaded relative to it.
pub fn load(path: &Path) -> anyhow::Result<(Scenario, Profile)> {
    let text = crate::file::read_text(path, "scenario", crate::file::SCENARIO_CAP)?;
    crate::cli::warn_old_spellings(&text, path);
    let mut scenario = Scenario::from_toml(&text, &path.display().to_string())?;
    read_tracks(&mut scenario, path)?;
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

/// Reads the GPX file of each `gnss-track` step that names one (relative
/// to the scenario) into its waypoints; an error names the step's line,
/// the file and the place in it.
fn read_tracks(scenario: &mut Scenario, path: &Path) -> anyhow::Result<()> {
    let base = path.parent().unwrap_or(Path::new("."));
    for step in &mut scenario.steps {
        let Fault::GnssTrack {
            waypoints,
            looped,
            gpx,
            speed_mps,
        } = &mut step.fault
        else {
            continue;
        };
        let Some(file) = gpx.take() else { continue };
        let full = base.join(&file);
        let at = |e: String| {
            anyhow::anyhow!(
                "{}: step at line {}: gnss-track: {e}",
                path.display(),
                step.line
            )
        };
        let text = crate::file::read_text(&full, "GPX track", crate::file::SCENARIO_CAP)
            .map_err(|e| at(format!("{e:#}")))?;
        *waypoints = vmodem_core::model::gpx::waypoints(text.as_bytes(), speed_mps.take())
            .map_err(|e| {
                at(format!(
                    "{}:{}:{}: {}",
                    full.display(),
                    e.line,
                    e.column,
                    e.message
                ))
            })?;
        vmodem_core::model::track::check(waypoints, *looped)
            .map_err(|e| at(format!("{}: {e}", full.display())))?;
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    const GPX: &str = r#"<gpx version="1.1"><trk><trkseg>
<trkpt lat="49.1666" lon="-123.1336"><ele>10</ele><time>2025-01-01T00:00:00Z</time></trkpt>
<trkpt lat="49.1750" lon="-123.1365"><ele>8</ele><time>2025-01-01T00:01:00Z</time></trkpt>
</trkseg></trk></gpx>
"#;

    fn scenario(dir: &Path, gpx: &str, inject: &str) -> PathBuf {
        std::fs::write(dir.join("drive.gpx"), gpx).unwrap();
        let path = dir.join("drive.toml");
        std::fs::write(&path, format!("[[step]]\nat-ms = 0\ninject = {inject}\n")).unwrap();
        path
    }

    /// A step's GPX file, relative to the scenario, becomes its waypoints.
    #[test]
    fn a_gpx_track_is_read_relative_to_the_scenario() {
        let dir = tempfile::tempdir().unwrap();
        let path = scenario(
            dir.path(),
            GPX,
            r#"{ fault = "gnss-track", gpx = "drive.gpx", loop = true, speed-mps = 12.0 }"#,
        );
        let (s, _) = load(&path).unwrap();
        let Fault::GnssTrack {
            waypoints,
            looped,
            gpx,
            ..
        } = &s.steps[0].fault
        else {
            panic!("{:?}", s.steps[0].fault);
        };
        assert!(*looped && gpx.is_none());
        assert_eq!(waypoints.len(), 2);
        assert_eq!(waypoints[1].altitude_m, 8.0);
        assert!((waypoints[0].speed_mps - 15.9).abs() < 0.2);
        // The last point's leg, back to the first, takes the given speed.
        assert_eq!(waypoints[1].speed_mps, 12.0);
        // A file that is no track: its name and the place in it.
        let path = scenario(
            dir.path(),
            "<gpx>\n<trk><trkseg><trkpt lat=\"91x\" lon=\"0\"/>",
            r#"{ fault = "gnss-track", gpx = "drive.gpx" }"#,
        );
        let e = format!("{:#}", load(&path).unwrap_err());
        assert!(e.contains("step at line 1: gnss-track:"), "{e}");
        assert!(e.contains("drive.gpx:2:14: lat: expected a number"), "{e}");
    }
}
