//! IPv6: ICMPv6 echo and UDP (echo, DNS) toward the simulated network.

use super::{checksum, dns, in_prefix, DNS_PORT, UDP_ECHO_PORT};
use crate::model::{Bearer, IpFamily};
use std::net::Ipv6Addr;

const UDP: u8 = 17;
const ICMPV6: u8 = 58;
const HOP_LIMIT: u8 = 64;

fn bearer_of(bearers: &[Bearer], src: Ipv6Addr) -> Option<&Bearer> {
    bearers
        .iter()
        .find(|b| b.family == IpFamily::V6 && b.settings.ipv6_address == Some(src))
}

fn reachable(b: &Bearer, dst: Ipv6Addr) -> bool {
    let s = &b.settings;
    let Some(own) = s.ipv6_address else {
        return false;
    };
    dst != own
        && (Some(dst) == s.ipv6_gateway
            || s.ipv6_dns.contains(&dst)
            || in_prefix(&dst.octets(), &own.octets(), s.ipv6_prefix))
}

pub fn answer(bearers: &[Bearer], pkt: &[u8]) -> Option<Vec<u8>> {
    if pkt.len() < 40 {
        return None;
    }
    let len = u16::from_be_bytes([pkt[4], pkt[5]]) as usize;
    if 40 + len > pkt.len() || pkt[7] == 0 {
        return None;
    }
    let src: [u8; 16] = pkt[8..24].try_into().ok()?;
    let dst: [u8; 16] = pkt[24..40].try_into().ok()?;
    let b = bearer_of(bearers, Ipv6Addr::from(src))?;
    if !reachable(b, Ipv6Addr::from(dst)) {
        return None;
    }
    let payload = &pkt[40..40 + len];
    // Extension headers are not followed: the simulated hosts drop them.
    let next = pkt[6];
    let sum = checksum::pseudo_v6(&src, &dst, next, len);
    if checksum::finish(checksum::add(sum, payload)) != 0 {
        return None;
    }
    let mut reply = match next {
        ICMPV6 if payload.len() >= 8 && payload[0] == 128 => {
            let mut r = payload.to_vec();
            r[0] = 129; // echo reply
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
                DNS_PORT if b.settings.ipv6_dns.contains(&Ipv6Addr::from(dst)) => {
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
    // Both carry their checksum at offset 2 (ICMPv6) or 6 (UDP).
    let at = if next == ICMPV6 { 2 } else { 6 };
    reply[at..at + 2].fill(0);
    let s = checksum::pseudo_v6(&dst, &src, next, reply.len());
    let c = match checksum::finish(checksum::add(s, &reply)) {
        0 if next == UDP => 0xffff,
        c => c,
    };
    reply[at..at + 2].copy_from_slice(&c.to_be_bytes());
    let mut p = Vec::with_capacity(40 + reply.len());
    p.extend_from_slice(&[0x60, 0, 0, 0]);
    p.extend_from_slice(&(reply.len() as u16).to_be_bytes());
    p.push(next);
    p.push(HOP_LIMIT);
    p.extend_from_slice(&dst);
    p.extend_from_slice(&src);
    p.extend_from_slice(&reply);
    Some(p)
}
