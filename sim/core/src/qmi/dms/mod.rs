//! DMS (service 2): identity, operating mode, SIM PIN through DMS, firmware
//! images and Sierra's vendor messages, as a 9x15 EM7305 answers them.
//!
//! Messages a 9x15 firmware does not know (boot image download mode,
//! software version, MAC address, stored image info, FCC authentication,
//! other vendors' messages...) are left out of [`SUPPORTED`], so the engine
//! answers them with InvalidQmiCommand as the real firmware does.

mod images;
mod info;
mod report;
mod sim;
#[cfg(test)]
mod tests;

use super::{Ctx, Indication, Reply, Req, Service};
use crate::model::{Device, DeviceEvent};
use crate::wire::{ProtocolError, ServiceId};
use report::Reporting;
use std::collections::BTreeMap;

pub const RESET: u16 = 0x0000;
pub const SET_EVENT_REPORT: u16 = 0x0001;
/// The indication shares the ID of the request that enables it.
pub const EVENT_REPORT: u16 = 0x0001;
pub const GET_CAPABILITIES: u16 = 0x0020;
pub const GET_MANUFACTURER: u16 = 0x0021;
pub const GET_MODEL: u16 = 0x0022;
pub const GET_REVISION: u16 = 0x0023;
pub const GET_MSISDN: u16 = 0x0024;
pub const GET_IDS: u16 = 0x0025;
pub const GET_POWER_STATE: u16 = 0x0026;
pub const UIM_SET_PIN_PROTECTION: u16 = 0x0027;
pub const UIM_VERIFY_PIN: u16 = 0x0028;
pub const UIM_UNBLOCK_PIN: u16 = 0x0029;
pub const UIM_CHANGE_PIN: u16 = 0x002A;
pub const UIM_GET_PIN_STATUS: u16 = 0x002B;
pub const GET_HARDWARE_REVISION: u16 = 0x002C;
pub const GET_OPERATING_MODE: u16 = 0x002D;
pub const SET_OPERATING_MODE: u16 = 0x002E;
pub const GET_TIME: u16 = 0x002F;
pub const GET_PRL_VERSION: u16 = 0x0030;
pub const GET_ACTIVATION_STATE: u16 = 0x0031;
pub const ACTIVATE_AUTOMATIC: u16 = 0x0032;
pub const ACTIVATE_MANUAL: u16 = 0x0033;
pub const GET_USER_LOCK_STATE: u16 = 0x0034;
pub const RESTORE_FACTORY_DEFAULTS: u16 = 0x003A;
pub const VALIDATE_SPC: u16 = 0x003B;
pub const UIM_GET_ICCID: u16 = 0x003C;
pub const UIM_GET_CK_STATUS: u16 = 0x0040;
pub const UIM_GET_IMSI: u16 = 0x0043;
pub const UIM_GET_STATE: u16 = 0x0044;
pub const GET_BAND_CAPABILITIES: u16 = 0x0045;
pub const GET_FACTORY_SKU: u16 = 0x0046;
pub const GET_FIRMWARE_PREFERENCE: u16 = 0x0047;
pub const SET_FIRMWARE_PREFERENCE: u16 = 0x0048;
pub const LIST_STORED_IMAGES: u16 = 0x0049;
pub const SWI_GET_CURRENT_FIRMWARE: u16 = 0x5556;
pub const SWI_GET_USB_COMPOSITION: u16 = 0x555B;
pub const SWI_SET_USB_COMPOSITION: u16 = 0x555C;

const SUPPORTED: &[u16] = &[
    RESET,
    SET_EVENT_REPORT,
    GET_CAPABILITIES,
    GET_MANUFACTURER,
    GET_MODEL,
    GET_REVISION,
    GET_MSISDN,
    GET_IDS,
    GET_POWER_STATE,
    UIM_SET_PIN_PROTECTION,
    UIM_VERIFY_PIN,
    UIM_UNBLOCK_PIN,
    UIM_CHANGE_PIN,
    UIM_GET_PIN_STATUS,
    GET_HARDWARE_REVISION,
    GET_OPERATING_MODE,
    SET_OPERATING_MODE,
    GET_TIME,
    GET_PRL_VERSION,
    GET_ACTIVATION_STATE,
    ACTIVATE_AUTOMATIC,
    ACTIVATE_MANUAL,
    GET_USER_LOCK_STATE,
    RESTORE_FACTORY_DEFAULTS,
    VALIDATE_SPC,
    UIM_GET_ICCID,
    UIM_GET_CK_STATUS,
    UIM_GET_IMSI,
    UIM_GET_STATE,
    GET_BAND_CAPABILITIES,
    GET_FACTORY_SKU,
    GET_FIRMWARE_PREFERENCE,
    SET_FIRMWARE_PREFERENCE,
    LIST_STORED_IMAGES,
    SWI_GET_CURRENT_FIRMWARE,
    SWI_GET_USB_COMPOSITION,
    SWI_SET_USB_COMPOSITION,
];

/// QMI errors without a named constant in [`ProtocolError`].
const DEVICE_UNSUPPORTED: ProtocolError = ProtocolError(25);
const AUTHENTICATION_FAILED: ProtocolError = ProtocolError(34);

/// DMS state per client: which Event Report items each one asked for.
#[derive(Debug, Default)]
pub struct Dms {
    reporting: BTreeMap<u8, Reporting>,
}

impl Service for Dms {
    fn id(&self) -> ServiceId {
        ServiceId::Dms
    }
    fn version(&self) -> (u16, u16) {
        (1, 14)
    }
    fn supported(&self) -> &'static [u16] {
        SUPPORTED
    }
    fn handle(&mut self, req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
        match req.id() {
            RESET => {
                // Resets this client's DMS state, not the modem.
                self.reporting.remove(&ctx.client);
                Ok(Default::default())
            }
            SET_EVENT_REPORT => self.set_event_report(req, ctx.client),
            GET_OPERATING_MODE => info::get_operating_mode(ctx),
            SET_OPERATING_MODE => info::set_operating_mode(req, ctx),
            UIM_SET_PIN_PROTECTION
            | UIM_VERIFY_PIN
            | UIM_UNBLOCK_PIN
            | UIM_CHANGE_PIN
            | UIM_GET_PIN_STATUS
            | UIM_GET_ICCID
            | UIM_GET_IMSI
            | UIM_GET_STATE
            | UIM_GET_CK_STATUS
            | GET_MSISDN => sim::handle(req, ctx),
            GET_FIRMWARE_PREFERENCE | SET_FIRMWARE_PREFERENCE | LIST_STORED_IMAGES => {
                images::handle(req, ctx)
            }
            _ => info::handle(req, ctx),
        }
    }
    fn client_removed(&mut self, client: u8) {
        self.reporting.remove(&client);
    }
    fn indications(&mut self, ev: &DeviceEvent, dev: &Device, out: &mut Vec<Indication>) {
        self.event_report(ev, dev, out);
    }
}
