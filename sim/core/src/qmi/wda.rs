//! WDA (service 26): the data format of the data endpoint, kept in the
//! model (`Device::data_format`) so that every protocol sees one framing.
//!
//! A 9x15 frames packets as 802.3 or raw IP and has no QMAP: a request
//! for any aggregation protocol is applied as "disabled", and the reply
//! echoes what was applied, which is how a host learns it was refused.

use super::table::{self, msg, Handler, Message, MessageName};
use super::{Ctx, Reply, Req, Service, Tlvs};
use crate::model::DataFormat;
use crate::wire::tlv::Reader;
use crate::wire::{ProtocolError, ServiceId};

pub const SET_DATA_FORMAT: u16 = 0x0020;
pub const GET_DATA_FORMAT: u16 = 0x0021;

/// Link layer protocols.
pub const LLP_802_3: u32 = 1;
pub const LLP_RAW_IP: u32 = 2;
/// Data aggregation protocol "disabled".
pub const DAP_DISABLED: u32 = 0;

/// What this firmware answers, one entry per request.
pub(crate) const MESSAGES: &[Message<Handler<Wda>>] = &[
    msg(SET_DATA_FORMAT, "set-data-format", |_, r, c| {
        set_data_format(r, c)
    }),
    msg(GET_DATA_FORMAT, "get-data-format", |_, r, c| {
        get_data_format(r, c)
    }),
];

#[derive(Debug, Default)]
pub struct Wda {}

/// `{u32 endpoint type, u32 interface number}`; a 9x15 has one data
/// endpoint per QMI port, so the value only needs to be well formed.
fn endpoint(r: &mut Reader<'_>) -> crate::wire::Result<(u32, u32)> {
    Ok((r.u32("endpoint type")?, r.u32("interface number")?))
}

fn format_tlvs(f: &DataFormat) -> Tlvs {
    let mut t = Tlvs::new();
    // No QoS flow header: it is not offered.
    t.u8(0x10, 0)
        .u32(0x11, f.link_layer)
        .u32(0x12, f.ul_aggregation)
        .u32(0x13, f.dl_aggregation);
    t
}

impl Service for Wda {
    fn id(&self) -> ServiceId {
        ServiceId::Wda
    }
    fn version(&self) -> (u16, u16) {
        (1, 0)
    }
    fn name(&self) -> &'static str {
        "wda"
    }
    fn messages(&self) -> Vec<MessageName> {
        table::names(MESSAGES)
    }
    fn handle(&mut self, req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
        table::dispatch(MESSAGES, self, req, ctx)
    }
}

fn get_data_format(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    req.parse(0x10, endpoint)?;
    Ok(format_tlvs(&ctx.dev.data_format))
}

fn set_data_format(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let qos = req.u8(0x10)?;
    let llp = req.u32(0x11)?;
    let ul = req.u32(0x12)?;
    let dl = req.u32(0x13)?;
    for ty in [0x14, 0x15, 0x16, 0x1B, 0x1C] {
        req.u32(ty)?;
    }
    req.parse(0x17, endpoint)?;
    if qos.is_some_and(|q| q > 1)
        || llp.is_some_and(|l| l != LLP_802_3 && l != LLP_RAW_IP)
        || ul.is_some_and(|p| p > 9)
        || dl.is_some_and(|p| p > 9)
    {
        return Err(ProtocolError::InvalidArgument.into());
    }
    let f = &mut ctx.dev.data_format;
    if let Some(l) = llp {
        f.link_layer = l;
    }
    f.ul_aggregation = DAP_DISABLED;
    f.dl_aggregation = DAP_DISABLED;
    Ok(format_tlvs(f))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Device, Profile};
    use crate::time::Instant;
    use crate::wire::qmi::{Message, MessageKind};
    use crate::wire::qmux::Sender;
    use crate::wire::tlv::Tlv;
    use crate::wire::MessageId;

    fn call(w: &mut Wda, dev: &mut Device, id: u16, tlvs: Vec<Tlv>) -> Reply {
        let msg = Message {
            sender: Sender::Host,
            service: ServiceId::Wda,
            client: 1,
            kind: MessageKind::Request,
            txn: 1,
            id: MessageId(id),
            tlvs,
        };
        let mut ctx = Ctx {
            dev,
            now: Instant::ZERO,
            client: 1,
        };
        w.handle(&Req::new(&msg), &mut ctx)
    }

    fn u32_tlv(ty: u8, v: u32) -> Tlv {
        Tlv::new(ty, v.to_le_bytes())
    }

    #[test]
    fn set_raw_ip_then_get() {
        let mut dev = Device::new(Profile::default(), 1, Instant::ZERO);
        let mut w = Wda::default();
        let r = call(&mut w, &mut dev, GET_DATA_FORMAT, vec![]).unwrap();
        assert_eq!(r.get(0x11), Some(&1u32.to_le_bytes()[..]));
        // What ModemManager sends for raw IP without aggregation.
        let set = vec![u32_tlv(0x11, 2), u32_tlv(0x12, 0), u32_tlv(0x13, 0)];
        let r = call(&mut w, &mut dev, SET_DATA_FORMAT, set).unwrap();
        assert_eq!(r.get(0x11), Some(&2u32.to_le_bytes()[..]));
        assert_eq!(dev.data_format.link_layer, LLP_RAW_IP);
        let r = call(&mut w, &mut dev, GET_DATA_FORMAT, vec![]).unwrap();
        assert_eq!(r.get(0x11), Some(&2u32.to_le_bytes()[..]));
        assert_eq!(r.get(0x12), Some(&0u32.to_le_bytes()[..]));
    }

    #[test]
    fn qmap_is_not_applied_and_bad_values_refused() {
        let mut dev = Device::new(Profile::default(), 1, Instant::ZERO);
        let mut w = Wda::default();
        let set = vec![u32_tlv(0x11, 2), u32_tlv(0x12, 5), u32_tlv(0x13, 5)];
        let r = call(&mut w, &mut dev, SET_DATA_FORMAT, set).unwrap();
        assert_eq!(r.get(0x13), Some(&0u32.to_le_bytes()[..]));
        let e = call(&mut w, &mut dev, SET_DATA_FORMAT, vec![u32_tlv(0x11, 7)]);
        assert_eq!(e.unwrap_err().error, ProtocolError::InvalidArgument);
        let e = call(&mut w, &mut dev, SET_DATA_FORMAT, vec![Tlv::new(0x11, [2])]);
        assert_eq!(e.unwrap_err().error, ProtocolError::MalformedMessage);
        let e = call(
            &mut w,
            &mut dev,
            GET_DATA_FORMAT,
            vec![Tlv::new(0x10, [0; 7])],
        );
        assert_eq!(e.unwrap_err().error, ProtocolError::MalformedMessage);
        let f = dev.data_format;
        assert_eq!(
            (f.link_layer, f.ul_aggregation, f.dl_aggregation),
            (2, 0, 0)
        );
    }
}
