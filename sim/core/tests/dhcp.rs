//! The DHCP server through the engine: faults from a scenario step and
//! `Modem::inject`, the lease across a firmware reset.

use smoltcp::wire::DhcpMessageType as Kind;
use std::net::Ipv4Addr;
use vmodem_core::fault::{DhcpFault, Fault};
use vmodem_core::model::IpFamily;
use vmodem_core::net::dhcp::message::OPT_REQUESTED_IP;
use vmodem_core::net::dhcp::DhcpMessage;
use vmodem_core::scenario::Scenario;
use vmodem_core::testkit::{checksum, packet};
use vmodem_core::time::{Duration, Instant};
use vmodem_core::Modem;

fn t(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

fn request(kind: Kind, ciaddr: Ipv4Addr) -> DhcpMessage {
    DhcpMessage {
        kind,
        xid: 7,
        secs: 0,
        broadcast: false,
        ciaddr,
        yiaddr: Ipv4Addr::UNSPECIFIED,
        siaddr: Ipv4Addr::UNSPECIFIED,
        giaddr: Ipv4Addr::UNSPECIFIED,
        chaddr: [2, 0, 0, 0, 0, 9],
        options: vec![],
    }
}

/// `m` from the host in an 802.3 frame, to the gateway if it has an address.
fn frame(m: &DhcpMessage) -> Vec<u8> {
    let (src, dst) = if m.ciaddr.is_unspecified() {
        (m.ciaddr, Ipv4Addr::BROADCAST)
    } else {
        (m.ciaddr, packet::GATEWAY_V4)
    };
    let body = m.emit();
    let mut u = vec![0, 68, 0, 67, 0, 0, 0, 0];
    u[4..6].copy_from_slice(&((8 + body.len()) as u16).to_be_bytes());
    u.extend_from_slice(&body);
    let s = checksum::pseudo_v4(src.octets(), dst.octets(), 17, u.len());
    let c = checksum::finish(checksum::add(s, &u));
    u[6..8].copy_from_slice(&c.to_be_bytes());
    let mut f = [[0xff; 6], m.chaddr].concat();
    f.extend_from_slice(&[8, 0]);
    f.extend_from_slice(&packet::ipv4(src, dst, 17, &u));
    f
}

fn kind_of(reply: &[u8]) -> Kind {
    DhcpMessage::parse(&reply[14 + 28..]).unwrap().kind
}

fn ethernet_modem() -> Modem {
    let mut m = vmodem_core::fuzzing::connected_modem(false);
    m.device_mut().data_format.link_layer = 1;
    m
}

#[test]
fn a_slow_answer_comes_when_the_engine_says() {
    let mut m = ethernet_modem();
    let by = Duration::from_millis(1_500);
    let fault = Fault::Dhcp {
        answer: DhcpFault::Delay { by },
        count: 1,
    };
    m.inject(fault, t(10_000)).unwrap();
    m.handle_data(
        &frame(&request(Kind::Discover, Ipv4Addr::UNSPECIFIED)),
        t(10_000),
    );
    assert_eq!(m.poll_data(), None);
    // Step exactly as the engine asks: the offer comes at 11.5 s.
    loop {
        let at = m.poll_timeout().expect("the held answer is a deadline");
        assert!(at <= t(11_500));
        m.handle_timeout(at);
        if let Some(offer) = m.poll_data() {
            assert_eq!((at, kind_of(&offer)), (t(11_500), Kind::Offer));
            break;
        }
    }
}

#[test]
fn a_zero_count_is_refused() {
    let mut m = ethernet_modem();
    let fault = Fault::Dhcp {
        answer: DhcpFault::Silent,
        count: 0,
    };
    assert!(m.inject(fault, t(10_000)).is_err());
}

#[test]
fn after_a_reset_the_old_lease_is_naked_and_a_new_one_granted() {
    let mut m = ethernet_modem();
    let bearer = packet::BEARER_V4;
    let mut select = request(Kind::Request, Ipv4Addr::UNSPECIFIED);
    select.push_addr(OPT_REQUESTED_IP, bearer);
    m.handle_data(&frame(&select), t(10_000));
    assert_eq!(kind_of(&m.poll_data().unwrap()), Kind::Ack);
    let fault = Fault::Reset {
        down: Some(Duration::from_millis(1_000)),
    };
    m.inject(fault, t(10_000)).unwrap();
    // The host brings the module up again: PIN, registration, bearer.
    m.handle_timeout(t(12_000));
    let pin = m.device().profile.sim.pin.clone();
    let _ = m.device_mut().with_sim(t(12_000), |s| s.verify_pin(&pin));
    m.handle_timeout(t(20_000));
    m.device_mut()
        .start_network("internet", IpFamily::V4)
        .unwrap();
    m.device_mut().data_format.link_layer = 1;
    m.handle_data(&frame(&request(Kind::Request, bearer)), t(20_000));
    assert_eq!(kind_of(&m.poll_data().unwrap()), Kind::Nak);
    m.handle_data(&frame(&select), t(20_000));
    assert_eq!(kind_of(&m.poll_data().unwrap()), Kind::Ack);
    let s = m.dhcp_stats();
    assert_eq!((s.acks, s.naks, s.malformed), (2, 1, 0));
}

#[test]
fn scenario_steps_spell_the_faults() {
    let s = Scenario::from_toml(
        "[[step]]\non = \"bearer-connected\"\ninject = { fault = \"dhcp\", answer = \"silent\", count = 2 }\n\
         [[step]]\nat-ms = 1\ninject = { fault = \"dhcp\", answer = \"nak\", count = 1 }\n\
         [[step]]\nat-ms = 2\ninject = { fault = \"dhcp\", answer = { delay = { ms = 3000 } }, count = 1 }\n",
        "s.toml",
    )
    .unwrap();
    let answers: Vec<_> = s
        .steps
        .iter()
        .map(|st| match &st.fault {
            Fault::Dhcp { answer, .. } => *answer,
            f => panic!("{f:?}"),
        })
        .collect();
    assert_eq!(
        answers,
        [
            DhcpFault::Silent,
            DhcpFault::Nak,
            DhcpFault::Delay {
                by: Duration::from_millis(3000)
            }
        ]
    );
}

#[test]
fn bad_dhcp_faults_are_placed() {
    let at = |text: &str, place: &str, words: &str| {
        let e = Scenario::from_toml(text, "s.toml").unwrap_err().to_string();
        assert!(e.starts_with(place), "expected {place} in: {e}");
        assert!(e.contains(words), "expected `{words}` in: {e}");
    };
    at(
        "[[step]]\nat-ms = 1\ninject = { fault = \"dhcp\", answer = \"silent\", count = 0 }\n",
        "s.toml:3:10: ",
        "count must be at least 1",
    );
    at(
        "[[step]]\nat-ms = 1\ninject = { fault = \"dhcp\", answer = { delay = { ms = 0 } }, count = 1 }\n",
        "s.toml:3:10: ",
        "a delay of 0 ms",
    );
    at(
        "[[step]]\nat-ms = 1\ninject = { fault = \"dhcp\", answer = \"late\", count = 1 }\n",
        "s.toml:3:",
        "late",
    );
}
