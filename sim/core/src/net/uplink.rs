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

use super::{ip_version, ipv4, ipv6};
use crate::model::{Bearer, IpFamily};
use smoltcp::wire::{IpVersion, Ipv4Packet, Ipv6Packet};

/// The IP packet to forward for a packet from the host, if it goes up.
pub fn outbound(bearers: &[Bearer], pkt: &[u8]) -> Option<Vec<u8>> {
    match ip_version(pkt)? {
        IpVersion::Ipv4 => {
            let ip = ipv4::checked(pkt)?;
            let (src, dst) = (ip.src_addr(), ip.dst_addr());
            let b = bearers
                .iter()
                .find(|b| b.family == IpFamily::V4 && b.settings.ipv4_address == src)?;
            let special = dst.is_unspecified()
                || dst.is_loopback()
                || dst.is_multicast()
                || dst.is_broadcast();
            let leaves = !ipv4::reachable(b, dst) && dst != src && !special;
            leaves.then(|| hop_v4(ip))?
        }
        IpVersion::Ipv6 => {
            let ip = ipv6::checked(pkt)?;
            let (src, dst) = (ip.src_addr(), ip.dst_addr());
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
            leaves.then(|| hop_v6(ip))?
        }
    }
}

/// The IP packet to deliver to the host for a packet from the uplink, and
/// the handle of the bearer it is for.
pub fn inbound(bearers: &[Bearer], pkt: &[u8]) -> Option<(u32, Vec<u8>)> {
    match ip_version(pkt)? {
        IpVersion::Ipv4 => {
            let ip = ipv4::checked(pkt)?;
            let dst = ip.dst_addr();
            let b = bearers
                .iter()
                .find(|b| b.family == IpFamily::V4 && b.settings.ipv4_address == dst)?;
            Some((b.handle, hop_v4(ip)?))
        }
        IpVersion::Ipv6 => {
            let ip = ipv6::checked(pkt)?;
            let dst = ip.dst_addr();
            let b = bearers
                .iter()
                .find(|b| b.family == IpFamily::V6 && ipv6::on_prefix(b, dst))?;
            Some((b.handle, hop_v6(ip)?))
        }
    }
}

/// One router hop for IPv4: TTL down by one, header checksum redone; the
/// packet cut to its total length.
fn hop_v4(ip: Ipv4Packet<&[u8]>) -> Option<Vec<u8>> {
    if ip.hop_limit() <= 1 {
        return None;
    }
    let len = usize::from(ip.total_len());
    let mut out = ip.into_inner()[..len].to_vec();
    let mut p = Ipv4Packet::new_unchecked(&mut out[..]);
    p.set_hop_limit(p.hop_limit() - 1);
    p.fill_checksum();
    Some(out)
}

/// One router hop for IPv6: hop limit down by one; the packet cut to its
/// payload length.
fn hop_v6(ip: Ipv6Packet<&[u8]>) -> Option<Vec<u8>> {
    if ip.hop_limit() <= 1 {
        return None;
    }
    let len = ip.total_len();
    let mut out = ip.into_inner()[..len].to_vec();
    let mut p = Ipv6Packet::new_unchecked(&mut out[..]);
    p.set_hop_limit(p.hop_limit() - 1);
    Some(out)
}
