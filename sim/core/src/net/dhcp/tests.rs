use super::*;
use crate::net::tests::connected;
use crate::net::{PacketNetwork, MODEM_MAC};
use crate::testkit::{checksum, packet};
use proptest::prelude::*;

const HOST_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x42];
const ANY: Ipv4Addr = Ipv4Addr::UNSPECIFIED;
const BEARER: Ipv4Addr = packet::BEARER_V4;
const GATEWAY: Ipv4Addr = packet::GATEWAY_V4;

fn msg(kind: Kind) -> DhcpMessage {
    DhcpMessage {
        kind,
        xid: 0x1234_5678,
        secs: 0,
        broadcast: false,
        ciaddr: ANY,
        yiaddr: ANY,
        siaddr: ANY,
        giaddr: ANY,
        chaddr: HOST_MAC,
        options: vec![(55, vec![1, 3, 6, 26, 51])],
    }
}

/// A UDP datagram 68 → 67 carrying `body` in an 802.3 frame.
fn frame_of(src: Ipv4Addr, dst: Ipv4Addr, body: &[u8]) -> Vec<u8> {
    let mut u = vec![0, 68, 0, 67, 0, 0, 0, 0];
    u[4..6].copy_from_slice(&((8 + body.len()) as u16).to_be_bytes());
    u.extend_from_slice(body);
    let s = checksum::pseudo_v4(src.octets(), dst.octets(), 17, u.len());
    let c = checksum::finish(checksum::add(s, &u));
    u[6..8].copy_from_slice(&c.to_be_bytes());
    let ip = packet::ipv4(src, dst, 17, &u);
    let mut f = vec![0xff; 6];
    f.extend_from_slice(&HOST_MAC);
    f.extend_from_slice(&[0x08, 0x00]);
    f.extend_from_slice(&ip);
    f
}

fn frame(m: &DhcpMessage) -> Vec<u8> {
    let src = m.ciaddr;
    let dst = if src.is_unspecified() {
        Ipv4Addr::BROADCAST
    } else {
        GATEWAY
    };
    frame_of(src, dst, &m.emit())
}

/// A reply frame: Ethernet destination, IP destination, the message.
/// Checks it comes from the modem and the gateway with valid checksums.
fn read(f: &[u8]) -> ([u8; 6], Ipv4Addr, DhcpMessage) {
    assert_eq!(&f[6..12], &MODEM_MAC);
    let ip = &f[14..];
    assert!(crate::net::tests::valid_v4(ip), "checksums");
    assert_eq!(&ip[12..16], &GATEWAY.octets());
    assert_eq!(&ip[20..24], &[0, 67, 0, 68]);
    let dst = Ipv4Addr::new(ip[16], ip[17], ip[18], ip[19]);
    let m = DhcpMessage::parse(&ip[28..]).unwrap();
    (f[..6].try_into().unwrap(), dst, m)
}

struct Host {
    dev: Device,
    net: PacketNetwork,
}

impl Host {
    fn new() -> Host {
        Host {
            dev: connected(1),
            net: PacketNetwork::default(),
        }
    }
    fn send(&mut self, m: &DhcpMessage) -> Option<([u8; 6], Ipv4Addr, DhcpMessage)> {
        self.net.handle(&self.dev, &frame(m));
        self.net.poll().map(|f| read(&f))
    }
    fn answer(&mut self, m: &DhcpMessage) -> DhcpMessage {
        self.send(m).expect("an answer").2
    }
    /// DISCOVER, OFFER, REQUEST, ACK.
    fn bind(&mut self) -> DhcpMessage {
        let offer = self.answer(&msg(Kind::Discover));
        assert_eq!(offer.kind, Kind::Offer);
        self.answer(&selecting(offer.yiaddr, GATEWAY))
    }
    fn v4_handle(&self) -> u32 {
        let b = self.dev.bearers.iter().find(|b| b.family == IpFamily::V4);
        b.unwrap().handle
    }
}

