//! qmicli UIM actions against vmodem: card status, PIN1 through UIM, the
//! simulated card files, and the service-level actions.

use crate::harness::*;
use std::process::{Command, Stdio};
use std::time::Duration;
use vmodem_core::model::Profile;

/// A PIN1 line of `--uim-get-card-status` ("PIN1 state: 'X'" and its retries).
fn assert_pin1(status: &str, state: &str, pin: u8, puk: u8) {
    assert_field(status, "PIN1 state:", &format!("'{state}'"));
    assert_field(status, "PIN1 retries:", &format!("'{pin}'"));
    assert_field(status, "PUK1 retries:", &format!("'{puk}'"));
}

/// Swapped-nibble BCD, F padded, as qmicli prints raw bytes.
fn swapped_bcd(digits: &str, bytes: usize) -> String {
    let mut d: Vec<char> = digits.chars().collect();
    d.resize(bytes * 2, 'F');
    d.chunks(2)
        .map(|p| format!("{}{}", p[1], p[0]))
        .collect::<Vec<_>>()
        .join(":")
}

/// The hex bytes qmicli printed after "Read result:".
fn read_result(out: &str) -> Vec<u8> {
    let tail = out.split("Read result:").nth(1).expect("a read result");
    tail.lines()
        .skip(1)
        .take_while(|l| l.starts_with('\t'))
        .flat_map(|l| l.trim().split(':').map(str::to_string).collect::<Vec<_>>())
        .filter(|b| !b.is_empty())
        .map(|b| u8::from_str_radix(&b, 16).unwrap())
        .collect()
}

#[test]
fn card_status_of_a_locked_card() {
    let m = Vmodem::start("uim-status", &[]);
    let out = m.ok(&["--uim-get-card-status"]);
    assert_field(&out, "Primary GW:", "slot '1', application '1'");
    assert_field(&out, "Card state:", "'present'");
    assert_field(&out, "Application type:", "'usim (2)'");
    assert_field(&out, "Application state:", "'pin1-or-upin-pin-required'");
    assert_pin1(&out, "enabled-not-verified", 3, 10);
}

#[test]
fn wrong_then_right_pin() {
    let m = Vmodem::start("uim-verify", &[]);
    let out = m.fails(&["--uim-verify-pin=PIN1,0000"]);
    assert!(
        out.contains("QMI protocol error (12): 'IncorrectPin'"),
        "{out}"
    );
    assert_field(&out, "Verify:", "2");
    assert_field(&out, "Unblock:", "10");
    assert_pin1(
        &m.ok(&["--uim-get-card-status"]),
        "enabled-not-verified",
        2,
        10,
    );
    m.unlock();
    let out = m.ok(&["--uim-get-card-status"]);
    assert_field(&out, "Application state:", "'ready'");
    assert_pin1(&out, "enabled-verified", 3, 10);
}

#[test]
fn three_wrong_pins_then_the_puk() {
    let m = Vmodem::start("uim-puk", &[]);
    m.fails(&["--uim-verify-pin=PIN1,0000"]);
    m.fails(&["--uim-verify-pin=PIN1,0000"]);
    let out = m.fails(&["--uim-verify-pin=PIN1,0000"]);
    assert!(out.contains("'PinBlocked'"), "{out}");
    let out = m.ok(&["--uim-get-card-status"]);
    assert_field(&out, "Application state:", "'puk1-or-upin-puk-required'");
    assert_pin1(&out, "blocked", 0, 10);
    // The right PIN no longer helps; a wrong PUK costs a PUK try.
    assert!(m
        .fails(&["--uim-verify-pin=PIN1,1234"])
        .contains("'PinBlocked'"));
    let out = m.fails(&["--uim-unblock-pin=PIN1,87654321,4321"]);
    assert!(out.contains("'IncorrectPin'"), "{out}");
    assert_field(&out, "Unblock:", "9");
    let out = m.ok(&["--uim-unblock-pin=PIN1,12345678,4321"]);
    assert!(out.contains("PIN unblocked successfully"), "{out}");
    let out = m.ok(&["--uim-get-card-status"]);
    assert_field(&out, "Application state:", "'ready'");
    assert_pin1(&out, "enabled-verified", 3, 9);
    // The new PIN is the one that counts now.
    m.ok(&["--uim-change-pin=PIN1,4321,1234"]);
}

#[test]
fn change_pin_and_protection_round_trip() {
    let m = Vmodem::start("uim-change", &[]);
    m.unlock();
    assert!(m
        .ok(&["--uim-change-pin=PIN1,1234,5678"])
        .contains("PIN changed successfully"));
    let out = m.fails(&["--uim-set-pin-protection=PIN1,disable,1234"]);
    assert!(out.contains("'IncorrectPin'"), "{out}");
    assert_field(&out, "Verify:", "2");
    assert!(m
        .ok(&["--uim-set-pin-protection=PIN1,disable,5678"])
        .contains("PIN protection updated"));
    assert_pin1(&m.ok(&["--uim-get-card-status"]), "disabled", 3, 10);
    let out = m.fails(&["--uim-set-pin-protection=PIN1,disable,5678"]);
    assert!(out.contains("'NoEffect'"), "{out}");
    // With the PIN disabled, a verify has nothing to check.
    m.ok(&["--uim-verify-pin=PIN1,5678"]);
    m.ok(&["--uim-set-pin-protection=PIN1,enable,5678"]);
    assert_pin1(&m.ok(&["--uim-get-card-status"]), "enabled-verified", 3, 10);
    m.ok(&["--uim-change-pin=PIN1,5678,1234"]);
    assert!(m
        .fails(&["--uim-change-pin=PIN1,5678,1234"])
        .contains("'IncorrectPin'"));
}

