use super::*;
use crate::scenario::DeviceState;
use crate::time::Duration;
use proptest::prelude::*;

fn suite(text: &str) -> Suite {
    Suite::from_toml(text, "s.toml").unwrap_or_else(|e| panic!("{e}"))
}

fn err(text: &str) -> String {
    Suite::from_toml(text, "s.toml").unwrap_err().to_string()
}

const CASE: &str = r#"
[[case]]
name = "pin-reset"
duration-s = 40
[[case.step]]
on = "pin-verified"
after-ms = 1500
inject = { fault = "reset", down-ms = 1500 }
[[case.expect]]
after = "rejoined-bus"
host = "opens-control"
within-s = 30
"#;

#[test]
fn a_case_with_inline_steps_and_an_expectation() {
    let s = suite(CASE);
    assert_eq!(s.name, "s");
    let c = &s.cases[0];
    assert_eq!(c.duration_ms, 40_000);
    let CaseScenario::Inline(sc) = &c.scenario else {
        panic!("inline")
    };
    assert_eq!(sc.steps.len(), 1);
    let e = &c.expectations[0];
    assert_eq!(e.after, Anchor::RejoinedBus);
    assert_eq!(e.form, Form::Within { ms: 30_000 });
    assert_eq!(
        e.name,
        "after rejoined-bus, within 30 s the host opens the control channel"
    );
}

#[test]
fn malformed_files_name_their_place() {
    for (text, place, words) in [
        ("", "s.toml:1:1", "at least one [[case]]"),
        ("[[case]]\nname = \"a\"\n", "s.toml:1:1", "duration-s"),
        (
            "[[case]]\nname = \"a\"\nduration-s = 5\n",
            "s.toml:1:1",
            "at least one [[case.expect]]",
        ),
        (
            "[[case]]\nname = \"a\"\nduration-s = -5\n[[case.expect]]\nhost = \"opens-control\"\nnever = true\n",
            "s.toml:3:14",
            "more than 0",
        ),
        (
            "[[case]]\nname = \"a\"\nduration-s = 5\n[[case.expect]]\nhost = \"flies\"\nnever = true\n",
            "s.toml:5:8",
            "unknown act `flies`",
        ),
        (
            "[[case]]\nname = \"a\"\nduration-s = 5\n[[case.expect]]\nhost = \"opens-control\"\nafter = \"lunch\"\nnever = true\n",
            "s.toml:6:9",
            "unknown event `lunch`",
        ),
        (
            "[[case]]\nname = \"a\"\nduration-s = 5\n[[case.expect]]\nhost = \"opens-control\"\nwithin-s = 9\n",
            "s.toml:6:12",
            "longer than the case",
        ),
        (
            "[[case]]\nname = \"a\"\nduration-s = 5\n[[case.expect]]\nhost = \"opens-control\"\nwithin-s = 2\nnever = true\n",
            "s.toml:4:1",
            "only one of",
        ),
        (
            "[[case]]\nname = \"a\"\nduration-s = 5\n[[case.expect]]\nhost = \"allocates-client\"\nservice = \"xyz\"\nnever = true\n",
            "s.toml:6:11",
            "unknown QMI service",
        ),
        (
            "[[case]]\nname = \"a\"\nduration-s = 5\n[[case.expect]]\nhost = \"opens-control\"\nservice = \"wds\"\nnever = true\n",
            "s.toml:6:11",
            "does not go with this act",
        ),
        (
            "[[case]]\nname = \"a\"\nduration-s = 5\n[[case.expect]]\nhost = \"sends-request\"\nrequest = \"dms/fly\"\nnever = true\n",
            "s.toml:6:11",
            "unknown message",
        ),
        (
            "[[case]]\nname = \"a\"\nduration-s = 5\nbogus = 1\n",
            "s.toml:4:1",
            "unknown field `bogus`",
        ),
        (
            "[[case]]\nname = \"a\"\nduration-s = 5\nscenario = \"x.toml\"\n[[case.step]]\nat-ms = 1\ninject = { fault = \"reset\" }\n[[case.expect]]\nhost = \"opens-control\"\nnever = true\n",
            "s.toml:4:12",
            "not both",
        ),
        (
            "[[case]]\nname = \"a\"\nduration-s = 5\nseed = 2\nscenario = \"x.toml\"\n[[case.expect]]\nhost = \"opens-control\"\nnever = true\n",
            "s.toml:5:12",
            "seed goes with inline steps",
        ),
        (
            "[[case]]\nname = \"a\"\nduration-s = 5\n[[case.step]]\nat-ms = 1\ninject = { fault = \"teleport\" }\n[[case.expect]]\nhost = \"opens-control\"\nnever = true\n",
            "s.toml:6:20",
            "teleport",
        ),
        (
            "[[case]]\nname = \"a\"\nduration-s = 5\n[[case.expect]]\nreaches = \"registered\"\nat-most-per-s = 3\n",
            "s.toml:4:1",
            "reaches goes with",
        ),
        (
            "[[case]]\nname = \"a\"\nduration-s = 5\n[[case.expect]]\nhost = \"opens-control\"\nnever = true\nexpected-failure = \" \"\n",
            "s.toml:7:20",
            "give the reason",
        ),
    ] {
        let e = err(text);
        assert!(e.starts_with(&format!("{place}: ")), "{text}\n=> {e}");
        assert!(e.contains(words), "{text}\n=> {e}");
    }
    let dup = format!("{CASE}{CASE}");
    let e = err(&dup);
    assert!(e.contains("two cases are named `pin-reset`"), "{e}");
    assert!(e.starts_with("s.toml:14:1"), "{e}");
}

