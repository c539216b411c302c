//! The pty transport follows the USB composition: after a switch and a
//! reset, the control pty speaks the composition's control function and
//! only its serial functions have ptys, as ttyUSB nodes come and go with
//! the module's interfaces; the port map vmodem prints says which.

use crate::at::{at, open};
use crate::harness::*;
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

/// The functions of the port map vmodem printed last: the lines after the
/// last control line ("vmodem: QMI on ..." or "vmodem: MBIM on ...").
fn last_map(stdout: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(stdout).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .rposition(|l| l.contains(" (EM7305, seed "))
        .unwrap_or(lines.len());
    lines[start..]
        .iter()
        .filter_map(|l| l.strip_prefix("vmodem: "))
        .filter_map(|l| l.split(" on ").next())
        .map(str::to_string)
        .collect()
}

/// The functions qmicli names for the running composition.
fn running(composition: &str) -> BTreeSet<String> {
    let line = composition
        .lines()
        .find_map(|l| l.trim().strip_prefix("[*] USB composition "))
        .unwrap_or_else(|| panic!("no running composition in {composition}"));
    let (_, functions) = line.split_once(": ").expect("a description");
    functions
        .trim_matches('\'')
        .split(", ")
        .map(str::to_string)
        .collect()
}

/// Offline, then reset: the module reboots into the stored composition.
fn reset(m: &Vmodem, open: &str) {
    let o = m.qmicli_opened(open, &["--dms-set-operating-mode=offline"]);
    assert!(o.ok, "{}", o.text);
    // The module answers before it reboots, over MBIM's QMI service too.
    let o = m.qmicli_opened(
        open,
        &["--client-no-release-cid", "--dms-set-operating-mode=reset"],
    );
    assert!(o.ok, "{}", o.text);
}

/// Polls qmicli (opened with `open`) until the running composition shows.
fn wait_composition(m: &Vmodem, open: &str, n: u8) -> String {
    let want = format!("[*] USB composition {n}");
    let mut last = String::new();
    let done = wait_until(Duration::from_secs(30), || {
        let o = m.qmicli_opened(open, &["--dms-swi-get-usb-composition"]);
        last = o.text;
        o.ok && last.contains(&want)
    });
    assert!(done.is_ok(), "composition {n} never ran:\n{last}");
    last
}

/// A pty always, in the VM tier too: the port map is the pty transport's.
#[test]
fn ptys_follow_the_composition_after_reset() {
    let dir = tempdir("composition");
    let stdout = dir.path().join("stdout");
    let links = ["at", "dm", "nmea"].map(|n| dir.path().join(n));
    let m = Vmodem::start_pty(
        "composition",
        &[
            "--at-link",
            links[0].to_str().unwrap(),
            "--dm-link",
            links[1].to_str().unwrap(),
            "--nmea-link",
            links[2].to_str().unwrap(),
        ],
        std::fs::File::create(&stdout).unwrap(),
    );
    let qmi = "--device-open-qmi";
    let mbim = "--device-open-mbim";
    let comp = wait_composition(&m, qmi, 6);
    let map = |want: &BTreeSet<String>| {
        let mut seen = BTreeSet::new();
        let ok = wait_until(Duration::from_secs(10), || {
            seen = last_map(&stdout);
            seen == *want
        });
        assert!(ok.is_ok(), "port map {seen:?}, composition {want:?}");
    };
    map(&running(&comp));

    // 12: DM, NMEA and MBIM; no AT function, so no AT pty.
    m.ok(&["--dms-swi-set-usb-composition=12"]);
    reset(&m, qmi);
    let comp = wait_composition(&m, mbim, 12);
    assert_eq!(
        running(&comp),
        BTreeSet::from(["DM", "NMEA", "MBIM"].map(String::from))
    );
    map(&running(&comp));
    assert!(
        !links[0].exists(),
        "the AT pty's link outlived its function"
    );
    assert!(links[1].exists() && links[2].exists());
    // The control pty is an MBIM function now.
    let caps = m.mbim_ok(&["--query-device-caps"]);
    assert!(caps.contains("Firmware info: 'SWI9X15C"), "{caps}");
    assert!(!m.qmicli(&["--dms-get-model"]).ok, "QMUX on an MBIM pty");

    // Back to 6: QMI again, and the AT pty with it.
    let o = m.qmicli_opened(mbim, &["--dms-swi-set-usb-composition=6"]);
    assert!(o.ok, "{}", o.text);
    reset(&m, mbim);
    let comp = wait_composition(&m, qmi, 6);
    map(&running(&comp));
    let mut pty = open(&links[0]);
    assert_eq!(at(&mut pty, "AT"), "AT\r\r\nOK\r\n");
}

/// From the start too: a composition without an AT function has no AT
/// pty, whatever `--at-link` asked for.
#[test]
fn no_at_pty_in_a_composition_without_at() {
    let dir = tempdir("composition-start");
    let stdout = dir.path().join("stdout");
    let at_link = dir.path().join("at");
    let m = Vmodem::start_pty(
        "composition-start",
        &[
            "--composition",
            "mbim",
            "--at-link",
            at_link.to_str().unwrap(),
        ],
        std::fs::File::create(&stdout).unwrap(),
    );
    let comp = wait_composition(&m, "--device-open-mbim", 9);
    assert_eq!(running(&comp), BTreeSet::from(["MBIM".to_string()]));
    assert_eq!(last_map(&stdout), running(&comp));
    assert!(!at_link.exists(), "an AT pty in composition 9");
}

/// `--pcap` on the pty follows the switch too: after the reset the capture
/// holds a second enumeration, with the new composition's descriptors.
#[test]
fn the_capture_shows_the_composition_after_reset() {
    use vmodem_core::capture::usbmon;
    use vmodem_core::model::Profile;
    use vmodem_core::usb::{descriptors, UsbPersonality};
    let dir = tempdir("composition-pcap");
    let pcap = dir.path().join("switch.pcap");
    let m = Vmodem::start_pty(
        "composition-pcap",
        &["--pcap", pcap.to_str().unwrap()],
        std::process::Stdio::null(),
    );
    wait_composition(&m, "--device-open-qmi", 6);
    m.ok(&["--dms-swi-set-usb-composition=9"]);
    reset(&m, "--device-open-qmi");
    wait_composition(&m, "--device-open-mbim", 9);
    drop(m);
    let recs = usbmon::read(&std::fs::read(&pcap).unwrap()).expect("a usbmon capture");
    // Whole configuration descriptors the device returned, in order.
    let configs: Vec<&[u8]> = recs
        .windows(2)
        .filter(|w| {
            w[0].setup
                .is_some_and(|s| s[..4] == [0x80, 0x06, 0x00, 0x02] && s[6] > 9)
        })
        .map(|w| w[1].data.as_slice())
        .collect();
    let profile = Profile::default();
    let want = |c| descriptors::configuration(&UsbPersonality::application(&profile, c), 0);
    assert_eq!(configs.len(), 2, "two enumerations");
    assert_eq!(Some(configs[0].to_vec()), want(6));
    assert_eq!(Some(configs[1].to_vec()), want(9));
}
