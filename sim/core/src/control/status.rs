//! What `vmodem ctl status` reports, read from the engine's accessors.

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
    /// "on-bus", or "off-bus" while the firmware reboots, has crashed or
    /// is disconnected.
    pub usb: &'static str,
    /// "application" (1199:9041) or "boot-loader" (1199:9040); absent
    /// while off the bus.
    pub personality: Option<crate::Personality>,
    /// Operating mode as the QMI DMS enumeration names it.
    pub radio: String,
    pub sim: String,
    /// "not-registered", "searching" or "registered".
    pub registration: &'static str,
    /// "lte" or "umts" while searching or registered.
    pub technology: Option<&'static str>,
    pub bearers: usize,
    /// Firmware resets since start, and the last one's cause.
    pub resets: u64,
    pub last_reset: Option<crate::ResetCause>,
    /// The module's supply: voltage at its input, current drawn, the load
    /// state and brownouts so far.
    pub module_volts: f64,
    pub module_amps: f64,
    pub load: crate::model::LoadState,
    pub brownouts: u64,
    /// Datagrams the host sent in an MBIM data session that is not
    /// activated, dropped.
    pub inactive_session_drops: u64,
}

impl Status {
    pub fn read(modem: &Modem, t_ms: u64) -> Status {
        let d = modem.device();
        let reg = &d.registration;
        let power = modem.power();
        let (resets, last_reset) = modem.resets();
        Status {
            t_ms,
            usb_composition: d.usb_composition,
            usb: match modem.personality() {
                Some(_) => "on-bus",
                None => "off-bus",
            },
            personality: modem.personality(),
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
            last_reset,
            module_volts: power.volts,
            module_amps: power.amps,
            load: power.load,
            brownouts: power.brownouts,
            inactive_session_drops: modem.data_stats().inactive_session,
        }
    }
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
