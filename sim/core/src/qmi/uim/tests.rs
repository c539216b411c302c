//! UIM through the whole engine: requests in, responses and indications out.

use super::*;
use crate::model::{Profile, SimState};
use crate::time::Instant;
use crate::wire::qmi::{Message, MessageKind};
use crate::wire::tlv::Tlv;
use crate::wire::{MessageId, ProtocolError};
use crate::Modem;

const CARD_SLOT_1: [u8; 2] = [6, 0];
const PRIMARY_GW: [u8; 2] = [0, 0];

struct Bench {
    m: Modem,
    cid: u8,
    txn: u16,
}

fn frame(service: ServiceId, client: u8, txn: u16, id: u16, tlvs: Vec<Tlv>) -> Vec<u8> {
    Message::request(service, client, txn, id, tlvs).to_bytes()
}

impl Bench {
    fn new() -> Bench {
        let mut b = Bench {
            m: Modem::new(Profile::default(), 0, Instant::ZERO),
            cid: 0,
            txn: 1,
        };
        b.cid = b.alloc();
        b
    }

    fn alloc(&mut self) -> u8 {
        let f = frame(ServiceId::Ctl, 0, 1, 0x22, vec![Tlv::new(1, vec![0x0B])]);
        self.m.handle_qmi(&f, Instant::ZERO);
        let r = Message::parse(&self.m.poll_qmi().unwrap()).unwrap();
        r.tlv(1).unwrap()[1]
    }

    /// Sends one request from `cid`; returns the response and any indications.
    fn send_from(&mut self, cid: u8, id: u16, tlvs: Vec<Tlv>) -> (Message, Vec<Message>) {
        self.txn += 1;
        let f = frame(ServiceId::Uim, cid, self.txn, id, tlvs);
        self.m.handle_qmi(&f, Instant::from_millis(10));
        let out: Vec<Message> = std::iter::from_fn(|| self.m.poll_qmi())
            .map(|f| Message::parse(&f).unwrap())
            .collect();
        let (resp, inds): (Vec<_>, Vec<_>) = out
            .into_iter()
            .partition(|m| m.kind == MessageKind::Response);
        assert_eq!(resp.len(), 1);
        assert_eq!(resp[0].txn, self.txn);
        (resp.into_iter().next().unwrap(), inds)
    }

    fn send(&mut self, id: u16, tlvs: Vec<Tlv>) -> Message {
        let cid = self.cid;
        self.send_from(cid, id, tlvs).0
    }

    fn card_status(&mut self) -> Vec<u8> {
        let r = self.send(GET_CARD_STATUS, vec![]);
        assert_eq!(r.result(), Some((0, 0)));
        r.tlv(0x10).unwrap().to_vec()
    }

    fn pin_op(&mut self, id: u16, info: Vec<u8>) -> Message {
        self.send(
            id,
            vec![Tlv::new(1, CARD_SLOT_1.to_vec()), Tlv::new(2, info)],
        )
    }

    fn verify(&mut self, pin: &str) -> Message {
        self.pin_op(VERIFY_PIN, lv(1, &[pin]))
    }

    fn read(&mut self, session: [u8; 2], id: u16, path: &[u16]) -> Message {
        self.send(
            READ_TRANSPARENT,
            vec![
                Tlv::new(1, session.to_vec()),
                Tlv::new(2, file(id, path)),
                Tlv::new(3, vec![0, 0, 0, 0]),
            ],
        )
    }
}

/// `first` then each string with a u8 length prefix.
fn lv(first: u8, parts: &[&str]) -> Vec<u8> {
    let mut v = vec![first];
    for p in parts {
        v.push(p.len() as u8);
        v.extend_from_slice(p.as_bytes());
    }
    v
}

fn file(id: u16, path: &[u16]) -> Vec<u8> {
    let mut v = id.to_le_bytes().to_vec();
    v.push((path.len() * 2) as u8);
    for p in path {
        v.extend_from_slice(&p.to_le_bytes());
    }
    v
}

fn err(m: &Message) -> u16 {
    m.result().unwrap().1
}

/// (app state, pin1 state, pin1 retries, puk1 retries) of the one app.
fn app(cs: &[u8]) -> (u8, u8, u8, u8) {
    let aid_len = cs[21] as usize;
    let p = 22 + aid_len + 1;
    (cs[16], cs[p], cs[p + 1], cs[p + 2])
}

