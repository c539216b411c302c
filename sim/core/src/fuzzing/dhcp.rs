//! DHCP messages from the host: the codec and the server behind it.

use super::{check_invariants, connected_modem};
use crate::net::dhcp::DhcpMessage;
use crate::time::Instant;
use std::net::Ipv4Addr;

/// The input is one DHCP message (the UDP payload). As bare bytes: what
/// parses re-emits and parses back the same. Through an 802.3 modem with
/// an IPv4 bearer, broadcast from 0.0.0.0 and unicast from the bearer's
/// address: nothing panics, every answer is a DHCP reply, and the server
/// still grants a lease after it.
pub fn dhcp(data: &[u8]) {
    if let Ok(m) = DhcpMessage::parse(data) {
        assert_eq!(DhcpMessage::parse(&m.emit()), Ok(m), "round trip");
    }
    let mut m = connected_modem(false);
    m.device_mut().data_format.link_layer = 1;
    let t = Instant::from_millis(10_000);
    let bearer = Ipv4Addr::new(10, 64, 0, 2);
    for (src, dst) in [
        (Ipv4Addr::UNSPECIFIED, Ipv4Addr::BROADCAST),
        (bearer, Ipv4Addr::new(10, 64, 0, 1)),
    ] {
        m.handle_data(&frame(src, dst, data), t);
        check_invariants(&m);
        while let Some(reply) = m.poll_data() {
            let r = reply.get(42..).and_then(|b| DhcpMessage::parse(b).ok());
            assert!(r.is_some(), "an answer is a DHCP message");
        }
    }
}

/// `body` in UDP 68 → 67, IPv4 (checksums left zero: UDP's means "none",
/// the header's is filled in) and an Ethernet broadcast frame.
fn frame(src: Ipv4Addr, dst: Ipv4Addr, body: &[u8]) -> Vec<u8> {
    let body = &body[..body.len().min(1400)];
    let udp_len = 8 + body.len();
    let mut ip = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0];
    ip[2..4].copy_from_slice(&((20 + udp_len) as u16).to_be_bytes());
    ip.extend_from_slice(&src.octets());
    ip.extend_from_slice(&dst.octets());
    let sum = ip
        .chunks(2)
        .fold(0u32, |s, w| s + u32::from(u16::from_be_bytes([w[0], w[1]])));
    let sum = (sum & 0xffff) + (sum >> 16);
    let sum = !(((sum & 0xffff) + (sum >> 16)) as u16);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    ip.extend_from_slice(&[0, 68, 0, 67]);
    ip.extend_from_slice(&(udp_len as u16).to_be_bytes());
    ip.extend_from_slice(&[0, 0]);
    ip.extend_from_slice(body);
    let mut f = vec![0xff; 6];
    f.extend_from_slice(&[2, 0, 0, 0, 0, 9, 8, 0]);
    f.extend_from_slice(&ip);
    f
}
