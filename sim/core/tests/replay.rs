//! Determinism: the same seed, profile and inputs give the same bytes out.

use vmodem_core::model::Profile;
use vmodem_core::time::Instant;
use vmodem_core::wire::qmi::Message;
use vmodem_core::wire::tlv::Tlv;
use vmodem_core::wire::ServiceId;
use vmodem_core::Modem;

fn req(service: ServiceId, client: u8, id: u16, tlvs: Vec<Tlv>) -> Vec<u8> {
    Message::request(service, client, 1, id, tlvs).to_bytes()
}

/// A session touching every service over 30 simulated seconds.
fn session(seed: u64) -> Vec<Vec<u8>> {
    let mut m = Modem::new(Profile::default(), seed, Instant::ZERO);
    let mut out = vec![];
    let step = |m: &mut Modem, frame: Option<Vec<u8>>, ms: u64, out: &mut Vec<Vec<u8>>| {
        let now = Instant::from_millis(ms);
        match frame {
            Some(f) => m.handle_qmi(&f, now),
            None => m.handle_timeout(now),
        }
        out.extend(std::iter::from_fn(|| m.poll_qmi()));
    };
    for svc in [1u8, 2, 3, 0x0b, 0x1a] {
        step(
            &mut m,
            Some(req(ServiceId::Ctl, 0, 0x22, vec![Tlv::new(1, vec![svc])])),
            0,
            &mut out,
        );
    }
    m.device_mut()
        .with_sim(Instant::ZERO, |s| s.verify_pin("1234"))
        .unwrap();
    for t in 1..30u64 {
        step(&mut m, None, t * 1000, &mut out);
        step(
            &mut m,
            Some(req(ServiceId::Nas, 1, 0x004f, vec![])),
            t * 1000 + 1,
            &mut out,
        );
        step(
            &mut m,
            Some(req(ServiceId::Nas, 1, 0x0020, vec![])),
            t * 1000 + 2,
            &mut out,
        );
    }
    out.push(format!("{:?}", m.device().signal).into_bytes());
    let h = m
        .device_mut()
        .start_network("internet", vmodem_core::model::IpFamily::V4);
    out.push(format!("{h:?}").into_bytes());
    out
}

#[test]
fn same_seed_same_session() {
    assert_eq!(session(42), session(42));
}

#[test]
fn another_seed_another_session() {
    assert_ne!(session(42), session(43));
}
