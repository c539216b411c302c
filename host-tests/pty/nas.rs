//! qmicli NAS actions against vmodem.

use crate::harness::*;
use std::time::Duration;

const REGISTER_LIMIT: Duration = Duration::from_secs(10);

/// A vmodem whose SIM has no PIN, so it registers by itself; the profile
/// file lives as long as the modem.
fn pinless(tag: &str) -> (Vmodem, TempDir) {
    let dir = tempdir(&format!("{tag}-profile"));
    let path = dir.path().join("nopin.toml");
    let text = vmodem_core::model::profile::DEFAULT_PROFILE
        .replace("pin-enabled = true", "pin-enabled = false");
    std::fs::write(&path, text).unwrap();
    let m = Vmodem::start(tag, &["--profile", path.to_str().unwrap()]);
    m.wait_for(
        &["--nas-get-serving-system"],
        "'registered'",
        REGISTER_LIMIT,
    );
    (m, dir)
}

/// The number in a qmicli line like `\tRSRP: '-92 dBm'`.
fn figure(text: &str, key: &str) -> f64 {
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with(key))
        .unwrap_or_else(|| panic!("no {key} in:\n{text}"));
    let v = line.split('\'').nth(1).unwrap();
    v.split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn status_actions_show_the_profile() {
    let (m, _p) = pinless("nas-status");
    let s = m.ok(&["--nas-get-serving-system"]);
    assert_field(&s, "Registration state", "'registered'");
    assert_field(&s, "PS", "'attached'");
    assert_field(&s, "[0]", "'lte'");
    assert_field(&s, "MCC", "'1'");
    assert_field(&s, "MNC", "'1'");
    assert_field(&s, "Description", "'vmodem'");
    assert_field(&s, "Roaming status", "'off'");
    assert_field(&s, "LTE tracking area code", "'10783'");
    assert_field(&s, "3GPP cell ID", "'27447553'");

    let s = m.ok(&["--nas-get-system-info"]);
    assert_field(&s, "Status", "'available'");
    assert_field(&s, "MCC", "'001'");
    assert_field(&s, "MNC", "'01'");
    assert_field(&s, "Tracking Area Code", "'10783'");

    let s = m.ok(&["--nas-get-home-network"]);
    assert_field(&s, "MCC", "'1'");
    assert_field(&s, "Description", "'vmodem'");

    let s = m.ok(&["--nas-get-plmn-name=00101"]);
    assert_field(&s, "Long Name", "'vmodem'");
    assert_field(
        &m.ok(&["--nas-get-operator-name"]),
        "Operator Name",
        "'vmodem'",
    );

    let s = m.ok(&["--nas-get-cell-location-info"]);
    assert_field(&s, "PLMN", "'00101'");
    assert_field(&s, "EUTRA Absolute RF Channel Number", "'1300'");

    let s = m.ok(&["--nas-get-rf-band-info"]);
    assert_field(&s, "Active Band Class", "'eutran-3'");
    assert_field(&s, "Active Channel", "'1300'");

    let s = m.ok(&["--nas-swi-get-status"]);
    assert_field(&s, "System mode", "'lte'");
    assert_field(&s, "RX channel", "'1300'");

    let s = m.ok(&["--nas-network-scan"]);
    assert_field(&s, "Status", "current-serving, home");
    assert_field(&s, "RAT", "'umts'");
    assert_field(&s, "Network scan result", "success");
}

#[test]
fn signal_figures_near_the_profile_and_moving() {
    let (m, _p) = pinless("nas-signal");
    let first = m.ok(&["--nas-get-signal-info"]);
    assert!(first.contains("LTE:"), "{first}");
    let rssi = figure(&first, "RSSI:");
    let rsrq = figure(&first, "RSRQ:");
    let rsrp = figure(&first, "RSRP:");
    let snr = figure(&first, "SNR:");
    // Profile centres: RSSI -65, RSRQ -9, RSRP -92, SNR 12; spread a few dB.
    assert!((-71.0..=-59.0).contains(&rssi), "{first}");
    assert!((-12.0..=-6.0).contains(&rsrq), "{first}");
    assert!((-98.0..=-86.0).contains(&rsrp), "{first}");
    assert!((9.0..=15.0).contains(&snr), "{first}");

    let mut moved = false;
    for _ in 0..8 {
        std::thread::sleep(Duration::from_millis(1000));
        let now = m.ok(&["--nas-get-signal-info"]);
        if ["RSSI:", "RSRQ:", "RSRP:", "SNR:"]
            .iter()
            .any(|k| figure(&now, k) != figure(&first, k))
        {
            moved = true;
            break;
        }
    }
    assert!(moved, "signal figures never moved");

    let s = m.ok(&["--nas-get-signal-strength"]);
    assert_field(&s, "Network 'lte'", "dBm");
    let s = m.ok(&["--nas-get-tx-rx-info=lte"]);
    assert_field(&s, "Radio tuned", "'yes'");
    // Only the serving radio has tuned chains.
    m.fails(&["--nas-get-tx-rx-info=umts"]);
}

