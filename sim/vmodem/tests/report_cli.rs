//! `vmodem plot` and `vmodem timeline` on a real simulated log: the bad
//! cable's brownout resets, from the power model, end up on the chart.

use std::path::{Path, PathBuf};
use std::process::Command;

fn vmodem(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vmodem"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("vmodem-report-{}-{name}", std::process::id()))
}

fn bad_cable_log(name: &str) -> PathBuf {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/bad-cable-lte.toml");
    let (ok, log, err) = vmodem(&[
        "simulate",
        scenario.to_str().unwrap(),
        "--supply",
        "--for",
        "30s",
    ]);
    assert!(ok, "{err}");
    let path = temp(name);
    std::fs::write(&path, log).unwrap();
    path
}

#[test]
fn plot_of_the_bad_cable_marks_every_brownout_reset_and_the_boot_loader() {
    let log = bad_cable_log("plot.jsonl");
    let text = std::fs::read_to_string(&log).unwrap();
    let resets = text
        .lines()
        .filter(|l| l.contains("\"event\":\"reset\""))
        .count();
    assert!(resets >= 2, "the bad cable resets the unit within 30 s");
    let svg = temp("power.svg");
    let (ok, out, err) = vmodem(&["plot", log.to_str().unwrap(), "-o", svg.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), svg.to_str().unwrap());
    let chart = std::fs::read_to_string(&svg).unwrap();
    assert!(chart.starts_with("<svg"));
    for n in 1..=resets {
        assert!(
            chart.contains(&format!("reset #{n}: brownout")),
            "reset {n} unmarked"
        );
    }
    assert!(chart.contains("boot loader (1199:9040)"));
    assert!(chart.contains("brownout threshold 3.30 V"));
    let _ = std::fs::remove_file(svg);
    let _ = std::fs::remove_file(log);
}

#[test]
fn timeline_of_the_bad_cable_tells_the_story_without_listing_the_supply() {
    let log = bad_cable_log("timeline.jsonl");
    let (ok, out, err) = vmodem(&["timeline", log.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("BROWNOUT: the supply fell to"));
    assert!(out.contains("RESET #1 (cause: brownout)"));
    assert!(out.contains("FAILSAFE"));
    assert!(out.contains("back on the bus in the BOOT LOADER"));
    assert!(out.lines().last().unwrap().starts_with("supply: "));
    assert!(!out.contains("amps"));
    let _ = std::fs::remove_file(log);
}

#[test]
fn bad_input_names_the_file_and_line() {
    let log = temp("bad.jsonl");
    std::fs::write(
        &log,
        "{\"t-ms\":0,\"event\":\"supply\",\"volts\":5,\"amps\":0.1}\n{oops\n",
    )
    .unwrap();
    let name = log.to_str().unwrap();
    for cmd in ["plot", "timeline"] {
        let (ok, _, err) = vmodem(
            &[cmd, name, "-o", temp("never.svg").to_str().unwrap()]
                [..if cmd == "plot" { 4 } else { 2 }],
        );
        assert!(!ok);
        assert!(err.contains(&format!("{name}:2: not JSON")), "{cmd}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let mm = temp("mm.txt");
    std::fs::write(&mm, "12 fine\nlater: modem 0\n").unwrap();
    std::fs::write(
        &log,
        "{\"t-ms\":0,\"wall-ms\":10,\"event\":\"state\",\"state\":\"booted\"}\n",
    )
    .unwrap();
    let (ok, _, err) = vmodem(&["timeline", name, "--mm", mm.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        err.contains(&format!("{}:2: expected `<wall-ms> <text>`", mm.display())),
        "{err}"
    );
    let _ = std::fs::remove_file(log);
    let _ = std::fs::remove_file(mm);
}
