//! CTL (service 0): version info and client-ID management.

use super::table::{self, Message, MessageName};
use super::{ClientTable, Failure, Reply, Req, Service, Tlvs};
use crate::wire::tlv::Reader;
use crate::wire::{ProtocolError, ServiceId};

pub const SET_INSTANCE_ID: u16 = 0x0020;
pub const GET_VERSION_INFO: u16 = 0x0021;
pub const ALLOCATE_CID: u16 = 0x0022;
pub const RELEASE_CID: u16 = 0x0023;
pub const SET_DATA_FORMAT: u16 = 0x0026;
pub const SYNC: u16 = 0x0027;

/// CTL's own version, as 9x15 firmware reports it.
pub const CTL_VERSION: (u16, u16) = (1, 5);

/// CTL state: the link ID set by Set Instance ID and the data format.
#[derive(Debug, Clone, Default)]
pub struct Ctl {
    instance: u8,
    qos_header: bool,
}

/// What CTL needs from the rest of the engine.
pub struct CtlCtx<'a> {
    pub device: &'a mut crate::model::Device,
    pub clients: &'a mut ClientTable,
    pub services: &'a mut [Box<dyn Service + Send>],
}

/// How CTL answers one request.
pub type CtlHandler = fn(&mut Ctl, &Req<'_>, &mut CtlCtx<'_>) -> Reply;

/// CTL's requests, one entry each (see [`super::table`]).
const MESSAGES: &[Message<CtlHandler>] = &[
    ctl(SET_INSTANCE_ID, "set-instance-id", Ctl::set_instance_id),
    ctl(GET_VERSION_INFO, "get-version-info", Ctl::version_info),
    ctl(ALLOCATE_CID, "allocate-cid", Ctl::allocate_cid),
    ctl(RELEASE_CID, "release-cid", Ctl::release_cid),
    ctl(SET_DATA_FORMAT, "set-data-format", Ctl::set_data_format),
    ctl(SYNC, "sync", Ctl::sync),
];

const fn ctl(id: u16, name: &'static str, handle: CtlHandler) -> Message<CtlHandler> {
    Message { id, name, handle }
}

/// The ID and name of every CTL request.
pub fn messages() -> Vec<MessageName> {
    table::names(MESSAGES)
}

impl Ctl {
    pub fn handle(&mut self, req: &Req<'_>, cx: &mut CtlCtx<'_>) -> Reply {
        match table::find(MESSAGES, req.id()) {
            Some(m) => (m.handle)(self, req, cx),
            None => Err(Failure::new(ProtocolError::InvalidQmiCommand)),
        }
    }

    fn version_info(&mut self, _req: &Req<'_>, cx: &mut CtlCtx<'_>) -> Reply {
        let mut list = vec![(ServiceId::Ctl.0, CTL_VERSION)];
        list.extend(cx.services.iter().map(|s| (s.id().0, s.version())));
        let mut r = Tlvs::new();
        r.with(0x01, |w| {
            w.u8(list.len() as u8);
            for (svc, (major, minor)) in &list {
                w.u8(*svc).u16(*major).u16(*minor);
            }
        });
        Ok(r)
    }

    fn allocate_cid(&mut self, req: &Req<'_>, cx: &mut CtlCtx<'_>) -> Reply {
        let svc = ServiceId(req.parse_need(0x01, |r| r.u8("service"))?);
        let Some(i) = cx.services.iter().position(|s| s.id() == svc) else {
            return Err(ProtocolError::InvalidServiceType.into());
        };
        let Some(cid) = cx.clients.allocate(svc) else {
            return Err(ProtocolError::ClientIdsExhausted.into());
        };
        cx.services[i].client_added(cid);
        let mut r = Tlvs::new();
        r.push(0x01, [svc.0, cid]);
        Ok(r)
    }

    fn release_cid(&mut self, req: &Req<'_>, cx: &mut CtlCtx<'_>) -> Reply {
        let (svc, cid) = req.parse_need(0x01, |r: &mut Reader| {
            Ok((ServiceId(r.u8("service")?), r.u8("client")?))
        })?;
        if !cx.services.iter().any(|s| s.id() == svc) {
            return Err(ProtocolError::InvalidServiceType.into());
        }
        if !cx.clients.release(svc, cid) {
            return Err(ProtocolError::InvalidClientId.into());
        }
        if let Some(s) = cx.services.iter_mut().find(|s| s.id() == svc) {
            s.client_removed(cid);
        }
        let mut r = Tlvs::new();
        r.push(0x01, [svc.0, cid]);
        Ok(r)
    }

    fn set_instance_id(&mut self, req: &Req<'_>, _cx: &mut CtlCtx<'_>) -> Reply {
        let inst = req.parse_need(0x01, |r| r.u8("instance"))?;
        self.instance = inst;
        let mut r = Tlvs::new();
        // Link ID: instance in the high byte, QMI port (0) low.
        r.u16(0x01, (inst as u16) << 8);
        Ok(r)
    }

    fn set_data_format(&mut self, req: &Req<'_>, cx: &mut CtlCtx<'_>) -> Reply {
        let qos = req.parse_need(0x01, |r| r.u8("format"))?;
        let proto = req.u16(0x10)?.unwrap_or(1);
        if qos > 1 || !(1..=2).contains(&proto) {
            return Err(ProtocolError::InvalidArgument.into());
        }
        self.qos_header = qos == 1;
        // The same setting WDA Set Data Format changes.
        cx.device.data_format.link_layer = proto as u32;
        let mut r = Tlvs::new();
        r.u16(0x10, proto);
        Ok(r)
    }

    fn sync(&mut self, _req: &Req<'_>, cx: &mut CtlCtx<'_>) -> Reply {
        // Sync drops every client of every service.
        for s in cx.services.iter_mut() {
            for &c in cx.clients.clients(s.id()) {
                s.client_removed(c);
            }
        }
        cx.clients.clear();
        Ok(Tlvs::new())
    }
}
