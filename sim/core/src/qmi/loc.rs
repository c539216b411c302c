//! LOC (service 16): the GNSS location service of Qualcomm firmware, on
//! the model's receiver (`model::gnss`). IDs and TLV layouts as libqmi's
//! qmi-service-loc.json gives them.
//!
//! LOC answers a request at once and, for the get/set requests, reports
//! the outcome in an indication of the same ID (status TLV 0x01). A client
//! that starts a session holds the receiver until it stops or releases its
//! client ID. Epochs reach the clients registered for them: NMEA (one
//! sentence per indication, of the enabled NMEA types) and, with a fix,
//! Position Report.

use super::table::{self, msg, Handler, Message, MessageName};
use super::{Ctx, Indication, Reply, Req, Service, Tlvs};
use crate::model::calendar::GPS_LEAP_SECONDS;
use crate::model::gnss::{Epoch, Holder};
use crate::model::{Device, DeviceEvent};
use crate::wire::{ProtocolError, ServiceId};
use std::collections::BTreeMap;

pub const REGISTER_EVENTS: u16 = 0x0021;
pub const START: u16 = 0x0022;
pub const STOP: u16 = 0x0023;
pub const POSITION_REPORT_IND: u16 = 0x0024;
pub const NMEA_IND: u16 = 0x0026;
pub const SET_ENGINE_LOCK: u16 = 0x003A;
pub const GET_ENGINE_LOCK: u16 = 0x003B;
pub const SET_NMEA_TYPES: u16 = 0x003E;
pub const GET_NMEA_TYPES: u16 = 0x003F;
pub const DELETE_ASSISTANCE_DATA: u16 = 0x0044;
pub const SET_OPERATION_MODE: u16 = 0x004A;
pub const GET_OPERATION_MODE: u16 = 0x004B;

/// QmiLocEventRegistrationFlag bits.
pub mod event {
    pub const POSITION_REPORT: u64 = 1 << 0;
    pub const NMEA: u64 = 1 << 2;
}

/// QmiLocNmeaType bits, in the order the NMEA port sends them.
pub mod nmea_type {
    pub const GGA: u32 = 1 << 0;
    pub const RMC: u32 = 1 << 1;
    pub const GSV: u32 = 1 << 2;
    pub const GSA: u32 = 1 << 3;
    pub const VTG: u32 = 1 << 4;
    /// What this engine emits.
    pub const SUPPORTED: u32 = GGA | RMC | GSV | GSA | VTG;
}

/// QmiLocIndicationStatus and QmiLocSessionStatus values used.
const STATUS_SUCCESS: u32 = 0;
const STATUS_INVALID_PARAMETER: u32 = 3;

/// QmiLocOperationMode: 1 = default .. 6 = WWAN; QmiLocLockType: 1 = none
/// .. 4 = all.
const OPERATION_MODES: core::ops::RangeInclusive<u32> = 1..=6;
const LOCK_TYPES: core::ops::RangeInclusive<u32> = 1..=4;

