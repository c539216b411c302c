//! JUnit XML: one `testsuite` per run of a case, one `testcase` per
//! expectation (and per probe with an expected exit code). A failure
//! says what was expected, what was seen and when; a known failure of the
//! host is a skipped test case whose message gives the reason.

use super::summary::Report;
use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
use vmodem_core::suite::Outcome;

pub fn render(report: &Report) -> anyhow::Result<String> {
    let mut out = quick_junit::Report::new(&report.suite);
    for c in &report.cases {
        for (i, r) in c.runs.iter().enumerate() {
            let name = if c.runs.len() > 1 {
                format!("{} (run {})", c.name, i + 1)
            } else {
                c.name.clone()
            };
            let mut suite = TestSuite::new(&name);
            suite.set_time(r.wall);
            let class = format!("{}.{}", report.suite, c.name);
            for v in &r.verdicts {
                let status = match v.outcome {
                    Outcome::Pass => TestCaseStatus::success(),
                    Outcome::Fail => {
                        let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                        s.set_type("expectation")
                            .set_message(format!("expected: {}; seen: {}", v.expected, v.seen));
                        s
                    }
                    Outcome::UnexpectedPass => {
                        let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                        s.set_type("unexpected-pass").set_message(format!(
                            "marked as a known failure ({}), but it held: {}",
                            v.reason.as_deref().unwrap_or(""),
                            v.seen
                        ));
                        s
                    }
                    Outcome::ExpectedFailure => {
                        let mut s = TestCaseStatus::skipped();
                        s.set_type("expected-failure").set_message(format!(
                            "known failure of the host: {}; seen: {}",
                            v.reason.as_deref().unwrap_or(""),
                            v.seen
                        ));
                        s
                    }
                };
                let mut t = TestCase::new(&v.name, status);
                t.set_classname(&class);
                t.set_system_out(format!("expected: {}\nseen: {}\n", v.expected, v.seen));
                suite.add_test_case(t);
            }
            for p in &r.probes {
                let Some(held) = p.held() else { continue };
                let status = if held {
                    TestCaseStatus::success()
                } else {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_type("probe").set_message(format!(
                        "expected `{}` to exit with {}; it exited with {}",
                        p.command,
                        p.expect_exit.unwrap_or(0),
                        p.exit.map_or("no code (killed)".into(), |c| c.to_string())
                    ));
                    s
                };
                let mut t = TestCase::new(format!("probe: {}", p.name), status);
                t.set_classname(&class);
                t.set_system_out(p.output.clone());
                suite.add_test_case(t);
            }
            out.add_test_suite(suite);
        }
    }
    Ok(out.to_string()?)
}
