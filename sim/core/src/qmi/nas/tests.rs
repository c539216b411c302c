//! NAS through the whole engine: requests in, responses and indications out.

use super::*;
use crate::model::{mode_pref, OperatingMode, Profile, RegState};
use crate::time::Instant;
use crate::wire::qmi::{Message, MessageKind};
use crate::wire::tlv::Tlv;
use crate::wire::ProtocolError;

/// The shared host rig, with NAS helpers.
struct Bench(crate::qmi::tests::Host);

impl std::ops::Deref for Bench {
    type Target = crate::qmi::tests::Host;
    fn deref(&self) -> &crate::qmi::tests::Host {
        &self.0
    }
}

impl std::ops::DerefMut for Bench {
    fn deref_mut(&mut self) -> &mut crate::qmi::tests::Host {
        &mut self.0
    }
}

impl Bench {
    fn new() -> Bench {
        Bench(crate::qmi::tests::Host::new(Profile::default(), 3))
    }
    fn client(&mut self) -> u8 {
        self.0.client(ServiceId::Nas)
    }
    /// A request's response; indications it caused are returned too.
    fn call(&mut self, client: u8, id: u16, tlvs: Vec<Tlv>) -> (Message, Vec<Message>) {
        let mut out = self.send(ServiceId::Nas, client, id, tlvs);
        let i = out
            .iter()
            .position(|m| m.kind == MessageKind::Response)
            .unwrap();
        let resp = out.remove(i);
        (resp, out)
    }
    fn ok(&mut self, client: u8, id: u16, tlvs: Vec<Tlv>) -> Message {
        let (r, _) = self.call(client, id, tlvs);
        assert_eq!(r.result(), Some((0, 0)), "{id:#x}: {r:?}");
        r
    }
    fn err(&mut self, client: u8, id: u16, tlvs: Vec<Tlv>) -> u16 {
        let (r, _) = self.call(client, id, tlvs);
        let (status, e) = r.result().unwrap();
        assert_eq!(status, 1, "{id:#x} should fail");
        e
    }
    /// Advances time, returning the indications that came out.
    fn wait(&mut self, ms: u64) -> Vec<Message> {
        let end = self.now + ms;
        while self.now < end {
            self.now = (self.now + 100).min(end);
            let now = Instant::from_millis(self.now);
            self.m.handle_timeout(now);
        }
        self.drain()
    }
    fn unlock(&mut self) {
        let now = Instant::from_millis(self.now);
        self.m
            .device_mut()
            .with_sim(now, |s| s.verify_pin("1234"))
            .unwrap();
    }
    fn registered(&mut self) -> u8 {
        let c = self.client();
        self.unlock();
        self.wait(2000);
        assert!(self.m.device().registration.is_registered());
        c
    }
}

fn ind(ms: &[Message], id: u16) -> Vec<&Message> {
    ms.iter()
        .filter(|m| m.kind == MessageKind::Indication && m.id.0 == id)
        .collect()
}

#[test]
fn serving_system_follows_registration() {
    let mut b = Bench::new();
    let c = b.client();
    let r = b.ok(c, GET_SERVING_SYSTEM, vec![]);
    assert_eq!(r.tlv(0x01).unwrap(), &[0, 2, 2, 0, 0]);
    assert!(r.tlv(0x12).is_none());
    b.unlock();
    let r = b.ok(c, GET_SERVING_SYSTEM, vec![]);
    assert_eq!(r.tlv(0x01).unwrap(), &[2, 2, 2, 2, 1, 8]);
    b.wait(2000);
    let r = b.ok(c, GET_SERVING_SYSTEM, vec![]);
    assert_eq!(r.tlv(0x01).unwrap(), &[1, 1, 1, 2, 1, 8]);
    assert_eq!(r.tlv(0x10).unwrap(), &[1], "home network: roaming off");
    assert_eq!(r.tlv(0x11).unwrap(), &[1, 0x0B]);
    let plmn = r.tlv(0x12).unwrap();
    assert_eq!(&plmn[..4], &[1, 0, 1, 0]);
    assert_eq!(&plmn[5..], b"vmodem");
    assert_eq!(r.tlv(0x24).unwrap(), &0x2A1Fu16.to_le_bytes());
    assert_eq!(r.tlv(0x1D).unwrap(), &0x01A2D101u32.to_le_bytes());
}

