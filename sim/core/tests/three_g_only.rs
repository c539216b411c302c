//! The 3G-only workaround for a bad cable, from every side a user would
//! set it: ModemManager's allowed modes (NAS System Selection Preference
//! with a permanent change), qmicli's Set Technology Preference, and
//! AT!SELRAT, or a band set without LTE (AT!BAND). Each time the module stays up on UMTS with the bearer
//! connected; without it the LTE attach burst browns it out.

use vmodem_core::model::{IpFamily, LoadState, Profile, Technology};
use vmodem_core::time::Instant;
use vmodem_core::wire::qmi::{Message, MessageKind};
use vmodem_core::wire::qmux::Sender;
use vmodem_core::wire::tlv::Tlv;
use vmodem_core::wire::{MessageId, ServiceId};
use vmodem_core::{Modem, SerialPort};

#[derive(Clone, Copy, Debug)]
enum Path {
    None,
    ModemManager,
    Qmi,
    At,
    AtBand,
}

fn qmi(
    m: &mut Modem,
    service: ServiceId,
    client: u8,
    id: u16,
    tlvs: Vec<Tlv>,
    now: Instant,
) -> Message {
    let msg = Message {
        sender: Sender::Host,
        service,
        client,
        kind: MessageKind::Request,
        txn: 1,
        id: MessageId(id),
        tlvs,
    };
    m.handle_qmi(&msg.to_bytes(), now);
    let r = Message::parse(&m.poll_qmi().unwrap()).unwrap();
    while m.poll_qmi().is_some() {}
    assert_eq!(r.kind, MessageKind::Response);
    r
}

/// Applies the limit through `path` at `now` (before the PIN, as a user
/// would after a brownout loop), then runs a session on the bad cable.
fn run(path: Path, secs: u64) -> Modem {
    let mut p = Profile::default();
    p.power.cable_ohms = 1.5;
    p.power.capacitance_uf = 100.0;
    let mut m = Modem::new(p, 4, Instant::ZERO);
    let mut now = Instant::from_millis(500);
    m.handle_timeout(now);
    let alloc = |m: &mut Modem, now| {
        let r = qmi(
            m,
            ServiceId::Ctl,
            0,
            0x22,
            vec![Tlv::new(1, [ServiceId::Nas.0])],
            now,
        );
        r.tlv(1).unwrap()[1]
    };
    match path {
        Path::None => {}
        Path::ModemManager => {
            let c = alloc(&mut m, now);
            // Mode preference UMTS, change duration permanent.
            let r = qmi(
                &mut m,
                ServiceId::Nas,
                c,
                0x33,
                vec![Tlv::new(0x11, 0x0008u16.to_le_bytes()), Tlv::new(0x17, [1])],
                now,
            );
            assert_eq!(r.result(), Some((0, 0)));
        }
        Path::Qmi => {
            let c = alloc(&mut m, now);
            // 3GPP | WCDMA, permanent.
            let pref = (1u16 << 1 | 1 << 3).to_le_bytes();
            let r = qmi(
                &mut m,
                ServiceId::Nas,
                c,
                0x2A,
                vec![Tlv::new(0x01, [pref[0], pref[1], 1])],
                now,
            );
            assert_eq!(r.result(), Some((0, 0)));
        }
        Path::At => {
            m.handle_serial(SerialPort::At, b"AT!ENTERCND=\"A710\"\rAT!SELRAT=01\r", now);
            let out = String::from_utf8(m.poll_serial(SerialPort::At).unwrap()).unwrap();
            assert!(out.ends_with("OK\r\n") && !out.contains("ERROR"), "{out:?}");
        }
        Path::AtBand => {
            // Band set 08, "WCDMA ALL": no LTE band left.
            m.handle_serial(SerialPort::At, b"AT!ENTERCND=\"A710\"\rAT!BAND=08\r", now);
            let out = String::from_utf8(m.poll_serial(SerialPort::At).unwrap()).unwrap();
            assert!(out.ends_with("OK\r\n") && !out.contains("ERROR"), "{out:?}");
        }
    }
    now = Instant::from_millis(1000);
    m.handle_timeout(now);
    m.device_mut()
        .with_sim(now, |s| s.verify_pin("1234"))
        .unwrap();
    let end = Instant::from_millis(secs * 1000);
    while now < end {
        let next = m.poll_timeout().unwrap_or(end).min(end).max(now);
        m.handle_timeout(next);
        now = next;
        if m.device().registration.is_registered()
            && m.device().bearers.is_empty()
            && m.personality().is_some()
        {
            let _ = m.device_mut().start_network("internet", IpFamily::V4);
        }
        if next == end {
            break;
        }
    }
    m
}

#[test]
fn lte_browns_out_on_the_bad_cable() {
    let m = run(Path::None, 10);
    assert_eq!(m.power().brownouts, 1);
}

#[test]
fn three_g_only_stays_up_from_every_side() {
    for path in [Path::ModemManager, Path::Qmi, Path::At, Path::AtBand] {
        let m = run(path, 600);
        assert_eq!(m.power().brownouts, 0, "{path:?}");
        assert_eq!(
            m.device().registration.rat,
            Some(Technology::Umts),
            "{path:?}"
        );
        assert_eq!(m.power().load, LoadState::UmtsTraffic, "{path:?}");
        assert_eq!(m.device().bearers.len(), 1, "{path:?}");
    }
}
