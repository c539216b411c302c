//! MBIM through the engine: the control protocol's errors, Basic Connect
//! on the shared model (a PIN entered over MBIM is entered for QMI and the
//! other way round), fragmentation, and bytes that must never panic.

use vmodem_core::model::{Profile, SimState};
use vmodem_core::time::Instant;
use vmodem_core::wire::mbim::fragment::split;
use vmodem_core::wire::mbim::ib::{utf16le, Reader, Writer};
use vmodem_core::wire::mbim::{
    CommandType, Message, MessageType, Packet, ProtocolError, Status, Uuid,
};
use vmodem_core::wire::qmi::{Message as QmiMessage, MessageKind};
use vmodem_core::wire::tlv::Tlv;
use vmodem_core::wire::ServiceId;
use vmodem_core::Modem;

const PIN: u32 = 4;
const REGISTER_STATE: u32 = 9;
const CONNECT: u32 = 12;
const IP_CONFIGURATION: u32 = 15;
const SUBSCRIBER_READY_STATUS: u32 = 2;

fn t(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

/// Sends one transfer, returns what came back (whole messages only).
fn exchange(m: &mut Modem, transfer: &[u8], now: Instant) -> Vec<Message> {
    m.handle_mbim(transfer, now);
    std::iter::from_fn(|| m.poll_mbim())
        .map(|b| Message::parse(&b).expect("the function emits valid messages"))
        .collect()
}

fn open(m: &mut Modem) {
    let r = exchange(
        m,
        &Message::Open {
            txn: 1,
            max_control_transfer: 4096,
        }
        .to_bytes(),
        t(0),
    );
    assert_eq!(
        r,
        vec![Message::OpenDone {
            txn: 1,
            status: Status::SUCCESS
        }]
    );
}

fn command(txn: u32, cid: u32, set: bool, info: Vec<u8>) -> Vec<u8> {
    Message::Command {
        txn,
        service: Uuid::BASIC_CONNECT,
        cid,
        command_type: if set {
            CommandType::SET
        } else {
            CommandType::QUERY
        },
        info,
    }
    .to_bytes()
}

/// The COMMAND_DONE for `txn` among `msgs`: (status, buffer).
fn done(msgs: &[Message], txn: u32) -> (Status, Vec<u8>) {
    msgs.iter()
        .find_map(|m| match m {
            Message::CommandDone {
                txn: x,
                status,
                info,
                ..
            } if *x == txn => Some((*status, info.clone())),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no COMMAND_DONE for {txn} in {msgs:?}"))
}

fn enter_pin(code: &str) -> Vec<u8> {
    let mut w = Writer::new();
    w.u32(2).u32(0).string(code).string("");
    w.finish()
}

fn mbim_modem() -> Modem {
    let mut m = Modem::new(Profile::default(), 0, t(0));
    open(&mut m);
    m
}

fn function_error(error: ProtocolError, txn: u32) -> Vec<Message> {
    vec![Message::FunctionError { txn, error }]
}

#[test]
fn control_protocol_errors_are_the_spec_ones() {
    let valid = command(5, 1, false, vec![]);
    let mut zero_len = valid.clone();
    zero_len[4..8].fill(0);
    let mut too_long = valid.clone();
    too_long[4] = 200;
    let mut unknown_type = Message::Close { txn: 6 }.to_bytes();
    unknown_type[0] = 0x55;
    let mut ib_len = command(7, 1, false, vec![0; 4]);
    ib_len[44] = 8;
    let second = split(&command(8, 1, false, vec![0; 100]), 64)[1].clone();
    let table: Vec<(&str, Vec<u8>, Vec<Message>)> = vec![
        (
            "truncated header",
            valid[..10].to_vec(),
            function_error(ProtocolError::LENGTH_MISMATCH, 0),
        ),
        (
            "zero MessageLength",
            zero_len,
            function_error(ProtocolError::LENGTH_MISMATCH, 5),
        ),
        (
            "MessageLength beyond the transfer",
            too_long,
            function_error(ProtocolError::LENGTH_MISMATCH, 5),
        ),
        (
            "unknown MessageType",
            unknown_type,
            function_error(ProtocolError::UNKNOWN, 6),
        ),
        (
            "a device-to-host type from the host",
            Message::OpenDone {
                txn: 9,
                status: Status::SUCCESS,
            }
            .to_bytes(),
            function_error(ProtocolError::UNKNOWN, 9),
        ),
        (
            "InformationBufferLength past the message",
            ib_len,
            function_error(ProtocolError::LENGTH_MISMATCH, 7),
        ),
        (
            "a second fragment first",
            second,
            function_error(ProtocolError::FRAGMENT_OUT_OF_SEQUENCE, 8),
        ),
        (
            "more than MaxControlTransfer",
            command(10, 1, false, vec![0; 5000]),
            function_error(ProtocolError::MAX_TRANSFER, 10),
        ),
    ];
    for (what, transfer, want) in table {
        let mut m = mbim_modem();
        assert_eq!(exchange(&mut m, &transfer, t(1)), want, "{what}");
        // And the function still serves.
        let r = exchange(&mut m, &command(99, 1, false, vec![]), t(2));
        assert_eq!(done(&r, 99).0, Status::SUCCESS, "after {what}");
    }
}

#[test]
fn commands_before_open_and_after_close_are_not_opened() {
    let mut m = Modem::new(Profile::default(), 0, t(0));
    assert_eq!(
        exchange(&mut m, &command(3, 1, false, vec![]), t(0)),
        function_error(ProtocolError::NOT_OPENED, 3)
    );
    open(&mut m);
    let r = exchange(&mut m, &Message::Close { txn: 4 }.to_bytes(), t(0));
    assert_eq!(
        r,
        vec![Message::CloseDone {
            txn: 4,
            status: Status::SUCCESS
        }]
    );
    assert_eq!(
        exchange(&mut m, &command(5, 1, false, vec![]), t(0)),
        function_error(ProtocolError::NOT_OPENED, 5)
    );
}

#[test]
fn unknown_service_or_cid_and_bad_buffers_get_their_status() {
    let mut m = mbim_modem();
    let other = Message::Command {
        txn: 2,
        service: Uuid::QMI,
        cid: 2,
        command_type: CommandType::SET,
        info: vec![],
    };
    let r = exchange(&mut m, &other.to_bytes(), t(1));
    assert_eq!(done(&r, 2).0, Status::NO_DEVICE_SUPPORT);
    let r = exchange(&mut m, &command(3, 200, false, vec![]), t(1));
    assert_eq!(done(&r, 3).0, Status::NO_DEVICE_SUPPORT);
    // PIN set with a string pointing past the buffer.
    let mut bad = enter_pin("1234");
    bad[8] = 0xf0;
    let r = exchange(&mut m, &command(4, PIN, true, bad), t(1));
    assert_eq!(done(&r, 4).0, Status::INVALID_PARAMETERS);
    let r = exchange(&mut m, &command(5, CONNECT, true, vec![0; 3]), t(1));
    assert_eq!(done(&r, 5).0, Status::INVALID_PARAMETERS);
    assert_eq!(m.device().sim.pin_retries, 3, "no try used by bad buffers");
}

fn qmi_dms_client(m: &mut Modem) -> u8 {
    let alloc = QmiMessage::request(ServiceId::Ctl, 0, 1, 0x22, vec![Tlv::new(1, vec![2])]);
    m.handle_qmi(&alloc.to_bytes(), t(1));
    let r = QmiMessage::parse(&m.poll_qmi().unwrap()).unwrap();
    r.tlv(1).unwrap()[1]
}

/// DMS UIM Get PIN Status: PIN1's (status, verify retries).
fn qmi_pin1(m: &mut Modem, client: u8) -> (u8, u8) {
    let q = QmiMessage::request(ServiceId::Dms, client, 7, 0x002B, vec![]);
    m.handle_qmi(&q.to_bytes(), t(2));
    let r = std::iter::from_fn(|| m.poll_qmi())
        .map(|f| QmiMessage::parse(&f).unwrap())
        .find(|r| r.kind == MessageKind::Response)
        .unwrap();
    let s = r.tlv(0x11).unwrap();
    (s[0], s[1])
}

#[test]
fn a_wrong_pin_over_mbim_costs_a_qmi_try_and_the_right_one_unlocks_qmi() {
    let mut m = mbim_modem();
    let client = qmi_dms_client(&mut m);
    let r = exchange(&mut m, &command(2, PIN, true, enter_pin("0000")), t(1));
    let (status, info) = done(&r, 2);
    assert_eq!(status, Status::FAILURE);
    let pin = Reader::new(&info);
    assert_eq!((pin.u32(0), pin.u32(4), pin.u32(8)), (Ok(2), Ok(1), Ok(2)));
    assert_eq!(qmi_pin1(&mut m, client), (1, 2), "enabled, not verified");
    let r = exchange(&mut m, &command(3, PIN, true, enter_pin("1234")), t(2));
    assert_eq!(done(&r, 3).0, Status::SUCCESS);
    // The host hears that the subscriber is ready (INITIALIZED = 1).
    let ready = r.iter().find_map(|m| match m {
        Message::IndicateStatus { cid, info, .. } if *cid == SUBSCRIBER_READY_STATUS => {
            Some(Reader::new(info).u32(0))
        }
        _ => None,
    });
    assert_eq!(ready, Some(Ok(1)));
    assert_eq!(qmi_pin1(&mut m, client), (2, 3), "enabled, verified");
}

#[test]
fn a_pin_entered_over_qmi_unlocks_mbim() {
    let mut m = mbim_modem();
    let client = qmi_dms_client(&mut m);
    let mut tlv = vec![1, 4];
    tlv.extend_from_slice(b"1234");
    let v = QmiMessage::request(ServiceId::Dms, client, 5, 0x0028, vec![Tlv::new(1, tlv)]);
    m.handle_qmi(&v.to_bytes(), t(1));
    assert_eq!(m.device().sim.state, SimState::Ready);
    while m.poll_qmi().is_some() {}
    let r = exchange(&mut m, &command(2, PIN, false, vec![]), t(2));
    let (status, info) = done(&r, 2);
    assert_eq!(status, Status::SUCCESS);
    assert_eq!(Reader::new(&info).u32(4), Ok(0), "unlocked");
}

#[test]
fn connect_uses_the_model_bearers_and_radio_off_ends_it() {
    let mut m = mbim_modem();
    exchange(&mut m, &command(2, PIN, true, enter_pin("1234")), t(1));
    m.handle_timeout(t(3000));
    while m.poll_mbim().is_some() {}
    let mut w = Writer::new();
    w.u32(0)
        .u32(1)
        .string("internet")
        .string("")
        .string("")
        .u32(0)
        .u32(0)
        .u32(1)
        .uuid(&Uuid::CONTEXT_INTERNET);
    let r = exchange(&mut m, &command(3, CONNECT, true, w.finish()), t(3001));
    assert_eq!(done(&r, 3).0, Status::SUCCESS);
    assert_eq!(m.device().bearers.len(), 1);
    let r = exchange(
        &mut m,
        &command(4, IP_CONFIGURATION, false, vec![0; 60]),
        t(3002),
    );
    let (status, info) = done(&r, 4);
    assert_eq!(status, Status::SUCCESS);
    let ip = Reader::new(&info);
    let at = ip.u32(16).unwrap() as usize;
    assert_eq!(ip.u32(at), Ok(24), "prefix");
    assert_eq!(&info[at + 4..at + 8], &[10, 64, 0, 2]);
    // Radio off: the bearer drops and the host is told.
    let r = exchange(&mut m, &command(5, 3, true, vec![0, 0, 0, 0]), t(3003));
    assert!(m.device().bearers.is_empty());
    let ind = r.iter().any(|m| {
        matches!(m, Message::IndicateStatus { cid, info, .. }
            if *cid == CONNECT && Reader::new(info).u32(4) == Ok(3))
    });
    assert!(ind, "CONNECT deactivated indication in {r:?}");
    assert!(r
        .iter()
        .any(|m| matches!(m, Message::IndicateStatus { cid, .. } if *cid == REGISTER_STATE)));
}

#[test]
fn an_unknown_apn_is_refused_with_its_3gpp_cause() {
    let mut m = mbim_modem();
    exchange(&mut m, &command(2, PIN, true, enter_pin("1234")), t(1));
    m.handle_timeout(t(3000));
    let mut w = Writer::new();
    w.u32(0).u32(1).string("nope").string("").string("");
    w.u32(0).u32(0).u32(1).uuid(&Uuid::CONTEXT_INTERNET);
    let r = exchange(&mut m, &command(3, CONNECT, true, w.finish()), t(3001));
    let (status, info) = done(&r, 3);
    assert_eq!(status, Status::FAILURE);
    assert_eq!(Reader::new(&info).u32(32), Ok(27), "NwError");
}

/// A connect without an access string uses the default stored context's
/// APN, the one WDS profiles and AT+CGDCONT edit.
#[test]
fn an_empty_access_string_uses_the_default_context() {
    let mut m = mbim_modem();
    exchange(&mut m, &command(2, PIN, true, enter_pin("1234")), t(1));
    m.handle_timeout(t(3000));
    let connect = || {
        let mut w = Writer::new();
        w.u32(0).u32(1).string("").string("").string("");
        w.u32(0).u32(0).u32(1).uuid(&Uuid::CONTEXT_INTERNET);
        w.finish()
    };
    // Context 1 (the default) names an APN the network does not know.
    m.handle_serial(
        vmodem_core::SerialPort::At,
        b"AT+CGDCONT=1,\"IP\",\"nope\"\r",
        t(3001),
    );
    let out = m.poll_serial(vmodem_core::SerialPort::At).unwrap();
    assert!(
        out.ends_with(b"OK\r\n"),
        "{:?}",
        String::from_utf8_lossy(&out)
    );
    let r = exchange(&mut m, &command(3, CONNECT, true, connect()), t(3002));
    let (status, info) = done(&r, 3);
    assert_eq!(status, Status::FAILURE);
    assert_eq!(Reader::new(&info).u32(32), Ok(27), "unknown APN");
    // Back to one it knows: the session comes up on it.
    m.handle_serial(
        vmodem_core::SerialPort::At,
        b"AT+CGDCONT=1,\"IP\",\"internet\"\r",
        t(3003),
    );
    let r = exchange(&mut m, &command(4, CONNECT, true, connect()), t(3004));
    assert_eq!(done(&r, 4).0, Status::SUCCESS);
    assert_eq!(m.device().bearers[0].apn, "internet");
}

#[test]
fn large_answers_are_fragmented_to_the_negotiated_size() {
    let mut m = Modem::new(Profile::default(), 0, t(0));
    exchange(
        &mut m,
        &Message::Open {
            txn: 1,
            max_control_transfer: 64,
        }
        .to_bytes(),
        t(0),
    );
    m.handle_mbim(&command(2, 1, false, vec![]), t(1));
    let parts: Vec<Vec<u8>> = std::iter::from_fn(|| m.poll_mbim()).collect();
    assert!(parts.len() > 2);
    let mut payload = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        assert!(p.len() <= 64);
        let pk = Packet::new_checked(&p[..]).unwrap();
        assert_eq!(pk.message_type(), MessageType::COMMAND_DONE);
        let f = pk.fragment().unwrap();
        assert_eq!((f.total as usize, f.current as usize), (parts.len(), i));
        payload.extend_from_slice(pk.body());
    }
    // Fields after the fixed part: the device id string (the IMEI).
    let info = &payload[28..];
    assert!(info
        .windows(30)
        .any(|w| w == utf16le("001245000004705").as_slice()));
}

#[test]
fn a_host_message_in_fragments_is_reassembled() {
    let mut m = mbim_modem();
    let whole = command(2, PIN, true, enter_pin("1234"));
    let parts = split(&whole, 64);
    assert!(parts.len() > 1);
    for p in &parts[..parts.len() - 1] {
        assert!(exchange(&mut m, p, t(1)).is_empty());
    }
    let r = exchange(&mut m, parts.last().unwrap(), t(2));
    assert_eq!(done(&r, 2).0, Status::SUCCESS);
    assert!(m.device().sim.is_ready());
}

#[test]
fn a_reset_closes_the_channel() {
    let mut m = mbim_modem();
    m.device_mut()
        .set_operating_mode(vmodem_core::model::OperatingMode::Reset, t(1))
        .unwrap();
    // The engine carries the reset out after the next transfer.
    exchange(&mut m, &command(2, 1, false, vec![]), t(1));
    m.handle_timeout(t(5000));
    assert!(!m.mbim().is_open());
    assert_eq!(
        exchange(&mut m, &command(3, 1, false, vec![]), t(5001)),
        function_error(ProtocolError::NOT_OPENED, 3)
    );
}

const PROVISIONED_CONTEXTS: u32 = 13;

fn provision(id: u32, ctx: Uuid, apn: &str, user: &str, auth: u32) -> Vec<u8> {
    let mut w = Writer::new();
    w.u32(id)
        .uuid(&ctx)
        .string(apn)
        .string(user)
        .string("secret");
    w.u32(0).u32(auth).string("");
    w.finish()
}

/// (ContextId, AccessString, UserName, AuthProtocol) of each element.
fn provisioned(info: &[u8]) -> Vec<(u32, String, String, u32)> {
    let r = Reader::new(info);
    (0..r.u32(0).unwrap() as usize)
        .map(|i| {
            let c = r.structure(4 + 8 * i).unwrap();
            assert_eq!(c.uuid(4).unwrap(), Uuid::CONTEXT_INTERNET);
            let f = (c.u32(0), c.string(20), c.string(28), c.u32(48));
            (f.0.unwrap(), f.1.unwrap(), f.2.unwrap(), f.3.unwrap())
        })
        .collect()
}

#[test]
fn provisioned_contexts_are_the_stored_profiles() {
    let mut m = mbim_modem();
    let r = exchange(
        &mut m,
        &command(2, PROVISIONED_CONTEXTS, false, vec![]),
        t(1),
    );
    let (status, info) = done(&r, 2);
    assert_eq!(status, Status::SUCCESS);
    let internet = (1, "internet".to_string(), String::new(), 0);
    assert_eq!(provisioned(&info), vec![internet.clone()]);

    // Appended: the lowest free slot, which QMI and AT then see as profile 2.
    let set = provision(u32::MAX, Uuid::CONTEXT_INTERNET, "iot.example", "u", 1);
    let r = exchange(&mut m, &command(3, PROVISIONED_CONTEXTS, true, set), t(1));
    let (status, info) = done(&r, 3);
    assert_eq!(status, Status::SUCCESS);
    let iot = (2, "iot.example".to_string(), "u".to_string(), 1);
    assert_eq!(provisioned(&info), vec![internet, iot]);
    let p = m.device().pdp_profiles.get(2).unwrap();
    assert_eq!(
        (p.password.as_str(), p.auth.pap, p.auth.chap),
        ("secret", true, false)
    );
    m.handle_serial(vmodem_core::SerialPort::At, b"AT+CGDCONT?\r", t(2));
    let out = String::from_utf8(m.poll_serial(vmodem_core::SerialPort::At).unwrap()).unwrap();
    assert!(out.contains("+CGDCONT: 2,\"IP\",\"iot.example\""), "{out}");

    // Context 1 rewritten keeps the PDP type MBIM cannot name.
    let set = provision(1, Uuid::CONTEXT_INTERNET, "other", "", 2);
    let r = exchange(&mut m, &command(4, PROVISIONED_CONTEXTS, true, set), t(3));
    assert_eq!(done(&r, 4).0, Status::SUCCESS);
    let p = m.device().pdp_profiles.get(1).unwrap();
    assert_eq!((p.apn.as_str(), p.auth.chap), ("other", true));
    assert_eq!(p.pdp_type, vmodem_core::model::PdpType::Ipv4v6);

    let long = "a".repeat(101);
    let other_type = Uuid::QMI;
    let cases: Vec<(&str, Vec<u8>, Status)> = vec![
        (
            "APN too long",
            provision(3, Uuid::CONTEXT_INTERNET, &long, "", 0),
            Status::INVALID_ACCESS_STRING,
        ),
        (
            "user name too long",
            provision(3, Uuid::CONTEXT_INTERNET, "a", &long[..1].repeat(128), 0),
            Status::INVALID_USER_NAME_PWD,
        ),
        (
            "a context type the firmware does not store",
            provision(3, other_type, "a", "", 0),
            Status::INVALID_PARAMETERS,
        ),
        (
            "ContextId beyond the 16 slots",
            provision(17, Uuid::CONTEXT_INTERNET, "a", "", 0),
            Status::INVALID_PARAMETERS,
        ),
        (
            "unknown AuthProtocol",
            provision(3, Uuid::CONTEXT_INTERNET, "a", "", 9),
            Status::INVALID_PARAMETERS,
        ),
        (
            "truncated buffer",
            provision(3, Uuid::CONTEXT_INTERNET, "a", "", 0)[..30].to_vec(),
            Status::INVALID_PARAMETERS,
        ),
    ];
    for (i, (what, set, want)) in cases.into_iter().enumerate() {
        let txn = 10 + i as u32;
        let r = exchange(&mut m, &command(txn, PROVISIONED_CONTEXTS, true, set), t(5));
        assert_eq!(done(&r, txn).0, want, "{what}");
    }
    assert_eq!(m.device().pdp_profiles.list().len(), 2, "nothing stored");

    // Sixteen slots, then the store is full.
    for txn in 20..34 {
        let set = provision(u32::MAX, Uuid::CONTEXT_INTERNET, "a", "", 0);
        let r = exchange(&mut m, &command(txn, PROVISIONED_CONTEXTS, true, set), t(6));
        assert_eq!(done(&r, txn).0, Status::SUCCESS);
    }
    let set = provision(u32::MAX, Uuid::CONTEXT_INTERNET, "a", "", 0);
    let r = exchange(&mut m, &command(40, PROVISIONED_CONTEXTS, true, set), t(7));
    assert_eq!(done(&r, 40).0, Status::WRITE_FAILURE);
}
