//! The foundation's acceptance story in one place: a locked EM7305 is
//! unlocked, registers, connects, and answers at least 25 distinct qmicli
//! actions with the values of its profile; offline/online changes what NAS
//! reports.

use crate::harness::*;
use std::collections::BTreeSet;
use std::time::Duration;
use vmodem_core::model::Profile;

/// Runs an action that must succeed and show `expect`; records its flag.
fn check(m: &Vmodem, seen: &mut BTreeSet<String>, args: &[&str], expect: &str) -> String {
    let out = m.ok(args);
    assert!(
        out.contains(expect),
        "qmicli {args:?} should show {expect:?}:\n{out}"
    );
    let flag = args[0].split('=').next().unwrap().to_string();
    seen.insert(flag);
    out
}

/// The value of `key: 'value'` in qmicli output.
fn value_of(out: &str, key: &str) -> String {
    out.lines()
        .find_map(|l| l.trim().strip_prefix(&format!("{key}: '")))
        .and_then(|v| v.strip_suffix('\''))
        .unwrap_or_else(|| panic!("no {key} in:\n{out}"))
        .to_string()
}

#[test]
fn locked_to_connected_with_profile_values() {
    let p = Profile::default();
    let (id, sim, net, apn) = (&p.identity, &p.sim, &p.network, &p.network.apn[0]);
    let m = Vmodem::start("acceptance", &[]);
    let mut seen = BTreeSet::new();

    // Identity, before any PIN.
    check(&m, &mut seen, &["--dms-get-ids"], &id.imei);
    check(&m, &mut seen, &["--dms-get-manufacturer"], &id.manufacturer);
    check(&m, &mut seen, &["--dms-get-model"], &id.model);
    check(&m, &mut seen, &["--dms-get-revision"], &id.revision);
    check(
        &m,
        &mut seen,
        &["--dms-get-hardware-revision"],
        &id.hardware_revision,
    );
    check(&m, &mut seen, &["--dms-get-factory-sku"], &id.sku);
    check(
        &m,
        &mut seen,
        &["--dms-swi-get-current-firmware"],
        &id.amss_version,
    );
    // A pty has one configuration: the factory's dual composition 14 is
    // served, and reported, as its QMI half (docs/usb.md).
    let served = match id.usb_composition {
        13..=22 => 6,
        n => n,
    };
    let comp = format!("[*] USB composition {served}");
    check(&m, &mut seen, &["--dms-swi-get-usb-composition"], &comp);
    check(&m, &mut seen, &["--dms-get-capabilities"], "lte");
    check(&m, &mut seen, &["--dms-get-operating-mode"], "'online'");
    check(&m, &mut seen, &["--dms-uim-get-iccid"], &sim.iccid);
    check(
        &m,
        &mut seen,
        &["--uim-get-card-status"],
        "enabled-not-verified",
    );

    // A wrong PIN fails and costs a try, through both services.
    let bad = m.fails(&["--uim-verify-pin=PIN1,0000"]);
    assert!(bad.contains("IncorrectPin"), "{bad}");
    let left = sim.pin_retries - 1;
    check(
        &m,
        &mut seen,
        &["--dms-uim-get-pin-status"],
        &format!("Verify: {left}"),
    );
    let bad = m.fails(&["--dms-uim-verify-pin=PIN,9999"]);
    assert!(bad.contains("IncorrectPin"), "{bad}");
    let card = m.ok(&["--uim-get-card-status"]);
    assert_field(&card, "PIN1 retries", &format!("'{}'", left - 1));

    // The right PIN unlocks (for QMI as a whole) and resets the counter.
    check(
        &m,
        &mut seen,
        &["--uim-verify-pin", &format!("PIN1,{}", sim.pin)],
        "PIN verified",
    );
    let card = m.ok(&["--uim-get-card-status"]);
    assert_field(&card, "PIN1 state", "enabled-verified");
    assert_field(&card, "PIN1 retries", &format!("'{}'", sim.pin_retries));
    check(&m, &mut seen, &["--dms-uim-get-imsi"], &sim.imsi);

    // Registration follows after the profile's delay.
    let serving = m.wait_for(
        &["--nas-get-serving-system"],
        "'registered'",
        Duration::from_secs(10),
    );
    assert!(serving.contains("'lte'"), "{serving}");
    assert_field(&serving, "Description", &net.operator_name);
    seen.insert("--nas-get-serving-system".into());
    check(&m, &mut seen, &["--nas-get-system-info"], "LTE service");
    check(
        &m,
        &mut seen,
        &["--nas-get-home-network"],
        &net.operator_name,
    );
    check(&m, &mut seen, &["--nas-get-signal-info"], "RSRP");
    check(
        &m,
        &mut seen,
        &["--nas-get-signal-strength"],
        "Network 'lte'",
    );
    check(
        &m,
        &mut seen,
        &["--nas-get-cell-location-info"],
        &net.lte_earfcn.to_string(),
    );
    check(
        &m,
        &mut seen,
        &["--nas-get-rf-band-info"],
        &format!("eutran-{}", net.lte_band),
    );
    check(
        &m,
        &mut seen,
        &["--nas-get-operator-name"],
        &net.operator_name,
    );
    check(
        &m,
        &mut seen,
        &["--nas-get-technology-preference"],
        "Active",
    );
    check(
        &m,
        &mut seen,
        &["--nas-get-system-selection-preference"],
        "lte",
    );
    check(
        &m,
        &mut seen,
        &["--uim-read-transparent=0x3F00,0x2FE2"],
        "Read result",
    );
    check(&m, &mut seen, &["--wda-get-data-format"], "802-3");
    check(
        &m,
        &mut seen,
        &["--wda-set-data-format=link-layer-protocol=raw-ip"],
        "raw-ip",
    );
    check(&m, &mut seen, &["--wds-get-profile-list=3gpp"], &apn.name);
    check(
        &m,
        &mut seen,
        &["--wds-get-default-settings=3gpp"],
        &apn.name,
    );
    check(&m, &mut seen, &["--wds-get-autoconnect-settings"], "Status");

    // Connect: a packet data handle and the simulated network's addresses.
    let started = check(
        &m,
        &mut seen,
        &[
            "--wds-start-network",
            &format!("apn={},ip-type=4", apn.name),
            "--client-no-release-cid",
        ],
        "Packet data handle",
    );
    let handle = value_of(&started, "Packet data handle");
    let cid = value_of(&started, "CID");
    let settings = check(
        &m,
        &mut seen,
        &[
            "--wds-get-current-settings",
            "--client-cid",
            &cid,
            "--client-no-release-cid",
        ],
        &apn.ipv4_address.to_string(),
    );
    assert_field(
        &settings,
        "IPv4 gateway address",
        &apn.ipv4_gateway.to_string(),
    );
    assert_field(&settings, "IPv4 primary DNS", &apn.ipv4_dns[0].to_string());
    assert_field(&settings, "MTU", &apn.mtu.to_string());
    let status = [
        "--wds-get-packet-service-status",
        "--client-cid",
        &cid,
        "--client-no-release-cid",
    ];
    check(&m, &mut seen, &status, "'connected'");
    check(
        &m,
        &mut seen,
        &[
            "--wds-get-data-bearer-technology",
            "--client-cid",
            &cid,
            "--client-no-release-cid",
        ],
        "lte",
    );

    // Disconnect by handle, then connect again for the offline check.
    let stop = format!("--wds-stop-network={handle}");
    let with_cid = ["--client-cid", &cid, "--client-no-release-cid"];
    check(
        &m,
        &mut seen,
        &[&[stop.as_str()][..], &with_cid].concat(),
        "Network stopped",
    );
    assert!(m.ok(&status).contains("'disconnected'"));
    let start = format!("--wds-start-network=apn={},ip-type=4", apn.name);
    m.ok(&[&[start.as_str()][..], &with_cid].concat());
    assert!(m.ok(&status).contains("'connected'"));

    assert!(
        seen.len() >= 25,
        "only {} distinct actions: {seen:?}",
        seen.len()
    );

    // Offline: NAS loses the network and the bearer drops; only a reset
    // leaves offline, as on Qualcomm firmware.
    check(
        &m,
        &mut seen,
        &["--dms-set-operating-mode=offline"],
        "Operating mode set",
    );
    let serving = m.ok(&["--nas-get-serving-system"]);
    assert_field(&serving, "Registration state", "'not-registered'");
    assert!(m.ok(&status).contains("'disconnected'"));
    let refused = m.fails(&["--dms-set-operating-mode=online"]);
    assert!(refused.contains("InvalidTransition"), "{refused}");

    // Low power and back: NAS follows the radio. (One modem at a time: over
    // USB there is one bus.)
    drop(m);
    let m = Vmodem::start("acceptance-lpm", &[]);
    m.unlock();
    m.wait_for(
        &["--nas-get-serving-system"],
        "'registered'",
        Duration::from_secs(10),
    );
    m.ok(&["--dms-set-operating-mode=low-power"]);
    assert_field(
        &m.ok(&["--nas-get-serving-system"]),
        "Registration state",
        "'not-registered'",
    );
    m.ok(&["--dms-set-operating-mode=online"]);
    m.wait_for(
        &["--nas-get-serving-system"],
        "'registered'",
        Duration::from_secs(10),
    );
}
