//! The opt-in uplink: what goes up, what comes down, in both framings.

use super::ndisc::{ipv6, v6};
use super::{connected, ping_v4, valid_v4};
use crate::net::{PacketNetwork, MODEM_MAC};
use crate::testkit::checksum;

const HOST_MAC: [u8; 6] = [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc];

fn up(on: bool) -> PacketNetwork {
    let mut n = PacketNetwork::default();
    n.set_uplink(on);
    n
}

/// The echo reply a real host beyond the uplink would send.
fn pong_from(src: [u8; 4], dst: [u8; 4], ttl: u8) -> Vec<u8> {
    let mut icmp = vec![0, 0, 0, 0, 0x12, 0x34, 0, 1, b'b', b'a', b'c', b'k'];
    let c = checksum::of(&icmp);
    icmp[2..4].copy_from_slice(&c.to_be_bytes());
    let mut p = crate::testkit::packet::ipv4(src.into(), dst.into(), 1, &icmp);
    p[8] = ttl;
    p[10..12].fill(0);
    let c = checksum::of(&p[..20]);
    p[10..12].copy_from_slice(&c.to_be_bytes());
    p
}

#[test]
fn off_by_default_nothing_leaves() {
    let d = connected(2);
    let mut n = PacketNetwork::default();
    n.handle(&d, &ping_v4("198.51.100.1", b"x"));
    assert!(n.poll_uplink().is_none());
    assert!(n.poll().is_none());
    assert_eq!(n.stats().dropped, 1);
    assert_eq!(n.stats().uplink_packets, 0);
    n.handle_downlink(&d, &pong_from([198, 51, 100, 1], [10, 64, 0, 2], 64));
    assert!(n.poll().is_none());
    assert_eq!(n.stats().downlink_dropped, 1);
}

#[test]
fn raw_ip_round_trip() {
    let d = connected(2);
    let mut n = up(true);
    let ping = ping_v4("198.51.100.1", b"out");
    n.handle(&d, &ping);
    assert!(n.poll().is_none(), "no local answer");
    let fwd = n.poll_uplink().unwrap();
    assert_eq!(fwd.len(), ping.len());
    assert_eq!(fwd[8], ping[8] - 1, "one hop: TTL down by one");
    assert!(valid_v4(&fwd), "header checksum redone");
    assert_eq!(&fwd[12..20], &ping[12..20]);
    assert_eq!(&fwd[20..], &ping[20..], "payload untouched");
    let s = n.stats();
    assert_eq!((s.uplink_packets, s.uplink_bytes), (1, ping.len() as u64));
    assert_eq!(s.dropped, 0);

    let pong = pong_from([198, 51, 100, 1], [10, 64, 0, 2], 64);
    n.handle_downlink(&d, &pong);
    let got = n.poll().unwrap();
    assert_eq!(got[8], 63);
    assert!(valid_v4(&got));
    assert_eq!(&got[12..], &pong[12..]);
    let s = n.stats();
    assert_eq!(
        (s.downlink_packets, s.downlink_bytes),
        (1, pong.len() as u64)
    );
    assert_eq!(
        (s.tx_packets, s.rx_packets),
        (1, 1),
        "counted toward the host"
    );
}

#[test]
fn what_stays_inside() {
    let d = connected(2);
    let mut n = up(true);
    // Answered by the simulated network, not forwarded.
    for dst in ["10.64.0.1", "10.64.0.53", "10.64.0.200", "192.0.2.9"] {
        n.handle(&d, &ping_v4(dst, b"x"));
        assert!(n.poll().is_some(), "{dst}");
    }
    // Dropped: multicast, broadcast, loopback, the host's own address.
    for dst in ["224.0.0.251", "255.255.255.255", "127.0.0.1", "10.64.0.2"] {
        n.handle(&d, &ping_v4(dst, b"x"));
    }
    // A TTL that would expire at the modem.
    let mut p = ping_v4("198.51.100.1", b"x");
    p[8] = 1;
    p[10..12].fill(0);
    let c = checksum::of(&p[..20]);
    p[10..12].copy_from_slice(&c.to_be_bytes());
    n.handle(&d, &p);
    // A corrupted header checksum; a source that is not the bearer's.
    let mut p = ping_v4("198.51.100.1", b"x");
    p[10] ^= 0xff;
    n.handle(&d, &p);
    let mut p = ping_v4("198.51.100.1", b"x");
    p[15] = 9;
    p[10..12].fill(0);
    let c = checksum::of(&p[..20]);
    p[10..12].copy_from_slice(&c.to_be_bytes());
    n.handle(&d, &p);
    assert!(n.poll_uplink().is_none());
    assert_eq!(n.stats().dropped, 7);
    assert_eq!(n.stats().uplink_packets, 0);
    // From the uplink: for an address that is not the bearer's, expiring,
    // or not IP at all.
    n.handle_downlink(&d, &pong_from([198, 51, 100, 1], [10, 64, 0, 3], 64));
    n.handle_downlink(&d, &pong_from([198, 51, 100, 1], [10, 64, 0, 2], 1));
    n.handle_downlink(&d, &[0x00, 0x01, 0x02]);
    n.handle_downlink(&d, &[]);
    assert_eq!(n.stats().downlink_dropped, 4);
    while n.poll().is_some() {}
}

