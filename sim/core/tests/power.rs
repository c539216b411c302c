//! Brownouts emerge from the supply set-up: a bad cable resets the module
//! at the LTE attach burst, not on 3G; a good cable or a big capacitor
//! cures it; and the outcome depends only on simulated time and inputs.

use std::time::Duration;
use vmodem_core::model::profile::DEFAULT_PROFILE;
use vmodem_core::model::{mode_pref, IpFamily, LoadState, Profile};
use vmodem_core::time::Instant;
use vmodem_core::{Event, LeaveCause, Modem, ResetCause};

fn profile(cable_ohms: f64, capacitance_uf: f64) -> Profile {
    let mut p = Profile::default();
    p.power.cable_ohms = cable_ohms;
    p.power.capacitance_uf = capacitance_uf;
    p
}

/// Unlocks at 1 s, optionally limits to 3G, connects once registered, and
/// runs for `secs`, calling the engine every `poll` ms (0: when it asks).
fn session(p: Profile, umts_only: bool, secs: u64, poll: u64) -> Modem {
    let mut m = Modem::new(p, 4, Instant::ZERO);
    let mut now = Instant::ZERO;
    let end = Instant::from_millis(secs * 1000);
    let unlock = Instant::from_millis(1000);
    let mut unlocked = false;
    while now < end {
        let ask = m.poll_timeout().unwrap_or(end);
        let next = if poll == 0 {
            ask
        } else {
            now + Duration::from_millis(poll)
        };
        let next = next.min(end).max(now);
        let next = if !unlocked { next.min(unlock) } else { next };
        m.handle_timeout(next);
        now = next;
        if !unlocked && now >= unlock {
            unlocked = true;
            if umts_only {
                m.device_mut().set_mode_pref(mode_pref::UMTS, now);
            }
            m.device_mut()
                .with_sim(now, |s| s.verify_pin("1234"))
                .unwrap();
            m.handle_timeout(now);
        }
        if m.device().registration.is_registered()
            && m.device().bearers.is_empty()
            && m.personality().is_some()
        {
            let _ = m.device_mut().start_network("internet", IpFamily::V4);
        }
        if now == next && next == end {
            break;
        }
    }
    m
}

#[test]
fn bad_cable_and_lte_attach_burst_reset_the_module() {
    let mut m = session(profile(1.5, 100.0), false, 6, 0);
    assert_eq!(m.power().brownouts, 1);
    assert_eq!(m.resets().1, Some(ResetCause::Brownout));
    let evs: Vec<_> = std::iter::from_fn(|| m.poll_event()).collect();
    assert_eq!(
        evs[0],
        Event::LeaveBus {
            cause: LeaveCause::Reset(ResetCause::Brownout)
        }
    );
    // The SIM is locked again after the reset: no second attach, no loop.
    assert_eq!(m.power().load, LoadState::Idle);
}

#[test]
fn bad_cable_on_3g_only_never_browns_out() {
    let m = session(profile(1.5, 100.0), true, 3600, 0);
    assert_eq!(m.power().brownouts, 0);
    assert_eq!(m.power().load, LoadState::UmtsTraffic);
    assert!(m.power().volts > 3.3);
}

#[test]
fn good_cable_or_big_capacitor_cures_lte() {
    let good = session(profile(0.25, 100.0), false, 3600, 0);
    assert_eq!(good.power().brownouts, 0);
    assert_eq!(good.power().load, LoadState::LteTraffic);
    let buffered = session(profile(1.5, 10_000.0), false, 3600, 0);
    assert_eq!(buffered.power().brownouts, 0);
    assert_eq!(buffered.power().load, LoadState::LteTraffic);
}

#[test]
fn outcome_does_not_depend_on_when_the_engine_is_called() {
    let log = |poll| {
        let mut m = session(profile(1.5, 100.0), false, 20, poll);
        std::iter::from_fn(|| m.poll_record())
            .map(|r| serde_json::to_string(&r).unwrap())
            .collect::<Vec<_>>()
    };
    let exact = log(0);
    assert!(exact.iter().any(|l| l.contains("brownout")), "{exact:?}");
    assert_eq!(exact, log(0));
    let brownout_line = |l: &Vec<String>| {
        l.iter()
            .find(|x| x.contains(r#""event":"brownout""#))
            .cloned()
    };
    assert_eq!(brownout_line(&exact), brownout_line(&log(1)));
    assert_eq!(brownout_line(&exact), brownout_line(&log(7)));
}

#[test]
fn profile_rejects_impossible_power_with_place() {
    let with = |from: &str, to: &str| DEFAULT_PROFILE.replace(from, to);
    for (from, to, why) in [
        (
            "cable-ohms = 0.25",
            "cable-ohms = -0.5",
            "expected zero or more",
        ),
        (
            "capacitance-uf = 100.0",
            "capacitance-uf = 0.0",
            "capacitance above zero",
        ),
        (
            "brownout-volts = 3.3",
            "brownout-volts = 6.0",
            "between 0 and source-volts",
        ),
        ("[power]\n", "[power]\ncolour = 1\n", "colour"),
        ("down-ms-min = 1000", "down-ms-min = 3000", "exceeds"),
    ] {
        let e = Profile::from_toml(&with(from, to), "p.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("p.toml:") && e.contains(why), "{to}: {e}");
    }
    let p = Profile::from_toml(&with("cable-ohms = 0.25", "cable-ohms = 1.5"), "p.toml").unwrap();
    assert_eq!(p.power.cable_ohms, 1.5);
    assert_eq!(Profile::default().power, Default::default());
}

/// The trace shows the LTE attach burst's dip down to the brownout, and
/// asking for it changes nothing about the outcome.
#[test]
fn trace_shows_the_dip_and_changes_nothing() {
    let run = |trace: bool| {
        let mut m = Modem::new(profile(1.5, 100.0), 3, Instant::ZERO);
        m.trace_power(trace);
        let mut samples = vec![];
        let mut records = vec![];
        let end = Instant::from_millis(6000);
        let mut now = Instant::ZERO;
        let mut unlocked = false;
        while now < end {
            now = m.poll_timeout().unwrap_or(end).min(end).max(now);
            if !unlocked && now >= Instant::from_millis(1000) {
                now = Instant::from_millis(1000);
                unlocked = true;
                m.handle_timeout(now);
                m.device_mut()
                    .with_sim(now, |s| s.verify_pin("1234"))
                    .unwrap();
            }
            m.handle_timeout(now);
            while let Some(s) = m.poll_power_sample() {
                samples.push(s);
            }
        }
        while let Some(r) = m.poll_record() {
            records.push(serde_json::to_string(&r).unwrap());
        }
        (samples, records)
    };
    let (samples, traced) = run(true);
    let (none, plain) = run(false);
    assert!(none.is_empty());
    assert_eq!(traced, plain, "tracing must not change what happens");
    let low = samples
        .iter()
        .map(|s| s.volts)
        .fold(f64::INFINITY, f64::min);
    assert!(
        low < 3.3,
        "the dip below the threshold is in the trace: {low}"
    );
    assert!(samples.iter().any(|s| s.amps >= 1.6), "the attach burst");
    assert!(samples.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
}
