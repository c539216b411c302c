//! QMI over MBIM through the engine: QMUX frames in MBIM's QMI service
//! (CID MSG) reach the same QMI engine and model, responses come back in
//! the command's COMMAND_DONE, indications of clients allocated that way
//! as INDICATE_STATUS; the profile can turn the service off, and the
//! DEVICE_CAPS advertise only what is served.

use vmodem_core::model::Profile;
use vmodem_core::time::Instant;
use vmodem_core::wire::mbim::ib::{Reader, Writer};
use vmodem_core::wire::mbim::{CommandType, Message, Status, Uuid};
use vmodem_core::wire::qmi::{Message as Qmi, MessageKind};
use vmodem_core::wire::tlv::Tlv;
use vmodem_core::wire::ServiceId;
use vmodem_core::Modem;

const DEVICE_CAPS: u32 = 1;
const RADIO_STATE: u32 = 3;
const DEVICE_SERVICES: u32 = 16;
const SUBSCRIBE_LIST: u32 = 19;
const QMI_MSG: u32 = 1;

fn t(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

fn modem(profile: Profile) -> Modem {
    let mut m = Modem::new(profile, 0, t(0));
    m.handle_mbim(
        &Message::Open {
            txn: 1,
            max_control_transfer: 4096,
        }
        .to_bytes(),
        t(0),
    );
    while m.poll_mbim().is_some() {}
    m
}

fn exchange(m: &mut Modem, msg: Message, now: Instant) -> Vec<Message> {
    m.handle_mbim(&msg.to_bytes(), now);
    std::iter::from_fn(|| m.poll_mbim())
        .map(|b| Message::parse(&b).expect("valid MBIM"))
        .collect()
}

fn command(txn: u32, service: Uuid, cid: u32, set: bool, info: Vec<u8>) -> Message {
    Message::Command {
        txn,
        service,
        cid,
        command_type: if set {
            CommandType::SET
        } else {
            CommandType::QUERY
        },
        info,
    }
}

/// The COMMAND_DONE for `txn`: service, status, buffer.
fn done(msgs: &[Message], txn: u32) -> (Uuid, Status, Vec<u8>) {
    msgs.iter()
        .find_map(|m| match m {
            Message::CommandDone {
                txn: x,
                service,
                status,
                info,
                ..
            } if *x == txn => Some((*service, *status, info.clone())),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no COMMAND_DONE for {txn} in {msgs:?}"))
}

/// Sends one QMI request through MBIM; returns its QMI response.
fn qmi(m: &mut Modem, txn: u32, req: Qmi, now: Instant) -> Qmi {
    let r = exchange(
        m,
        command(txn, Uuid::QMI, QMI_MSG, true, req.to_bytes()),
        now,
    );
    let (service, status, info) = done(&r, txn);
    assert_eq!((service, status), (Uuid::QMI, Status::SUCCESS));
    let resp = Qmi::parse(&info).expect("a QMUX frame in the buffer");
    assert_eq!(resp.kind, MessageKind::Response);
    resp
}

/// CTL Allocate Client ID for `service` through MBIM.
fn allocate(m: &mut Modem, txn: u32, service: ServiceId) -> u8 {
    let req = Qmi::request(
        ServiceId::Ctl,
        0,
        txn as u16,
        0x22,
        vec![Tlv::new(1, vec![service.0])],
    );
    let r = qmi(m, txn, req, t(1));
    assert_eq!(r.result(), Some((0, 0)));
    r.tlv(1).expect("allocation TLV")[1]
}

fn services(m: &mut Modem) -> Vec<Uuid> {
    let r = exchange(
        m,
        command(9, Uuid::BASIC_CONNECT, DEVICE_SERVICES, false, vec![]),
        t(1),
    );
    let (_, status, info) = done(&r, 9);
    assert_eq!(status, Status::SUCCESS);
    let r = Reader::new(&info);
    (0..r.u32(0).unwrap() as usize)
        .map(|i| r.structure(8 + 8 * i).unwrap().uuid(0).unwrap())
        .collect()
}

#[test]
fn dms_over_mbim_reads_the_same_model() {
    let mut m = modem(Profile::default());
    assert_eq!(
        services(&mut m),
        vec![Uuid::BASIC_CONNECT, Uuid::SMS, Uuid::QMI]
    );
    let dms = allocate(&mut m, 2, ServiceId::Dms);
    let ids = qmi(
        &mut m,
        3,
        Qmi::request(ServiceId::Dms, dms, 7, 0x25, vec![]),
        t(2),
    );
    assert_eq!(ids.result(), Some((0, 0)));
    assert_eq!(ids.txn, 7, "the QMI transaction is the host's");
    let imei = Profile::default().identity.imei;
    assert_eq!(ids.tlv(0x11), Some(imei.as_bytes()), "IMEI");
    // A PIN verified over QMI-in-MBIM unlocks MBIM's own view: one model.
    let uim = allocate(&mut m, 4, ServiceId::Uim);
    let mut pin = vec![1u8, 4];
    pin.extend_from_slice(b"1234");
    let session = vec![0u8, 0]; // primary GW provisioning, no AID
    let verify = Qmi::request(
        ServiceId::Uim,
        uim,
        8,
        0x26,
        vec![Tlv::new(1, session), Tlv::new(2, pin)],
    );
    assert_eq!(qmi(&mut m, 5, verify, t(3)).result(), Some((0, 0)));
    assert!(m.device().sim.is_ready());
    // Nothing leaked onto the QMI control channel.
    assert!(m.poll_qmi().is_none());
}

#[test]
fn indications_of_mbim_clients_go_out_over_mbim_when_subscribed() {
    let mut m = modem(Profile::default());
    // libqmi subscribes to the QMI service's MSG notifications only.
    let mut e = Writer::new();
    e.uuid(&Uuid::QMI).u32(1).u32(QMI_MSG);
    let mut list = Writer::new();
    list.u32(1).ol(&e.finish());
    let r = exchange(
        &mut m,
        command(2, Uuid::BASIC_CONNECT, SUBSCRIBE_LIST, true, list.finish()),
        t(1),
    );
    assert_eq!(done(&r, 2).1, Status::SUCCESS);
    let dms = allocate(&mut m, 3, ServiceId::Dms);
    let report = Qmi::request(ServiceId::Dms, dms, 9, 0x01, vec![Tlv::new(0x14, vec![1])]);
    assert_eq!(qmi(&mut m, 4, report, t(2)).result(), Some((0, 0)));
    // The radio goes off through Basic Connect: DMS reports the new mode
    // to the client over MBIM, and Basic Connect's own notification is
    // not sent (not in the list).
    let r = exchange(
        &mut m,
        command(5, Uuid::BASIC_CONNECT, RADIO_STATE, true, vec![0; 4]),
        t(3),
    );
    assert_eq!(done(&r, 5).1, Status::SUCCESS);
    let inds: Vec<_> = r
        .iter()
        .filter_map(|msg| match msg {
            Message::IndicateStatus {
                service, cid, info, ..
            } => Some((*service, *cid, info.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(inds.len(), 1, "{inds:?}");
    assert_eq!((inds[0].0, inds[0].1), (Uuid::QMI, QMI_MSG));
    let ind = Qmi::parse(&inds[0].2).unwrap();
    assert_eq!(
        (ind.kind, ind.service, ind.client),
        (MessageKind::Indication, ServiceId::Dms, dms)
    );
    assert!(ind.tlv(0x14).is_some(), "operating mode");
    assert!(m.poll_qmi().is_none(), "not on the QMI channel");
}

#[test]
fn broken_frames_get_invalid_parameters_and_the_function_keeps_serving() {
    let mut m = modem(Profile::default());
    for (txn, junk) in [
        (2u32, vec![]),
        (3, vec![0x55; 3]),
        (4, vec![1, 0xff, 0xff, 0, 2]),
    ] {
        let r = exchange(&mut m, command(txn, Uuid::QMI, QMI_MSG, true, junk), t(1));
        assert_eq!(done(&r, txn).1, Status::INVALID_PARAMETERS);
    }
    // A query, or another CID, is not what the service serves.
    let r = exchange(&mut m, command(5, Uuid::QMI, QMI_MSG, false, vec![]), t(1));
    assert_eq!(done(&r, 5).1, Status::INVALID_PARAMETERS);
    let r = exchange(&mut m, command(6, Uuid::QMI, 2, true, vec![]), t(1));
    assert_eq!(done(&r, 6).1, Status::NO_DEVICE_SUPPORT);
    // A frame whose headers can be read gets QMI's own error inside.
    let bogus = Qmi::request(ServiceId::Dms, 9, 1, 0x25, vec![]);
    let r = qmi(&mut m, 7, bogus, t(2));
    assert_eq!(r.result(), Some((1, 7)), "InvalidClientId");
    assert!(allocate(&mut m, 8, ServiceId::Dms) > 0);
}

#[test]
fn the_profile_can_turn_the_service_off() {
    let mut p = Profile::default();
    p.mbim.qmi_over_mbim = false;
    let mut m = modem(p);
    assert_eq!(services(&mut m), vec![Uuid::BASIC_CONNECT, Uuid::SMS]);
    let req = Qmi::request(ServiceId::Ctl, 0, 1, 0x22, vec![Tlv::new(1, vec![2])]);
    let r = exchange(
        &mut m,
        command(2, Uuid::QMI, QMI_MSG, true, req.to_bytes()),
        t(1),
    );
    assert_eq!(done(&r, 2).1, Status::NO_DEVICE_SUPPORT);
}

/// DEVICE_CAPS advertises SMS (PDU receive and send) because the SMS
/// service is served (ModemManager enables Messaging from exactly these
/// bits).
#[test]
fn device_caps_advertise_sms_because_it_is_served() {
    let mut m = modem(Profile::default());
    let r = exchange(
        &mut m,
        command(2, Uuid::BASIC_CONNECT, DEVICE_CAPS, false, vec![]),
        t(1),
    );
    let (_, status, info) = done(&r, 2);
    assert_eq!(status, Status::SUCCESS);
    let caps = Reader::new(&info);
    assert_eq!(caps.u32(20), Ok(0b11), "SmsCaps");
    assert_eq!(
        caps.u32(24),
        Ok(0b11),
        "CtrlCaps: manual registration, radio switch"
    );
    assert_eq!(caps.u32(28), Ok(8), "MaxSessions");
}

#[test]
fn a_reset_asked_for_over_mbim_is_answered_before_the_module_goes() {
    let mut m = modem(Profile::default());
    let dms = allocate(&mut m, 2, ServiceId::Dms);
    // DMS Set Operating Mode: offline, then reset (TLV 1, modes 3 and 4).
    let mode = |txn: u16, mode: u8| {
        Qmi::request(
            ServiceId::Dms,
            dms,
            txn,
            0x2E,
            vec![Tlv::new(1, vec![mode])],
        )
    };
    assert_eq!(qmi(&mut m, 3, mode(3, 3), t(2)).result(), Some((0, 0)));
    let r = qmi(&mut m, 4, mode(4, 4), t(3));
    assert_eq!(r.result(), Some((0, 0)), "the reset's own answer");
    assert_eq!(r.txn, 4);
    // The module did restart: its MBIM function must be OPENed again.
    let r = exchange(
        &mut m,
        command(5, Uuid::BASIC_CONNECT, DEVICE_CAPS, false, vec![]),
        t(4),
    );
    assert!(
        !r.iter()
            .any(|m| matches!(m, Message::CommandDone { txn: 5, .. })),
        "a restarted function answered before OPEN: {r:?}"
    );
}
