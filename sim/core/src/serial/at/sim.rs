//! SIM PIN over AT: +CPIN, +CLCK "SC", +CPWD "SC" and Sierra's +CPINC
//! retry counters, all through `Device::with_sim` so QMI sees the result.

use super::parse::{Arg, Kind};
use super::{AtError, Cme, Cx, Outcome};
use crate::model::{Device, PinError, SimState};

/// PIN2 and PUK2 counters, as DMS reports them (PIN2 is not modelled).
const PIN2_RETRIES: u8 = 3;
const PUK2_RETRIES: u8 = 10;

/// Facilities +CLCK knows. Only SC (the SIM PIN) is backed by the model;
/// the others read as not active, as DMS reports the CK facilities.
const FACILITIES: [&str; 7] = ["SC", "FD", "PN", "PU", "PP", "PC", "PF"];

fn state_error(s: SimState) -> AtError {
    match s {
        SimState::Absent => Cme::SimNotInserted.into(),
        SimState::PinRequired => Cme::SimPinRequired.into(),
        SimState::PukRequired => Cme::SimPukRequired.into(),
        // Blocked for good: 27.007 has no closer code than "SIM failure".
        SimState::Blocked => Cme::SimFailure.into(),
        SimState::Ready => Cme::NotAllowed.into(),
    }
}

fn pin_error(e: PinError) -> AtError {
    match e {
        // Wrong length or non-digits never reaches the card, but hosts see
        // the same error as for a wrong code.
        PinError::Incorrect { .. } | PinError::BadFormat => Cme::IncorrectPassword.into(),
        PinError::WrongState(s) => state_error(s),
    }
}

/// Commands that need an unlocked SIM fail with the lock's error.
pub(super) fn need_ready(dev: &Device) -> Result<(), AtError> {
    match dev.sim.state {
        SimState::Ready => Ok(()),
        s => Err(state_error(s)),
    }
}

fn text(a: &[Arg], i: usize) -> &str {
    a.get(i).map_or("", |a| a.text.as_str())
}

pub(super) fn handle(name: &str, kind: &Kind, cx: &mut Cx<'_>) -> Option<Outcome> {
    let r = match (name, kind) {
        ("+CPIN", Kind::Read) => match cx.dev.sim.state {
            SimState::Ready => Ok(vec!["+CPIN: READY".into()]),
            SimState::PinRequired => Ok(vec!["+CPIN: SIM PIN".into()]),
            SimState::PukRequired => Ok(vec!["+CPIN: SIM PUK".into()]),
            s => Err(state_error(s)),
        },
        ("+CPIN", Kind::Test) => Ok(vec![]),
        ("+CPIN", Kind::Set(a)) if (1..=2).contains(&a.len()) => {
            let (code, new) = (text(a, 0).to_string(), text(a, 1).to_string());
            let r = cx.dev.with_sim(cx.now, |s| match s.state {
                SimState::PukRequired if a.len() == 2 => s.unblock_pin(&code, &new),
                SimState::PukRequired => Err(PinError::WrongState(SimState::PukRequired)),
                // Nothing to enter: 27.007 calls this not allowed.
                SimState::Ready => Err(PinError::WrongState(SimState::Ready)),
                _ => s.verify_pin(&code),
            });
            r.map(|()| vec![]).map_err(pin_error)
        }
        ("+CPINC", Kind::Read | Kind::Exec) => {
            let s = &cx.dev.sim;
            Ok(vec![format!(
                "+CPINC: {},{},{},{}",
                s.pin_retries, PIN2_RETRIES, s.puk_retries, PUK2_RETRIES
            )])
        }
        ("+CPINC", Kind::Test) => Ok(vec![]),
        ("+CLCK", Kind::Test) => Ok(vec![format!(
            "+CLCK: ({})",
            FACILITIES.map(|f| format!("\"{f}\"")).join(",")
        )]),
        ("+CLCK", Kind::Set(a)) if (2..=4).contains(&a.len()) => clck(a, cx),
        ("+CPWD", Kind::Test) => Ok(vec!["+CPWD: (\"SC\",8)".into()]),
        ("+CPWD", Kind::Set(a)) if a.len() == 3 => {
            if !text(a, 0).eq_ignore_ascii_case("SC") {
                return Some(Err(Cme::NotSupported.into()));
            }
            let (old, new) = (text(a, 1).to_string(), text(a, 2).to_string());
            cx.dev
                .with_sim(cx.now, |s| s.change_pin(&old, &new))
                .map(|()| vec![])
                .map_err(pin_error)
        }
        ("+CPIN" | "+CPINC" | "+CLCK" | "+CPWD", _) => Err(Cme::IncorrectParameters.into()),
        _ => return None,
    };
    Some(r)
}

/// +CLCK=fac,mode[,passwd]: mode 0 unlock, 1 lock, 2 query.
fn clck(a: &[Arg], cx: &mut Cx<'_>) -> Outcome {
    let fac = text(a, 0).to_ascii_uppercase();
    if !FACILITIES.contains(&fac.as_str()) {
        return Err(Cme::IncorrectParameters.into());
    }
    let mode = a[1].num().ok_or(Cme::IncorrectParameters)?;
    if cx.dev.sim.state == SimState::Absent {
        return Err(Cme::SimNotInserted.into());
    }
    match (fac.as_str(), mode) {
        ("SC", 2) => Ok(vec![format!("+CLCK: {}", cx.dev.sim.pin_enabled as u8)]),
        (_, 2) => Ok(vec!["+CLCK: 0".into()]),
        ("SC", 0 | 1) => {
            let code = text(a, 2).to_string();
            cx.dev
                .with_sim(cx.now, |s| s.set_pin_protection(mode == 1, &code))
                .map(|()| vec![])
                .map_err(pin_error)
        }
        (_, 0 | 1) => Err(Cme::NotSupported.into()),
        _ => Err(Cme::IncorrectParameters.into()),
    }
}