#[test]
fn version_and_supported_messages() {
    let mut b = Bench::new();
    let r = b.send(0x001E, vec![]);
    let list = r.tlv(0x10).unwrap();
    let bit = |id: u16| list[2 + id as usize / 8] & (1 << (id % 8)) != 0;
    assert!(bit(GET_CARD_STATUS) && bit(VERIFY_PIN) && bit(READ_TRANSPARENT));
    assert!(!bit(0x0047) && !bit(0x0046));
    assert_eq!(
        err(&b.send(0x0047, vec![])),
        ProtocolError::InvalidQmiCommand.0
    );
    assert_eq!(Uim::default().version(), (1, 40));
}

#[test]
fn card_status_follows_pin_entry() {
    let mut b = Bench::new();
    assert_eq!(app(&b.card_status()), (2, 1, 3, 10));
    let r = b.verify("0000");
    assert_eq!(err(&r), ProtocolError::IncorrectPin.0);
    assert_eq!(r.tlv(0x10), Some(&[2, 10][..]));
    assert_eq!(r.tlv(0x13), Some(&[0x63, 0xC2][..]));
    assert_eq!(app(&b.card_status()), (2, 1, 2, 10));
    let r = b.verify("1234");
    assert_eq!(r.result(), Some((0, 0)));
    assert_eq!(r.tlv(0x10), None);
    assert_eq!(app(&b.card_status()), (7, 2, 3, 10));
    assert!(b.m.device().sim.is_ready());
}

#[test]
fn three_wrong_pins_need_the_puk() {
    let mut b = Bench::new();
    b.verify("1111");
    b.verify("1111");
    let r = b.verify("1111");
    assert_eq!(err(&r), ProtocolError::PinBlocked.0);
    assert_eq!(r.tlv(0x10), Some(&[0, 10][..]));
    assert_eq!(app(&b.card_status()), (3, 4, 0, 10));
    // Still blocked for the right PIN.
    assert_eq!(err(&b.verify("1234")), ProtocolError::PinBlocked.0);
    let r = b.pin_op(UNBLOCK_PIN, lv(1, &["00000000", "4321"]));
    assert_eq!(err(&r), ProtocolError::IncorrectPin.0);
    assert_eq!(r.tlv(0x10), Some(&[0, 9][..]));
    let r = b.pin_op(UNBLOCK_PIN, lv(1, &["12345678", "4321"]));
    assert_eq!(r.result(), Some((0, 0)));
    assert_eq!(app(&b.card_status()), (7, 2, 3, 9));
}

#[test]
fn exhausted_puk_blocks_the_card() {
    let mut b = Bench::new();
    for _ in 0..3 {
        b.verify("1111");
    }
    for _ in 0..9 {
        b.pin_op(UNBLOCK_PIN, lv(1, &["00000000", "4321"]));
    }
    let r = b.pin_op(UNBLOCK_PIN, lv(1, &["00000000", "4321"]));
    assert_eq!(err(&r), ProtocolError::PinAlwaysBlocked.0);
    assert_eq!(r.tlv(0x10), Some(&[0, 0][..]));
    assert_eq!(b.m.device().sim.state, SimState::Blocked);
    assert_eq!(app(&b.card_status()), (5, 5, 0, 0));
    assert_eq!(err(&b.verify("1234")), ProtocolError::PinAlwaysBlocked.0);
    // The ICCID is still readable from a dead card.
    assert_eq!(b.read(PRIMARY_GW, 0x2FE2, &[0x3F00]).result(), Some((0, 0)));
}

#[test]
fn change_and_protection_round_trip() {
    let mut b = Bench::new();
    // Change works on a card that still asks for the PIN.
    let r = b.pin_op(CHANGE_PIN, lv(1, &["1234", "5678"]));
    assert_eq!(r.result(), Some((0, 0)));
    assert_eq!(app(&b.card_status()), (7, 2, 3, 10));
    let disable = |pin: &str| {
        let mut v = vec![1, 0, pin.len() as u8];
        v.extend_from_slice(pin.as_bytes());
        v
    };
    let r = b.pin_op(SET_PIN_PROTECTION, disable("1234"));
    assert_eq!(err(&r), ProtocolError::IncorrectPin.0);
    assert_eq!(r.tlv(0x10), Some(&[2, 10][..]));
    assert_eq!(r.tlv(0x13), None);
    assert_eq!(
        b.pin_op(SET_PIN_PROTECTION, disable("5678")).result(),
        Some((0, 0))
    );
    assert_eq!(app(&b.card_status()), (7, 3, 3, 10));
    assert_eq!(
        err(&b.pin_op(SET_PIN_PROTECTION, disable("5678"))),
        ProtocolError::NoEffect.0
    );
    // Verify with the PIN disabled has nothing to do.
    assert_eq!(b.verify("5678").result(), Some((0, 0)));
    let mut enable = disable("5678");
    enable[1] = 1;
    assert_eq!(b.pin_op(SET_PIN_PROTECTION, enable).result(), Some((0, 0)));
    assert_eq!(app(&b.card_status()), (7, 2, 3, 10));
}

