//! Random scenarios, well-formed or not, never panic the parser, the
//! runner or the simulation.

use proptest::prelude::*;
use vmodem_core::model::Profile;
use vmodem_core::scenario::{simulate_inspecting, Scenario};
use vmodem_core::time::Duration;

fn trigger() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..20_000).prop_map(|t| format!("at-ms = {t}")),
        (0u64..20_000, 1u64..5000)
            .prop_map(|(t, e)| format!("at-ms = {t}\nevery-ms = {e}\nrepeat = true")),
        prop::sample::select(vec![
            "booted",
            "reset",
            "sim-locked",
            "pin-verified",
            "radio-on",
            "radio-off",
            "searching",
            "registered",
            "registered-umts",
            "registered-lte",
            "bearer-connected",
            "bearer-disconnected",
            "nonsense",
        ])
        .prop_map(|s| format!("on = \"{s}\"")),
        prop::sample::select(vec![
            "dms/set-operating-mode",
            "0x02/0x0028",
            "nas/get-serving-system",
            "wds/start-network",
            "ctl/allocate-cid",
            "bad/name",
            "dms",
        ])
        .prop_map(|s| format!("on-request = \"{s}\"")),
        Just(String::new()),
    ]
}

fn options() -> impl Strategy<Value = String> {
    (
        prop::option::of(0u64..3000),
        prop::option::of(0i64..4),
        prop::option::of(-0.5f64..1.5),
        any::<bool>(),
        prop::option::of(0u32..4),
    )
        .prop_map(|(after, nth, p, repeat, limit)| {
            let mut s = String::new();
            if let Some(a) = after {
                s += &format!("after-ms = {a}\n");
            }
            if let Some(n) = nth {
                s += &format!("nth = {n}\n");
            }
            if let Some(p) = p {
                s += &format!("probability = {p:?}\n");
            }
            if repeat {
                s += "repeat = true\n";
            }
            if let Some(l) = limit {
                s += &format!("limit = {l}\n");
            }
            s
        })
}

fn fault() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "{ fault = \"reset\" }",
        "{ fault = \"reset\", down-ms = 500 }",
        "{ fault = \"crash\" }",
        "{ fault = \"power-cycle\" }",
        "{ fault = \"sim-remove\" }",
        "{ fault = \"deregister\" }",
        "{ fault = \"roaming\", on = true }",
        "{ fault = \"signal-loss\", duration-ms = 0 }",
        "{ fault = \"responses\", mangle = \"drop\", count = 2 }",
        "{ fault = \"responses\", mangle = { delay = { ms = 100 } }, count = 1 }",
        "{ fault = \"stall\", endpoint = { serial = \"at\" } }",
        "{ fault = \"power\", cable-ohms = 1.5 }",
        "{ fault = \"power\" }",
        "{ fault = \"bogus\" }",
    ])
    .prop_map(str::to_string)
}

fn scenario_text() -> impl Strategy<Value = String> {
    (
        any::<u64>(),
        prop::option::of(-2.0f64..3.0),
        prop::collection::vec((trigger(), options(), fault()), 0..5),
    )
        .prop_map(|(seed, ohms, steps)| {
            let mut s = format!("seed = {}\n", seed >> 1);
            if let Some(o) = ohms {
                s += &format!("[power]\ncable-ohms = {o:?}\n");
            }
            for (t, o, f) in steps {
                s += &format!("\n[[step]]\n{t}\n{o}inject = {f}\n");
            }
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn random_scenarios_never_panic(text in scenario_text()) {
        match Scenario::from_toml(&text, "p.toml") {
            // The engine's invariants (clients, bearers, bounded queues)
            // hold after every round, whatever the faults did.
            Ok(s) => simulate_inspecting(
                &s,
                Profile::default(),
                s.seed,
                Duration::from_secs(40),
                true,
                |_| {},
                vmodem_core::fuzzing::check_invariants,
            ),
            Err(e) => prop_assert!(e.to_string().starts_with("p.toml:"), "{e}"),
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = Scenario::from_toml(&text, "x");
    }
}
