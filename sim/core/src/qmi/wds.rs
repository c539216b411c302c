//! WDS (service 1).

use super::{Ctx, Reply, Req, Service};
use crate::wire::{ProtocolError, ServiceId};

#[derive(Debug, Default)]
pub struct Wds {}

impl Service for Wds {
    fn id(&self) -> ServiceId {
        ServiceId::Wds
    }
    fn version(&self) -> (u16, u16) {
        (1, 0)
    }
    fn supported(&self) -> &'static [u16] {
        &[]
    }
    fn handle(&mut self, _req: &Req<'_>, _ctx: &mut Ctx<'_>) -> Reply {
        Err(ProtocolError::InvalidQmiCommand.into())
    }
}
