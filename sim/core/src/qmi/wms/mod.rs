//! WMS (service 5): text messages as ModemManager and qmicli use them,
//! on the device's one message store (`model::sms`): event reports and
//! the new-message indication, routes, list, raw read/write/send, delete,
//! modify tag, message protocol, SMSC address and store sizes. 3GPP only:
//! the EM7305 has no CDMA radio.

mod messages;

use super::table::{self, msg, Handler, Message, MessageName};
use super::{Ctx, Indication, Reply, Req, Service, Tlvs};
use crate::model::sms::{ReceiptAction, Route, SmsEvent, Storage, CLASS_NONE};
use crate::model::{Device, DeviceEvent};
use crate::wire::tlv::Reader;
use crate::wire::{ProtocolError, ServiceId};

pub const RESET: u16 = 0x0000;
pub const SET_EVENT_REPORT: u16 = 0x0001;
pub const EVENT_REPORT: u16 = 0x0001;
pub const RAW_SEND: u16 = 0x0020;
pub const RAW_WRITE: u16 = 0x0021;
pub const RAW_READ: u16 = 0x0022;
pub const MODIFY_TAG: u16 = 0x0023;
pub const DELETE: u16 = 0x0024;
pub const GET_MESSAGE_PROTOCOL: u16 = 0x0030;
pub const LIST_MESSAGES: u16 = 0x0031;
pub const SET_ROUTES: u16 = 0x0032;
pub const GET_ROUTES: u16 = 0x0033;
pub const GET_SMSC_ADDRESS: u16 = 0x0034;
pub const SET_SMSC_ADDRESS: u16 = 0x0035;
pub const GET_STORE_MAX_SIZE: u16 = 0x0036;
pub const GET_DOMAIN_PREFERENCE: u16 = 0x0040;
pub const SET_DOMAIN_PREFERENCE: u16 = 0x0041;
pub const SEND_FROM_MEMORY_STORAGE: u16 = 0x0042;
/// The highest GW domain preference (3: PS only).
const DOMAIN_PS_ONLY: u8 = 3;

/// Message format "GSM/WCDMA point-to-point".
pub const FORMAT_GSM_WCDMA_PP: u8 = 6;
/// Message mode "GSM/WCDMA".
pub const MODE_GSM_WCDMA: u8 = 1;
/// Message protocol "WCDMA" (3GPP).
pub const PROTOCOL_WCDMA: u8 = 1;
/// Storage type "none" in a route (the message is not stored).
pub const STORAGE_NONE: u8 = 0xFF;

pub(crate) const MESSAGES: &[Message<Handler<Wms>>] = &[
    msg(RESET, "reset", |s, _, c| {
        s.reporting.retain(|&x| x != c.client);
        Ok(Tlvs::new())
    }),
    msg(SET_EVENT_REPORT, "set-event-report", |s, r, c| {
        s.set_event_report(r, c)
    }),
    msg(RAW_SEND, "raw-send", |_, r, c| messages::raw_send(r, c)),
    msg(RAW_WRITE, "raw-write", |_, r, c| messages::raw_write(r, c)),
    msg(RAW_READ, "raw-read", |_, r, c| messages::raw_read(r, c)),
    msg(MODIFY_TAG, "modify-tag", |_, r, c| {
        messages::modify_tag(r, c)
    }),
    msg(DELETE, "delete", |_, r, c| messages::delete(r, c)),
    msg(GET_MESSAGE_PROTOCOL, "get-message-protocol", |_, _, _| {
        let mut t = Tlvs::new();
        t.u8(0x01, PROTOCOL_WCDMA);
        Ok(t)
    }),
    msg(LIST_MESSAGES, "list-messages", |_, r, c| {
        messages::list(r, c)
    }),
    msg(SET_ROUTES, "set-routes", |_, r, c| set_routes(r, c)),
    msg(GET_ROUTES, "get-routes", |_, _, c| Ok(get_routes(c.dev))),
    msg(GET_SMSC_ADDRESS, "get-smsc-address", |_, _, c| {
        Ok(get_smsc(c.dev))
    }),
    msg(SET_SMSC_ADDRESS, "set-smsc-address", |_, r, c| {
        set_smsc(r, c)
    }),
    msg(GET_STORE_MAX_SIZE, "get-store-max-size", |_, r, c| {
        messages::store_max_size(r, c)
    }),
    msg(GET_DOMAIN_PREFERENCE, "get-domain-preference", |_, _, c| {
        let mut t = Tlvs::new();
        t.u8(0x01, c.dev.messaging.domain_preference);
        Ok(t)
    }),
    msg(SET_DOMAIN_PREFERENCE, "set-domain-preference", |_, r, c| {
        let pref = r.parse_need(0x01, |t| t.u8("domain preference"))?;
        if pref > DOMAIN_PS_ONLY {
            return Err(ProtocolError::InvalidArgument.into());
        }
        c.dev.messaging.domain_preference = pref;
        Ok(Tlvs::new())
    }),
    msg(
        SEND_FROM_MEMORY_STORAGE,
        "send-from-memory-storage",
        |_, r, c| messages::send_from_storage(r, c),
    ),
];

