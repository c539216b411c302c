//! WDS through the whole engine: requests in, responses and indications out.

use super::*;
use crate::model::profile::DEFAULT_PROFILE;
use crate::model::{OperatingMode, Profile};
use crate::time::Instant;
use crate::wire::qmi::{Message, MessageKind};
use crate::wire::tlv::Tlv;
use crate::Modem;

/// A host talking to one modem; time moves 10 ms per request.
struct Host {
    m: Modem,
    t: u64,
}

/// What one request brought back.
struct Answer {
    resp: Message,
    inds: Vec<Message>,
}

impl Answer {
    fn ok(&self) -> &Message {
        assert_eq!(self.resp.result(), Some((0, 0)), "{:?}", self.resp);
        &self.resp
    }
    fn err(&self) -> u16 {
        let (status, error) = self.resp.result().unwrap();
        assert_eq!(status, 1, "{:?}", self.resp);
        error
    }
    fn tlv(&self, ty: u8) -> &[u8] {
        self.resp
            .tlv(ty)
            .unwrap_or_else(|| panic!("no TLV {ty:#x} in {:?}", self.resp))
    }
    fn inds_to(&self, cid: u8, id: u16) -> Vec<&Message> {
        self.inds
            .iter()
            .filter(|m| m.client == cid && m.id.0 == id)
            .collect()
    }
}

fn u32_tlv(ty: u8, v: u32) -> Tlv {
    Tlv::new(ty, v.to_le_bytes())
}

fn apn(name: &str) -> Tlv {
    Tlv::new(0x14, name.as_bytes())
}

/// Get Current Settings with qmicli's mask.
fn settings_req() -> Vec<Tlv> {
    vec![u32_tlv(0x10, 0xE330)]
}

fn le(a: [u8; 4]) -> [u8; 4] {
    u32::from_be_bytes(a).to_le_bytes()
}

impl Host {
    fn with_profile(profile: Profile, unlock: bool) -> Host {
        let mut h = Host {
            m: Modem::new(profile, 7, Instant::ZERO),
            t: 0,
        };
        if unlock {
            h.m.device_mut()
                .with_sim(Instant::ZERO, |s| s.verify_pin("1234"))
                .unwrap();
            h.advance(5_000);
        }
        h
    }
    fn registered() -> Host {
        Host::with_profile(Profile::default(), true)
    }
    fn advance(&mut self, ms: u64) -> Vec<Message> {
        self.t += ms;
        self.m.handle_timeout(Instant::from_millis(self.t));
        self.drain()
    }
    fn drain(&mut self) -> Vec<Message> {
        let mut v = Vec::new();
        while let Some(f) = self.m.poll_qmi() {
            v.push(Message::parse(&f).unwrap());
        }
        v
    }
    fn send(&mut self, service: ServiceId, client: u8, id: u16, tlvs: Vec<Tlv>) -> Answer {
        let frame = Message::request(service, client, 1, id, tlvs).to_bytes();
        self.t += 10;
        self.m.handle_qmi(&frame, Instant::from_millis(self.t));
        let mut out = self.drain();
        let i = out
            .iter()
            .position(|m| m.kind == MessageKind::Response)
            .expect("a response");
        let resp = out.remove(i);
        Answer { resp, inds: out }
    }
    fn wds(&mut self, cid: u8, id: u16, tlvs: Vec<Tlv>) -> Answer {
        self.send(ServiceId::Wds, cid, id, tlvs)
    }
    fn alloc(&mut self) -> u8 {
        let a = self.send(
            ServiceId::Ctl,
            0,
            0x22,
            vec![Tlv::new(1, [ServiceId::Wds.0])],
        );
        a.ok();
        a.tlv(0x01)[1]
    }
    fn release(&mut self, cid: u8) -> Answer {
        let a = self.send(
            ServiceId::Ctl,
            0,
            0x23,
            vec![Tlv::new(1, [ServiceId::Wds.0, cid])],
        );
        a.ok();
        a
    }
    fn start(&mut self, cid: u8, tlvs: Vec<Tlv>) -> u32 {
        let a = self.wds(cid, START_NETWORK, tlvs);
        a.ok();
        let h = u32::from_le_bytes(a.tlv(0x01).try_into().unwrap());
        assert_eq!(a.inds_to(cid, PACKET_SERVICE_STATUS).len(), 1);
        h
    }
    fn status(&mut self, cid: u8) -> u8 {
        self.wds(cid, GET_PACKET_SERVICE_STATUS, vec![]).tlv(0x01)[0]
    }
}

