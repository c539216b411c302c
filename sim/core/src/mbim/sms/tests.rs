use super::*;
use crate::model::sms::Storage;
use crate::model::{DeviceEvent, Profile};
use crate::wire::sms::{Direction, Pdu};

fn ready() -> Device {
    let mut d = Device::new(Profile::default(), 1, Instant::ZERO);
    d.with_sim(Instant::ZERO, |s| s.verify_pin("1234")).unwrap();
    d.handle_timeout(Instant::from_millis(4000));
    d
}

fn t() -> Instant {
    Instant::from_millis(5000)
}

fn read_req(f: u32, index: u32) -> Vec<u8> {
    let mut w = Writer::new();
    w.u32(FORMAT_PDU).u32(f).u32(index);
    w.finish()
}

/// (index, status, PDU) of each record of a READ response.
fn records(info: &[u8]) -> Vec<(u32, u32, Vec<u8>)> {
    let r = Reader::new(info);
    let n = r.u32(4).unwrap();
    (0..n as usize)
        .map(|i| {
            let rec = r.structure(8 + 8 * i).unwrap();
            (
                rec.u32(0).unwrap(),
                rec.u32(4).unwrap(),
                rec.ol(8).unwrap().to_vec(),
            )
        })
        .collect()
}

#[test]
fn locked_sim_is_pin_required() {
    let mut d = Device::new(Profile::default(), 1, Instant::ZERO);
    let r = command(cid::READ, false, &read_req(flag::ALL, 0), &mut d, t());
    assert_eq!(r.status, Status::PIN_REQUIRED);
    let c = command(cid::CONFIGURATION, false, &[], &mut d, t());
    assert_eq!(
        Reader::new(&c.info).u32(0).unwrap(),
        STORAGE_NOT_INITIALIZED
    );
}

#[test]
fn delivered_message_notified_read_once_new_then_deleted() {
    let mut d = ready();
    d.drain_events().for_each(drop);
    d.sms_deliver("+447700900123", "hi 😀", None, t()).unwrap();
    let ev: Vec<_> = d.drain_events().collect();
    let notes: Vec<_> = ev
        .iter()
        .filter_map(|e| match e {
            DeviceEvent::Sms(s) => Some(indications(s, &d)),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(
        notes,
        [(cid::MESSAGE_STORE_STATUS, vec![2, 0, 0, 0, 1, 0, 0, 0])]
    );
    let r = command(cid::READ, false, &read_req(flag::NEW, 0), &mut d, t());
    assert_eq!(r.status, Status::SUCCESS);
    let recs = records(&r.info);
    assert_eq!(recs.len(), 1);
    assert_eq!((recs[0].0, recs[0].1), (1, 0));
    let p = Pdu::parse(&recs[0].2, Direction::ToHost).unwrap();
    assert_eq!(p.text().unwrap(), "hi 😀");
    // Read once, it is old.
    let r = command(cid::READ, false, &read_req(flag::NEW, 0), &mut d, t());
    assert!(records(&r.info).is_empty());
    let r = command(cid::READ, false, &read_req(flag::INDEX, 1), &mut d, t());
    assert_eq!(records(&r.info)[0].1, 1);
    let r = command(cid::READ, false, &read_req(flag::INDEX, 0), &mut d, t());
    assert_eq!(r.status, Status::INVALID_MEMORY_INDEX);
    let mut w = Writer::new();
    w.u32(flag::INDEX).u32(1);
    let del = w.finish();
    assert_eq!(
        command(cid::DELETE, true, &del, &mut d, t()).status,
        Status::SUCCESS
    );
    assert_eq!(
        command(cid::DELETE, true, &del, &mut d, t()).status,
        Status::INVALID_MEMORY_INDEX
    );
    assert_eq!(d.messaging.store(Storage::Sim).used(), 0);
}

#[test]
fn send_through_the_centre_and_bad_buffers() {
    let mut d = ready();
    let pdu = [
        0x00, 0x11, 0x00, 0x05, 0x81, 0x21, 0x43, 0xF5, 0, 0, 0xA7, 0x02, 0xC8, 0x34,
    ];
    let mut rec = Writer::new();
    rec.ol(&pdu);
    let mut w = Writer::new();
    w.u32(FORMAT_PDU).inline(&rec.finish());
    let r = command(cid::SEND, true, &w.finish(), &mut d, t());
    assert_eq!(r.status, Status::SUCCESS);
    assert_eq!(r.info, 1u32.to_le_bytes());
    for info in [
        &[][..],
        &[0, 0, 0, 0, 200, 0, 0, 0, 9, 0, 0, 0][..],
        &[1, 0, 0, 0][..],
    ] {
        let r = command(cid::SEND, true, info, &mut d, t());
        assert_ne!(r.status, Status::SUCCESS);
    }
    let r = command(cid::READ, false, &read_req(9, 0), &mut d, t());
    assert_eq!(r.status, Status::INVALID_PARAMETERS);
}

#[test]
fn configuration_reads_and_sets_the_smsc() {
    let mut d = ready();
    let c = command(cid::CONFIGURATION, false, &[], &mut d, t());
    let r = Reader::new(&c.info);
    assert_eq!(r.u32(0).unwrap(), STORAGE_INITIALIZED);
    assert_eq!(r.u32(8).unwrap(), 30);
    assert_eq!(r.string(16).unwrap(), "+15555550000");
    let mut w = Writer::new();
    w.u32(FORMAT_PDU).string("+4479");
    let c = command(cid::CONFIGURATION, true, &w.finish(), &mut d, t());
    assert_eq!(c.status, Status::SUCCESS);
    assert_eq!(d.messaging.smsc, "+4479");
    let mut w = Writer::new();
    w.u32(FORMAT_PDU).string("nope");
    let c = command(cid::CONFIGURATION, true, &w.finish(), &mut d, t());
    assert_eq!(c.status, Status::SMS_UNKNOWN_SMSC_ADDRESS);
}
