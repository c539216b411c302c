//! Invariants after every step of random host behaviour: client IDs and
//! bearer handles unique and in range, every queue towards the host
//! bounded, and a flood of requests answered or shed with the protocol's
//! own errors (never silently lost, never growing memory).

use proptest::prelude::*;
use std::collections::BTreeMap;
use vmodem_core::fuzzing::{apply, check_invariants, drain, Port, Step};
use vmodem_core::model::Profile;
use vmodem_core::time::Instant;
use vmodem_core::wire::qmi::{Message, MessageKind};
use vmodem_core::wire::tlv::Tlv;
use vmodem_core::wire::{ProtocolError, ServiceId};
use vmodem_core::{Modem, SerialPort, MAX_PENDING_FRAMES};

/// Messages the host stacks send, by service index of `fuzzing::Step`
/// (CTL, WDS, DMS, NAS, UIM, WDA).
const KNOWN: &[(u8, u16)] = &[
    (0, 0x0020),
    (0, 0x0021),
    (0, 0x0027),
    (1, 0x0020),
    (1, 0x0021),
    (1, 0x0022),
    (1, 0x002d),
    (2, 0x0022),
    (2, 0x0028),
    (2, 0x002e),
    (2, 0x0058),
    (3, 0x0020),
    (3, 0x0024),
    (3, 0x0003),
    (4, 0x002f),
    (4, 0x0026),
    (5, 0x0020),
];