#[test]
fn ipv4_call_settings_and_stop() {
    let mut h = Host::registered();
    let c = h.alloc();
    assert_eq!(h.status(c), DISCONNECTED_STATUS);
    assert_eq!(h.wds(c, GET_CURRENT_SETTINGS, settings_req()).err(), 15);
    // ModemManager's default request: APN and auth none.
    let handle = h.start(c, vec![apn("internet"), Tlv::new(0x16, [0])]);
    assert_ne!(handle, 0);
    assert_eq!(h.status(c), 2);
    let a = h.wds(c, GET_CURRENT_SETTINGS, settings_req());
    a.ok();
    assert_eq!(a.tlv(0x1E), le([10, 64, 0, 2]));
    assert_eq!(a.tlv(0x21), le([255, 255, 255, 0]));
    assert_eq!(a.tlv(0x20), le([10, 64, 0, 1]));
    assert_eq!(a.tlv(0x15), le([10, 64, 0, 53]));
    assert_eq!(a.tlv(0x16), le([10, 64, 0, 54]));
    assert_eq!(a.tlv(0x29), 1500u32.to_le_bytes());
    assert_eq!(a.tlv(0x2B), [4]);
    assert_eq!(a.tlv(0x2A), [0]);
    // Another client on the same port sees the call too.
    let other = h.alloc();
    assert_eq!(h.status(other), 2);
    // ...but cannot stop it.
    let stop = |hd: u32| vec![u32_tlv(0x01, hd)];
    assert_eq!(h.wds(other, STOP_NETWORK, stop(handle)).err(), 9);
    let a = h.wds(c, STOP_NETWORK, stop(handle));
    a.ok();
    let ind = a.inds_to(c, PACKET_SERVICE_STATUS);
    assert_eq!(ind[0].tlv(0x01), Some(&[1, 0][..]));
    assert_eq!(ind[0].tlv(0x10), Some(&2u16.to_le_bytes()[..]));
    assert_eq!(ind[0].tlv(0x11), Some(&[3, 0, 0xD0, 0x07][..]));
    assert_eq!(ind[0].tlv(0x12), Some(&[4][..]));
    assert!(h.m.device().bearers.is_empty());
    assert_eq!(h.status(c), 1);
    assert_eq!(h.wds(c, STOP_NETWORK, stop(handle)).err(), 26);
    assert_eq!(h.wds(c, STOP_NETWORK, stop(0x1234)).err(), 9);
}

const DISCONNECTED_STATUS: u8 = 1;

#[test]
fn refusals_carry_call_end_reasons() {
    let mut h = Host::registered();
    let c = h.alloc();
    let a = h.wds(c, START_NETWORK, vec![apn("nope")]);
    assert_eq!(a.err(), 14);
    assert_eq!(a.tlv(0x10), 1u16.to_le_bytes());
    assert_eq!(a.tlv(0x11), [6, 0, 27, 0]);
    let a = h.wds(c, START_NETWORK, vec![Tlv::new(0x31, [9])]);
    assert_eq!(a.err(), 14);
    assert_eq!(a.tlv(0x11), [2, 0, 235, 0]);
    // SIM still locked: no service.
    let mut locked = Host::with_profile(Profile::default(), false);
    let c = locked.alloc();
    let a = locked.wds(c, START_NETWORK, vec![apn("internet")]);
    assert_eq!(a.err(), 14);
    assert_eq!(a.tlv(0x10), 3u16.to_le_bytes());
    assert_eq!(a.tlv(0x11), [3, 0, 0xD1, 0x07]);
}

#[test]
fn ipv6_call_and_family_refused_by_network() {
    let mut h = Host::registered();
    let c = h.alloc();
    h.wds(c, SET_IP_FAMILY, vec![Tlv::new(0x01, [6])]).ok();
    h.start(c, vec![apn("internet")]);
    let a = h.wds(c, GET_CURRENT_SETTINGS, settings_req());
    let mut addr = "2001:db8:64::2"
        .parse::<std::net::Ipv6Addr>()
        .unwrap()
        .octets()
        .to_vec();
    addr.push(64);
    assert_eq!(a.tlv(0x25), addr);
    assert_eq!(a.tlv(0x2B), [6]);
    assert!(a.resp.tlv(0x1E).is_none());
    // A fresh client (IPv4 by default) sees no IPv4 call.
    let v4 = h.alloc();
    assert_eq!(h.wds(v4, GET_CURRENT_SETTINGS, settings_req()).err(), 15);

    // An APN without IPv6, in a dual-stack profile.
    let text = DEFAULT_PROFILE
        .replace("ipv6-address = \"2001:db8:64::2\"\n", "")
        .replace("ipv6-gateway = \"2001:db8:64::1\"\n", "");
    let mut h = Host::with_profile(Profile::from_toml(&text, "t").unwrap(), true);
    let c = h.alloc();
    let a = h.wds(c, START_NETWORK, vec![Tlv::new(0x19, [6])]);
    assert_eq!(a.tlv(0x11), [2, 0, 231, 0], "profile 1 is IPv4 only");
    h.wds(
        c,
        MODIFY_PROFILE,
        vec![Tlv::new(0x01, [0, 1]), Tlv::new(0x11, [3])],
    )
    .ok();
    let a = h.wds(c, START_NETWORK, vec![Tlv::new(0x19, [6])]);
    assert_eq!(a.tlv(0x11), [6, 0, 50, 0]);
}

