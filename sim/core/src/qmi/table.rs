//! One declaration per QMI request: its message ID, its name and its
//! handler, in one table per service. Get Supported Messages, the
//! dispatch of a request to its handler and the names scenario triggers
//! use ("dms/set-operating-mode") all come from these tables, so they
//! cannot disagree.

use super::{Ctx, Reply, Req};
use crate::wire::ProtocolError;

/// One request a service answers. `name` is libqmi's spelling of the
/// message (as in `qmicli --dms-set-operating-mode`).
pub struct Message<H: 'static> {
    pub id: u16,
    pub name: &'static str,
    pub handle: H,
}

/// How a service of type `S` answers one request.
pub type Handler<S> = fn(&mut S, &Req<'_>, &mut Ctx<'_>) -> Reply;

/// A table entry for a service of type `S`.
pub const fn msg<S>(id: u16, name: &'static str, handle: Handler<S>) -> Message<Handler<S>> {
    Message { id, name, handle }
}

/// What a table says about a message, whatever the service's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageName {
    pub id: u16,
    pub name: &'static str,
}

/// The ID and name of every message in `table`.
pub fn names<H>(table: &'static [Message<H>]) -> Vec<MessageName> {
    table
        .iter()
        .map(|m| MessageName {
            id: m.id,
            name: m.name,
        })
        .collect()
}

/// The entry for `id`, if the service answers it.
pub fn find<H>(table: &'static [Message<H>], id: u16) -> Option<&'static Message<H>> {
    table.iter().find(|m| m.id == id)
}

/// Runs the handler `table` gives for the request; a message the table
/// lacks gets InvalidQmiCommand, as the firmware answers one it does not
/// know.
pub fn dispatch<S>(
    table: &'static [Message<Handler<S>>],
    service: &mut S,
    req: &Req<'_>,
    ctx: &mut Ctx<'_>,
) -> Reply {
    match find(table, req.id()) {
        Some(m) => (m.handle)(service, req, ctx),
        None => Err(ProtocolError::InvalidQmiCommand.into()),
    }
}