fn at(t_ms: u64, kind: Kind) -> Obs {
    Obs { t_ms, kind }
}

fn expect(text: &str) -> Expectation {
    let s = suite(&format!(
        "[[case]]\nname = \"a\"\nduration-s = 100\n[[case.expect]]\n{text}\n"
    ));
    s.cases[0].expectations[0].clone()
}

#[test]
fn within_is_judged_after_every_anchor() {
    let e = expect("after = \"rejoined-bus\"\nhost = \"opens-control\"\nwithin-s = 5");
    let log = vec![
        at(1000, Kind::RejoinedBus),
        at(2000, Kind::ControlOpened),
        at(10_000, Kind::RejoinedBus),
        at(16_000, Kind::ControlOpened),
    ];
    let v = judge(&e, &log, 60_000);
    assert_eq!(v.outcome, Outcome::Fail);
    assert!(
        v.seen.contains("rejoined-bus at 10 s: not by 15 s"),
        "{}",
        v.seen
    );
    let v = judge(&e, &log[..2], 60_000);
    assert_eq!(v.outcome, Outcome::Pass, "{}", v.seen);
    assert_eq!(v.latencies_ms, [1000]);
    // No anchor: nothing to judge is a failure, never a silent pass.
    let v = judge(&e, &[], 60_000);
    assert_eq!(v.outcome, Outcome::Fail);
    assert!(v.seen.contains("never happened"), "{}", v.seen);
    // A deadline past the end of the run.
    let v = judge(&e, &log[..1], 3000);
    assert!(v.seen.contains("the run ended"), "{}", v.seen);
}

#[test]
fn a_window_cut_by_the_module_leaving_is_not_held_against_the_host() {
    let e = expect("after = \"rejoined-bus\"\nhost = \"verifies-pin\"\nwithin-s = 10");
    let pin = Kind::Request {
        name: "uim/verify-pin".into(),
        ok: true,
    };
    let log = vec![
        at(0, Kind::RejoinedBus),
        at(2000, pin.clone()),
        at(5000, Kind::RejoinedBus),
        at(6000, Kind::LeftBus),
    ];
    let v = judge(&e, &log, 60_000);
    assert_eq!(v.outcome, Outcome::Pass, "{}", v.seen);
    assert!(v.seen.contains("1 cut short"), "{}", v.seen);
    // Only cut windows: no verdict can be reached, so it fails.
    let v = judge(&e, &log[2..], 60_000);
    assert_eq!(v.outcome, Outcome::Fail);
    // A refused PIN is no verified PIN.
    let bad = vec![
        at(0, Kind::RejoinedBus),
        at(
            100,
            Kind::Request {
                name: "uim/verify-pin".into(),
                ok: false,
            },
        ),
    ];
    assert_eq!(judge(&e, &bad, 60_000).outcome, Outcome::Fail);
}

#[test]
fn packets_count_up_to_the_needed_number() {
    let e = expect("after = \"registered\"\nhost = \"sends-packets\"\ncount = 5\nwithin-s = 10");
    let log = vec![
        at(1000, Kind::State(DeviceState::Registered)),
        at(2000, Kind::Packets(3)),
        at(9000, Kind::Packets(1)),
        at(12_000, Kind::Packets(9)),
    ];
    let v = judge(&e, &log, 60_000);
    assert_eq!(v.outcome, Outcome::Fail);
    assert!(v.seen.contains("(4 of 5 seen in time)"), "{}", v.seen);
}

