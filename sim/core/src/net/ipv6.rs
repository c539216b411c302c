//! IPv6: ICMPv6 echo, neighbour discovery and UDP (echo, DNS) toward the
//! simulated network.

use super::ndisc::{self, ROUTER_LINK_LOCAL};
use super::{dns, udp, Framing, DNS_PORT, UDP_ECHO_PORT};
use crate::model::{Bearer, IpFamily};
use smoltcp::wire::{
    Icmpv6Message, Icmpv6Packet, IpProtocol, Ipv6Cidr, Ipv6Packet, Ipv6Repr, UdpPacket,
    IPV6_HEADER_LEN,
};
use std::net::Ipv6Addr;

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
        .is_some_and(|own| Ipv6Cidr::new(own, s.ipv6_prefix.min(128)).contains_addr(&a))
}

/// Whether `dst` is a host of the simulated network for a packet from `src`.
pub(crate) fn reachable(b: &Bearer, src: Ipv6Addr, dst: Ipv6Addr) -> bool {
    let s = &b.settings;
    dst == ROUTER_LINK_LOCAL
        || Some(dst) == s.ipv6_gateway
        || s.ipv6_dns.contains(&dst)
        || (on_prefix(b, dst) && Some(dst) != s.ipv6_address && dst != src)
}

/// A checked IPv6 packet: the payload length within the buffer.
pub fn checked(pkt: &[u8]) -> Option<Ipv6Packet<&[u8]>> {
    let ip = Ipv6Packet::new_checked(pkt).ok()?;
    (ip.version() == 6).then_some(ip)
}

pub fn answer(bearers: &[Bearer], pkt: &[u8], framing: Framing) -> Option<Vec<u8>> {
    let ip = checked(pkt)?;
    let hop_limit = ip.hop_limit();
    if hop_limit == 0 {
        return None;
    }
    let (src, dst) = (ip.src_addr(), ip.dst_addr());
    let b = bearer_of(bearers, src)?;
    // Extension headers are not followed: the simulated hosts drop them.
    match ip.next_header() {
        IpProtocol::Icmpv6 => {
            let icmp = Icmpv6Packet::new_checked(ip.payload()).ok()?;
            if !icmp.verify_checksum(&src, &dst) {
                return None;
            }
            if icmp.msg_type() != Icmpv6Message::EchoRequest {
                let r = ndisc::answer(b, src, dst, hop_limit, &icmp, framing)?;
                return Some(build(
                    r.src,
                    r.dst,
                    ndisc::NDP_HOP_LIMIT,
                    Body::Icmp(r.icmp),
                ));
            }
            if src.is_unspecified() || !reachable(b, src, dst) {
                return None;
            }
            let mut r = ip.payload().to_vec();
            Icmpv6Packet::new_unchecked(&mut r[..]).set_msg_type(Icmpv6Message::EchoReply);
            Some(build(dst, src, HOP_LIMIT, Body::Icmp(r)))
        }
        IpProtocol::Udp => {
            let u = UdpPacket::new_checked(ip.payload()).ok()?;
            // Over IPv6 the UDP checksum is mandatory (RFC 8200 8.1).
            if u.checksum() == 0 || !u.verify_checksum(&src.into(), &dst.into()) {
                return None;
            }
            if src.is_unspecified() || !reachable(b, src, dst) {
                return None;
            }
            let data = match u.dst_port() {
                UDP_ECHO_PORT => u.payload().to_vec(),
                DNS_PORT if b.settings.ipv6_dns.contains(&dst) => {
                    dns::answer(&b.settings, u.payload())?
                }
                _ => return None,
            };
            let r = udp::reply(dst.into(), src.into(), &u, &data);
            Some(build(dst, src, HOP_LIMIT, Body::Udp(r)))
        }
        _ => None,
    }
}

/// What an IPv6 packet of the simulated network carries.
enum Body {
    /// An ICMPv6 message, its checksum filled in by `build`.
    Icmp(Vec<u8>),
    /// A UDP datagram, checksum already filled in.
    Udp(Vec<u8>),
}

fn build(src: Ipv6Addr, dst: Ipv6Addr, hop_limit: u8, body: Body) -> Vec<u8> {
    let (next_header, mut body) = match body {
        Body::Icmp(b) => (IpProtocol::Icmpv6, b),
        Body::Udp(b) => (IpProtocol::Udp, b),
    };
    if next_header == IpProtocol::Icmpv6 {
        Icmpv6Packet::new_unchecked(&mut body[..]).fill_checksum(&src, &dst);
    }
    let repr = Ipv6Repr {
        src_addr: src,
        dst_addr: dst,
        next_header,
        payload_len: body.len(),
        hop_limit,
    };
    let mut p = vec![0; IPV6_HEADER_LEN + body.len()];
    let mut ip = Ipv6Packet::new_unchecked(&mut p[..]);
    repr.emit(&mut ip);
    ip.payload_mut().copy_from_slice(&body);
    p
}
