//! The SIM as DMS sees it: PIN1 through the legacy DMS UIM messages, ICCID,
//! IMSI, MSISDN, card state and ME personalisation (CK) status.

use super::*;
use crate::model::{PinError, Sim, SimState};
use crate::qmi::{Failure, Tlvs};
use crate::wire::tlv::Reader;

/// DMS UIM PIN ID of PIN1.
const PIN1: u8 = 1;

use crate::qmi::pin_status as status;

/// PIN2 is not in the model: it reads as not initialised with no tries, the
/// same as UIM Get Card Status reports it, so both paths agree. Operations
/// on PIN2 are refused with InvalidPinId.
const PIN2_STATUS: [u8; 3] = [status::NOT_INITIALIZED, 0, 0];

/// ME personalisation (CK) facilities the request may name: PN, PU, PP,
/// PC, PF. The EM7305 is not carrier-locked, so each reads deactivated;
/// the counters are the usual 3 verify and 10 unblock tries.
const CK_FACILITIES: core::ops::RangeInclusive<u8> = 0..=4;
const CK_STATUS: [u8; 3] = [0, 3, 10];

/// PIN1 as `status, verify_left, unblock_left`, or `None` without a card.
pub fn pin1_status(sim: &Sim) -> Option<[u8; 3]> {
    if sim.state == SimState::Absent {
        return None;
    }
    Some([status::pin1(sim), sim.pin_retries, sim.puk_retries])
}

/// DMS UIM state: 0 initialised, 1 locked or failed, 2 not present.
pub fn uim_state(sim: &Sim) -> u8 {
    match sim.state {
        SimState::Ready => 0,
        SimState::PinRequired | SimState::PukRequired | SimState::Blocked => 1,
        SimState::Absent => 2,
    }
}

/// Every SIM message needs a card: without one the UIM is uninitialised.
fn present(ctx: &Ctx<'_>) -> Result<(), Failure> {
    if ctx.dev.sim.state == SimState::Absent {
        Err(ProtocolError::UimUninitialized.into())
    } else {
        Ok(())
    }
}

pub(super) fn uim_get_pin_status(_req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    present(ctx)?;
    let mut r = Tlvs::new();
    if let Some(s) = pin1_status(&ctx.dev.sim) {
        r.push(0x11, s);
    }
    r.push(0x12, PIN2_STATUS);
    Ok(r)
}

pub(super) fn uim_verify_pin(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    present(ctx)?;
    let (id, pin) = req.parse_need(0x01, |r| Ok((r.u8("pin id")?, r.str_u8("pin")?)))?;
    pin1_only(id)?;
    let pin = code(pin)?;
    ctx.dev
        .with_sim(ctx.now, |s| s.verify_pin(pin))
        .map_err(|e| pin_failure(e, &ctx.dev.sim, false))?;
    Ok(Tlvs::new())
}

pub(super) fn uim_unblock_pin(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    present(ctx)?;
    let (id, puk, new) = req.parse_need(0x01, |r| {
        Ok((r.u8("pin id")?, r.str_u8("puk")?, r.str_u8("new pin")?))
    })?;
    pin1_only(id)?;
    let (puk, new) = (code(puk)?, code(new)?);
    ctx.dev
        .with_sim(ctx.now, |s| s.unblock_pin(puk, new))
        .map_err(|e| pin_failure(e, &ctx.dev.sim, true))?;
    Ok(Tlvs::new())
}

pub(super) fn uim_change_pin(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    present(ctx)?;
    let (id, old, new) = req.parse_need(0x01, |r| {
        Ok((r.u8("pin id")?, r.str_u8("old pin")?, r.str_u8("new pin")?))
    })?;
    pin1_only(id)?;
    let (old, new) = (code(old)?, code(new)?);
    ctx.dev
        .with_sim(ctx.now, |s| s.change_pin(old, new))
        .map_err(|e| pin_failure(e, &ctx.dev.sim, false))?;
    Ok(Tlvs::new())
}

pub(super) fn uim_set_pin_protection(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    present(ctx)?;
    let (id, enable, pin) = req.parse_need(0x01, |r: &mut Reader| {
        Ok((r.u8("pin id")?, r.u8("enabled")? != 0, r.str_u8("pin")?))
    })?;
    pin1_only(id)?;
    let pin = code(pin)?;
    ctx.dev
        .with_sim(ctx.now, |s| s.set_pin_protection(enable, pin))
        .map_err(|e| pin_failure(e, &ctx.dev.sim, false))?;
    Ok(Tlvs::new())
}

