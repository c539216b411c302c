//! Hostile requests get the QMI error a real modem gives, and the engine
//! answers the next valid request.

use vmodem_core::model::Profile;
use vmodem_core::time::Instant;
use vmodem_core::wire::qmi::{Message, MessageKind};
use vmodem_core::wire::tlv::Tlv;
use vmodem_core::wire::{MessageId, ProtocolError, ServiceId};
use vmodem_core::Modem;

fn req(service: ServiceId, client: u8, txn: u16, id: u16, tlvs: Vec<Tlv>) -> Vec<u8> {
    Message::request(service, client, txn, id, tlvs).to_bytes()
}

fn modem_with_dms_client() -> (Modem, u8) {
    let mut m = Modem::new(Profile::default(), 0, Instant::ZERO);
    m.handle_qmi(
        &req(ServiceId::Ctl, 0, 1, 0x22, vec![Tlv::new(1, vec![2])]),
        Instant::ZERO,
    );
    let r = Message::parse(&m.poll_qmi().unwrap()).unwrap();
    (m, r.tlv(1).unwrap()[1])
}

/// Sends `frame`, returns the responses it produced.
fn exchange(m: &mut Modem, frame: &[u8]) -> Vec<Message> {
    m.handle_qmi(frame, Instant::from_millis(1));
    std::iter::from_fn(|| m.poll_qmi())
        .map(|f| Message::parse(&f).expect("the engine emits valid frames"))
        .filter(|r| r.kind == MessageKind::Response)
        .collect()
}

fn still_serving(m: &mut Modem, client: u8) {
    let r = exchange(m, &req(ServiceId::Dms, client, 99, 0x0022, vec![]));
    assert_eq!(r.len(), 1);
    assert_eq!(
        r[0].result(),
        Some((0, 0)),
        "DMS Get Model after the bad frame"
    );
    assert_eq!(r[0].txn, 99);
    assert_eq!(r[0].tlv(1), Some(&b"EM7305"[..]));
}

/// The reply a hostile frame must get: service, message ID, error.
type Expected = (ServiceId, u16, ProtocolError);

#[test]
fn hostile_requests_and_their_replies() {
    let (_, cid) = modem_with_dms_client();
    let good = req(ServiceId::Dms, cid, 7, 0x0022, vec![]);

    let mut qmi_len_too_long = good.clone();
    qmi_len_too_long[11] = 0x10; // QMI TLV length says 16, there are none
    let mut truncated_tlv = req(ServiceId::Dms, cid, 7, 0x002e, vec![Tlv::new(1, vec![0])]);
    // Claim a 9-byte TLV value where one byte is present; fix the QMI and QMUX lengths.
    truncated_tlv[14] = 9;

    let cases: Vec<(&str, Vec<u8>, Option<Expected>)> = vec![
        (
            "QMI length past the frame",
            qmi_len_too_long,
            Some((ServiceId::Dms, 0x22, ProtocolError::MalformedMessage)),
        ),
        (
            "truncated TLV",
            truncated_tlv,
            Some((ServiceId::Dms, 0x2e, ProtocolError::MalformedMessage)),
        ),
        (
            "unknown service",
            req(ServiceId(0x77), 1, 7, 0x0001, vec![]),
            Some((ServiceId(0x77), 1, ProtocolError::InvalidServiceType)),
        ),
        (
            "unallocated client",
            req(ServiceId::Dms, cid + 5, 7, 0x0022, vec![]),
            Some((ServiceId::Dms, 0x22, ProtocolError::InvalidClientId)),
        ),
        (
            "unknown message",
            req(ServiceId::Dms, cid, 7, 0x7abc, vec![]),
            Some((ServiceId::Dms, 0x7abc, ProtocolError::InvalidQmiCommand)),
        ),
        (
            "allocate for unknown service",
            req(ServiceId::Ctl, 0, 7, 0x22, vec![Tlv::new(1, vec![0x77])]),
            Some((ServiceId::Ctl, 0x22, ProtocolError::InvalidServiceType)),
        ),
        (
            "allocate without its TLV",
            req(ServiceId::Ctl, 0, 7, 0x22, vec![]),
            Some((ServiceId::Ctl, 0x22, ProtocolError::MissingArgument)),
        ),
        (
            "release of a client never allocated",
            req(ServiceId::Ctl, 0, 7, 0x23, vec![Tlv::new(1, vec![2, 200])]),
            Some((ServiceId::Ctl, 0x23, ProtocolError::InvalidClientId)),
        ),
        ("zero-length frame", vec![], None),
        (
            "QMUX header only",
            vec![0x01, 0x05, 0x00, 0x00, 0x02, 0x01],
            None,
        ),
        ("wrong marker", vec![0x02; 13], None),
        (
            "QMUX length past the transfer",
            {
                let mut f = good.clone();
                f[1] = 0xff;
                f
            },
            Some((ServiceId::Dms, 0x22, ProtocolError::MalformedMessage)),
        ),
    ];
    for (what, frame, expect) in cases {
        let (mut m, cid) = modem_with_dms_client();
        let replies = exchange(&mut m, &frame);
        match expect {
            Some((svc, id, err)) => {
                assert_eq!(replies.len(), 1, "{what}: one reply");
                let r = &replies[0];
                assert_eq!((r.service, r.id, r.txn), (svc, MessageId(id), 7), "{what}");
                assert_eq!(r.result(), Some((1, err.0)), "{what}: {err:?}");
            }
            None => assert!(replies.is_empty(), "{what}: no addressable reply"),
        }
        still_serving(&mut m, cid);
    }
}

/// Regression: a profile string too long for a 16-bit TLV length gave a
/// frame whose headers disagreed, and every later request failed with a
/// framing error. Now the response is an `Internal` error the host can
/// read, and the next request is answered. (Built past the profile
/// checker, which refuses such a string.)
#[test]
fn a_response_too_long_for_qmi_is_an_error_not_a_wrapped_frame() {
    let mut p = Profile::default();
    p.identity.revision = "R".repeat(70_000);
    let mut m = Modem::new(p, 0, Instant::ZERO);
    m.handle_qmi(
        &req(ServiceId::Ctl, 0, 1, 0x22, vec![Tlv::new(1, vec![2])]),
        Instant::ZERO,
    );
    let cid = Message::parse(&m.poll_qmi().unwrap())
        .unwrap()
        .tlv(1)
        .unwrap()[1];
    // DMS Get Revision carries the revision string.
    let r = exchange(&mut m, &req(ServiceId::Dms, cid, 5, 0x0023, vec![]));
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].txn, 5);
    assert_eq!(r[0].result(), Some((1, ProtocolError::Internal.0)));
    assert_eq!(m.stats().unencodable, 1);
    still_serving(&mut m, cid);
}