#[derive(Debug, Default)]
pub struct Wms {
    /// Clients that asked for new-message event reports.
    reporting: Vec<u8>,
}

impl Wms {
    fn set_event_report(&mut self, req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
        if let Some(on) = req.u8(0x10)? {
            self.reporting.retain(|&c| c != ctx.client);
            if on != 0 {
                self.reporting.push(ctx.client);
            }
        }
        Ok(Tlvs::new())
    }
}

impl Service for Wms {
    fn id(&self) -> ServiceId {
        ServiceId::Wms
    }
    fn version(&self) -> (u16, u16) {
        (1, 10)
    }
    fn name(&self) -> &'static str {
        "wms"
    }
    fn messages(&self) -> Vec<MessageName> {
        table::names(MESSAGES)
    }
    fn handle(&mut self, req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
        table::dispatch(MESSAGES, self, req, ctx)
    }
    fn client_removed(&mut self, client: u8) {
        self.reporting.retain(|&c| c != client);
    }
    fn indications(&mut self, ev: &DeviceEvent, _dev: &Device, out: &mut Vec<Indication>) {
        let DeviceEvent::Sms(e) = ev else { return };
        let mut t = Tlvs::new();
        match e {
            SmsEvent::Stored { storage, index } => {
                t.with(0x10, |w| {
                    w.u8(storage.qmi()).u32(*index);
                });
            }
            SmsEvent::Transferred { pdu, .. } => {
                // Ack indicator 1: the module acknowledged it already.
                t.with(0x11, |w| {
                    w.u8(1)
                        .u32(0)
                        .u8(FORMAT_GSM_WCDMA_PP)
                        .u16(pdu.len() as u16)
                        .bytes(pdu);
                });
            }
            _ => return,
        }
        t.u8(0x12, MODE_GSM_WCDMA);
        for &client in &self.reporting {
            out.push(Indication {
                client,
                id: EVENT_REPORT,
                tlvs: t.clone(),
            });
        }
    }
}

fn route(r: &mut Reader<'_>) -> crate::wire::Result<(u8, u8, u8, u8)> {
    Ok((
        r.u8("message type")?,
        r.u8("message class")?,
        r.u8("storage")?,
        r.u8("receipt action")?,
    ))
}

fn set_routes(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let raw = req.parse_need(0x01, |r| {
        let n = r.u16("route count")?;
        (0..n)
            .map(|_| route(r))
            .collect::<crate::wire::Result<Vec<_>>>()
    })?;
    let transfer = req.u8(0x10)?;
    let mut routes = ctx.dev.messaging.routes.clone();
    for (ty, class, storage, action) in raw {
        // Point-to-point only; classes 0..3 and "none".
        if ty != 0 || class > CLASS_NONE {
            return Err(ProtocolError::InvalidArgument.into());
        }
        let action = ReceiptAction::from_qmi(action).ok_or(ProtocolError::InvalidArgument)?;
        let storage = match storage {
            STORAGE_NONE => None,
            s => Some(Storage::from_qmi(s).ok_or(ProtocolError::InvalidArgument)?),
        };
        if action == ReceiptAction::StoreAndNotify && storage.is_none() {
            return Err(ProtocolError::InvalidArgument.into());
        }
        let new = Route {
            class,
            storage,
            action,
        };
        match routes.iter_mut().find(|r| r.class == class) {
            Some(r) => *r = new,
            None => routes.push(new),
        }
    }
    let m = &mut ctx.dev.messaging;
    m.routes = routes;
    if let Some(t) = transfer {
        m.transfer_status_reports = t == 1;
    }
    Ok(Tlvs::new())
}

fn get_routes(dev: &Device) -> Tlvs {
    let m = &dev.messaging;
    let mut t = Tlvs::new();
    t.with(0x01, |w| {
        w.u16(m.routes.len() as u16);
        for r in &m.routes {
            w.u8(0)
                .u8(r.class)
                .u8(r.storage.map_or(STORAGE_NONE, Storage::qmi))
                .u8(r.action as u8);
        }
    });
    // Transfer indication 1: status reports go to the client.
    t.u8(0x10, u8::from(m.transfer_status_reports));
    t
}

/// Type of address as three digits: "145" international, "129" unknown.
fn smsc_type(number: &str) -> &'static str {
    if number.starts_with('+') {
        "145"
    } else {
        "129"
    }
}

fn get_smsc(dev: &Device) -> Tlvs {
    let n = &dev.messaging.smsc;
    let mut t = Tlvs::new();
    t.with(0x01, |w| {
        w.bytes(smsc_type(n).as_bytes()).str_u8(n);
    });
    t
}

fn set_smsc(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let raw = req.need(0x01)?;
    let number = std::str::from_utf8(raw).map_err(|_| ProtocolError::InvalidArgument)?;
    if let Some(ty) = req.tlv(0x10) {
        if ty != b"145" && ty != b"129" {
            return Err(ProtocolError::InvalidArgument.into());
        }
    }
    // A valid address is one a PDU can carry.
    if crate::wire::sms::Address::from_number(number).is_none() {
        return Err(ProtocolError::InvalidArgument.into());
    }
    ctx.dev.messaging.smsc = number.to_string();
    Ok(Tlvs::new())
}

#[cfg(test)]
mod tests;
