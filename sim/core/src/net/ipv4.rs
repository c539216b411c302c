//! IPv4: ICMP echo and UDP (echo, DNS) toward the simulated network.

use super::{checksum, dns, in_prefix, DNS_PORT, ECHO_NET_V4, UDP_ECHO_PORT};
use crate::model::{Bearer, IpFamily};
use std::net::Ipv4Addr;

const ICMP: u8 = 1;
const UDP: u8 = 17;
const REPLY_TTL: u8 = 64;

/// The IPv4 bearer whose address sent `src`.
fn bearer_of(bearers: &[Bearer], src: Ipv4Addr) -> Option<&Bearer> {
    bearers
        .iter()
        .find(|b| b.family == IpFamily::V4 && b.settings.ipv4_address == src)
}

/// Whether `dst` is a host of the simulated network for this bearer.
pub fn reachable(b: &Bearer, dst: Ipv4Addr) -> bool {
    let s = &b.settings;
    dst != s.ipv4_address
        && (dst == s.ipv4_gateway
            || s.ipv4_dns.contains(&dst)
            || in_prefix(&dst.octets(), &s.ipv4_address.octets(), s.ipv4_prefix)
            || in_prefix(&dst.octets(), &ECHO_NET_V4.0.octets(), ECHO_NET_V4.1))
}

pub fn answer(bearers: &[Bearer], pkt: &[u8]) -> Option<Vec<u8>> {
    if pkt.len() < 20 {
        return None;
    }
    let ihl = (pkt[0] & 0x0f) as usize * 4;
    let total = u16::from_be_bytes([pkt[2], pkt[3]]) as usize;
    if ihl < 20 || total < ihl || total > pkt.len() || checksum::of(&pkt[..ihl]) != 0 {
        return None;
    }
    // Fragments are not reassembled: the simulated hosts drop them.
    if u16::from_be_bytes([pkt[6], pkt[7]]) & 0x3fff != 0 || pkt[8] == 0 {
        return None;
    }
    let src = Ipv4Addr::new(pkt[12], pkt[13], pkt[14], pkt[15]);
    let dst = Ipv4Addr::new(pkt[16], pkt[17], pkt[18], pkt[19]);
    let b = bearer_of(bearers, src)?;
    if !reachable(b, dst) {
        return None;
    }
    let payload = &pkt[ihl..total];
    let reply = match pkt[9] {
        ICMP => icmp_echo(payload)?,
        UDP => udp(b, src, dst, payload)?,
        _ => return None,
    };
    Some(build(dst, src, pkt[9], &reply))
}

fn icmp_echo(icmp: &[u8]) -> Option<Vec<u8>> {
    if icmp.len() < 8 || icmp[0] != 8 || checksum::of(icmp) != 0 {
        return None;
    }
    let mut r = icmp.to_vec();
    r[0] = 0; // echo reply
    r[2..4].fill(0);
    let c = checksum::of(&r);
    r[2..4].copy_from_slice(&c.to_be_bytes());
    Some(r)
}

fn udp(b: &Bearer, src: Ipv4Addr, dst: Ipv4Addr, u: &[u8]) -> Option<Vec<u8>> {
    if u.len() < 8 {
        return None;
    }
    let len = u16::from_be_bytes([u[4], u[5]]) as usize;
    if len < 8 || len > u.len() {
        return None;
    }
    let u = &u[..len];
    let sum = u16::from_be_bytes([u[6], u[7]]);
    if sum != 0 {
        let s = checksum::pseudo_v4(src.octets(), dst.octets(), UDP, len);
        if checksum::finish(checksum::add(s, u)) != 0 {
            return None;
        }
    }
    let (sport, dport) = (
        u16::from_be_bytes([u[0], u[1]]),
        u16::from_be_bytes([u[2], u[3]]),
    );
    let data = match dport {
        UDP_ECHO_PORT => u[8..].to_vec(),
        DNS_PORT if b.settings.ipv4_dns.contains(&dst) => dns::answer(&b.settings, &u[8..])?,
        _ => return None,
    };
    let mut r = Vec::with_capacity(8 + data.len());
    r.extend_from_slice(&dport.to_be_bytes());
    r.extend_from_slice(&sport.to_be_bytes());
    r.extend_from_slice(&((8 + data.len()) as u16).to_be_bytes());
    r.extend_from_slice(&[0, 0]);
    r.extend_from_slice(&data);
    let s = checksum::pseudo_v4(dst.octets(), src.octets(), UDP, r.len());
    let c = match checksum::finish(checksum::add(s, &r)) {
        0 => 0xffff,
        c => c,
    };
    r[6..8].copy_from_slice(&c.to_be_bytes());
    Some(r)
}

/// An IPv4 packet from `src` to `dst` carrying `payload`.
pub fn build(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, payload: &[u8]) -> Vec<u8> {
    let total = 20 + payload.len();
    let mut p = Vec::with_capacity(total);
    p.extend_from_slice(&[0x45, 0, 0, 0, 0, 0, 0x40, 0, REPLY_TTL, proto, 0, 0]);
    p[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    let c = checksum::of(&p);
    p[10..12].copy_from_slice(&c.to_be_bytes());
    p.extend_from_slice(payload);
    p
}
