//! IP packets as a host's stack sends them, with valid checksums.

use super::checksum;
use std::net::Ipv4Addr;

/// The bearer's IPv4 address and gateway in the default profile.
pub const BEARER_V4: Ipv4Addr = Ipv4Addr::new(10, 64, 0, 2);
pub const GATEWAY_V4: Ipv4Addr = Ipv4Addr::new(10, 64, 0, 1);

/// ICMP types of an echo.
pub const ECHO_REQUEST: u8 = 8;
pub const ECHO_REPLY: u8 = 0;

/// An IPv4 packet (no options, don't fragment, TTL 64) around `payload`.
pub fn ipv4(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, payload: &[u8]) -> Vec<u8> {
    let len = u16::try_from(20 + payload.len()).expect("an IPv4 packet fits 64 KiB");
    let mut p = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, protocol, 0, 0];
    p[2..4].copy_from_slice(&len.to_be_bytes());
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    let c = checksum::of(&p);
    p[10..12].copy_from_slice(&c.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// An ICMP echo of type `ty` (request or reply), identifier 1, sequence 1.
pub fn icmpv4_echo(src: Ipv4Addr, dst: Ipv4Addr, ty: u8, data: &[u8]) -> Vec<u8> {
    let mut icmp = vec![ty, 0, 0, 0, 0, 1, 0, 1];
    icmp.extend_from_slice(data);
    let c = checksum::of(&icmp);
    icmp[2..4].copy_from_slice(&c.to_be_bytes());
    ipv4(src, dst, 1, &icmp)
}

/// An echo request from the bearer to the gateway, `len` bytes of IP.
pub fn ping_gateway(len: usize) -> Vec<u8> {
    let data = vec![0xa5; len.saturating_sub(28)];
    icmpv4_echo(BEARER_V4, GATEWAY_V4, ECHO_REQUEST, &data)
}

/// A UDP datagram from the bearer to `dst`:`port` (source port 40000)
/// carrying `len` bytes, in an IPv4 packet, checksums filled in.
pub fn udp_to(dst: Ipv4Addr, port: u16, len: usize) -> Vec<u8> {
    let ulen = u16::try_from(8 + len).expect("a UDP datagram fits 64 KiB");
    let mut udp = Vec::with_capacity(8 + len);
    udp.extend_from_slice(&40000u16.to_be_bytes());
    udp.extend_from_slice(&port.to_be_bytes());
    udp.extend_from_slice(&ulen.to_be_bytes());
    udp.extend_from_slice(&[0, 0]);
    udp.extend((0..len).map(|i| i as u8));
    let mut pseudo = Vec::with_capacity(12 + udp.len());
    pseudo.extend_from_slice(&BEARER_V4.octets());
    pseudo.extend_from_slice(&dst.octets());
    pseudo.extend_from_slice(&[0, 17]);
    pseudo.extend_from_slice(&ulen.to_be_bytes());
    pseudo.extend_from_slice(&udp);
    let c = match checksum::of(&pseudo) {
        0 => 0xffff,
        c => c,
    };
    udp[6..8].copy_from_slice(&c.to_be_bytes());
    ipv4(BEARER_V4, dst, 17, &udp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_verify_and_lengths_add_up() {
        let p = ping_gateway(1500);
        assert_eq!(p.len(), 1500);
        assert_eq!(u16::from_be_bytes([p[2], p[3]]), 1500);
        assert_eq!(checksum::of(&p[..20]), 0, "header checksum");
        assert_eq!(checksum::of(&p[20..]), 0, "ICMP checksum");
    }

    #[test]
    fn a_udp_datagram_verifies() {
        let p = udp_to(GATEWAY_V4, 7, 1400);
        assert_eq!(p.len(), 1428);
        assert_eq!(checksum::of(&p[..20]), 0, "header checksum");
        let mut pseudo = p[12..20].to_vec();
        pseudo.extend_from_slice(&[0, 17, p[24], p[25]]);
        pseudo.extend_from_slice(&p[20..]);
        assert_eq!(checksum::of(&pseudo), 0, "UDP checksum");
    }
}
