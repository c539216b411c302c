//! Targets for what arrived with fault injection, MBIM and the boot loader:
//! scenario files, control-socket requests, MBIM control transfers and the
//! boot loader's download port.

use super::{check_invariants, default_profile};
use crate::control::protocol::Request;
use crate::fault::Fault;
use crate::model::Profile;
use crate::scenario::{simulate, Scenario};
use crate::time::{Duration, Instant};
use crate::wire::hdlc::Deframer;
use crate::wire::mbim::stream::Deframer as MbimStream;
use crate::wire::mbim::Message;
use crate::wire::RESYNC_IDLE;
use crate::{Modem, SerialPort};

/// A scenario file: it is refused with a placed error, or it runs for
/// twenty simulated seconds without breaking a promise.
pub fn scenario_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(s) = Scenario::from_toml(text, "fuzz") else {
        return;
    };
    let profile: Profile = default_profile().clone();
    simulate(&s, profile, s.seed, Duration::from_secs(20), true, |_| {});
}

/// One control-socket line: refused with a message, or a request; an
/// inject request goes into a modem, which accepts or refuses it and keeps
/// its invariants either way.
pub fn control_request(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(Request::Inject { fault }) = Request::parse(&text) else {
        return;
    };
    let mut m = Modem::new(default_profile().clone(), 0, Instant::ZERO);
    let t = Instant::from_millis(5_000);
    m.handle_timeout(t);
    let _ = m.inject(fault, t);
    check_invariants(&m);
    m.handle_timeout(Instant::from_millis(20_000));
    let _ = m.inject(Fault::PowerCycle, Instant::from_millis(20_000));
    m.handle_timeout(Instant::from_millis(40_000));
    check_invariants(&m);
}

/// MBIM control transfers split from a byte stream (as a pty carries
/// them), after the host opened the function: every reply is a valid
/// message, whatever came in.
pub fn mbim(data: &[u8]) {
    let mut m = Modem::new(default_profile().clone(), 0, Instant::ZERO);
    let t = Instant::from_millis(10);
    let open = Message::Open {
        txn: 1,
        max_control_transfer: 4096,
    };
    m.handle_mbim(&open.to_bytes(), t);
    let mut stream = MbimStream::new();
    stream.push(data, t);
    let mut transfers: Vec<Vec<u8>> = std::iter::from_fn(|| stream.next_transfer(t)).collect();
    // Resync: after a pause, whatever came before, a request comes out
    // whole and is answered.
    let later = t + RESYNC_IDLE;
    stream.push(&mbim_request(), later);
    let rest: Vec<Vec<u8>> = std::iter::from_fn(|| stream.next_transfer(later)).collect();
    assert_eq!(
        rest.last(),
        Some(&mbim_request()),
        "the request after a pause"
    );
    assert_eq!(stream.pending(), 0);
    let before = m.stats().requests;
    m.handle_mbim(&mbim_request(), later);
    let answer = std::iter::from_fn(|| m.poll_mbim()).last();
    assert!(m.stats().requests > before);
    assert!(
        matches!(
            answer.as_deref().map(Message::parse),
            Some(Ok(Message::CloseDone { txn: 77, .. }))
        ),
        "the request after a pause is answered: {answer:02x?}"
    );
    m.handle_mbim(&open.to_bytes(), later);
    while m.poll_mbim().is_some() {}
    // The bytes as one transfer too: a USB host need not frame them.
    transfers.push(data.to_vec());
    for tr in transfers {
        m.handle_mbim(&tr, t);
        while let Some(reply) = m.poll_mbim() {
            assert!(
                Message::parse(&reply).is_ok(),
                "the function emits valid messages: {reply:02x?}"
            );
        }
    }
    check_invariants(&m);
}

/// An MBIM CLOSE, transaction 77: any state answers it.
fn mbim_request() -> Vec<u8> {
    Message::Close { txn: 77 }.to_bytes()
}

/// The boot loader's download port: whatever the host writes, it answers
/// only in whole HDLC frames and keeps serving.
pub fn download_port(data: &[u8]) {
    let mut m = Modem::new(default_profile().clone(), 0, Instant::ZERO);
    m.enter_bootloader(Instant::ZERO);
    let split = data.first().map_or(0, |&b| b as usize).min(data.len());
    let t = Instant::from_millis(10);
    let mut out = Vec::new();
    for part in [&data[..split], &data[split..]] {
        m.handle_serial(SerialPort::Download, part, t);
        while let Some(b) = m.poll_serial(SerialPort::Download) {
            out.extend(b);
        }
    }
    // Every reply frame decodes: nothing half-written, no bad CRC.
    for f in Deframer::default().push(&out) {
        assert!(f.is_ok(), "download port frames: {f:?}");
    }
    // Resync: unless the input asked for a reset, a DLOAD NOP after a
    // pause is answered (an ACK, or an error for a port in a QDL session).
    if m.download_port().is_some() {
        let later = t + RESYNC_IDLE;
        m.handle_serial(SerialPort::Download, &[0x7E, 0x06, 0x4E, 0x95, 0x7E], later);
        let mut reply = Vec::new();
        while let Some(b) = m.poll_serial(SerialPort::Download) {
            reply.extend(b);
        }
        let frames = Deframer::default().push(&reply);
        assert!(
            matches!(frames.last(), Some(Ok(_))),
            "the request after a pause is answered: {reply:02x?}"
        );
    }
    m.handle_timeout(Instant::from_millis(5_000));
    check_invariants(&m);
}
