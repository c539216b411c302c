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
use smoltcp::time::Duration;
use smoltcp::wire::{
    Icmpv6Packet, NdiscNeighborFlags, NdiscPrefixInfoFlags, NdiscPrefixInformation, NdiscRepr,
    NdiscRouterFlags, RawHardwareAddress,
};
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
/// checksum were already checked; `None` for anything else or invalid
/// (an option of length zero or running past the end included).
pub fn answer(
    b: &Bearer,
    src: Ipv6Addr,
    dst: Ipv6Addr,
    hop_limit: u8,
    icmp: &Icmpv6Packet<&[u8]>,
    framing: Framing,
) -> Option<Reply> {
    if hop_limit != NDP_HOP_LIMIT || icmp.msg_code() != 0 {
        return None;
    }
    let lladdr = (framing == Framing::Ethernet).then(|| RawHardwareAddress::from_bytes(&MODEM_MAC));
    match NdiscRepr::parse(icmp).ok()? {
        NdiscRepr::RouterSolicit { lladdr: source_lla } => {
            // An unspecified source must not claim a link-layer address.
            if src.is_unspecified() && source_lla.is_some() {
                return None;
            }
            if dst != ALL_ROUTERS && !is_router(b, dst) {
                return None;
            }
            let to = if src.is_unspecified() { ALL_NODES } else { src };
            Some(Reply {
                src: ROUTER_LINK_LOCAL,
                dst: to,
                icmp: emit(advertisement(b, lladdr)?),
            })
        }
        NdiscRepr::NeighborSolicit { target_addr, .. } => {
            let target = target_addr;
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
            let mut flags = NdiscNeighborFlags::SOLICITED | NdiscNeighborFlags::OVERRIDE;
            if router {
                flags |= NdiscNeighborFlags::ROUTER;
            }
            let na = NdiscRepr::NeighborAdvert {
                flags,
                target_addr: target,
                lladdr,
            };
            Some(Reply {
                src: target,
                dst: src,
                icmp: emit(na),
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
fn advertisement(b: &Bearer, lladdr: Option<RawHardwareAddress>) -> Option<NdiscRepr<'static>> {
    let s = &b.settings;
    let own = s.ipv6_address?;
    let len = s.ipv6_prefix.min(128);
    let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
    // Lifetimes infinite: the prefix lasts as long as the bearer.
    let infinite = Duration::from_secs(u64::from(u32::MAX));
    // Hop limit for the host, no managed/other configuration flags (no
    // DHCPv6 in a PDN), router lifetime; reachable time and retransmission
    // timer unspecified.
    Some(NdiscRepr::RouterAdvert {
        hop_limit: HOP_LIMIT,
        flags: NdiscRouterFlags::empty(),
        router_lifetime: Duration::from_secs(u64::from(ROUTER_LIFETIME_S)),
        reachable_time: Duration::ZERO,
        retrans_time: Duration::ZERO,
        lladdr,
        mtu: Some(s.mtu),
        prefix_info: Some(NdiscPrefixInformation {
            prefix_len: len,
            flags: NdiscPrefixInfoFlags::ADDRCONF,
            valid_lifetime: infinite,
            preferred_lifetime: infinite,
            prefix: Ipv6Addr::from(u128::from(own) & mask),
        }),
    })
}

/// The ICMPv6 bytes of a neighbour discovery message, checksum zero.
fn emit(repr: NdiscRepr<'_>) -> Vec<u8> {
    let mut icmp = vec![0; repr.buffer_len()];
    repr.emit(&mut Icmpv6Packet::new_unchecked(&mut icmp[..]));
    icmp
}

/// The solicited-node multicast address of `a` (RFC 4291 2.7.1).
pub fn solicited_node(a: Ipv6Addr) -> Ipv6Addr {
    let o = a.octets();
    Ipv6Addr::from([
        0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, o[13], o[14], o[15],
    ])
}
