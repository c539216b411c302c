//! IPv4: ICMP echo and UDP (echo, DNS) toward the simulated network.

use super::{dns, echo, udp, DNS_PORT, ECHO_NET_V4, UDP_ECHO_PORT};
use crate::model::{Bearer, IpFamily};
use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{
    Icmpv4Message, Icmpv4Packet, IpProtocol, Ipv4Cidr, Ipv4Packet, Ipv4Repr, UdpPacket,
    IPV4_HEADER_LEN,
};
use std::net::Ipv4Addr;

const REPLY_TTL: u8 = 64;

/// The IPv4 bearer whose address sent `src`.
fn bearer_of(bearers: &[Bearer], src: Ipv4Addr) -> Option<&Bearer> {
    bearers
        .iter()
        .find(|b| b.family == IpFamily::V4 && b.settings.ipv4_address == src)
}

/// Whether `a` lies in `net`/`prefix`.
fn in_prefix(a: Ipv4Addr, net: Ipv4Addr, prefix: u8) -> bool {
    Ipv4Cidr::new(net, prefix.min(32)).contains_addr(&a)
}

/// Whether `dst` is a host of the simulated network for this bearer.
pub fn reachable(b: &Bearer, dst: Ipv4Addr) -> bool {
    let s = &b.settings;
    dst != s.ipv4_address
        && (dst == s.ipv4_gateway
            || s.ipv4_dns.contains(&dst)
            || in_prefix(dst, s.ipv4_address, s.ipv4_prefix)
            || in_prefix(dst, ECHO_NET_V4.0, ECHO_NET_V4.1))
}

/// A checked IPv4 packet: lengths consistent, header checksum valid.
pub fn checked(pkt: &[u8]) -> Option<Ipv4Packet<&[u8]>> {
    let ip = Ipv4Packet::new_checked(pkt).ok()?;
    (ip.version() == 4 && ip.verify_checksum()).then_some(ip)
}

/// Appends the answer to `pkt`, if the simulated network has one, to
/// `out` (which may already hold a link-layer header's room). An echo
/// reply is the request copied once, its checksum carried over or
/// adjusted (RFC 1624), never rebuilt: one allocation per packet.
pub fn answer(bearers: &[Bearer], pkt: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let ip = checked(pkt)?;
    // Fragments are not reassembled: the simulated hosts drop them.
    if ip.more_frags() || ip.frag_offset() != 0 || ip.hop_limit() == 0 {
        return None;
    }
    let (src, dst) = (ip.src_addr(), ip.dst_addr());
    let b = bearer_of(bearers, src)?;
    if !reachable(b, dst) {
        return None;
    }
    let payload = ip.payload();
    match ip.next_header() {
        IpProtocol::Icmp => {
            let p = Icmpv4Packet::new_checked(payload).ok()?;
            if p.msg_type() != Icmpv4Message::EchoRequest || !p.verify_checksum() {
                return None;
            }
            put(out, dst, src, IpProtocol::Icmp, payload.len(), |r| {
                r.copy_from_slice(payload);
                echo::set_icmp_type(r, Icmpv4Message::EchoReply.into());
            });
        }
        IpProtocol::Udp => {
            let u = UdpPacket::new_checked(payload).ok()?;
            if !u.verify_checksum(&src.into(), &dst.into()) {
                return None;
            }
            match u.dst_port() {
                UDP_ECHO_PORT => {
                    let len = usize::from(u.len());
                    put(out, dst, src, IpProtocol::Udp, len, |r| {
                        echo::udp(r, &payload[..len])
                    });
                }
                DNS_PORT if b.settings.ipv4_dns.contains(&dst) => {
                    let data = dns::answer(&b.settings, u.payload())?;
                    let r = udp::reply(dst.into(), src.into(), &u, &data);
                    put(out, dst, src, IpProtocol::Udp, r.len(), |p| {
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

/// Appends an IPv4 packet from `src` to `dst` to `out`: the header, then
/// `payload_len` bytes that `fill` writes in place.
pub fn put(
    out: &mut Vec<u8>,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    proto: IpProtocol,
    payload_len: usize,
    fill: impl FnOnce(&mut [u8]),
) {
    let repr = Ipv4Repr {
        src_addr: src,
        dst_addr: dst,
        next_header: proto,
        payload_len,
        hop_limit: REPLY_TTL,
    };
    let start = out.len();
    out.resize(start + IPV4_HEADER_LEN + payload_len, 0);
    let mut ip = Ipv4Packet::new_unchecked(&mut out[start..]);
    repr.emit(&mut ip, &ChecksumCapabilities::default());
    fill(ip.payload_mut());
}

/// An IPv4 packet from `src` to `dst` carrying `payload`.
pub fn build(src: Ipv4Addr, dst: Ipv4Addr, proto: IpProtocol, payload: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(IPV4_HEADER_LEN + payload.len());
    put(&mut p, src, dst, proto, payload.len(), |r| {
        r.copy_from_slice(payload)
    });
    p
}
