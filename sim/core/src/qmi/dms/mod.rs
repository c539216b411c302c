//! DMS (service 2): identity, operating mode, SIM PIN through DMS, firmware
//! images and Sierra's vendor messages, as a 9x15 EM7305 answers them.
//!
//! Messages a 9x15 firmware does not know (boot image download mode,
//! software version, MAC address, stored image info, FCC authentication,
//! other vendors' messages...) are left out of [`MESSAGES`], so they get
//! InvalidQmiCommand as from the real firmware.

mod images;
mod info;
mod report;
mod sim;
#[cfg(test)]
mod tests;

use super::table::{self, msg, Handler, Message, MessageName};
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

/// What a 9x15 answers, one entry per request. Identity, capability and
/// vendor queries share `info::handle` (INFO), PIN and card queries
/// `sim::handle` (SIM), firmware images `images::handle` (IMAGES).
pub(crate) const MESSAGES: &[Message<Handler<Dms>>] = &[
    msg(RESET, "reset", |s, _, c| s.reset_client(c.client)),
    msg(SET_EVENT_REPORT, "set-event-report", |s, r, c| {
        s.set_event_report(r, c.client)
    }),
    msg(GET_CAPABILITIES, "get-capabilities", INFO),
    msg(GET_MANUFACTURER, "get-manufacturer", INFO),
    msg(GET_MODEL, "get-model", INFO),
    msg(GET_REVISION, "get-revision", INFO),
    msg(GET_MSISDN, "get-msisdn", SIM),
    msg(GET_IDS, "get-ids", INFO),
    msg(GET_POWER_STATE, "get-power-state", INFO),
    msg(UIM_SET_PIN_PROTECTION, "uim-set-pin-protection", SIM),
    msg(UIM_VERIFY_PIN, "uim-verify-pin", SIM),
    msg(UIM_UNBLOCK_PIN, "uim-unblock-pin", SIM),
    msg(UIM_CHANGE_PIN, "uim-change-pin", SIM),
    msg(UIM_GET_PIN_STATUS, "uim-get-pin-status", SIM),
    msg(GET_HARDWARE_REVISION, "get-hardware-revision", INFO),
    msg(GET_OPERATING_MODE, "get-operating-mode", |_, _, c| {
        info::get_operating_mode(c)
    }),
    msg(SET_OPERATING_MODE, "set-operating-mode", |_, r, c| {
        info::set_operating_mode(r, c)
    }),
    msg(GET_TIME, "get-time", INFO),
    msg(GET_PRL_VERSION, "get-prl-version", INFO),
    msg(GET_ACTIVATION_STATE, "get-activation-state", INFO),
    msg(ACTIVATE_AUTOMATIC, "activate-automatic", INFO),
    msg(ACTIVATE_MANUAL, "activate-manual", INFO),
    msg(GET_USER_LOCK_STATE, "get-user-lock-state", INFO),
    msg(RESTORE_FACTORY_DEFAULTS, "restore-factory-defaults", INFO),
    msg(VALIDATE_SPC, "validate-spc", INFO),
    msg(UIM_GET_ICCID, "uim-get-iccid", SIM),
    msg(UIM_GET_CK_STATUS, "uim-get-ck-status", SIM),
    msg(UIM_GET_IMSI, "uim-get-imsi", SIM),
    msg(UIM_GET_STATE, "uim-get-state", SIM),
    msg(GET_BAND_CAPABILITIES, "get-band-capabilities", INFO),
    msg(GET_FACTORY_SKU, "get-factory-sku", INFO),
    msg(GET_FIRMWARE_PREFERENCE, "get-firmware-preference", IMAGES),
    msg(SET_FIRMWARE_PREFERENCE, "set-firmware-preference", IMAGES),
    msg(LIST_STORED_IMAGES, "list-stored-images", IMAGES),
    msg(SWI_GET_CURRENT_FIRMWARE, "swi-get-current-firmware", INFO),
    msg(SWI_GET_USB_COMPOSITION, "swi-get-usb-composition", INFO),
    msg(SWI_SET_USB_COMPOSITION, "swi-set-usb-composition", INFO),
];

const INFO: Handler<Dms> = |_, r, c| info::handle(r, c);
const SIM: Handler<Dms> = |_, r, c| sim::handle(r, c);
const IMAGES: Handler<Dms> = |_, r, c| images::handle(r, c);

/// QMI errors without a named constant in [`ProtocolError`].
const DEVICE_UNSUPPORTED: ProtocolError = ProtocolError(25);
const AUTHENTICATION_FAILED: ProtocolError = ProtocolError(34);

/// DMS state per client: which Event Report items each one asked for.
#[derive(Debug, Default)]
pub struct Dms {
    reporting: BTreeMap<u8, Reporting>,
}

impl Dms {
    /// Resets this client's DMS state, not the modem.
    fn reset_client(&mut self, client: u8) -> Reply {
        self.reporting.remove(&client);
        Ok(Default::default())
    }
}

impl Service for Dms {
    fn id(&self) -> ServiceId {
        ServiceId::Dms
    }
    fn version(&self) -> (u16, u16) {
        (1, 14)
    }
    fn name(&self) -> &'static str {
        "dms"
    }
    fn messages(&self) -> Vec<MessageName> {
        table::names(MESSAGES)
    }
    fn handle(&mut self, req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
        table::dispatch(MESSAGES, self, req, ctx)
    }
    fn client_removed(&mut self, client: u8) {
        self.reporting.remove(&client);
    }
    fn indications(&mut self, ev: &DeviceEvent, dev: &Device, out: &mut Vec<Indication>) {
        self.event_report(ev, dev, out);
    }
}
