//! Scenario files: errors with their exact place, the shipped files, the
//! runner's triggers, and determinism of headless runs.

use vmodem_core::fault::Fault;
use vmodem_core::model::Profile;
use vmodem_core::scenario::{simulate, DeviceState, Director, Record, Scenario, What};
use vmodem_core::time::Duration;
use vmodem_core::time::Instant;
use vmodem_core::Modem;

fn err(text: &str) -> String {
    Scenario::from_toml(text, "s.toml").unwrap_err().to_string()
}

/// The error must start with this place.
fn at(text: &str, line: usize, col: usize, words: &str) {
    let e = err(text);
    let place = format!("s.toml:{line}:{col}: ");
    assert!(e.starts_with(&place), "expected {place} in: {e}");
    assert!(e.contains(words), "expected `{words}` in: {e}");
}

#[test]
fn unknown_keys_are_placed() {
    at("seed = 1\ncolour = 2\n", 2, 1, "colour");
    at(
        "[[step]]\nat-ms = 1\nwhen = 3\ninject = { fault = \"reset\" }\n",
        3,
        1,
        "when",
    );
    at(
        "[[step]]\nat-ms = 1\ninject = { fault = \"reset\", up-ms = 1 }\n",
        3,
        10,
        "up-ms",
    );
    at("[power]\nvolts = 5.0\n", 2, 1, "volts");
}

#[test]
fn wrong_types_are_placed() {
    at("seed = \"one\"\n", 1, 8, "expected u64");
    at(
        "[[step]]\nat-ms = \"soon\"\ninject = { fault = \"crash\" }\n",
        2,
        9,
        "",
    );
    at(
        "[[step]]\non = \"booted\"\nrepeat = 1\ninject = { fault = \"crash\" }\n",
        3,
        10,
        "bool",
    );
    at(
        "[[step]]\non = \"booted\"\nafter-ms = -5\ninject = { fault = \"crash\" }\n",
        3,
        12,
        "negative",
    );
}

#[test]
fn impossible_values_are_placed() {
    at(
        "[power]\ncable-ohms = -1.5\n",
        2,
        14,
        "cable-ohms must lie in 0 to 10 Ω, not -1.5",
    );
    at(
        "[power]\nsource-volts = 0\n",
        2,
        16,
        "source-volts must lie in 0.5 to 30 V",
    );
    // Regression: a 1 kΩ cable was accepted and drove the module to -14.8 V.
    at(
        "[power]\ncable-ohms = 1000\n",
        2,
        14,
        "cable-ohms must lie in 0 to 10 Ω",
    );
    at(
        "[power]\ncapacitance-uf = inf\n",
        2,
        18,
        "capacitance-uf must lie in",
    );
    at(
        "[power]\nsource-volts = nan\n",
        2,
        16,
        "source-volts must lie in",
    );
    at(
        "[[step]]\non = \"booted\"\nprobability = 1.5\ninject = { fault = \"crash\" }\n",
        3,
        15,
        "between 0 and 1",
    );
    at(
        "[[step]]\non = \"booted\"\nnth = 0\ninject = { fault = \"crash\" }\n",
        3,
        7,
        "from 1",
    );
    at(
        "[[step]]\nat-ms = 5\ninject = { fault = \"power\", cable-ohms = -2 }\n",
        3,
        10,
        "cable-ohms",
    );
}

#[test]
fn unknown_names_are_placed() {
    at(
        "[[step]]\non = \"exploded\"\ninject = { fault = \"crash\" }\n",
        2,
        6,
        "unknown variant `exploded`",
    );
    at(
        "[[step]]\non-request = \"dms/fly\"\ninject = { fault = \"crash\" }\n",
        2,
        14,
        "unknown message",
    );
    at(
        "[[step]]\nat-ms = 1\ninject = { fault = \"explode\" }\n",
        3,
        20,
        "explode",
    );
    at("[[step]]\nat-ms = 1\n", 1, 1, "inject");
}

#[test]
fn triggers_must_be_exactly_one() {
    let none = "seed = 1\n\n[[step]]\ninject = { fault = \"crash\" }\n";
    assert!(err(none).contains("no trigger"), "{}", err(none));
    let two = "[[step]]\nat-ms = 1\non = \"booted\"\ninject = { fault = \"crash\" }\n";
    assert!(err(two).contains("more than one trigger"));
    let every = "[[step]]\non = \"booted\"\nevery-ms = 5\ninject = { fault = \"crash\" }\n";
    at(every, 3, 12, "at-ms only");
}

