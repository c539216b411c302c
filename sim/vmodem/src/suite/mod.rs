//! `vmodem suite check` and `vmodem suite run`: cases of faults with
//! expectations about the host, run from a fresh power-on each, judged by
//! the core's `suite` module from the event log, reported as JUnit XML, a
//! JSON summary and an HTML page.

mod case;
mod html;
mod junit;
mod summary;

use anyhow::Context;
use std::path::{Path, PathBuf};
use vmodem_core::model::Profile;
use vmodem_core::scenario::Scenario;
use vmodem_core::suite::{CaseScenario, Suite};

/// Suites are short: a person writes them.
const SUITE_CAP: u64 = 1 << 20;

/// How the cases reach the host under test.
#[derive(Debug, Clone)]
pub enum Transport {
    /// Raw ptys; the control one linked at this path.
    Pty { link: Option<PathBuf> },
    /// A USB/IP server on this address.
    Usbip { listen: std::net::SocketAddr },
    /// A USB gadget on this UDC (the first when `None`).
    Ffs { udc: Option<String> },
}

/// `vmodem suite run`'s options.
#[derive(Debug)]
pub struct RunOptions {
    pub transport: Transport,
    /// A shell command started for every run of a case (the host under
    /// test), stopped at its end.
    pub host: Option<String>,
    pub junit: Option<PathBuf>,
    pub report: Option<PathBuf>,
    pub seed: Option<u64>,
    /// Only the cases of these names.
    pub only: Vec<String>,
}

/// The suite, and each case's scenario and profile loaded.
pub struct Loaded {
    pub suite: Suite,
    pub cases: Vec<(Scenario, Profile)>,
}

pub fn load(path: &Path) -> anyhow::Result<Loaded> {
    let text = crate::file::read_text(path, "suite", SUITE_CAP)?;
    let suite = Suite::from_toml(&text, &path.display().to_string())?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut cases = Vec::with_capacity(suite.cases.len());
    for c in &suite.cases {
        let loaded = match &c.scenario {
            CaseScenario::File(f) => crate::scenario_cmd::load(&base.join(f))
                .with_context(|| format!("case `{}` (line {})", c.name, c.line))?,
            CaseScenario::Inline(s) => {
                let profile = match &s.profile {
                    Some(p) => crate::cli::load_profile(Some(&base.join(p)))
                        .with_context(|| format!("case `{}` (line {})", c.name, c.line))?,
                    None => Profile::default(),
                };
                (s.clone(), profile)
            }
        };
        cases.push(loaded);
    }
    Ok(Loaded { suite, cases })
}

pub fn check(path: &Path) -> anyhow::Result<()> {
    let l = load(path)?;
    let expectations: usize = l.suite.cases.iter().map(|c| c.expectations.len()).sum();
    let runs: u64 = l.suite.cases.iter().map(|c| u64::from(c.repeat)).sum();
    let secs: f64 = l
        .suite
        .cases
        .iter()
        .map(|c| c.duration_ms as f64 / 1000.0 * f64::from(c.repeat))
        .sum();
    println!(
        "{}: ok ({} cases, {expectations} expectations, {runs} runs, {secs:.0} s)",
        path.display(),
        l.suite.cases.len()
    );
    Ok(())
}

pub fn run(path: &Path, opts: RunOptions) -> anyhow::Result<()> {
    let l = load(path)?;
    for name in &opts.only {
        if !l.suite.cases.iter().any(|c| &c.name == name) {
            anyhow::bail!("{}: no case is named `{name}`", path.display());
        }
    }
    let (dir, keep) = match &opts.report {
        Some(d) => (d.clone(), true),
        None => (
            std::env::temp_dir().join(format!("vmodem-suite-{}", std::process::id())),
            false,
        ),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let base_seed = opts.seed.unwrap_or(l.suite.seed);
    let selected: Vec<usize> = (0..l.suite.cases.len())
        .filter(|&i| opts.only.is_empty() || opts.only.contains(&l.suite.cases[i].name))
        .collect();
    let mut results = Vec::new();
    for (n, &i) in selected.iter().enumerate() {
        let c = &l.suite.cases[i];
        let (scenario, profile) = &l.cases[i];
        let seed = opts.seed.unwrap_or(scenario.seed);
        let mut runs = Vec::new();
        for r in 0..c.repeat {
            let label = format!(
                "[{}/{}] {}{}",
                n + 1,
                selected.len(),
                c.name,
                if c.repeat > 1 {
                    format!(" (run {}/{})", r + 1, c.repeat)
                } else {
                    String::new()
                }
            );
            println!(
                "{label}: running {:.1} s from power-on",
                c.duration_ms as f64 / 1000.0
            );
            let run_dir = dir
                .join(format!("{:03}-{}", i + 1, summary::slug(&c.name)))
                .join(format!("run-{}", r + 1));
            let run = case::run(c, scenario, profile, seed + u64::from(r), &run_dir, &opts)?;
            println!("{label}: {}", run.line());
            runs.push(run);
        }
        results.push(summary::CaseResult::new(c, runs));
    }
    let report = summary::Report {
        suite: l.suite.name.clone(),
        file: path.display().to_string(),
        seed: base_seed,
        cases: results,
    };
    let json = dir.join("summary.json");
    std::fs::write(&json, serde_json::to_string_pretty(&report.to_json())?)
        .with_context(|| format!("cannot write {}", json.display()))?;
    if let Some(j) = &opts.junit {
        std::fs::write(j, junit::render(&report)?)
            .with_context(|| format!("cannot write {}", j.display()))?;
    }
    if keep {
        let page = dir.join("report.html");
        std::fs::write(&page, html::render(&report))
            .with_context(|| format!("cannot write {}", page.display()))?;
        println!("report: {} and {}", page.display(), json.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let (held, total, xfail) = report.counts();
    println!(
        "{}: {held} of {total} expectations held{}",
        l.suite.name,
        if xfail > 0 {
            format!(" ({xfail} known failures of the host)")
        } else {
            String::new()
        }
    );
    if !report.passed() {
        anyhow::bail!("{} of {total} expectations failed", total - held - xfail);
    }
    Ok(())
}
