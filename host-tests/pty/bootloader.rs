//! The boot loader over a pty: `--start-in-bootloader` serves the QDL
//! download port on the DM link. (The real qmi-firmware-update cannot
//! drive a pty: it resolves its `-t` device through udev to a USB parent;
//! the VM tier runs it against the gadget instead.)

use crate::harness::*;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::time::Duration;
use vmodem_core::serial::download::qdl::{QdlError, Request, Response};
use vmodem_core::wire::hdlc;

/// Sends one framed request; returns the reply, or `None` if none came
/// within a second (the boot loader may still be booting).
fn exchange(pty: &mut File, req: &Request) -> Option<Response> {
    let mut wire = vec![hdlc::FLAG];
    wire.extend(hdlc::encode(&req.to_payload()));
    pty.write_all(&wire).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let mut d = hdlc::Deframer::default();
    loop {
        let mut fds = [PollFd::new(pty.as_fd(), PollFlags::POLLIN)];
        if poll(&mut fds, PollTimeout::from(1000u16)).unwrap() == 0 {
            return None;
        }
        let n = pty.read(&mut buf).unwrap();
        got.extend_from_slice(&buf[..n]);
        if let Some(f) = d.push(&buf[..n]).into_iter().next() {
            return Some(Response::parse(&f.expect("valid frame")).expect("known reply"));
        }
    }
}

#[test]
fn qdl_on_the_dm_link_in_bootloader_mode() {
    if gadget_mode() {
        return; // the VM tier's bootloader.test.sh covers the gadget
    }
    let dir = tempdir("bootloader");
    let link = dir.path().join("dm");
    let _m = Vmodem::start(
        "bootloader",
        &["--start-in-bootloader", "--dm-link", link.to_str().unwrap()],
    );
    wait_until(Duration::from_secs(10), || link.exists()).expect("DM link");
    let mut pty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&link)
        .unwrap();
    // Bytes sent while the boot loader boots are lost, as on the wire.
    let mut ack = None;
    wait_until(Duration::from_secs(10), || {
        ack = exchange(&mut pty, &Request::DloadSdp);
        ack.is_some()
    })
    .expect("the boot loader answers DLOAD SDP");
    assert_eq!(ack, Some(Response::DloadAck));
    assert_eq!(
        exchange(&mut pty, &Request::host_hello(4)),
        Some(Response::Error(QdlError::OP_FAILED))
    );
    let hello = exchange(&mut pty, &Request::host_hello(6)).unwrap();
    assert!(matches!(hello, Response::Hello { max_version: 6, .. }));
}
