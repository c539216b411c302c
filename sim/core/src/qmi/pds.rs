//! PDS (service 6): the older position service, which ModemManager 1.20
//! prefers over LOC when the module has both (as a 9x15 does). On the
//! model's receiver (`model::gnss`); IDs and TLV layouts as libqmi's
//! qmi-service-pds.json gives them.
//!
//! GPS service state on holds a session for PDS; the Event Report
//! indication carries one NMEA sentence per indication to clients that
//! asked for NMEA position reporting.

use super::table::{self, msg, Handler, Message, MessageName};
use super::{Ctx, Indication, Reply, Req, Service, Tlvs};
use crate::model::gnss::Holder;
use crate::model::{Device, DeviceEvent};
use crate::wire::{ProtocolError, ServiceId};
use std::collections::BTreeMap;

pub const RESET: u16 = 0x0000;
pub const SET_EVENT_REPORT: u16 = 0x0001;
pub const EVENT_REPORT_IND: u16 = 0x0001;
pub const GET_GPS_SERVICE_STATE: u16 = 0x0020;
pub const SET_GPS_SERVICE_STATE: u16 = 0x0021;
pub const GET_DEFAULT_TRACKING_SESSION: u16 = 0x0029;
pub const SET_DEFAULT_TRACKING_SESSION: u16 = 0x002A;
pub const GET_AGPS_CONFIG: u16 = 0x002E;
pub const SET_AGPS_CONFIG: u16 = 0x002F;
pub const GET_AUTO_TRACKING_STATE: u16 = 0x0030;
pub const SET_AUTO_TRACKING_STATE: u16 = 0x0031;

/// QmiPdsTrackingSessionState.
const SESSION_INACTIVE: u8 = 1;
const SESSION_ACTIVE: u8 = 2;

/// The longest SUPL server URL kept (a one-byte length on the wire).
const MAX_URL: usize = 255;