#[test]
fn never_not_before_and_rates() {
    let never = expect("host = \"writes-boot-loader\"\nnever = true");
    assert_eq!(judge(&never, &[], 1000).outcome, Outcome::Pass);
    let v = judge(&never, &[at(700, Kind::BootLoaderWrite)], 1000);
    assert_eq!(v.outcome, Outcome::Fail);
    assert_eq!(v.seen, "it did, at 0.7 s");

    let nb = expect(
        "after = \"rejoined-bus\"\nhost = \"starts-network\"\nnot-before = \"pin-verified\"",
    );
    let start = Kind::StartNetwork {
        apn: "internet".into(),
        ok: true,
    };
    let good = vec![
        at(0, Kind::RejoinedBus),
        at(10, Kind::State(DeviceState::PinVerified)),
        at(20, start.clone()),
    ];
    assert_eq!(judge(&nb, &good, 1000).outcome, Outcome::Pass);
    let bad = vec![at(0, Kind::RejoinedBus), at(5, start.clone())];
    let v = judge(&nb, &bad, 1000);
    assert_eq!(v.outcome, Outcome::Fail);
    assert!(v.seen.contains("pin-verified never came"), "{}", v.seen);

    let rate = expect("host = \"sends-request\"\nat-most-per-s = 3");
    let req = |t| {
        at(
            t,
            Kind::Request {
                name: "dms/get-ids".into(),
                ok: true,
            },
        )
    };
    let calm: Vec<_> = (0..10).map(|i| req(i * 400)).collect();
    assert_eq!(judge(&rate, &calm, 10_000).outcome, Outcome::Pass);
    let storm: Vec<_> = (0..10).map(|i| req(5000 + i * 10)).collect();
    let v = judge(&rate, &storm, 10_000);
    assert_eq!(v.outcome, Outcome::Fail);
    assert_eq!(v.seen, "10 in the second from 5 s on (10 in all)");
}

#[test]
fn an_expected_failure_is_acceptable_and_a_stale_one_is_not() {
    let e = expect("host = \"writes-boot-loader\"\nnever = true\nexpected-failure = \"flashes\"");
    let v = judge(&e, &[at(1, Kind::BootLoaderWrite)], 1000);
    assert_eq!(v.outcome, Outcome::ExpectedFailure);
    assert!(v.outcome.acceptable());
    let v = judge(&e, &[], 1000);
    assert_eq!(v.outcome, Outcome::UnexpectedPass);
    assert!(!v.outcome.acceptable());
}

#[test]
fn recovery_times_from_each_rejoin() {
    let log = vec![
        at(1000, Kind::RejoinedBus),
        at(1200, Kind::ControlOpened),
        at(3000, Kind::State(DeviceState::Registered)),
        at(4000, Kind::Packets(2)),
        at(5000, Kind::LeftBus),
        at(7000, Kind::RejoinedBus),
        at(7400, Kind::ControlOpened),
    ];
    let r = recoveries(&log);
    assert_eq!(r.len(), 2);
    assert_eq!(
        (
            r[0].control_open_ms,
            r[0].registered_ms,
            r[0].data_flowing_ms
        ),
        (Some(200), Some(2000), Some(3000))
    );
    assert_eq!(
        (r[1].control_open_ms, r[1].registered_ms),
        (Some(400), None)
    );
    let s = RecoverySpread::of(&r);
    let c = s.control_open.unwrap();
    assert_eq!(
        (c.n, c.min_ms, c.max_ms, c.mean_ms, c.stddev_ms),
        (2, 200, 400, 300.0, 100.0)
    );
    assert!(s.data_flowing.is_some() && s.registered.unwrap().n == 1);
}

/// The scripted host of `simulate` behaves as a well-behaved stack: the
/// engine's own records let a suite say so, after the field report's reset.
#[test]
fn the_scripted_host_recovers_from_the_pin_reset_by_the_engine_s_records() {
    let text = format!(
        "{CASE}
[[case.expect]]
after = \"rejoined-bus\"
host = \"allocates-client\"
service = \"wds\"
within-s = 10
[[case.expect]]
after = \"rejoined-bus\"
host = \"verifies-pin\"
within-s = 10
[[case.expect]]
after = \"rejoined-bus\"
host = \"starts-network\"
apn = \"internet\"
within-s = 20
[[case.expect]]
host = \"sends-request\"
at-most-per-s = 50
[[case.expect]]
host = \"writes-boot-loader\"
never = true
[[case.expect]]
after = \"rejoined-bus\"
reaches = \"bearer-connected\"
within-s = 30
[[case.expect]]
host = \"starts-network\"
not-before = \"pin-verified\"
"
    );
    let s = suite(&text);
    let case = &s.cases[0];
    let CaseScenario::Inline(sc) = &case.scenario else {
        panic!()
    };
    let verdicts = |seed| {
        let mut log = Vec::new();
        crate::scenario::simulate(
            sc,
            crate::model::Profile::default(),
            seed,
            Duration::from_millis(case.duration_ms),
            false,
            |r| log.push(serde_json::to_value(&r).unwrap()),
        );
        let obs = observation::read_all(&log);
        (judge_case(case, &obs, case.duration_ms), recoveries(&obs))
    };
    let (v, r) = verdicts(3);
    for x in &v {
        assert_eq!(x.outcome, Outcome::Pass, "{}: {}", x.expected, x.seen);
    }
    assert_eq!(r.len(), 1);
    assert!(r[0].control_open_ms.is_some() && r[0].registered_ms.is_some());
    // Same seed, same verdicts.
    assert_eq!(verdicts(3), (v, r));
}

