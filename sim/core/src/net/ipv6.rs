//! IPv6: ICMPv6 echo, neighbour discovery and UDP (echo, DNS) toward the
//! simulated network.

use super::ndisc::{self, ROUTER_LINK_LOCAL};
use super::{dns, echo, udp, Framing, DNS_PORT, UDP_ECHO_PORT};
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

/// Appends the answer to `pkt`, if the simulated network has one, to
/// `out`; echo replies as in `ipv4::answer`.
pub fn answer(bearers: &[Bearer], pkt: &[u8], framing: Framing, out: &mut Vec<u8>) -> Option<()> {
    let ip = checked(pkt)?;
    let hop_limit = ip.hop_limit();
    if hop_limit == 0 {
        return None;
    }
    let (src, dst) = (ip.src_addr(), ip.dst_addr());
    let b = bearer_of(bearers, src)?;
    let payload = ip.payload();
    // Extension headers are not followed: the simulated hosts drop them.
    match ip.next_header() {
        IpProtocol::Icmpv6 => {
            let icmp = Icmpv6Packet::new_checked(payload).ok()?;
            if !icmp.verify_checksum(&src, &dst) {
                return None;
            }
            if icmp.msg_type() != Icmpv6Message::EchoRequest {
                let r = ndisc::answer(b, src, dst, hop_limit, &icmp, framing)?;
                let (s, d) = (r.src, r.dst);
                put(
                    out,
                    s,
                    d,
                    ndisc::NDP_HOP_LIMIT,
                    IpProtocol::Icmpv6,
                    r.icmp.len(),
                    |p| {
                        p.copy_from_slice(&r.icmp);
                        Icmpv6Packet::new_unchecked(p).fill_checksum(&s, &d);
                    },
                );
                return Some(());
            }
            if src.is_unspecified() || !reachable(b, src, dst) {
                return None;
            }
            put(
                out,
                dst,
                src,
                HOP_LIMIT,
                IpProtocol::Icmpv6,
                payload.len(),
                |r| {
                    r.copy_from_slice(payload);
                    echo::set_icmp_type(r, Icmpv6Message::EchoReply.into());
                },
            );
        }
        IpProtocol::Udp => {
            let u = UdpPacket::new_checked(payload).ok()?;
            // Over IPv6 the UDP checksum is mandatory (RFC 8200 8.1).
            if u.checksum() == 0 || !u.verify_checksum(&src.into(), &dst.into()) {
                return None;
            }
            if src.is_unspecified() || !reachable(b, src, dst) {
                return None;
            }
            match u.dst_port() {
                UDP_ECHO_PORT => {
                    let len = usize::from(u.len());
                    put(out, dst, src, HOP_LIMIT, IpProtocol::Udp, len, |r| {
                        echo::udp(r, &payload[..len])
                    });
                }
                DNS_PORT if b.settings.ipv6_dns.contains(&dst) => {
                    let data = dns::answer(&b.settings, u.payload())?;
                    let r = udp::reply(dst.into(), src.into(), &u, &data);
                    put(out, dst, src, HOP_LIMIT, IpProtocol::Udp, r.len(), |p| {
                        p.copy_from_slice(&r)
                    });
                }
                _ => return None,
            }
        }
        _ => return None,
    }
    Some(())
}

/// Appends an IPv6 packet from `src` to `dst` to `out`: the header, then
/// `payload_len` bytes that `fill` writes in place (checksum included).
fn put(
    out: &mut Vec<u8>,
    src: Ipv6Addr,
    dst: Ipv6Addr,
    hop_limit: u8,
    next_header: IpProtocol,
    payload_len: usize,
    fill: impl FnOnce(&mut [u8]),
) {
    let repr = Ipv6Repr {
        src_addr: src,
        dst_addr: dst,
        next_header,
        payload_len,
        hop_limit,
    };
    let start = out.len();
    out.resize(start + IPV6_HEADER_LEN + payload_len, 0);
    let mut ip = Ipv6Packet::new_unchecked(&mut out[start..]);
    repr.emit(&mut ip);
    fill(ip.payload_mut());
}
