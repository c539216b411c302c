//! One message store for every protocol: a message written over AT is
//! listed over QMI WMS and MBIM; a message sent over QMI is decoded into
//! the event log, parts joined.

use serde_json::Value;
use vmodem_core::model::Profile;
use vmodem_core::time::Instant;
use vmodem_core::wire::mbim::ib::{Reader, Writer};
use vmodem_core::wire::mbim::{CommandType, Message as Mbim, Status, Uuid};
use vmodem_core::wire::qmi::Message;
use vmodem_core::wire::sms::{split_text, Address, Dcs, Pdu, Submit, Tpdu, Validity};
use vmodem_core::wire::tlv::Tlv;
use vmodem_core::wire::ServiceId;
use vmodem_core::{Modem, SerialPort};

struct Bench {
    m: Modem,
    now: u64,
    wms: u8,
}

impl Bench {
    fn new() -> Bench {
        let mut b = Bench {
            m: Modem::new(Profile::default(), 7, Instant::ZERO),
            now: 0,
            wms: 0,
        };
        b.at("ATE0");
        assert!(b.at("AT+CPIN=\"1234\"").ends_with("OK\r\n"));
        b.tick(5000);
        let r = b.qmi(ServiceId::Ctl, 0, 0x22, vec![Tlv::new(1, [5])]);
        b.wms = r.tlv(1).unwrap()[1];
        b
    }
    fn t(&mut self) -> Instant {
        self.now += 1;
        Instant::from_millis(self.now)
    }
    fn tick(&mut self, ms: u64) {
        self.now += ms;
        self.m.handle_timeout(Instant::from_millis(self.now));
    }
    fn at(&mut self, line: &str) -> String {
        let t = self.t();
        self.m
            .handle_serial(SerialPort::At, format!("{line}\r").as_bytes(), t);
        String::from_utf8(self.m.poll_serial(SerialPort::At).unwrap_or_default()).unwrap()
    }
    fn raw_at(&mut self, bytes: &[u8]) -> String {
        let t = self.t();
        self.m.handle_serial(SerialPort::At, bytes, t);
        String::from_utf8(self.m.poll_serial(SerialPort::At).unwrap_or_default()).unwrap()
    }
    fn qmi(&mut self, svc: ServiceId, client: u8, id: u16, tlvs: Vec<Tlv>) -> Message {
        let t = self.t();
        let req = Message::request(svc, client, 1, id, tlvs);
        self.m.handle_qmi(&req.to_bytes(), t);
        loop {
            let f = self.m.poll_qmi().expect("a response");
            let r = Message::parse(&f).unwrap();
            if r.id == req.id && r.kind == vmodem_core::wire::qmi::MessageKind::Response {
                return r;
            }
        }
    }
    fn mbim(&mut self, m: Mbim) -> Mbim {
        let t = self.t();
        self.m.handle_mbim(&m.to_bytes(), t);
        let mut last = None;
        while let Some(b) = self.m.poll_mbim() {
            last = Some(Mbim::parse(&b).unwrap());
        }
        last.expect("an MBIM answer")
    }
    fn records(&mut self) -> Vec<Value> {
        std::iter::from_fn(|| self.m.poll_record())
            .map(|r| serde_json::to_value(r).unwrap())
            .collect()
    }
}

#[test]
fn written_over_at_listed_over_qmi_and_mbim() {
    let mut b = Bench::new();
    assert_eq!(b.at("AT+CMGF=1"), "\r\nOK\r\n");
    assert_eq!(b.at("AT+CMGW=\"+15550123\""), "\r\n> ");
    assert_eq!(b.raw_at(b"one store\x1a"), "\r\n+CMGW: 0\r\n\r\nOK\r\n");

    let wms = b.wms;
    let r = b.qmi(ServiceId::Wms, wms, 0x31, vec![Tlv::new(1, [0])]);
    // One message, slot 0, tag "MO not sent".
    assert_eq!(r.tlv(1), Some(&[1, 0, 0, 0, 0, 0, 0, 0, 3][..]));

    let open = Mbim::Open {
        txn: 1,
        max_control_transfer: 4096,
    };
    assert!(matches!(
        b.mbim(open),
        Mbim::OpenDone {
            status: Status::SUCCESS,
            ..
        }
    ));
    let mut w = Writer::new();
    w.u32(0).u32(5).u32(0); // PDU format, drafts
    let done = b.mbim(Mbim::Command {
        txn: 2,
        service: Uuid::SMS,
        cid: 2,
        command_type: CommandType::QUERY,
        info: w.finish(),
    });
    let Mbim::CommandDone { status, info, .. } = done else {
        panic!("{done:?}")
    };
    assert_eq!(status, Status::SUCCESS);
    let r = Reader::new(&info);
    assert_eq!(r.u32(4).unwrap(), 1);
    let rec = r.structure(8).unwrap();
    // MBIM counts from 1; status 2 is a draft.
    assert_eq!((rec.u32(0).unwrap(), rec.u32(4).unwrap()), (1, 2));
    let pdu = Pdu::parse(
        rec.ol(8).unwrap(),
        vmodem_core::wire::sms::Direction::FromHost,
    );
    assert_eq!(pdu.unwrap().text().unwrap(), "one store");
}

#[test]
fn multipart_ucs2_sent_over_qmi_is_logged_joined() {
    let mut b = Bench::new();
    let text = "Ünïcode 😀 ".repeat(12);
    let (alphabet, parts) = split_text(&text, 0x1234).unwrap();
    assert!(parts.len() > 1);
    b.records();
    let wms = b.wms;
    for ud in parts {
        let pdu = Pdu {
            smsc: None,
            tpdu: Tpdu::Submit(Submit {
                reject_duplicates: false,
                status_report_request: true,
                reply_path: false,
                reference: 0,
                destination: Address::from_number("+447700900123").unwrap(),
                pid: 0,
                dcs: Dcs::new(alphabet, None),
                validity: Validity::Relative(167),
                user_data: ud,
            }),
        }
        .to_bytes()
        .unwrap();
        let mut raw = vec![6];
        raw.extend_from_slice(&(pdu.len() as u16).to_le_bytes());
        raw.extend_from_slice(&pdu);
        let r = b.qmi(ServiceId::Wms, wms, 0x20, vec![Tlv::new(1, raw)]);
        assert_eq!(r.tlv(2).unwrap()[..2], [0, 0], "raw send succeeded");
    }
    let sent: Vec<Value> = b
        .records()
        .into_iter()
        .filter(|r| r["event"] == "sms-sent")
        .collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["text"], text.as_str());
    assert_eq!(sent[0]["encoding"], "ucs2");
    assert_eq!(sent[0]["to"], "+447700900123");
    // Delivery reports asked for: stored a second later.
    b.tick(1500);
    let stored = b
        .records()
        .into_iter()
        .filter(|r| r["event"] == "sms-stored")
        .count();
    assert!(stored >= 2, "one report per part");
}