#[test]
fn bad_pin_requests() {
    let mut b = Bench::new();
    assert_eq!(
        err(&b.pin_op(VERIFY_PIN, lv(2, &["1234"]))),
        ProtocolError::InvalidPinId.0
    );
    assert_eq!(err(&b.verify("12")), ProtocolError::InvalidArgument.0);
    assert_eq!(
        err(&b.pin_op(VERIFY_PIN, vec![1, 9, b'1'])),
        ProtocolError::MalformedMessage.0
    );
    let r = b.send(VERIFY_PIN, vec![Tlv::new(2, lv(1, &["1234"]))]);
    assert_eq!(err(&r), ProtocolError::MissingArgument.0);
    let r = b.send(
        VERIFY_PIN,
        vec![Tlv::new(1, vec![7, 0]), Tlv::new(2, lv(1, &["1234"]))],
    );
    assert_eq!(err(&r), ProtocolError::InvalidArgument.0);
    // Nothing above consumed a try.
    assert_eq!(app(&b.card_status()), (2, 1, 3, 10));
}

#[test]
fn files_encode_the_profile() {
    let mut b = Bench::new();
    let r = b.read(PRIMARY_GW, 0x2FE2, &[0x3F00]);
    assert_eq!(r.result(), Some((0, 0)));
    assert_eq!(r.tlv(0x10), Some(&[0x90, 0x00][..]));
    let iccid = r.tlv(0x11).unwrap();
    assert_eq!(&iccid[..2], &[10, 0]);
    assert_eq!(&iccid[2..4], &[0x98, 0x94]);

    // IMSI needs PIN1.
    let r = b.read(PRIMARY_GW, 0x6F07, &[0x3F00, 0x7FFF]);
    assert_eq!(err(&r), ProtocolError::AccessDenied.0);
    assert_eq!(r.tlv(0x10), Some(&[0x69, 0x82][..]));
    b.verify("1234");
    let r = b.read(PRIMARY_GW, 0x6F07, &[0x3F00, 0x7FFF]);
    assert_eq!(
        &r.tlv(0x11).unwrap()[2..],
        &files::ef_imsi("001010123456789")
    );
    // The card session has no application selected.
    let r = b.read(CARD_SLOT_1, 0x6F07, &[0x3F00, 0x7FFF]);
    assert_eq!(err(&r), ProtocolError::SimFileNotFound.0);
    let r = b.read(PRIMARY_GW, 0x6F3E, &[0x3F00, 0x7FFF]);
    assert_eq!(err(&r), ProtocolError::SimFileNotFound.0);
    assert_eq!(r.tlv(0x10), Some(&[0x6A, 0x82][..]));

    let r = b.read(PRIMARY_GW, 0x6FAD, &[0x3F00, 0x7FFF]);
    assert_eq!(&r.tlv(0x11).unwrap()[2..], &[0, 0, 0, 2]);

    let r = b.send(
        READ_RECORD,
        vec![
            Tlv::new(1, PRIMARY_GW.to_vec()),
            Tlv::new(2, file(0x6F40, &[0x3F00, 0x7FFF])),
            Tlv::new(3, vec![1, 0, 0, 0]),
        ],
    );
    assert_eq!(r.result(), Some((0, 0)));
    let rec = r.tlv(0x11).unwrap();
    assert_eq!(&rec[..2], &[28, 0]);
    assert_eq!(rec[2 + 15], 0x91);

    let r = b.send(
        GET_FILE_ATTRIBUTES,
        vec![
            Tlv::new(1, PRIMARY_GW.to_vec()),
            Tlv::new(2, file(0x2FE2, &[0x3F00])),
        ],
    );
    let a = r.tlv(0x11).unwrap();
    assert_eq!(&a[..5], &[10, 0, 0xE2, 0x2F, 0]);
    assert_eq!(a.len(), 26 + a[24] as usize);
}

