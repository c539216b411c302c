use super::*;
use crate::model::sms::Tag;
use crate::model::Profile;
use crate::time::Instant;
use crate::wire::qmi::{Message, MessageKind};
use crate::wire::qmux::Sender;
use crate::wire::sms::{Direction, Pdu};
use crate::wire::tlv::Tlv;
use crate::wire::MessageId;

fn call(w: &mut Wms, dev: &mut Device, id: u16, tlvs: Vec<Tlv>) -> Reply {
    let msg = Message {
        sender: Sender::Host,
        service: ServiceId::Wms,
        client: 1,
        kind: MessageKind::Request,
        txn: 1,
        id: MessageId(id),
        tlvs,
    };
    let mut ctx = Ctx {
        dev,
        now: Instant::from_millis(5000),
        client: 1,
    };
    w.handle(&Req::new(&msg), &mut ctx)
}

fn registered() -> Device {
    let mut d = Device::new(Profile::default(), 1, Instant::ZERO);
    d.with_sim(Instant::ZERO, |s| s.verify_pin("1234")).unwrap();
    d.handle_timeout(Instant::from_millis(4000));
    assert!(d.registration.is_registered());
    d
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn list(w: &mut Wms, dev: &mut Device, storage: u8) -> Vec<(u32, u8)> {
    let r = call(w, dev, LIST_MESSAGES, vec![Tlv::new(0x01, [storage])]).unwrap();
    let v = r.get(0x01).unwrap();
    let n = u32::from_le_bytes(v[..4].try_into().unwrap()) as usize;
    (0..n)
        .map(|i| {
            let e = &v[4 + 5 * i..9 + 5 * i];
            (u32::from_le_bytes(e[..4].try_into().unwrap()), e[4])
        })
        .collect()
}

#[test]
fn delivered_message_is_indicated_listed_read_tagged_deleted() {
    let mut dev = registered();
    let mut w = Wms::default();
    call(
        &mut w,
        &mut dev,
        SET_EVENT_REPORT,
        vec![Tlv::new(0x10, [1])],
    )
    .unwrap();
    dev.drain_events().for_each(drop);
    dev.sms_deliver(
        "+447700900123",
        "hello there",
        None,
        Instant::from_millis(5000),
    )
    .unwrap();
    let events: Vec<_> = dev.drain_events().collect();
    let mut out = Vec::new();
    for e in &events {
        w.indications(e, &dev, &mut out);
    }
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].tlvs.get(0x10), Some(&[0, 0, 0, 0, 0][..]));
    assert_eq!(list(&mut w, &mut dev, 0), [(0, Tag::MtNotRead as u8)]);
    let r = call(
        &mut w,
        &mut dev,
        RAW_READ,
        vec![Tlv::new(0x01, [0, 0, 0, 0, 0])],
    )
    .unwrap();
    let raw = r.get(0x01).unwrap();
    assert_eq!((raw[0], raw[1]), (1, FORMAT_GSM_WCDMA_PP));
    let pdu = Pdu::parse(&raw[4..], Direction::ToHost).unwrap();
    assert_eq!(pdu.text().unwrap(), "hello there");
    call(
        &mut w,
        &mut dev,
        MODIFY_TAG,
        vec![Tlv::new(0x01, [0, 0, 0, 0, 0, 0])],
    )
    .unwrap();
    assert_eq!(list(&mut w, &mut dev, 0), [(0, 0)]);
    // A received message cannot become a draft.
    let e = call(
        &mut w,
        &mut dev,
        MODIFY_TAG,
        vec![Tlv::new(0x01, [0, 0, 0, 0, 0, 3])],
    );
    assert_eq!(e.unwrap_err().error, ProtocolError::InvalidArgument);
    let del = vec![Tlv::new(0x01, [0]), Tlv::new(0x10, 0u32.to_le_bytes())];
    call(&mut w, &mut dev, DELETE, del.clone()).unwrap();
    assert!(list(&mut w, &mut dev, 0).is_empty());
    assert_eq!(
        call(&mut w, &mut dev, DELETE, del).unwrap_err().error,
        ProtocolError::InvalidIndex
    );
}

