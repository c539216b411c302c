use super::*;
use crate::model::{OperatingMode, Profile, SimState};
use crate::qmi::{Failure, Tlvs};
use crate::time::Instant;
use crate::wire::qmi::{Message, MessageKind};
use crate::wire::qmux::Sender;
use crate::wire::tlv::Tlv;
use crate::wire::MessageId;
use crate::Modem;

const CLIENT: u8 = 1;
/// PIN2 as the DMS reports it: not initialised, as UIM card status says.
const PIN2_FOR_TESTS: [u8; 3] = [0, 0, 0];

struct Bench {
    dms: Dms,
    dev: Device,
    now: Instant,
}

impl Bench {
    fn new() -> Bench {
        Bench {
            dms: Dms::default(),
            dev: Device::new(Profile::default(), 1, Instant::ZERO),
            now: Instant::ZERO,
        }
    }
    fn call(&mut self, id: u16, tlvs: &[(u8, &[u8])]) -> Reply {
        let msg = Message {
            sender: Sender::Host,
            service: ServiceId::Dms,
            client: CLIENT,
            kind: MessageKind::Request,
            txn: 1,
            id: MessageId(id),
            tlvs: tlvs.iter().map(|(t, v)| Tlv::new(*t, v.to_vec())).collect(),
        };
        let mut ctx = Ctx {
            dev: &mut self.dev,
            now: self.now,
            client: CLIENT,
        };
        self.dms.handle(&Req::new(&msg), &mut ctx)
    }
    fn ok(&mut self, id: u16, tlvs: &[(u8, &[u8])]) -> Tlvs {
        self.call(id, tlvs)
            .unwrap_or_else(|e| panic!("0x{id:04x} failed: {e:?}"))
    }
    fn err(&mut self, id: u16, tlvs: &[(u8, &[u8])]) -> Failure {
        self.call(id, tlvs).expect_err("should fail")
    }
}

/// Verify/Change/... TLV 0x01: PIN id then length-prefixed codes.
fn pin_tlv(id: u8, codes: &[&str]) -> Vec<u8> {
    let mut v = vec![id];
    for c in codes {
        v.push(c.len() as u8);
        v.extend_from_slice(c.as_bytes());
    }
    v
}

#[test]
fn identity_comes_from_the_profile() {
    let mut b = Bench::new();
    let p = Profile::default();
    assert_eq!(
        b.ok(GET_MANUFACTURER, &[]).get(0x01),
        Some(p.identity.manufacturer.as_bytes())
    );
    assert_eq!(
        b.ok(GET_HARDWARE_REVISION, &[]).get(0x01),
        Some(p.identity.hardware_revision.as_bytes())
    );
    let ids = b.ok(GET_IDS, &[]);
    assert_eq!(ids.get(0x11), Some(p.identity.imei.as_bytes()));
    assert_eq!(ids.get(0x10), Some(&b"0"[..]));
    assert_eq!(ids.get(0x12), None, "no MEID on a non-CDMA unit");
    assert_eq!(b.ok(GET_FACTORY_SKU, &[]).get(0x01), Some(&b"1102076"[..]));
    let fw = b.ok(SWI_GET_CURRENT_FIRMWARE, &[]);
    assert_eq!(fw.get(0x10), Some(&b"EM7305\0"[..]));
    assert_eq!(fw.get(0x18), Some(&b"005.025_002\0"[..]));
    assert_eq!(fw.get(0x14), None);
}

