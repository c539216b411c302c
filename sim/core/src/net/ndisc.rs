//! Neighbour discovery (RFC 4861) on the bearer's link: the network's
//! router answers Router Solicitations with the bearer's prefix and
//! Neighbour Solicitations for the addresses it serves.
//!
//! As a 3GPP PDN gateway does (TS 29.061 11.2.1.3.4), the prefix is
//! advertised autonomous (the host forms its own address in it) but not
//! on-link: every packet goes to the router, so the host never needs to
//! resolve another address of the prefix. The whole prefix belongs to the
//! host (TS 23.401 5.3.1.2.2), so duplicate address detection is never
//! answered: no address there is the network's to defend.

use super::ipv6::{reachable, HOP_LIMIT};
use super::{Framing, MODEM_MAC};
use crate::model::Bearer;
use std::net::Ipv6Addr;

/// The router's link-local address: the source of its advertisements.
pub const ROUTER_LINK_LOCAL: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
/// Neighbour discovery is valid only with hop limit 255 (RFC 4861 6.1, 7.1):
/// proof that it was not forwarded.
pub const NDP_HOP_LIMIT: u8 = 255;
/// RFC 4861's default router lifetime: 3 × MaxRtrAdvInterval (600 s).
pub const ROUTER_LIFETIME_S: u16 = 1800;
/// Prefix information flags (RFC 4861 4.6.2).
pub const PREFIX_ON_LINK: u8 = 0x80;
pub const PREFIX_AUTONOMOUS: u8 = 0x40;
/// Neighbour advertisement flags (RFC 4861 4.4).
pub const NA_ROUTER: u8 = 0x80;
pub const NA_SOLICITED: u8 = 0x40;
pub const NA_OVERRIDE: u8 = 0x20;

const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
const ALL_ROUTERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 2);

pub const ROUTER_SOLICITATION: u8 = 133;
pub const ROUTER_ADVERTISEMENT: u8 = 134;
pub const NEIGHBOR_SOLICITATION: u8 = 135;
pub const NEIGHBOR_ADVERTISEMENT: u8 = 136;

pub const OPT_SOURCE_LLA: u8 = 1;
pub const OPT_TARGET_LLA: u8 = 2;
pub const OPT_PREFIX: u8 = 3;
pub const OPT_MTU: u8 = 5;

/// An ICMPv6 message for the host, its checksum still zero.
pub struct Reply {
    pub src: Ipv6Addr,
    pub dst: Ipv6Addr,
    pub icmp: Vec<u8>,
}

/// Answers a Router or Neighbour Solicitation whose IPv6 header and
/// checksum were already checked; `None` for anything else or invalid.
pub fn answer(
    b: &Bearer,
    src: Ipv6Addr,
    dst: Ipv6Addr,
    hop_limit: u8,
    icmp: &[u8],
    framing: Framing,
) -> Option<Reply> {
    if hop_limit != NDP_HOP_LIMIT || icmp.len() < 8 || icmp[1] != 0 {
        return None;
    }
    match icmp[0] {
        ROUTER_SOLICITATION => {
            let source_lla = options(&icmp[8..])?;
            // An unspecified source must not claim a link-layer address.
            if src.is_unspecified() && source_lla {
                return None;
            }
            if dst != ALL_ROUTERS && !is_router(b, dst) {
                return None;
            }
            let to = if src.is_unspecified() { ALL_NODES } else { src };
            Some(Reply {
                src: ROUTER_LINK_LOCAL,
                dst: to,
                icmp: advertisement(b, framing)?,
            })
        }
        NEIGHBOR_SOLICITATION => {
            if icmp.len() < 24 {
                return None;
            }
            let target = Ipv6Addr::from(<[u8; 16]>::try_from(&icmp[8..24]).ok()?);
            options(&icmp[24..])?;
            // Duplicate address detection: the prefix is the host's.
            if target.is_multicast() || src.is_unspecified() {
                return None;
            }
            if dst != target && dst != solicited_node(target) {
                return None;
            }
            let router = is_router(b, target);
            if !router && !reachable(b, src, target) {
                return None;
            }
            let mut flags = NA_SOLICITED | NA_OVERRIDE;
            if router {
                flags |= NA_ROUTER;
            }
            let mut na = vec![NEIGHBOR_ADVERTISEMENT, 0, 0, 0, flags, 0, 0, 0];
            na.extend_from_slice(&target.octets());
            if framing == Framing::Ethernet {
                na.extend_from_slice(&[OPT_TARGET_LLA, 1]);
                na.extend_from_slice(&MODEM_MAC);
            }
            Some(Reply {
                src: target,
                dst: src,
                icmp: na,
            })
        }
        _ => None,
    }
}

/// The router's own addresses on the link.
fn is_router(b: &Bearer, a: Ipv6Addr) -> bool {
    a == ROUTER_LINK_LOCAL || Some(a) == b.settings.ipv6_gateway
}

/// The Router Advertisement for bearer `b`.
fn advertisement(b: &Bearer, framing: Framing) -> Option<Vec<u8>> {
    let s = &b.settings;
    let own = s.ipv6_address?;
    let len = s.ipv6_prefix.min(128);
    let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
    let prefix = Ipv6Addr::from(u128::from(own) & mask);
    // Hop limit for the host, no managed/other configuration flags (no
    // DHCPv6 in a PDN), router lifetime; reachable time and retransmission
    // timer unspecified.
    let mut ra = vec![ROUTER_ADVERTISEMENT, 0, 0, 0, HOP_LIMIT, 0];
    ra.extend_from_slice(&ROUTER_LIFETIME_S.to_be_bytes());
    ra.extend_from_slice(&[0; 8]);
    if framing == Framing::Ethernet {
        ra.extend_from_slice(&[OPT_SOURCE_LLA, 1]);
        ra.extend_from_slice(&MODEM_MAC);
    }
    ra.extend_from_slice(&[OPT_MTU, 1, 0, 0]);
    ra.extend_from_slice(&s.mtu.to_be_bytes());
    // Lifetimes infinite: the prefix lasts as long as the bearer.
    ra.extend_from_slice(&[OPT_PREFIX, 4, len, PREFIX_AUTONOMOUS]);
    ra.extend_from_slice(&u32::MAX.to_be_bytes());
    ra.extend_from_slice(&u32::MAX.to_be_bytes());
    ra.extend_from_slice(&[0; 4]);
    ra.extend_from_slice(&prefix.octets());
    Some(ra)
}

/// Walks the options (RFC 4861 4.6): `None` if one has length zero or runs
/// past the end, else whether a source link-layer address is among them.
fn options(mut o: &[u8]) -> Option<bool> {
    let mut source_lla = false;
    while !o.is_empty() {
        let len = *o.get(1)? as usize * 8;
        if len == 0 || len > o.len() {
            return None;
        }
        source_lla |= o[0] == OPT_SOURCE_LLA;
        o = &o[len..];
    }
    Some(source_lla)
}

/// The solicited-node multicast address of `a` (RFC 4291 2.7.1).
pub fn solicited_node(a: Ipv6Addr) -> Ipv6Addr {
    let o = a.octets();
    Ipv6Addr::from([
        0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, o[13], o[14], o[15],
    ])
}