#[test]
fn card_files_match_the_profile() {
    let p = Profile::default();
    let m = Vmodem::start("uim-files", &[]);
    let out = m.ok(&["--uim-read-transparent=0x3F00,0x2FE2"]);
    assert_field(&out, "SW1:", "'0x90'");
    assert!(out.contains(&swapped_bcd(&p.sim.iccid, 10)), "{out}");

    // EF_IMSI wants PIN1: 69 82 before the PIN, the IMSI after.
    let imsi = ["--uim-read-transparent=0x3F00,0x7FFF,0x6F07"];
    let out = m.fails(&imsi);
    assert!(out.contains("'AccessDenied'"), "{out}");
    assert_field(&out, "SW1:", "'0x69'");
    m.unlock();
    let raw = read_result(&m.ok(&imsi));
    // Low nibble first; drop the length byte and the parity nibble.
    let digits: String = raw
        .iter()
        .flat_map(|b| [b & 0xF, b >> 4])
        .skip(3)
        .take_while(|&n| n < 10)
        .map(|n| char::from(b'0' + n))
        .collect();
    assert_eq!(digits, p.sim.imsi);

    let raw = read_result(&m.ok(&["--uim-read-transparent=0x3F00,0x7FFF,0x6FAD"]));
    assert_eq!(raw[3] as usize, p.network.mnc.len());
    let raw = read_result(&m.ok(&["--uim-read-transparent=0x3F00,0x7FFF,0x6F46"]));
    assert_eq!(&raw[1..1 + p.sim.spn.len()], p.sim.spn.as_bytes());

    let out =
        m.ok(&["--uim-read-record=file=0x3F00-0x7FFF-0x6F40,record-number=1,record-length=0"]);
    let number = p.sim.msisdn.trim_start_matches('+');
    assert!(
        out.contains(&swapped_bcd(number, number.len().div_ceil(2))),
        "{out}"
    );
    assert!(m
        .fails(&["--uim-read-record=file=0x3F00-0x7FFF-0x6F40,record-number=2,record-length=0"])
        .contains("'0x83'"));

    let out = m.ok(&["--uim-get-file-attributes=0x3F00,0x2FE2"]);
    assert_field(&out, "File size:", "10");
    assert_field(&out, "File ID:", &0x2FE2.to_string());
    assert_field(&out, "File type:", "transparent");
    assert_field(&out, "Read security attributes:", "(always) none");
    let out = m.ok(&["--uim-get-file-attributes=0x3F00,0x7FFF,0x6F40"]);
    assert_field(&out, "File type:", "linear-fixed");
    assert_field(&out, "Read security attributes:", "(single) pin1");

    // No GID1 on this card: the status words of a missing file.
    let out = m.fails(&["--uim-read-transparent=0x3F00,0x7FFF,0x6F3E"]);
    assert!(out.contains("'SimFileNotFound'"), "{out}");
    assert_field(&out, "SW1:", "'0x6a'");
    assert_field(&out, "SW2:", "'0x82'");
}

/// Runs a qmicli monitor action for a moment, then stops it as Ctrl+C does.
fn monitor(m: &Vmodem, action: &str) -> String {
    let child = Command::new("qmicli")
        .arg("-d")
        .arg(&m.link)
        .args(["--device-open-qmi", action])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run qmicli");
    std::thread::sleep(Duration::from_millis(1500));
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let out = child.wait_with_output().unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn service_level_actions() {
    let m = Vmodem::start("uim-service", &[]);
    let out = m.ok(&["--uim-get-supported-messages"]);
    for id in ["0x0020", "0x0021", "0x0024", "0x0026", "0x002F", "0x003A"] {
        assert!(out.lines().any(|l| l.trim() == id), "{id} missing:\n{out}");
    }
    assert!(!out.contains("0x0047"), "{out}");
    let out = m.ok(&["--uim-get-configuration"]);
    assert!(
        out.contains("Personalization features: all disabled"),
        "{out}"
    );
    let out = m.fails(&["--uim-depersonalization=gw-network,deactivate,12345678"]);
    assert!(out.contains("'NoEffect'"), "{out}");
    assert!(m
        .ok(&["--uim-reset"])
        .contains("Successfully performed UIM service reset"));
    // Single slot: no slot messages.
    let out = m.fails(&["--uim-get-slot-status"]);
    assert!(out.contains("'InvalidQmiCommand'"), "{out}");
    // Refresh registration is accepted; the monitors wait until stopped.
    for action in [
        "--uim-monitor-refresh-all",
        "--uim-monitor-refresh-file=0x3F00,0x2FE2",
    ] {
        let out = monitor(&m, action);
        assert!(out.contains("cancelling the operation"), "{action}:\n{out}");
        assert!(!out.contains("error:"), "{action}:\n{out}");
    }
}
