//! Test suites: cases of faults with expectations about the host, judged
//! from what the module observes (the event log), sans-IO.
//!
//! - [`file`]: the TOML format ([`Suite`]), checked with places.
//! - [`expect`]: acts, anchors and the forms of an expectation.
//! - [`observation`]: event log records as the judge reads them.
//! - [`judge`]: observations in, verdicts out.
//! - [`recovery`]: rejoin → control channel → registered → data, and
//!   their spread over repeats.

pub mod expect;
pub mod file;
pub mod judge;
pub mod observation;
pub mod recovery;

#[cfg(test)]
mod tests;

pub use expect::{Act, Anchor, Expectation, Form, Target};
pub use file::{Case, CaseScenario, Probe, Suite};
pub use judge::{judge, Outcome, Verdict};
pub use observation::{Kind, Obs};
pub use recovery::{recoveries, Recovery, RecoverySpread, Spread};

/// Judges every expectation of `case` against one run's observations.
pub fn judge_case(case: &Case, obs: &[Obs], end_ms: u64) -> Vec<Verdict> {
    case.expectations
        .iter()
        .map(|e| judge(e, obs, end_ms))
        .collect()
}
