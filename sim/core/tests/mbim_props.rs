//! MBIM codec and function properties: messages round-trip, fragments
//! reassemble, and arbitrary bytes never panic (nor get an invalid reply).

use proptest::prelude::*;
use vmodem_core::model::Profile;
use vmodem_core::time::Instant;
use vmodem_core::wire::mbim::fragment::{split, Reassembler, Reassembly};
use vmodem_core::wire::mbim::ib::Reader;
use vmodem_core::wire::mbim::{CommandType, Message, Packet, ProtocolError, Status, Uuid};
use vmodem_core::Modem;

fn t(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

fn mbim_modem() -> Modem {
    let mut m = Modem::new(Profile::default(), 0, t(0));
    let open = Message::Open {
        txn: 1,
        max_control_transfer: 4096,
    };
    m.handle_mbim(&open.to_bytes(), t(0));
    assert!(m.poll_mbim().is_some());
    m
}

fn command(txn: u32, cid: u32, set: bool, info: Vec<u8>) -> Vec<u8> {
    Message::Command {
        txn,
        service: Uuid::BASIC_CONNECT,
        cid,
        command_type: CommandType(set as u32),
        info,
    }
    .to_bytes()
}

fn exchange(m: &mut Modem, transfer: &[u8], now: Instant) -> Vec<Message> {
    m.handle_mbim(transfer, now);
    std::iter::from_fn(|| m.poll_mbim())
        .map(|b| Message::parse(&b).expect("the function emits valid messages"))
        .collect()
}

fn any_message() -> impl Strategy<Value = Message> {
    let uuid = any::<[u8; 16]>().prop_map(Uuid);
    let info = proptest::collection::vec(any::<u8>(), 0..300);
    prop_oneof![
        (any::<u32>(), any::<u32>()).prop_map(|(txn, max)| Message::Open {
            txn,
            max_control_transfer: max
        }),
        any::<u32>().prop_map(|txn| Message::Close { txn }),
        (
            any::<u32>(),
            uuid.clone(),
            any::<u32>(),
            any::<u32>(),
            info.clone()
        )
            .prop_map(|(txn, service, cid, ct, info)| Message::Command {
                txn,
                service,
                cid,
                command_type: CommandType(ct),
                info
            }),
        (
            any::<u32>(),
            uuid.clone(),
            any::<u32>(),
            any::<u32>(),
            info.clone()
        )
            .prop_map(|(txn, service, cid, s, info)| Message::CommandDone {
                txn,
                service,
                cid,
                status: Status(s),
                info
            }),
        (any::<u32>(), uuid, any::<u32>(), info).prop_map(|(txn, service, cid, info)| {
            Message::IndicateStatus {
                txn,
                service,
                cid,
                info,
            }
        }),
        (any::<u32>(), any::<u32>()).prop_map(|(txn, e)| Message::FunctionError {
            txn,
            error: ProtocolError(e)
        }),
    ]
}

proptest! {
    #[test]
    fn messages_round_trip(m in any_message()) {
        let b = m.to_bytes();
        prop_assert_eq!(b.len(), m.buffer_len());
        prop_assert_eq!(Message::parse(&b), Ok(m));
    }

    #[test]
    fn split_messages_reassemble(m in any_message(), max in 21usize..200) {
        let whole = m.to_bytes();
        let mut r = Reassembler::default();
        let mut got = None;
        for p in split(&whole, max) {
            let pk = Packet::new_checked(&p[..]).unwrap();
            if !pk.message_type().is_fragmentable() {
                got = Some(p.clone());
                continue;
            }
            if let Ok(Reassembly::Whole(b)) = r.push(&pk, t(0)) {
                got = Some(b);
            }
        }
        prop_assert_eq!(got, Some(whole));
    }

    #[test]
    fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = Message::parse(&b);
        let r = Reader::new(&b);
        for at in 0..b.len().min(40) {
            let _ = r.string(at);
            let _ = r.structure(at);
        }
        let mut m = mbim_modem();
        m.handle_mbim(&b, t(1));
        while let Some(out) = m.poll_mbim() {
            prop_assert!(Message::parse(&out).is_ok());
        }
    }

    #[test]
    fn arbitrary_buffers_to_every_cid_never_panic(
        cid in 0u32..25,
        set in any::<bool>(),
        info in proptest::collection::vec(any::<u8>(), 0..120),
    ) {
        let mut m = mbim_modem();
        let r = exchange(&mut m, &command(2, cid, set, info), t(1));
        let answered = r.iter().any(|x| matches!(x, Message::CommandDone { txn: 2, .. }));
        prop_assert!(answered);
    }
}
