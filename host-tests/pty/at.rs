//! The serial ports over their own ptys: AT commands typed as a person
//! would, the QCDM probe ModemManager sends, and state shared with QMI.

use crate::harness::*;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::path::Path;
use std::time::{Duration, Instant};
use vmodem_core::wire::hdlc;

pub(crate) fn open(path: &Path) -> File {
    let t0 = Instant::now();
    while !path.exists() {
        assert!(t0.elapsed() < Duration::from_secs(10), "{path:?} missing");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap()
}

/// Reads until `done` holds for what arrived, or fails after 5 s.
pub(crate) fn read_until(pty: &mut File, done: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !done(&got) {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "no complete answer; got {:?}",
            String::from_utf8_lossy(&got)
        );
        let mut fds = [PollFd::new(pty.as_fd(), PollFlags::POLLIN)];
        let ms = PollTimeout::from(left.as_millis().min(1000) as u16);
        if poll(&mut fds, ms).unwrap() > 0 {
            let n = pty.read(&mut buf).unwrap();
            got.extend_from_slice(&buf[..n]);
        }
    }
    got
}

/// Sends one command line and returns the answer up to its final result.
pub(crate) fn at(pty: &mut File, line: &str) -> String {
    pty.write_all(format!("{line}\r").as_bytes()).unwrap();
    let out = read_until(pty, |b| {
        b.ends_with(b"\r\nOK\r\n") || b.ends_with(b"ERROR\r\n") || b.ends_with(b"ERROR: 16\r\n")
    });
    String::from_utf8(out).unwrap()
}

#[test]
fn at_port_identity_and_pin_shared_with_qmi() {
    let dir = tempdir("at-port");
    let link = dir.path().join("at");
    let m = Vmodem::start("at", &["--at-link", link.to_str().unwrap()]);
    let mut pty = open(&link);

    // Echo is on until the host turns it off, as on a real module.
    assert_eq!(at(&mut pty, "ATE0"), "ATE0\r\r\nOK\r\n");
    let ati = at(&mut pty, "ATI");
    assert_field(&ati, "Manufacturer:", "Sierra Wireless, Incorporated");
    assert_field(&ati, "Model:", "EM7305");
    assert_field(
        &ati,
        "Revision:",
        "SWI9X15C_05.05.58.00 r27038 carmd-fwbuild1 2015/03/04 21:30:23",
    );
    assert_field(&ati, "IMEI:", "001245000004705");
    assert_eq!(at(&mut pty, "AT+CGMM"), "\r\nEM7305\r\n\r\nOK\r\n");
    assert_eq!(at(&mut pty, "AT+NOSUCH"), "\r\nERROR\r\n");

    assert_eq!(at(&mut pty, "AT+CPIN?"), "\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n");
    assert_eq!(at(&mut pty, "AT+CMEE=1"), "\r\nOK\r\n");
    assert_eq!(at(&mut pty, "AT+CPIN=\"0000\""), "\r\n+CME ERROR: 16\r\n");
    assert_eq!(at(&mut pty, "AT+CPIN=\"1234\""), "\r\nOK\r\n");
    assert_eq!(at(&mut pty, "AT+CPIN?"), "\r\n+CPIN: READY\r\n\r\nOK\r\n");

    let st = m.ok(&["--dms-uim-get-pin-status"]);
    let pin1: String = st
        .lines()
        .skip_while(|l| !l.ends_with("PIN1:"))
        .take(4)
        .collect::<Vec<_>>()
        .join("\n");
    assert_field(&pin1, "Status", "enabled-verified");
    assert_field(&pin1, "Verify", "3");

    // And the other way: what QMI changes, AT reads.
    m.ok(&["--dms-set-operating-mode=low-power"]);
    assert_eq!(at(&mut pty, "AT+CFUN?"), "\r\n+CFUN: 4\r\n\r\nOK\r\n");

    // One store of PDP contexts: a WDS profile is an AT context, and a
    // context defined over AT is a WDS profile.
    m.ok(&["--wds-create-profile=3gpp,name=work,apn=corp,pdp-type=IPV4"]);
    assert_eq!(
        at(&mut pty, "AT+CGDCONT?"),
        "\r\n+CGDCONT: 1,\"IPV4V6\",\"internet\",\"\",0,0\r\n\
         +CGDCONT: 2,\"IP\",\"corp\",\"\",0,0\r\n\r\nOK\r\n"
    );
    assert_eq!(
        at(&mut pty, "AT+CGDCONT=2,\"IPV6\",\"corp6\""),
        "\r\nOK\r\n"
    );
    let s = m.ok(&["--wds-get-profile-list=3gpp"]);
    assert!(s.contains("[2] 3gpp - work"), "{s}");
    assert_field(&s, "APN", "'corp6'");
    assert_field(&s, "PDP type", "'ipv6'");
}

