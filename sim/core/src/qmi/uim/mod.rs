//! UIM (service 11): card status, PIN1, reads from a simulated card file
//! system, refresh registration and Card Status indications.
//!
//! The card is a single USIM in slot 1. Its PIN state is the device model's
//! (shared with DMS); its files are encoded from the profile on demand.
//! Slot messages (Get Slot Status, Switch Slot) and SIM power control are
//! not implemented by this single-slot firmware: the engine answers them
//! with InvalidQmiCommand.

mod card;
mod config;
mod events;
mod files;
mod pin;
mod read;
mod session;
#[cfg(test)]
mod tests;

use super::{Ctx, Indication, Reply, Req, Service, Tlvs};
use crate::model::{Device, DeviceEvent};
use crate::wire::{ProtocolError, ServiceId};
use session::FileRef;
use std::collections::BTreeMap;

pub use card::USIM_AID;
pub use events::CARD_STATUS_INDICATION;

pub const RESET: u16 = 0x0000;
pub const READ_TRANSPARENT: u16 = 0x0020;
pub const READ_RECORD: u16 = 0x0021;
pub const GET_FILE_ATTRIBUTES: u16 = 0x0024;
pub const SET_PIN_PROTECTION: u16 = 0x0025;
pub const VERIFY_PIN: u16 = 0x0026;
pub const UNBLOCK_PIN: u16 = 0x0027;
pub const CHANGE_PIN: u16 = 0x0028;
pub const DEPERSONALIZATION: u16 = 0x0029;
pub const REFRESH_REGISTER: u16 = 0x002A;
pub const REFRESH_COMPLETE: u16 = 0x002C;
pub const REGISTER_EVENTS: u16 = 0x002E;
pub const GET_CARD_STATUS: u16 = 0x002F;
pub const GET_CONFIGURATION: u16 = 0x003A;
pub const REFRESH_REGISTER_ALL: u16 = 0x0044;

const SUPPORTED: &[u16] = &[
    RESET,
    READ_TRANSPARENT,
    READ_RECORD,
    GET_FILE_ATTRIBUTES,
    SET_PIN_PROTECTION,
    VERIFY_PIN,
    UNBLOCK_PIN,
    CHANGE_PIN,
    DEPERSONALIZATION,
    REFRESH_REGISTER,
    REFRESH_COMPLETE,
    REGISTER_EVENTS,
    GET_CARD_STATUS,
    GET_CONFIGURATION,
    REFRESH_REGISTER_ALL,
];

/// What one client asked to be told about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientState {
    /// Registered QmiUimEventRegistrationFlag bits.
    pub events: u32,
    pub refresh_all: bool,
    pub refresh_files: Vec<FileRef>,
}

#[derive(Debug, Default)]
pub struct Uim {
    clients: BTreeMap<u8, ClientState>,
}

impl Uim {
    fn client(&mut self, id: u8) -> &mut ClientState {
        self.clients.entry(id).or_default()
    }
}

impl Service for Uim {
    fn id(&self) -> ServiceId {
        ServiceId::Uim
    }
    fn version(&self) -> (u16, u16) {
        (1, 40)
    }
    fn supported(&self) -> &'static [u16] {
        SUPPORTED
    }
    fn handle(&mut self, req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
        match req.id() {
            RESET => {
                // Forgets this client's registrations.
                self.clients.insert(ctx.client, ClientState::default());
                Ok(Tlvs::new())
            }
            GET_CARD_STATUS => {
                let mut r = Tlvs::new();
                r.push(0x10, card::card_status(&ctx.dev.sim));
                Ok(r)
            }
            READ_TRANSPARENT => read::read_transparent(req, ctx),
            READ_RECORD => read::read_record(req, ctx),
            GET_FILE_ATTRIBUTES => read::get_file_attributes(req, ctx),
            SET_PIN_PROTECTION => pin::set_protection(req, ctx),
            VERIFY_PIN => pin::verify(req, ctx),
            UNBLOCK_PIN => pin::unblock(req, ctx),
            CHANGE_PIN => pin::change(req, ctx),
            DEPERSONALIZATION => config::depersonalization(req, ctx),
            GET_CONFIGURATION => config::get_configuration(req),
            REGISTER_EVENTS => events::register_events(req, self.client(ctx.client)),
            REFRESH_REGISTER => events::refresh_register(req, self.client(ctx.client)),
            REFRESH_REGISTER_ALL => events::refresh_register_all(req, self.client(ctx.client)),
            REFRESH_COMPLETE => events::refresh_complete(req),
            _ => Err(ProtocolError::InvalidQmiCommand.into()),
        }
    }
    fn client_added(&mut self, client: u8) {
        self.clients.insert(client, ClientState::default());
    }
    fn client_removed(&mut self, client: u8) {
        self.clients.remove(&client);
    }
    fn indications(&mut self, ev: &DeviceEvent, dev: &Device, out: &mut Vec<Indication>) {
        if let DeviceEvent::SimState(_) = ev {
            events::card_status_indications(self.clients.iter(), dev, out);
        }
    }
}
