//! PIN1 operations: Set PIN Protection (0x0025), Verify (0x0026), Unblock
//! (0x0027) and Change (0x0028). The PIN state lives in the device model,
//! shared with DMS, so a PIN entered here is entered everywhere.

use super::session::resolve;
use crate::model::{PinError, SimState};
use crate::qmi::{Ctx, Failure, Reply, Req, Tlvs};
use crate::wire::ProtocolError;

/// QmiUimPinId of PIN1; the card has no PIN2, UPIN or hidden key to offer.
const PIN1: u8 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Protect,
    Verify,
    Unblock,
    Change,
}

impl Op {
    /// Set PIN Protection has no card result TLV; the others carry it in 0x13.
    fn has_card_result(self) -> bool {
        self != Op::Protect
    }
}

/// Codes as a UICC accepts them (TS 102 221 9.5.1): 4 to 8 digits.
fn well_formed(code: &str) -> bool {
    (4..=8).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit())
}

fn code(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn check_pin_id(id: u8) -> Result<(), Failure> {
    if id == PIN1 {
        Ok(())
    } else {
        Err(ProtocolError::InvalidPinId.into())
    }
}

/// The QMI error, retries (0x10) and status words (0x13) of a refusal.
fn failure(e: PinError, op: Op, puk_left: u8) -> Failure {
    let blocked_sw = [0x69, 0x83];
    let (error, retries, sw) = match e {
        PinError::Incorrect {
            pin_retries,
            puk_retries,
        } => {
            if op == Op::Unblock && puk_retries == 0 {
                (ProtocolError::PinAlwaysBlocked, Some([0, 0]), blocked_sw)
            } else if op == Op::Unblock {
                let sw = [0x63, 0xC0 | puk_retries.min(15)];
                (ProtocolError::IncorrectPin, Some([0, puk_retries]), sw)
            } else if pin_retries == 0 {
                // The attempt that used up the last try reports the block.
                (
                    ProtocolError::PinBlocked,
                    Some([0, puk_retries]),
                    blocked_sw,
                )
            } else {
                let sw = [0x63, 0xC0 | pin_retries.min(15)];
                (
                    ProtocolError::IncorrectPin,
                    Some([pin_retries, puk_retries]),
                    sw,
                )
            }
        }
        PinError::WrongState(SimState::Absent) => {
            return ProtocolError::UimUninitialized.into();
        }
        PinError::WrongState(SimState::Blocked) => {
            (ProtocolError::PinAlwaysBlocked, Some([0, 0]), blocked_sw)
        }
        PinError::WrongState(SimState::PukRequired) => {
            (ProtocolError::PinBlocked, Some([0, puk_left]), blocked_sw)
        }
        // Unblocking a PIN that is not blocked, or changing a disabled one.
        PinError::WrongState(SimState::Ready | SimState::PinRequired) => {
            return ProtocolError::NoEffect.into();
        }
        PinError::BadFormat => return ProtocolError::InvalidArgument.into(),
    };
    let mut t = Tlvs::new();
    if let Some(r) = retries {
        t.push(0x10, r);
    }
    if op.has_card_result() {
        t.push(0x13, sw);
    }
    Failure::with_tlvs(error, t)
}

fn success(op: Op) -> Reply {
    let mut r = Tlvs::new();
    if op.has_card_result() {
        r.push(0x13, [0x90, 0x00]);
    }
    Ok(r)
}

/// Runs `f` on the model's SIM; the model raises the SIM event that
/// becomes a Card Status indication.
fn run(
    ctx: &mut Ctx<'_>,
    op: Op,
    f: impl FnOnce(&mut crate::model::Sim) -> Result<(), PinError>,
) -> Reply {
    match ctx.dev.with_sim(ctx.now, f) {
        Ok(()) => success(op),
        Err(e) => Err(failure(e, op, ctx.dev.sim.puk_retries)),
    }
}

pub fn verify(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let (id, pin) = req.parse_need(0x02, |r| Ok((r.u8("pin id")?, r.str_u8("pin")?)))?;
    req.u32(0x12)?;
    resolve(req, &ctx.dev.sim)?;
    check_pin_id(id)?;
    let pin = code(pin);
    match run(ctx, Op::Verify, |s| s.verify_pin(&pin)) {
        // PIN1 disabled: there is nothing to verify.
        Err(f) if f.error == ProtocolError::NoEffect => success(Op::Verify),
        r => r,
    }
}

pub fn unblock(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let (id, puk, new) = req.parse_need(0x02, |r| {
        Ok((r.u8("pin id")?, r.str_u8("puk")?, r.str_u8("new pin")?))
    })?;
    req.u32(0x11)?;
    resolve(req, &ctx.dev.sim)?;
    check_pin_id(id)?;
    let (puk, new) = (code(puk), code(new));
    run(ctx, Op::Unblock, |s| s.unblock_pin(&puk, &new))
}

pub fn change(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let (id, old, new) = req.parse_need(0x02, |r| {
        Ok((r.u8("pin id")?, r.str_u8("old pin")?, r.str_u8("new pin")?))
    })?;
    req.u32(0x11)?;
    resolve(req, &ctx.dev.sim)?;
    check_pin_id(id)?;
    let (old, new) = (code(old), code(new));
    if !well_formed(&old) || !well_formed(&new) {
        return Err(ProtocolError::InvalidArgument.into());
    }
    run(ctx, Op::Change, |s| {
        // A card changes a PIN it has not verified yet: the old code is
        // checked (and counted) all the same.
        if s.state == SimState::PinRequired {
            s.verify_pin(&old)?;
        }
        s.change_pin(&old, &new)
    })
}

pub fn set_protection(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let (id, enable, pin) = req.parse_need(0x02, |r| {
        Ok((r.u8("pin id")?, r.u8("enabled")?, r.str_u8("pin")?))
    })?;
    req.u32(0x11)?;
    resolve(req, &ctx.dev.sim)?;
    check_pin_id(id)?;
    let enable = match enable {
        0 => false,
        1 => true,
        _ => return Err(ProtocolError::InvalidArgument.into()),
    };
    let pin = code(pin);
    if !well_formed(&pin) {
        return Err(ProtocolError::InvalidArgument.into());
    }
    let sim = &ctx.dev.sim;
    let already = match sim.state {
        SimState::PinRequired => enable,
        SimState::Ready => sim.pin_enabled == enable,
        _ => false,
    };
    if already {
        return Err(ProtocolError::NoEffect.into());
    }
    run(ctx, Op::Protect, |s| {
        // Disabling a PIN that is not verified yet checks it on the way.
        if s.state == SimState::PinRequired {
            s.verify_pin(&pin)?;
        }
        s.set_pin_protection(enable, &pin)
    })
}
