//! Every fault through `Modem::inject`: the state after it and what a QMI
//! host sees (responses and indications), plus reset bookkeeping and the
//! boot-loader failsafe.

use std::time::Duration;
use vmodem_core::fault::{Fault, FaultError, Mangle, PowerChange, StalledEndpoint};
use vmodem_core::model::{Profile, RegState, SimState};
use vmodem_core::time::Instant;
use vmodem_core::wire::qmi::{Message, MessageKind};
use vmodem_core::wire::tlv::Tlv;
use vmodem_core::wire::ServiceId;
use vmodem_core::{Event, Happening, LeaveCause, Modem, Personality, ResetCause};

fn t(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

/// Runs the engine to `end`, calling back exactly when it asks.
fn run(m: &mut Modem, end: Instant) {
    loop {
        let at = m.poll_timeout().filter(|&w| w < end).unwrap_or(end);
        m.handle_timeout(at);
        if at == end {
            return;
        }
    }
}

fn frames(m: &mut Modem) -> Vec<Message> {
    std::iter::from_fn(|| m.poll_qmi())
        .filter_map(|f| Message::parse(&f).ok())
        .collect()
}

struct Host {
    m: Modem,
    txn: u16,
}

impl Host {
    fn new() -> Host {
        Host {
            m: Modem::new(Profile::default(), 5, Instant::ZERO),
            txn: 1,
        }
    }
    fn client(&mut self, svc: ServiceId, now: Instant) -> u8 {
        self.txn += 1;
        let req = Message::request(
            ServiceId::Ctl,
            0,
            self.txn,
            0x22,
            vec![Tlv::new(1, vec![svc.0])],
        );
        self.m.handle_qmi(&req.to_bytes(), now);
        let r = frames(&mut self.m).pop().unwrap();
        r.tlv(1).unwrap()[1]
    }
    fn ask(
        &mut self,
        svc: ServiceId,
        cid: u8,
        id: u16,
        tlvs: Vec<Tlv>,
        now: Instant,
    ) -> Vec<Message> {
        self.txn += 1;
        let req = Message::request(svc, cid, self.txn, id, tlvs);
        self.m.handle_qmi(&req.to_bytes(), now);
        frames(&mut self.m)
    }
    fn unlock_and_register(&mut self, now: Instant) -> Instant {
        self.m
            .device_mut()
            .with_sim(now, |s| s.verify_pin("1234"))
            .unwrap();
        let end = now + Duration::from_millis(2000);
        run(&mut self.m, end);
        assert!(self.m.device().registration.is_registered());
        end
    }
}

fn indication(out: &[Message], svc: ServiceId, id: u16) -> Option<&Message> {
    out.iter()
        .find(|m| m.kind == MessageKind::Indication && m.service == svc && m.id.0 == id)
}

#[test]
fn injected_reset_leaves_comes_back_and_boots_fresh() {
    let mut h = Host::new();
    let now = h.unlock_and_register(t(0));
    h.m.device_mut()
        .start_network("internet", vmodem_core::model::IpFamily::V4)
        .unwrap();
    h.m.inject(
        Fault::Reset {
            down: Some(Duration::from_millis(1200)),
        },
        now,
    )
    .unwrap();
    assert_eq!(
        h.m.poll_event(),
        Some(Event::LeaveBus {
            cause: LeaveCause::Reset(ResetCause::Injected)
        })
    );
    assert!(h.m.is_booting());
    assert_eq!(h.m.personality(), None);
    run(&mut h.m, now + Duration::from_millis(1199));
    assert_eq!(h.m.poll_event(), None, "still down");
    run(&mut h.m, now + Duration::from_millis(1200));
    assert_eq!(
        h.m.poll_event(),
        Some(Event::ReturnToBus {
            personality: Personality::Application
        })
    );
    let d = h.m.device();
    assert_eq!(d.sim.state, SimState::PinRequired);
    assert!(d.bearers.is_empty());
    assert_eq!(d.registration.state, RegState::NotRegistered);
    assert_eq!(h.m.resets(), (1, Some(ResetCause::Injected)));
}

#[test]
fn reset_down_time_comes_from_the_seeded_range() {
    let down = |seed| {
        let mut m = Modem::new(Profile::default(), seed, t(0));
        m.inject(Fault::Reset { down: None }, t(10)).unwrap();
        let mut at = t(10);
        while m.poll_event()
            != Some(Event::ReturnToBus {
                personality: Personality::Application,
            })
        {
            at = m.poll_timeout().unwrap();
            m.handle_timeout(at);
        }
        at.millis() - 10
    };
    let (a, b) = (down(1), down(2));
    assert!(
        (1000..=2000).contains(&a) && (1000..=2000).contains(&b),
        "{a} {b}"
    );
    assert_eq!(a, down(1));
    assert!((1..40).any(|s| down(s) != a), "the seed changes the draw");
}

#[test]
fn crash_stays_away_until_power_cycle() {
    let mut h = Host::new();
    let cid = h.client(ServiceId::Dms, t(0));
    h.m.inject(Fault::Crash, t(10)).unwrap();
    assert_eq!(
        h.m.poll_event(),
        Some(Event::LeaveBus {
            cause: LeaveCause::Crash
        })
    );
    run(&mut h.m, t(60_000));
    assert_eq!(h.m.poll_event(), None);
    assert!(h
        .ask(ServiceId::Dms, cid, 0x0044, vec![], t(60_000))
        .is_empty());
    assert_eq!(
        h.m.inject(Fault::Deregister, t(60_000)),
        Err(FaultError::Unpowered)
    );
    h.m.inject(Fault::PowerCycle, t(60_001)).unwrap();
    run(&mut h.m, t(63_000));
    assert_eq!(
        h.m.poll_event(),
        Some(Event::ReturnToBus {
            personality: Personality::Application
        })
    );
    assert_eq!(h.m.resets().1, Some(ResetCause::PowerCycle));
}

#[test]
fn disconnect_keeps_firmware_state_and_reconnects() {
    let mut h = Host::new();
    let now = h.unlock_and_register(t(0));
    h.m.inject(Fault::Disconnect { down: None }, now).unwrap();
    assert_eq!(
        h.m.poll_event(),
        Some(Event::LeaveBus {
            cause: LeaveCause::Disconnect
        })
    );
    assert_eq!(
        h.m.inject(Fault::Disconnect { down: None }, now)
            .map_err(|_| ()),
        Err(())
    );
    run(&mut h.m, now + Duration::from_secs(30));
    assert!(
        h.m.poll_qmi().is_none(),
        "nothing reaches a host that is away"
    );
    h.m.inject(Fault::Reconnect, now + Duration::from_secs(30))
        .unwrap();
    assert_eq!(
        h.m.poll_event(),
        Some(Event::ReturnToBus {
            personality: Personality::Application
        })
    );
    assert_eq!(h.m.device().sim.state, SimState::Ready, "no reset happened");
    assert_eq!(h.m.resets().0, 0);
    // A timed disconnect comes back by itself.
    let at = now + Duration::from_secs(31);
    h.m.inject(
        Fault::Disconnect {
            down: Some(Duration::from_millis(500)),
        },
        at,
    )
    .unwrap();
    run(&mut h.m, at + Duration::from_millis(500));
    let evs: Vec<_> = std::iter::from_fn(|| h.m.poll_event()).collect();
    assert_eq!(
        evs.last(),
        Some(&Event::ReturnToBus {
            personality: Personality::Application
        })
    );
}

#[test]
fn sim_removal_shows_absent_to_uim_and_dms_and_ends_registration() {
    let mut h = Host::new();
    let uim = h.client(ServiceId::Uim, t(0));
    let dms = h.client(ServiceId::Dms, t(0));
    h.ask(
        ServiceId::Uim,
        uim,
        0x002E,
        vec![Tlv::new(1, 1u32.to_le_bytes().to_vec())],
        t(0),
    );
    let now = h.unlock_and_register(t(0));
    frames(&mut h.m);
    h.m.inject(Fault::SimRemove, now).unwrap();
    let out = frames(&mut h.m);
    let ind = indication(&out, ServiceId::Uim, 0x0032).expect("card status indication");
    // Card status TLV 0x10: four session indexes (none: 0xFFFF), the slot
    // count, then the card state, 0 = absent.
    let card = ind.tlv(0x10).unwrap();
    assert_eq!((&card[..2], card[8], card[9]), (&[0xFF, 0xFF][..], 1, 0));
    let r = h.ask(ServiceId::Dms, dms, 0x0044, vec![], now);
    let r = r.iter().find(|m| m.kind == MessageKind::Response).unwrap();
    assert_eq!(r.result(), Some((1, 37)), "DMS: UIM uninitialised");
    assert_eq!(h.m.device().registration.state, RegState::NotRegistered);
    h.m.inject(Fault::SimInsert, now).unwrap();
    assert_eq!(h.m.device().sim.state, SimState::PinRequired);
    let out = frames(&mut h.m);
    assert!(indication(&out, ServiceId::Uim, 0x0032).is_some());
}

fn start_wds_call(h: &mut Host, now: Instant) -> u8 {
    let wds = h.client(ServiceId::Wds, now);
    let r = h.ask(
        ServiceId::Wds,
        wds,
        0x0020,
        vec![Tlv::new(0x14, b"internet".to_vec())],
        now,
    );
    assert_eq!(r[0].result(), Some((0, 0)), "{r:?}");
    wds
}

#[test]
fn bearer_drop_is_a_network_end_seen_by_wds() {
    let mut h = Host::new();
    let now = h.unlock_and_register(t(0));
    let wds = start_wds_call(&mut h, now);
    frames(&mut h.m);
    h.m.inject(Fault::BearerDrop, now).unwrap();
    let out = frames(&mut h.m);
    let ind = indication(&out, ServiceId::Wds, 0x0022).expect("packet service status");
    assert_eq!(ind.client, wds);
    assert_eq!(ind.tlv(1), Some(&[1u8, 0][..]), "disconnected");
    assert_eq!(
        ind.tlv(0x10),
        Some(&1003u16.to_le_bytes()[..]),
        "network end"
    );
    assert!(h.m.device().bearers.is_empty());
    assert!(
        h.m.device().registration.is_registered(),
        "only the bearers go"
    );
}

#[test]
fn deregister_and_signal_loss_drop_registration_then_search_again() {
    let mut h = Host::new();
    let now = h.unlock_and_register(t(0));
    start_wds_call(&mut h, now);
    h.m.inject(Fault::Deregister, now).unwrap();
    assert_eq!(h.m.device().registration.state, RegState::Searching);
    assert!(h.m.device().bearers.is_empty());
    let now = now + Duration::from_secs(2);
    run(&mut h.m, now);
    assert!(h.m.device().registration.is_registered());
    h.m.inject(
        Fault::SignalLoss {
            duration: Duration::from_secs(10),
        },
        now,
    )
    .unwrap();
    assert_eq!(h.m.device().registration.state, RegState::NotRegistered);
    run(&mut h.m, now + Duration::from_secs(10));
    assert_eq!(h.m.device().registration.state, RegState::Searching);
    run(&mut h.m, now + Duration::from_secs(12));
    assert!(h.m.device().registration.is_registered());
}

#[test]
fn roaming_shows_in_serving_system() {
    let mut h = Host::new();
    let nas = h.client(ServiceId::Nas, t(0));
    let now = h.unlock_and_register(t(0));
    frames(&mut h.m);
    let roaming = |h: &mut Host| {
        let r = h.ask(ServiceId::Nas, nas, 0x0024, vec![], now);
        let r = r.iter().find(|m| m.kind == MessageKind::Response).unwrap();
        r.tlv(0x10).unwrap()[0]
    };
    assert_eq!(roaming(&mut h), 1, "home");
    h.m.inject(Fault::Roaming { on: true }, now).unwrap();
    assert_eq!(roaming(&mut h), 0, "roaming");
    h.m.inject(Fault::Roaming { on: false }, now).unwrap();
    assert_eq!(roaming(&mut h), 1);
}

#[test]
fn responses_are_mangled_for_count_then_normal() {
    let mut h = Host::new();
    let dms = h.client(ServiceId::Dms, t(0));
    let ask = |h: &mut Host| h.ask(ServiceId::Dms, dms, 0x0044, vec![], t(0));
    h.m.inject(
        Fault::Responses {
            mangle: Mangle::Drop,
            count: 2,
        },
        t(0),
    )
    .unwrap();
    assert!(ask(&mut h).is_empty());
    assert!(ask(&mut h).is_empty());
    assert_eq!(ask(&mut h).len(), 1);
    h.m.inject(
        Fault::Responses {
            mangle: Mangle::Duplicate,
            count: 1,
        },
        t(0),
    )
    .unwrap();
    assert_eq!(ask(&mut h).len(), 2);
    h.m.inject(
        Fault::Responses {
            mangle: Mangle::WrongTxn,
            count: 1,
        },
        t(0),
    )
    .unwrap();
    let r = ask(&mut h);
    assert_eq!(r[0].txn, h.txn ^ 0x8000);
    h.m.inject(
        Fault::Responses {
            mangle: Mangle::Truncate,
            count: 1,
        },
        t(0),
    )
    .unwrap();
    h.txn += 1;
    h.m.handle_qmi(
        &Message::request(ServiceId::Dms, dms, h.txn, 0x0044, vec![]).to_bytes(),
        t(0),
    );
    let raw = h.m.poll_qmi().unwrap();
    assert!(Message::parse(&raw).is_err(), "half a frame");
    assert_eq!(
        h.m.inject(
            Fault::Responses {
                mangle: Mangle::Drop,
                count: 0
            },
            t(0)
        )
        .map_err(|_| ()),
        Err(())
    );
}

#[test]
fn delayed_response_waits_for_its_time() {
    let mut h = Host::new();
    let dms = h.client(ServiceId::Dms, t(0));
    let by = Duration::from_millis(700);
    h.m.inject(
        Fault::Responses {
            mangle: Mangle::Delay { by },
            count: 1,
        },
        t(100),
    )
    .unwrap();
    assert!(h
        .ask(ServiceId::Dms, dms, 0x0044, vec![], t(100))
        .is_empty());
    assert!(h.m.poll_timeout().unwrap() <= t(800));
    h.m.handle_timeout(t(799));
    assert!(h.m.poll_qmi().is_none());
    h.m.handle_timeout(t(800));
    assert!(h.m.poll_qmi().is_some());
}

#[test]
fn control_stall_holds_responses_until_it_ends() {
    let mut h = Host::new();
    let dms = h.client(ServiceId::Dms, t(0));
    let stall = Fault::Stall {
        endpoint: StalledEndpoint::Control,
        duration: Some(Duration::from_secs(3)),
    };
    h.m.inject(stall, t(0)).unwrap();
    assert!(h.m.is_stalled(StalledEndpoint::Control));
    assert!(!h.m.is_stalled(StalledEndpoint::DataIn));
    assert!(h.ask(ServiceId::Dms, dms, 0x0044, vec![], t(10)).is_empty());
    run(&mut h.m, t(3000));
    assert!(!h.m.is_stalled(StalledEndpoint::Control));
    assert_eq!(frames(&mut h.m).len(), 1, "the held response goes out");
}

#[test]
fn power_change_is_validated() {
    let mut m = Modem::new(Profile::default(), 1, t(0));
    let bad = PowerChange {
        cable_ohms: Some(-1.0),
        ..Default::default()
    };
    assert!(matches!(
        m.inject(Fault::Power(bad), t(0)),
        Err(FaultError::Invalid(_))
    ));
    let bad = PowerChange {
        capacitance_uf: Some(0.0),
        ..Default::default()
    };
    assert!(m.inject(Fault::Power(bad), t(0)).is_err());
    let bad = PowerChange {
        source_volts: Some(3.0),
        ..Default::default()
    };
    assert!(
        m.inject(Fault::Power(bad), t(0)).is_err(),
        "threshold above source"
    );
    let ok = PowerChange {
        cable_ohms: Some(1.5),
        ..Default::default()
    };
    m.inject(Fault::Power(ok), t(0)).unwrap();
}

#[test]
fn failsafe_trips_after_repeated_resets_and_only_power_cycle_clears_it() {
    let mut m = Modem::new(Profile::default(), 9, t(0));
    let mut now = t(0);
    for i in 0..5 {
        m.inject(
            Fault::Reset {
                down: Some(Duration::from_millis(1500)),
            },
            now,
        )
        .unwrap();
        now = now + Duration::from_secs(10);
        run(&mut m, now);
        let evs: Vec<_> = std::iter::from_fn(|| m.poll_event()).collect();
        let expected = if i < 4 {
            Personality::Application
        } else {
            Personality::BootLoader
        };
        assert_eq!(
            evs.last(),
            Some(&Event::ReturnToBus {
                personality: expected
            }),
            "reset {i}"
        );
    }
    assert_eq!(m.personality(), Some(Personality::BootLoader));
    assert_eq!(
        m.inject(Fault::Reset { down: None }, now),
        Err(FaultError::InBootloader("reset"))
    );
    let records: Vec<_> = std::iter::from_fn(|| m.poll_record()).collect();
    assert!(records
        .iter()
        .any(|r| matches!(r.what, Happening::Failsafe { resets: 5, .. })));
    m.inject(Fault::PowerCycle, now).unwrap();
    run(&mut m, now + Duration::from_secs(3));
    assert_eq!(m.personality(), Some(Personality::Application));
}

#[test]
fn resets_spread_wider_than_the_window_do_not_trip() {
    let mut m = Modem::new(Profile::default(), 9, t(0));
    let mut now = t(0);
    for _ in 0..10 {
        m.inject(Fault::Reset { down: None }, now).unwrap();
        now = now + Duration::from_secs(100);
        run(&mut m, now);
    }
    assert_eq!(m.personality(), Some(Personality::Application));
    assert_eq!(m.resets().0, 10);
}

#[test]
fn host_requested_resets_do_not_count_by_default() {
    let mut h = Host::new();
    let dms = h.client(ServiceId::Dms, t(0));
    let mut now = t(0);
    for _ in 0..6 {
        let dms = h.client(ServiceId::Dms, now);
        h.ask(ServiceId::Dms, dms, 0x002E, vec![Tlv::new(1, vec![4])], now);
        assert!(h.m.is_booting());
        now = now + Duration::from_secs(5);
        run(&mut h.m, now);
    }
    let _ = dms;
    assert_eq!(h.m.resets(), (6, Some(ResetCause::HostRequest)));
    assert_eq!(h.m.personality(), Some(Personality::Application));
}

#[test]
fn records_serialise_as_flat_json_objects() {
    let mut m = Modem::new(Profile::default(), 1, t(0));
    m.inject(
        Fault::Reset {
            down: Some(Duration::from_millis(1000)),
        },
        t(5),
    )
    .unwrap();
    let r = std::iter::from_fn(|| m.poll_record())
        .find(|r| matches!(r.what, Happening::Fault { .. }))
        .unwrap();
    let json = serde_json::to_string(&r).unwrap();
    assert_eq!(
        json,
        r#"{"at_ms":5,"event":"fault","fault":{"fault":"reset","down-ms":1000}}"#
    );
    let all: Vec<_> = std::iter::from_fn(|| m.poll_record())
        .map(|r| serde_json::to_string(&r).unwrap())
        .collect();
    assert!(
        all.iter()
            .any(|j| j.contains(r#""event":"reset","cause":"injected""#)),
        "{all:?}"
    );
}
