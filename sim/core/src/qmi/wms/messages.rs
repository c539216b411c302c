//! The stored messages over WMS: list, raw read/write, modify tag,
//! delete, store sizes, and raw send through the SMS centre.

use super::{FORMAT_GSM_WCDMA_PP, MODE_GSM_WCDMA};
use crate::model::sms::{Storage, Stored, SubmitError, Tag};
use crate::qmi::{Ctx, Failure, Reply, Req, Tlvs};
use crate::wire::sms::{Direction, Pdu, Tpdu};
use crate::wire::tlv::Reader;
use crate::wire::ProtocolError;

fn storage(v: u8) -> Result<Storage, Failure> {
    Storage::from_qmi(v).ok_or_else(|| ProtocolError::InvalidArgument.into())
}

/// The message in `index` of `st`, or InvalidIndex for an empty slot.
fn stored<'a>(ctx: &'a Ctx<'_>, st: Storage, index: u32) -> Result<&'a Stored, Failure> {
    ctx.dev
        .messaging
        .store(st)
        .get(index)
        .ok_or_else(|| ProtocolError::InvalidIndex.into())
}

/// The mandatory storage type, TLV 0x01.
fn storage_tlv(req: &Req<'_>) -> Result<Storage, Failure> {
    storage(req.u8(0x01)?.ok_or(ProtocolError::MissingArgument)?)
}

/// An optional tag filter in TLV `ty`.
fn tag_filter(req: &Req<'_>, ty: u8) -> Result<Option<Tag>, Failure> {
    req.u8(ty)?
        .map(|t| Tag::from_qmi(t).ok_or_else(|| ProtocolError::InvalidArgument.into()))
        .transpose()
}

/// The optional message mode TLV: only GSM/WCDMA is served.
fn check_mode(req: &Req<'_>, ty: u8) -> Result<(), Failure> {
    match req.u8(ty)? {
        Some(m) if m != MODE_GSM_WCDMA => Err(ProtocolError::InvalidArgument.into()),
        _ => Ok(()),
    }
}

/// `{format, u16 length, data}`: the PDU of a 3GPP message.
fn raw_pdu<'a>(r: &mut Reader<'a>) -> crate::wire::Result<(u8, &'a [u8])> {
    let format = r.u8("format")?;
    let n = r.u16("raw data length")?;
    Ok((format, r.take(n as usize, "raw data")?))
}

pub(super) fn raw_send(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let (format, pdu) = req.parse_need(0x01, raw_pdu)?;
    // The CDMA, IMS and link timer options do not apply to a 3GPP module
    // but must still be well formed.
    req.parse(0x10, |r| Ok((r.u8("force")?, r.u8("service option")?)))?;
    req.u8(0x11)?;
    req.u8(0x12)?;
    req.u8(0x13)?;
    if format != FORMAT_GSM_WCDMA_PP {
        return Err(ProtocolError::InvalidArgument.into());
    }
    submit(pdu, ctx, 0x01, 0x12)
}

/// Submits `pdu`; the reference goes in TLV `id_tlv`, a refusal's RP
/// cause in `cause_tlv` (and the failure type in the TLV after it).
fn submit(pdu: &[u8], ctx: &mut Ctx<'_>, id_tlv: u8, cause_tlv: u8) -> Reply {
    match ctx.dev.sms_submit(pdu, ctx.now) {
        Ok(reference) => {
            let mut t = Tlvs::new();
            t.u16(id_tlv, u16::from(reference));
            Ok(t)
        }
        Err(SubmitError::BadPdu) => Err(ProtocolError::InvalidArgument.into()),
        Err(SubmitError::NoService) => Err(ProtocolError::NetworkNotReady.into()),
        Err(SubmitError::Rejected { rp_cause }) => {
            let mut t = Tlvs::new();
            t.with(cause_tlv, |w| {
                w.u16(u16::from(rp_cause)).u8(0);
            });
            // Delivery failure type 0: temporary.
            t.u8(cause_tlv + 1, 0);
            Err(Failure::with_tlvs(ProtocolError::WmsCauseCode, t))
        }
    }
}

/// The tag a written message gets: a SUBMIT is an outgoing draft, a
/// DELIVER or status report one already read.
fn written_tag(pdu: &[u8]) -> Option<Tag> {
    if let Ok(Tpdu::Submit(_)) = Pdu::parse(pdu, Direction::FromHost).map(|p| p.tpdu) {
        return Some(Tag::MoNotSent);
    }
    match Pdu::parse(pdu, Direction::ToHost).map(|p| p.tpdu) {
        Ok(Tpdu::Deliver(_) | Tpdu::StatusReport(_)) => Some(Tag::MtRead),
        _ => None,
    }
}

