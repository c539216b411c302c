//! Messaging over the pty: qmicli's WMS actions (1.32 has routes, reset
//! and supported messages), a message from `vmodem ctl sms` seen over AT,
//! raw QMI WMS and raw MBIM (mbimcli 1.32 has no SMS actions), and the
//! routes QMI sets read back as AT's +CPMS.

use crate::at::{at, open};
use crate::harness::*;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use vmodem_core::wire::mbim::ib::{Reader, Writer};
use vmodem_core::wire::mbim::{CommandType, Message as MbimMessage, Status, Uuid};
use vmodem_core::wire::qmi::{Message, MessageKind};
use vmodem_core::wire::qmux::Deframer;
use vmodem_core::wire::sms::{Direction, Pdu};
use vmodem_core::wire::tlv::Tlv;
use vmodem_core::wire::ServiceId;

/// A long text with an emoji: UCS-2, three parts.
const LONG: &str = "Meet at the harbour café at eight 😀 — bring the charts, the \
                    spare battery and the blue notebook; the boat leaves at nine \
                    sharp and will not wait for anyone, not even the captain's \
                    cousin.";

fn ctl(sock: &Path, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_vmodem"))
        .args(["ctl", "--socket"])
        .arg(sock)
        .args(args)
        .output()
        .expect("run vmodem ctl");
    assert!(
        out.status.success(),
        "vmodem ctl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn wait_for_socket(sock: &Path) {
    wait_until(Duration::from_secs(10), || sock.exists())
        .unwrap_or_else(|_| panic!("no control socket {sock:?}"));
}

/// Reads whatever comes within `ms`.
fn drain(pty: &mut File, ms: u64) -> String {
    let deadline = Instant::now() + Duration::from_millis(ms);
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let mut fds = [PollFd::new(pty.as_fd(), PollFlags::POLLIN)];
        let t = PollTimeout::from(left.as_millis().min(1000) as u16);
        if poll(&mut fds, t).unwrap() > 0 {
            let n = pty.read(&mut buf).unwrap();
            got.extend_from_slice(&buf[..n]);
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// One raw QMI request on the control pty and its response.
fn qmi(pty: &mut File, d: &mut Deframer, m: Message) -> Message {
    pty.write_all(&m.to_bytes()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let now = vmodem_core::time::Instant::ZERO;
    let mut buf = [0u8; 8192];
    loop {
        while let Some(f) = d.next_frame(now) {
            let r = Message::parse(&f).expect("vmodem sends valid frames");
            if r.kind == MessageKind::Response && r.id == m.id && r.service == m.service {
                return r;
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "no response from vmodem");
        let mut fds = [PollFd::new(pty.as_fd(), PollFlags::POLLIN)];
        if poll(&mut fds, PollTimeout::from(1000u16)).unwrap() > 0 {
            let n = pty.read(&mut buf).unwrap();
            d.push(&buf[..n], now);
        }
    }
}

#[test]
fn qmicli_wms_routes_follow_at_and_ctl_sms_reaches_at_and_qmi() {
    let dir = tempdir("sms-qmi");
    let sock = dir.path().join("control.sock");
    let at_link = dir.path().join("at");
    let m = Vmodem::start(
        "sms-qmi",
        &[
            "--at-link",
            at_link.to_str().unwrap(),
            "--control",
            sock.to_str().unwrap(),
        ],
    );
    let s = m.ok(&["--wms-get-supported-messages"]);
    for id in ["0x0020", "0x0022", "0x0031", "0x0033", "0x0036"] {
        assert!(s.contains(id), "{id} missing:\n{s}");
    }
    let s = m.ok(&["--wms-get-routes"]);
    assert!(s.contains("Got 5 SMS routes"), "{s}");
    m.ok(&["--wms-set-routes=type=point,class=none,storage=nv,receipt-action=store-and-notify"]);
    let s = m.ok(&["--wms-get-routes"]);
    let last = s.split("Route #5:").nth(1).unwrap_or_default();
    assert_field(last, "Storage Type", "nv");
    m.ok(&["--wms-reset"]);
    let bad = m.fails(&[
        "--wms-set-routes=type=point,class=none,storage=none,receipt-action=store-and-notify",
    ]);
    assert!(
        bad.contains("InvalidArgument") || bad.contains("invalid"),
        "{bad}"
    );

    let mut atp = open(&at_link);
    assert_eq!(at(&mut atp, "ATE0"), "ATE0\r\r\nOK\r\n");
    // What QMI set is where new messages go for AT too (+CPMS mem3).
    assert!(at(&mut atp, "AT+CPMS?").contains(",\"ME\",0,100\r\n"));
    assert_eq!(at(&mut atp, "AT+CPIN=\"1234\""), "\r\nOK\r\n");
    assert_eq!(
        at(&mut atp, "AT+CMGF=1;+CNMI=2,1;+CPMS=\"ME\""),
        "\r\n+CPMS: 0,100,0,30,0,100\r\n\r\nOK\r\n"
    );

    wait_for_socket(&sock);
    ctl(&sock, &["sms", "--from", "+447700900123", "--text", LONG]);
    let urcs = drain(&mut atp, 1500);
    assert_eq!(
        urcs, "\r\n+CMTI: \"ME\",0\r\n\r\n+CMTI: \"ME\",1\r\n\r\n+CMTI: \"ME\",2\r\n",
        "three parts, three indications"
    );
    let l = at(&mut atp, "AT+CMGL=\"ALL\"");
    let text: String = l
        .lines()
        .filter(|s| !s.is_empty() && !s.starts_with("+CMGL:") && *s != "OK")
        .collect();
    assert_eq!(text, LONG);

    // The same three parts over raw QMI WMS: list and read the NV store.
    let mut qp = open(&m.link);
    let mut d = Deframer::default();
    let alloc = Message::request(ServiceId::Ctl, 0, 1, 0x22, vec![Tlv::new(1, [5])]);
    let r = qmi(&mut qp, &mut d, alloc);
    let cid = r.tlv(1).unwrap()[1];
    let list = Message::request(ServiceId::Wms, cid, 2, 0x31, vec![Tlv::new(1, [1])]);
    let r = qmi(&mut qp, &mut d, list);
    assert_eq!(&r.tlv(1).unwrap()[..4], 3u32.to_le_bytes());
    let read = Message::request(
        ServiceId::Wms,
        cid,
        3,
        0x22,
        vec![Tlv::new(1, [1, 2, 0, 0, 0])],
    );
    let r = qmi(&mut qp, &mut d, read);
    let raw = r.tlv(1).unwrap();
    let p = Pdu::parse(&raw[4..], Direction::ToHost).unwrap();
    assert!(LONG.ends_with(&p.text().unwrap()));
    // Release the client, as qmicli would.
    let release = Message::request(ServiceId::Ctl, 0, 4, 0x23, vec![Tlv::new(1, [5, cid])]);
    qmi(&mut qp, &mut d, release);
}

/// Reads device-to-host MBIM messages until one answers `txn`.
fn mbim_done(pty: &mut File, buf: &mut Vec<u8>, txn: u32) -> MbimMessage {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut chunk = [0u8; 8192];
    loop {
        while buf.len() >= 8 {
            let len = u32::from_le_bytes(buf[4..8].try_into().unwrap()) as usize;
            if buf.len() < len {
                break;
            }
            let msg: Vec<u8> = buf.drain(..len).collect();
            let m = MbimMessage::parse(&msg).expect("vmodem sends valid MBIM");
            if m.transaction_id() == txn && !matches!(m, MbimMessage::IndicateStatus { .. }) {
                return m;
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "no MBIM answer");
        let mut fds = [PollFd::new(pty.as_fd(), PollFlags::POLLIN)];
        if poll(&mut fds, PollTimeout::from(1000u16)).unwrap() > 0 {
            let n = pty.read(&mut chunk).unwrap();
            buf.extend_from_slice(&chunk[..n]);
        }
    }
}

#[test]
fn ctl_sms_is_read_over_raw_mbim() {
    let dir = tempdir("sms-mbim");
    let sock = dir.path().join("control.sock");
    let v = Vmodem::start_mbim("sms-mbim", &["--control", sock.to_str().unwrap()]);
    let caps = v.mbim_ok(&["--query-device-services"]);
    assert!(caps.contains("sms"), "{caps}");
    v.mbim_ok(&["--enter-pin=1234"]);
    wait_for_socket(&sock);
    let text = "héllo 😀 from the harbour";
    ctl(&sock, &["sms", "--from", "Harbour", "--text", text]);

    let mut pty = open(&v.link);
    let mut buf = Vec::new();
    pty.write_all(
        &MbimMessage::Open {
            txn: 1,
            max_control_transfer: 4096,
        }
        .to_bytes(),
    )
    .unwrap();
    assert!(matches!(
        mbim_done(&mut pty, &mut buf, 1),
        MbimMessage::OpenDone {
            status: Status::SUCCESS,
            ..
        }
    ));
    let mut w = Writer::new();
    w.u32(0).u32(0).u32(0); // PDU format, all messages
    let read = MbimMessage::Command {
        txn: 2,
        service: Uuid::SMS,
        cid: 2,
        command_type: CommandType::QUERY,
        info: w.finish(),
    };
    pty.write_all(&read.to_bytes()).unwrap();
    let MbimMessage::CommandDone { status, info, .. } = mbim_done(&mut pty, &mut buf, 2) else {
        panic!("not a COMMAND_DONE");
    };
    assert_eq!(status, Status::SUCCESS);
    let r = Reader::new(&info);
    assert_eq!(r.u32(4).unwrap(), 1);
    let rec = r.structure(8).unwrap();
    assert_eq!((rec.u32(0).unwrap(), rec.u32(4).unwrap()), (1, 0));
    let p = Pdu::parse(rec.ol(8).unwrap(), Direction::ToHost).unwrap();
    assert_eq!(p.text().unwrap(), text);
    pty.write_all(&MbimMessage::Close { txn: 3 }.to_bytes())
        .unwrap();
    mbim_done(&mut pty, &mut buf, 3);
}
