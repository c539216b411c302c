//! The real `mbimcli` (libmbim 1.28) against vmodem's MBIM function over a
//! pty: identity, SIM, radio, registration, packet service and a data
//! session, all from the default profile and the shared device model.

use crate::harness::{assert_field, tempdir, Vmodem};
use std::time::Duration;

const REGISTERED: Duration = Duration::from_secs(10);

#[test]
fn device_caps_come_from_the_profile() {
    let v = Vmodem::start_mbim("mbim-caps", &[]);
    let out = v.mbim_ok(&["--query-device-caps"]);
    assert_field(&out, "Device type", "'embedded'");
    assert_field(&out, "Cellular class", "'gsm'");
    assert_field(&out, "Data class", "'gprs, edge, umts, hsdpa, hsupa, lte'");
    assert_field(&out, "Device ID", "'001245000004705'");
    assert_field(&out, "Firmware info", "'SWI9X15C_05.05.58.00'");
    assert_field(&out, "Hardware info", "'10001'");
}

#[test]
fn pin_over_mbim_with_a_wrong_try_then_the_right_one() {
    let v = Vmodem::start_mbim("mbim-pin", &[]);
    let out = v.mbim_ok(&["--query-subscriber-ready-status"]);
    assert_field(&out, "Ready state", "'device-locked'");
    assert_field(&out, "SIM ICCID", "'89490200001234567892'");
    let out = v.mbim_ok(&["--query-pin-state"]);
    assert_field(&out, "PIN state", "'locked'");
    assert_field(&out, "PIN type", "'pin1'");
    assert_field(&out, "Remaining attempts", "'3'");

    let out = v.mbim_fails(&["--enter-pin=0000"]);
    assert!(out.contains("Failure"), "{out}");
    let out = v.mbim_ok(&["--query-pin-state"]);
    assert_field(&out, "Remaining attempts", "'2'");

    let out = v.mbim_ok(&["--enter-pin=1234"]);
    assert!(out.contains("PIN operation successful"), "{out}");
    assert_field(&out, "PIN state", "'unlocked'");
    let out = v.mbim_ok(&["--query-subscriber-ready-status"]);
    assert_field(&out, "Ready state", "'initialized'");
    assert_field(&out, "Subscriber ID", "'001010123456789'");
    assert_field(&out, "Telephone numbers", "'+15555550123'");
}

#[test]
fn radio_registration_signal_and_packet_service() {
    let v = Vmodem::start_mbim("mbim-radio", &[]);
    v.mbim_ok(&["--enter-pin=1234"]);
    let out = v.mbim_ok(&["--query-radio-state"]);
    assert_field(&out, "Software radio state", "'on'");
    let out = v.mbim_wait_for(&["--query-registration-state"], "'home'", REGISTERED);
    assert_field(&out, "Register mode", "'automatic'");
    assert_field(&out, "Available data classes", "'lte'");
    assert_field(&out, "Provider ID", "'00101'");
    assert_field(&out, "Provider name", "'vmodem'");

    // The profile's RSSI centre is -65 dBm, coded 24; it wanders by up to
    // 6 dB (3 steps) either way.
    let out = v.mbim_ok(&["--query-signal-state"]);
    let rssi: u32 = field(&out, "RSSI [0-31,99]").parse().unwrap();
    assert!((21..=27).contains(&rssi), "{out}");

    let out = v.mbim_ok(&["--query-packet-service-state"]);
    assert_field(&out, "Packet service state", "'attached'");
    assert_field(&out, "Uplink speed", "'50000000 bps'");
    assert_field(&out, "Downlink speed", "'100000000 bps'");

    let out = v.mbim_ok(&["--set-radio-state=off"]);
    assert_field(&out, "Software radio state", "'off'");
    let out = v.mbim_ok(&["--query-registration-state"]);
    assert_field(&out, "Register state", "'deregistered'");
    let out = v.mbim_ok(&["--query-packet-service-state"]);
    assert_field(&out, "Packet service state", "'detached'");
    let out = v.mbim_ok(&["--set-radio-state=on"]);
    assert_field(&out, "Software radio state", "'on'");
    v.mbim_wait_for(&["--query-registration-state"], "'home'", REGISTERED);
}

