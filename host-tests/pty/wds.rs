//! qmicli WDS actions against vmodem.

use crate::harness::*;
use std::time::Duration;

/// A modem with its SIM unlocked (through DMS) and registered on LTE.
fn registered(tag: &str) -> Vmodem {
    let m = Vmodem::start(tag, &[]);
    m.ok(&["--dms-uim-verify-pin=PIN,1234"]);
    m.wait_for(
        &["--wds-get-lte-attach-parameters"],
        "OTA attach performed: yes",
        Duration::from_secs(10),
    );
    m
}

/// The value quoted after `key` in qmicli output: `key: 'value'`.
fn quoted(text: &str, key: &str) -> String {
    let line = text
        .lines()
        .find(|l| l.contains(key))
        .unwrap_or_else(|| panic!("no {key:?} in:\n{text}"));
    line.split('\'').nth(1).unwrap().to_string()
}

/// Starts a call kept after qmicli exits; returns (handle, client ID).
fn start(m: &Vmodem, settings: &str) -> (String, String) {
    let out = m.ok(&[
        &format!("--wds-start-network={settings}"),
        "--client-no-release-cid",
    ]);
    assert!(out.contains("Network started"), "{out}");
    (quoted(&out, "Packet data handle"), quoted(&out, "CID"))
}

#[test]
fn ipv4_call_settings_and_stop() {
    let m = registered("wds-v4");
    let (handle, cid) = start(&m, "apn=internet,ip-type=4");
    let cid_arg = format!("--client-cid={cid}");
    let keep = "--client-no-release-cid";

    let s = m.ok(&["--wds-get-current-settings", &cid_arg, keep]);
    assert_field(&s, "IP Family", "IPv4");
    assert_field(&s, "IPv4 address", "10.64.0.2");
    assert_field(&s, "IPv4 subnet mask", "255.255.255.0");
    assert_field(&s, "IPv4 gateway address", "10.64.0.1");
    assert_field(&s, "IPv4 primary DNS", "10.64.0.53");
    assert_field(&s, "IPv4 secondary DNS", "10.64.0.54");
    assert_field(&s, "MTU", "1500");
    let s = m.ok(&["--wds-get-packet-service-status", &cid_arg, keep]);
    assert_field(&s, "Connection status", "'connected'");

    // Read-only queries from other clients see the call on the data port.
    let s = m.ok(&["--wds-get-data-bearer-technology"]);
    assert_field(&s, "Data bearer technology (current)", "'lte'");
    let s = m.ok(&["--wds-get-current-data-bearer-technology"]);
    assert_field(&s, "Network type", "'3gpp'");
    assert_field(&s, "Radio Access Technology", "'lte'");
    let s = m.ok(&["--wds-get-dormancy-status"]);
    assert_field(&s, "Dormancy Status", "'traffic-channel-active'");
    let s = m.ok(&["--wds-get-channel-rates"]);
    assert_field(&s, "Max RX rate", "100000000bps");
    let s = m.ok(&["--wds-get-packet-statistics"]);
    assert_field(&s, "TX bytes OK", "0");

    // Only the client that started the call may stop it.
    let stop = format!("--wds-stop-network={handle}");
    let s = m.fails(&[&stop]);
    assert!(s.contains("InvalidHandle"), "{s}");
    let s = m.ok(&[&stop, &cid_arg]);
    assert!(s.contains("Network stopped"), "{s}");
    let s = m.ok(&["--wds-get-packet-service-status"]);
    assert_field(&s, "Connection status", "'disconnected'");
    let s = m.fails(&["--wds-get-current-settings"]);
    assert!(s.contains("OutOfCall"), "{s}");
    let s = m.fails(&["--wds-get-data-bearer-technology"]);
    assert_field(&s, "Data bearer technology (last)", "'lte'");
}