#[test]
fn shipped_scenarios_parse() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            let text = std::fs::read_to_string(&p).unwrap();
            Scenario::from_toml(&text, &p.display().to_string()).unwrap();
            n += 1;
        }
    }
    assert!(n >= 5, "only {n} scenario files");
}

fn shipped(name: &str) -> Scenario {
    let p = format!("{}/../../scenarios/{name}", env!("CARGO_MANIFEST_DIR"));
    Scenario::from_toml(&std::fs::read_to_string(&p).unwrap(), name).unwrap()
}

fn run(s: &Scenario, seed: u64, secs: u64) -> Vec<Record> {
    let mut log = Vec::new();
    simulate(
        s,
        Profile::default(),
        seed,
        Duration::from_secs(secs),
        false,
        |r| log.push(r),
    );
    log
}

fn json(log: &[Record]) -> String {
    log.iter()
        .map(|r| serde_json::to_string(r).unwrap() + "\n")
        .collect()
}

#[test]
fn same_scenario_and_seed_same_log() {
    for name in ["pin-reset.toml", "bootloader-failsafe.toml", "healthy.toml"] {
        let s = shipped(name);
        assert_eq!(json(&run(&s, 9, 120)), json(&run(&s, 9, 120)), "{name}");
    }
    // The delay of pin-reset is drawn from the seed.
    let s = shipped("pin-reset.toml");
    let first_fault = |seed| {
        run(&s, seed, 30)
            .into_iter()
            .find(|r| matches!(r.what, What::Fault { .. }))
            .map(|r| r.t_ms)
    };
    let times: std::collections::BTreeSet<_> = (0..8).map(first_fault).collect();
    assert!(times.len() > 1, "{times:?}");
}

fn state_times(log: &[Record], s: DeviceState) -> Vec<u64> {
    log.iter()
        .filter(|r| r.what == What::State { state: s })
        .map(|r| r.t_ms)
        .collect()
}

#[test]
fn pin_reset_resets_once_1_to_2_s_after_the_pin_and_the_host_unlocks_again() {
    let log = run(&shipped("pin-reset.toml"), 7, 60);
    let pins = state_times(&log, DeviceState::PinVerified);
    let resets = state_times(&log, DeviceState::Reset);
    assert_eq!(resets.len(), 1, "{log:#?}");
    assert!(pins.len() == 2, "{pins:?}");
    let gap = resets[0] - pins[0];
    assert!((1000..=2000).contains(&gap), "{gap}");
    assert!(pins[1] > resets[0]);
    // The host got its data call after the second unlock.
    assert!(state_times(&log, DeviceState::BearerConnected)[0] > pins[1]);
}

fn scenario(text: &str) -> Scenario {
    Scenario::from_toml(text, "t").unwrap()
}

fn faults(log: &[Record]) -> Vec<u64> {
    log.iter()
        .filter(|r| matches!(r.what, What::Fault { .. }))
        .map(|r| r.t_ms)
        .collect()
}

#[test]
fn nth_repeat_and_limit() {
    // Every second boot, at most twice: boots at 0, then after each reset.
    let s = scenario(
        "[[step]]\non = \"booted\"\nnth = 2\nrepeat = true\nlimit = 2\nafter-ms = 100\ninject = { fault = \"reset\" }\n\
         [[step]]\nat-ms = 1000\nevery-ms = 4000\nrepeat = true\nlimit = 3\ninject = { fault = \"reset\" }\n",
    );
    let log = run(&s, 1, 60);
    let boots = state_times(&log, DeviceState::Booted);
    let f = faults(&log);
    // Three timed resets (1000, 5000, 9000) and two boot-triggered ones.
    assert_eq!(f.len(), 5, "{f:?} boots {boots:?}");
    assert!(f.contains(&1000) && f.contains(&5000) && f.contains(&9000));
    assert!(f.contains(&(boots[1] + 100)), "{f:?} {boots:?}");
}

#[test]
fn probability_zero_never_fires_and_on_request_counts_requests() {
    let never = scenario(
        "[[step]]\non = \"pin-verified\"\nprobability = 0\ninject = { fault = \"reset\" }\n",
    );
    assert!(faults(&run(&never, 1, 30)).is_empty());
    // The scripted host sends Set Operating Mode once per boot.
    let s = scenario(
        "[[step]]\non-request = \"dms/set-operating-mode\"\nnth = 2\ninject = { fault = \"reset\" }\n\
         [[step]]\nat-ms = 10000\ninject = { fault = \"reset\" }\n",
    );
    let f = faults(&run(&s, 1, 60));
    assert_eq!(f.len(), 2, "{f:?}");
    assert_eq!(f[0], 10000);
}

