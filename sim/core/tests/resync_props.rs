//! The resync rule of every stream (docs/architecture.md, "Resync"): after
//! garbage or a length that lies, the next request is answered within a
//! bounded time. Each property drives the engine as a transport does.

use proptest::prelude::*;
use vmodem_core::model::Profile;
use vmodem_core::serial::qcdm::commands::VERSION_INFO;
use vmodem_core::time::Instant;
use vmodem_core::wire::hdlc;
use vmodem_core::wire::mbim::{self, stream::Deframer as MbimDeframer};
use vmodem_core::wire::qmi::{Message, MessageKind};
use vmodem_core::wire::qmux::Deframer;
use vmodem_core::wire::{MessageId, ServiceId, RESYNC_IDLE};
use vmodem_core::{Modem, SerialPort};

const T0: Instant = Instant::from_millis(1_000);

/// CTL Get Version Info, transaction `txn`.
fn version_request(txn: u16) -> Vec<u8> {
    Message::request(ServiceId::Ctl, 0, txn, 0x21, vec![]).to_bytes()
}

/// Feeds what the deframer has at `now` to the engine, as a transport does.
fn deliver(d: &mut Deframer, m: &mut Modem, now: Instant) {
    while let Some(f) = d.next_frame(now) {
        m.handle_qmi(&f, now);
    }
}

fn answered(m: &mut Modem, txn: u16) -> bool {
    std::iter::from_fn(|| m.poll_qmi()).any(|f| {
        Message::parse(&f).is_ok_and(|r| {
            r.kind == MessageKind::Response && r.txn == txn && r.id == MessageId(0x21)
        })
    })
}

/// Noise without a QMUX marker, then a header whose two lengths agree on a
/// body that never comes: longer than the request written behind it (a
/// shorter one would end inside the request and take it along, as any
/// length-delimited reader must).
fn stalled_qmux() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec(any::<u8>().prop_filter("no marker", |&b| b != 1), 0..200),
        13u16..2000,
    )
        .prop_map(|(mut noise, tlv_len)| {
            let len = (11 + tlv_len).to_le_bytes();
            let t = tlv_len.to_le_bytes();
            noise.extend([1, len[0], len[1], 0, 0, 0, 0, 9, 0x21, 0, t[0], t[1]]);
            noise
        })
}

proptest! {
    #[test]
    fn qmux_garbage_then_a_pause_then_a_request_is_answered(
        garbage in prop::collection::vec(any::<u8>(), 0..2000),
        cut in 1usize..300,
    ) {
        let mut m = Modem::new(Profile::default(), 0, Instant::ZERO);
        let mut d = Deframer::new();
        for chunk in garbage.chunks(cut) {
            d.push(chunk, T0);
            deliver(&mut d, &mut m, T0);
        }
        while m.poll_qmi().is_some() {}
        let later = T0 + RESYNC_IDLE;
        d.push(&version_request(7), later);
        deliver(&mut d, &mut m, later);
        prop_assert!(answered(&mut m, 7));
        prop_assert_eq!(d.pending(), 0);
    }

    #[test]
    fn qmux_a_request_behind_a_stalled_frame_is_answered_at_the_idle_time(
        stalled in stalled_qmux(),
    ) {
        let mut m = Modem::new(Profile::default(), 0, Instant::ZERO);
        let mut d = Deframer::new();
        d.push(&stalled, T0);
        d.push(&version_request(8), T0);
        deliver(&mut d, &mut m, T0);
        let deadline = d.poll_timeout().expect("a partial frame is held");
        prop_assert_eq!(deadline, T0 + RESYNC_IDLE);
        deliver(&mut d, &mut m, deadline);
        prop_assert!(answered(&mut m, 8));
        prop_assert_eq!(d.pending(), 0);
        prop_assert_eq!(d.skipped(), stalled.len() as u64);
    }

    #[test]
    fn mbim_garbage_then_a_pause_then_a_request_is_answered(
        garbage in prop::collection::vec(any::<u8>(), 0..2000),
    ) {
        let mut m = Modem::new(Profile::default(), 0, Instant::ZERO);
        let mut d = MbimDeframer::new();
        d.push(&garbage, T0);
        while let Some(t) = d.next_transfer(T0) {
            m.handle_mbim(&t, T0);
        }
        while m.poll_mbim().is_some() {}
        let later = T0 + RESYNC_IDLE;
        let open = mbim::Message::Open { txn: 0x5000, max_control_transfer: 4096 }.to_bytes();
        d.push(&open, later);
        while let Some(t) = d.next_transfer(later) {
            m.handle_mbim(&t, later);
        }
        let got: Vec<_> = std::iter::from_fn(|| m.poll_mbim()).collect();
        prop_assert!(
            got.iter().any(|r| matches!(
                mbim::Message::parse(r),
                Ok(mbim::Message::OpenDone { txn: 0x5000, .. })
            )),
            "{:02x?}", got
        );
    }

    #[test]
    fn dm_garbage_then_a_pause_then_a_request_is_answered(
        garbage in prop::collection::vec(any::<u8>(), 0..2000),
    ) {
        let mut m = Modem::new(Profile::default(), 0, Instant::ZERO);
        m.handle_serial(SerialPort::Dm, &garbage, T0);
        while m.poll_serial(SerialPort::Dm).is_some() {}
        let later = T0 + RESYNC_IDLE;
        m.handle_serial(SerialPort::Dm, &hdlc::encode(&[VERSION_INFO]), later);
        let wire = m.poll_serial(SerialPort::Dm).expect("an answer");
        let got = hdlc::Deframer::default().push(&wire);
        prop_assert!(matches!(&got[..], [Ok(r)] if r[0] == VERSION_INFO));
    }

    #[test]
    fn download_port_garbage_then_a_pause_then_a_request_is_answered(
        garbage in prop::collection::vec(any::<u8>(), 0..2000),
    ) {
        let mut m = Modem::new(Profile::default(), 0, Instant::ZERO);
        m.enter_bootloader(Instant::ZERO);
        m.handle_serial(SerialPort::Download, &garbage, T0);
        while m.poll_serial(SerialPort::Download).is_some() {}
        prop_assume!(m.download_port().is_some());
        let later = T0 + RESYNC_IDLE;
        // DLOAD NOP.
        m.handle_serial(SerialPort::Download, &[0x7E, 0x06, 0x4E, 0x95, 0x7E], later);
        let wire = m.poll_serial(SerialPort::Download).expect("an answer");
        let got = hdlc::Deframer::default().push(&wire);
        prop_assert!(matches!(got.last(), Some(Ok(_))), "{:02x?}", wire);
    }
}
