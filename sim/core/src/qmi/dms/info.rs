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

/// DMS time counts in units of 1.25 ms from the module clock's epoch; the
/// source is the device's own clock (no CDMA network time).
const TIME_SOURCE_DEVICE: u16 = 0;

pub(super) fn handle(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let dev = &mut *ctx.dev;
    let id = &dev.profile.identity;
    let mut r = Tlvs::new();
    match req.id() {
        GET_CAPABILITIES => {
            r.with(0x01, |w| {
                let peak = crate::model::hardware::peak_rates();
                w.u32(peak.tx_bps)
                    .u32(peak.rx_bps)
                    .u8(hw::DATA_SERVICE)
                    .u8(hw::SIM)
                    .u8(hw::RADIO_INTERFACES.len() as u8)
                    .bytes(&hw::RADIO_INTERFACES);
            });
        }
        GET_MANUFACTURER => {
            r.str(0x01, &id.manufacturer);
        }
        GET_MODEL => {
            r.str(0x01, &id.model);
        }
        GET_REVISION => {
            r.str(0x01, &id.revision);
        }
        GET_HARDWARE_REVISION => {
            r.str(0x01, &id.hardware_revision);
        }
        GET_IDS => {
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
        }
        GET_POWER_STATE => {
            r.push(0x01, [hw::POWER_FLAGS, hw::BATTERY_LEVEL]);
        }
        GET_TIME => {
            let count = ctx.dev.clock(ctx.now).qmi_count();
            r.with(0x01, |w| {
                w.bytes(&count.to_le_bytes()[..6]).u16(TIME_SOURCE_DEVICE);
            });
        }
        GET_BAND_CAPABILITIES => {
            r.u64(0x01, bands::BAND_PREF)
                .u64(0x10, bands::LTE_BAND_PREF);
        }
        GET_FACTORY_SKU => {
            r.str(0x01, &id.sku);
        }
        GET_USER_LOCK_STATE => {
            // The user lock is never set on this unit (Set User Lock State
            // is not offered).
            r.u8(0x01, 0);
        }
        // CDMA-only: no PRL, no OTASP on a GSM/UMTS/LTE unit.
        GET_PRL_VERSION => return Err(ProtocolError::NotProvisioned.into()),
        GET_ACTIVATION_STATE => {
            r.u16(0x01, 0); // not activated
        }
        ACTIVATE_AUTOMATIC => {
            req.parse_need(0x01, |r| r.str_u8("activation code").map(drop))?;
            return Err(DEVICE_UNSUPPORTED.into());
        }
        ACTIVATE_MANUAL => {
            req.parse_need(0x01, |r| {
                r.take(6, "spc")?;
                r.u16("sid")?;
                r.str_u8("mdn")?;
                r.str_u8("min")?;
                Ok(())
            })?;
            return Err(DEVICE_UNSUPPORTED.into());
        }
        VALIDATE_SPC => check_spc(req)?,
        RESTORE_FACTORY_DEFAULTS => {
            check_spc(req)?;
            // The settings the model keeps in NV go back to their defaults.
            dev.set_mode_pref(crate::model::mode_pref::DEFAULT, ctx.now);
        }
        SWI_GET_CURRENT_FIRMWARE => {
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
        }
        SWI_GET_USB_COMPOSITION => {
            let supported = &id.usb_compositions_supported;
            r.u8(0x10, dev.usb_composition).with(0x11, |w| {
                w.u8(supported.len() as u8).bytes(supported);
            });
        }
        SWI_SET_USB_COMPOSITION => {
            let c = req.parse_need(0x01, |r| r.u8("composition"))?;
            if !id.usb_compositions_supported.contains(&c) {
                return Err(ProtocolError::InvalidArgument.into());
            }
            // Written to NV; the USB descriptors change at the next reset.
            dev.pending_usb_composition = Some(c);
        }
        _ => return Err(ProtocolError::InvalidQmiCommand.into()),
    }
    Ok(r)
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
