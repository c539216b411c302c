//! Scenarios under a real host: `--scenario pin-reset.toml` resets the
//! module after qmicli enters the PIN, and qmicli finds the SIM locked
//! again once the module is back.

use crate::harness::*;
use std::time::Duration;

#[test]
fn pin_reset_locks_the_sim_again_after_the_reset() {
    // Its own directory: the harness keeps one per modem under the tag.
    let dir = tempdir("scenario-pin-reset-log");
    let events = dir.path().join("events.jsonl");
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scenarios/pin-reset.toml"
    );
    let m = Vmodem::start(
        "scenario-pin-reset",
        &["--scenario", scenario, "--events", events.to_str().unwrap()],
    );
    m.unlock();
    // qmicli gets no answer while the firmware reboots; then the card
    // asks for its PIN again.
    let status = m.wait_for(
        &["--uim-get-card-status"],
        "PIN1 state: 'enabled-not-verified'",
        Duration::from_secs(60),
    );
    assert_field(&status, "PIN1 state:", "'enabled-not-verified'");
    let log = std::fs::read_to_string(&events).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let at = |pred: &dyn Fn(&serde_json::Value) -> bool| {
        lines
            .iter()
            .find(|v| pred(v))
            .map(|v| v["t-ms"].as_u64().unwrap())
    };
    let pin = at(&|v| v["state"] == "pin-verified").expect(&log);
    let fault = at(&|v| v["event"] == "fault" && v["source"] == "scenario").expect(&log);
    assert!((1000..=2000).contains(&(fault - pin)), "{log}");
    assert!(at(&|v| v["state"] == "reset").is_some(), "{log}");
    // Unlocked again, it stays up: the scenario fires once.
    m.unlock();
    m.wait_for(
        &["--uim-get-card-status"],
        "PIN1 state: 'enabled-verified'",
        Duration::from_secs(10),
    );
}
