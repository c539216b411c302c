//! Identity, capabilities, operating mode, time, the CDMA-only messages a
//! non-CDMA unit refuses, the service programming code, and Sierra's
//! firmware and USB composition messages.

use super::*;
use crate::model::{bands, OperatingMode};
use crate::qmi::{Failure, Tlvs};

/// QMI encodings of the EM7305's hardware (GSM/UMTS/LTE, no CDMA); the
/// rates and bands themselves are the model's (`model::hardware`).
mod hw {
    /// Data service capability: simultaneous CS and PS.
    pub const DATA_SERVICE: u8 = 3;
    /// SIM capability: supported.
    pub const SIM: u8 = 2;
    /// Radio interfaces: GSM, UMTS, LTE. No CDMA value, or ModemManager
    /// would add a CDMA interface.
    pub const RADIO_INTERFACES: [u8; 3] = [4, 5, 8];
    /// Power state: external source, no battery.
    pub const POWER_FLAGS: u8 = 0x01;
    pub const BATTERY_LEVEL: u8 = 0;
}

/// Service programming code of an unprovisioned unit.
pub const DEFAULT_SPC: &[u8; 6] = b"000000";

/// DMS time counts GPS time since 1980-01-06 in units of 1.25 ms (the
/// System Time TLV in ms), from the module clock the network set; the
/// source is the device's own clock (there is no CDMA network time).
const TIME_SOURCE_DEVICE: u16 = 0;

pub(super) fn get_capabilities(_req: &Req<'_>, _ctx: &mut Ctx<'_>) -> Reply {
    let mut r = Tlvs::new();
    r.with(0x01, |w| {
        let peak = crate::model::hardware::peak_rates();
        w.u32(peak.tx_bps)
            .u32(peak.rx_bps)
            .u8(hw::DATA_SERVICE)
            .u8(hw::SIM)
            .u8(hw::RADIO_INTERFACES.len() as u8)
            .bytes(&hw::RADIO_INTERFACES);
    });
    Ok(r)
}

pub(super) fn get_manufacturer(_req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let mut r = Tlvs::new();
    r.str(0x01, &ctx.dev.profile.identity.manufacturer);
    Ok(r)
}

pub(super) fn get_model(_req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let mut r = Tlvs::new();
    r.str(0x01, &ctx.dev.profile.identity.model);
    Ok(r)
}

pub(super) fn get_revision(_req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let mut r = Tlvs::new();
    r.str(0x01, &ctx.dev.profile.identity.revision);
    Ok(r)
}

pub(super) fn get_hardware_revision(_req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let mut r = Tlvs::new();
    r.str(0x01, &ctx.dev.profile.identity.hardware_revision);
    Ok(r)
}

pub(super) fn get_ids(_req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let id = &ctx.dev.profile.identity;
    let mut r = Tlvs::new();
    // Empty identities (no MEID on a non-CDMA unit) are left out.
    for (ty, v) in [
        (0x10, &id.esn),
        (0x11, &id.imei),
        (0x12, &id.meid),
        (0x13, &id.imei_sv),
    ] {
        if !v.is_empty() {
            r.str(ty, v);
        }
    }
    Ok(r)
}

pub(super) fn get_power_state(_req: &Req<'_>, _ctx: &mut Ctx<'_>) -> Reply {
    let mut r = Tlvs::new();
    r.push(0x01, [hw::POWER_FLAGS, hw::BATTERY_LEVEL]);
    Ok(r)
}

pub(super) fn get_time(_req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let mut r = Tlvs::new();
    let clock = ctx.dev.clock(ctx.now);
    r.with(0x01, |w| {
        w.bytes(&clock.qmi_count().to_le_bytes()[..6])
            .u16(TIME_SOURCE_DEVICE);
    });
    r.u64(0x10, clock.gps_millis());
    Ok(r)
}

pub(super) fn get_band_capabilities(_req: &Req<'_>, _ctx: &mut Ctx<'_>) -> Reply {
    let mut r = Tlvs::new();
    r.u64(0x01, bands::BAND_PREF)
        .u64(0x10, bands::LTE_BAND_PREF);
    Ok(r)
}

pub(super) fn get_factory_sku(_req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let mut r = Tlvs::new();
    r.str(0x01, &ctx.dev.profile.identity.sku);
    Ok(r)
}

pub(super) fn get_user_lock_state(_req: &Req<'_>, _ctx: &mut Ctx<'_>) -> Reply {
    // The user lock is never set on this unit (Set User Lock State is not
    // offered).
    let mut r = Tlvs::new();
    r.u8(0x01, 0);
    Ok(r)
}