pub(super) fn raw_write(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let (st, format, pdu) = req.parse_need(0x01, |r| {
        let st = r.u8("storage")?;
        let (f, p) = raw_pdu(r)?;
        Ok((st, f, p))
    })?;
    let st = storage(st)?;
    if format != FORMAT_GSM_WCDMA_PP {
        return Err(ProtocolError::InvalidArgument.into());
    }
    let tag = written_tag(pdu).ok_or(ProtocolError::InvalidArgument)?;
    let index = ctx
        .dev
        .messaging
        .store_mut(st)
        .store(tag, pdu.to_vec())
        .ok_or(ProtocolError::DeviceStorageFull)?;
    let mut t = Tlvs::new();
    t.u32(0x01, index);
    Ok(t)
}

fn slot(r: &mut Reader<'_>) -> crate::wire::Result<(u8, u32)> {
    Ok((r.u8("storage")?, r.u32("index")?))
}

/// A slot followed by one byte (`what`).
fn slot_and(r: &mut Reader<'_>, what: &'static str) -> crate::wire::Result<(u8, u32, u8)> {
    let (s, i) = slot(r)?;
    Ok((s, i, r.u8(what)?))
}

pub(super) fn raw_read(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let (st, index) = req.parse_need(0x01, slot)?;
    check_mode(req, 0x10)?;
    req.u8(0x11)?;
    let st = storage(st)?;
    let m = stored(ctx, st, index)?;
    let mut t = Tlvs::new();
    t.with(0x01, |w| {
        w.u8(m.tag as u8)
            .u8(FORMAT_GSM_WCDMA_PP)
            .u16(m.pdu.len() as u16)
            .bytes(&m.pdu);
    });
    Ok(t)
}

pub(super) fn modify_tag(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let (st, index, tag) = req.parse_need(0x01, |r| slot_and(r, "tag"))?;
    check_mode(req, 0x10)?;
    let st = storage(st)?;
    let tag = Tag::from_qmi(tag).ok_or(ProtocolError::InvalidArgument)?;
    let m = ctx
        .dev
        .messaging
        .store_mut(st)
        .get_mut(index)
        .ok_or(ProtocolError::InvalidIndex)?;
    // A received message stays received, a draft stays outgoing.
    if m.tag.is_mt() != tag.is_mt() {
        return Err(ProtocolError::InvalidArgument.into());
    }
    m.tag = tag;
    Ok(Tlvs::new())
}

pub(super) fn delete(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let st = storage_tlv(req)?;
    let index = req.u32(0x10)?;
    let tag = tag_filter(req, 0x11)?;
    check_mode(req, 0x12)?;
    let store = ctx.dev.messaging.store_mut(st);
    match index {
        Some(i) => {
            if store.get(i).is_none_or(|m| tag.is_some_and(|t| t != m.tag)) {
                return Err(ProtocolError::InvalidIndex.into());
            }
            store.delete(i);
        }
        None => {
            store.delete_where(|m| tag.is_none_or(|t| t == m.tag));
        }
    }
    Ok(Tlvs::new())
}

pub(super) fn list(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let st = storage_tlv(req)?;
    let tag = tag_filter(req, 0x11)?;
    check_mode(req, 0x12)?;
    let list: Vec<_> = ctx
        .dev
        .messaging
        .store(st)
        .iter()
        .filter(|(_, m)| tag.is_none_or(|t| t == m.tag))
        .map(|(i, m)| (i, m.tag))
        .collect();
    let mut t = Tlvs::new();
    t.with(0x01, |w| {
        w.u32(list.len() as u32);
        for (i, tag) in list {
            w.u32(i).u8(tag as u8);
        }
    });
    Ok(t)
}

pub(super) fn store_max_size(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let st = storage_tlv(req)?;
    check_mode(req, 0x10)?;
    let s = ctx.dev.messaging.store(st);
    let mut t = Tlvs::new();
    t.u32(0x01, s.capacity() as u32)
        .u32(0x10, (s.capacity() - s.used()) as u32);
    Ok(t)
}

/// Sends a stored outgoing message; once sent it is tagged "MO sent".
pub(super) fn send_from_storage(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let (st, index, mode) = req.parse_need(0x01, |r| slot_and(r, "message mode"))?;
    req.u8(0x10)?;
    if mode != MODE_GSM_WCDMA {
        return Err(ProtocolError::InvalidArgument.into());
    }
    let st = storage(st)?;
    let m = stored(ctx, st, index)?;
    if m.tag.is_mt() {
        return Err(ProtocolError::InvalidArgument.into());
    }
    let pdu = m.pdu.clone();
    let t = submit(&pdu, ctx, 0x10, 0x13)?;
    if let Some(m) = ctx.dev.messaging.store_mut(st).get_mut(index) {
        m.tag = Tag::MoSent;
    }
    Ok(t)
}