#[test]
fn an_engine_record_of_each_host_act_reads_back() {
    let rec = |v: serde_json::Value| observation::read(&v).unwrap().kind;
    assert_eq!(
        rec(
            serde_json::json!({"t-ms": 5, "event": "mode-preference", "modes": ["umts"], "ok": true})
        ),
        Kind::ModePreference {
            modes: vec!["umts".into()],
            ok: true
        }
    );
    assert_eq!(
        rec(
            serde_json::json!({"t-ms": 5, "event": "request", "via": "qmi", "service": "wds", "message": "start-network", "ok": false})
        ),
        Kind::Request {
            name: "wds/start-network".into(),
            ok: false
        }
    );
    assert!(observation::read(&serde_json::json!({"event": "request"})).is_none());
    assert!(
        observation::read(&serde_json::json!({"t-ms": 1, "event": "state", "state": "x"}))
            .is_none()
    );
}

fn naive_peak(times: &[u64]) -> u64 {
    times
        .iter()
        .map(|&t| times.iter().filter(|&&u| u >= t && u < t + 1000).count() as u64)
        .max()
        .unwrap_or(0)
}

proptest! {
    /// The sliding-window rate agrees with counting every window.
    #[test]
    fn the_rate_is_the_busiest_second(mut times in proptest::collection::vec(0u64..20_000, 0..200), limit in 1u64..30) {
        times.sort_unstable();
        let log: Vec<Obs> = times.iter().map(|&t| at(t, Kind::ControlOpened)).collect();
        let e = expect(&format!("host = \"opens-control\"\nat-most-per-s = {limit}"));
        let v = judge(&e, &log, 20_000);
        prop_assert_eq!(v.outcome == Outcome::Pass, naive_peak(&times) <= limit);
    }

    /// `within` holds exactly when every anchor has an act in its window
    /// (no departures from the bus here).
    #[test]
    fn within_agrees_with_its_definition(
        anchors in proptest::collection::vec(0u64..50_000, 1..6),
        acts in proptest::collection::vec(0u64..60_000, 0..10),
        within in 1u64..20,
    ) {
        let ms = within * 1000;
        let mut log: Vec<Obs> = anchors.iter().map(|&t| at(t, Kind::RejoinedBus))
            .chain(acts.iter().map(|&t| at(t, Kind::ControlOpened))).collect();
        log.sort_by_key(|o| o.t_ms);
        let e = expect(&format!("after = \"rejoined-bus\"\nhost = \"opens-control\"\nwithin-s = {within}"));
        let end = 100_000;
        let v = judge(&e, &log, end);
        let want = anchors.iter().all(|&a| acts.iter().any(|&t| t >= a && t <= a + ms));
        prop_assert_eq!(v.outcome == Outcome::Pass, want, "{}", v.seen);
    }

    /// Whatever the text, the parser answers with a suite or a placed error.
    #[test]
    fn any_text_is_a_suite_or_a_placed_error(text in "\\PC{0,300}") {
        if let Err(e) = Suite::from_toml(&text, "f.toml") {
            prop_assert!(e.line >= 1 && e.column >= 1);
        }
    }
}

#[test]
fn a_scenario_file_case_keeps_its_path() {
    let s = suite(
        "seed = 9\n[[case]]\nname = \"x\"\nscenario = \"../scenarios/pin-reset.toml\"\nduration-s = 2.5\nrepeat = 3\n[[case.expect]]\nhost = \"opens-control\"\nwithin-s = 2\n[[case.probe]]\nname = \"p\"\nrun = [\"true\"]\nexpect-exit = 0\n",
    );
    assert_eq!(s.seed, 9);
    let c = &s.cases[0];
    assert_eq!(
        c.scenario,
        CaseScenario::File("../scenarios/pin-reset.toml".into())
    );
    assert_eq!((c.duration_ms, c.repeat, c.probes.len()), (2500, 3, 1));
}
