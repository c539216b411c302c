//! CONNECT and IP_CONFIGURATION: MBIM sessions on the model's bearers,
//! the same ones QMI WDS Start Network sets up.

use super::super::values::{activation, ip_type};
use super::super::Done;
use super::device::MAX_SESSIONS;
use super::{BasicConnect, Cmd, Session};
use crate::model::{Bearer, CallEnd, Device, IpFamily, SimState};
use crate::wire::mbim::ib::Writer;
use crate::wire::mbim::{Status, Uuid};

const DEACTIVATE: u32 = 0;
const ACTIVATE: u32 = 1;
const VOICE_CALL_NONE: u32 = 0;
/// IPv4/IPv6 configuration available: address, gateway, DNS, MTU.
const CONFIG_ALL: u32 = 0b1111;

fn state(session: u32, act: u32, ip: u32, ctx: &Uuid, nw_error: u32) -> Vec<u8> {
    let mut w = Writer::new();
    w.u32(session)
        .u32(act)
        .u32(VOICE_CALL_NONE)
        .u32(ip)
        .uuid(ctx)
        .u32(nw_error);
    w.finish()
}

fn deactivated(session: u32) -> Vec<u8> {
    state(
        session,
        activation::DEACTIVATED,
        ip_type::DEFAULT,
        &Uuid::CONTEXT_NONE,
        0,
    )
}

/// The families a session asks for, given what the APN offers.
fn families(ip: u32, v6_offered: bool) -> Option<(Vec<IpFamily>, u32)> {
    Some(match ip {
        ip_type::IPV4 => (vec![IpFamily::V4], ip),
        ip_type::IPV6 => (vec![IpFamily::V6], ip),
        ip_type::IPV4V6 | ip_type::IPV4_AND_IPV6 | ip_type::DEFAULT if v6_offered => (
            vec![IpFamily::V4, IpFamily::V6],
            if ip == ip_type::DEFAULT {
                ip_type::IPV4V6
            } else {
                ip
            },
        ),
        ip_type::IPV4V6 | ip_type::IPV4_AND_IPV6 | ip_type::DEFAULT => {
            (vec![IpFamily::V4], ip_type::IPV4)
        }
        _ => return None,
    })
}

/// Why the model refused a bearer, as a status and 3GPP cause.
fn refused(end: CallEnd, dev: &Device) -> Done {
    let status = match end {
        CallEnd::NoService if !dev.mode.radio_on() => Status::RADIO_POWER_OFF,
        CallEnd::NoService => Status::NOT_REGISTERED,
        CallEnd::SimNotReady if dev.sim.state == SimState::Absent => Status::SIM_NOT_INSERTED,
        CallEnd::SimNotReady => Status::PIN_REQUIRED,
        CallEnd::UnknownApn | CallEnd::FamilyNotAllowed => Status::FAILURE,
    };
    Done {
        status,
        info: Vec::new(),
    }
}

impl BasicConnect {
    pub(super) fn connect(&mut self, c: &Cmd<'_>, dev: &mut Device) -> Result<Done, Done> {
        let session = c.u32(0)?;
        if session >= MAX_SESSIONS {
            return Err(Status::INVALID_PARAMETERS.into());
        }
        if !c.set {
            return Ok(Done::ok(self.session_state(session)));
        }
        let command = c.u32(4)?;
        let apn = c.string(8)?;
        c.string(16)?;
        c.string(24)?;
        let ip = c.u32(40)?;
        let ctx = c
            .info
            .uuid(44)
            .map_err(|_| Done::fail(Status::INVALID_PARAMETERS))?;
        match command {
            ACTIVATE => self.activate(session, &apn, ip, ctx, dev),
            DEACTIVATE => {
                let Some(s) = self.sessions.remove(&session) else {
                    return Err(Status::CONTEXT_NOT_ACTIVATED.into());
                };
                for h in s.handles {
                    dev.stop_network(h);
                }
                Ok(Done::ok(deactivated(session)))
            }
            _ => Err(Status::INVALID_PARAMETERS.into()),
        }
    }