#[test]
fn refused_calls_report_call_end_reasons() {
    let m = Vmodem::start("wds-refused", &[]);
    // SIM locked: not registered.
    let s = m.fails(&["--wds-start-network=apn=internet"]);
    assert!(s.contains("CallFailed"), "{s}");
    assert!(s.contains("verbose call end reason (3,2001)"), "{s}");
    m.ok(&["--dms-uim-verify-pin=PIN,1234"]);
    m.wait_for(
        &["--wds-get-lte-attach-parameters"],
        "OTA attach performed: yes",
        Duration::from_secs(10),
    );
    let s = m.fails(&["--wds-start-network=apn=nope,ip-type=4"]);
    assert!(s.contains("QMI protocol error (14): 'CallFailed'"), "{s}");
    assert!(s.contains("call end reason (1)"), "{s}");
    assert!(
        s.contains("verbose call end reason (6,27): [3gpp] unknown-apn"),
        "{s}"
    );
    let s = m.fails(&["--wds-start-network=3gpp-profile=9"]);
    assert!(s.contains("invalid-profile-id"), "{s}");
}

#[test]
fn ipv6_call() {
    let m = registered("wds-v6");
    let (_, cid) = start(&m, "apn=internet,ip-type=6");
    let s = m.ok(&[
        "--wds-get-current-settings",
        &format!("--client-cid={cid}"),
        "--client-no-release-cid",
    ]);
    assert_field(&s, "IP Family", "IPv6");
    assert_field(&s, "IPv6 address", "2001:db8:64::2/64");
    assert_field(&s, "IPv6 gateway address", "2001:db8:64::1/64");
    assert_field(&s, "IPv6 primary DNS", "2001:db8:64::53");
    // A new client asks about IPv4 by default: no IPv4 call is up.
    let s = m.fails(&["--wds-get-current-settings"]);
    assert!(s.contains("OutOfCall"), "{s}");
}

#[test]
fn releasing_the_client_ends_the_call() {
    let m = registered("wds-release");
    let s = m.ok(&["--wds-start-network=apn=internet"]);
    assert!(s.contains("Packet data handle"), "{s}");
    let s = m.ok(&["--wds-get-packet-service-status"]);
    assert_field(&s, "Connection status", "'disconnected'");
}

#[test]
fn profiles_and_defaults() {
    let m = registered("wds-profiles");
    let s = m.ok(&["--wds-get-profile-list=3gpp"]);
    assert!(s.contains("[1] 3gpp - internet"), "{s}");
    assert_field(&s, "APN", "'internet'");
    assert_field(&s, "PDP type", "'ipv4-or-ipv6'");
    let s = m.ok(&["--wds-get-default-profile-number=3gpp"]);
    assert_field(&s, "Default profile number", "'1'");
    let s = m.ok(&["--wds-get-default-settings=3gpp"]);
    assert_field(&s, "APN", "'internet'");
    let s = m.ok(&["--wds-get-autoconnect-settings"]);
    assert_field(&s, "Status", "'disabled'");
    let s = m.ok(&["--wds-get-lte-attach-parameters"]);
    assert_field(&s, "APN", "internet");
    assert_field(&s, "IP support type", "ipv4v6");
    let s = m.ok(&["--wds-get-max-lte-attach-pdn-num"]);
    assert_field(&s, "Maximum number of LTE attach PDN", "1");
    let s = m.ok(&["--wds-get-lte-attach-pdn-list"]);
    assert_field(&s, "Current list", "'1'");
    let s = m.ok(&["--wds-get-supported-messages"]);
    assert!(s.contains("0x0020") && s.contains("0x002D"), "{s}");

    let s =
        m.ok(&["--wds-create-profile=3gpp,name=work,apn=corp,pdp-type=IPV4,auth=CHAP,username=me"]);
    assert_field(&s, "Profile index", "'2'");
    m.ok(&["--wds-modify-profile=3gpp,2,apn=corp2"]);
    let s = m.ok(&["--wds-get-profile-list=3gpp"]);
    assert!(s.contains("[2] 3gpp - work"), "{s}");
    assert_field(&s, "APN", "'corp2'");
    assert_field(&s, "Auth", "'chap'");
    m.ok(&["--wds-delete-profile=3gpp,2"]);
    let s = m.fails(&["--wds-delete-profile=3gpp,2"]);
    assert!(s.contains("3gpp-context-not-defined"), "{s}");
    let s = m.fails(&["--wds-get-profile-list=3gpp2"]);
    assert!(s.contains("invalid-profile-type"), "{s}");
    // A 9x15 has no QMAP mux.
    let s = m.fails(&["--wds-bind-mux-data-port=mux-id=1,ep-type=hsusb,ep-iface-number=8"]);
    assert!(s.contains("InvalidQmiCommand"), "{s}");
}
