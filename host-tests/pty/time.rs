//! The network's clock as qmicli and the AT port read it: one clock, set
//! by the profile's `[time]` section and advancing with simulated time.

use crate::at::{at, open};
use crate::harness::*;
use vmodem_core::model::profile::DEFAULT_PROFILE;

#[test]
fn dms_time_and_cclk_read_the_profiles_network_clock() {
    let dir = tempdir("time");
    let profile = dir.path().join("profile.toml");
    let text = DEFAULT_PROFILE
        .replacen(
            "utc-at-start = \"2025-01-01T00:00:00Z\"",
            "utc-at-start = \"2031-07-04T22:59:30Z\"",
            1,
        )
        .replacen("utc-offset-minutes = 0", "utc-offset-minutes = 120", 1)
        .replacen("dst-hours = 0", "dst-hours = 1", 1);
    assert!(text.contains("2031-07-04") && text.contains("dst-hours = 1"));
    std::fs::write(&profile, text).unwrap();
    let link = dir.path().join("at");
    let m = Vmodem::start(
        "time",
        &[
            "--profile",
            profile.to_str().unwrap(),
            "--at-link",
            link.to_str().unwrap(),
        ],
    );
    // qmicli prints the System Time TLV (GPS time, 18 s ahead of UTC) as
    // a date; vmodem has run for seconds at most.
    let t = m.ok(&["--dms-get-time"]);
    let system = t
        .lines()
        .find(|l| l.contains("System time"))
        .unwrap_or_else(|| panic!("{t}"));
    assert!(system.contains("2031-07-04 22:59:"), "{t}");

    let mut pty = open(&link);
    at(&mut pty, "ATE0");
    // ModemManager's Time interface: +CTZU=1, then +CCLK? in local time
    // with the zone (DST included) in quarter hours.
    assert_eq!(at(&mut pty, "AT+CTZU=1"), "\r\nOK\r\n");
    let cclk = at(&mut pty, "AT+CCLK?");
    assert!(cclk.starts_with("\r\n+CCLK: \"31/07/05,00:59:"), "{cclk:?}");
    assert!(cclk.ends_with("+08\"\r\n\r\nOK\r\n"), "{cclk:?}");

    // NITZ at registration: +CTZE under +CTZR=2.
    assert_eq!(at(&mut pty, "AT+CTZR=2"), "\r\nOK\r\n");
    assert_eq!(at(&mut pty, "AT+CPIN=\"1234\""), "\r\nOK\r\n");
    let urc = crate::at::read_until(&mut pty, |b| b.ends_with(b"\"\r\n"));
    let urc = String::from_utf8(urc).unwrap();
    assert!(
        urc.contains("+CTZE: \"+08\",1,\"2031/07/04,22:59:"),
        "{urc:?}"
    );
}
