//! IPv4: ICMP echo and UDP (echo, DNS) toward the simulated network.

use super::{dns, udp, DNS_PORT, ECHO_NET_V4, UDP_ECHO_PORT};
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

pub fn answer(bearers: &[Bearer], pkt: &[u8]) -> Option<Vec<u8>> {
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
    let reply = match ip.next_header() {
        IpProtocol::Icmp => icmp_echo(ip.payload())?,
        IpProtocol::Udp => {
            let u = UdpPacket::new_checked(ip.payload()).ok()?;
            if !u.verify_checksum(&src.into(), &dst.into()) {
                return None;
            }
            let data = match u.dst_port() {
                UDP_ECHO_PORT => u.payload().to_vec(),
                DNS_PORT if b.settings.ipv4_dns.contains(&dst) => {
                    dns::answer(&b.settings, u.payload())?
                }
                _ => return None,
            };
            udp::reply(dst.into(), src.into(), &u, &data)
        }
        _ => return None,
    };
    Some(build(dst, src, ip.next_header(), &reply))
}

fn icmp_echo(icmp: &[u8]) -> Option<Vec<u8>> {
    let p = Icmpv4Packet::new_checked(icmp).ok()?;
    if p.msg_type() != Icmpv4Message::EchoRequest || !p.verify_checksum() {
        return None;
    }
    let mut r = icmp.to_vec();
    let mut p = Icmpv4Packet::new_unchecked(&mut r[..]);
    p.set_msg_type(Icmpv4Message::EchoReply);
    p.fill_checksum();
    Some(r)
}

/// An IPv4 packet from `src` to `dst` carrying `payload`.
pub fn build(src: Ipv4Addr, dst: Ipv4Addr, proto: IpProtocol, payload: &[u8]) -> Vec<u8> {
    let repr = Ipv4Repr {
        src_addr: src,
        dst_addr: dst,
        next_header: proto,
        payload_len: payload.len(),
        hop_limit: REPLY_TTL,
    };
    let mut p = vec![0; IPV4_HEADER_LEN + payload.len()];
    let mut ip = Ipv4Packet::new_unchecked(&mut p[..]);
    repr.emit(&mut ip, &ChecksumCapabilities::default());
    ip.payload_mut().copy_from_slice(payload);
    p
}
