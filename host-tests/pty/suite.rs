//! `vmodem suite run` judging hosts whose behaviour is known: a small QMI
//! host (`qmi_host.py`) that behaves, one that never re-opens the control
//! channel after a reset, and one that storms the module. Each fails
//! exactly the expectations it should, in the JUnit XML and the summary.

use crate::harness::*;
use std::path::Path;
use std::process::Command;

fn here(file: &str) -> String {
    format!("{}/../../host-tests/pty/{file}", env!("CARGO_MANIFEST_DIR"))
}

/// Runs host-control.toml against `qmi_host.py MODE`; returns the exit
/// status, the names of the failed test cases in the JUnit XML, and the
/// summary.
fn judge(mode: &str, extra: &[&str]) -> (bool, Vec<String>, serde_json::Value) {
    let (ok, xml, summary, _) = judge_file(&here("host-control.toml"), mode, extra);
    (ok, failed_cases(&xml), summary)
}

/// Runs a suite file against `qmi_host.py MODE`; returns the exit status,
/// the JUnit XML, the summary and the HTML report.
fn judge_file(file: &str, mode: &str, extra: &[&str]) -> (bool, String, serde_json::Value, String) {
    if Command::new("python3").arg("--version").output().is_err() {
        panic!("python3 is needed to run the script host (Debian package python3)");
    }
    let dir = tempdir(&format!("suite-{mode}"));
    let junit = dir.path().join("junit.xml");
    let report = dir.path().join("report");
    let out = Command::new(env!("CARGO_BIN_EXE_vmodem"))
        .args(["suite", "run", file, "--host"])
        .arg(format!("python3 {} {mode}", here("qmi_host.py")))
        .arg("--junit")
        .arg(&junit)
        .arg("--report")
        .arg(&report)
        .args(extra)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let xml = std::fs::read_to_string(&junit).unwrap_or_else(|e| panic!("{e}: {text}"));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("summary.json")).unwrap())
            .unwrap();
    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    assert!(html.contains("<h1>Suite host-control"), "{html}");
    assert!(!html.contains("<script"), "self-contained and script-free");
    (out.status.success(), xml, summary, html)
}

