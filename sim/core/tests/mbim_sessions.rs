//! MBIM data sessions through the engine: each IPS<n> stream reaches only
//! the bearers activated in session n, replies go out in the session they
//! came from, and a datagram in a session that is not activated is
//! dropped and counted.

use proptest::prelude::*;
use std::net::Ipv4Addr;
use vmodem_core::model::profile::ApnProfile;
use vmodem_core::model::Profile;
use vmodem_core::testkit::packet::{icmpv4_echo, ECHO_REPLY, ECHO_REQUEST};
use vmodem_core::time::Instant;
use vmodem_core::wire::mbim::ib::Writer;
use vmodem_core::wire::mbim::{CommandType, Message, Status, Uuid};
use vmodem_core::Modem;

const PIN: u32 = 4;
const CONNECT: u32 = 12;
const PACKET_STATISTICS: u32 = 20;

const INTERNET: (Ipv4Addr, Ipv4Addr) = (Ipv4Addr::new(10, 64, 0, 2), Ipv4Addr::new(10, 64, 0, 1));
const IMS: (Ipv4Addr, Ipv4Addr) = (Ipv4Addr::new(10, 65, 0, 2), Ipv4Addr::new(10, 65, 0, 1));

fn t(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

/// The default profile with a second PDN, "ims", on its own subnet.
fn two_apns() -> Profile {
    let mut p = Profile::default();
    p.network.apn.push(ApnProfile {
        name: "ims".into(),
        ipv4_address: IMS.0,
        ipv4_prefix: 24,
        ipv4_gateway: IMS.1,
        ipv4_dns: vec![Ipv4Addr::new(10, 65, 0, 53)],
        ipv6_address: None,
        ipv6_prefix: 64,
        ipv6_gateway: None,
        ipv6_dns: vec![],
        mtu: 1400,
    });
    p
}

fn command(m: &mut Modem, txn: u32, cid: u32, info: Vec<u8>, now: Instant) -> Status {
    request(m, txn, cid, CommandType::SET, info, now).0
}

/// One Basic Connect command; its COMMAND_DONE's status and buffer.
fn request(
    m: &mut Modem,
    txn: u32,
    cid: u32,
    command_type: CommandType,
    info: Vec<u8>,
    now: Instant,
) -> (Status, Vec<u8>) {
    let msg = Message::Command {
        txn,
        service: Uuid::BASIC_CONNECT,
        cid,
        command_type,
        info,
    };
    m.handle_mbim(&msg.to_bytes(), now);
    let mut done = None;
    while let Some(b) = m.poll_mbim() {
        if let Ok(Message::CommandDone {
            txn: x,
            status,
            info,
            ..
        }) = Message::parse(&b)
        {
            if x == txn {
                done = Some((status, info));
            }
        }
    }
    done.expect("a COMMAND_DONE")
}

fn connect(session: u32, activate: bool, apn: &str) -> Vec<u8> {
    let mut w = Writer::new();
    w.u32(session)
        .u32(activate as u32)
        .string(apn)
        .string("")
        .string("")
        .u32(0)
        .u32(0)
        .u32(1) // IPv4
        .uuid(&Uuid::CONTEXT_INTERNET);
    w.finish()
}

/// An open, unlocked, registered MBIM modem with session 0 on "internet"
/// and session 1 on "ims".
fn two_sessions() -> Modem {
    let mut m = Modem::new(two_apns(), 0, t(0));
    m.handle_mbim(
        &Message::Open {
            txn: 1,
            max_control_transfer: 4096,
        }
        .to_bytes(),
        t(0),
    );
    let mut pin = Writer::new();
    pin.u32(2).u32(0).string("1234").string("");
    assert_eq!(command(&mut m, 2, PIN, pin.finish(), t(1)), Status::SUCCESS);
    m.handle_timeout(t(3000));
    let s0 = command(&mut m, 3, CONNECT, connect(0, true, "internet"), t(3001));
    let s1 = command(&mut m, 4, CONNECT, connect(1, true, "ims"), t(3002));
    assert_eq!((s0, s1), (Status::SUCCESS, Status::SUCCESS));
    assert_eq!(m.device().bearers.len(), 2, "one bearer per session");
    m
}

fn ping((src, dst): (Ipv4Addr, Ipv4Addr)) -> Vec<u8> {
    icmpv4_echo(src, dst, ECHO_REQUEST, b"vmodem")
}

fn replies(m: &mut Modem) -> Vec<(u8, Vec<u8>)> {
    std::iter::from_fn(|| m.poll_datagram()).collect()
}

/// (session, source, destination, ICMP type) of a reply.
fn summary((s, p): &(u8, Vec<u8>)) -> (u8, Ipv4Addr, Ipv4Addr, u8) {
    let a = |i: usize| Ipv4Addr::new(p[i], p[i + 1], p[i + 2], p[i + 3]);
    (*s, a(12), a(16), p[20])
}

#[test]
fn each_session_is_answered_by_its_own_bearer_in_its_own_stream() {
    let mut m = two_sessions();
    let now = t(4000);
    m.handle_ip_datagram(1, &ping(IMS), now);
    m.handle_ip_datagram(0, &ping(INTERNET), now);
    let r = replies(&mut m);
    assert_eq!(
        r.iter().map(summary).collect::<Vec<_>>(),
        vec![
            (1, IMS.1, IMS.0, ECHO_REPLY),
            (0, INTERNET.1, INTERNET.0, ECHO_REPLY)
        ]
    );
    let s = m.data_stats();
    assert_eq!((s.rx_packets, s.tx_packets, s.inactive_session), (2, 2, 0));
}

#[test]
fn a_session_does_not_reach_another_sessions_bearer() {
    let mut m = two_sessions();
    let now = t(4000);
    // The internet bearer's packet sent in IMS's stream, and the other way.
    m.handle_ip_datagram(1, &ping(INTERNET), now);
    m.handle_ip_datagram(0, &ping(IMS), now);
    assert!(replies(&mut m).is_empty());
    assert_eq!(m.data_stats().dropped, 2);
}

#[test]
fn a_session_not_activated_drops_its_datagrams_and_counts_them() {
    let mut m = two_sessions();
    let now = t(4000);
    m.handle_ip_datagram(2, &ping(INTERNET), now);
    m.handle_ip_datagram(7, &ping(IMS), now);
    // Session 1 deactivated: its stream goes dead, session 0 lives on.
    assert_eq!(
        command(&mut m, 9, CONNECT, connect(1, false, ""), now),
        Status::SUCCESS
    );
    m.handle_ip_datagram(1, &ping(IMS), now);
    m.handle_ip_datagram(0, &ping(INTERNET), now);
    let r = replies(&mut m);
    assert_eq!(r.len(), 1);
    assert_eq!(summary(&r[0]).0, 0);
    let s = m.data_stats();
    assert_eq!(s.inactive_session, 3);
    assert_eq!(s.rx_packets, 1, "dropped before the network");
    assert_eq!(
        m.device().data_stats,
        s,
        "the model holds the same counters"
    );
}

#[test]
fn the_uplink_delivers_to_the_session_of_the_bearer() {
    let mut m = two_sessions();
    m.set_uplink(true);
    let now = t(4000);
    let far = Ipv4Addr::new(198, 51, 100, 1);
    m.handle_ip_datagram(1, &ping((IMS.0, far)), now);
    assert!(m.poll_uplink().is_some());
    m.handle_downlink(&icmpv4_echo(far, IMS.0, ECHO_REPLY, b"x"), now);
    m.handle_downlink(&icmpv4_echo(far, INTERNET.0, ECHO_REPLY, b"x"), now);
    let r: Vec<_> = replies(&mut m)
        .iter()
        .map(|r| (r.0, summary(r).2))
        .collect();
    assert_eq!(r, vec![(1, IMS.0), (0, INTERNET.0)]);
}

/// PACKET_STATISTICS reads the data path's counters: "in" is what reached
/// the host, "out" what it sent; what the network could not take is an
/// out-discard. The same figures as QMI's WDS statistics.
#[test]
fn packet_statistics_are_the_data_path_counters() {
    let mut m = two_sessions();
    let now = t(4000);
    let (status, info) = request(
        &mut m,
        20,
        PACKET_STATISTICS,
        CommandType::QUERY,
        vec![],
        now,
    );
    assert_eq!((status, info.len()), (Status::SUCCESS, 48));
    assert!(info.iter().all(|&b| b == 0), "nothing moved yet");

    let (a, b) = (ping(INTERNET), ping(IMS));
    m.handle_ip_datagram(0, &a, now);
    m.handle_ip_datagram(1, &b, now);
    m.handle_ip_datagram(1, &a, now); // not IMS's: no answer
    m.handle_ip_datagram(5, &a, now); // no session 5
    while m.poll_datagram().is_some() {}
    let (status, info) = request(
        &mut m,
        21,
        PACKET_STATISTICS,
        CommandType::QUERY,
        vec![],
        now,
    );
    assert_eq!(status, Status::SUCCESS);
    let u32_at = |i: usize| u32::from_le_bytes(info[i..i + 4].try_into().unwrap()) as u64;
    let u64_at = |i: usize| u64::from_le_bytes(info[i..i + 8].try_into().unwrap());
    let sent = (a.len() * 2 + b.len()) as u64;
    let got = (a.len() + b.len()) as u64; // echo replies are the same size
    assert_eq!(
        (u32_at(0), u32_at(4), u64_at(8), u64_at(16)),
        (0, 0, got, 2),
        "in: discards, errors, octets, packets"
    );
    assert_eq!(
        (u64_at(24), u64_at(32), u32_at(40), u32_at(44)),
        (sent, 3, 0, 2),
        "out: octets, packets, errors, discards"
    );
    let s = m.data_stats();
    assert_eq!((s.tx_bytes, s.rx_bytes), (got, sent));
    // Query only.
    let (status, _) = request(&mut m, 22, PACKET_STATISTICS, CommandType::SET, vec![], now);
    assert_eq!(status, Status::NO_DEVICE_SUPPORT);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever mix of sessions and packets a host sends, every reply is in
    /// the session its request came in, from that session's bearer, and
    /// every datagram of an inactive session is counted.
    #[test]
    fn replies_stay_in_their_session(
        sends in prop::collection::vec((0u8..8, any::<bool>()), 1..40)
    ) {
        let mut m = two_sessions();
        let now = t(4000);
        let mut expect = Vec::new();
        let mut inactive = 0;
        for (session, to_ims) in &sends {
            let pdn = if *to_ims { IMS } else { INTERNET };
            m.handle_ip_datagram(*session, &ping(pdn), now);
            match (session, to_ims) {
                (0, false) => expect.push((0, INTERNET.1, INTERNET.0, ECHO_REPLY)),
                (1, true) => expect.push((1, IMS.1, IMS.0, ECHO_REPLY)),
                (0 | 1, _) => {}
                _ => inactive += 1,
            }
        }
        let got: Vec<_> = replies(&mut m).iter().map(summary).collect();
        prop_assert_eq!(got, expect);
        prop_assert_eq!(m.data_stats().inactive_session, inactive);
    }
}
