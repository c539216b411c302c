//! DEVICE_SERVICES and DEVICE_SERVICE_SUBSCRIBE_LIST.

use super::super::services::served;
use super::super::Done;
use super::{BasicConnect, Cmd};
use crate::model::Device;
use crate::wire::mbim::ib::{Reader, Writer};
use crate::wire::mbim::{Status, Uuid};

/// Device service streams (DSS) are not offered.
const MAX_DSS_SESSIONS: u32 = 0;

/// One MbimDeviceServiceElement: the service, DSS fields, its CIDs.
fn element(service: &Uuid, cids: &[u32]) -> Vec<u8> {
    let mut w = Writer::new();
    w.uuid(service).u32(0).u32(0).u32(cids.len() as u32);
    for c in cids {
        w.u32(*c);
    }
    w.finish()
}

/// Every service `mbim::services` serves, with its CIDs.
pub(super) fn device_services(dev: &Device) -> Done {
    let list = served(dev);
    let mut w = Writer::new();
    w.u32(list.len() as u32).u32(MAX_DSS_SESSIONS);
    for s in &list {
        w.ol(&element(&s.service, s.cids));
    }
    Done::ok(w.finish())
}

/// One MbimEventEntry: a service and the CIDs to notify.
fn event_entry(r: Reader<'_>) -> Option<(Uuid, Vec<u32>)> {
    let service = r.uuid(0).ok()?;
    let n = r.u32(16).ok()? as usize;
    // Each CID takes 4 bytes of the entry: bound the count by the data.
    if n > r.len() / 4 {
        return None;
    }
    let cids = (0..n)
        .map(|i| r.u32(20 + 4 * i).ok())
        .collect::<Option<Vec<u32>>>()?;
    Some((service, cids))
}

impl BasicConnect {
    pub(super) fn subscribe_list(&mut self, c: &Cmd<'_>) -> Result<Done, Done> {
        let bad = || Done::fail(Status::INVALID_PARAMETERS);
        let n = c.u32(0)? as usize;
        if n > c.info.len() / 8 {
            return Err(bad());
        }
        let mut entries = Vec::with_capacity(n);
        for i in 0..n {
            let at = 4 + 8 * i;
            let s = c.info.structure(at).map_err(|_| bad())?;
            entries.push(event_entry(s).ok_or_else(bad)?);
        }
        self.subscribed = Some(entries.clone());
        let mut w = Writer::new();
        w.u32(entries.len() as u32);
        for (s, cids) in &entries {
            let mut e = Writer::new();
            e.uuid(s).u32(cids.len() as u32);
            for c in cids {
                e.u32(*c);
            }
            w.ol(&e.finish());
        }
        Ok(Done::ok(w.finish()))
    }
}
