//! The MBIM SMS service (MBIM 1.0 §10.5.16–20), PDU format, on the
//! device's one message store: CONFIGURATION, READ, SEND, DELETE and
//! MESSAGE_STORE_STATUS, and the READ and MESSAGE_STORE_STATUS
//! notifications. MBIM has one message store: the one new messages go to
//! (`Messaging::preferred_storage`, also AT's +CPMS mem3). Its indexes
//! count from 1 (0 is "none"), store slot N being index N + 1.

use super::Done;
use crate::model::sms::{SmsEvent, Stored, SubmitError, Tag};
use crate::model::{Device, SimState};
use crate::time::Instant;
use crate::wire::mbim::ib::{Reader, Writer};
use crate::wire::mbim::Status;

pub mod cid {
    pub const CONFIGURATION: u32 = 1;
    pub const READ: u32 = 2;
    pub const SEND: u32 = 3;
    pub const DELETE: u32 = 4;
    pub const MESSAGE_STORE_STATUS: u32 = 5;
}

/// The CIDs served, as Device Services lists them.
pub const SUPPORTED: &[u32] = &[
    cid::CONFIGURATION,
    cid::READ,
    cid::SEND,
    cid::DELETE,
    cid::MESSAGE_STORE_STATUS,
];

const FORMAT_PDU: u32 = 0;
const STORAGE_INITIALIZED: u32 = 1;
const STORAGE_NOT_INITIALIZED: u32 = 0;

/// MbimSmsFlag.
mod flag {
    pub const ALL: u32 = 0;
    pub const INDEX: u32 = 1;
    pub const NEW: u32 = 2;
    pub const OLD: u32 = 3;
    pub const SENT: u32 = 4;
    pub const DRAFT: u32 = 5;
}

/// MbimSmsStatusFlag.
const STATUS_FLAG_NONE: u32 = 0;
const STATUS_FLAG_FULL: u32 = 1;
const STATUS_FLAG_NEW: u32 = 2;

fn status_of(tag: Tag) -> u32 {
    match tag {
        Tag::MtNotRead => 0,
        Tag::MtRead => 1,
        Tag::MoNotSent => 2,
        Tag::MoSent => 3,
    }
}

fn matches(f: u32, tag: Tag) -> bool {
    match f {
        flag::NEW => tag == Tag::MtNotRead,
        flag::OLD => tag == Tag::MtRead,
        flag::SENT => tag == Tag::MoSent,
        flag::DRAFT => tag == Tag::MoNotSent,
        _ => true,
    }
}

fn need_sim(dev: &Device) -> Result<(), Done> {
    match dev.sim.state {
        SimState::Ready => Ok(()),
        SimState::Absent => Err(Status::SIM_NOT_INSERTED.into()),
        SimState::PinRequired | SimState::PukRequired => Err(Status::PIN_REQUIRED.into()),
        SimState::Blocked => Err(Status::BAD_SIM.into()),
    }
}

fn bad() -> Done {
    Status::INVALID_PARAMETERS.into()
}

fn u32_at(r: &Reader<'_>, at: usize) -> Result<u32, Done> {
    r.u32(at).map_err(|_| bad())
}

/// One command of the SMS service.
pub fn command(cid: u32, set: bool, info: &[u8], dev: &mut Device, now: Instant) -> Done {
    let r = Reader::new(info);
    let out = match (cid, set) {
        (cid::CONFIGURATION, false) => Ok(configuration(dev)),
        (cid::CONFIGURATION, true) => set_configuration(&r, dev),
        (cid::READ, false) => read(&r, dev),
        (cid::SEND, true) => send(info, dev, now),
        (cid::DELETE, true) => delete(&r, dev),
        (cid::MESSAGE_STORE_STATUS, false) => need_sim(dev).map(|_| store_status(dev, None)),
        _ => Err(Status::NO_DEVICE_SUPPORT.into()),
    };
    out.unwrap_or_else(|d| d)
}

fn configuration(dev: &Device) -> Done {
    let m = &dev.messaging;
    let state = if dev.sim.is_ready() {
        STORAGE_INITIALIZED
    } else {
        STORAGE_NOT_INITIALIZED
    };
    let mut w = Writer::new();
    w.u32(state)
        .u32(FORMAT_PDU)
        .u32(m.store(m.preferred_storage()).capacity() as u32)
        .u32(0)
        .string(&m.smsc);
    Done::ok(w.finish())
}

fn set_configuration(r: &Reader<'_>, dev: &mut Device) -> Result<Done, Done> {
    need_sim(dev)?;
    if u32_at(r, 0)? != FORMAT_PDU {
        return Err(Status::SMS_FORMAT_NOT_SUPPORTED.into());
    }
    let sc = r.string(4).map_err(|_| bad())?;
    if !sc.is_empty() {
        if crate::wire::sms::Address::from_number(&sc).is_none() {
            return Err(Status::SMS_UNKNOWN_SMSC_ADDRESS.into());
        }
        dev.messaging.smsc = sc;
    }
    Ok(configuration(dev))
}

/// One MbimSmsPduReadRecord.
fn record(index: u32, m: &Stored) -> Vec<u8> {
    let mut w = Writer::new();
    w.u32(index).u32(status_of(m.tag)).ol(&m.pdu);
    w.finish()
}

