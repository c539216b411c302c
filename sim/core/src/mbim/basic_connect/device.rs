//! DEVICE_CAPS, SUBSCRIBER_READY_STATUS, RADIO_STATE, PIN and PIN_LIST.

use super::super::values::{self, data_class, pin_op, pin_type, CELLULAR_CLASS_GSM};
use super::super::Done;
use super::Cmd;
use crate::model::{Device, OperatingMode, PinError, SimState};
use crate::time::Instant;
use crate::wire::mbim::ib::Writer;
use crate::wire::mbim::Status;

const DEVICE_TYPE_EMBEDDED: u32 = 1;
const VOICE_CLASS_NO_VOICE: u32 = 1;
const SIM_CLASS_REMOVABLE: u32 = 2;
/// Manual registration and a hardware radio switch (W_DISABLE#).
const CTRL_CAPS: u32 = 0b11;
/// Data sessions the firmware runs at once (one per PDN it can hold).
pub(super) const MAX_SESSIONS: u32 = 8;
const RADIO_ON: u32 = 1;
const RADIO_OFF: u32 = 0;

pub(super) fn caps(dev: &Device) -> Done {
    let id = &dev.profile.identity;
    let mut w = Writer::new();
    w.u32(DEVICE_TYPE_EMBEDDED)
        .u32(CELLULAR_CLASS_GSM)
        .u32(VOICE_CLASS_NO_VOICE)
        .u32(SIM_CLASS_REMOVABLE)
        .u32(data_class::EM7305)
        .u32(super::super::services::sms_caps(dev))
        .u32(CTRL_CAPS)
        .u32(MAX_SESSIONS)
        .string("")
        .string(&id.imei)
        .string(&firmware_info(&id.revision))
        .string(&limit(&id.hardware_revision));
    Done::ok(w.finish())
}

/// FirmwareInfo and HardwareInfo hold at most 30 characters (60 bytes).
fn limit(s: &str) -> String {
    s.chars().take(30).collect()
}

/// The firmware version without the build details that follow it in the
/// QMI/AT revision string, which would not fit.
fn firmware_info(revision: &str) -> String {
    limit(revision.split_whitespace().next().unwrap_or(""))
}

pub(super) fn subscriber_ready(dev: &Device) -> Done {
    let sim = &dev.profile.sim;
    let present = dev.sim.state != SimState::Absent;
    let ready = dev.sim.is_ready();
    // The IMSI and number are read once the card is unlocked; the ICCID
    // is readable from any present card.
    let mut w = Writer::new();
    w.u32(values::ready_state(dev.sim.state))
        .string(if ready { &sim.imsi } else { "" })
        .string(if present { &sim.iccid } else { "" })
        .u32(0);
    let numbers: Vec<&str> = if ready && !sim.msisdn.is_empty() {
        vec![&sim.msisdn]
    } else {
        vec![]
    };
    w.u32(numbers.len() as u32);
    for n in numbers {
        w.string(n);
    }
    Done::ok(w.finish())
}

pub(super) fn radio_info(dev: &Device) -> Vec<u8> {
    let sw = if dev.mode.radio_on() {
        RADIO_ON
    } else {
        RADIO_OFF
    };
    let mut w = Writer::new();
    w.u32(RADIO_ON).u32(sw);
    w.finish()
}

pub(super) fn radio_state(c: &Cmd<'_>, dev: &mut Device, now: Instant) -> Result<Done, Done> {
    if c.set {
        let mode = match c.u32(0)? {
            RADIO_ON => OperatingMode::Online,
            RADIO_OFF => OperatingMode::LowPower,
            _ => return Err(Status::INVALID_PARAMETERS.into()),
        };
        dev.set_operating_mode(mode, now)
            .map_err(|_| Done::fail(Status::FAILURE))?;
    }
    Ok(Done::ok(radio_info(dev)))
}

/// PIN info: which code the card waits for, and the tries left for it.
fn pin_info(dev: &Device) -> Vec<u8> {
    let s = &dev.sim;
    let (ty, locked, tries) = match s.state {
        SimState::PinRequired => (pin_type::PIN1, 1, s.pin_retries),
        SimState::PukRequired => (pin_type::PUK1, 1, s.puk_retries),
        _ => (pin_type::NONE, 0, 0),
    };
    let mut w = Writer::new();
    w.u32(ty).u32(locked).u32(tries as u32);
    w.finish()
}

fn sim_status(s: SimState) -> Option<Status> {
    match s {
        SimState::Absent => Some(Status::SIM_NOT_INSERTED),
        SimState::Blocked => Some(Status::BAD_SIM),
        _ => None,
    }
}

pub(super) fn pin(c: &Cmd<'_>, dev: &mut Device, now: Instant) -> Result<Done, Done> {
    if let Some(s) = sim_status(dev.sim.state) {
        return Err(s.into());
    }
    if !c.set {
        return Ok(Done::ok(pin_info(dev)));
    }
    let (ty, op) = (c.u32(0)?, c.u32(4)?);
    let (code, new) = (c.string(8)?, c.string(16)?);
    let r = match (ty, op) {
        (pin_type::PIN1, pin_op::ENTER) => dev.with_sim(now, |s| s.verify_pin(&code)),
        (pin_type::PUK1, pin_op::ENTER) => dev.with_sim(now, |s| s.unblock_pin(&code, &new)),
        (pin_type::PIN1, pin_op::ENABLE) => {
            dev.with_sim(now, |s| s.set_pin_protection(true, &code))
        }
        (pin_type::PIN1, pin_op::DISABLE) => {
            dev.with_sim(now, |s| s.set_pin_protection(false, &code))
        }
        (pin_type::PIN1, pin_op::CHANGE) => dev.with_sim(now, |s| s.change_pin(&code, &new)),
        (_, pin_op::ENTER..=pin_op::CHANGE) => return Err(Status::NO_DEVICE_SUPPORT.into()),
        _ => return Err(Status::INVALID_PARAMETERS.into()),
    };
    match r {
        Ok(()) => Ok(Done::ok(pin_info(dev))),
        // A wrong code: FAILURE, with the tries left for the host to show.
        Err(PinError::Incorrect { .. }) => Err(Done {
            status: Status::FAILURE,
            info: pin_info(dev),
        }),
        Err(PinError::BadFormat) => Err(Status::INVALID_PARAMETERS.into()),
        Err(PinError::WrongState(s)) => Err(match s {
            SimState::PinRequired | SimState::PukRequired => Status::PIN_REQUIRED,
            SimState::Ready => Status::PIN_DISABLED,
            s => sim_status(s).unwrap_or(Status::FAILURE),
        }
        .into()),
    }
}

pub(super) fn pin_list(dev: &Device) -> Done {
    const ENABLED: u32 = 1;
    const DISABLED: u32 = 2;
    const NUMERIC: u32 = 1;
    let mut w = Writer::new();
    let mode = if dev.sim.pin_enabled {
        ENABLED
    } else {
        DISABLED
    };
    // PIN1 is the only code the card enforces; the other nine kinds of
    // lock are not supported (all zeros).
    w.u32(mode).u32(NUMERIC).u32(4).u32(8);
    for _ in 0..9 {
        w.u32(0).u32(0).u32(0).u32(0);
    }
    Done::ok(w.finish())
}