pub(super) fn uim_get_iccid(_req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    present(ctx)?;
    let mut r = Tlvs::new();
    r.str(0x01, &ctx.dev.profile.sim.iccid);
    Ok(r)
}

pub(super) fn uim_get_imsi(_req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    present(ctx)?;
    // The IMSI file is readable only once PIN1 is verified.
    ready(&ctx.dev.sim)?;
    let mut r = Tlvs::new();
    r.str(0x01, &ctx.dev.profile.sim.imsi);
    Ok(r)
}

pub(super) fn get_msisdn(_req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    present(ctx)?;
    ready(&ctx.dev.sim)?;
    let msisdn = &ctx.dev.profile.sim.msisdn;
    if msisdn.is_empty() {
        return Err(ProtocolError::NotProvisioned.into());
    }
    let mut r = Tlvs::new();
    r.str(0x01, msisdn);
    Ok(r)
}

pub(super) fn uim_get_state(_req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    present(ctx)?;
    let mut r = Tlvs::new();
    r.u8(0x01, uim_state(&ctx.dev.sim));
    Ok(r)
}

pub(super) fn uim_get_ck_status(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    present(ctx)?;
    let facility = req.parse_need(0x01, |r| r.u8("facility"))?;
    if !CK_FACILITIES.contains(&facility) {
        return Err(ProtocolError::InvalidArgument.into());
    }
    let mut r = Tlvs::new();
    r.push(0x01, CK_STATUS);
    Ok(r)
}

fn ready(sim: &Sim) -> Result<(), Failure> {
    if sim.is_ready() {
        Ok(())
    } else {
        Err(ProtocolError::UimUninitialized.into())
    }
}

fn pin1_only(id: u8) -> Result<(), Failure> {
    // PIN2 (2) is not in the model, so only PIN1 can be operated.
    if id == PIN1 {
        Ok(())
    } else {
        Err(ProtocolError::InvalidPinId.into())
    }
}

/// A PIN or PUK as text; the model checks digits and length.
fn code(b: &[u8]) -> Result<&str, Failure> {
    core::str::from_utf8(b).map_err(|_| Failure::new(ProtocolError::InvalidArgument))
}

/// The error a 9x15 gives for a refused PIN operation, with the retries
/// TLV (0x10) where the card reports counters. `puk` marks an unblock,
/// whose wrong code spends PUK tries instead of PIN tries.
fn pin_failure(e: PinError, sim: &Sim, puk: bool) -> Failure {
    let retries = |pin: u8, puk: u8| {
        let mut t = Tlvs::new();
        t.push(0x10, [pin, puk]);
        t
    };
    match e {
        PinError::Incorrect {
            pin_retries,
            puk_retries,
        } => {
            let err = match sim.state {
                SimState::Blocked => ProtocolError::PinAlwaysBlocked,
                SimState::PukRequired if !puk => ProtocolError::PinBlocked,
                _ => ProtocolError::IncorrectPin,
            };
            Failure::with_tlvs(err, retries(pin_retries, puk_retries))
        }
        PinError::WrongState(SimState::PukRequired) => Failure::with_tlvs(
            ProtocolError::PinBlocked,
            retries(sim.pin_retries, sim.puk_retries),
        ),
        PinError::WrongState(SimState::Blocked) => Failure::with_tlvs(
            ProtocolError::PinAlwaysBlocked,
            retries(sim.pin_retries, sim.puk_retries),
        ),
        PinError::WrongState(SimState::Absent) => ProtocolError::UimUninitialized.into(),
        // PIN disabled (nothing to verify) or PIN not blocked (nothing to
        // unblock).
        PinError::WrongState(SimState::Ready) => ProtocolError::NoEffect.into(),
        PinError::WrongState(SimState::PinRequired) if puk => ProtocolError::NoEffect.into(),
        // Changing or (de)activating PIN1 needs it verified first.
        PinError::WrongState(SimState::PinRequired) => ProtocolError::AccessDenied.into(),
        PinError::BadFormat => ProtocolError::InvalidArgument.into(),
    }
}