fn selecting(addr: Ipv4Addr, server: Ipv4Addr) -> DhcpMessage {
    let mut m = msg(Kind::Request);
    m.push_addr(OPT_REQUESTED_IP, addr);
    m.push_addr(OPT_SERVER_ID, server);
    m
}

fn renewing(addr: Ipv4Addr) -> DhcpMessage {
    let mut m = msg(Kind::Request);
    m.ciaddr = addr;
    m
}

fn u32_opt(m: &DhcpMessage, code: u8) -> Option<u32> {
    Some(u32::from_be_bytes(m.option(code)?.try_into().ok()?))
}

#[test]
fn discover_gets_the_bearers_settings() {
    let mut h = Host::new();
    let (mac, dst, offer) = h.send(&msg(Kind::Discover)).unwrap();
    assert_eq!(
        (mac, dst),
        (HOST_MAC, BEARER),
        "unicast to the offered address"
    );
    assert_eq!(offer.kind, Kind::Offer);
    assert_eq!(offer.xid, 0x1234_5678);
    assert_eq!(offer.yiaddr, BEARER);
    assert_eq!(offer.server_id(), Some(GATEWAY));
    assert_eq!(
        offer.option_addr(OPT_SUBNET_MASK),
        Some(Ipv4Addr::new(255, 255, 255, 0))
    );
    assert_eq!(offer.option_addr(OPT_ROUTER), Some(GATEWAY));
    assert_eq!(
        offer.option(OPT_DNS),
        Some(&[10, 64, 0, 53, 10, 64, 0, 54][..])
    );
    assert_eq!(u32_opt(&offer, OPT_LEASE_TIME), Some(LEASE_SECS));
    assert_eq!(u32_opt(&offer, OPT_RENEWAL_TIME), Some(3600));
    assert_eq!(u32_opt(&offer, OPT_REBINDING_TIME), Some(6300));
    let mtu = h.dev.bearers[0].settings.mtu as u16;
    assert_eq!(offer.option(OPT_MTU), Some(&mtu.to_be_bytes()[..]));
}

#[test]
fn the_settings_follow_the_profile() {
    let mut h = Host::new();
    let b = h.dev.bearers.iter_mut().find(|b| b.family == IpFamily::V4);
    let s = &mut b.unwrap().settings;
    s.ipv4_address = Ipv4Addr::new(100, 80, 7, 9);
    s.ipv4_prefix = 30;
    s.ipv4_gateway = Ipv4Addr::new(100, 80, 7, 10);
    s.ipv4_dns = vec![Ipv4Addr::new(100, 80, 0, 1)];
    h.net.handle(&h.dev, &frame(&msg(Kind::Discover)));
    let f = h.net.poll().unwrap();
    let offer = DhcpMessage::parse(&f[14 + 28..]).unwrap();
    assert_eq!(offer.yiaddr, Ipv4Addr::new(100, 80, 7, 9));
    assert_eq!(
        offer.option_addr(OPT_SUBNET_MASK),
        Some(Ipv4Addr::new(255, 255, 255, 252))
    );
    assert_eq!(offer.server_id(), Some(Ipv4Addr::new(100, 80, 7, 10)));
    assert_eq!(offer.option(OPT_DNS), Some(&[100, 80, 0, 1][..]));
}

#[test]
fn a_client_that_asks_for_broadcast_gets_it() {
    let mut h = Host::new();
    let mut d = msg(Kind::Discover);
    d.broadcast = true;
    let (mac, dst, _) = h.send(&d).unwrap();
    assert_eq!((mac, dst), ([0xff; 6], Ipv4Addr::BROADCAST));
}

