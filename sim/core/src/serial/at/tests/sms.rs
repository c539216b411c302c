//! Messaging over AT, and the same store seen over QMI WMS.

use super::Bench;
use crate::fault::Fault;
use crate::qmi::wms;
use crate::time::Instant;
use crate::wire::tlv::Tlv;
use crate::wire::ServiceId;

fn ready() -> Bench {
    let mut b = Bench::new();
    assert!(b.at("AT+CPIN=\"1234\"").ends_with("OK\r\n"));
    b.advance(5000);
    b
}

fn deliver(b: &mut Bench, from: &str, text: &str, class: Option<u8>) {
    b.now += 1;
    let f = Fault::Sms {
        from: from.into(),
        text: text.into(),
        class,
    };
    b.m.inject(f, Instant::from_millis(b.now)).unwrap();
}

#[test]
fn locked_sim_gives_cms_errors() {
    let mut b = Bench::new();
    assert_eq!(b.at("AT+CMGL=4"), "\r\n+CMS ERROR: 311\r\n");
    assert_eq!(b.at("AT+CMGS=20"), "\r\n+CMS ERROR: 311\r\n");
}

#[test]
fn pdu_mode_new_message_indication_list_read_delete() {
    let mut b = ready();
    assert_eq!(b.at("AT+CMGF=0;+CNMI=2,1,0,0,0"), "\r\nOK\r\n");
    deliver(&mut b, "+447700900123", "hello", None);
    let urc = b.advance(1);
    assert_eq!(urc, "\r\n+CMTI: \"SM\",0\r\n");
    let l = b.at("AT+CMGL=4");
    assert!(l.starts_with("\r\n+CMGL: 0,0,,"), "{l}");
    // The PDU line decodes to the text.
    let hex = l.lines().nth(2).unwrap();
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let p = crate::wire::sms::Pdu::parse(&bytes, crate::wire::sms::Direction::ToHost).unwrap();
    assert_eq!(p.text().unwrap(), "hello");
    // Listed once: now read.
    assert!(b.at("AT+CMGR=0").starts_with("\r\n+CMGR: 1,,"));
    assert_eq!(b.at("AT+CMGD=0"), "\r\nOK\r\n");
    assert_eq!(b.at("AT+CMGR=0"), "\r\n+CMS ERROR: 321\r\n");
    assert_eq!(b.at("AT+CMGL=9"), "\r\n+CMS ERROR: 304\r\n");
}

#[test]
fn class_zero_is_shown_not_stored() {
    let mut b = ready();
    b.at("AT+CMGF=1;+CNMI=2,1");
    deliver(&mut b, "Bank", "flash", Some(0));
    let urc = b.advance(1);
    assert!(
        urc.starts_with("\r\n+CMT: \"Bank\",,\"25/01/01,00:00:0"),
        "{urc}"
    );
    assert!(urc.ends_with("\r\nflash\r\n"), "{urc}");
    assert_eq!(b.at("AT+CMGL=\"ALL\""), "\r\nOK\r\n");
}

#[test]
fn cmgs_pdu_prompt_and_rejection() {
    let mut b = ready();
    let out = b.at("AT+CMGS=13");
    assert_eq!(out, "\r\n> ");
    let out = b.raw(b"00110005812143F50000A702C834\x1a");
    assert_eq!(out, "\r\n+CMGS: 1\r\n\r\nOK\r\n");
    b.now += 1;
    let f = Fault::SmsReject {
        rp_cause: 42,
        count: 1,
    };
    b.m.inject(f, Instant::from_millis(b.now)).unwrap();
    b.at("AT+CMGS=13");
    let out = b.raw(b"00110005812143F50000A702C834\x1a");
    assert_eq!(out, "\r\n+CMS ERROR: 42\r\n");
    // A length that disagrees with the PDU.
    b.at("AT+CMGS=14");
    assert_eq!(
        b.raw(b"00110005812143F50000A702C834\x1a"),
        "\r\n+CMS ERROR: 304\r\n"
    );
    // ESC abandons; the port answers commands again.
    b.at("AT+CMGS=13");
    assert_eq!(b.raw(b"0011\x1b"), "\r\nOK\r\n");
    assert_eq!(b.at("AT"), "\r\nOK\r\n");
}

