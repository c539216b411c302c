//! The supply stays physical for every set-up the checker accepts: the
//! voltage within [0, source], and a module off the bus (in reset) never
//! browns out. docs/power.md, "Bounds".

use proptest::prelude::*;
use vmodem_core::model::power_setup::{Peak, BOUNDS};
use vmodem_core::model::{Phase, PowerModel, PowerSetup, Profile, Technology};
use vmodem_core::time::{Duration, Instant};
use vmodem_core::Modem;

fn within(key: &str) -> std::ops::RangeInclusive<f64> {
    let b = BOUNDS.iter().find(|b| b.key == key).unwrap();
    b.min..=b.max
}

/// Any set-up inside the bounds, edges included.
fn setup() -> impl Strategy<Value = PowerSetup> {
    let edge = |key: &'static str| {
        let r = within(key);
        prop_oneof![Just(*r.start()), Just(*r.end()), r]
    };
    (
        edge("source-volts"),
        edge("cable-ohms"),
        edge("connector-ohms"),
        edge("capacitance-uf"),
        0.05f64..0.95,
        edge("brownout-holdoff-ms"),
        prop::collection::vec(0.0f64..=10.0, 13),
    )
        .prop_map(|(source, cable, connector, cap, th, holdoff, a)| {
            let mut s = PowerSetup {
                source_volts: source,
                cable_ohms: cable,
                connector_ohms: connector,
                capacitance_uf: cap,
                brownout_volts: source * th,
                brownout_holdoff_ms: holdoff,
                ..PowerSetup::default()
            };
            let l = &mut s.load;
            (l.off_amps, l.low_power_amps, l.idle_amps) = (a[0], a[1], a[2]);
            for (rat, a) in [(&mut l.umts, &a[3..8]), (&mut l.lte, &a[8..13])] {
                rat.search_amps = a[0];
                rat.attach_amps = a[1];
                rat.traffic_amps = a[2];
                rat.attach_peak = Peak { amps: a[3], ms: 5 };
                rat.periodic_peak = Peak { amps: a[4], ms: 2 };
            }
            s
        })
}

fn phase() -> impl Strategy<Value = Phase> {
    let tech = prop_oneof![Just(Technology::Lte), Just(Technology::Umts)];
    prop_oneof![
        Just(Phase::Off),
        Just(Phase::LowPower),
        Just(Phase::Idle),
        tech.clone().prop_map(Phase::Search),
        (tech, any::<bool>()).prop_map(|(t, d)| Phase::Registered(t, d)),
    ]
}

proptest! {
    #[test]
    fn the_supply_stays_within_zero_and_the_source(
        s in setup(),
        steps in prop::collection::vec((phase(), 0u64..3000), 1..12),
    ) {
        prop_assert_eq!(s.check(), Ok(()));
        let source = s.source_volts;
        let mut m = PowerModel::new(s, Instant::ZERO);
        let mut now = Instant::ZERO;
        for (p, dt) in steps {
            // Look inside the step too, not only at its ends.
            for frac in [1, 2, 3, 4] {
                let t = now + Duration::from_millis(dt * frac / 4);
                let v = m.status(t).volts;
                prop_assert!((0.0..=source + 1e-9).contains(&v), "{} V at {:?}", v, t);
            }
            now = now + Duration::from_millis(dt);
            while m.advance(now).is_some() {}
            m.set_phase(p, now);
        }
    }

    #[test]
    fn a_module_off_the_bus_does_not_brown_out(s in setup(), on_ms in 0u64..5000) {
        let mut m = PowerModel::new(s, Instant::ZERO);
        m.set_phase(Phase::Registered(Technology::Lte, true), Instant::ZERO);
        let mut now = Instant::from_millis(on_ms);
        // At most one brownout: it leaves the module off.
        if let Some(at) = m.advance(now) {
            now = at;
        }
        m.set_phase(Phase::Off, now);
        let before = m.brownouts();
        prop_assert_eq!(m.advance(now + Duration::from_secs(60)), None);
        prop_assert_eq!(m.brownouts(), before);
        prop_assert_eq!(m.poll_at(), None);
    }
}

/// Regression at the engine: a cable at the largest accepted resistance
/// browns the module out at most once per boot, never every millisecond
/// (a 1 kΩ cable used to give 10,001 resets in 10 s).
#[test]
fn the_worst_accepted_cable_resets_at_most_once_per_boot() {
    let mut p = Profile::default();
    p.power.cable_ohms = 10.0;
    p.power.connector_ohms = 10.0;
    let mut m = Modem::new(p, 1, Instant::ZERO);
    let end = Instant::from_millis(10_000);
    let mut now = Instant::ZERO;
    let mut calls = 0;
    while now < end {
        now = m.poll_timeout().unwrap_or(end).min(end).max(now);
        m.handle_timeout(now);
        calls += 1;
        assert!(calls < 100_000, "the engine asks to be called without end");
        let v = m.power().volts;
        assert!((0.0..=5.0).contains(&v), "{v} V");
        if now == end {
            break;
        }
    }
    assert!(m.power().brownouts <= 10, "{:?}", m.power());
}