#[test]
fn selecting_binds_and_renewing_extends() {
    let mut h = Host::new();
    let ack = h.bind();
    assert_eq!(ack.kind, Kind::Ack);
    assert_eq!(ack.yiaddr, BEARER);
    assert_eq!(u32_opt(&ack, OPT_LEASE_TIME), Some(LEASE_SECS));
    let (mac, dst, renew) = h.send(&renewing(BEARER)).unwrap();
    assert_eq!((mac, dst), (HOST_MAC, BEARER), "unicast to ciaddr");
    assert_eq!(
        (renew.kind, renew.yiaddr, renew.ciaddr),
        (Kind::Ack, BEARER, BEARER)
    );
    // Rebinding (broadcast, ciaddr set) is answered the same way.
    let mut rebind = renewing(BEARER);
    rebind.broadcast = true;
    assert_eq!(h.answer(&rebind).kind, Kind::Ack);
    assert_eq!(h.net.dhcp().stats().acks, 3);
}

#[test]
fn a_request_for_another_server_is_not_answered() {
    let mut h = Host::new();
    h.answer(&msg(Kind::Discover));
    assert!(h
        .send(&selecting(BEARER, Ipv4Addr::new(10, 64, 0, 99)))
        .is_none());
    assert_eq!(h.net.dhcp().stats().unanswered, 1);
}

#[test]
fn a_request_for_a_wrong_address_is_naked() {
    let mut h = Host::new();
    for m in [
        selecting(Ipv4Addr::new(10, 64, 0, 7), GATEWAY),
        renewing(Ipv4Addr::new(10, 64, 0, 7)),
        {
            let mut r = msg(Kind::Request);
            r.push_addr(OPT_REQUESTED_IP, Ipv4Addr::new(192, 168, 1, 5));
            r
        },
    ] {
        let (mac, dst, nak) = h.send(&m).unwrap();
        assert_eq!((mac, dst), ([0xff; 6], Ipv4Addr::BROADCAST));
        assert_eq!((nak.kind, nak.yiaddr), (Kind::Nak, ANY));
        assert_eq!(nak.server_id(), Some(GATEWAY));
        assert_eq!(nak.option(OPT_LEASE_TIME), None);
    }
}

#[test]
fn init_reboot_for_the_bearers_address_is_acked() {
    let mut h = Host::new();
    let mut r = msg(Kind::Request);
    r.push_addr(OPT_REQUESTED_IP, BEARER);
    assert_eq!(h.answer(&r).kind, Kind::Ack);
    // And binds: a renewal now succeeds.
    assert_eq!(h.answer(&renewing(BEARER)).kind, Kind::Ack);
}

#[test]
fn a_renewal_without_a_lease_is_naked() {
    let mut h = Host::new();
    assert_eq!(h.answer(&renewing(BEARER)).kind, Kind::Nak);
}

#[test]
fn the_lease_dies_with_its_bearer() {
    let mut h = Host::new();
    h.bind();
    let handle = h.v4_handle();
    assert!(h.dev.stop_network(handle));
    // No bearer: the renewal is refused, from the APN's gateway.
    let nak = h.answer(&renewing(BEARER));
    assert_eq!((nak.kind, nak.server_id()), (Kind::Nak, Some(GATEWAY)));
    // A new bearer with the same address: still not the lease's.
    h.dev.start_network("internet", IpFamily::V4).unwrap();
    assert_ne!(h.v4_handle(), handle);
    assert_eq!(h.answer(&renewing(BEARER)).kind, Kind::Nak);
    // The client starts over and is bound to the new bearer.
    assert_eq!(h.bind().kind, Kind::Ack);
    assert_eq!(h.answer(&renewing(BEARER)).kind, Kind::Ack);
}

#[test]
fn a_reset_forgets_the_lease() {
    let mut h = Host::new();
    h.bind();
    h.net.clear();
    assert_eq!(h.answer(&renewing(BEARER)).kind, Kind::Nak);
}

#[test]
fn an_expired_lease_is_not_renewed() {
    let mut h = Host::new();
    h.bind();
    h.net
        .handle_timeout(Instant::ZERO + Duration::from_secs(LEASE_SECS.into()));
    assert_eq!(h.answer(&renewing(BEARER)).kind, Kind::Nak);
}