#[test]
fn faults_the_engine_refuses_are_logged_not_fatal() {
    let s = scenario("[[step]]\nat-ms = 10\ninject = { fault = \"reset\" }\n[[step]]\nat-ms = 20\ninject = { fault = \"disconnect\" }\n[[step]]\nat-ms = 30\ninject = { fault = \"power\", cable-ohms = 0.5 }\n");
    let log = run(&s, 1, 10);
    // The disconnect comes while the module is still rebooting: refused,
    // logged, and the run goes on to the power change.
    let refused: Vec<_> = log
        .iter()
        .filter_map(|r| match &r.what {
            What::FaultRefused { fault, .. } => Some(fault.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(refused, vec![Fault::Disconnect { down: None }], "{log:#?}");
    assert!(log.iter().any(|r| matches!(
        &r.what,
        What::Fault {
            fault: Fault::Power(_),
            ..
        }
    )));
}

/// A state the device passes through within one engine step (registered
/// on LTE, then the attach burst browns it out 2 ms later) still triggers
/// its step: a real-time transport may wake only after both happened, and
/// the watch hears the state from the engine's records.
#[test]
fn a_state_over_within_one_step_still_triggers() {
    let s = scenario(
        "[power]\ncable-ohms = 1.5\nconnector-ohms = 0.05\n\
         [[step]]\non = \"registered-lte\"\ninject = { fault = \"power\", cable-ohms = 0.1 }\n",
    );
    let t0 = Instant::ZERO;
    let mut m = Modem::new(Profile::default(), 1, t0);
    let mut d = Director::new(Some(&s), 1, t0);
    d.after(&mut m, t0);
    let t1 = Instant::from_millis(100);
    m.handle_timeout(t1);
    m.device_mut()
        .with_sim(t1, |sim| sim.verify_pin("1234"))
        .unwrap();
    d.after(&mut m, t1);
    // One late wake-up covers the registration and the brownout after it.
    let t2 = Instant::from_millis(10_000);
    m.handle_timeout(t2);
    assert!(m.is_booting() || m.resets().0 == 1, "the brownout happened");
    d.after(&mut m, t2);
    let log: Vec<Record> = std::iter::from_fn(|| d.poll_record()).collect();
    let fired = log.iter().any(|r| {
        matches!(
            &r.what,
            What::Fault { step: Some(0), .. } | What::FaultRefused { step: Some(0), .. }
        )
    });
    assert!(fired, "{log:#?}");
}

/// `vmodem ctl power` and scenario steps go through `check_fault`: a
/// figure outside its bounds is refused with the field and the range.
#[test]
fn power_changes_outside_the_bounds_are_refused() {
    use vmodem_core::fault::PowerChange;
    use vmodem_core::scenario::file::check_fault;
    let change = |c: PowerChange| check_fault(&Fault::Power(c));
    let e = change(PowerChange {
        cable_ohms: Some(1000.0),
        ..PowerChange::default()
    })
    .unwrap_err();
    assert_eq!(e, "cable-ohms must lie in 0 to 10 Ω, not 1000");
    let e = change(PowerChange {
        capacitance_uf: Some(f64::NAN),
        ..PowerChange::default()
    })
    .unwrap_err();
    assert!(
        e.starts_with("capacitance-uf must lie in 0.1 to 100000 µF"),
        "{e}"
    );
    assert!(change(PowerChange {
        source_volts: Some(5.0),
        cable_ohms: Some(10.0),
        ..PowerChange::default()
    })
    .is_ok());
}

/// The log is in causal order: the host's request before what it caused,
/// the module's boot before the host's first request.
#[test]
fn the_log_puts_causes_before_effects() {
    let log = json(&run(&shipped("pin-reset.toml"), 7, 60));
    let lines: Vec<&str> = log.lines().collect();
    let first = |needle: &str| {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle} in {log}"))
    };
    let pin = first(r#""action":"verify-pin""#);
    let ready = first(r#""event":"sim","state":"ready""#);
    assert!(pin < ready, "{log}");
    assert!(
        first(r#""state":"booted""#) < first(r#""event":"host""#),
        "{log}"
    );
}