#[test]
fn card_status_indication_only_to_registered_clients() {
    let mut b = Bench::new();
    let other = b.alloc();
    let r = b.send(
        REGISTER_EVENTS,
        vec![Tlv::new(1, 0x11u32.to_le_bytes().to_vec())],
    );
    assert_eq!(r.tlv(0x10), Some(&1u32.to_le_bytes()[..]));
    let (_, inds) = b.send_from(
        other,
        VERIFY_PIN,
        vec![
            Tlv::new(1, CARD_SLOT_1.to_vec()),
            Tlv::new(2, lv(1, &["1234"])),
        ],
    );
    assert_eq!(inds.len(), 1);
    let ind = &inds[0];
    assert_eq!(
        (ind.client, ind.id, ind.kind),
        (
            b.cid,
            MessageId(CARD_STATUS_INDICATION),
            MessageKind::Indication
        )
    );
    assert_eq!(app(ind.tlv(0x10).unwrap()), (7, 2, 3, 10));
    // After a service reset the client hears nothing.
    b.send(RESET, vec![]);
    b.m.device_mut()
        .with_sim(Instant::ZERO, |s| {
            s.remove();
            Ok(())
        })
        .unwrap();
    let (_, inds) = b.send_from(other, GET_CARD_STATUS, vec![]);
    assert!(inds.is_empty());
}

#[test]
fn absent_card() {
    let mut b = Bench::new();
    let r = b.send(
        REGISTER_EVENTS,
        vec![Tlv::new(1, 1u32.to_le_bytes().to_vec())],
    );
    assert_eq!(r.result(), Some((0, 0)));
    b.m.device_mut()
        .with_sim(Instant::ZERO, |s| {
            s.remove();
            Ok(())
        })
        .unwrap();
    // The event goes out with the next engine turn.
    let (r, inds) = b.send_from(b.cid, GET_CARD_STATUS, vec![]);
    assert_eq!(inds.len(), 1);
    let cs = r.tlv(0x10).unwrap();
    assert_eq!((&cs[..2], cs[9], cs[14]), (&[0xFF, 0xFF][..], 0, 0));
    assert_eq!(err(&b.verify("1234")), ProtocolError::UimUninitialized.0);
    assert_eq!(
        err(&b.read(PRIMARY_GW, 0x2FE2, &[0x3F00])),
        ProtocolError::UimUninitialized.0
    );
    // Refresh registration does not need a card.
    let r = b.send(
        REFRESH_REGISTER_ALL,
        vec![Tlv::new(1, PRIMARY_GW.to_vec()), Tlv::new(2, vec![1])],
    );
    assert_eq!(r.result(), Some((0, 0)));
}

#[test]
fn configuration_refresh_and_depersonalization() {
    let mut b = Bench::new();
    let r = b.send(
        GET_CONFIGURATION,
        vec![Tlv::new(0x10, 2u32.to_le_bytes().to_vec())],
    );
    assert_eq!(r.result(), Some((0, 0)));
    assert_eq!(r.tlv(0x11), Some(&[0][..]));
    assert_eq!(r.tlv(0x10), None);
    let mut info = vec![1, 0, 1, 0];
    info.extend(file(0x2FE2, &[0x3F00]));
    let r = b.send(
        REFRESH_REGISTER,
        vec![Tlv::new(1, PRIMARY_GW.to_vec()), Tlv::new(2, info)],
    );
    assert_eq!(r.result(), Some((0, 0)));
    let r = b.send(
        REFRESH_REGISTER,
        vec![
            Tlv::new(1, PRIMARY_GW.to_vec()),
            Tlv::new(2, vec![1, 0, 2, 0]),
        ],
    );
    assert_eq!(err(&r), ProtocolError::MalformedMessage.0);
    let r = b.send(DEPERSONALIZATION, vec![Tlv::new(1, lv(0, &["1234"]))]);
    // lv(0, ..) put the key length where the operation goes: malformed.
    assert_eq!(err(&r), ProtocolError::MalformedMessage.0);
    let mut info = vec![0, 0];
    info.extend(&lv(4, &["12345678"])[1..]);
    let r = b.send(DEPERSONALIZATION, vec![Tlv::new(1, info)]);
    assert_eq!(err(&r), ProtocolError::NoEffect.0);
}