#[test]
fn capabilities_have_no_cdma() {
    let mut b = Bench::new();
    let caps = b.ok(GET_CAPABILITIES, &[]);
    let v = caps.get(0x01).unwrap();
    assert_eq!(&v[8..], &[3, 2, 3, 4, 5, 8]);
    let bands = b.ok(GET_BAND_CAPABILITIES, &[]);
    assert_eq!(bands.get(0x10), Some(&0x800C5u64.to_le_bytes()[..]));
    assert_eq!(
        bands.get(0x01),
        Some(&0x0002_0000_04E8_0380u64.to_le_bytes()[..])
    );
    assert_eq!(
        b.err(ACTIVATE_AUTOMATIC, &[(0x01, b"\x03abc")]).error,
        DEVICE_UNSUPPORTED
    );
    assert_eq!(
        b.err(ACTIVATE_AUTOMATIC, &[]).error,
        ProtocolError::MissingArgument
    );
    assert_eq!(
        b.err(GET_PRL_VERSION, &[]).error,
        ProtocolError::NotProvisioned
    );
    assert_eq!(b.ok(GET_ACTIVATION_STATE, &[]).get(0x01), Some(&[0, 0][..]));
}

#[test]
fn wrong_pin_spends_a_try_and_reports_retries() {
    let mut b = Bench::new();
    let st = b.ok(UIM_GET_PIN_STATUS, &[]);
    assert_eq!(st.get(0x11), Some(&[1, 3, 10][..]));
    assert_eq!(st.get(0x12), Some(&PIN2_FOR_TESTS[..]));
    let f = b.err(UIM_VERIFY_PIN, &[(0x01, &pin_tlv(1, &["0000"]))]);
    assert_eq!(f.error, ProtocolError::IncorrectPin);
    assert_eq!(f.tlvs.get(0x10), Some(&[2, 10][..]));
    assert_eq!(
        b.ok(UIM_GET_PIN_STATUS, &[]).get(0x11),
        Some(&[1, 2, 10][..])
    );
    b.ok(UIM_VERIFY_PIN, &[(0x01, &pin_tlv(1, &["1234"]))]);
    assert_eq!(
        b.ok(UIM_GET_PIN_STATUS, &[]).get(0x11),
        Some(&[2, 3, 10][..])
    );
    assert_eq!(
        b.ok(UIM_GET_IMSI, &[]).get(0x01),
        Some(&b"001010123456789"[..])
    );
}

#[test]
fn pin_exhaustion_blocks_then_puk_unblocks() {
    let mut b = Bench::new();
    assert_eq!(
        b.err(UIM_GET_IMSI, &[]).error,
        ProtocolError::UimUninitialized
    );
    assert_eq!(
        b.ok(UIM_GET_ICCID, &[]).get(0x01),
        Some(&b"89490200001234567892"[..])
    );
    assert_eq!(b.ok(UIM_GET_STATE, &[]).get(0x01), Some(&[1][..]));
    for _ in 0..2 {
        b.err(UIM_VERIFY_PIN, &[(0x01, &pin_tlv(1, &["0000"]))]);
    }
    let f = b.err(UIM_VERIFY_PIN, &[(0x01, &pin_tlv(1, &["0000"]))]);
    assert_eq!(f.error, ProtocolError::PinBlocked);
    assert_eq!(f.tlvs.get(0x10), Some(&[0, 10][..]));
    assert_eq!(
        b.ok(UIM_GET_PIN_STATUS, &[]).get(0x11),
        Some(&[4, 0, 10][..])
    );
    let f = b.err(UIM_VERIFY_PIN, &[(0x01, &pin_tlv(1, &["1234"]))]);
    assert_eq!(f.error, ProtocolError::PinBlocked);
    let f = b.err(
        UIM_UNBLOCK_PIN,
        &[(0x01, &pin_tlv(1, &["00000000", "4321"]))],
    );
    assert_eq!(f.error, ProtocolError::IncorrectPin);
    assert_eq!(f.tlvs.get(0x10), Some(&[0, 9][..]));
    b.ok(
        UIM_UNBLOCK_PIN,
        &[(0x01, &pin_tlv(1, &["12345678", "4321"]))],
    );
    assert_eq!(b.dev.sim.state, SimState::Ready);
    assert_eq!(b.ok(UIM_GET_STATE, &[]).get(0x01), Some(&[0][..]));
}