#[test]
fn ethernet_strips_and_adds_the_link_layer() {
    let d = connected(1);
    let mut n = up(true);
    // Before the host said anything, its MAC is unknown: broadcast.
    let pong = pong_from([198, 51, 100, 1], [10, 64, 0, 2], 64);
    n.handle_downlink(&d, &pong);
    let f = n.poll().unwrap();
    assert_eq!(&f[0..6], &[0xff; 6]);
    assert_eq!(&f[6..12], &MODEM_MAC);
    assert_eq!(&f[12..14], &[0x08, 0x00]);

    let ping = ping_v4("198.51.100.1", b"eth");
    let mut frame = MODEM_MAC.to_vec();
    frame.extend_from_slice(&HOST_MAC);
    frame.extend_from_slice(&[0x08, 0x00]);
    frame.extend_from_slice(&ping);
    frame.resize(frame.len().max(60), 0); // Ethernet padding
    n.handle(&d, &frame);
    let fwd = n.poll_uplink().unwrap();
    assert_eq!(fwd.len(), ping.len(), "bare IP, padding stripped");
    assert_eq!(&fwd[20..], &ping[20..]);

    n.handle_downlink(&d, &pong);
    let f = n.poll().unwrap();
    assert_eq!(&f[0..6], &HOST_MAC, "learnt from the host's frame");
    assert_eq!(&f[6..12], &MODEM_MAC);
    assert_eq!(&f[12..14], &[0x08, 0x00]);
    assert_eq!(f[14 + 8], 63);
    assert!(valid_v4(&f[14..]));
    // ARP is never forwarded.
    let mut arp = vec![0xff; 6];
    arp.extend_from_slice(&HOST_MAC);
    arp.extend_from_slice(&[0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1]);
    arp.extend_from_slice(&HOST_MAC);
    arp.extend_from_slice(&[10, 64, 0, 2, 0, 0, 0, 0, 0, 0, 198, 51, 100, 1]);
    n.handle(&d, &arp);
    assert!(n.poll_uplink().is_none());
    assert!(n.poll().is_none());
}

#[test]
fn ipv6_goes_up_and_comes_back_to_the_prefix() {
    let d = connected(2);
    let mut n = up(true);
    let slaac = v6("2001:db8:64:0:a8bb:ccff:fedd:eeff");
    let far = v6("2001:db8:ffff::1");
    let echo = vec![128, 0, 0, 0, 0, 1, 0, 1, 1, 2];
    let p = ipv6(slaac, far, 58, 64, echo.clone());
    n.handle(&d, &p);
    let fwd = n.poll_uplink().unwrap();
    assert_eq!(fwd[7], 63, "hop limit down by one");
    assert_eq!(&fwd[..7], &p[..7]);
    assert_eq!(&fwd[8..], &p[8..]);
    // Stays inside: the gateway answers; link-local sources and multicast
    // destinations never leave.
    n.handle(&d, &ipv6(slaac, v6("2001:db8:64::1"), 58, 64, echo.clone()));
    assert!(n.poll().is_some());
    n.handle(&d, &ipv6(v6("fe80::1:2"), far, 58, 64, echo.clone()));
    n.handle(&d, &ipv6(slaac, v6("ff0e::1"), 58, 64, echo.clone()));
    n.handle(&d, &ipv6(v6("2001:db8:99::2"), far, 58, 64, echo.clone()));
    assert!(n.poll_uplink().is_none());
    assert_eq!(n.stats().dropped, 3);

    let mut back = vec![129, 0, 0, 0, 0, 1, 0, 1, 1, 2];
    let b = ipv6(far, slaac, 58, 60, std::mem::take(&mut back));
    n.handle_downlink(&d, &b);
    let got = n.poll().unwrap();
    assert_eq!(got[7], 59);
    assert_eq!(&got[8..], &b[8..]);
    n.handle_downlink(
        &d,
        &ipv6(far, v6("2001:db8:65::2"), 58, 60, vec![129, 0, 0, 0]),
    );
    assert!(n.poll().is_none());
    assert_eq!(n.stats().downlink_dropped, 1);
}

#[test]
fn turning_it_off_drops_what_waits() {
    let d = connected(2);
    let mut n = up(true);
    n.handle(&d, &ping_v4("198.51.100.1", b"x"));
    n.set_uplink(false);
    assert!(n.poll_uplink().is_none());
}