#[test]
fn system_info_lte_layout() {
    let mut b = Bench::new();
    let c = b.registered();
    let r = b.ok(c, GET_SYSTEM_INFO, vec![]);
    assert_eq!(r.tlv(0x14).unwrap(), &[2, 2, 0]);
    assert_eq!(r.tlv(0x13).unwrap(), &[0, 0, 0]);
    let lte = r.tlv(0x19).unwrap();
    assert_eq!(lte.len(), 29);
    assert_eq!(&lte[..8], &[1, 3, 1, 3, 1, 0, 1, 0]);
    assert_eq!(&lte[20..26], b"00101\xFF");
    assert_eq!(&lte[26..], &[1, 0x1F, 0x2A]);
    assert_eq!(r.tlv(0x27).unwrap(), &[1, 0, 0, 0]);
}

#[test]
fn low_power_drops_registration_and_indicates() {
    let mut b = Bench::new();
    let c = b.registered();
    let now = Instant::from_millis(b.now);
    b.m.device_mut()
        .set_operating_mode(OperatingMode::LowPower, now)
        .unwrap();
    // Model changes reach clients at the next engine step.
    let out = b.wait(100);
    let s = ind(&out, SERVING_SYSTEM_IND);
    assert_eq!(s.len(), 1, "one serving system indication: {out:?}");
    assert_eq!(s[0].tlv(0x01).unwrap(), &[0, 2, 2, 0, 0]);
    let i = ind(&out, SYSTEM_INFO_IND);
    assert_eq!(i.len(), 1);
    assert!(i[0].tlv(0x19).is_none());
    assert_eq!(
        b.err(c, GET_SIGNAL_STRENGTH, vec![]),
        ProtocolError::InformationUnavailable.0
    );
    assert_eq!(b.err(c, NETWORK_SCAN, vec![]), ProtocolError::NoRadio.0);
}

#[test]
fn indications_only_to_subscribers() {
    let mut b = Bench::new();
    let quiet = b.client();
    let loud = b.client();
    // MM's enable: system info on, serving system off.
    b.ok(
        quiet,
        REGISTER_INDICATIONS,
        vec![Tlv::new(0x13, [0]), Tlv::new(0x18, [0])],
    );
    b.ok(loud, REGISTER_INDICATIONS, vec![Tlv::new(0x19, [1])]);
    // RSRP thresholds every dB from -99 to -85 dBm.
    let mut rsrp = vec![15u8];
    (-99i16..=-85).for_each(|t| rsrp.extend_from_slice(&t.to_le_bytes()));
    b.ok(loud, CONFIG_SIGNAL_INFO, vec![Tlv::new(0x16, rsrp)]);
    b.unlock();
    let out = b.wait(30_000);
    assert!(out.iter().all(|m| m.client == loud), "{out:?}");
    assert!(!ind(&out, SYSTEM_INFO_IND).is_empty());
    let sig = ind(&out, SIGNAL_INFO_IND);
    assert!(
        sig.len() >= 2,
        "signal info on registration and on crossings: {sig:?}"
    );
    assert_eq!(sig[0].tlv(0x14).unwrap().len(), 6);
}

#[test]
fn event_report_on_rssi_delta() {
    let mut b = Bench::new();
    let c = b.registered();
    b.ok(c, SET_EVENT_REPORT, vec![Tlv::new(0x13, [1, 1])]);
    let out = b.wait(10_000);
    let ev = ind(&out, EVENT_REPORT_IND);
    assert!(!ev.is_empty());
    assert_eq!(ev[0].tlv(0x13).unwrap()[1], radio_if::LTE);
}

#[test]
fn signal_info_and_strength_values() {
    let mut b = Bench::new();
    let c = b.registered();
    let r = b.ok(c, GET_SIGNAL_INFO, vec![]);
    let s = b.m.device().signal.clone();
    let mut want = vec![s.rssi_dbm as u8, s.rsrq_db as u8];
    want.extend_from_slice(&s.rsrp_dbm.to_le_bytes());
    want.extend_from_slice(&s.snr_tenth_db.to_le_bytes());
    assert_eq!(r.tlv(0x14).unwrap(), &want[..]);
    let r = b.ok(
        c,
        GET_SIGNAL_STRENGTH,
        vec![Tlv::new(0x10, 0xEFu16.to_le_bytes())],
    );
    assert_eq!(r.tlv(0x01).unwrap(), &[s.rssi_dbm as u8, 8]);
    assert!(r.tlv(0x18).is_some() && r.tlv(0x16).is_some());
}

