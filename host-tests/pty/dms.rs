//! qmicli DMS actions against vmodem.

use crate::harness::*;
use std::time::Duration;

/// The lines of qmicli's PIN status output that describe `pin` ("PIN1"
/// or "PIN2").
fn pin_block(text: &str, pin: &str) -> String {
    text.lines()
        .skip_while(|l| !l.ends_with(&format!("{pin}:")))
        .skip(1)
        .take_while(|l| l.starts_with('\t'))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn identity_matches_the_profile() {
    let m = Vmodem::start("dms-ids", &[]);
    let ids = m.ok(&["--dms-get-ids"]);
    assert_field(&ids, "IMEI", "'001245000004705'");
    assert_field(&ids, "ESN", "'0'");
    assert_field(&ids, "MEID", "'unknown'");
    assert_field(&ids, "IMEI SV", "'13'");
    assert_field(
        &m.ok(&["--dms-get-manufacturer"]),
        "Manufacturer",
        "'Sierra Wireless, Incorporated'",
    );
    assert_field(&m.ok(&["--dms-get-model"]), "Model", "'EM7305'");
    assert_field(
        &m.ok(&["--dms-get-revision"]),
        "Revision",
        "'SWI9X15C_05.05.58.00 r27038 carmd-fwbuild1 2015/03/04 21:30:23'",
    );
    assert_field(
        &m.ok(&["--dms-get-hardware-revision"]),
        "Revision",
        "'10001'",
    );
    assert_field(&m.ok(&["--dms-get-factory-sku"]), "SKU", "'1102076'");
    let fw = m.ok(&["--dms-swi-get-current-firmware"]);
    assert_field(&fw, "Model", "EM7305");
    assert_field(&fw, "Boot version", "SWI9X15C_05.05.58.00");
    assert_field(&fw, "AMSS version", "SWI9X15C_05.05.58.00");
    assert_field(&fw, "SKU ID", "1102076");
    assert_field(&fw, "Carrier ID", "1");
    assert_field(&fw, "Config version", "005.025_002");
}

#[test]
fn capabilities_and_device_state() {
    let m = Vmodem::start("dms-caps", &[]);
    let caps = m.ok(&["--dms-get-capabilities"]);
    assert_field(&caps, "Networks", "'gsm, umts, lte'");
    assert_field(&caps, "Data Service", "'simultaneous-cs-ps'");
    assert_field(&caps, "SIM", "'supported'");
    let bands = m.ok(&["--dms-get-band-capabilities"]);
    assert_field(&bands, "LTE bands", "'1, 3, 7, 8, 20'");
    assert_field(&bands, "Bands", "wcdma-2100");
    let power = m.ok(&["--dms-get-power-state"]);
    assert_field(&power, "Power state", "'external-source'");
    assert_field(&m.ok(&["--dms-get-operating-mode"]), "Mode", "'online'");
    assert_field(&m.ok(&["--dms-get-time"]), "Time source", "'device'");
    assert_field(
        &m.ok(&["--dms-get-activation-state"]),
        "State",
        "'not-activated'",
    );
    assert_field(&m.ok(&["--dms-get-user-lock-state"]), "Enabled", "'no'");
    let supported = m.ok(&["--dms-get-supported-messages"]);
    assert_field(&supported, "0x", "0x555B");
    assert!(!supported.contains("0x004F"), "{supported}");
    m.ok(&["--dms-reset"]);
}

#[test]
fn firmware_images() {
    let m = Vmodem::start("dms-images", &[]);
    let list = m.ok(&["--dms-list-stored-images"]);
    assert_field(&list, "Type", "'modem'");
    assert_field(&list, "Type", "'pri'");
    assert_field(&list, "Build ID", "'05.05.58.00_?'");
    assert_field(&list, "Build ID", "'05.05.58.00_GENERIC'");
    assert_field(&list, "Unique ID", "'005.025_002'");
    assert_eq!(list.matches("[CURRENT]").count(), 2, "{list}");
    let pref = m.ok(&["--dms-get-firmware-preference"]);
    assert_field(&pref, "Image type", "'pri'");
    assert_field(&pref, "Build ID", "'05.05.58.00_GENERIC'");
}

#[test]
fn sim_through_dms() {
    let m = Vmodem::start("dms-pin", &[]);
    assert_field(
        &m.ok(&["--dms-uim-get-iccid"]),
        "ICCID",
        "'89490200001234567892'",
    );
    assert_field(
        &m.ok(&["--dms-uim-get-state"]),
        "State",
        "'locked-or-failed'",
    );
    assert_field(
        &m.ok(&["--dms-uim-get-ck-status=pn"]),
        "State",
        "'deactivated'",
    );
    // The IMSI and MSISDN are unreadable until PIN1 is verified.
    m.fails(&["--dms-uim-get-imsi"]);
    m.fails(&["--dms-get-msisdn"]);

    let st = m.ok(&["--dms-uim-get-pin-status"]);
    let pin1 = pin_block(&st, "PIN1");
    assert_field(&pin1, "Status", "enabled-not-verified");
    assert_field(&pin1, "Verify", "3");
    assert_field(&pin1, "Unblock", "10");
    assert_field(&pin_block(&st, "PIN2"), "Status", "not-initialized");

    let bad = m.fails(&["--dms-uim-verify-pin=PIN,0000"]);
    assert!(bad.contains("'IncorrectPin'"), "{bad}");
    assert_field(&bad, "Verify", "2");
    let pin1 = pin_block(&m.ok(&["--dms-uim-get-pin-status"]), "PIN1");
    assert_field(&pin1, "Verify", "2");
    assert_field(&pin1, "Unblock", "10");

    m.ok(&["--dms-uim-verify-pin=PIN,1234"]);
    let pin1 = pin_block(&m.ok(&["--dms-uim-get-pin-status"]), "PIN1");
    assert_field(&pin1, "Status", "enabled-verified");
    assert_field(&pin1, "Verify", "3");
    assert_field(
        &m.ok(&["--dms-uim-get-state"]),
        "State",
        "'initialization-completed'",
    );
    assert_field(&m.ok(&["--dms-uim-get-imsi"]), "IMSI", "'001010123456789'");
    assert_field(&m.ok(&["--dms-get-msisdn"]), "MSISDN", "'+15555550123'");

    // PIN1 protection off and on again, then a changed PIN.
    m.ok(&["--dms-uim-set-pin-protection=PIN,disable,1234"]);
    let pin1 = pin_block(&m.ok(&["--dms-uim-get-pin-status"]), "PIN1");
    assert_field(&pin1, "Status", "disabled");
    m.ok(&["--dms-uim-set-pin-protection=PIN,enable,1234"]);
    m.ok(&["--dms-uim-change-pin=PIN,1234,4321"]);
    let bad = m.fails(&["--dms-uim-verify-pin=PIN,1234"]);
    assert!(bad.contains("'IncorrectPin'"), "{bad}");
    m.ok(&["--dms-uim-verify-pin=PIN,4321"]);
}

#[test]
fn operating_mode_transitions() {
    let m = Vmodem::start("dms-mode", &[]);
    m.ok(&["--dms-set-operating-mode=low-power"]);
    assert_field(&m.ok(&["--dms-get-operating-mode"]), "Mode", "'low-power'");
    m.ok(&["--dms-set-operating-mode=online"]);
    assert_field(&m.ok(&["--dms-get-operating-mode"]), "Mode", "'online'");
    m.ok(&["--dms-set-operating-mode=offline"]);
    let e = m.fails(&["--dms-set-operating-mode=online"]);
    assert!(e.contains("'InvalidTransition'"), "{e}");
    let mode = m.ok(&["--dms-get-operating-mode"]);
    assert_field(&mode, "Mode", "'offline'");
    assert_field(&mode, "Reason", "'none'");
}

#[test]
fn usb_composition_applies_at_reset() {
    let m = Vmodem::start("dms-usb", &[]);
    let get = m.ok(&["--dms-swi-get-usb-composition"]);
    assert_field(&get, "[*] USB composition 6", "DM, NMEA, AT, QMI");
    assert_field(&get, "USB composition 8", "DM, NMEA, AT, MBIM");
    let e = m.fails(&["--dms-swi-set-usb-composition=13"]);
    assert!(e.contains("'InvalidArgument'"), "{e}");
    m.ok(&["--dms-swi-set-usb-composition=8"]);
    // Still 6 until the firmware restarts.
    assert_field(
        &m.ok(&["--dms-swi-get-usb-composition"]),
        "[*] USB composition 6",
        "QMI",
    );
    m.ok(&["--dms-set-operating-mode=offline"]);
    // The modem reboots right after answering: the client is gone.
    m.ok(&["--client-no-release-cid", "--dms-set-operating-mode=reset"]);
    std::thread::sleep(Duration::from_secs(2));
    // A pty follows the composition: its control function is MBIM now,
    // and QMI goes through MBIM's QMI service.
    let open = if gadget_mode() {
        "--device-open-qmi"
    } else {
        "--device-open-mbim"
    };
    let t0 = std::time::Instant::now();
    let qmi = |args: &[&str]| m.qmicli_opened(open, args);
    while !qmi(&["--dms-swi-get-usb-composition"])
        .text
        .contains("[*] USB composition 8")
    {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "composition 8 never ran"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_field(&qmi(&["--dms-get-operating-mode"]).text, "Mode", "'online'");
}

#[test]
fn what_an_em7305_refuses() {
    let m = Vmodem::start("dms-refused", &[]);
    for action in [
        "--dms-get-boot-image-download-mode",
        "--dms-get-software-version",
        "--dms-get-mac-address=wlan",
        "--dms-set-fcc-authentication",
        "--dms-set-firmware-id",
    ] {
        let e = m.fails(&[action]);
        assert!(e.contains("'InvalidQmiCommand'"), "{action}: {e}");
    }
    let e = m.fails(&["--dms-get-prl-version"]);
    assert!(e.contains("'NotProvisioned'"), "{e}");
    let e = m.fails(&["--dms-activate-automatic=123456"]);
    assert!(e.contains("'DeviceUnsupported'"), "{e}");
    let e = m.fails(&["--dms-restore-factory-defaults=123456"]);
    assert!(e.contains("'AuthenticationFailed'"), "{e}");
    m.fails(&["--dms-validate-service-programming-code=123456"]);
    m.ok(&["--dms-validate-service-programming-code=000000"]);
    m.ok(&["--dms-restore-factory-defaults=000000"]);
}