#[test]
fn connect_ip_configuration_and_disconnect() {
    let v = Vmodem::start_mbim("mbim-connect", &[]);
    // Before the PIN there is no data session to be had.
    let out = v.mbim_fails(&["--connect=access-string=internet"]);
    assert!(out.contains("PinRequired"), "{out}");
    v.mbim_ok(&["--enter-pin=1234"]);
    v.mbim_wait_for(&["--query-registration-state"], "'home'", REGISTERED);

    let out = v.mbim_fails(&["--connect=access-string=nope,ip-type=ipv4"]);
    assert!(out.contains("Failure"), "{out}");

    let out = v.mbim_ok(&["--connect=access-string=internet,ip-type=ipv4v6"]);
    assert!(out.contains("Successfully connected"), "{out}");
    assert_field(&out, "Activation state", "'activated'");
    assert_field(&out, "IP type", "'ipv4v6'");
    assert_field(&out, "Context type", "'internet'");

    let out = v.mbim_ok(&["--query-ip-configuration"]);
    assert_field(&out, "IP [0]", "'10.64.0.2/24'");
    assert_field(&out, "Gateway", "'10.64.0.1'");
    assert_field(&out, "DNS [0]", "'10.64.0.53'");
    assert_field(&out, "DNS [1]", "'10.64.0.54'");
    assert_field(&out, "MTU", "'1500'");
    assert_field(&out, "IP [0]", "'2001:db8:64::2/64'");
    assert_field(&out, "Gateway", "'2001:db8:64::1'");
    assert_field(&out, "DNS [0]", "'2001:db8:64::53'");

    let out = v.mbim_ok(&["--query-connection-state"]);
    assert_field(&out, "Activation state", "'activated'");
    // The data path's counters; a pty moves no data, so all are zero
    // (usbip-mbim.test.sh checks them after pings).
    let out = v.mbim_ok(&["--query-packet-statistics"]);
    assert_field(&out, "Octets (in)", "'0'");
    assert_field(&out, "Packets (out)", "'0'");
    assert_field(&out, "Discards (out)", "'0'");
    let out = v.mbim_ok(&["--disconnect"]);
    assert!(out.contains("Successfully disconnected"), "{out}");
    assert_field(&out, "Activation state", "'deactivated'");
    let out = v.mbim_fails(&["--query-ip-configuration"]);
    assert!(out.contains("ContextNotActivated"), "{out}");
}

#[test]
fn providers_pin_list_and_device_services() {
    let v = Vmodem::start_mbim("mbim-providers", &[]);
    let out = v.mbim_fails(&["--query-home-provider"]);
    assert!(out.contains("PinRequired"), "{out}");
    v.mbim_ok(&["--enter-pin=1234"]);
    let out = v.mbim_ok(&["--query-home-provider"]);
    assert_field(&out, "Provider ID", "'00101'");
    assert_field(&out, "Provider name", "'vmodem'");
    let out = v.mbim_ok(&["--query-preferred-providers"]);
    assert!(out.contains("No preferred providers given"), "{out}");
    let out = v.mbim_wait_for(&["--query-visible-providers"], "registered", REGISTERED);
    assert_field(&out, "State", "'home, visible, registered'");
    let out = v.mbim_ok(&["--query-pin-list"]);
    assert_field(&out, "Mode", "'enabled'");
    let out = v.mbim_ok(&["--query-device-services"]);
    assert_field(&out, "Service", "'basic-connect'");
    assert!(out.contains("ip-configuration (15)"), "{out}");
    assert!(out.contains("packet-statistics (20)"), "{out}");
    let out = v.mbim_ok(&["--register-automatic"]);
    assert!(out.contains("automatic registration"), "{out}");
}

/// The value between quotes on the line naming `key`.
fn field<'a>(text: &'a str, key: &str) -> &'a str {
    let line = text
        .lines()
        .find(|l| l.contains(key))
        .unwrap_or_else(|| panic!("no {key:?} in:\n{text}"));
    line.rsplit('\'').nth(1).unwrap_or("")
}

