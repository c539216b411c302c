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

/// What a 9x15 answers, one entry per request: identity, capabilities and
/// vendor messages in `info`, PIN and card messages in `sim`, firmware
/// images in `images`.
pub(crate) const MESSAGES: &[Message<Handler<Dms>>] = &[
    msg(RESET, "reset", |s, _, c| s.reset_client(c.client)),
    msg(SET_EVENT_REPORT, "set-event-report", |s, r, c| {
        s.set_event_report(r, c.client)
    }),
    msg(GET_CAPABILITIES, "get-capabilities", |_, r, c| {
        info::get_capabilities(r, c)
    }),
    msg(GET_MANUFACTURER, "get-manufacturer", |_, r, c| {
        info::get_manufacturer(r, c)
    }),
    msg(GET_MODEL, "get-model", |_, r, c| info::get_model(r, c)),
    msg(GET_REVISION, "get-revision", |_, r, c| {
        info::get_revision(r, c)
    }),
    msg(GET_MSISDN, "get-msisdn", |_, r, c| sim::get_msisdn(r, c)),
    msg(GET_IDS, "get-ids", |_, r, c| info::get_ids(r, c)),
    msg(GET_POWER_STATE, "get-power-state", |_, r, c| {
        info::get_power_state(r, c)
    }),
    msg(
        UIM_SET_PIN_PROTECTION,
        "uim-set-pin-protection",
        |_, r, c| sim::uim_set_pin_protection(r, c),
    ),
    msg(UIM_VERIFY_PIN, "uim-verify-pin", |_, r, c| {
        sim::uim_verify_pin(r, c)
    }),
    msg(UIM_UNBLOCK_PIN, "uim-unblock-pin", |_, r, c| {
        sim::uim_unblock_pin(r, c)
    }),
    msg(UIM_CHANGE_PIN, "uim-change-pin", |_, r, c| {
        sim::uim_change_pin(r, c)
    }),
    msg(UIM_GET_PIN_STATUS, "uim-get-pin-status", |_, r, c| {
        sim::uim_get_pin_status(r, c)
    }),
    msg(GET_HARDWARE_REVISION, "get-hardware-revision", |_, r, c| {
        info::get_hardware_revision(r, c)
    }),
    msg(GET_OPERATING_MODE, "get-operating-mode", |_, _, c| {
        info::get_operating_mode(c)
    }),
    msg(SET_OPERATING_MODE, "set-operating-mode", |_, r, c| {
        info::set_operating_mode(r, c)
    }),
    msg(GET_TIME, "get-time", |_, r, c| info::get_time(r, c)),
    msg(GET_PRL_VERSION, "get-prl-version", |_, r, c| {
        info::get_prl_version(r, c)
    }),
    msg(GET_ACTIVATION_STATE, "get-activation-state", |_, r, c| {
        info::get_activation_state(r, c)
    }),
    msg(ACTIVATE_AUTOMATIC, "activate-automatic", |_, r, c| {
        info::activate_automatic(r, c)
    }),
    msg(ACTIVATE_MANUAL, "activate-manual", |_, r, c| {
        info::activate_manual(r, c)
    }),
    msg(GET_USER_LOCK_STATE, "get-user-lock-state", |_, r, c| {
        info::get_user_lock_state(r, c)
    }),
    msg(
        RESTORE_FACTORY_DEFAULTS,
        "restore-factory-defaults",
        |_, r, c| info::restore_factory_defaults(r, c),
    ),
    msg(VALIDATE_SPC, "validate-spc", |_, r, c| {
        info::validate_spc(r, c)
    }),
    msg(UIM_GET_ICCID, "uim-get-iccid", |_, r, c| {
        sim::uim_get_iccid(r, c)
    }),
    msg(UIM_GET_CK_STATUS, "uim-get-ck-status", |_, r, c| {
        sim::uim_get_ck_status(r, c)
    }),
    msg(UIM_GET_IMSI, "uim-get-imsi", |_, r, c| {
        sim::uim_get_imsi(r, c)
    }),
    msg(UIM_GET_STATE, "uim-get-state", |_, r, c| {
        sim::uim_get_state(r, c)
    }),
    msg(GET_BAND_CAPABILITIES, "get-band-capabilities", |_, r, c| {
        info::get_band_capabilities(r, c)
    }),
    msg(GET_FACTORY_SKU, "get-factory-sku", |_, r, c| {
        info::get_factory_sku(r, c)
    }),
    msg(
        GET_FIRMWARE_PREFERENCE,
        "get-firmware-preference",
        |_, r, c| images::get_firmware_preference(r, c),
    ),
    msg(
        SET_FIRMWARE_PREFERENCE,
        "set-firmware-preference",
        |_, r, c| images::set_firmware_preference(r, c),
    ),
    msg(LIST_STORED_IMAGES, "list-stored-images", |_, r, c| {
        images::list_stored_images(r, c)
    }),
    msg(
        SWI_GET_CURRENT_FIRMWARE,
        "swi-get-current-firmware",
        |_, r, c| info::swi_get_current_firmware(r, c),
    ),
    msg(
        SWI_GET_USB_COMPOSITION,
        "swi-get-usb-composition",
        |_, r, c| info::swi_get_usb_composition(r, c),
    ),
    msg(
        SWI_SET_USB_COMPOSITION,
        "swi-set-usb-composition",
        |_, r, c| info::swi_set_usb_composition(r, c),
    ),
];

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