#[test]
fn ssp_umts_only_reregisters_on_umts() {
    let mut b = Bench::new();
    let c = b.registered();
    let r = b.ok(c, GET_SYSTEM_SELECTION_PREFERENCE, vec![]);
    assert_eq!(r.tlv(0x11).unwrap(), &mode_pref::DEFAULT.to_le_bytes());
    assert!(r.tlv(0x12).is_some() && r.tlv(0x15).is_some());
    b.ok(
        c,
        SET_SYSTEM_SELECTION_PREFERENCE,
        vec![
            Tlv::new(0x11, mode_pref::UMTS.to_le_bytes()),
            Tlv::new(0x17, [1]),
            Tlv::new(0x1E, [1, 5]),
        ],
    );
    assert_eq!(b.m.device().registration.state, RegState::Searching);
    b.wait(2000);
    let r = b.ok(c, GET_SERVING_SYSTEM, vec![]);
    assert_eq!(r.tlv(0x01).unwrap(), &[1, 1, 1, 2, 1, 5]);
    let r = b.ok(c, GET_SYSTEM_INFO, vec![]);
    assert_eq!(r.tlv(0x18).unwrap().len(), 33);
    let r = b.ok(c, GET_TECHNOLOGY_PREFERENCE, vec![]);
    assert_eq!(r.tlv(0x01).unwrap(), &[0x0A, 0, 0]);
    // CDMA-only is nothing this modem can do.
    let e = b.err(
        c,
        SET_SYSTEM_SELECTION_PREFERENCE,
        vec![Tlv::new(0x11, [3, 0])],
    );
    assert_eq!(e, ProtocolError::InvalidArgument.0);
}

#[test]
fn manual_selection_of_a_foreign_plmn_loses_service() {
    let mut b = Bench::new();
    let c = b.registered();
    let e = b.err(c, INITIATE_NETWORK_REGISTER, vec![Tlv::new(0x01, [1])]);
    assert_eq!(e, ProtocolError::NoEffect.0);
    let e = b.err(c, INITIATE_NETWORK_REGISTER, vec![Tlv::new(0x01, [2])]);
    assert_eq!(e, ProtocolError::MissingArgument.0);
    b.ok(
        c,
        SET_SYSTEM_SELECTION_PREFERENCE,
        vec![Tlv::new(0x16, [1, 0x36, 0x01, 0x0A, 0x00])], // 310/10
    );
    assert_eq!(b.m.device().registration.state, RegState::NotRegistered);
    let r = b.ok(c, GET_SYSTEM_SELECTION_PREFERENCE, vec![]);
    assert_eq!(r.tlv(0x16).unwrap(), &[1]);
    b.ok(c, INITIATE_NETWORK_REGISTER, vec![Tlv::new(0x01, [1])]);
    b.wait(2000);
    assert!(b.m.device().registration.is_registered());
}

#[test]
fn attach_detach_and_no_effect() {
    let mut b = Bench::new();
    let c = b.registered();
    assert_eq!(
        b.err(c, ATTACH_DETACH, vec![Tlv::new(0x10, [1])]),
        ProtocolError::NoEffect.0
    );
    assert_eq!(
        b.err(c, ATTACH_DETACH, vec![]),
        ProtocolError::MissingArgument.0
    );
    let (_, out) = b.call(c, ATTACH_DETACH, vec![Tlv::new(0x10, [2])]);
    let s = ind(&out, SERVING_SYSTEM_IND);
    assert_eq!(s[0].tlv(0x01).unwrap()[2], 2, "PS detached");
}

#[test]
fn home_network_plmn_name_and_preferred_networks() {
    let mut b = Bench::new();
    let c = b.client();
    assert_eq!(
        b.err(c, GET_HOME_NETWORK, vec![]),
        ProtocolError::DeviceNotReady.0
    );
    b.unlock();
    let r = b.ok(c, GET_HOME_NETWORK, vec![]);
    assert_eq!(r.tlv(0x01).unwrap(), b"\x01\x00\x01\x00\x06vmodem");
    let r = b.ok(c, GET_PLMN_NAME, vec![Tlv::new(0x01, [1, 0, 1, 0])]);
    let eons = r.tlv(0x10).unwrap();
    assert_eq!(&eons[..8], b"\x01\x06vmodem");
    assert_eq!(
        b.err(c, GET_PLMN_NAME, vec![]),
        ProtocolError::MissingArgument.0
    );
    assert_eq!(
        b.err(c, GET_PLMN_NAME, vec![Tlv::new(0x01, [1, 0, 1])]),
        ProtocolError::MalformedMessage.0
    );
    b.ok(
        c,
        SET_PREFERRED_NETWORKS,
        vec![
            Tlv::new(0x10, [1, 0, 0xF6, 0, 0x0A, 0, 0x00, 0x40]),
            Tlv::new(0x12, [1]),
        ],
    );
    let r = b.ok(c, GET_PREFERRED_NETWORKS, vec![]);
    assert_eq!(r.tlv(0x10).unwrap(), &[1, 0, 0xF6, 0, 0x0A, 0, 0x00, 0x40]);
}

