use super::fragment::{split, Reassembler, Reassembly, Rejected};
use super::ib::{Reader, Writer};
use super::*;
use crate::time::Instant;

fn command(txn: u32, info: Vec<u8>) -> Message {
    Message::Command {
        txn,
        service: Uuid::BASIC_CONNECT,
        cid: 1,
        command_type: CommandType::QUERY,
        info,
    }
}

#[test]
fn open_layout_is_the_spec_one() {
    let b = Message::Open {
        txn: 1,
        max_control_transfer: 4096,
    }
    .to_bytes();
    assert_eq!(
        b,
        [1, 0, 0, 0, 16, 0, 0, 0, 1, 0, 0, 0, 0, 0x10, 0, 0],
        "type, length, txn, MaxControlTransfer"
    );
}

#[test]
fn command_round_trips_and_has_its_fields_where_libmbim_reads_them() {
    let m = command(7, vec![1, 2, 3, 4]);
    let b = m.to_bytes();
    assert_eq!(b.len(), 52);
    assert_eq!(&b[12..20], &[1, 0, 0, 0, 0, 0, 0, 0], "fragment 0 of 1");
    assert_eq!(&b[20..36], &Uuid::BASIC_CONNECT.0);
    assert_eq!(&b[44..48], &[4, 0, 0, 0], "InformationBufferLength");
    assert_eq!(Message::parse(&b).unwrap(), m);
}

#[test]
fn malformed_transfers_are_typed_errors() {
    let good = command(7, vec![0; 8]).to_bytes();
    assert!(matches!(
        Message::parse(&good[..11]),
        Err(Error::Truncated(_))
    ));
    let mut long = good.clone();
    long[4] = 200;
    assert!(matches!(Message::parse(&long), Err(Error::Truncated(_))));
    let mut zero = good.clone();
    zero[4..8].fill(0);
    assert!(matches!(Message::parse(&zero), Err(Error::BadLength(_))));
    let mut ib = good.clone();
    ib[44] = 9;
    assert!(Message::parse(&ib).is_err());
    let mut unknown = good;
    unknown[0] = 0x55;
    assert!(matches!(Message::parse(&unknown), Err(Error::BadValue(_))));
}

#[test]
fn split_and_reassemble_give_the_message_back() {
    let m = command(9, (0..200u8).collect());
    let whole = m.to_bytes();
    let parts = split(&whole, 64);
    assert!(parts.len() > 1);
    assert!(parts.iter().all(|p| p.len() <= 64));
    let mut r = Reassembler::default();
    let mut out = None;
    for (i, p) in parts.iter().enumerate() {
        let pk = Packet::new_checked(&p[..]).unwrap();
        match r.push(&pk, Instant::from_millis(i as u64)).unwrap() {
            Reassembly::Whole(b) => out = Some(b),
            Reassembly::Pending => assert!(i + 1 < parts.len()),
        }
    }
    assert_eq!(Message::parse(&out.unwrap()).unwrap(), m);
}

#[test]
fn out_of_order_fragment_is_rejected() {
    let parts = split(&command(3, vec![0; 200]).to_bytes(), 64);
    let mut r = Reassembler::default();
    let p0 = Packet::new_checked(&parts[0][..]).unwrap();
    let p2 = Packet::new_checked(&parts[2][..]).unwrap();
    assert_eq!(r.push(&p0, Instant::ZERO), Ok(Reassembly::Pending));
    assert_eq!(
        r.push(&p2, Instant::ZERO),
        Err(Rejected {
            txn: 3,
            error: ProtocolError::FRAGMENT_OUT_OF_SEQUENCE
        })
    );
    assert!(!r.in_progress());
}

#[test]
fn a_stalled_message_times_out() {
    let parts = split(&command(4, vec![0; 200]).to_bytes(), 64);
    let mut r = Reassembler::default();
    let p0 = Packet::new_checked(&parts[0][..]).unwrap();
    r.push(&p0, Instant::from_millis(10)).unwrap();
    assert_eq!(r.expire(Instant::from_millis(1259)), None);
    assert_eq!(
        r.expire(Instant::from_millis(1260)).map(|e| e.error),
        Some(ProtocolError::TIMEOUT_FRAGMENT)
    );
}

#[test]
fn information_buffer_strings_are_padded_and_offset_from_the_start() {
    let mut w = Writer::new();
    w.u32(5).string("abc").string("").u32(6);
    let b = w.finish();
    // fixed: 4 + 8 + 8 + 4 = 24; "abc" is 6 bytes, padded to 8.
    assert_eq!(b.len(), 32);
    assert_eq!(&b[4..12], &[24, 0, 0, 0, 6, 0, 0, 0]);
    assert_eq!(&b[12..20], &[0; 8], "an empty string is 0/0");
    let r = Reader::new(&b);
    assert_eq!(r.string(4).unwrap(), "abc");
    assert_eq!(r.string(12).unwrap(), "");
    assert_eq!(r.u32(20).unwrap(), 6);
    assert!(r.string(24).is_err());
}

#[test]
fn strings_that_are_not_utf16_or_odd_are_refused() {
    let mut w = Writer::new();
    w.ol(&[0x00, 0xd8]); // a lone high surrogate
    let b = w.finish();
    assert!(matches!(Reader::new(&b).string(0), Err(Error::BadValue(_))));
    let mut w = Writer::new();
    w.ol(&[0x41]);
    assert!(matches!(
        Reader::new(&w.finish()).string(0),
        Err(Error::BadLength(_))
    ));
}
