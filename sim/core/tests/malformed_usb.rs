//! Hostile control transfers on EP0: SETUP packets of the wrong size are
//! refused, requests that are not CDC-WDM's (or not for the QMI interface)
//! stall, and a GET too short for the waiting response stalls without
//! losing it. After each, the channel carries the next QMI exchange.

use vmodem_core::model::Profile;
use vmodem_core::time::Instant;
use vmodem_core::usb::{ControlReply, Setup, WdmChannel};
use vmodem_core::wire::qmi::Message;
use vmodem_core::wire::{Error, ServiceId};
use vmodem_core::Modem;

const T: Instant = Instant::from_millis(1);
const QMI_IF: u16 = 8;

fn setup(request_type: u8, request: u8, index: u16, length: u16) -> Setup {
    Setup {
        request_type,
        request,
        value: 0,
        index,
        length,
    }
}

/// What the gadget transport does with one control transfer.
fn transfer(m: &mut Modem, w: &mut WdmChannel, s: &Setup, data: &[u8]) -> ControlReply {
    let r = w.handle(s, data);
    if let ControlReply::Accept(Some(frame)) = &r {
        m.handle_qmi(frame, T);
        while let Some(f) = m.poll_qmi() {
            w.queue_response(f);
        }
    }
    r
}

/// CTL Get Version Info through SEND/notification/GET, as qmi_wwan does it.
fn still_serving(m: &mut Modem, w: &mut WdmChannel, what: &str) {
    while w.poll_notification().is_some() {}
    let get = setup(0xA1, 0x01, QMI_IF, 4096);
    while let ControlReply::Data(d) = w.handle(&get, &[]) {
        if d.is_empty() {
            break;
        }
    }
    let req = Message::request(ServiceId::Ctl, 0, 9, 0x0021, vec![]).to_bytes();
    let send = setup(0x21, 0x00, QMI_IF, req.len() as u16);
    assert_eq!(
        transfer(m, w, &send, &req),
        ControlReply::Accept(Some(req.clone())),
        "{what}"
    );
    assert!(
        w.poll_notification().is_some(),
        "{what}: RESPONSE_AVAILABLE"
    );
    let ControlReply::Data(rsp) = w.handle(&get, &[]) else {
        panic!("{what}: GET_ENCAPSULATED_RESPONSE stalled");
    };
    let r = Message::parse(&rsp).unwrap();
    assert_eq!(
        (r.id.0, r.txn, r.result()),
        (0x0021, 9, Some((0, 0))),
        "{what}"
    );
}

#[test]
fn setup_packets_of_the_wrong_size() {
    let ok = [0x21, 0x00, 0, 0, 8, 0, 12, 0];
    assert_eq!(
        Setup::parse(&ok[..7]),
        Err(Error::Truncated("SETUP packet"))
    );
    assert_eq!(Setup::parse(&[]), Err(Error::Truncated("SETUP packet")));
    let long = [&ok[..], &[0]].concat();
    assert_eq!(
        Setup::parse(&long),
        Err(Error::TrailingData("bytes after the SETUP packet"))
    );
    assert_eq!(Setup::parse(&ok).map(|s| s.length), Ok(12));
}

#[test]
fn hostile_control_transfers_and_their_replies() {
    let garbage = vec![0x02; 13];
    let cases: Vec<(&str, Setup, Vec<u8>, ControlReply)> = vec![
        (
            "command for the AT interface",
            setup(0x21, 0x00, 3, 4),
            vec![1, 2, 3, 4],
            ControlReply::Stall,
        ),
        (
            "vendor request",
            setup(0x41, 0x00, QMI_IF, 1),
            vec![0],
            ControlReply::Stall,
        ),
        (
            "class request to the device",
            setup(0x20, 0x00, QMI_IF, 1),
            vec![0],
            ControlReply::Stall,
        ),
        (
            "unknown class IN request",
            setup(0xA1, 0x05, QMI_IF, 1),
            vec![],
            ControlReply::Stall,
        ),
        (
            "SEND_ENCAPSULATED_COMMAND as IN",
            setup(0xA1, 0x00, QMI_IF, 64),
            vec![],
            ControlReply::Stall,
        ),
        (
            "GET with nothing waiting",
            setup(0xA1, 0x01, QMI_IF, 4096),
            vec![],
            ControlReply::Data(vec![]),
        ),
        (
            // Accepted by CDC-WDM; QMUX cannot frame it, so no QMI answer.
            "SEND carrying no QMUX frame",
            setup(0x21, 0x00, QMI_IF, 13),
            garbage.clone(),
            ControlReply::Accept(Some(garbage)),
        ),
        (
            "zero-length SEND",
            setup(0x21, 0x00, QMI_IF, 0),
            vec![],
            ControlReply::Accept(Some(vec![])),
        ),
    ];
    for (what, s, data, reply) in cases {
        let mut m = Modem::new(Profile::default(), 0, Instant::ZERO);
        let mut w = WdmChannel::new(QMI_IF as u8, 4096);
        assert_eq!(transfer(&mut m, &mut w, &s, &data), reply, "{what}");
        assert_eq!(w.queued(), 0, "{what}: no QMI answer");
        still_serving(&mut m, &mut w, what);
    }
}

#[test]
fn a_get_too_short_stalls_and_keeps_the_response() {
    let mut m = Modem::new(Profile::default(), 0, Instant::ZERO);
    let mut w = WdmChannel::new(QMI_IF as u8, 4096);
    let req = Message::request(ServiceId::Ctl, 0, 3, 0x0021, vec![]).to_bytes();
    transfer(
        &mut m,
        &mut w,
        &setup(0x21, 0, QMI_IF, req.len() as u16),
        &req,
    );
    let short = setup(0xA1, 0x01, QMI_IF, 4);
    assert_eq!(w.handle(&short, &[]), ControlReply::Stall);
    assert_eq!(w.queued(), 1);
    let ControlReply::Data(rsp) = w.handle(&setup(0xA1, 0x01, QMI_IF, 4096), &[]) else {
        panic!("the response was lost");
    };
    assert_eq!(Message::parse(&rsp).unwrap().txn, 3);
    still_serving(&mut m, &mut w, "after a short GET");
}