pub(crate) const MESSAGES: &[Message<Handler<Loc>>] = &[
    msg(REGISTER_EVENTS, "register-events", |s, r, c| {
        let mask = r.parse_need(0x01, |r| r.u64("mask"))?;
        s.client(c.client).events = mask;
        Ok(Tlvs::new())
    }),
    msg(START, "start", |s, r, c| s.start(r, c)),
    msg(STOP, "stop", |s, r, c| s.stop(r, c)),
    msg(SET_ENGINE_LOCK, "set-engine-lock", |s, r, c| {
        let v = r.parse_need(0x01, |r| r.u32("lock type"))?;
        let ok = LOCK_TYPES.contains(&v);
        if ok {
            s.engine_lock = v;
        }
        s.status(c.client, SET_ENGINE_LOCK, ok, Tlvs::new());
        Ok(Tlvs::new())
    }),
    msg(GET_ENGINE_LOCK, "get-engine-lock", |s, _, c| {
        let mut t = Tlvs::new();
        t.u32(0x10, s.engine_lock);
        s.status(c.client, GET_ENGINE_LOCK, true, t);
        Ok(Tlvs::new())
    }),
    msg(SET_NMEA_TYPES, "set-nmea-types", |s, r, c| {
        let v = r.parse_need(0x01, |r| r.u32("nmea types"))?;
        s.nmea_types = v & nmea_type::SUPPORTED;
        s.status(c.client, SET_NMEA_TYPES, true, Tlvs::new());
        Ok(Tlvs::new())
    }),
    msg(GET_NMEA_TYPES, "get-nmea-types", |s, _, c| {
        let mut t = Tlvs::new();
        t.u32(0x10, s.nmea_types);
        s.status(c.client, GET_NMEA_TYPES, true, t);
        Ok(Tlvs::new())
    }),
    msg(
        DELETE_ASSISTANCE_DATA,
        "delete-assistance-data",
        |s, r, c| {
            // Without assistance data the next start is cold.
            let all = r.u8(0x01)?.is_some_and(|v| v != 0);
            if all {
                c.dev.gnss.last_fix = None;
                c.dev.gnss.forget_first_start();
            }
            s.status(c.client, DELETE_ASSISTANCE_DATA, true, Tlvs::new());
            Ok(Tlvs::new())
        },
    ),
    msg(SET_OPERATION_MODE, "set-operation-mode", |s, r, c| {
        let v = r.parse_need(0x01, |r| r.u32("operation mode"))?;
        let ok = OPERATION_MODES.contains(&v);
        if ok {
            s.operation_mode = v;
        }
        s.status(c.client, SET_OPERATION_MODE, ok, Tlvs::new());
        Ok(Tlvs::new())
    }),
    msg(GET_OPERATION_MODE, "get-operation-mode", |s, _, c| {
        let mut t = Tlvs::new();
        t.u32(0x10, s.operation_mode);
        s.status(c.client, GET_OPERATION_MODE, true, t);
        Ok(Tlvs::new())
    }),
];

#[derive(Debug, Default, Clone)]
struct Client {
    events: u64,
    /// The session this client started, by its ID.
    session: Option<u8>,
}

#[derive(Debug)]
pub struct Loc {
    clients: BTreeMap<u8, Client>,
    /// Released clients whose sessions `settle` still has to stop.
    released: Vec<u8>,
    nmea_types: u32,
    operation_mode: u32,
    engine_lock: u32,
    follow: Vec<Indication>,
}

impl Default for Loc {
    fn default() -> Self {
        Loc {
            clients: BTreeMap::new(),
            released: Vec::new(),
            nmea_types: nmea_type::SUPPORTED,
            // Standalone-capable default mode; no lock.
            operation_mode: 1,
            engine_lock: 1,
            follow: Vec::new(),
        }
    }
}

/// Follow-up indications kept for one request at most: one each.
const MAX_FOLLOW: usize = 64;

impl Loc {
    fn client(&mut self, id: u8) -> &mut Client {
        self.clients.entry(id).or_default()
    }

    /// The indication reporting a request's outcome.
    fn status(&mut self, client: u8, id: u16, ok: bool, mut tlvs: Tlvs) {
        let status = if ok {
            STATUS_SUCCESS
        } else {
            STATUS_INVALID_PARAMETER
        };
        tlvs.0
            .insert(0, crate::wire::tlv::Tlv::new(0x01, status.to_le_bytes()));
        if self.follow.len() < MAX_FOLLOW {
            self.follow.push(Indication { client, id, tlvs });
        }
    }

    fn start(&mut self, r: &Req<'_>, c: &mut Ctx<'_>) -> Reply {
        let session = r.parse_need(0x01, |r| r.u8("session id"))?;
        // Recurrence (0x10), accuracy (0x11), intermediate reports (0x12)
        // and the interval (0x13) must be well formed; fixes come at 1 Hz.
        for ty in [0x10, 0x11, 0x12, 0x13] {
            r.u32(ty)?;
        }
        c.dev.gnss_start(Holder::Loc(c.client), c.now);
        self.client(c.client).session = Some(session);
        Ok(Tlvs::new())
    }

    fn stop(&mut self, r: &Req<'_>, c: &mut Ctx<'_>) -> Reply {
        let session = r.parse_need(0x01, |r| r.u8("session id"))?;
        let cl = self.client(c.client);
        if cl.session != Some(session) {
            return Err(ProtocolError::InvalidArgument.into());
        }
        cl.session = None;
        c.dev.gnss.stop(Holder::Loc(c.client));
        Ok(Tlvs::new())
    }