#[test]
fn released_client_ends_its_call_unless_shared() {
    let mut h = Host::registered();
    let a = h.alloc();
    h.start(a, vec![apn("internet")]);
    h.release(a);
    assert!(h.m.device().bearers.is_empty());

    let a = h.alloc();
    let b = h.alloc();
    let handle = h.start(a, vec![apn("internet")]);
    assert_eq!(h.wds(b, START_NETWORK, vec![apn("internet")]).err(), 26);
    // A different PDN cannot share the port for the same family.
    let other = h.alloc();
    let r = h.wds(other, START_NETWORK, vec![apn("ims")]);
    assert_eq!((r.err(), r.tlv(0x11)), (14, &[2, 0, 237, 0][..]));
    h.release(a);
    assert_eq!(h.m.device().bearers.len(), 1);
    // B holds it now, through the global handle ModemManager uses.
    let r = h.wds(b, STOP_NETWORK, vec![u32_tlv(0x01, GLOBAL_HANDLE)]);
    r.ok();
    assert!(h.m.device().bearer(handle).is_none());
    assert_eq!(r.inds_to(b, PACKET_SERVICE_STATUS).len(), 1);
    assert_eq!(
        h.wds(b, STOP_NETWORK, vec![u32_tlv(0x01, GLOBAL_HANDLE)])
            .err(),
        26
    );
}

#[test]
fn losing_the_network_reports_the_end() {
    let mut h = Host::registered();
    let c = h.alloc();
    h.wds(
        c,
        SET_EVENT_REPORT,
        vec![Tlv::new(0x17, [1]), Tlv::new(0x1A, [1])],
    )
    .ok();
    let a = h.wds(c, START_NETWORK, vec![apn("internet")]);
    let ev = a.inds_to(c, EVENT_REPORT);
    assert_eq!(ev[0].tlv(0x1F), Some(&[1][..]));
    let t = h.t + 1;
    h.m.device_mut()
        .set_operating_mode(OperatingMode::LowPower, Instant::from_millis(t))
        .unwrap();
    let inds = h.advance(1);
    let pss: Vec<_> = inds
        .iter()
        .filter(|m| m.id.0 == PACKET_SERVICE_STATUS)
        .collect();
    assert_eq!(pss.len(), 1);
    assert_eq!(pss[0].client, c);
    assert_eq!(pss[0].tlv(0x01), Some(&[1, 0][..]));
    assert_eq!(pss[0].tlv(0x11), Some(&[3, 0, 0xC4, 0x09][..]));
    let ev: Vec<_> = inds.iter().filter(|m| m.id.0 == EVENT_REPORT).collect();
    assert!(ev.iter().any(|m| m.tlv(0x1F) == Some(&[2][..])));
    // Deregistered: data systems report a null bearer.
    assert!(ev
        .iter()
        .any(|m| m.tlv(0x24) == Some(&[0, 1, 0, 0, 0x80, 0, 0, 0, 0, 0, 0][..])));
    assert_eq!(h.status(c), 1);
}

