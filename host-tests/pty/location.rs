//! GNSS with the real qmicli (LOC; qmicli 1.32 has no PDS actions) and
//! over the AT and NMEA ptys: one receiver, the profile's position, the
//! NMEA port silent until a session runs.

use crate::at::{at, open, read_until};
use crate::harness::*;
use std::io::Read;
use std::time::Duration;

/// The client ID qmicli printed for `--client-no-release-cid`.
fn kept_cid(text: &str) -> String {
    text.lines()
        .find_map(|l| l.trim().strip_prefix("CID: '"))
        .and_then(|l| l.split('\'').next())
        .unwrap_or_else(|| panic!("no CID in {text}"))
        .to_string()
}

#[test]
fn loc_session_reports_the_profiles_position() {
    let m = Vmodem::start("loc", &[]);
    let t = m.ok(&["--loc-get-nmea-types"]);
    assert!(t.contains("gga, rmc, gsv, gsa, vtg"), "{t}");
    m.ok(&["--loc-set-nmea-types=gga|rmc"]);
    let t = m.ok(&["--loc-get-nmea-types"]);
    assert!(t.contains("NMEA types: gga, rmc"), "{t}");
    m.ok(&["--loc-set-operation-mode=standalone"]);
    assert!(m.ok(&["--loc-get-operation-mode"]).contains("standalone"));
    assert!(m.ok(&["--loc-get-engine-lock"]).contains("none"));

    let started = m.ok(&[
        "--loc-start",
        "--loc-session-id=5",
        "--client-no-release-cid",
    ]);
    let cid = kept_cid(&started);
    let cid_arg = format!("--client-cid={cid}");
    // The profile's first start is hot: a fix within seconds.
    let r = m.ok(&[
        &cid_arg,
        "--client-no-release-cid",
        "--loc-get-position-report",
        "--loc-timeout=45",
    ]);
    assert!(r.contains("status: success"), "{r}");
    assert_field(&r, "latitude:", "49.166600 degrees");
    assert_field(&r, "longitude:", "-123.133600 degrees");
    assert!(
        r.contains("altitude w.r.t. mean sea level: 10.000000 meters"),
        "{r}"
    );
    assert!(r.contains("Leap seconds: 18"), "{r}");
    let stopped = m.ok(&[&cid_arg, "--loc-stop", "--loc-session-id=5"]);
    assert!(
        stopped.contains("stopped location tracking (session id 5)"),
        "{stopped}"
    );
    m.ok(&["--loc-delete-assistance-data"]);
}

#[test]
fn at_gps_session_streams_nmea_on_its_port() {
    let dir = tempdir("gps-at");
    let at_link = dir.path().join("at");
    let nmea_link = dir.path().join("nmea");
    let _m = Vmodem::start(
        "gps-at",
        &[
            "--at-link",
            at_link.to_str().unwrap(),
            "--nmea-link",
            nmea_link.to_str().unwrap(),
        ],
    );
    let mut nmea = open(&nmea_link);
    let mut pty = open(&at_link);
    at(&mut pty, "ATE0");
    // No session: the NMEA port stays silent.
    std::thread::sleep(Duration::from_millis(1500));
    let mut buf = [0u8; 256];
    assert!(!readable(&nmea), "NMEA before any session");
    assert_eq!(at(&mut pty, "AT!GPSTRACK=1,255,1000,1000,1"), "\r\nOK\r\n");
    let got = read_until(&mut nmea, |b| {
        String::from_utf8_lossy(b).contains(",4909.9960,N,12308.0160,W,1,")
    });
    let text = String::from_utf8(got).unwrap();
    assert!(
        text.starts_with("$GP"),
        "whole sentences from the start: {text:?}"
    );
    let loc = at(&mut pty, "AT!GPSLOC?");
    assert!(loc.contains("Lat: 49 Deg 9 Min"), "{loc}");
    assert_eq!(at(&mut pty, "AT!GPSEND=0"), "\r\nOK\r\n");
    // Drain what was under way, then silence.
    std::thread::sleep(Duration::from_millis(300));
    while readable(&nmea) {
        let _ = nmea.read(&mut buf).unwrap();
    }
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!readable(&nmea), "NMEA after the session ended");
}

/// Whether the pty has bytes to read now.
fn readable(f: &std::fs::File) -> bool {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    use std::os::fd::AsFd;
    let mut fds = [PollFd::new(f.as_fd(), PollFlags::POLLIN)];
    poll(&mut fds, PollTimeout::ZERO).unwrap() > 0
}
