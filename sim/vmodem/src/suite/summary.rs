//! A finished suite run: every case's runs, and the JSON summary with
//! the recovery times and their spread over the repeats.

use super::case::RunResult;
use serde_json::{json, Value};
use vmodem_core::suite::{Case, Outcome, RecoverySpread};

pub struct CaseResult {
    pub name: String,
    pub line: usize,
    pub runs: Vec<RunResult>,
    pub spread: RecoverySpread,
}

impl CaseResult {
    pub fn new(case: &Case, runs: Vec<RunResult>) -> CaseResult {
        let all: Vec<_> = runs.iter().flat_map(|r| r.recoveries.clone()).collect();
        CaseResult {
            name: case.name.clone(),
            line: case.line,
            spread: RecoverySpread::of(&all),
            runs,
        }
    }
}

pub struct Report {
    pub suite: String,
    pub file: String,
    pub seed: u64,
    pub cases: Vec<CaseResult>,
}

impl Report {
    /// Expectations (and probes with an expected exit code) that held,
    /// all of them, and the known failures among them.
    pub fn counts(&self) -> (usize, usize, usize) {
        let (mut held, mut total, mut xfail) = (0, 0, 0);
        for r in self.cases.iter().flat_map(|c| &c.runs) {
            for v in &r.verdicts {
                total += 1;
                match v.outcome {
                    Outcome::Pass => held += 1,
                    Outcome::ExpectedFailure => xfail += 1,
                    _ => {}
                }
            }
            for p in &r.probes {
                if let Some(h) = p.held() {
                    total += 1;
                    held += usize::from(h);
                }
            }
        }
        (held, total, xfail)
    }

    /// Every expectation held or failed as it is known to.
    pub fn passed(&self) -> bool {
        let (held, total, xfail) = self.counts();
        held + xfail == total
    }

    pub fn to_json(&self) -> Value {
        let (held, total, xfail) = self.counts();
        json!({
            "suite": self.suite,
            "file": self.file,
            "seed": self.seed,
            "passed": self.passed(),
            "expectations": total,
            "held": held,
            "expected-failures": xfail,
            "cases": self.cases.iter().map(|c| json!({
                "name": c.name,
                "line": c.line,
                "recovery-spread": c.spread,
                "runs": c.runs.iter().map(|r| json!({
                    "seed": r.seed,
                    "wall-s": (r.wall.as_secs_f64() * 10.0).round() / 10.0,
                    "events": r.events.display().to_string(),
                    "verdicts": r.verdicts,
                    "recoveries": r.recoveries,
                    "probes": r.probes.iter().map(|p| json!({
                        "name": p.name,
                        "command": p.command,
                        "exit": p.exit,
                        "expect-exit": p.expect_exit,
                        "output": p.output,
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    }
}

/// A file name for a case name: letters, digits and dashes.
pub fn slug(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches('-').to_string();
    if s.is_empty() {
        "case".into()
    } else {
        s
    }
}