#[test]
fn bearer_technology_and_rates() {
    let mut h = Host::registered();
    let c = h.alloc();
    let a = h.wds(c, GET_DATA_BEARER_TECHNOLOGY, vec![]);
    assert_eq!((a.err(), a.tlv(0x10)), (15, &[0xFF][..]));
    assert_eq!(h.wds(c, GET_DORMANCY_STATUS, vec![]).err(), 15);
    let a = h.wds(c, GET_CHANNEL_RATES, vec![]);
    assert_eq!(&a.tlv(0x01)[..4], u32::MAX.to_le_bytes());
    h.start(c, vec![apn("internet")]);
    assert_eq!(h.wds(c, GET_DATA_BEARER_TECHNOLOGY, vec![]).tlv(0x01), [10]);
    let a = h.wds(c, GET_CURRENT_DATA_BEARER_TECHNOLOGY, vec![]);
    assert_eq!(a.tlv(0x01), [2, 0x20, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(h.wds(c, GET_DORMANCY_STATUS, vec![]).tlv(0x01), [2]);
    let a = h.wds(c, GET_CHANNEL_RATES, vec![]);
    assert_eq!(&a.tlv(0x01)[12..], 100_000_000u32.to_le_bytes());
    let a = h.wds(c, GET_PACKET_STATISTICS, vec![u32_tlv(0x01, 0xC0)]);
    assert_eq!(a.tlv(0x19), 0u64.to_le_bytes());
    assert!(a.resp.tlv(0x10).is_none());
}

#[test]
fn profiles_create_modify_delete_and_use() {
    let mut h = Host::registered();
    let c = h.alloc();
    let a = h.wds(c, GET_PROFILE_LIST, vec![Tlv::new(0x10, [0])]);
    assert_eq!(a.tlv(0x01), b"\x01\x00\x01\x08internet");
    let a = h.wds(c, GET_PROFILE_SETTINGS, vec![Tlv::new(0x01, [0, 1])]);
    assert_eq!((a.tlv(0x14), a.tlv(0x11)), (&b"internet"[..], &[3][..]));
    let a = h.wds(
        c,
        CREATE_PROFILE,
        vec![
            Tlv::new(0x01, [0]),
            Tlv::new(0x10, *b"work"),
            apn("internet"),
            Tlv::new(0x1D, [2]),
        ],
    );
    assert_eq!(a.tlv(0x01), [0, 2]);
    h.wds(
        c,
        MODIFY_PROFILE,
        vec![Tlv::new(0x01, [0, 2]), Tlv::new(0x1B, *b"me")],
    )
    .ok();
    let a = h.wds(c, GET_PROFILE_SETTINGS, vec![Tlv::new(0x01, [0, 2])]);
    assert_eq!((a.tlv(0x1B), a.tlv(0x1D)), (&b"me"[..], &[2][..]));
    // A bad TLV leaves the profile untouched.
    let a = h.wds(
        c,
        MODIFY_PROFILE,
        vec![
            Tlv::new(0x01, [0, 2]),
            Tlv::new(0x10, *b"x"),
            Tlv::new(0x11, [9]),
        ],
    );
    assert_eq!(a.err(), 48);
    // A call from profile 2 reports it.
    h.start(c, vec![Tlv::new(0x31, [2])]);
    let a = h.wds(c, GET_CURRENT_SETTINGS, vec![u32_tlv(0x10, 0x03)]);
    assert_eq!((a.tlv(0x1F), a.tlv(0x10)), (&[0, 2][..], &b"work"[..]));
    h.wds(c, DELETE_PROFILE, vec![Tlv::new(0x01, [0, 2])]).ok();
    let a = h.wds(c, GET_PROFILE_SETTINGS, vec![Tlv::new(0x01, [0, 2])]);
    assert_eq!((a.err(), a.tlv(0xE0)), (81, &1003u16.to_le_bytes()[..]));
    let a = h.wds(c, CREATE_PROFILE, vec![Tlv::new(0x01, [1])]);
    assert_eq!((a.err(), a.tlv(0xE0)), (81, &4u16.to_le_bytes()[..]));
    let a = h.wds(c, GET_DEFAULT_PROFILE_NUMBER, vec![Tlv::new(0x01, [0, 1])]);
    assert_eq!(a.tlv(0x01), [1]);
    let a = h.wds(c, GET_DEFAULT_SETTINGS, vec![Tlv::new(0x01, [0])]);
    assert_eq!(a.tlv(0x14), b"internet");
    let a = h.wds(c, GET_LTE_ATTACH_PARAMETERS, vec![]);
    assert_eq!(
        (a.tlv(0x10), a.tlv(0x11), a.tlv(0x12)),
        (&b"internet"[..], &[2][..], &[1][..])
    );
    let a = h.wds(c, GET_LTE_ATTACH_PDN_LIST, vec![]);
    assert_eq!(a.tlv(0x10), [1, 1, 0]);
}

#[test]
fn settings_and_malformed_requests() {
    let mut h = Host::registered();
    let c = h.alloc();
    let a = h.wds(c, GET_AUTOCONNECT_SETTINGS, vec![]);
    assert_eq!(a.tlv(0x01), [0]);
    h.wds(
        c,
        SET_AUTOCONNECT_SETTINGS,
        vec![Tlv::new(0x01, [1]), Tlv::new(0x10, [1])],
    )
    .ok();
    let d = h.alloc();
    let a = h.wds(d, GET_AUTOCONNECT_SETTINGS, vec![]);
    assert_eq!((a.tlv(0x01), a.tlv(0x10)), (&[1][..], &[1][..]));
    assert_eq!(
        h.wds(c, SET_AUTOCONNECT_SETTINGS, vec![Tlv::new(0x01, [7])])
            .err(),
        48
    );
    assert_eq!(h.wds(c, SET_IP_FAMILY, vec![Tlv::new(0x01, [5])]).err(), 48);
    assert_eq!(h.wds(c, GET_CURRENT_SETTINGS, vec![]).err(), 15);
    assert_eq!(
        h.wds(c, START_NETWORK, vec![Tlv::new(0x19, [4, 0])]).err(),
        1
    );
    assert_eq!(
        h.wds(c, SET_EVENT_REPORT, vec![Tlv::new(0x11, [1])]).err(),
        1
    );
    assert_eq!(h.wds(c, STOP_NETWORK, vec![]).err(), 17);
    // A 9x15 has no QMAP mux: Bind Mux Data Port is unknown.
    assert_eq!(h.wds(c, 0x00A2, vec![]).err(), 71);
    h.wds(
        c,
        BIND_DATA_PORT,
        vec![Tlv::new(0x01, 0x0E04u16.to_le_bytes())],
    )
    .ok();
    h.wds(c, INDICATION_REGISTER, vec![Tlv::new(0x12, [1])])
        .ok();
}

/// oFono's LTE atom at start-up: Get Default Profile Number, then Reset
/// Profile to Default on that index.
#[test]
fn reset_profile_to_default_blanks_the_profile() {
    let mut h = Host::registered();
    let c = h.alloc();
    let a = h.wds(c, GET_DEFAULT_PROFILE_NUMBER, vec![Tlv::new(0x01, [0, 0])]);
    assert_eq!(a.tlv(0x01), [1]);
    h.wds(c, RESET_PROFILE_TO_DEFAULT, vec![Tlv::new(0x01, [0, 1])])
        .ok();
    let a = h.wds(c, GET_PROFILE_SETTINGS, vec![Tlv::new(0x01, [0, 1])]);
    assert_eq!((a.tlv(0x14), a.tlv(0x11)), (&b""[..], &[0][..]));
    // Still listed, still the default.
    let a = h.wds(c, GET_PROFILE_LIST, vec![Tlv::new(0x10, [0])]);
    assert_eq!(a.tlv(0x01), b"\x01\x00\x01\x00");
    let a = h.wds(c, RESET_PROFILE_TO_DEFAULT, vec![Tlv::new(0x01, [0, 9])]);
    assert_eq!((a.err(), a.tlv(0xE0)), (81, &1003u16.to_le_bytes()[..]));
    let a = h.wds(c, RESET_PROFILE_TO_DEFAULT, vec![Tlv::new(0x01, [1, 1])]);
    assert_eq!((a.err(), a.tlv(0xE0)), (81, &4u16.to_le_bytes()[..]));
    assert_eq!(h.wds(c, RESET_PROFILE_TO_DEFAULT, vec![]).err(), 17);
}

/// oFono asks for the settings without a Requested Settings mask: the
/// module answers with everything bits 0 to 12 name.
#[test]
fn current_settings_without_a_mask() {
    let mut h = Host::registered();
    let c = h.alloc();
    h.start(c, vec![apn("internet")]);
    let a = h.wds(c, GET_CURRENT_SETTINGS, vec![]);
    use std::net::Ipv4Addr;
    assert_eq!(
        a.tlv(0x1E),
        u32::from(Ipv4Addr::new(10, 64, 0, 2)).to_le_bytes()
    );
    assert_eq!(
        a.tlv(0x20),
        u32::from(Ipv4Addr::new(10, 64, 0, 1)).to_le_bytes()
    );
    assert_eq!(
        a.tlv(0x21),
        u32::from(Ipv4Addr::new(255, 255, 255, 0)).to_le_bytes()
    );
    assert_eq!(
        a.tlv(0x15),
        u32::from(Ipv4Addr::new(10, 64, 0, 53)).to_le_bytes()
    );
    assert_eq!(a.tlv(0x14), b"internet");
    assert!(a.resp.tlv(0x29).is_none(), "the MTU is bit 13");
    assert!(a.resp.tlv(0x2B).is_none(), "the IP family is bit 15");
}
