//! The opt-in uplink: what the simulated network does not serve leaves
//! through it, and what comes back for a bearer's address is delivered.
//!
//! A packet from the host goes up when the simulated network has no
//! answer for it and
//! - IPv4: its source is a connected IPv4 bearer's address and its
//!   destination is a unicast address outside the simulated network (not
//!   the gateway, the DNS servers, the bearer's subnet, 192.0.2.0/24),
//!   and not loopback, multicast or broadcast;
//! - IPv6: its source is in a connected IPv6 bearer's prefix (not
//!   link-local) and its destination is a global unicast address outside
//!   the simulated network (not the gateway, the DNS servers, the prefix).
//!
//! A packet from the uplink comes down when its destination is a connected
//! IPv4 bearer's address, or lies in a connected IPv6 bearer's prefix (the
//! whole prefix is the host's). Both ways the modem is one router hop: the
//! TTL (hop limit) drops by one, and a packet that would reach zero is
//! dropped. Headers must be well formed; IPv4 header checksums must hold.

use super::{checksum, ipv4, ipv6};
use crate::model::{Bearer, IpFamily};
use std::net::{Ipv4Addr, Ipv6Addr};

/// The IP packet to forward for a packet from the host, if it goes up.
pub fn outbound(bearers: &[Bearer], pkt: &[u8]) -> Option<Vec<u8>> {
    match pkt.first()? >> 4 {
        4 => {
            let (src, dst, total) = v4_header(pkt)?;
            let b = bearers
                .iter()
                .find(|b| b.family == IpFamily::V4 && b.settings.ipv4_address == src)?;
            let special = dst.is_unspecified()
                || dst.is_loopback()
                || dst.is_multicast()
                || dst.is_broadcast();
            let leaves = !ipv4::reachable(b, dst) && dst != src && !special;
            leaves.then(|| hop_v4(&pkt[..total]))?
        }
        6 => {
            let (src, dst, total) = v6_header(pkt)?;
            if src.is_unicast_link_local() || src.is_unspecified() {
                return None;
            }
            let b = ipv6::bearer_of(bearers, src)?;
            let inside = ipv6::reachable(b, src, dst) || ipv6::on_prefix(b, dst);
            let special = dst.is_unspecified()
                || dst.is_loopback()
                || dst.is_multicast()
                || dst.is_unicast_link_local();
            let leaves = !inside && !special;
            leaves.then(|| hop_v6(&pkt[..total]))?
        }
        _ => None,
    }
}

/// The IP packet to deliver to the host for a packet from the uplink.
pub fn inbound(bearers: &[Bearer], pkt: &[u8]) -> Option<Vec<u8>> {
    match pkt.first()? >> 4 {
        4 => {
            let (_, dst, total) = v4_header(pkt)?;
            bearers
                .iter()
                .any(|b| b.family == IpFamily::V4 && b.settings.ipv4_address == dst)
                .then(|| hop_v4(&pkt[..total]))?
        }
        6 => {
            let (_, dst, total) = v6_header(pkt)?;
            bearers
                .iter()
                .any(|b| b.family == IpFamily::V6 && ipv6::on_prefix(b, dst))
                .then(|| hop_v6(&pkt[..total]))?
        }
        _ => None,
    }
}

/// Source, destination and total length of a well-formed IPv4 header.
fn v4_header(p: &[u8]) -> Option<(Ipv4Addr, Ipv4Addr, usize)> {
    if p.len() < 20 {
        return None;
    }
    let ihl = (p[0] & 0x0f) as usize * 4;
    let total = u16::from_be_bytes([p[2], p[3]]) as usize;
    if ihl < 20 || total < ihl || total > p.len() || checksum::of(&p[..ihl]) != 0 {
        return None;
    }
    let src = Ipv4Addr::new(p[12], p[13], p[14], p[15]);
    let dst = Ipv4Addr::new(p[16], p[17], p[18], p[19]);
    Some((src, dst, total))
}

/// Source, destination and total length of a well-formed IPv6 header.
fn v6_header(p: &[u8]) -> Option<(Ipv6Addr, Ipv6Addr, usize)> {
    if p.len() < 40 {
        return None;
    }
    let total = 40 + u16::from_be_bytes([p[4], p[5]]) as usize;
    if total > p.len() {
        return None;
    }
    let src = Ipv6Addr::from(<[u8; 16]>::try_from(&p[8..24]).ok()?);
    let dst = Ipv6Addr::from(<[u8; 16]>::try_from(&p[24..40]).ok()?);
    Some((src, dst, total))
}

/// One router hop for IPv4: TTL down by one, header checksum redone.
fn hop_v4(p: &[u8]) -> Option<Vec<u8>> {
    if p[8] <= 1 {
        return None;
    }
    let mut out = p.to_vec();
    out[8] -= 1;
    let ihl = (out[0] & 0x0f) as usize * 4;
    out[10..12].fill(0);
    let c = checksum::of(&out[..ihl]);
    out[10..12].copy_from_slice(&c.to_be_bytes());
    Some(out)
}

/// One router hop for IPv6: hop limit down by one.
fn hop_v6(p: &[u8]) -> Option<Vec<u8>> {
    if p[7] <= 1 {
        return None;
    }
    let mut out = p.to_vec();
    out[7] -= 1;
    Some(out)
}