#[test]
fn unsupported_messages_and_cell_details() {
    let mut b = Bench::new();
    let c = b.registered();
    for id in [0x006C, 0x0089, 0x00AC] {
        assert_eq!(b.err(c, id, vec![]), ProtocolError::InvalidQmiCommand.0);
    }
    let r = b.ok(c, GET_RF_BAND_INFO, vec![]);
    assert_eq!(r.tlv(0x01).unwrap(), &[1, 8, 122, 0, 0x14, 0x05]);
    let r = b.ok(c, GET_CELL_LOCATION_INFO, vec![]);
    assert_eq!(&r.tlv(0x13).unwrap()[1..4], &[0x00, 0xF1, 0x10]);
    assert_eq!(
        b.err(c, GET_TX_RX_INFO, vec![Tlv::new(0x01, [5])]),
        ProtocolError::InformationUnavailable.0
    );
    let r = b.ok(c, GET_TX_RX_INFO, vec![Tlv::new(0x01, [8])]);
    assert_eq!(r.tlv(0x10).unwrap()[0], 1);
    let r = b.ok(c, SWI_GET_STATUS, vec![]);
    assert_eq!(&r.tlv(0x01).unwrap()[1..], &[5, 9, 0, 0]);
    let r = b.ok(c, NETWORK_SCAN, vec![]);
    let nets = r.tlv(0x10).unwrap();
    assert_eq!(u16::from_le_bytes([nets[0], nets[1]]), 2);
    assert_eq!(nets[6], 0x01 | 0x04 | 0x20 | 0x80);
}

#[test]
fn nitz_at_registration_gives_network_time() {
    let mut b = Bench::new();
    let c = b.client();
    let _quiet = b.client();
    b.ok(c, REGISTER_INDICATIONS, vec![Tlv::new(0x17, [1])]);
    assert_eq!(
        b.err(c, GET_NETWORK_TIME, vec![]),
        74,
        "no NITZ before registration"
    );
    b.unlock();
    let out = b.wait(2000);
    let ind = ind(&out, NETWORK_TIME_IND);
    assert_eq!(ind.len(), 1, "one client asked, one did not");
    assert_eq!(ind[0].client, c);
    // Registered at 1.5 s: 2025-01-01 00:00:01 UTC, a Wednesday (2), zone
    // 0, no DST, LTE (8).
    assert_eq!(ind[0].tlv(0x01).unwrap(), &[0xE9, 0x07, 1, 1, 0, 0, 1, 2]);
    assert_eq!(ind[0].tlv(0x10).unwrap(), &[0]);
    assert_eq!(ind[0].tlv(0x11).unwrap(), &[0]);
    assert_eq!(ind[0].tlv(0x12).unwrap(), &[8]);
    b.wait(61_000);
    let r = b.ok(c, GET_NETWORK_TIME, vec![]);
    assert!(r.tlv(0x10).is_none(), "no 3GPP2 time on an EM7305");
    assert_eq!(
        r.tlv(0x11).unwrap(),
        &[0xE9, 0x07, 1, 1, 0, 1, 3, 2, 0, 0, 8],
        "the clock advanced with simulated time"
    );
}

#[test]
fn network_time_reports_the_profiles_zone() {
    let mut p = Profile::default();
    p.time.utc_offset_minutes = -150;
    p.time.dst_hours = 1;
    let mut b = Bench(crate::qmi::tests::Host::new(p, 3));
    let c = b.registered();
    let r = b.ok(c, GET_NETWORK_TIME, vec![]);
    let v = r.tlv(0x11).unwrap();
    assert_eq!(&v[8..], &[(-10i8) as u8, 1, 8]);
}
