//! Router and neighbour discovery: real solicitations in, every field of
//! the advertisements checked.

use super::{connected, exchange};
use crate::net::ndisc::*;
use crate::net::MODEM_MAC;
use crate::testkit::checksum;
use std::net::Ipv6Addr;

const HOST_MAC: [u8; 6] = [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc];

pub(in crate::net) fn v6(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

/// An IPv6 packet with `body` (ICMPv6 or UDP), its checksum filled in.
pub(in crate::net) fn ipv6(
    src: Ipv6Addr,
    dst: Ipv6Addr,
    next: u8,
    hop: u8,
    mut body: Vec<u8>,
) -> Vec<u8> {
    let at = if next == 58 { 2 } else { 6 };
    body[at..at + 2].fill(0);
    let s = checksum::pseudo_v6(&src.octets(), &dst.octets(), next, body.len());
    let c = checksum::finish(checksum::add(s, &body));
    body[at..at + 2].copy_from_slice(&c.to_be_bytes());
    let mut p = vec![0x60, 0, 0, 0];
    p.extend_from_slice(&(body.len() as u16).to_be_bytes());
    p.extend_from_slice(&[next, hop]);
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    p.extend_from_slice(&body);
    p
}

fn ethernet(ip: Vec<u8>) -> Vec<u8> {
    let mut f = vec![0x33, 0x33, 0, 0, 0, 2];
    f.extend_from_slice(&HOST_MAC);
    f.extend_from_slice(&[0x86, 0xdd]);
    f.extend_from_slice(&ip);
    f
}

fn rs(src: Ipv6Addr, dst: Ipv6Addr, with_source_lla: bool) -> Vec<u8> {
    let mut icmp = vec![ROUTER_SOLICITATION, 0, 0, 0, 0, 0, 0, 0];
    if with_source_lla {
        icmp.extend_from_slice(&[OPT_SOURCE_LLA, 1]);
        icmp.extend_from_slice(&HOST_MAC);
    }
    ipv6(src, dst, 58, 255, icmp)
}

fn ns(src: Ipv6Addr, dst: Ipv6Addr, target: Ipv6Addr) -> Vec<u8> {
    let mut icmp = vec![NEIGHBOR_SOLICITATION, 0, 0, 0, 0, 0, 0, 0];
    icmp.extend_from_slice(&target.octets());
    if !src.is_unspecified() {
        icmp.extend_from_slice(&[OPT_SOURCE_LLA, 1]);
        icmp.extend_from_slice(&HOST_MAC);
    }
    ipv6(src, dst, 58, 255, icmp)
}

/// Checks the IPv6 header and ICMPv6 checksum of an NDP reply; returns
/// its ICMPv6 message.
fn ndp_reply(p: &[u8], src: Ipv6Addr, dst: Ipv6Addr) -> &[u8] {
    assert_eq!(&p[0..4], &[0x60, 0, 0, 0], "version, class, flow");
    let len = u16::from_be_bytes([p[4], p[5]]) as usize;
    assert_eq!(len, p.len() - 40, "payload length");
    assert_eq!(p[6], 58, "ICMPv6");
    assert_eq!(p[7], 255, "NDP hop limit");
    assert_eq!(&p[8..24], &src.octets(), "source");
    assert_eq!(&p[24..40], &dst.octets(), "destination");
    let s = checksum::pseudo_v6(&src.octets(), &dst.octets(), 58, len);
    assert_eq!(checksum::finish(checksum::add(s, &p[40..])), 0, "checksum");
    &p[40..]
}

fn check_ra_header(ra: &[u8]) {
    assert_eq!(ra[0], ROUTER_ADVERTISEMENT);
    assert_eq!(ra[1], 0, "code");
    assert_eq!(ra[4], 64, "current hop limit");
    assert_eq!(ra[5], 0, "no managed/other configuration");
    assert_eq!(&ra[6..8], &1800u16.to_be_bytes(), "router lifetime");
    assert_eq!(&ra[8..16], &[0; 8], "reachable time, retrans timer");
}

fn check_mtu_and_prefix(o: &[u8]) {
    assert_eq!(&o[..8], &[OPT_MTU, 1, 0, 0, 0, 0, 0x05, 0xdc], "MTU 1500");
    let p = &o[8..];
    assert_eq!(p.len(), 32);
    assert_eq!(&p[..4], &[OPT_PREFIX, 4, 64, PREFIX_AUTONOMOUS]);
    assert_eq!(&p[4..12], &[0xff; 8], "valid and preferred lifetimes");
    assert_eq!(&p[12..16], &[0; 4], "reserved");
    assert_eq!(&p[16..32], &v6("2001:db8:64::").octets(), "the /64");
}

#[test]
fn router_solicitation_raw_ip_gets_the_prefix() {
    let d = connected(2);
    let host = v6("fe80::5:6:7:8");
    let r = exchange(&d, &rs(host, v6("ff02::2"), false)).unwrap();
    let ra = ndp_reply(&r, ROUTER_LINK_LOCAL, host);
    assert_eq!(ra.len(), 16 + 8 + 32, "no link-layer option in raw IP");
    check_ra_header(ra);
    check_mtu_and_prefix(&ra[16..]);
}

#[test]
fn router_solicitation_ethernet_from_unspecified() {
    let d = connected(1);
    let r = exchange(
        &d,
        &ethernet(rs(Ipv6Addr::UNSPECIFIED, v6("ff02::2"), false)),
    )
    .unwrap();
    assert_eq!(&r[0..6], &HOST_MAC);
    assert_eq!(&r[6..12], &MODEM_MAC);
    assert_eq!(&r[12..14], &[0x86, 0xdd]);
    let ra = ndp_reply(&r[14..], ROUTER_LINK_LOCAL, v6("ff02::1"));
    check_ra_header(ra);
    assert_eq!(&ra[16..18], &[OPT_SOURCE_LLA, 1]);
    assert_eq!(&ra[18..24], &MODEM_MAC);
    check_mtu_and_prefix(&ra[24..]);
    // Unicast to the router's link-local address works too.
    let host = v6("fe80::1234");
    let r = exchange(&d, &ethernet(rs(host, ROUTER_LINK_LOCAL, true))).unwrap();
    ndp_reply(&r[14..], ROUTER_LINK_LOCAL, host);
}

#[test]
fn invalid_router_solicitations_are_ignored() {
    let d = connected(2);
    let host = v6("fe80::5");
    let all_routers = v6("ff02::2");
    // Forwarded (hop limit not 255).
    let mut p = rs(host, all_routers, false);
    p[7] = 64;
    assert!(exchange(&d, &p).is_none());
    // A bad checksum.
    let mut p = rs(host, all_routers, false);
    p[42] ^= 1;
    assert!(exchange(&d, &p).is_none());
    // Unspecified source with a link-layer address.
    assert!(exchange(&d, &rs(Ipv6Addr::UNSPECIFIED, all_routers, true)).is_none());
    // Not to a router.
    assert!(exchange(&d, &rs(host, v6("ff02::1"), false)).is_none());
    // Code not 0; an option of length 0.
    let bad_code = ipv6(host, all_routers, 58, 255, vec![133, 1, 0, 0, 0, 0, 0, 0]);
    assert!(exchange(&d, &bad_code).is_none());
    let zero_opt = vec![133, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0];
    assert!(exchange(&d, &ipv6(host, all_routers, 58, 255, zero_opt)).is_none());
    // From a source outside the prefix and not link-local.
    assert!(exchange(&d, &rs(v6("2001:db8:99::2"), all_routers, false)).is_none());
}

#[test]
fn neighbour_solicitation_for_the_router_ethernet() {
    let d = connected(1);
    let host = v6("fe80::5:6:7:8");
    let sol = solicited_node(ROUTER_LINK_LOCAL);
    assert_eq!(sol, v6("ff02::1:ff00:1"));
    let r = exchange(&d, &ethernet(ns(host, sol, ROUTER_LINK_LOCAL))).unwrap();
    assert_eq!(&r[0..6], &HOST_MAC);
    let na = ndp_reply(&r[14..], ROUTER_LINK_LOCAL, host);
    assert_eq!(na.len(), 32);
    assert_eq!(&na[..2], &[NEIGHBOR_ADVERTISEMENT, 0]);
    assert_eq!(
        &na[4..8],
        &[NA_ROUTER | NA_SOLICITED | NA_OVERRIDE, 0, 0, 0]
    );
    assert_eq!(&na[8..24], &ROUTER_LINK_LOCAL.octets(), "target");
    assert_eq!(&na[24..26], &[OPT_TARGET_LLA, 1]);
    assert_eq!(&na[26..32], &MODEM_MAC);
    // The gateway's global address, asked for directly.
    let gw = v6("2001:db8:64::1");
    let r = exchange(&d, &ethernet(ns(v6("2001:db8:64::2"), gw, gw))).unwrap();
    let na = ndp_reply(&r[14..], gw, v6("2001:db8:64::2"));
    assert_eq!(na[4], NA_ROUTER | NA_SOLICITED | NA_OVERRIDE);
}

#[test]
fn neighbour_solicitation_raw_ip_and_other_hosts() {
    let d = connected(2);
    let host = v6("2001:db8:64::2");
    // An echo host of the prefix: not a router.
    let t = v6("2001:db8:64::77");
    let r = exchange(&d, &ns(host, solicited_node(t), t)).unwrap();
    let na = ndp_reply(&r, t, host);
    assert_eq!(na.len(), 24, "no link-layer option in raw IP");
    assert_eq!(na[4], NA_SOLICITED | NA_OVERRIDE);
    assert_eq!(&na[8..24], &t.octets());
}

#[test]
fn neighbour_solicitations_left_unanswered() {
    let d = connected(1);
    let host = v6("fe80::5");
    let own = v6("2001:db8:64::2");
    let q = |p: Vec<u8>| exchange(&d, &ethernet(p));
    // Duplicate address detection: the prefix is the host's.
    assert!(q(ns(Ipv6Addr::UNSPECIFIED, solicited_node(own), own)).is_none());
    let gw = v6("2001:db8:64::1");
    assert!(q(ns(Ipv6Addr::UNSPECIFIED, solicited_node(gw), gw)).is_none());
    // The host's own address, an address off the link, a multicast target.
    assert!(q(ns(host, solicited_node(own), own)).is_none());
    let far = v6("2001:db8:99::1");
    assert!(q(ns(host, solicited_node(far), far)).is_none());
    let mc = v6("ff02::1");
    assert!(q(ns(host, mc, mc)).is_none());
    // Sent to the wrong multicast group.
    assert!(q(ns(host, v6("ff02::1:ff00:99"), ROUTER_LINK_LOCAL)).is_none());
    // Too short for a target.
    let short = ipv6(
        host,
        ROUTER_LINK_LOCAL,
        58,
        255,
        vec![135, 0, 0, 0, 0, 0, 0, 0],
    );
    assert!(q(short).is_none());
}

#[test]
fn an_autoconfigured_address_pings_the_router() {
    let d = connected(2);
    // What the host forms from the advertised prefix.
    let slaac = v6("2001:db8:64:0:a8bb:ccff:fedd:eeff");
    for dst in [v6("2001:db8:64::1"), ROUTER_LINK_LOCAL] {
        let echo = vec![128, 0, 0, 0, 0, 9, 0, 1, b'r', b'a'];
        let r = exchange(&d, &ipv6(slaac, dst, 58, 64, echo)).unwrap();
        assert_eq!(&r[8..24], &dst.octets());
        assert_eq!(&r[24..40], &slaac.octets());
        assert_eq!(r[40], 129, "echo reply");
        assert_eq!(&r[48..], b"ra");
    }
    // The bearer's address is the host's, not a simulated host.
    let echo = vec![128, 0, 0, 0, 0, 9, 0, 1];
    let own = v6("2001:db8:64::2");
    assert!(exchange(&d, &ipv6(slaac, own, 58, 64, echo.clone())).is_none());
    // An unspecified source gets no echo.
    assert!(exchange(
        &d,
        &ipv6(Ipv6Addr::UNSPECIFIED, ROUTER_LINK_LOCAL, 58, 64, echo)
    )
    .is_none());
}