/// CDMA-only: no PRL, no OTASP on a GSM/UMTS/LTE unit.
pub(super) fn get_prl_version(_req: &Req<'_>, _ctx: &mut Ctx<'_>) -> Reply {
    Err(ProtocolError::NotProvisioned.into())
}

pub(super) fn get_activation_state(_req: &Req<'_>, _ctx: &mut Ctx<'_>) -> Reply {
    let mut r = Tlvs::new();
    r.u16(0x01, 0); // not activated
    Ok(r)
}

pub(super) fn activate_automatic(req: &Req<'_>, _ctx: &mut Ctx<'_>) -> Reply {
    req.parse_need(0x01, |r| r.str_u8("activation code").map(drop))?;
    Err(DEVICE_UNSUPPORTED.into())
}

pub(super) fn activate_manual(req: &Req<'_>, _ctx: &mut Ctx<'_>) -> Reply {
    req.parse_need(0x01, |r| {
        r.take(6, "spc")?;
        r.u16("sid")?;
        r.str_u8("mdn")?;
        r.str_u8("min")?;
        Ok(())
    })?;
    Err(DEVICE_UNSUPPORTED.into())
}

pub(super) fn validate_spc(req: &Req<'_>, _ctx: &mut Ctx<'_>) -> Reply {
    check_spc(req)?;
    Ok(Tlvs::new())
}

pub(super) fn restore_factory_defaults(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    check_spc(req)?;
    // The settings the model keeps in NV go back to their defaults.
    ctx.dev
        .set_mode_pref(crate::model::mode_pref::DEFAULT, ctx.now);
    Ok(Tlvs::new())
}

pub(super) fn swi_get_current_firmware(_req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let id = &ctx.dev.profile.identity;
    let mut r = Tlvs::new();
    // Sierra firmware NUL-terminates these strings. Package ID
    // (0x14) is not reported by 9x15 firmware.
    for (ty, v) in [
        (0x10, &id.model),
        (0x11, &id.boot_version),
        (0x12, &id.amss_version),
        (0x13, &id.sku),
        (0x15, &id.carrier_id),
        (0x16, &id.pri_version),
        (0x17, &id.carrier),
        (0x18, &id.config_version),
    ] {
        let mut b = v.as_bytes().to_vec();
        b.push(0);
        r.push(ty, b);
    }
    Ok(r)
}

pub(super) fn swi_get_usb_composition(_req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let dev = &*ctx.dev;
    let mut r = Tlvs::new();
    let supported = &dev.profile.identity.usb_compositions_supported;
    r.u8(0x10, dev.usb_composition).with(0x11, |w| {
        w.u8(supported.len() as u8).bytes(supported);
    });
    Ok(r)
}

pub(super) fn swi_set_usb_composition(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let dev = &mut *ctx.dev;
    let c = req.parse_need(0x01, |r| r.u8("composition"))?;
    if !dev.profile.identity.usb_compositions_supported.contains(&c) {
        return Err(ProtocolError::InvalidArgument.into());
    }
    // Written to NV; the USB descriptors change at the next reset.
    dev.pending_usb_composition = Some(c);
    Ok(Tlvs::new())
}

/// The SPC is a fixed 6-character string; a wrong one is refused as real
/// firmware refuses it.
fn check_spc(req: &Req<'_>) -> Result<(), Failure> {
    let spc = req.parse_need(0x01, |r| r.take(6, "spc"))?;
    if spc == DEFAULT_SPC {
        Ok(())
    } else {
        Err(AUTHENTICATION_FAILED.into())
    }
}

pub(super) fn get_operating_mode(ctx: &mut Ctx<'_>) -> Reply {
    let mode = ctx.dev.mode;
    let mut r = Tlvs::new();
    r.u8(0x01, mode as u8);
    if mode == OperatingMode::Offline {
        // Offline because the host asked for it: no offline reason flags.
        r.u16(0x10, 0);
    }
    r.u8(0x11, 0); // not restricted by a hardware switch
    Ok(r)
}

pub(super) fn set_operating_mode(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let v = req.parse_need(0x01, |r| r.u8("mode"))?;
    let mode = OperatingMode::from_u8(v).ok_or(Failure::new(ProtocolError::InvalidArgument))?;
    ctx.dev
        .set_operating_mode(mode, ctx.now)
        .map_err(|_| Failure::new(ProtocolError::InvalidTransition))?;
    Ok(Tlvs::new())
}