#[test]
fn raw_send_goes_to_the_centre_and_faults_reject_it() {
    let mut dev = registered();
    let mut w = Wms::default();
    let pdu = hex("00110005812143F50000A702C834");
    let mut raw = vec![FORMAT_GSM_WCDMA_PP];
    raw.extend_from_slice(&(pdu.len() as u16).to_le_bytes());
    raw.extend_from_slice(&pdu);
    let r = call(
        &mut w,
        &mut dev,
        RAW_SEND,
        vec![Tlv::new(0x01, raw.clone())],
    )
    .unwrap();
    assert_eq!(r.get(0x01), Some(&[1, 0][..]));
    let sent: Vec<_> = dev
        .drain_events()
        .filter(|e| matches!(e, DeviceEvent::Sms(_)))
        .collect();
    assert!(matches!(&sent[..], [DeviceEvent::Sms(SmsEvent::Sent { text, .. })] if text == "Hi"));
    dev.messaging.centre.reject(42, 1);
    let e = call(
        &mut w,
        &mut dev,
        RAW_SEND,
        vec![Tlv::new(0x01, raw.clone())],
    )
    .unwrap_err();
    assert_eq!(e.error, ProtocolError::WmsCauseCode);
    assert_eq!(e.tlvs.get(0x12), Some(&[42, 0, 0][..]));
    call(&mut w, &mut dev, RAW_SEND, vec![Tlv::new(0x01, raw)]).unwrap();
    // A PDU that lies about its length.
    let bad = vec![FORMAT_GSM_WCDMA_PP, 3, 0, 0, 0x11, 0];
    let e = call(&mut w, &mut dev, RAW_SEND, vec![Tlv::new(0x01, bad)]).unwrap_err();
    assert_eq!(e.error, ProtocolError::InvalidArgument);
    let e = call(&mut w, &mut dev, RAW_SEND, vec![Tlv::new(0x01, [6, 9, 0])]).unwrap_err();
    assert_eq!(e.error, ProtocolError::MalformedMessage);
}

#[test]
fn routes_smsc_and_sizes() {
    let mut dev = registered();
    let mut w = Wms::default();
    // ModemManager's default: every class stored in NV.
    let mut routes = vec![5, 0];
    for class in 0..5 {
        routes.extend_from_slice(&[0, class, 1, 1]);
    }
    call(&mut w, &mut dev, SET_ROUTES, vec![Tlv::new(0x01, routes)]).unwrap();
    let r = call(&mut w, &mut dev, GET_ROUTES, vec![]).unwrap();
    assert_eq!(&r.get(0x01).unwrap()[..6], [5, 0, 0, 0, 1, 1]);
    assert_eq!(dev.messaging.preferred_storage(), Storage::Me);
    let e = call(
        &mut w,
        &mut dev,
        SET_ROUTES,
        vec![Tlv::new(0x01, [1, 0, 0, 9, 1, 1])],
    );
    assert_eq!(e.unwrap_err().error, ProtocolError::InvalidArgument);
    call(
        &mut w,
        &mut dev,
        SET_SMSC_ADDRESS,
        vec![Tlv::new(0x01, *b"+4412")],
    )
    .unwrap();
    let r = call(&mut w, &mut dev, GET_SMSC_ADDRESS, vec![]).unwrap();
    assert_eq!(r.get(0x01), Some(&b"145\x05+4412"[..]));
    let e = call(
        &mut w,
        &mut dev,
        SET_SMSC_ADDRESS,
        vec![Tlv::new(0x01, *b"+44x")],
    );
    assert_eq!(e.unwrap_err().error, ProtocolError::InvalidArgument);
    let r = call(
        &mut w,
        &mut dev,
        GET_STORE_MAX_SIZE,
        vec![Tlv::new(0x01, [0])],
    )
    .unwrap();
    assert_eq!(r.get(0x01), Some(&30u32.to_le_bytes()[..]));
    let e = call(
        &mut w,
        &mut dev,
        GET_STORE_MAX_SIZE,
        vec![Tlv::new(0x01, [7])],
    );
    assert_eq!(e.unwrap_err().error, ProtocolError::InvalidArgument);
}

