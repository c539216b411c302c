//! CTL over the pty: version info, and hostile frames written straight to
//! the pty, followed by a real qmicli request that must still be served.

use crate::harness::*;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};
use vmodem_core::wire::qmi::{Message, MessageKind};
use vmodem_core::wire::qmux::Deframer;
use vmodem_core::wire::tlv::Tlv;
use vmodem_core::wire::{MessageId, ProtocolError, ServiceId};

#[test]
fn version_info_lists_the_em7305_services() {
    let m = Vmodem::start("ctl-version", &[]);
    let out = m.ok(&["--get-service-version-info"]);
    // Sync drops every client; version info on open is what ModemManager does.
    assert_field(
        &m.ok(&["--device-open-sync", "--dms-get-model"]),
        "Model",
        "'EM7305'",
    );
    assert_field(
        &m.ok(&["--device-open-version-info", "--dms-get-model"]),
        "Model",
        "'EM7305'",
    );
    for svc in ["ctl", "wds", "dms", "nas", "uim", "wda"] {
        assert!(
            out.lines()
                .any(|l| l.trim_start().starts_with(&format!("{svc} ("))),
            "{svc} missing from:\n{out}"
        );
    }
}

fn request(service: ServiceId, client: u8, txn: u16, id: u16, tlvs: Vec<Tlv>) -> Vec<u8> {
    Message::request(service, client, txn, id, tlvs).to_bytes()
}

/// Reads frames from the pty until one response arrives or time runs out;
/// `d` keeps what came after it for the next call.
fn read_response(pty: &mut std::fs::File, d: &mut Deframer) -> Message {
    let start = Instant::now();
    let deadline = start + Duration::from_secs(5);
    // Only the order of reads matters here: the pty delivers whole frames.
    let now = || vmodem_core::time::Instant::ZERO;
    let mut buf = [0u8; 4096];
    loop {
        while let Some(f) = d.next_frame(now()) {
            let m = Message::parse(&f).expect("vmodem sends valid frames");
            if m.kind == MessageKind::Response {
                return m;
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "no response from vmodem");
        let mut fds = [PollFd::new(pty.as_fd(), PollFlags::POLLIN)];
        let ms = PollTimeout::from(left.as_millis().min(1000) as u16);
        if poll(&mut fds, ms).unwrap() > 0 {
            let n = pty.read(&mut buf).unwrap();
            d.push(&buf[..n], now());
        }
    }
}

#[test]
fn hostile_frames_get_errors_and_qmicli_still_works() {
    let m = Vmodem::start("ctl-hostile", &[]);
    let mut pty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&m.link)
        .unwrap();
    let mut d = Deframer::new();

    // A DMS client to address.
    pty.write_all(&request(
        ServiceId::Ctl,
        0,
        1,
        0x22,
        vec![Tlv::new(1, vec![2])],
    ))
    .unwrap();
    let alloc = read_response(&mut pty, &mut d);
    assert_eq!(alloc.result(), Some((0, 0)));
    let cid = alloc.tlv(1).unwrap()[1];

    // Unknown service.
    pty.write_all(&request(ServiceId(0x63), 1, 2, 0x0001, vec![]))
        .unwrap();
    let r = read_response(&mut pty, &mut d);
    assert_eq!((r.service, r.txn), (ServiceId(0x63), 2));
    assert_eq!(r.result(), Some((1, ProtocolError::InvalidServiceType.0)));

    // Truncated TLV: claims 9 bytes of value, carries 1.
    let mut bad = request(ServiceId::Dms, cid, 3, 0x002e, vec![Tlv::new(1, vec![0])]);
    bad[14] = 9;
    pty.write_all(&bad).unwrap();
    let r = read_response(&mut pty, &mut d);
    assert_eq!(
        (r.service, r.txn, r.id),
        (ServiceId::Dms, 3, MessageId(0x2e))
    );
    assert_eq!(r.result(), Some((1, ProtocolError::MalformedMessage.0)));

    // QMI length larger than the frame.
    let mut bad = request(ServiceId::Dms, cid, 4, 0x0022, vec![]);
    bad[11] = 0x40;
    pty.write_all(&bad).unwrap();
    let r = read_response(&mut pty, &mut d);
    assert_eq!(
        (r.txn, r.result()),
        (4, Some((1, ProtocolError::MalformedMessage.0)))
    );

    // Line noise before the next frame is skipped.
    pty.write_all(&[0x00, 0xff, 0x7e]).unwrap();
    pty.write_all(&request(ServiceId::Dms, cid, 5, 0x0022, vec![]))
        .unwrap();
    let r = read_response(&mut pty, &mut d);
    assert_eq!((r.txn, r.result()), (5, Some((0, 0))));
    assert_eq!(r.tlv(1), Some(&b"EM7305"[..]));
    drop(pty);

    assert_field(&m.ok(&["--dms-get-model"]), "Model", "'EM7305'");
}

/// Regression: a frame whose length lies, or a burst of garbage holding a
/// plausible header, used to stall the channel until 16 KiB more arrived.
#[test]
fn lying_lengths_and_garbage_do_not_stall_the_channel() {
    if gadget_mode() {
        // Resync is a byte stream's rule: over USB each encapsulated
        // command is one transfer, and a transfer that holds a broken
        // frame and a request behind it is one broken message.
        skip("ctl resync (a pty byte stream's rule; over USB a transfer is one message)");
        return;
    }
    let m = Vmodem::start("ctl-resync", &[]);
    let mut pty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&m.link)
        .unwrap();
    let mut d = Deframer::new();
    let version = |txn| request(ServiceId::Ctl, 0, txn, 0x21, vec![]);

    // QMUX length 0x200 on a 12-byte message, the request right behind it:
    // the QMI header's length ends the frame, both are answered at once.
    let mut long = version(1);
    long[1] = 0x00;
    long[2] = 0x02;
    let mut both = long;
    both.extend(version(2));
    pty.write_all(&both).unwrap();
    let start = Instant::now();
    let r = read_response(&mut pty, &mut d);
    assert_eq!(
        (r.txn, r.result()),
        (1, Some((1, ProtocolError::MalformedMessage.0)))
    );
    let r = read_response(&mut pty, &mut d);
    assert_eq!((r.txn, r.result()), (2, Some((0, 0))));

    // Both lengths agree on 64 bytes of TLVs that never come, the request
    // right behind: abandoned after the idle time, then answered.
    let mut stalled = version(3);
    stalled[1] = 0x4b;
    stalled[10] = 0x40;
    stalled.extend(version(4));
    pty.write_all(&stalled).unwrap();
    let r = read_response(&mut pty, &mut d);
    assert_eq!((r.txn, r.result()), (4, Some((0, 0))));

    // Garbage ending in a plausible header, a pause, then a request.
    pty.write_all(&[0xff, 0x01, 0x20, 0x00, 0x00, 0x00, 0x00])
        .unwrap();
    std::thread::sleep(Duration::from_millis(600));
    pty.write_all(&version(5)).unwrap();
    let r = read_response(&mut pty, &mut d);
    assert_eq!((r.txn, r.result()), (5, Some((0, 0))));
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );
    drop(pty);
    assert_field(&m.ok(&["--dms-get-model"]), "Model", "'EM7305'");
}
