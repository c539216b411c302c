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
}
