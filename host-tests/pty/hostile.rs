//! A hostile or merely slow host on the ptys: a host that stops reading
//! never sees a torn QMUX or MBIM frame, only whole frames dropped (each a
//! "host overrun" in the event log); the AT port answers every command of
//! a burst to a host that reads; after all that the device still serves.
//! Always a pty (these tests start `--transport pty` themselves).

use crate::at::open;
use crate::harness::*;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use vmodem_core::wire::mbim::{CommandType, Message as MbimMessage, Uuid};
use vmodem_core::wire::qmi::{Message, MessageKind};
use vmodem_core::wire::qmux::Sender;
use vmodem_core::wire::{MessageId, ServiceId};

/// CTL Get Version Info.
const CTL_GET_VERSION_INFO: u16 = 0x0021;
/// MBIM Basic Connect DEVICE_CAPS.
const DEVICE_CAPS: u32 = 1;

/// `vmodem run --transport pty`, killed on drop.
struct Run(Child);
impl Drop for Run {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Run {
    fn start(args: &[&str], link: &Path) -> Run {
        let child = Command::new(env!("CARGO_BIN_EXE_vmodem"))
            .args(["run", "--transport", "pty"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start vmodem");
        let run = Run(child);
        wait_until(Duration::from_secs(10), || link.exists())
            .unwrap_or_else(|_| panic!("vmodem did not create {link:?}"));
        run
    }

    fn alive(&mut self) -> bool {
        self.0.try_wait().unwrap().is_none()
    }
}

/// Reads until `done` holds for everything read so far, or `limit` passes.
fn read_until(pty: &mut File, limit: Duration, mut done: impl FnMut(&[u8]) -> bool) -> Vec<u8> {
    let t0 = Instant::now();
    let mut got = Vec::new();
    let mut buf = vec![0u8; 65536];
    while !done(&got) && t0.elapsed() < limit {
        let mut fds = [PollFd::new(pty.as_fd(), PollFlags::POLLIN)];
        if poll(&mut fds, PollTimeout::from(200u16)).unwrap() > 0 {
            let n = pty.read(&mut buf).unwrap();
            got.extend_from_slice(&buf[..n]);
        }
    }
    got
}

/// Reads what else arrives until nothing has for `idle`.
fn read_idle(pty: &mut File, idle: Duration) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = vec![0u8; 65536];
    loop {
        let mut fds = [PollFd::new(pty.as_fd(), PollFlags::POLLIN)];
        if poll(&mut fds, PollTimeout::from(idle.as_millis() as u16)).unwrap() == 0 {
            return got;
        }
        let n = pty.read(&mut buf).unwrap();
        got.extend_from_slice(&buf[..n]);
    }
}

/// How many frames `stream` holds, split by `len` (a frame's length from
/// its first `header` bytes); `None` while the last one is incomplete.
fn count_frames(stream: &[u8], header: usize, len: impl Fn(&[u8]) -> usize) -> Option<usize> {
    let mut n = 0;
    let mut rest = stream;
    while !rest.is_empty() {
        let l = len(rest.get(..header)?);
        if l < header || rest.len() < l {
            return None;
        }
        rest = &rest[l..];
        n += 1;
    }
    Some(n)
}

fn qmux_frames(stream: &[u8]) -> Option<usize> {
    count_frames(stream, 3, |h| u16::from_le_bytes([h[1], h[2]]) as usize + 1)
}

fn mbim_frames(stream: &[u8]) -> Option<usize> {
    count_frames(stream, 8, |h| {
        u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as usize
    })
}

/// Splits a byte stream by QMUX lengths; fails on any byte that is not
/// part of a whole, parseable message.
fn whole_qmi(stream: &[u8]) -> Vec<Message> {
    let mut out = Vec::new();
    let mut rest = stream;
    while !rest.is_empty() {
        assert_eq!(rest[0], 0x01, "a QMUX frame must start here");
        assert!(rest.len() >= 3, "a torn QMUX header at the end");
        let len = u16::from_le_bytes([rest[1], rest[2]]) as usize + 1;
        assert!(rest.len() >= len, "a torn QMUX frame at the end");
        out.push(Message::parse(&rest[..len]).expect("a whole QMI message"));
        rest = &rest[len..];
    }
    out
}

/// Splits a byte stream by MBIM MessageLength, the same way.
fn whole_mbim(stream: &[u8]) -> Vec<MbimMessage> {
    let mut out = Vec::new();
    let mut rest = stream;
    while !rest.is_empty() {
        assert!(rest.len() >= 12, "a torn MBIM header at the end");
        let len = u32::from_le_bytes(rest[4..8].try_into().unwrap()) as usize;
        assert!(len >= 12 && rest.len() >= len, "a torn MBIM message");
        out.push(MbimMessage::parse(&rest[..len]).expect("a whole MBIM message"));
        rest = &rest[len..];
    }
    out
}

/// The "host overrun" records of an event log for `port`: (count, bytes).
fn overruns(events: &Path, port: &str) -> (usize, u64) {
    let log = std::fs::read_to_string(events).unwrap();
    let mut n = 0;
    let mut bytes = 0;
    for line in log.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["event"] == "host-overrun" && v["port"] == port {
            n += 1;
            bytes += v["bytes"].as_u64().expect("bytes");
        }
    }
    (n, bytes)
}

fn version_request(txn: u16) -> Vec<u8> {
    Message {
        sender: Sender::Host,
        service: ServiceId::Ctl,
        client: 0,
        kind: MessageKind::Request,
        txn,
        id: MessageId(CTL_GET_VERSION_INFO),
        tlvs: vec![],
    }
    .to_bytes()
}

#[test]
fn a_host_that_stops_reading_qmi_sees_whole_frames_and_an_overrun() {
    let dir = tempdir("hostile-qmi");
    let link = dir.path().join("qmi");
    let events = dir.path().join("events.jsonl");
    let mut run = Run::start(
        &[
            "--link",
            link.to_str().unwrap(),
            "--events",
            events.to_str().unwrap(),
        ],
        &link,
    );
    let mut pty = open(&link);
    // Far more answers than the pty and the control queue hold together.
    const N: usize = 10_000;
    let burst: Vec<u8> = (0..N)
        .flat_map(|i| version_request((i % 255 + 1) as u16))
        .collect();
    pty.write_all(&burst).unwrap();
    // Let the device answer while nobody reads, then read until every
    // answer arrived or was dropped whole.
    std::thread::sleep(Duration::from_secs(2));
    let got = read_until(&mut pty, Duration::from_secs(30), |b| {
        qmux_frames(b).is_some_and(|n| n + overruns(&events, "qmi").0 == N)
    });
    let msgs = whole_qmi(&got);
    assert!(msgs
        .iter()
        .all(|m| m.kind == MessageKind::Response && m.id.0 == CTL_GET_VERSION_INFO));
    let (dropped, bytes) = overruns(&events, "qmi");
    assert!(dropped > 0, "no host overrun in the event log");
    assert_eq!(
        msgs.len() + dropped,
        N,
        "every answer was read or dropped whole"
    );
    let answer = got.len() / msgs.len();
    assert_eq!(bytes, (answer * dropped) as u64);
    // After the overrun the next request is answered.
    pty.write_all(&version_request(7)).unwrap();
    let next = read_until(&mut pty, Duration::from_secs(10), |b| {
        qmux_frames(b) == Some(1)
    });
    let next = whole_qmi(&next);
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].txn, 7);
    assert!(run.alive());
}

