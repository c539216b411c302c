//! TEMPORARY: the one place that injects a fault into the engine, until
//! `Modem::inject` exists. At that merge this body becomes
//! `modem.inject(fault.clone(), now)` and the rest of this file goes.

use crate::fault::{Fault, FaultError};
use crate::time::Instant;
use crate::{Modem, SerialPort};

pub(super) fn inject(modem: &mut Modem, fault: &Fault, now: Instant) -> Result<(), FaultError> {
    match fault {
        // Through the engine's own reset path (as DMS Set Operating Mode
        // Reset takes it); the boot time is the engine's, not `down`.
        Fault::Reset { .. } => {
            if modem.is_booting() {
                return Err(FaultError::Unpowered);
            }
            modem.device_mut().reset_requested = true;
            modem.handle_serial(SerialPort::At, &[], now);
            Ok(())
        }
        other => Err(FaultError::Invalid(format!(
            "{} is not implemented by this engine yet",
            fault_name(other)
        ))),
    }
}

fn fault_name(f: &Fault) -> String {
    serde_json_free_name(f)
}

/// The `fault = "..."` name, without pulling a JSON encoder into core.
fn serde_json_free_name(f: &Fault) -> String {
    let dbg = format!("{f:?}");
    let head = dbg.split([' ', '(', '{']).next().unwrap_or_default();
    let mut out = String::new();
    for (i, c) in head.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}
