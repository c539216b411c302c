//! Property tests of the wire layer and the engine's robustness.

use proptest::prelude::*;
use vmodem_core::model::Profile;
use vmodem_core::time::Instant;
use vmodem_core::wire::qmi::{Message, MessageKind};
use vmodem_core::wire::qmux::{Deframer, Sender};
use vmodem_core::wire::tlv::Tlv;
use vmodem_core::wire::{MessageId, ServiceId};
use vmodem_core::Modem;

fn tlv() -> impl Strategy<Value = Tlv> {
    (any::<u8>(), prop::collection::vec(any::<u8>(), 0..40)).prop_map(|(t, v)| Tlv::new(t, v))
}

fn message() -> impl Strategy<Value = Message> {
    (
        prop_oneof![Just(Sender::Host), Just(Sender::Modem)],
        any::<u8>(),
        any::<u8>(),
        prop_oneof![
            Just(MessageKind::Request),
            Just(MessageKind::Response),
            Just(MessageKind::Indication)
        ],
        any::<u16>(),
        any::<u16>(),
        prop::collection::vec(tlv(), 0..8),
    )
        .prop_map(|(sender, svc, client, kind, txn, id, tlvs)| {
            let service = ServiceId(svc);
            // CTL carries a one-byte transaction ID.
            let txn = if service == ServiceId::Ctl {
                txn & 0xff
            } else {
                txn
            };
            Message {
                sender,
                service,
                client,
                kind,
                txn,
                id: MessageId(id),
                tlvs,
            }
        })
}

/// A request the engine knows how to route: a real service, a plausible ID.
fn request_frame() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(vec![0u8, 1, 2, 3, 0x0b, 0x1a, 0x09]),
        0u8..4,
        prop::sample::select(vec![
            0x0020u16, 0x0021, 0x0022, 0x0023, 0x0024, 0x0025, 0x0026, 0x0027, 0x002d, 0x002e,
            0x001e, 0x0020, 0x0028, 0x002f, 0x004e, 0x4f, 0x0051, 0x0044, 0x5556, 0x555b, 0x555c,
            0x0022, 0x0034, 0x0036, 0x002f, 0x0003, 0x0001, 0x0002,
        ]),
        prop::collection::vec(tlv(), 0..4),
    )
        .prop_map(|(svc, client, id, tlvs)| {
            Message::request(ServiceId(svc), client, 1, id, tlvs).to_bytes()
        })
}

proptest! {
    #[test]
    fn message_round_trips(m in message()) {
        let bytes = m.to_bytes();
        prop_assert_eq!(bytes.len(), m.buffer_len());
        prop_assert_eq!(Message::parse(&bytes).unwrap(), m);
    }

    #[test]
    fn parser_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = Message::parse(&bytes);
        let mut d = Deframer::new();
        d.push(&bytes, Instant::ZERO);
        while d.next_frame(Instant::ZERO).is_some() {}
    }

    #[test]
    fn deframer_recovers_frames_from_a_split_stream(
        msgs in prop::collection::vec(message(), 1..5),
        cut in 1usize..64,
    ) {
        let stream: Vec<u8> = msgs.iter().flat_map(|m| m.to_bytes()).collect();
        let mut d = Deframer::new();
        let mut got = vec![];
        for chunk in stream.chunks(cut) {
            d.push(chunk, Instant::ZERO);
            while let Some(f) = d.next_frame(Instant::ZERO) {
                got.push(Message::parse(&f).unwrap());
            }
        }
        prop_assert_eq!(got, msgs);
    }

    #[test]
    fn engine_survives_arbitrary_bytes_and_keeps_answering(
        junk in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 0..20),
        seed in any::<u64>(),
    ) {
        let mut m = Modem::new(Profile::default(), seed, Instant::ZERO);
        for (i, j) in junk.iter().enumerate() {
            m.handle_qmi(j, Instant::from_millis(i as u64 * 10));
            while m.poll_qmi().is_some() {}
        }
        prop_assert!(answers_version_info(&mut m));
    }

    #[test]
    fn engine_survives_arbitrary_requests(
        frames in prop::collection::vec(request_frame(), 0..40),
        seed in any::<u64>(),
    ) {
        let mut m = Modem::new(Profile::default(), seed, Instant::ZERO);
        // Give the requests some clients to land on.
        for svc in [1u8, 2, 3, 0x0b, 0x1a] {
            m.handle_qmi(&ctl(0x22, vec![Tlv::new(1, vec![svc])]), Instant::ZERO);
        }
        while m.poll_qmi().is_some() {}
        for (i, f) in frames.iter().enumerate() {
            let now = Instant::from_millis(i as u64 * 100);
            m.handle_qmi(f, now);
            // Every request gets exactly one response (or the modem reboots).
            let mut responses = 0;
            while let Some(out) = m.poll_qmi() {
                let r = Message::parse(&out).unwrap();
                if r.kind == MessageKind::Response { responses += 1; }
            }
            prop_assert!(responses == 1 || m.is_booting(), "{} responses", responses);
            if m.is_booting() {
                m.handle_timeout(now + std::time::Duration::from_secs(5));
            }
        }
        prop_assert!(answers_version_info(&mut m));
    }
}

fn ctl(id: u16, tlvs: Vec<Tlv>) -> Vec<u8> {
    Message::request(ServiceId::Ctl, 0, 7, id, tlvs).to_bytes()
}

fn answers_version_info(m: &mut Modem) -> bool {
    while m.poll_qmi().is_some() {}
    m.handle_qmi(&ctl(0x21, vec![]), Instant::from_millis(1_000_000));
    std::iter::from_fn(|| m.poll_qmi())
        .filter_map(|f| Message::parse(&f).ok())
        .any(|r| r.id == MessageId(0x21) && r.result() == Some((0, 0)))
}

proptest! {
    #[test]
    fn data_path_survives_arbitrary_transfers(
        pkts in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..1600), 0..20),
        raw_ip in any::<bool>(),
    ) {
        let mut m = Modem::new(Profile::default(), 0, Instant::ZERO);
        m.device_mut().with_sim(Instant::ZERO, |s| s.verify_pin("1234")).unwrap();
        m.handle_timeout(Instant::from_millis(5_000));
        m.device_mut().start_network("internet", vmodem_core::model::IpFamily::V4).unwrap();
        m.device_mut().data_format.link_layer = if raw_ip { 2 } else { 1 };
        for p in &pkts {
            m.handle_data(p, Instant::from_millis(5_001));
            while m.poll_data().is_some() {}
        }
        prop_assert_eq!(m.data_stats().rx_packets, pkts.len() as u64);
    }
}
