//! Random faults at random times never panic and keep the engine sane.

use proptest::prelude::*;
use std::time::Duration;
use vmodem_core::fault::{Fault, Mangle, PowerChange, StalledEndpoint};
use vmodem_core::model::Profile;
use vmodem_core::time::Instant;
use vmodem_core::wire::qmi::Message;
use vmodem_core::wire::tlv::Tlv;
use vmodem_core::wire::ServiceId;
use vmodem_core::Modem;

fn fault() -> impl Strategy<Value = Fault> {
    let ms = (0u64..5000).prop_map(Duration::from_millis);
    prop_oneof![
        proptest::option::of(ms.clone()).prop_map(|down| Fault::Reset { down }),
        Just(Fault::Crash),
        Just(Fault::PowerCycle),
        proptest::option::of(ms.clone()).prop_map(|down| Fault::Disconnect { down }),
        Just(Fault::Reconnect),
        Just(Fault::Bootloader),
        Just(Fault::SimRemove),
        Just(Fault::SimInsert),
        Just(Fault::Deregister),
        any::<bool>().prop_map(|on| Fault::Roaming { on }),
        ms.clone()
            .prop_map(|duration| Fault::SignalLoss { duration }),
        Just(Fault::BearerDrop),
        proptest::option::of(ms.clone()).prop_map(|duration| Fault::GnssNoFix { duration }),
        ms.clone()
            .prop_map(|duration| Fault::GnssFixLost { duration }),
        (
            0u32..4,
            prop_oneof![
                Just(Mangle::Drop),
                Just(Mangle::Duplicate),
                Just(Mangle::Truncate),
                Just(Mangle::WrongTxn),
                Just(Mangle::Delay {
                    by: Duration::from_millis(300)
                })
            ]
        )
            .prop_map(|(count, mangle)| Fault::Responses { mangle, count }),
        proptest::option::of(ms).prop_map(|duration| Fault::Stall {
            endpoint: StalledEndpoint::Control,
            duration
        }),
        (-1.0f64..3.0).prop_map(|o| Fault::Power(PowerChange {
            cable_ohms: Some(o),
            ..Default::default()
        })),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_faults_keep_invariants(steps in proptest::collection::vec((0u64..3000, fault(), any::<bool>()), 1..40)) {
        let mut m = Modem::new(Profile::default(), 1, Instant::ZERO);
        let mut now = Instant::ZERO;
        for (i, (dt, f, ask)) in steps.into_iter().enumerate() {
            now = now + Duration::from_millis(dt);
            let _ = m.inject(f, now);
            if ask {
                m.device_mut().with_sim(now, |s| s.verify_pin("1234")).ok();
                let req = Message::request(ServiceId::Ctl, 0, i as u16 + 1, 0x22, vec![Tlv::new(1, vec![1])]);
                m.handle_qmi(&req.to_bytes(), now);
                let _ = m.device_mut().start_network("internet", vmodem_core::model::IpFamily::V4);
            }
            m.handle_timeout(now);
            prop_assert!(m.pending() <= 512);
            prop_assert!(m.device().bearers.len() <= 64);
            let d = m.device();
            if !d.registration.is_registered() {
                prop_assert!(d.bearers.is_empty() || m.personality().is_none());
            }
            if m.personality().is_none() && m.is_booting() {
                prop_assert!(m.device().bearers.is_empty());
            }
            prop_assert!(m.poll_timeout().is_none_or(|t| t > now));
            let p = m.power();
            prop_assert!(p.volts.is_finite() && p.volts <= 5.0 + 1e-9);
        }
        while m.poll_record().is_some() {}
    }
}
