//! QMI services answering from the device model.
//!
//! Each service is a [`Service`]: it gets a parsed request and the model,
//! and returns the response TLVs or a [`Failure`] carrying the QMI error a
//! real modem would give. Each service declares every request it answers
//! once, in its message table ([`table`]: ID, name, handler); dispatch, Get
//! Supported Messages ([`Service::messages`]) and the request names of
//! scenario triggers ([`catalogue`]) come from it. The engine adds the
//! result TLV, routes by client, and turns [`DeviceEvent`]s into
//! indications through [`Service::indications`].

mod clients;
pub mod ctl;
pub mod dms;
pub mod loc;
pub mod nas;
pub mod pds;
pub mod pin_status;
mod reply;
pub mod table;
#[cfg(test)]
mod tests;
pub mod uim;
pub mod wda;
pub mod wds;
pub mod wms;

pub use clients::{ClientTable, MAX_CLIENTS_PER_SERVICE};
pub use ctl::Ctl;
pub use reply::{Failure, Reply, Req, Tlvs};
pub use table::MessageName;

use crate::model::{Device, DeviceEvent};
use crate::time::Instant;
use crate::wire::ServiceId;

/// Message ID of Get Supported Messages, the same in every service.
pub const GET_SUPPORTED_MESSAGES: u16 = 0x001E;

/// What a service sees while it handles one request.
pub struct Ctx<'a> {
    pub dev: &'a mut Device,
    pub now: Instant,
    /// The client that sent the request.
    pub client: u8,
}

/// An indication for one client, or for all (`client == BROADCAST`).
#[derive(Debug, Clone, PartialEq)]
pub struct Indication {
    pub client: u8,
    pub id: u16,
    pub tlvs: Tlvs,
}

/// Client ID that addresses every client of a service.
pub const BROADCAST: u8 = 0xFF;

pub trait Service {
    fn id(&self) -> ServiceId;
    /// (major, minor) version reported by CTL Get Version Info.
    fn version(&self) -> (u16, u16);
    /// The service's short name in scenario triggers ("dms").
    fn name(&self) -> &'static str;
    /// Every request `handle` answers, from the service's message table.
    fn messages(&self) -> Vec<MessageName>;
    /// Answers one request through the message table; a message the table
    /// lacks gets InvalidQmiCommand.
    fn handle(&mut self, req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply;
    /// A client ID was allocated for this service.
    fn client_added(&mut self, _client: u8) {}
    /// A client ID was released: forget its subscriptions.
    fn client_removed(&mut self, _client: u8) {}
    /// Runs after every request with the model, for work that
    /// `client_removed` can only note (WDS stops the calls of a released
    /// client).
    fn settle(&mut self, _dev: &mut Device) {}
    /// Indications a request calls for after its response (QMI LOC
    /// answers a request, then reports its outcome in an indication).
    fn follow_ups(&mut self, _out: &mut Vec<Indication>) {}
    /// Indications that `ev` causes for this service's clients.
    fn indications(&mut self, _ev: &DeviceEvent, _dev: &Device, _out: &mut Vec<Indication>) {}
}

/// The services of an EM7305 in QMI mode, CTL aside.
pub fn em7305_services() -> Vec<Box<dyn Service + Send>> {
    vec![
        Box::new(wds::Wds::default()),
        Box::new(dms::Dms::default()),
        Box::new(nas::Nas::default()),
        Box::new(uim::Uim::default()),
        Box::new(wda::Wda::default()),
        Box::new(pds::Pds::default()),
        Box::new(loc::Loc::default()),
        Box::new(wms::Wms::default()),
    ]
}

/// Every QMI service the module offers, CTL first, with its short name and
/// the requests it answers (for the services, Get Supported Messages too,
/// which the engine answers from their tables): what scenario triggers
/// name.
pub fn catalogue() -> Vec<(&'static str, ServiceId, Vec<MessageName>)> {
    let common = MessageName {
        id: GET_SUPPORTED_MESSAGES,
        name: "get-supported-messages",
    };
    let mut out = vec![("ctl", ServiceId::Ctl, ctl::messages())];
    out.extend(
        em7305_services()
            .iter()
            .map(|s| (s.name(), s.id(), s.messages())),
    );
    for (_, _, list) in out.iter_mut().skip(1) {
        list.push(common);
    }
    out
}