#[test]
fn change_and_protection_need_the_pin() {
    let mut b = Bench::new();
    assert_eq!(
        b.err(UIM_CHANGE_PIN, &[(0x01, &pin_tlv(1, &["1234", "5678"]))])
            .error,
        ProtocolError::AccessDenied
    );
    b.ok(UIM_VERIFY_PIN, &[(0x01, &pin_tlv(1, &["1234"]))]);
    b.ok(UIM_CHANGE_PIN, &[(0x01, &pin_tlv(1, &["1234", "5678"]))]);
    let f = b.err(
        UIM_SET_PIN_PROTECTION,
        &[(0x01, &[1, 0, 4, b'1', b'2', b'3', b'4'])],
    );
    assert_eq!(f.error, ProtocolError::IncorrectPin);
    b.ok(
        UIM_SET_PIN_PROTECTION,
        &[(0x01, &[1, 0, 4, b'5', b'6', b'7', b'8'])],
    );
    assert_eq!(
        b.ok(UIM_GET_PIN_STATUS, &[]).get(0x11),
        Some(&[3, 3, 10][..])
    );
    // Nothing to verify with the PIN disabled.
    assert_eq!(
        b.err(UIM_VERIFY_PIN, &[(0x01, &pin_tlv(1, &["5678"]))])
            .error,
        ProtocolError::NoEffect
    );
}

#[test]
fn pin_requests_are_parsed_strictly() {
    let mut b = Bench::new();
    assert_eq!(
        b.err(UIM_VERIFY_PIN, &[]).error,
        ProtocolError::MissingArgument
    );
    assert_eq!(
        b.err(UIM_VERIFY_PIN, &[(0x01, &[1, 9, b'1'])]).error,
        ProtocolError::MalformedMessage
    );
    assert_eq!(
        b.err(UIM_VERIFY_PIN, &[(0x01, &pin_tlv(2, &["1234"]))])
            .error,
        ProtocolError::InvalidPinId
    );
    assert_eq!(
        b.err(UIM_VERIFY_PIN, &[(0x01, &pin_tlv(1, &["12ab"]))])
            .error,
        ProtocolError::InvalidArgument
    );
    assert_eq!(b.dev.sim.pin_retries, 3, "a malformed code spends no try");
    assert_eq!(
        b.err(UIM_GET_CK_STATUS, &[(0x01, &[9])]).error,
        ProtocolError::InvalidArgument
    );
    assert_eq!(
        b.ok(UIM_GET_CK_STATUS, &[(0x01, &[4])]).get(0x01),
        Some(&[0, 3, 10][..])
    );
}

#[test]
fn absent_sim_is_uninitialised() {
    let mut b = Bench::new();
    b.dev.sim.remove();
    for id in [UIM_GET_PIN_STATUS, UIM_GET_ICCID, GET_MSISDN] {
        assert_eq!(b.err(id, &[]).error, ProtocolError::UimUninitialized);
    }
}

#[test]
fn operating_mode_follows_the_model() {
    let mut b = Bench::new();
    assert_eq!(b.ok(GET_OPERATING_MODE, &[]).get(0x01), Some(&[0][..]));
    b.ok(SET_OPERATING_MODE, &[(0x01, &[1])]);
    assert_eq!(b.dev.mode, OperatingMode::LowPower);
    b.ok(SET_OPERATING_MODE, &[(0x01, &[3])]);
    let r = b.ok(GET_OPERATING_MODE, &[]);
    assert_eq!(
        (r.get(0x01), r.get(0x10)),
        (Some(&[3][..]), Some(&[0, 0][..]))
    );
    assert_eq!(
        b.err(SET_OPERATING_MODE, &[(0x01, &[0])]).error,
        ProtocolError::InvalidTransition
    );
    assert_eq!(
        b.err(SET_OPERATING_MODE, &[(0x01, &[0x42])]).error,
        ProtocolError::InvalidArgument
    );
    assert_eq!(
        b.err(SET_OPERATING_MODE, &[(0x01, &[])]).error,
        ProtocolError::MalformedMessage
    );
    b.ok(SET_OPERATING_MODE, &[(0x01, &[4])]);
    assert!(b.dev.reset_requested);
}

