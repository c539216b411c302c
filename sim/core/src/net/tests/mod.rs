use super::*;
use crate::model::{IpFamily, Profile};
use crate::testkit::checksum;
use crate::time::Instant;

mod ndisc;
mod uplink;

/// A registered device with IPv4 and IPv6 bearers on `internet`.
pub(super) fn connected(link_layer: u32) -> Device {
    let mut d = Device::new(Profile::default(), 1, Instant::ZERO);
    d.with_sim(Instant::ZERO, |s| s.verify_pin("1234")).unwrap();
    d.handle_timeout(Instant::from_millis(5_000));
    d.start_network("internet", IpFamily::V4).unwrap();
    d.start_network("internet", IpFamily::V6).unwrap();
    d.data_format.link_layer = link_layer;
    d
}

fn v4(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

pub(super) fn ping_v4(dst: &str, payload: &[u8]) -> Vec<u8> {
    let mut icmp = vec![8, 0, 0, 0, 0x12, 0x34, 0x00, 0x01];
    icmp.extend_from_slice(payload);
    let c = checksum::of(&icmp);
    icmp[2..4].copy_from_slice(&c.to_be_bytes());
    crate::testkit::packet::ipv4(v4("10.64.0.2"), v4(dst), 1, &icmp)
}

fn udp_v4(dst: &str, dport: u16, data: &[u8]) -> Vec<u8> {
    let mut u = vec![0x9c, 0x40, 0, 0, 0, 0, 0, 0];
    u[2..4].copy_from_slice(&dport.to_be_bytes());
    u[4..6].copy_from_slice(&((8 + data.len()) as u16).to_be_bytes());
    u.extend_from_slice(data);
    let s = checksum::pseudo_v4(v4("10.64.0.2").octets(), v4(dst).octets(), 17, u.len());
    let c = checksum::finish(checksum::add(s, &u));
    u[6..8].copy_from_slice(&c.to_be_bytes());
    crate::testkit::packet::ipv4(v4("10.64.0.2"), v4(dst), 17, &u)
}

pub(super) fn exchange(d: &Device, pkt: &[u8]) -> Option<Vec<u8>> {
    let mut n = PacketNetwork::default();
    n.handle(d, pkt);
    n.poll()
}

/// Checks an IPv4 reply's header and transport checksums.
pub(super) fn valid_v4(p: &[u8]) -> bool {
    let (src, dst) = ([p[12], p[13], p[14], p[15]], [p[16], p[17], p[18], p[19]]);
    let body = &p[20..];
    let transport_ok = match p[9] {
        1 => checksum::of(body) == 0,
        17 => {
            checksum::finish(checksum::add(
                checksum::pseudo_v4(src, dst, 17, body.len()),
                body,
            )) == 0
        }
        _ => false,
    };
    checksum::of(&p[..20]) == 0 && transport_ok
}

#[test]
fn the_gateway_and_the_echo_hosts_answer_ping() {
    let d = connected(2);
    for dst in [
        "10.64.0.1",
        "10.64.0.53",
        "10.64.0.77",
        "192.0.2.1",
        "192.0.2.200",
    ] {
        let r = exchange(&d, &ping_v4(dst, b"hello")).unwrap_or_else(|| panic!("{dst}"));
        assert!(valid_v4(&r), "{dst}");
        assert_eq!(&r[12..16], &v4(dst).octets());
        assert_eq!(&r[16..20], &[10, 64, 0, 2]);
        assert_eq!(r[20], 0, "echo reply");
        assert_eq!(&r[28..], b"hello");
    }
}

#[test]
fn nothing_beyond_the_simulated_network_answers() {
    let d = connected(2);
    assert!(exchange(&d, &ping_v4("8.8.8.8", b"x")).is_none());
    assert!(
        exchange(&d, &ping_v4("10.64.0.2", b"x")).is_none(),
        "our own address"
    );
    // Not from the bearer's address.
    let mut p = ping_v4("10.64.0.1", b"x");
    p[15] = 9;
    p[10..12].fill(0);
    let c = checksum::of(&p[..20]);
    p[10..12].copy_from_slice(&c.to_be_bytes());
    assert!(exchange(&d, &p).is_none());
    // A corrupted header checksum.
    let mut p = ping_v4("10.64.0.1", b"x");
    p[10] ^= 0xff;
    assert!(exchange(&d, &p).is_none());
}

#[test]
fn no_bearer_no_answer() {
    let mut d = connected(2);
    let handles: Vec<u32> = d.bearers.iter().map(|b| b.handle).collect();
    for h in handles {
        d.stop_network(h);
    }
    let mut n = PacketNetwork::default();
    n.handle(&d, &ping_v4("10.64.0.1", b"x"));
    assert!(n.poll().is_none());
    assert_eq!(n.stats().dropped, 1);
}

#[test]
fn udp_echo() {
    let d = connected(2);
    let r = exchange(&d, &udp_v4("192.0.2.7", 7, b"ping over udp")).unwrap();
    assert!(valid_v4(&r));
    assert_eq!(&r[20..22], &7u16.to_be_bytes(), "source port");
    assert_eq!(&r[22..24], &0x9c40u16.to_be_bytes());
    assert_eq!(&r[28..], b"ping over udp");
    assert!(exchange(&d, &udp_v4("192.0.2.7", 9, b"discard")).is_none());
}

fn dns_query(name: &str, qtype: u16) -> Vec<u8> {
    let mut q = vec![0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for l in name.split('.') {
        q.push(l.len() as u8);
        q.extend_from_slice(l.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes());
    q
}

#[test]
fn dns_answers_the_test_zone() {
    let d = connected(2);
    let r = exchange(
        &d,
        &udp_v4("10.64.0.53", 53, &dns_query("gateway.vmodem.test", 1)),
    )
    .unwrap();
    assert!(valid_v4(&r));
    let dns = &r[28..];
    assert_eq!(&dns[0..2], &[0xbe, 0xef]);
    assert_eq!(dns[2] & 0x80, 0x80, "a response");
    assert_eq!(dns[3] & 0x0f, 0, "NOERROR");
    assert_eq!(&dns[6..8], &[0, 1], "one answer");
    assert_eq!(&dns[dns.len() - 4..], &[10, 64, 0, 1]);

    let a = |name, t| dns::answer(&d.bearers[0].settings, &dns_query(name, t)).unwrap();
    assert_eq!(a("nope.vmodem.test", 1)[3] & 0x0f, 3, "NXDOMAIN");
    assert_eq!(a("example.com", 1)[3] & 0x0f, 5, "REFUSED");
    let aaaa = a("gateway.vmodem.test", 28);
    assert_eq!(
        &aaaa[aaaa.len() - 16..],
        &"2001:db8:64::1"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets()
    );
    // Only the DNS servers speak DNS.
    assert!(exchange(
        &d,
        &udp_v4("10.64.0.1", 53, &dns_query("gateway.vmodem.test", 1))
    )
    .is_none());
    // A header with a truncated question is a format error.
    let bad = dns::answer(
        &d.bearers[0].settings,
        &dns_query("gateway.vmodem.test", 1)[..20],
    )
    .unwrap();
    assert_eq!(bad[3] & 0x0f, 1, "FORMERR");
}

#[test]
fn ipv6_ping_the_gateway() {
    let d = connected(2);
    let src: std::net::Ipv6Addr = "2001:db8:64::2".parse().unwrap();
    let dst: std::net::Ipv6Addr = "2001:db8:64::1".parse().unwrap();
    let mut icmp = vec![128, 0, 0, 0, 0, 7, 0, 1, b'v', b'6'];
    let s = checksum::pseudo_v6(&src.octets(), &dst.octets(), 58, icmp.len());
    let c = checksum::finish(checksum::add(s, &icmp));
    icmp[2..4].copy_from_slice(&c.to_be_bytes());
    let mut p = vec![0x60, 0, 0, 0, 0, icmp.len() as u8, 58, 64];
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    p.extend_from_slice(&icmp);
    let r = exchange(&d, &p).unwrap();
    assert_eq!(&r[8..24], &dst.octets());
    assert_eq!(&r[24..40], &src.octets());
    assert_eq!(r[40], 129);
    let s = checksum::pseudo_v6(&dst.octets(), &src.octets(), 58, r.len() - 40);
    assert_eq!(checksum::finish(checksum::add(s, &r[40..])), 0);
}

#[test]
fn ethernet_arp_and_ping() {
    let d = connected(1);
    let host = [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc];
    let mut arp = vec![0xff; 6];
    arp.extend_from_slice(&host);
    arp.extend_from_slice(&[0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1]);
    arp.extend_from_slice(&host);
    arp.extend_from_slice(&[10, 64, 0, 2, 0, 0, 0, 0, 0, 0, 10, 64, 0, 1]);
    let r = exchange(&d, &arp).unwrap();
    assert_eq!(&r[0..6], &host);
    assert_eq!(&r[6..12], &MODEM_MAC);
    assert_eq!(&r[20..22], &[0, 2], "ARP reply");
    assert_eq!(&r[22..28], &MODEM_MAC, "the gateway is at the modem");
    assert_eq!(&r[28..32], &[10, 64, 0, 1]);

    let mut f = MODEM_MAC.to_vec();
    f.extend_from_slice(&host);
    f.extend_from_slice(&[0x08, 0x00]);
    f.extend_from_slice(&ping_v4("10.64.0.1", b"eth"));
    let r = exchange(&d, &f).unwrap();
    assert_eq!(&r[12..14], &[0x08, 0x00]);
    assert!(valid_v4(&r[14..]));
    // A bare IP packet in 802.3 mode is not an Ethernet frame.
    assert!(exchange(&d, &ping_v4("10.64.0.1", b"x")).is_none());
}