#[test]
fn release_and_decline_end_the_lease_unanswered() {
    let mut h = Host::new();
    h.bind();
    assert!(h.send(&renewing(BEARER).with_kind(Kind::Release)).is_none());
    assert_eq!(h.answer(&renewing(BEARER)).kind, Kind::Nak);
    h.bind();
    let mut decline = selecting(BEARER, GATEWAY);
    decline.kind = Kind::Decline;
    assert!(h.send(&decline).is_none());
    assert_eq!(h.answer(&renewing(BEARER)).kind, Kind::Nak);
    let s = h.net.dhcp().stats();
    assert_eq!((s.releases, s.declines), (1, 1));
}

#[test]
fn inform_gets_settings_without_a_lease() {
    let mut h = Host::new();
    let (mac, dst, ack) = h.send(&renewing(BEARER).with_kind(Kind::Inform)).unwrap();
    assert_eq!((mac, dst), (HOST_MAC, BEARER));
    assert_eq!((ack.kind, ack.yiaddr), (Kind::Ack, ANY));
    assert_eq!(ack.option_addr(OPT_ROUTER), Some(GATEWAY));
    assert_eq!(ack.option(OPT_LEASE_TIME), None);
}

#[test]
fn no_bearer_no_offer() {
    let mut h = Host::new();
    h.dev.bearers.clear();
    assert!(h.send(&msg(Kind::Discover)).is_none());
    assert_eq!(h.net.stats().dropped, 1);
}

#[test]
fn raw_ip_mode_answers_no_dhcp() {
    let mut h = Host::new();
    h.dev.data_format.link_layer = 2;
    let f = frame(&msg(Kind::Discover));
    h.net.handle(&h.dev, &f[14..]);
    assert_eq!(h.net.poll(), None);
    assert_eq!(h.net.dhcp().stats(), DhcpStats::default());
}

#[test]
fn malformed_messages_are_dropped_and_counted() {
    let mut h = Host::new();
    let good = msg(Kind::Discover).emit();
    let mut no_magic = good.clone();
    no_magic[236] = 0;
    let mut overrun = good[..240].to_vec();
    overrun.extend_from_slice(&[53, 1, 1, 12, 40, b'x']);
    let mut not_ethernet = good.clone();
    not_ethernet[1] = 6;
    let mut reply_op = good.clone();
    reply_op[0] = 2;
    let no_type: Vec<u8> = good[..240].iter().copied().chain([255]).collect();
    for bad in [
        &good[..100],
        &no_magic[..],
        &overrun[..],
        &not_ethernet[..],
        &reply_op[..],
        &no_type[..],
    ] {
        h.net
            .handle(&h.dev, &frame_of(ANY, Ipv4Addr::BROADCAST, bad));
        assert_eq!(h.net.poll(), None);
    }
    assert_eq!(h.net.dhcp().stats().malformed, 6);
    // A bad UDP checksum never reaches the server.
    let mut f = frame(&msg(Kind::Discover));
    let n = f.len();
    f[n - 1] ^= 0xff;
    h.net.handle(&h.dev, &f);
    assert_eq!(h.net.poll(), None);
    assert_eq!(h.net.stats().dropped, 7);
    // And the server still serves.
    assert_eq!(h.answer(&msg(Kind::Discover)).kind, Kind::Offer);
}

#[test]
fn silent_fault_swallows_count_answers() {
    let mut h = Host::new();
    h.net.set_dhcp_fault(DhcpFault::Silent, 2);
    assert!(h.send(&msg(Kind::Discover)).is_none());
    assert!(h.send(&msg(Kind::Discover)).is_none());
    assert_eq!(h.answer(&msg(Kind::Discover)).kind, Kind::Offer);
    assert_eq!(h.net.dhcp().stats().faulted, 2);
}

#[test]
fn nak_fault_refuses_requests_only() {
    let mut h = Host::new();
    h.net.set_dhcp_fault(DhcpFault::Nak, 1);
    assert_eq!(h.answer(&msg(Kind::Discover)).kind, Kind::Offer);
    let nak = h.answer(&selecting(BEARER, GATEWAY));
    assert_eq!((nak.kind, nak.server_id()), (Kind::Nak, Some(GATEWAY)));
    assert_eq!(h.bind().kind, Kind::Ack, "one NAK only");
}