#[test]
fn usb_composition_changes_at_reset() {
    let mut b = Bench::new();
    let r = b.ok(SWI_GET_USB_COMPOSITION, &[]);
    // The factory setting of a 9x15 unit: dual, 6 and 9.
    assert_eq!(r.get(0x10), Some(&[14][..]));
    assert_eq!(r.get(0x11), Some(&[8, 6, 7, 8, 9, 10, 11, 12, 14][..]));
    assert_eq!(
        b.err(SWI_SET_USB_COMPOSITION, &[(0x01, &[13])]).error,
        ProtocolError::InvalidArgument
    );
    b.ok(SWI_SET_USB_COMPOSITION, &[(0x01, &[8])]);
    assert_eq!(
        b.ok(SWI_GET_USB_COMPOSITION, &[]).get(0x10),
        Some(&[14][..])
    );
    b.dev.reboot(Instant::from_millis(10));
    assert_eq!(b.ok(SWI_GET_USB_COMPOSITION, &[]).get(0x10), Some(&[8][..]));
}

#[test]
fn factory_reset_needs_the_spc() {
    let mut b = Bench::new();
    assert_eq!(
        b.err(RESTORE_FACTORY_DEFAULTS, &[(0x01, b"123456")]).error,
        AUTHENTICATION_FAILED
    );
    assert_eq!(
        b.err(RESTORE_FACTORY_DEFAULTS, &[(0x01, b"12345")]).error,
        ProtocolError::MalformedMessage
    );
    b.dev.mode_pref = crate::model::mode_pref::UMTS;
    b.ok(RESTORE_FACTORY_DEFAULTS, &[(0x01, b"000000")]);
    assert_eq!(b.dev.mode_pref, crate::model::mode_pref::DEFAULT);
    b.ok(VALIDATE_SPC, &[(0x01, b"000000")]);
}

#[test]
fn stored_images_pair_up_and_preference_matches() {
    let mut b = Bench::new();
    let list = b.ok(LIST_STORED_IMAGES, &[]);
    let v = list.get(0x01).unwrap();
    assert_eq!(&v[..4], &[2, 0, 4, 0]);
    let modem_build = b"05.05.58.00_?";
    assert!(v.windows(modem_build.len()).any(|w| w == modem_build));
    let pri_build = b"05.05.58.00_GENERIC";
    assert!(v.windows(pri_build.len()).any(|w| w == pri_build));
    let pref = b.ok(GET_FIRMWARE_PREFERENCE, &[]);
    assert_eq!(pref.get(0x01).unwrap()[0], 2);

    // What ModemManager sends to select the running firmware.
    let mm_id = "05.05.58.00_GENERIC_005.025_002";
    let mut req = vec![2u8];
    for (ty, uid) in [(0u8, "?_?"), (1, "005.025_002")] {
        req.push(ty);
        let mut u = [0u8; 16];
        u[..uid.len()].copy_from_slice(uid.as_bytes());
        req.extend_from_slice(&u);
        req.push(mm_id.len() as u8);
        req.extend_from_slice(mm_id.as_bytes());
    }
    let r = b.ok(SET_FIRMWARE_PREFERENCE, &[(0x01, &req)]);
    assert_eq!(r.get(0x01), Some(&[0][..]), "nothing to download");
    // A PRI that is not stored would have to be downloaded.
    let other = req.len() - mm_id.len() - 1 - 16;
    req[other] = b'9';
    let r = b.ok(SET_FIRMWARE_PREFERENCE, &[(0x01, &req)]);
    assert_eq!(r.get(0x01), Some(&[1, 1][..]));
}

