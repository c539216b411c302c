//! IPv6: ICMPv6 echo, neighbour discovery and UDP (echo, DNS) toward the
//! simulated network.

use super::ndisc::{self, ROUTER_LINK_LOCAL};
use super::{checksum, dns, in_prefix, Framing, DNS_PORT, UDP_ECHO_PORT};
use crate::model::{Bearer, IpFamily};
use std::net::Ipv6Addr;

const UDP: u8 = 17;
const ICMPV6: u8 = 58;
const ECHO_REQUEST: u8 = 128;
const ECHO_REPLY: u8 = 129;
/// Hop limit of what the simulated network originates (NDP excepted).
pub const HOP_LIMIT: u8 = 64;

/// The IPv6 bearer a packet from `src` belongs to: the one whose prefix
/// holds it (the host may form any address there from the Router
/// Advertisement), or for a link-local or unspecified source the first.
pub(crate) fn bearer_of(bearers: &[Bearer], src: Ipv6Addr) -> Option<&Bearer> {
    let mut v6 = bearers
        .iter()
        .filter(|b| b.family == IpFamily::V6 && b.settings.ipv6_address.is_some());
    if src.is_unspecified() || src.is_unicast_link_local() {
        return v6.next();
    }
    v6.find(|b| on_prefix(b, src))
}

/// Whether `a` is in bearer `b`'s prefix.
pub(crate) fn on_prefix(b: &Bearer, a: Ipv6Addr) -> bool {
    let s = &b.settings;
    s.ipv6_address
        .is_some_and(|own| in_prefix(&a.octets(), &own.octets(), s.ipv6_prefix.min(128)))
}

/// Whether `dst` is a host of the simulated network for a packet from `src`.
pub(crate) fn reachable(b: &Bearer, src: Ipv6Addr, dst: Ipv6Addr) -> bool {
    let s = &b.settings;
    dst == ROUTER_LINK_LOCAL
        || Some(dst) == s.ipv6_gateway
        || s.ipv6_dns.contains(&dst)
        || (on_prefix(b, dst) && Some(dst) != s.ipv6_address && dst != src)
}

pub fn answer(bearers: &[Bearer], pkt: &[u8], framing: Framing) -> Option<Vec<u8>> {
    if pkt.len() < 40 {
        return None;
    }
    let len = u16::from_be_bytes([pkt[4], pkt[5]]) as usize;
    let hop_limit = pkt[7];
    if 40 + len > pkt.len() || hop_limit == 0 {
        return None;
    }
    let src = Ipv6Addr::from(<[u8; 16]>::try_from(&pkt[8..24]).ok()?);
    let dst = Ipv6Addr::from(<[u8; 16]>::try_from(&pkt[24..40]).ok()?);
    let b = bearer_of(bearers, src)?;
    let payload = &pkt[40..40 + len];
    // Extension headers are not followed: the simulated hosts drop them.
    let next = pkt[6];
    let sum = checksum::pseudo_v6(&src.octets(), &dst.octets(), next, len);
    if checksum::finish(checksum::add(sum, payload)) != 0 {
        return None;
    }
    if next == ICMPV6 && payload.len() >= 8 && payload[0] != ECHO_REQUEST {
        let r = ndisc::answer(b, src, dst, hop_limit, payload, framing)?;
        return Some(build(r.src, r.dst, ICMPV6, ndisc::NDP_HOP_LIMIT, r.icmp));
    }
    if src.is_unspecified() || !reachable(b, src, dst) {
        return None;
    }
    let reply = match next {
        ICMPV6 if payload.len() >= 8 => {
            let mut r = payload.to_vec();
            r[0] = ECHO_REPLY;
            r
        }
        UDP if payload.len() >= 8 => {
            let sport = u16::from_be_bytes([payload[0], payload[1]]);
            let dport = u16::from_be_bytes([payload[2], payload[3]]);
            let ulen = u16::from_be_bytes([payload[4], payload[5]]) as usize;
            if ulen < 8 || ulen > payload.len() {
                return None;
            }
            let data = match dport {
                UDP_ECHO_PORT => payload[8..ulen].to_vec(),
                DNS_PORT if b.settings.ipv6_dns.contains(&dst) => {
                    dns::answer(&b.settings, &payload[8..ulen])?
                }
                _ => return None,
            };
            let mut r = Vec::with_capacity(8 + data.len());
            r.extend_from_slice(&dport.to_be_bytes());
            r.extend_from_slice(&sport.to_be_bytes());
            r.extend_from_slice(&((8 + data.len()) as u16).to_be_bytes());
            r.extend_from_slice(&[0, 0]);
            r.extend_from_slice(&data);
            r
        }
        _ => return None,
    };
    Some(build(dst, src, next, HOP_LIMIT, reply))
}

/// An IPv6 packet carrying ICMPv6 or UDP `body`, whose checksum field is
/// filled in here.
fn build(src: Ipv6Addr, dst: Ipv6Addr, next: u8, hop_limit: u8, mut body: Vec<u8>) -> Vec<u8> {
    // The checksum sits at offset 2 (ICMPv6) or 6 (UDP).
    let at = if next == ICMPV6 { 2 } else { 6 };
    body[at..at + 2].fill(0);
    let s = checksum::pseudo_v6(&src.octets(), &dst.octets(), next, body.len());
    let c = match checksum::finish(checksum::add(s, &body)) {
        0 if next == UDP => 0xffff,
        c => c,
    };
    body[at..at + 2].copy_from_slice(&c.to_be_bytes());
    let mut p = Vec::with_capacity(40 + body.len());
    p.extend_from_slice(&[0x60, 0, 0, 0]);
    p.extend_from_slice(&(body.len() as u16).to_be_bytes());
    p.push(next);
    p.push(hop_limit);
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    p.extend_from_slice(&body);
    p
}