#[test]
fn dm_port_answers_the_modemmanager_qcdm_probe() {
    let dir = tempdir("dm-port");
    let link = dir.path().join("dm");
    let _m = Vmodem::start("dm", &["--dm-link", link.to_str().unwrap()]);
    let mut pty = open(&link);

    // Junk with a bad CRC is dropped; the probe after it is answered.
    pty.write_all(&[0x12, 0x34, 0x56, 0x7E]).unwrap();
    pty.write_all(&[0x7E, 0x00, 0x78, 0xF0, 0x7E]).unwrap();
    let wire = read_until(&mut pty, |b| b.ends_with(&[hdlc::FLAG]));
    let mut d = hdlc::Deframer::default();
    let rsp = d.push(&wire).remove(0).unwrap();
    assert_eq!(rsp[0], 0x00, "version info");
    assert_eq!(rsp.len(), 55);
    assert_eq!(&rsp[1..12], b"Mar 04 2015");

    // An unknown command gets the bad-command echo.
    pty.write_all(&hdlc::encode(&[0x4B, 0x0F, 0x00, 0x00]))
        .unwrap();
    let wire = read_until(&mut pty, |b| b.ends_with(&[hdlc::FLAG]));
    let rsp = d.push(&wire).remove(0).unwrap();
    assert_eq!(rsp, vec![0x13, 0x4B, 0x0F, 0x00, 0x00]);
}

/// A band set chosen over AT is the band preference QMI reads, and the
/// radio registers where it allows: a set without LTE puts it on UMTS.
#[test]
fn band_set_over_at_is_the_nas_band_preference() {
    let dir = tempdir("at-band");
    let link = dir.path().join("at");
    let m = Vmodem::start("at-band", &["--at-link", link.to_str().unwrap()]);
    let mut pty = open(&link);
    assert_eq!(at(&mut pty, "ATE0"), "ATE0\r\r\nOK\r\n");
    m.unlock();
    m.wait_for(
        &["--nas-get-serving-system"],
        "'lte'",
        Duration::from_secs(10),
    );
    assert_eq!(
        at(&mut pty, "AT!GETBAND?"),
        "\r\n!GETBAND: LTE BAND 3\r\n\r\nOK\r\n"
    );
    assert_eq!(at(&mut pty, "AT!BAND=08"), "\r\nERROR\r\n");
    assert_eq!(at(&mut pty, "AT!ENTERCND=\"A710\""), "\r\nOK\r\n");
    assert_eq!(at(&mut pty, "AT!BAND=08"), "\r\nOK\r\n");
    assert_eq!(
        at(&mut pty, "AT!BAND?"),
        "\r\nIndex, Name\r\n08, WCDMA ALL\r\n\r\nOK\r\n"
    );

    let ssp = m.ok(&["--nas-get-system-selection-preference"]);
    let field = |key: &str| {
        ssp.lines()
            .find_map(|l| l.trim().strip_prefix(key))
            .map(str::trim)
            .unwrap_or("")
            .to_string()
    };
    let band = field("Band preference:");
    assert!(
        band.contains("wcdma-2100") && band.contains("wcdma-900"),
        "{ssp}"
    );
    assert!(!band.contains("gsm"), "{ssp}");
    let lte = field("LTE band preference:");
    assert!(!lte.contains('3'), "{ssp}");
    m.wait_for(
        &["--nas-get-serving-system"],
        "'umts'",
        Duration::from_secs(10),
    );
    assert_eq!(
        at(&mut pty, "AT!GETBAND?"),
        "\r\n!GETBAND: WCDMA BAND 1\r\n\r\nOK\r\n"
    );
}
