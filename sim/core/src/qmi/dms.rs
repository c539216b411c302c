//! DMS (service 2): identity, operating mode, SIM PIN through DMS, and
//! Sierra's vendor messages.

use super::{Ctx, Reply, Req, Service, Tlvs};
use crate::wire::{ProtocolError, ServiceId};

pub const GET_MANUFACTURER: u16 = 0x0021;
pub const GET_MODEL: u16 = 0x0022;
pub const GET_REVISION: u16 = 0x0023;
pub const GET_IDS: u16 = 0x0025;

#[derive(Debug, Default)]
pub struct Dms {}

const SUPPORTED: &[u16] = &[GET_MANUFACTURER, GET_MODEL, GET_REVISION, GET_IDS];

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
        let id = &ctx.dev.profile.identity;
        let mut r = Tlvs::new();
        match req.id() {
            GET_MANUFACTURER => r.str(0x01, &id.manufacturer),
            GET_MODEL => r.str(0x01, &id.model),
            GET_REVISION => r.str(0x01, &id.revision),
            GET_IDS => r
                .str(0x10, &id.esn)
                .str(0x11, &id.imei)
                .str(0x12, &id.meid)
                .str(0x13, &id.imei_sv),
            _ => return Err(ProtocolError::InvalidQmiCommand.into()),
        };
        Ok(r)
    }
}
