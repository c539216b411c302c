//! Fuzz target bodies: every decoder that takes bytes from the host.
//!
//! Each function takes one input and panics only when the code under test
//! breaks a promise (a panic inside it, a round trip that does not hold, a
//! queue past its bound). The cargo-fuzz targets in `fuzz/` call these,
//! and `tests/corpus_replay.rs` replays every file of `fuzz/corpus/NAME/`
//! through [`TARGETS`], so a crash once found stays fixed in plain
//! `cargo test`. Adding a target: a function here, a row in [`TARGETS`], a
//! three-line file in `fuzz/fuzz_targets/` and its `[[bin]]` entry.

mod dhcp;
mod faults;
mod invariants;
mod nmea;
mod ntb;
mod sequence;
mod sms;
mod suite;
mod wire;

pub use dhcp::dhcp;
pub use faults::{control_request, download_port, mbim, scenario_toml};
pub use invariants::check_invariants;
pub use nmea::nmea;
pub use ntb::ntb;
pub use sequence::{apply, drain, modem_sequence, Port, Step};
pub use sms::sms_pdu;
pub use suite::suite_toml;
pub use wire::{at_parse, hdlc, qcdm, qmi_message, qmux, tlv, usb_control};

use crate::model::{IpFamily, Profile};
use crate::time::Instant;
use crate::{Modem, SerialPort};
use std::sync::OnceLock;

/// A target body: one input, a panic when a promise is broken.
pub type Target = fn(&[u8]);

/// Every target by the name of its corpus directory.
pub const TARGETS: &[(&str, Target)] = &[
    ("scenario_toml", scenario_toml),
    ("suite_toml", suite_toml),
    ("control_request", control_request),
    ("mbim", mbim),
    ("ntb", ntb),
    ("download_port", download_port),
    ("qmux", qmux),
    ("qmi_message", qmi_message),
    ("tlv", tlv),
    ("hdlc", hdlc),
    ("qcdm", qcdm),
    ("at_parse", at_parse),
    ("at_port", at_port),
    ("usb_control", usb_control),
    ("profile_toml", profile_toml),
    ("data_path", data_path),
    ("dhcp", dhcp),
    ("modem_sequence", modem_sequence),
    ("sms_pdu", sms_pdu),
    ("nmea", nmea),
];

/// The built-in profile, parsed once (TOML parsing would dominate a run).
pub(crate) fn default_profile() -> &'static Profile {
    static P: OnceLock<Profile> = OnceLock::new();
    P.get_or_init(Profile::default)
}

/// The whole AT interpreter behind `Modem::handle_serial`. The input is
/// fed in two writes split at its first byte's value, as a host's writes
/// split a line anywhere.
pub fn at_port(data: &[u8]) {
    let mut m = Modem::new(default_profile().clone(), 0, Instant::ZERO);
    let split = data.first().map_or(0, |&b| b as usize).min(data.len());
    let t = Instant::from_millis(10);
    m.handle_serial(SerialPort::At, &data[..split], t);
    check_invariants(&m);
    m.handle_serial(SerialPort::At, &data[split..], t);
    check_invariants(&m);
    while m.poll_serial(SerialPort::At).is_some() {}
}

/// A profile file: it loads or is refused with an error, and a profile that
/// loads runs a modem, enumerates and answers on every port.
pub fn profile_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(p) = Profile::from_toml(text, "fuzz") else {
        return;
    };
    let _ = crate::usb::UsbPersonality::application_qmi(&p);
    let mut m = Modem::new(p, 0, Instant::ZERO);
    let t = Instant::from_millis(60_000);
    m.handle_timeout(t);
    m.handle_serial(SerialPort::At, b"ATI;+CPIN?;+COPS?;+CSQ;!GSTATUS?\r", t);
    m.handle_serial(SerialPort::Dm, &crate::wire::hdlc::encode(&[0x00]), t);
    m.handle_serial(SerialPort::Dm, &crate::wire::hdlc::encode(&[0x7c]), t);
    m.set_serial_open(SerialPort::Nmea, true, t);
    m.handle_timeout(Instant::from_millis(62_000));
    check_invariants(&m);
}

/// The simulated network behind a connected bearer. The first byte picks
/// the framing (bit 0: raw IP or 802.3) and the family (bit 1); the rest
/// is one transfer on the bulk OUT endpoint.
pub fn data_path(data: &[u8]) {
    let Some((&mode, packet)) = data.split_first() else {
        return;
    };
    let mut m = connected_modem(mode & 2 != 0);
    m.device_mut().data_format.link_layer = if mode & 1 != 0 { 2 } else { 1 };
    let t = Instant::from_millis(10_000);
    m.handle_data(packet, t);
    check_invariants(&m);
    while let Some(reply) = m.poll_data() {
        assert!(
            !reply.is_empty(),
            "the network never sends an empty transfer"
        );
    }
}

/// A modem registered with one bearer up, as after `qmicli --wds-start-network`.
pub fn connected_modem(v6: bool) -> Modem {
    let p = default_profile();
    let mut m = Modem::new(p.clone(), 0, Instant::ZERO);
    let pin = p.sim.pin.clone();
    let _ = m
        .device_mut()
        .with_sim(Instant::ZERO, |s| s.verify_pin(&pin));
    m.handle_timeout(Instant::from_millis(5_000));
    let family = if v6 { IpFamily::V6 } else { IpFamily::V4 };
    if let Some(apn) = p.network.apn.first() {
        let _ = m.device_mut().start_network(&apn.name.clone(), family);
    }
    m
}
