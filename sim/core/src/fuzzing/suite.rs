//! The suite file parser, and the judge on what a parsed suite's inline
//! cases make the engine and the scripted host do.

use super::default_profile;
use crate::scenario::simulate;
use crate::suite::{judge_case, observation, recoveries, CaseScenario, Suite};
use crate::time::Duration;

/// Simulated time per inline case: enough for a reset and its recovery.
const CASE_LIMIT_MS: u64 = 20_000;

/// A suite text: refused with a place, or parsed; every inline case then
/// runs under the scripted host and gets one verdict per expectation.
pub fn suite_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let s = match Suite::from_toml(text, "fuzz") {
        Ok(s) => s,
        Err(e) => {
            assert!(e.line >= 1 && e.column >= 1, "{e}");
            return;
        }
    };
    for c in s.cases.iter().take(2) {
        let CaseScenario::Inline(sc) = &c.scenario else {
            continue;
        };
        let end = c.duration_ms.min(CASE_LIMIT_MS);
        let mut log = Vec::new();
        simulate(
            sc,
            default_profile().clone(),
            sc.seed,
            Duration::from_millis(end),
            false,
            |r| log.push(serde_json::to_value(&r).unwrap()),
        );
        let obs = observation::read_all(&log);
        let verdicts = judge_case(c, &obs, end);
        assert_eq!(verdicts.len(), c.expectations.len());
        for r in recoveries(&obs) {
            for t in [r.control_open_ms, r.registered_ms, r.data_flowing_ms]
                .into_iter()
                .flatten()
            {
                assert!(r.rejoined_ms + t <= end, "a recovery after the run");
            }
        }
    }
}