/// A READ response or notification carrying `records`.
fn records_info(records: &[Vec<u8>]) -> Vec<u8> {
    let mut w = Writer::new();
    w.u32(FORMAT_PDU).u32(records.len() as u32);
    for r in records {
        w.ol(r);
    }
    w.finish()
}

fn read(r: &Reader<'_>, dev: &mut Device) -> Result<Done, Done> {
    need_sim(dev)?;
    if u32_at(r, 0)? != FORMAT_PDU {
        return Err(Status::SMS_FORMAT_NOT_SUPPORTED.into());
    }
    let f = u32_at(r, 4)?;
    let index = u32_at(r, 8)?;
    let storage = dev.messaging.preferred_storage();
    let store = dev.messaging.store_mut(storage);
    let picked: Vec<u32> = match f {
        flag::INDEX => {
            let slot = index.checked_sub(1).filter(|&s| store.get(s).is_some());
            vec![slot.ok_or(Done::from(Status::INVALID_MEMORY_INDEX))?]
        }
        flag::ALL | flag::NEW | flag::OLD | flag::SENT | flag::DRAFT => store
            .iter()
            .filter(|(_, m)| matches(f, m.tag))
            .map(|(i, _)| i)
            .collect(),
        _ => return Err(bad()),
    };
    let mut records = Vec::with_capacity(picked.len());
    for slot in picked {
        if let Some(m) = store.get_mut(slot) {
            records.push(record(slot + 1, m));
            // A new message read is an old one (MBIM 1.0 §10.5.17).
            if m.tag == Tag::MtNotRead {
                m.tag = Tag::MtRead;
            }
        }
    }
    Ok(Done::ok(records_info(&records)))
}

fn send(info: &[u8], dev: &mut Device, now: Instant) -> Result<Done, Done> {
    need_sim(dev)?;
    let r = Reader::new(info);
    if u32_at(&r, 0)? != FORMAT_PDU {
        return Err(Status::SMS_FORMAT_NOT_SUPPORTED.into());
    }
    // MbimSmsPduSendRecord is embedded: its offset counts from its start.
    let pdu = Reader::new(info.get(4..).unwrap_or(&[]))
        .ol(0)
        .map_err(|_| bad())?;
    match dev.sms_submit(pdu, now) {
        Ok(mr) => {
            let mut w = Writer::new();
            w.u32(u32::from(mr));
            Ok(Done::ok(w.finish()))
        }
        Err(SubmitError::BadPdu) => Err(bad()),
        Err(SubmitError::NoService) => Err(Status::NOT_REGISTERED.into()),
        Err(SubmitError::Rejected { .. }) => Err(Status::FAILURE.into()),
    }
}

fn delete(r: &Reader<'_>, dev: &mut Device) -> Result<Done, Done> {
    need_sim(dev)?;
    let f = u32_at(r, 0)?;
    let index = u32_at(r, 4)?;
    let storage = dev.messaging.preferred_storage();
    let store = dev.messaging.store_mut(storage);
    match f {
        flag::INDEX => {
            let ok = index.checked_sub(1).is_some_and(|s| store.delete(s));
            if !ok {
                return Err(Status::INVALID_MEMORY_INDEX.into());
            }
        }
        flag::ALL | flag::NEW | flag::OLD | flag::SENT | flag::DRAFT => {
            store.delete_where(|m| matches(f, m.tag));
        }
        _ => return Err(bad()),
    }
    Ok(Done::ok(Vec::new()))
}

/// MESSAGE_STORE_STATUS: full, or the newest message (`new`).
fn store_status(dev: &Device, new: Option<u32>) -> Done {
    let m = &dev.messaging;
    let full = m.store_full_forced || m.store(m.preferred_storage()).is_full();
    let (flag, index) = match new {
        Some(i) => (STATUS_FLAG_NEW, i + 1),
        None if full => (STATUS_FLAG_FULL, 0),
        None => (STATUS_FLAG_NONE, 0),
    };
    let mut w = Writer::new();
    w.u32(flag).u32(index);
    Done::ok(w.finish())
}

/// The notifications (CID, buffer) a messaging event calls for.
pub fn indications(ev: &SmsEvent, dev: &Device) -> Vec<(u32, Vec<u8>)> {
    match ev {
        SmsEvent::Stored { storage, index } if *storage == dev.messaging.preferred_storage() => {
            vec![(
                cid::MESSAGE_STORE_STATUS,
                store_status(dev, Some(*index)).info,
            )]
        }
        SmsEvent::StoreFull { .. } => {
            let mut w = Writer::new();
            w.u32(STATUS_FLAG_FULL).u32(0);
            vec![(cid::MESSAGE_STORE_STATUS, w.finish())]
        }
        // A flash message is shown, not stored: index 0, status new.
        SmsEvent::Transferred { pdu, .. } => {
            let m = Stored {
                tag: Tag::MtNotRead,
                pdu: pdu.clone(),
            };
            vec![(cid::READ, records_info(&[record(0, &m)]))]
        }
        _ => vec![],
    }
}

#[cfg(test)]
mod tests;