pub(crate) const MESSAGES: &[Message<Handler<Pds>>] = &[
    msg(RESET, "reset", |s, _, c| {
        s.clients.insert(c.client, false);
        Ok(Tlvs::new())
    }),
    msg(SET_EVENT_REPORT, "set-event-report", |s, r, c| {
        // Reporting switches other than NMEA are accepted and ignored:
        // this engine has nothing else to report.
        for ty in 0x11..=0x23 {
            r.u8(ty)?;
        }
        if let Some(v) = r.u8(0x10)? {
            s.clients.insert(c.client, v != 0);
        }
        Ok(Tlvs::new())
    }),
    msg(GET_GPS_SERVICE_STATE, "get-gps-service-state", |_, _, c| {
        let on = c.dev.gnss.holds(Holder::Pds);
        let session = if c.dev.gnss.running() {
            SESSION_ACTIVE
        } else {
            SESSION_INACTIVE
        };
        let mut t = Tlvs::new();
        t.push(0x01, [on as u8, session]);
        Ok(t)
    }),
    msg(SET_GPS_SERVICE_STATE, "set-gps-service-state", |_, r, c| {
        let on = r.parse_need(0x01, |r| r.u8("state"))? != 0;
        let changed = if on {
            c.dev.gnss_start(Holder::Pds, c.now)
        } else {
            c.dev.gnss.stop(Holder::Pds)
        };
        if changed {
            Ok(Tlvs::new())
        } else {
            // ModemManager expects this when the state already holds.
            Err(ProtocolError::NoEffect.into())
        }
    }),
    msg(
        GET_DEFAULT_TRACKING_SESSION,
        "get-default-tracking-session",
        |s, _, _| {
            let d = s.tracking;
            let mut t = Tlvs::new();
            t.with(0x01, |w| {
                w.u8(d.mode)
                    .u8(d.timeout_s)
                    .u32(d.interval_ms)
                    .u32(d.accuracy_m);
            });
            Ok(t)
        },
    ),
    msg(
        SET_DEFAULT_TRACKING_SESSION,
        "set-default-tracking-session",
        |s, r, _| {
            let d = r.parse_need(0x01, |r| {
                Ok(Tracking {
                    mode: r.u8("operation")?,
                    timeout_s: r.u8("timeout")?,
                    interval_ms: r.u32("interval")?,
                    accuracy_m: r.u32("accuracy")?,
                })
            })?;
            // QmiPdsOperatingMode: standalone, MS-based, MS-assisted.
            if d.mode > 2 || d.interval_ms == 0 {
                return Err(ProtocolError::InvalidArgument.into());
            }
            s.tracking = d;
            Ok(Tlvs::new())
        },
    ),
    msg(GET_AGPS_CONFIG, "get-agps-config", |s, r, _| {
        r.u8(0x12)?;
        let mut t = Tlvs::new();
        t.with(0x10, |w| {
            w.u32(s.supl_ip).u32(s.supl_port);
        });
        if !s.supl_url.is_empty() {
            t.with(0x11, |w| {
                w.u8(s.supl_url.len() as u8).bytes(&s.supl_url);
            });
        }
        Ok(t)
    }),
    msg(SET_AGPS_CONFIG, "set-agps-config", |s, r, _| {
        r.u8(0x14)?;
        let addr = r.parse(0x10, |r| Ok((r.u32("ip")?, r.u32("port")?)))?;
        let url = r.parse(0x11, |r| Ok(r.str_u8("url")?.to_vec()))?;
        if addr.is_none() && url.is_none() {
            return Err(ProtocolError::MissingArgument.into());
        }
        if let Some((ip, port)) = addr {
            (s.supl_ip, s.supl_port) = (ip, port);
        }
        if let Some(u) = url {
            if u.len() > MAX_URL {
                return Err(ProtocolError::InvalidArgument.into());
            }
            s.supl_url = u;
        }
        Ok(Tlvs::new())
    }),
    msg(
        GET_AUTO_TRACKING_STATE,
        "get-auto-tracking-state",
        |s, _, _| {
            let mut t = Tlvs::new();
            t.push(0x01, [s.auto_tracking as u8]);
            Ok(t)
        },
    ),
    msg(
        SET_AUTO_TRACKING_STATE,
        "set-auto-tracking-state",
        |s, r, _| {
            let on = r.parse_need(0x01, |r| r.u8("state"))? != 0;
            if on == s.auto_tracking {
                return Err(ProtocolError::NoEffect.into());
            }
            s.auto_tracking = on;
            Ok(Tlvs::new())
        },
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tracking {
    mode: u8,
    timeout_s: u8,
    interval_ms: u32,
    accuracy_m: u32,
}

#[derive(Debug)]
pub struct Pds {
    /// Per client: NMEA position reporting on.
    clients: BTreeMap<u8, bool>,
    tracking: Tracking,
    auto_tracking: bool,
    supl_ip: u32,
    supl_port: u32,
    supl_url: Vec<u8>,
}

impl Default for Pds {
    fn default() -> Self {
        Pds {
            clients: BTreeMap::new(),
            // Standalone, 255 s timeout, 1 s fixes, 50 m.
            tracking: Tracking {
                mode: 0,
                timeout_s: 255,
                interval_ms: 1000,
                accuracy_m: 50,
            },
            auto_tracking: false,
            supl_ip: 0,
            supl_port: 0,
            supl_url: Vec::new(),
        }
    }
}

impl Service for Pds {
    fn id(&self) -> ServiceId {
        ServiceId::Pds
    }
    fn version(&self) -> (u16, u16) {
        // PDS version of SWI9X15C firmware (inferred).
        (1, 13)
    }
    fn name(&self) -> &'static str {
        "pds"
    }
    fn messages(&self) -> Vec<MessageName> {
        table::names(MESSAGES)
    }
    fn handle(&mut self, req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
        table::dispatch(MESSAGES, self, req, ctx)
    }
    fn client_added(&mut self, client: u8) {
        self.clients.insert(client, false);
    }
    fn client_removed(&mut self, client: u8) {
        self.clients.remove(&client);
    }
    fn indications(&mut self, ev: &DeviceEvent, dev: &Device, out: &mut Vec<Indication>) {
        let DeviceEvent::GnssEpoch(e) = ev else {
            return;
        };
        let wanted: Vec<u8> = self
            .clients
            .iter()
            .filter(|(_, &on)| on)
            .map(|(&c, _)| c)
            .collect();
        if wanted.is_empty() {
            return;
        }
        let utc = dev.clock(e.at).utc_seconds();
        for s in crate::serial::nmea::sentences::epoch(utc, e.fix.as_ref()) {
            for &client in &wanted {
                let mut t = Tlvs::new();
                t.str(0x10, s.trim_end());
                out.push(Indication {
                    client,
                    id: EVENT_REPORT_IND,
                    tlvs: t,
                });
            }
        }
    }
}