#[test]
fn a_full_store_refuses_and_says_so() {
    let mut dev = registered();
    for i in 0..30 {
        dev.sms_deliver("123", &format!("m{i}"), None, Instant::from_millis(5000))
            .unwrap();
    }
    dev.drain_events().for_each(drop);
    dev.sms_deliver("123", "one too many", None, Instant::from_millis(5000))
        .unwrap();
    let ev: Vec<_> = dev.drain_events().collect();
    assert!(ev.contains(&DeviceEvent::Sms(SmsEvent::StoreFull {
        storage: Storage::Sim
    })));
    let mut w = Wms::default();
    let pdu = hex("00110005812143F50000A702C834");
    let mut raw = vec![0, FORMAT_GSM_WCDMA_PP];
    raw.extend_from_slice(&(pdu.len() as u16).to_le_bytes());
    raw.extend_from_slice(&pdu);
    let e = call(
        &mut w,
        &mut dev,
        RAW_WRITE,
        vec![Tlv::new(0x01, raw.clone())],
    );
    assert_eq!(e.unwrap_err().error, ProtocolError::DeviceStorageFull);
    raw[0] = 1;
    let r = call(&mut w, &mut dev, RAW_WRITE, vec![Tlv::new(0x01, raw)]).unwrap();
    assert_eq!(r.get(0x01), Some(&0u32.to_le_bytes()[..]));
}

#[test]
fn a_stored_draft_is_sent_from_storage_and_tagged_sent() {
    let mut dev = registered();
    let mut w = Wms::default();
    let pdu = hex("00110005812143F50000A702C834");
    let mut raw = vec![1, FORMAT_GSM_WCDMA_PP];
    raw.extend_from_slice(&(pdu.len() as u16).to_le_bytes());
    raw.extend_from_slice(&pdu);
    call(&mut w, &mut dev, RAW_WRITE, vec![Tlv::new(0x01, raw)]).unwrap();
    let send = vec![Tlv::new(0x01, [1, 0, 0, 0, 0, MODE_GSM_WCDMA])];
    let r = call(&mut w, &mut dev, SEND_FROM_MEMORY_STORAGE, send).unwrap();
    assert_eq!(r.get(0x10), Some(&[1, 0][..]));
    assert_eq!(list(&mut w, &mut dev, 1), [(0, Tag::MoSent as u8)]);
    let e = call(
        &mut w,
        &mut dev,
        SEND_FROM_MEMORY_STORAGE,
        vec![Tlv::new(0x01, [1, 9, 0, 0, 0, MODE_GSM_WCDMA])],
    );
    assert_eq!(e.unwrap_err().error, ProtocolError::InvalidIndex);
}

/// oFono sets the SMS bearer at start-up with Set Domain Preference.
#[test]
fn domain_preference_is_stored_and_checked() {
    let mut w = Wms::default();
    let mut d = registered();
    let get = |w: &mut Wms, d: &mut Device| {
        call(w, d, GET_DOMAIN_PREFERENCE, vec![])
            .unwrap()
            .get(0x01)
            .unwrap()[0]
    };
    assert_eq!(get(&mut w, &mut d), 0, "CS preferred by default");
    call(
        &mut w,
        &mut d,
        SET_DOMAIN_PREFERENCE,
        vec![Tlv::new(0x01, vec![1])],
    )
    .unwrap();
    assert_eq!(get(&mut w, &mut d), 1);
    let e = call(
        &mut w,
        &mut d,
        SET_DOMAIN_PREFERENCE,
        vec![Tlv::new(0x01, vec![4])],
    );
    assert_eq!(e.unwrap_err().error, ProtocolError::InvalidArgument);
    let e = call(&mut w, &mut d, SET_DOMAIN_PREFERENCE, vec![]);
    assert_eq!(e.unwrap_err().error, ProtocolError::MissingArgument);
    assert_eq!(get(&mut w, &mut d), 1);
}