#[test]
fn time_is_gps_time_of_the_network_clock() {
    let mut b = Bench::new();
    b.now = Instant::from_millis(5000);
    let t = b.ok(GET_TIME, &[]);
    let v = t.get(0x01).unwrap();
    assert_eq!(v.len(), 8);
    // The profile's 2025-01-01T00:00:00Z is 16,432 days after the GPS
    // epoch; GPS time is 18 s ahead of UTC; 5 s have passed.
    let ms: u64 = (16_432 * 86_400 + 18 + 5) * 1000;
    let mut count = [0u8; 8];
    count[..6].copy_from_slice(&v[..6]);
    assert_eq!(u64::from_le_bytes(count), ms * 4 / 5);
    assert_eq!(&v[6..], &[0, 0]);
    assert_eq!(t.get(0x10), Some(&ms.to_le_bytes()[..]));
}

#[test]
fn event_report_needs_an_item_and_reset_forgets_it() {
    let mut b = Bench::new();
    assert_eq!(
        b.err(SET_EVENT_REPORT, &[]).error,
        ProtocolError::MissingArgument
    );
    assert_eq!(
        b.err(SET_EVENT_REPORT, &[(0x14, &[])]).error,
        ProtocolError::MalformedMessage
    );
    b.ok(SET_EVENT_REPORT, &[(0x14, &[1])]);
    let mut out = Vec::new();
    let ev = DeviceEvent::OperatingMode(OperatingMode::LowPower);
    b.dms.indications(&ev, &b.dev, &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].tlvs.get(0x14), Some(&[1][..]));
    b.ok(RESET, &[]);
    out.clear();
    b.dms.indications(&ev, &b.dev, &mut out);
    assert!(out.is_empty());
}

// Through the whole engine: the response comes first, then the indication
// ModemManager waits for.
#[test]
fn mode_change_indicates_after_the_response() {
    let t0 = Instant::ZERO;
    let mut m = Modem::new(Profile::default(), 1, t0);
    let send = |m: &mut Modem, service, client, id: u16, tlvs: Vec<Tlv>| {
        let msg = Message {
            sender: Sender::Host,
            service,
            client,
            kind: MessageKind::Request,
            txn: 7,
            id: MessageId(id),
            tlvs,
        };
        m.handle_qmi(&msg.to_bytes(), t0);
        std::iter::from_fn(|| m.poll_qmi())
            .map(|f| Message::parse(&f).unwrap())
            .collect::<Vec<_>>()
    };
    let r = send(
        &mut m,
        ServiceId::Ctl,
        0,
        crate::qmi::ctl::ALLOCATE_CID,
        vec![Tlv::new(0x01, vec![ServiceId::Dms.0])],
    );
    let cid = r[0].tlv(0x01).unwrap()[1];
    let r = send(
        &mut m,
        ServiceId::Dms,
        cid,
        SET_EVENT_REPORT,
        vec![Tlv::new(0x14, vec![1]), Tlv::new(0x12, vec![1])],
    );
    assert_eq!(r[0].result(), Some((0, 0)));
    let r = send(
        &mut m,
        ServiceId::Dms,
        cid,
        SET_OPERATING_MODE,
        vec![Tlv::new(0x01, vec![1])],
    );
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].kind, MessageKind::Response);
    assert_eq!(r[1].kind, MessageKind::Indication);
    assert_eq!((r[1].client, r[1].id), (cid, MessageId(EVENT_REPORT)));
    assert_eq!(r[1].tlv(0x14), Some(&[1][..]));
    let r = send(
        &mut m,
        ServiceId::Dms,
        cid,
        UIM_VERIFY_PIN,
        vec![Tlv::new(0x01, pin_tlv(1, &["1234"]))],
    );
    assert_eq!(r[1].tlv(0x11), Some(&[2, 3, 10][..]));
    // Messages a 9x15 lacks get InvalidQmiCommand.
    for id in [0x004C, 0x004F, 0x0051, 0x005C, 0x003E, 0x555F] {
        let r = send(&mut m, ServiceId::Dms, cid, id, vec![]);
        assert_eq!(r[0].result(), Some((1, 71)), "0x{id:04x}");
    }
}