#[test]
fn delay_fault_holds_the_answer() {
    let mut h = Host::new();
    let t0 = Instant::from_millis(1_000);
    h.net.handle_timeout(t0);
    h.net.set_dhcp_fault(
        DhcpFault::Delay {
            by: Duration::from_millis(2_500),
        },
        1,
    );
    assert!(h.send(&msg(Kind::Discover)).is_none());
    assert_eq!(h.net.stats().dropped, 0, "held, not dropped");
    assert_eq!(h.net.poll_at(), Some(Instant::from_millis(3_500)));
    h.net.handle_timeout(Instant::from_millis(3_499));
    assert_eq!(h.net.poll(), None);
    h.net.handle_timeout(Instant::from_millis(3_500));
    let (_, _, offer) = read(&h.net.poll().unwrap());
    assert_eq!(offer.kind, Kind::Offer);
    assert_eq!(h.net.poll_at(), None);
}

#[test]
fn held_answers_are_bounded() {
    let mut h = Host::new();
    let by = Duration::from_millis(100);
    h.net.set_dhcp_fault(DhcpFault::Delay { by }, 1000);
    for _ in 0..MAX_HELD + 5 {
        h.send(&msg(Kind::Discover));
    }
    assert_eq!(h.net.dhcp().stats().faulted, 5);
    h.net.handle_timeout(Instant::ZERO + by);
    let mut n = 0;
    while h.net.poll().is_some() {
        n += 1;
    }
    assert_eq!(n, MAX_HELD);
}

impl DhcpMessage {
    fn with_kind(mut self, kind: Kind) -> DhcpMessage {
        self.kind = kind;
        self
    }
}

fn any_message() -> impl Strategy<Value = DhcpMessage> {
    let addr = any::<[u8; 4]>().prop_map(Ipv4Addr::from);
    let option = (1u8..=254, proptest::collection::vec(any::<u8>(), 0..40))
        .prop_filter("the message type is its own field", |(c, _)| {
            *c != OPT_MESSAGE_TYPE
        });
    (
        1u8..=8,
        any::<(u32, u16, bool)>(),
        (addr.clone(), addr.clone(), addr.clone(), addr),
        any::<[u8; 6]>(),
        proptest::collection::vec(option, 0..8),
    )
        .prop_map(
            |(k, (xid, secs, broadcast), (ci, yi, si, gi), chaddr, options)| DhcpMessage {
                kind: Kind::from(k),
                xid,
                secs,
                broadcast,
                ciaddr: ci,
                yiaddr: yi,
                siaddr: si,
                giaddr: gi,
                chaddr,
                options,
            },
        )
}

proptest! {
    #[test]
    fn messages_round_trip(m in any_message()) {
        let b = m.emit();
        prop_assert!(b.len() >= 300);
        prop_assert_eq!(DhcpMessage::parse(&b), Ok(m));
    }

    #[test]
    fn any_bytes_parse_or_are_refused(b in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(m) = DhcpMessage::parse(&b) {
            prop_assert_eq!(DhcpMessage::parse(&m.emit()), Ok(m));
        }
    }

    #[test]
    fn mangled_requests_never_break_the_server(
        m in any_message(),
        flips in proptest::collection::vec((0usize..400, any::<u8>()), 0..6),
    ) {
        let mut h = Host::new();
        let mut body = m.emit();
        for (at, v) in flips {
            let n = body.len();
            body[at % n] = v;
        }
        h.net.handle(&h.dev, &frame_of(ANY, Ipv4Addr::BROADCAST, &body));
        h.net.handle(&h.dev, &frame_of(BEARER, GATEWAY, &body));
        while let Some(f) = h.net.poll() {
            let (_, _, r) = read(&f);
            prop_assert!(matches!(r.kind, Kind::Offer | Kind::Ack | Kind::Nak));
        }
        // And a clean exchange still works after it.
        prop_assert_eq!(h.bind().kind, Kind::Ack);
    }
}