    fn activate(
        &mut self,
        session: u32,
        apn: &str,
        ip: u32,
        ctx: Uuid,
        dev: &mut Device,
    ) -> Result<Done, Done> {
        if self.sessions.contains_key(&session) {
            // Asking again for a session that is up changes nothing.
            return Ok(Done::ok(self.session_state(session)));
        }
        if dev.sim.is_ready() && dev.registration.is_registered() && !dev.selection.ps_attached {
            return Err(Status::PACKET_SERVICE_DETACHED.into());
        }
        // No access string: the default stored context's APN, as for QMI.
        let apn = &dev.call_apn(Some(apn), dev.pdp_profiles.default_profile());
        let v6_offered = dev
            .profile
            .network
            .apn
            .iter()
            .any(|a| a.name.eq_ignore_ascii_case(apn) && a.ipv6_address.is_some());
        let (fams, ip) = families(ip, v6_offered).ok_or(Done::fail(Status::INVALID_PARAMETERS))?;
        let mut handles = Vec::new();
        for f in fams {
            match dev.start_network(apn, f) {
                Ok(h) => handles.push(h),
                Err(end) => {
                    for h in handles {
                        dev.stop_network(h);
                    }
                    let mut d = refused(end, dev);
                    if let Some(cause) = end.cause_3gpp() {
                        d.info = state(session, activation::DEACTIVATED, ip, &ctx, cause as u32);
                    }
                    return Err(d);
                }
            }
        }
        let context_type = if ctx == Uuid::CONTEXT_NONE || ctx == Uuid::default() {
            Uuid::CONTEXT_INTERNET
        } else {
            ctx
        };
        self.sessions.insert(
            session,
            Session {
                handles,
                ip_type: ip,
                context_type,
            },
        );
        Ok(Done::ok(self.session_state(session)))
    }

    fn session_state(&self, session: u32) -> Vec<u8> {
        match self.sessions.get(&session) {
            Some(s) => state(
                session,
                activation::ACTIVATED,
                s.ip_type,
                &s.context_type,
                0,
            ),
            None => deactivated(session),
        }
    }

    /// A bearer went down without the host asking: its session ends, and
    /// the host hears of it.
    pub(super) fn bearer_lost(&mut self, handle: u32) -> Option<Vec<u8>> {
        let (&id, _) = self
            .sessions
            .iter()
            .find(|(_, s)| s.handles.contains(&handle))?;
        self.sessions.remove(&id);
        Some(deactivated(id))
    }

    pub(super) fn ip_configuration(&self, c: &Cmd<'_>, dev: &Device) -> Result<Done, Done> {
        let session = c.u32(0)?;
        let Some(s) = self.sessions.get(&session) else {
            return Err(Status::CONTEXT_NOT_ACTIVATED.into());
        };
        let bearers: Vec<&Bearer> = s.handles.iter().filter_map(|&h| dev.bearer(h)).collect();
        let v4 = bearers.iter().find(|b| b.family == IpFamily::V4);
        let v6 = bearers
            .iter()
            .find(|b| b.family == IpFamily::V6)
            .and_then(|b| b.ipv6().map(|a| (a, &b.settings)));
        let mut w = Writer::new();
        w.u32(session)
            .u32(if v4.is_some() { CONFIG_ALL } else { 0 })
            .u32(if v6.is_some() { CONFIG_ALL } else { 0 });
        match v4 {
            Some(b) => {
                let (addr, prefix, _) = b.ipv4();
                let mut el = (prefix as u32).to_le_bytes().to_vec();
                el.extend_from_slice(&addr.octets());
                w.u32(1).offset(&el);
            }
            None => {
                w.u32(0).offset(&[]);
            }
        }
        match v6 {
            Some(((addr, prefix, _), _)) => {
                let mut el = (prefix as u32).to_le_bytes().to_vec();
                el.extend_from_slice(&addr.octets());
                w.u32(1).offset(&el);
            }
            None => {
                w.u32(0).offset(&[]);
            }
        }
        w.offset(&v4.map(|b| b.ipv4().2.octets().to_vec()).unwrap_or_default());
        w.offset(
            &v6.and_then(|((_, _, gw), _)| gw)
                .map(|g| g.octets().to_vec())
                .unwrap_or_default(),
        );
        let dns4: Vec<u8> = v4
            .map(|b| {
                b.settings
                    .ipv4_dns
                    .iter()
                    .flat_map(|a| a.octets())
                    .collect()
            })
            .unwrap_or_default();
        w.u32((dns4.len() / 4) as u32).offset(&dns4);
        let dns6: Vec<u8> = v6
            .map(|(_, s)| s.ipv6_dns.iter().flat_map(|a| a.octets()).collect())
            .unwrap_or_default();
        w.u32((dns6.len() / 16) as u32).offset(&dns6);
        w.u32(v4.map(|b| b.settings.mtu).unwrap_or(0))
            .u32(v6.map(|(_, s)| s.mtu).unwrap_or(0));
        Ok(Done::ok(w.finish()))
    }
}