#[test]
fn a_slow_mbim_host_reads_400_answers_whole() {
    let dir = tempdir("hostile-mbim");
    let link = dir.path().join("mbim");
    let events = dir.path().join("events.jsonl");
    let mut run = Run::start(
        &[
            "--composition",
            "mbim",
            "--link",
            link.to_str().unwrap(),
            "--events",
            events.to_str().unwrap(),
        ],
        &link,
    );
    let mut pty = open(&link);
    let open_msg = MbimMessage::Open {
        txn: 1,
        max_control_transfer: 4096,
    };
    pty.write_all(&open_msg.to_bytes()).unwrap();
    let opened = read_until(&mut pty, Duration::from_secs(10), |b| {
        mbim_frames(b) == Some(1)
    });
    let opened = whole_mbim(&opened);
    assert!(matches!(opened[..], [MbimMessage::OpenDone { txn: 1, .. }]));
    const N: u32 = 400;
    let burst: Vec<u8> = (0..N)
        .flat_map(|i| {
            MbimMessage::Command {
                txn: i + 2,
                service: Uuid::BASIC_CONNECT,
                cid: DEVICE_CAPS,
                command_type: CommandType::QUERY,
                info: vec![],
            }
            .to_bytes()
        })
        .collect();
    pty.write_all(&burst).unwrap();
    std::thread::sleep(Duration::from_secs(1));
    let got = read_until(&mut pty, Duration::from_secs(30), |b| {
        mbim_frames(b).is_some_and(|n| n + overruns(&events, "mbim").0 == N as usize)
    });
    let msgs = whole_mbim(&got);
    let done = msgs
        .iter()
        .filter(|m| {
            matches!(
                m,
                MbimMessage::CommandDone {
                    cid: DEVICE_CAPS,
                    ..
                }
            )
        })
        .count();
    let (dropped, _) = overruns(&events, "mbim");
    assert_eq!(
        done + dropped,
        N as usize,
        "every answer was read or dropped whole"
    );
    assert!(run.alive());
}

#[test]
fn ten_thousand_at_commands_get_ten_thousand_answers() {
    let dir = tempdir("hostile-at");
    let link = dir.path().join("qmi");
    let at_link = dir.path().join("at");
    let mut run = Run::start(
        &[
            "--link",
            link.to_str().unwrap(),
            "--at-link",
            at_link.to_str().unwrap(),
        ],
        &link,
    );
    let mut pty = open(&at_link);
    let mut writer = pty.try_clone().unwrap();
    const N: usize = 10_000;
    let feed = std::thread::spawn(move || {
        writer.write_all(&b"AT\r".repeat(N)).unwrap();
    });
    let t0 = Instant::now();
    let mut got = Vec::new();
    let mut buf = vec![0u8; 65536];
    let ok = b"\r\nOK\r\n";
    let count = |b: &[u8]| b.windows(ok.len()).filter(|w| w == ok).count();
    let mut answers = 0;
    while answers < N && t0.elapsed() < Duration::from_secs(30) {
        let mut fds = [PollFd::new(pty.as_fd(), PollFlags::POLLIN)];
        if poll(&mut fds, PollTimeout::from(1000u16)).unwrap() > 0 {
            let n = pty.read(&mut buf).unwrap();
            got.extend_from_slice(&buf[..n]);
            answers = count(&got);
        }
    }
    feed.join().unwrap();
    // Nothing more trails in.
    got.extend(read_idle(&mut pty, Duration::from_millis(300)));
    assert_eq!(count(&got), N);
    assert!(run.alive());
}
