//! Get Configuration (0x003A) and Depersonalization (0x0029). The card
//! carries no personalization (SIM lock) of any kind.

use crate::model::SimState;
use crate::qmi::{Ctx, Reply, Req, Tlvs};
use crate::wire::ProtocolError;

/// QmiUimConfiguration bits.
const AUTOMATIC_SELECTION: u32 = 0x1;
const PERSONALIZATION_STATUS: u32 = 0x2;
const HALT_SUBSCRIPTION: u32 = 0x4;

pub fn get_configuration(req: &Req<'_>) -> Reply {
    let mask = req.u32(0x10)?.unwrap_or(!0);
    let mut r = Tlvs::new();
    if mask & AUTOMATIC_SELECTION != 0 {
        r.u8(0x10, 1);
    }
    if mask & PERSONALIZATION_STATUS != 0 {
        // No personalization feature is active.
        r.u8(0x11, 0);
    }
    if mask & HALT_SUBSCRIPTION != 0 {
        r.u8(0x12, 0);
    }
    Ok(r)
}

/// Highest QmiUimCardApplicationPersonalizationFeature (1x-ruim).
const LAST_FEATURE: u8 = 10;

pub fn depersonalization(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let (feature, operation, _key) = req.parse_need(0x01, |r| {
        Ok((
            r.u8("feature")?,
            r.u8("operation")?,
            r.str_u8("control key")?,
        ))
    })?;
    let slot = req.u8(0x10)?.unwrap_or(1);
    // A single-slot modem: slot 1 is the only one.
    if feature > LAST_FEATURE || operation > 1 || slot != 1 {
        return Err(ProtocolError::InvalidArgument.into());
    }
    if ctx.dev.sim.state == SimState::Absent {
        return Err(ProtocolError::UimUninitialized.into());
    }
    // Nothing to deactivate or unblock.
    Err(ProtocolError::NoEffect.into())
}