    fn epoch(&self, e: &Epoch, dev: &Device, out: &mut Vec<Indication>) {
        let clock = dev.clock(e.at);
        let wanted: Vec<u8> = self
            .clients
            .iter()
            .filter(|(_, c)| c.events & event::NMEA != 0)
            .map(|(&id, _)| id)
            .collect();
        if !wanted.is_empty() {
            let sentences =
                crate::serial::nmea::sentences::epoch(clock.utc_seconds(), e.fix.as_ref());
            for s in sentences.iter().filter(|s| self.type_enabled(s)) {
                let text = s.trim_end();
                for &client in &wanted {
                    let mut t = Tlvs::new();
                    // A NUL-terminated string, as the firmware sends it.
                    t.push(0x01, [text.as_bytes(), &[0]].concat());
                    out.push(Indication {
                        client,
                        id: NMEA_IND,
                        tlvs: t,
                    });
                }
            }
        }
        let Some(p) = e.fix else { return };
        for (&client, c) in &self.clients {
            if c.events & event::POSITION_REPORT == 0 {
                continue;
            }
            let gps_ms = clock.gps_millis();
            let week_ms = 7 * 86_400_000;
            let mut t = Tlvs::new();
            t.u32(0x01, STATUS_SUCCESS)
                .u8(0x02, c.session.unwrap_or(0))
                .push(0x10, p.latitude.to_le_bytes())
                .push(0x11, p.longitude.to_le_bytes())
                .push(0x12, 5.0f32.to_le_bytes())
                .u8(0x16, 68)
                .u32(0x17, 4)
                .push(0x18, (p.speed_mps as f32).to_le_bytes())
                .push(0x1B, (p.altitude_m as f32).to_le_bytes())
                .push(0x1C, 8.0f32.to_le_bytes())
                .push(0x20, (p.course_deg as f32).to_le_bytes())
                .u32(0x23, 1)
                .with(0x24, |w| {
                    for v in [1.6f32, 0.9, 1.3] {
                        w.bytes(&v.to_le_bytes());
                    }
                })
                .u64(0x25, clock.utc_millis.max(0) as u64)
                .u8(0x26, GPS_LEAP_SECONDS as u8)
                .with(0x27, |w| {
                    w.u16((gps_ms / week_ms) as u16)
                        .u32((gps_ms % week_ms) as u32);
                })
                // Time source: navigation solution.
                .u32(0x29, 7)
                .u32(0x2B, e.fix_count)
                .u8(0x2D, 0);
            out.push(Indication {
                client,
                id: POSITION_REPORT_IND,
                tlvs: t,
            });
        }
    }

    fn type_enabled(&self, sentence: &str) -> bool {
        let bit = match sentence.get(3..6) {
            Some("GGA") => nmea_type::GGA,
            Some("RMC") => nmea_type::RMC,
            Some("GSV") => nmea_type::GSV,
            Some("GSA") => nmea_type::GSA,
            Some("VTG") => nmea_type::VTG,
            _ => 0,
        };
        self.nmea_types & bit != 0
    }
}

impl Service for Loc {
    fn id(&self) -> ServiceId {
        ServiceId::Loc
    }
    fn version(&self) -> (u16, u16) {
        // LOC version of SWI9X15C firmware (inferred).
        (2, 0)
    }
    fn name(&self) -> &'static str {
        "loc"
    }
    fn messages(&self) -> Vec<MessageName> {
        table::names(MESSAGES)
    }
    fn handle(&mut self, req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
        table::dispatch(MESSAGES, self, req, ctx)
    }
    fn client_added(&mut self, client: u8) {
        self.clients.insert(client, Client::default());
    }
    fn client_removed(&mut self, client: u8) {
        if self
            .clients
            .remove(&client)
            .is_some_and(|c| c.session.is_some())
        {
            self.released.push(client);
        }
    }
    fn settle(&mut self, dev: &mut Device) {
        for c in self.released.drain(..) {
            dev.gnss.stop(Holder::Loc(c));
        }
    }
    fn follow_ups(&mut self, out: &mut Vec<Indication>) {
        out.append(&mut self.follow);
    }
    fn indications(&mut self, ev: &DeviceEvent, dev: &Device, out: &mut Vec<Indication>) {
        if let DeviceEvent::GnssEpoch(e) = ev {
            self.epoch(e, dev, out);
        }
    }
}