/// The bad cable in the MBIM composition: opening the function and reading
/// its caps costs no reset (the 2016 host stopped there); entering the PIN
/// over MBIM brings the LTE attach, and the one power model browns out as
/// it does under QMI.
#[test]
fn bad_cable_resets_only_once_the_radio_attaches() {
    let dir = tempdir("mbim-bad-cable-log");
    let events = dir.path().join("events.jsonl");
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scenarios/mbim-no-reset.toml"
    );
    let m = Vmodem::start_mbim(
        "mbim-bad-cable",
        &["--scenario", scenario, "--events", events.to_str().unwrap()],
    );
    m.mbim_ok(&["--query-device-caps"]);
    m.mbim_ok(&["--query-subscriber-ready-status"]);
    std::thread::sleep(Duration::from_secs(3));
    let log = std::fs::read_to_string(&events).unwrap();
    assert!(
        !log.contains("\"brownout\""),
        "no radio, no brownout:\n{log}"
    );
    m.mbim_ok(&["--enter-pin=1234"]);
    let t0 = std::time::Instant::now();
    let log = loop {
        let log = std::fs::read_to_string(&events).unwrap();
        if log.contains("\"cause\":\"brownout\"") {
            break log;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "no brownout after the PIN:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    // Registered on LTE first (the engine's own record: a busy machine may
    // run both in one step): the attach burst is what browns out.
    let records: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let first =
        |pred: &dyn Fn(&serde_json::Value) -> bool| records.iter().position(pred).expect(&log);
    let lte =
        first(&|v| v["event"] == "registration" && v["state"] == "registered" && v["rat"] == "lte");
    let brownout = first(&|v| v["event"] == "brownout");
    assert!(lte < brownout, "{log}");
}

/// Regression: garbage and a COMMAND header claiming more than ever comes
/// used to hold the stream until 64 KiB more arrived: mbimcli's OPEN was
/// swallowed. The stalled transfer is abandoned after the idle time.
#[test]
fn garbage_and_a_stalled_command_do_not_stall_the_function() {
    use std::io::Write;
    let v = Vmodem::start_mbim("mbim-resync", &[]);
    let mut pty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&v.link)
        .unwrap();
    let mut junk = b"\xff\x00line noise\x7e".to_vec();
    // COMMAND, 1000 bytes, transaction 9, fragment 0 of 2: 20 bytes come.
    for word in [3u32, 1000, 9, 2, 0] {
        junk.extend(word.to_le_bytes());
    }
    pty.write_all(&junk).unwrap();
    drop(pty);
    let start = std::time::Instant::now();
    let out = v.mbim_ok(&["--query-device-caps"]);
    assert_field(&out, "Device ID", "'001245000004705'");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

/// Provisioned contexts are the stored profiles: context 1 is the shipped
/// `internet` one, and a context mbimcli sets is then listed with it.
#[test]
fn provisioned_contexts_set_and_listed() {
    let v = Vmodem::start_mbim("mbim-provisioned", &[]);
    let out = v.mbim_ok(&["--query-provisioned-contexts"]);
    assert!(out.contains("Provisioned contexts (1)"), "{out}");
    assert!(out.contains("Context ID 1:"), "{out}");
    assert_field(&out, "Access string", "'internet'");
    let out = v.mbim_ok(&[
        "--set-provisioned-contexts=context-id=3,context-type=internet,auth=pap,compression=none,username=u,password=p,access-string=iot.example,provider-id=00101",
    ]);
    assert!(out.contains("Provisioned contexts (2)"), "{out}");
    let out = v.mbim_ok(&["--query-provisioned-contexts"]);
    let third = out
        .split("Context ID 3:")
        .nth(1)
        .unwrap_or_else(|| panic!("{out}"));
    assert_field(third, "Access string", "'iot.example'");
    assert_field(third, "Username", "'u'");
    assert_field(third, "Auth protocol", "'pap'");
    let long = format!(
        "--set-provisioned-contexts=context-id=4,context-type=internet,auth=none,compression=none,username=,password=,access-string={},provider-id=",
        "a".repeat(101)
    );
    let out = v.mbim_fails(&[&long]);
    assert!(out.contains("InvalidAccessString"), "{out}");
}

/// `qmicli -d LINK --device-open-mbim ARGS`: libqmi's MBIM endpoint, which
/// tunnels every QMUX frame in MBIM's QMI service.
fn qmicli_over_mbim(v: &Vmodem, args: &[&str]) -> String {
    let out = std::process::Command::new("qmicli")
        .arg("-d")
        .arg(&v.link)
        .arg("--device-open-mbim")
        .args(args)
        .output()
        .expect("qmicli is not installed: run scripts/test.sh, which installs libqmi-utils");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "qmicli {args:?} over MBIM failed:\n{text}"
    );
    text
}

/// QMI over MBIM with the real qmicli: the IDs come from the same profile,
/// a PIN verified through the tunnel unlocks MBIM (one model), and the
/// service is listed where hosts look for it.
#[test]
fn qmicli_over_mbim_reads_the_ids_and_unlocks_for_mbim() {
    let v = Vmodem::start_mbim("mbim-qmi", &[]);
    let out = v.mbim_ok(&["--query-device-services"]);
    assert_field(&out, "Service", "'qmi'");
    assert!(out.contains("msg (1)"), "{out}");
    let out = qmicli_over_mbim(&v, &["--dms-get-ids"]);
    assert_field(&out, "IMEI", "'001245000004705'");
    let out = qmicli_over_mbim(&v, &["--uim-verify-pin=PIN1,1234"]);
    assert!(out.contains("PIN verified successfully"), "{out}");
    let out = v.mbim_ok(&["--query-subscriber-ready-status"]);
    assert_field(&out, "Ready state", "'initialized'");
    // SMS is served, so DEVICE_CAPS advertises it.
    let out = v.mbim_ok(&["--query-device-caps"]);
    assert_field(&out, "SMS caps", "'pdu-receive, pdu-send'");
    let out = v.mbim_ok(&["--query-device-services"]);
    assert_field(&out, "Service", "'sms'");
}