#[test]
fn preferences_read_and_unsupported_messages_fail() {
    let (m, _p) = pinless("nas-prefs");
    let s = m.ok(&["--nas-get-system-selection-preference"]);
    assert_field(&s, "Mode preference", "'gsm, umts, lte'");
    assert_field(&s, "LTE band preference", "'1, 3, 7, 8, 20'");
    assert_field(&s, "Network selection preference", "'automatic'");
    assert_field(
        &m.ok(&["--nas-get-technology-preference"]),
        "Active",
        "'auto'",
    );
    // Later chipsets only.
    let e = m.fails(&["--nas-get-drx"]);
    assert!(e.contains("InvalidQmiCommand"), "{e}");
    let e = m.fails(&["--nas-get-lte-cphy-ca-info"]);
    assert!(e.contains("InvalidQmiCommand"), "{e}");
}

#[test]
fn umts_only_preference_registers_on_umts() {
    let (m, _p) = pinless("nas-umts");
    m.ok(&["--nas-set-system-selection-preference=umts"]);
    let s = m.wait_for(&["--nas-get-serving-system"], "'umts'", REGISTER_LIMIT);
    assert!(s.contains("'umts'"), "{s}");
    let s = m.wait_for(
        &["--nas-get-serving-system"],
        "'registered'",
        REGISTER_LIMIT,
    );
    assert_field(&s, "[0]", "'umts'");
    assert_field(
        &m.ok(&["--nas-get-system-selection-preference"]),
        "Mode preference",
        "'umts'",
    );
    let s = m.ok(&["--nas-get-signal-info"]);
    assert!(s.contains("WCDMA:") && !s.contains("LTE:"), "{s}");
    assert_field(
        &m.ok(&["--nas-get-rf-band-info"]),
        "Radio Interface",
        "'umts'",
    );
    assert_field(
        &m.ok(&["--nas-get-technology-preference"]),
        "Active",
        "'3gpp, cdma-or-wcdma'",
    );
}

/// Needs DMS UIM Verify PIN (merged from the DMS branch).
#[test]
fn unlocking_the_sim_registers_on_lte() {
    let m = Vmodem::start("nas-unlock", &[]);
    let s = m.ok(&["--nas-get-serving-system"]);
    assert_field(&s, "Registration state", "'not-registered'");
    m.fails(&["--nas-get-home-network"]);
    m.ok(&["--dms-uim-verify-pin=PIN,1234"]);
    let s = m.wait_for(
        &["--nas-get-serving-system"],
        "'registered'",
        REGISTER_LIMIT,
    );
    assert_field(&s, "[0]", "'lte'");
    assert_field(&s, "MCC", "'1'");
    assert_field(&s, "MNC", "'1'");
    assert_field(&s, "Description", "'vmodem'");
}

/// Needs DMS Set Operating Mode (merged from the DMS branch).
#[test]
fn low_power_loses_registration_and_online_regains_it() {
    let (m, _p) = pinless("nas-lpm");
    m.ok(&["--dms-set-operating-mode=low-power"]);
    let s = m.ok(&["--nas-get-serving-system"]);
    assert_field(&s, "Registration state", "'not-registered'");
    assert_field(&m.ok(&["--nas-get-system-info"]), "Status", "'none'");
    m.fails(&["--nas-get-signal-strength"]);
    m.fails(&["--nas-network-scan"]);
    m.ok(&["--dms-set-operating-mode=online"]);
    let s = m.wait_for(
        &["--nas-get-serving-system"],
        "'registered'",
        REGISTER_LIMIT,
    );
    assert_field(&s, "[0]", "'lte'");
}