#[test]
fn text_mode_write_is_listed_over_qmi() {
    let mut b = ready();
    assert_eq!(b.at("AT+CMGF=1"), "\r\nOK\r\n");
    assert_eq!(b.at("AT+CMGW=\"+15550123\""), "\r\n> ");
    assert_eq!(b.raw(b"stored over AT\x1a"), "\r\n+CMGW: 0\r\n\r\nOK\r\n");
    let l = b.at("AT+CMGL=\"ALL\"");
    assert_eq!(
        l,
        "\r\n+CMGL: 0,\"STO UNSENT\",\"+15550123\",\r\nstored over AT\r\n\r\nOK\r\n"
    );
    let r = b.qmi(
        ServiceId::Wms,
        wms::LIST_MESSAGES,
        vec![Tlv::new(0x01, [0])],
    );
    assert_eq!(r.tlv(0x01), Some(&[1, 0, 0, 0, 0, 0, 0, 0, 3][..]));
    let r = b.qmi(
        ServiceId::Wms,
        wms::RAW_READ,
        vec![Tlv::new(0x01, [0, 0, 0, 0, 0])],
    );
    let raw = r.tlv(0x01).unwrap();
    let p = crate::wire::sms::Pdu::parse(&raw[4..], crate::wire::sms::Direction::FromHost).unwrap();
    assert_eq!(p.text().unwrap(), "stored over AT");
}

#[test]
fn cpms_and_csca_are_the_device_facts() {
    let mut b = ready();
    assert_eq!(
        b.at("AT+CPMS?"),
        "\r\n+CPMS: \"SM\",0,30,\"SM\",0,30,\"SM\",0,30\r\n\r\nOK\r\n"
    );
    assert_eq!(
        b.at("AT+CPMS=\"ME\",\"ME\",\"ME\""),
        "\r\n+CPMS: 0,100,0,100,0,100\r\n\r\nOK\r\n"
    );
    assert_eq!(
        b.m.device().messaging.preferred_storage(),
        crate::model::sms::Storage::Me
    );
    assert_eq!(b.at("AT+CPMS=\"XX\""), "\r\n+CMS ERROR: 303\r\n");
    assert_eq!(
        b.at("AT+CSCA?"),
        "\r\n+CSCA: \"+15555550000\",145\r\n\r\nOK\r\n"
    );
    assert_eq!(b.at("AT+CSCA=\"+4479\",145"), "\r\nOK\r\n");
    assert_eq!(b.m.device().messaging.smsc, "+4479");
    let r = b.qmi(ServiceId::Wms, wms::GET_SMSC_ADDRESS, vec![]);
    assert_eq!(r.tlv(0x01), Some(&b"145\x05+4479"[..]));
}

/// The service centre time stamp is the network's clock: the profile's
/// start and zone, moved on by simulated time.
#[test]
fn service_centre_time_stamp_reads_the_network_clock() {
    let mut p = crate::model::Profile::default();
    p.time.utc_at_start = crate::model::calendar::DateTime::parse("2030-06-15T12:00:00Z")
        .unwrap()
        .to_unix();
    p.time.utc_offset_minutes = 120;
    let mut b = Bench {
        m: crate::Modem::new(p, 0, Instant::ZERO),
        now: 0,
    };
    b.at("ATE0");
    assert!(b.at("AT+CPIN=\"1234\"").ends_with("OK\r\n"));
    b.advance(65_000);
    b.at("AT+CMGF=1;+CNMI=2,1");
    deliver(&mut b, "Bank", "flash", Some(0));
    let urc = b.advance(1);
    assert!(
        urc.starts_with("\r\n+CMT: \"Bank\",,\"30/06/15,14:01:05+08\""),
        "{urc}"
    );
}
