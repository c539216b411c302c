//! UIM (service 11): card status, PIN1, reads from a simulated card file
//! system, refresh registration and Card Status indications.
//!
//! The card is a single USIM in slot 1. Its PIN state is the device model's
//! (shared with DMS); its files are encoded from the profile on demand.
//! Slot messages (Get Slot Status, Switch Slot) and SIM power control are
//! not implemented by this single-slot firmware: they are not in
//! [`MESSAGES`] and get InvalidQmiCommand.

mod card;
mod config;
mod events;
mod files;
mod pin;
mod read;
mod session;
#[cfg(test)]
mod tests;

use super::table::{self, msg, Handler, Message, MessageName};
use super::{Ctx, Indication, Reply, Req, Service, Tlvs};
use crate::model::{Device, DeviceEvent};
use crate::wire::ServiceId;
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

/// What this firmware answers, one entry per request.
pub(crate) const MESSAGES: &[Message<Handler<Uim>>] = &[
    msg(RESET, "reset", |s, _, c| s.reset_client(c.client)),
    msg(READ_TRANSPARENT, "read-transparent", |_, r, c| {
        read::read_transparent(r, c)
    }),
    msg(READ_RECORD, "read-record", |_, r, c| {
        read::read_record(r, c)
    }),
    msg(GET_FILE_ATTRIBUTES, "get-file-attributes", |_, r, c| {
        read::get_file_attributes(r, c)
    }),
    msg(SET_PIN_PROTECTION, "set-pin-protection", |_, r, c| {
        pin::set_protection(r, c)
    }),
    msg(VERIFY_PIN, "verify-pin", |_, r, c| pin::verify(r, c)),
    msg(UNBLOCK_PIN, "unblock-pin", |_, r, c| pin::unblock(r, c)),
    msg(CHANGE_PIN, "change-pin", |_, r, c| pin::change(r, c)),
    msg(DEPERSONALIZATION, "depersonalization", |_, r, c| {
        config::depersonalization(r, c)
    }),
    msg(REFRESH_REGISTER, "refresh-register", |s, r, c| {
        events::refresh_register(r, s.client(c.client))
    }),
    msg(REFRESH_COMPLETE, "refresh-complete", |_, r, _| {
        events::refresh_complete(r)
    }),
    msg(REGISTER_EVENTS, "register-events", |s, r, c| {
        events::register_events(r, s.client(c.client))
    }),
    msg(GET_CARD_STATUS, "get-card-status", |_, _, c| card_status(c)),
    msg(GET_CONFIGURATION, "get-configuration", |_, r, _| {
        config::get_configuration(r)
    }),
    msg(REFRESH_REGISTER_ALL, "refresh-register-all", |s, r, c| {
        events::refresh_register_all(r, s.client(c.client))
    }),
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
    /// Forgets this client's registrations.
    fn reset_client(&mut self, id: u8) -> Reply {
        self.clients.insert(id, ClientState::default());
        Ok(Tlvs::new())
    }
}

fn card_status(ctx: &mut Ctx<'_>) -> Reply {
    let mut r = Tlvs::new();
    r.push(0x10, card::card_status(&ctx.dev.sim));
    Ok(r)
}

impl Service for Uim {
    fn id(&self) -> ServiceId {
        ServiceId::Uim
    }
    fn version(&self) -> (u16, u16) {
        (1, 40)
    }
    fn name(&self) -> &'static str {
        "uim"
    }
    fn messages(&self) -> Vec<MessageName> {
        table::names(MESSAGES)
    }
    fn handle(&mut self, req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
        table::dispatch(MESSAGES, self, req, ctx)
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
