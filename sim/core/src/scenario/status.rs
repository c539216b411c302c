//! What `vmodem ctl status` reports, read from the engine's accessors.

use super::state::DeviceState;
use crate::model::RegState;
use crate::Modem;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Status {
    /// Simulated milliseconds since start.
    pub t_ms: u64,
    /// Sierra USB composition in use (the personality).
    pub usb_composition: u8,
    /// "on-bus", or "off-bus" while the firmware reboots.
    pub usb: &'static str,
    /// Operating mode as the QMI DMS enumeration names it.
    pub radio: String,
    pub sim: String,
    /// "not-registered", "searching" or "registered".
    pub registration: &'static str,
    /// "lte" or "umts" while searching or registered.
    pub technology: Option<&'static str>,
    pub bearers: usize,
    /// Firmware resets seen since start.
    pub resets: u64,
    /// Module supply, once the engine models power.
    pub module_volts: Option<f64>,
    pub module_amps: Option<f64>,
}

impl Status {
    pub fn read(modem: &Modem, t_ms: u64, resets: u64) -> Status {
        let d = modem.device();
        let reg = &d.registration;
        Status {
            t_ms,
            usb_composition: d.usb_composition,
            usb: if modem.is_booting() {
                "off-bus"
            } else {
                "on-bus"
            },
            radio: kebab(&format!("{:?}", d.mode)),
            sim: kebab(&format!("{:?}", d.sim.state)),
            registration: match reg.state {
                RegState::Registered => "registered",
                RegState::Searching => "searching",
                _ => "not-registered",
            },
            technology: reg.rat.map(|t| match t {
                crate::model::Technology::Lte => "lte",
                crate::model::Technology::Umts => "umts",
            }),
            bearers: d.bearers.len(),
            resets,
            module_volts: None,
            module_amps: None,
        }
    }
}

impl super::Director {
    /// The engine's state now, for the control socket.
    pub fn status(&self, modem: &Modem, now: crate::time::Instant) -> Status {
        Status::read(modem, self.t_ms(now), self.resets())
    }
}

/// Counts resets from the state edges the director saw.
pub(super) fn is_reset(s: DeviceState) -> bool {
    s == DeviceState::Reset
}

/// "PinRequired" → "pin-required": the model's variant names, as JSON says them.
fn kebab(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}