/// `testcase` names with a `failure` child, from the XML as written.
fn failed_cases(xml: &str) -> Vec<String> {
    let mut out = Vec::new();
    for chunk in xml.split("<testcase ").skip(1) {
        let body = chunk.split("</testcase>").next().unwrap_or("");
        if body.contains("<failure") {
            let name = body
                .split("name=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            out.push(name.replace("&apos;", "'"));
        }
    }
    out
}

fn verdicts(summary: &serde_json::Value) -> Vec<String> {
    summary["cases"][0]["runs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["verdicts"].as_array().unwrap().clone())
        .map(|v| v["outcome"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_well_behaved_host_holds_every_expectation() {
    let (ok, failed, summary) = judge("good", &["--seed", "4"]);
    assert!(ok && failed.is_empty(), "{failed:?} {summary:#}");
    assert_eq!(summary["seed"], 4);
    // The recovery after the reset was measured.
    let spread = &summary["cases"][0]["recovery-spread"];
    assert_eq!(spread["rejoins"], 1, "{summary:#}");
    assert!(spread["control-open"]["max-ms"].as_u64().unwrap() < 3000);
}

#[test]
fn a_host_that_never_reopens_fails_exactly_the_reopen_expectations() {
    let (ok, failed, summary) = judge("never-reopen", &[]);
    assert!(!ok);
    assert_eq!(
        failed,
        [
            "after rejoined-bus, within 3 s the host opens the control channel",
            "after rejoined-bus, within 4 s the host verifies the PIN",
        ],
        "{summary:#}"
    );
    assert_eq!(verdicts(&summary), ["pass", "fail", "fail", "pass", "pass"]);
}

#[test]
fn a_host_that_storms_fails_exactly_the_rate_expectation() {
    let (ok, failed, summary) = judge("storm", &[]);
    assert!(!ok);
    assert_eq!(
        failed,
        ["the host sends requests at most 20 times a second (from power-on)"],
        "{summary:#}"
    );
}

/// host-control.toml with its two re-open expectations marked as known
/// failures of the host.
fn with_known_failures(dir: &Path) -> String {
    let text = std::fs::read_to_string(here("host-control.toml")).unwrap();
    let marked = text.replacen(
        "after = \"rejoined-bus\"\nhost = \"opens-control\"\n",
        "after = \"rejoined-bus\"\nhost = \"opens-control\"\nexpected-failure = \"loses the modem\"\n",
        1,
    );
    let marked = marked.replacen(
        "after = \"rejoined-bus\"\nhost = \"verifies-pin\"\n",
        "after = \"rejoined-bus\"\nhost = \"verifies-pin\"\nexpected-failure = \"loses the modem\"\n",
        1,
    );
    assert_eq!(marked.matches("expected-failure").count(), 2, "{marked}");
    let file = dir.join("known-failures.toml");
    std::fs::write(&file, marked).unwrap();
    file.display().to_string()
}

/// `testcase` elements of the JUnit XML with a `skipped` child: (name,
/// the skip's message).
fn skipped_cases(xml: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for chunk in xml.split("<testcase ").skip(1) {
        let body = chunk.split("</testcase>").next().unwrap_or("");
        if let Some(skip) = body.split("<skipped ").nth(1) {
            let attr = |a: &str| {
                let s = body.split(&format!("{a}=\"")).nth(1).unwrap_or("");
                s.split('"').next().unwrap_or("").replace("&apos;", "'")
            };
            let message = skip.split("message=\"").nth(1).unwrap_or("");
            let message = message.split('"').next().unwrap_or("");
            out.push((attr("name"), message.replace("&apos;", "'")));
        }
    }
    out
}

/// A known failure of the host (`expected-failure`) that fails is
/// accepted: the run passes, the JUnit XML has it as a skipped testcase
/// with the reason, and the summary and the HTML report name it. The
/// same marks against a host that holds them fail the run (the marks are
/// stale), as unexpected passes.
#[test]
fn known_failures_pass_the_run_and_stale_ones_fail_it() {
    let dir = tempdir("suite-xfail");
    let file = with_known_failures(dir.path());
    let (ok, xml, summary, html) = judge_file(&file, "never-reopen", &[]);
    assert!(ok, "{summary:#}");
    assert!(failed_cases(&xml).is_empty(), "{xml}");
    let skipped = skipped_cases(&xml);
    assert_eq!(skipped.len(), 2, "{xml}");
    for (name, message) in &skipped {
        assert!(name.starts_with("after rejoined-bus, within"), "{name}");
        assert!(
            message.starts_with("known failure of the host: loses the modem; seen: "),
            "{message}"
        );
    }
    assert_eq!(
        verdicts(&summary),
        [
            "pass",
            "expected-failure",
            "expected-failure",
            "pass",
            "pass"
        ]
    );
    assert_eq!(summary["passed"], true);
    assert_eq!(summary["expected-failures"], 2);
    assert!(html.contains("known failure: loses the modem"), "{html}");

    let (ok, xml, summary, _) = judge_file(&file, "good", &[]);
    assert!(!ok, "stale marks fail the run: {summary:#}");
    assert_eq!(failed_cases(&xml).len(), 2, "{xml}");
    assert_eq!(xml.matches("type=\"unexpected-pass\"").count(), 2, "{xml}");
    assert_eq!(
        verdicts(&summary),
        ["pass", "unexpected-pass", "unexpected-pass", "pass", "pass"]
    );
    assert_eq!(summary["passed"], false);
}

/// The suite checks clean, and a malformed one is refused with its place.
#[test]
fn suite_check_places_its_errors() {
    let ok = Command::new(env!("CARGO_BIN_EXE_vmodem"))
        .args(["suite", "check", &here("host-control.toml")])
        .output()
        .unwrap();
    assert!(ok.status.success(), "{ok:?}");
    let dir = tempdir("suite-bad");
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[case]]\nname = \"x\"\nduration-s = 5\n[[case.expect]]\nhost = \"opens-control\"\nwithin-s = 60\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vmodem"))
        .args(["suite", "check"])
        .arg(&bad)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains(&format!("{}:6:12: within-s is longer", bad.display())),
        "{err}"
    );
    assert!(Path::new(&bad).exists());
}
