//! Property tests of the data path: no packet panics it, from the host or
//! from the uplink, and whatever neighbour discovery answers carries a
//! valid ICMPv6 checksum.

use proptest::prelude::*;
use std::net::Ipv6Addr;
use vmodem_core::model::{Device, IpFamily, Profile};
use vmodem_core::net::PacketNetwork;
use vmodem_core::testkit::checksum;
use vmodem_core::time::Instant;

/// A registered device with IPv4 and IPv6 bearers, framing per WDA value.
fn connected(link_layer: u32) -> Device {
    let mut d = Device::new(Profile::default(), 1, Instant::ZERO);
    d.with_sim(Instant::ZERO, |s| s.verify_pin("1234")).unwrap();
    d.handle_timeout(Instant::from_millis(5_000));
    d.start_network("internet", IpFamily::V4).unwrap();
    d.start_network("internet", IpFamily::V6).unwrap();
    d.data_format.link_layer = link_layer;
    d
}

/// Addresses the network cares about, and any at all.
fn addr() -> impl Strategy<Value = Ipv6Addr> {
    let known: Vec<Ipv6Addr> = [
        "::",
        "fe80::1",
        "fe80::5:6:7:8",
        "ff02::1",
        "ff02::2",
        "ff02::1:ff00:1",
        "2001:db8:64::1",
        "2001:db8:64::2",
        "2001:db8:64::53",
        "2001:db8:64::77",
        "2001:db8:ffff::1",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    prop_oneof![
        3 => prop::sample::select(known),
        1 => any::<[u8; 16]>().prop_map(Ipv6Addr::from)
    ]
}

/// Source and destination: mostly the pairs neighbour discovery uses.
fn addrs() -> impl Strategy<Value = (Ipv6Addr, Ipv6Addr)> {
    let pairs: Vec<(Ipv6Addr, Ipv6Addr)> = [
        ("fe80::5:6:7:8", "ff02::2"),
        ("::", "ff02::2"),
        ("fe80::5:6:7:8", "fe80::1"),
        ("fe80::5:6:7:8", "ff02::1:ff00:1"),
        ("::", "ff02::1:ff00:2"),
        ("2001:db8:64::2", "2001:db8:64::1"),
        ("2001:db8:64:0:1:2:3:4", "ff02::1:ff00:77"),
    ]
    .iter()
    .map(|(a, b)| (a.parse().unwrap(), b.parse().unwrap()))
    .collect();
    prop_oneof![3 => prop::sample::select(pairs), 1 => (addr(), addr())]
}

/// NDP options: mostly well formed, sometimes of length zero or cut short.
fn options() -> impl Strategy<Value = Vec<u8>> {
    let opt = (
        prop_oneof![Just(1u8), Just(2u8), Just(3u8), Just(5u8), any::<u8>()],
        0u8..5,
    )
        .prop_flat_map(|(ty, len)| {
            let body = (len as usize * 8).saturating_sub(2);
            prop::collection::vec(any::<u8>(), body..=body).prop_map(move |b| {
                let mut o = vec![ty, len];
                o.extend_from_slice(&b);
                o
            })
        });
    (prop::collection::vec(opt, 0..4), any::<u8>()).prop_map(|(opts, cut)| {
        let mut v = opts.concat();
        if cut < 16 {
            v.truncate(v.len().saturating_sub(cut as usize));
        }
        v
    })
}

/// An IPv6 packet with a correct ICMPv6 checksum around a message that is
/// mostly a solicitation, so the parsers past the checksum run.
fn icmpv6() -> impl Strategy<Value = Vec<u8>> {
    let ty = prop_oneof![2 => Just(133u8), 2 => Just(135u8), 1 => Just(128u8), 1 => any::<u8>()];
    let hop = prop_oneof![3 => Just(255u8), 1 => any::<u8>()];
    let code = prop_oneof![3 => Just(0u8), 1 => any::<u8>()];
    (addrs(), ty, code, hop, addr(), options(), any::<bool>()).prop_map(
        |((src, dst), ty, code, hop, target, opts, bare)| {
            let mut icmp = vec![ty, code, 0, 0, 0, 0, 0, 0];
            if ty == 135 && !bare {
                icmp.extend_from_slice(&target.octets());
            }
            icmp.extend_from_slice(&opts);
            let s = checksum::pseudo_v6(&src.octets(), &dst.octets(), 58, icmp.len());
            let c = checksum::finish(checksum::add(s, &icmp));
            icmp[2..4].copy_from_slice(&c.to_be_bytes());
            let mut p = vec![0x60, 0, 0, 0];
            p.extend_from_slice(&(icmp.len() as u16).to_be_bytes());
            p.extend_from_slice(&[58, hop]);
            p.extend_from_slice(&src.octets());
            p.extend_from_slice(&dst.octets());
            p.extend_from_slice(&icmp);
            p
        },
    )
}

fn ethernet(ip: Vec<u8>) -> Vec<u8> {
    let mut f = vec![
        0x33, 0x33, 0, 0, 0, 2, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x86, 0xdd,
    ];
    f.extend_from_slice(&ip);
    f
}

/// Every IPv6 reply's ICMPv6 or UDP checksum holds.
fn valid_v6(p: &[u8]) -> bool {
    let len = u16::from_be_bytes([p[4], p[5]]) as usize;
    let src: [u8; 16] = p[8..24].try_into().unwrap();
    let dst: [u8; 16] = p[24..40].try_into().unwrap();
    let s = checksum::pseudo_v6(&src, &dst, p[6], len);
    p.len() == 40 + len && checksum::finish(checksum::add(s, &p[40..])) == 0
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..1600),
        link_layer in 0u32..4,
        uplink in any::<bool>(),
    ) {
        let d = connected(link_layer);
        let mut n = PacketNetwork::default();
        n.set_uplink(uplink);
        n.handle(&d, &bytes);
        n.handle_downlink(&d, &bytes);
        while n.poll().is_some() {}
        while n.poll_uplink().is_some() {}
        let s = n.stats();
        prop_assert_eq!(s.rx_packets, 1);
        prop_assert_eq!(s.downlink_packets + s.downlink_dropped, 1);
    }

    #[test]
    fn checksummed_icmpv6_never_panics_and_replies_are_valid(
        pkt in icmpv6(),
        raw in any::<bool>(),
    ) {
        let d = connected(if raw { 2 } else { 1 });
        let mut n = PacketNetwork::default();
        n.set_uplink(true);
        n.handle(&d, &if raw { pkt.clone() } else { ethernet(pkt.clone()) });
        if let Some(r) = n.poll() {
            let ip = if raw { &r[..] } else { &r[14..] };
            prop_assert!(valid_v6(ip));
            if ip[40] >= 133 {
                prop_assert_eq!(ip[7], 255, "NDP hop limit");
            }
        }
        // Neither the packet nor its fate is both answered and forwarded.
        let s = n.stats();
        prop_assert_eq!(s.tx_packets + s.uplink_packets + s.dropped, 1);
    }
}