fn step() -> impl Strategy<Value = Step> {
    let port = prop_oneof![Just(Port::Dm), Just(Port::Nmea), Just(Port::At)];
    let tlvs = prop::collection::vec((1u8..0x20, prop::collection::vec(any::<u8>(), 0..12)), 0..4);
    prop_oneof![
        3 => (0u8..6).prop_map(|service| Step::Allocate { service }),
        1 => (0u8..6, 0u8..40).prop_map(|(service, client)| Step::Release { service, client }),
        6 => (prop::sample::select(KNOWN), 0u8..70, any::<u16>(), tlvs).prop_map(
            |((service, id), client, txn, tlvs)| Step::QmiRequest { service, client, txn, id, tlvs }
        ),
        1 => prop::collection::vec(any::<u8>(), 0..40).prop_map(Step::QmiFrame),
        2 => (port.clone(), "(AT[+!A-Z0-9?=\",;]{0,24}\r){1,3}")
            .prop_map(|(port, s)| Step::Serial { port, bytes: s.into_bytes() }),
        1 => (port, any::<bool>()).prop_map(|(port, open)| Step::Open { port, open }),
        1 => prop::collection::vec(any::<u8>(), 0..80).prop_map(Step::Data),
        2 => any::<u16>().prop_map(Step::Advance),
        2 => Just(Step::Drain),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn invariants_hold_after_every_step(seed: u64, steps in prop::collection::vec(step(), 1..120)) {
        let mut m = Modem::new(Profile::default(), seed, Instant::ZERO);
        let mut now = Instant::ZERO;
        for s in steps {
            apply(&mut m, &mut now, s);
            check_invariants(&m);
        }
        drain(&mut m);
    }
}

fn request(service: ServiceId, client: u8, txn: u16, id: u16, tlvs: Vec<Tlv>) -> Vec<u8> {
    Message::request(service, client, txn, id, tlvs).to_bytes()
}

/// Responses (not indications) read back, by protocol error code.
fn read_responses(m: &mut Modem) -> BTreeMap<u16, u64> {
    let mut by_error = BTreeMap::new();
    while let Some(f) = m.poll_qmi() {
        let r = Message::parse(&f).unwrap();
        if r.kind == MessageKind::Response {
            *by_error.entry(r.result().unwrap().1).or_insert(0) += 1;
        }
    }
    by_error
}

#[test]
fn a_host_that_never_reads_qmi_is_shed_not_buffered() {
    let mut m = Modem::new(Profile::default(), 1, Instant::ZERO);
    let t = Instant::from_millis(1);
    let n = MAX_PENDING_FRAMES as u64 * 8;
    for i in 0..n {
        // Half valid (CTL Get Version Info), half for a service nobody serves.
        let f = if i % 2 == 0 {
            request(ServiceId::Ctl, 0, i as u16, 0x0021, vec![])
        } else {
            request(ServiceId(0x77), 1, i as u16, 0x0001, vec![])
        };
        m.handle_qmi(&f, t);
        check_invariants(&m);
    }
    assert_eq!(m.pending(), MAX_PENDING_FRAMES);
    let st = m.stats();
    assert_eq!(st.requests, n);
    assert_eq!(st.dropped_output, n - MAX_PENDING_FRAMES as u64);
    let got = read_responses(&mut m);
    // What survived is the newest half-and-half.
    assert_eq!(got[&0], MAX_PENDING_FRAMES as u64 / 2);
    assert_eq!(
        got[&ProtocolError::InvalidServiceType.0],
        MAX_PENDING_FRAMES as u64 / 2
    );
    // Reading again, every request gets its answer.
    m.handle_qmi(&request(ServiceId::Ctl, 0, 1, 0x0021, vec![]), t);
    assert_eq!(read_responses(&mut m).get(&0), Some(&1));
}

#[test]
fn a_flood_of_allocations_ends_in_client_ids_exhausted() {
    let mut m = Modem::new(Profile::default(), 1, Instant::ZERO);
    let t = Instant::from_millis(1);
    let mut errors = BTreeMap::new();
    for i in 0..300u16 {
        let f = request(ServiceId::Ctl, 0, i, 0x0022, vec![Tlv::new(1, vec![2])]);
        m.handle_qmi(&f, t);
        check_invariants(&m);
        for (e, c) in read_responses(&mut m) {
            *errors.entry(e).or_insert(0u64) += c;
        }
    }
    let max = vmodem_core::qmi::MAX_CLIENTS_PER_SERVICE as u64;
    assert_eq!(errors[&0], max);
    assert_eq!(errors[&ProtocolError::ClientIdsExhausted.0], 300 - max);
    assert_eq!(m.clients().clients(ServiceId::Dms).len() as u64, max);
}

#[test]
fn serial_and_data_floods_stay_bounded() {
    let mut m = vmodem_core::fuzzing::connected_modem(false);
    m.device_mut().data_format.link_layer = 2;
    let t = Instant::from_millis(10_000);
    for _ in 0..5_000 {
        m.handle_serial(SerialPort::At, b"ATI\r", t);
        m.handle_serial(SerialPort::Dm, &[0x00, 0x78, 0xF0, 0x7E], t);
        // An ICMP echo to the gateway: every one is answered.
        m.handle_data(&ping_gateway(), t);
        check_invariants(&m);
    }
    let s = m.serial();
    assert!(s.at.dropped_output() > 0, "AT output was shed");
    assert!(s.dm.stats().dropped_output > 0, "DM output was shed");
    let d = m.data_stats();
    assert_eq!(d.rx_packets, 5_000);
    assert_eq!(d.dropped, 0, "every ping had an answer");
    assert_eq!(d.overflow, 5_000 - vmodem_core::net::MAX_PENDING as u64);
    // Once read, the queues are empty and the ports answer again.
    drain(&mut m);
    m.handle_serial(SerialPort::At, b"AT\r", t);
    let out = m.poll_serial(SerialPort::At).unwrap();
    assert!(
        out.ends_with(b"\r\nOK\r\n"),
        "{:?}",
        String::from_utf8_lossy(&out)
    );
}

fn ping_gateway() -> Vec<u8> {
    use vmodem_core::testkit::packet::{icmpv4_echo, BEARER_V4, ECHO_REQUEST, GATEWAY_V4};
    icmpv4_echo(BEARER_V4, GATEWAY_V4, ECHO_REQUEST, &[1, 2, 3, 4])
}
