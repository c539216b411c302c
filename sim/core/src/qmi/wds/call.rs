//! Call control and the queries about a call: Start/Stop Network, Packet
//! Service Status, Current Settings, bearer technology, rates, statistics,
//! and the per-client and autoconnect settings that shape a call.

use super::*;
use crate::model::{CallEnd, PdpType};
use crate::qmi::Failure;
use crate::wire::tlv::Reader;

/// Connection status values.
pub(super) const DISCONNECTED: u8 = 1;
pub(super) const CONNECTED: u8 = 2;
/// What Get Current Settings returns when the request has no Requested
/// Settings mask: bits 0 to 12 (Sierra's SDK documents the firmware so).
const WITHOUT_MASK: u32 = 0x1FFF;

/// Call End Reason values (generic and GSM/WCDMA).
pub(super) mod cer {
    pub const UNSPECIFIED: u16 = 1;
    pub const CLIENT_END: u16 = 2;
    pub const NO_SERVICE: u16 = 3;
    pub const NETWORK_END: u16 = 1003;
}

/// Verbose Call End Reason: (type, reason).
pub(super) mod verbose {
    pub const INTERNAL: u16 = 2;
    pub const CM: u16 = 3;
    pub const TGPP: u16 = 6;
    pub const APN_DISABLED: i16 = 220;
    pub const IP_VERSION_MISMATCH: i16 = 231;
    pub const INVALID_PROFILE_ID: i16 = 235;
    pub const INTERFACE_IN_USE: i16 = 237;
    pub const CM_CLIENT_END: i16 = 2000;
    pub const CM_NO_SERVICE: i16 = 2001;
    pub const CM_OFFLINE: i16 = 2500;
    pub const REGULAR_DEACTIVATION: i16 = 36;
    pub const IPV4_ONLY_ALLOWED: i16 = 50;
    pub const IPV6_ONLY_ALLOWED: i16 = 51;
}

/// CallFailed with the call end reason and its verbose form.
fn call_failed(reason: u16, vtype: u16, vreason: i16) -> Failure {
    let mut t = Tlvs::new();
    t.u16(0x10, reason).with(0x11, |w| {
        w.u16(vtype).i16(vreason);
    });
    Failure::with_tlvs(ProtocolError::CallFailed, t)
}

/// Why the model refused a call, as a 9x15 reports it.
fn refused(end: CallEnd, family: IpFamily, dev: &Device) -> Failure {
    match end {
        CallEnd::NoService | CallEnd::SimNotReady if !dev.mode.radio_on() => {
            call_failed(cer::NO_SERVICE, verbose::CM, verbose::CM_OFFLINE)
        }
        CallEnd::NoService | CallEnd::SimNotReady => {
            call_failed(cer::NO_SERVICE, verbose::CM, verbose::CM_NO_SERVICE)
        }
        CallEnd::UnknownApn => call_failed(cer::UNSPECIFIED, verbose::TGPP, 27),
        // The network names the family it does offer.
        CallEnd::FamilyNotAllowed => call_failed(
            cer::UNSPECIFIED,
            verbose::TGPP,
            match family {
                IpFamily::V6 => verbose::IPV4_ONLY_ALLOWED,
                IpFamily::V4 => verbose::IPV6_ONLY_ALLOWED,
            },
        ),
    }
}

/// Why a call ended without the host asking (Packet Service Status).
pub(super) fn network_end(dev: &Device) -> (u16, u16, i16) {
    if !dev.mode.radio_on() {
        (cer::NO_SERVICE, verbose::CM, verbose::CM_OFFLINE)
    } else if !dev.registration.is_registered() {
        (cer::NO_SERVICE, verbose::CM, verbose::CM_NO_SERVICE)
    } else {
        (
            cer::NETWORK_END,
            verbose::TGPP,
            verbose::REGULAR_DEACTIVATION,
        )
    }
}

pub(super) fn parse_family(v: u8) -> Result<Option<IpFamily>, Failure> {
    match v {
        4 => Ok(Some(IpFamily::V4)),
        6 => Ok(Some(IpFamily::V6)),
        8 => Ok(None),
        _ => Err(ProtocolError::InvalidArgument.into()),
    }
}

/// A bool TLV: 0 or 1.
pub(super) fn flag(req: &Req<'_>, ty: u8) -> Result<Option<bool>, Failure> {
    match req.u8(ty)? {
        None => Ok(None),
        Some(0) => Ok(Some(false)),
        Some(1) => Ok(Some(true)),
        Some(_) => Err(ProtocolError::InvalidArgument.into()),
    }
}

/// IPv4 netmask from a prefix length.
fn netmask(prefix: u8) -> u32 {
    match prefix {
        0 => 0,
        p => u32::MAX << (32 - p.min(32) as u32),
    }
}

impl Wds {
    pub(super) fn start_network(&mut self, req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
        // Address and NBNS preferences: checked, then left to the network.
        for ty in [0x10, 0x11, 0x12, 0x13, 0x15] {
            req.u32(ty)?;
        }
        if req.u8(0x16)?.is_some_and(|a| a > 3) {
            return Err(ProtocolError::InvalidArgument.into());
        }
        req.u8(0x30)?;
        req.u8(0x32)?;
        req.u16(0x34)?;
        req.u8(0x35)?;
        let family_pref = match req.u8(0x19)? {
            Some(v) => parse_family(v)?,
            None => None,
        };
        let autoconnect = flag(req, 0x33)?;
        let profiles = &ctx.dev.pdp_profiles;
        let profile = match req.u8(0x31)? {
            Some(i) if i != 0 => match profiles.get(i) {
                Some(p) => Some(p.clone()),
                None => {
                    return Err(call_failed(
                        cer::UNSPECIFIED,
                        verbose::INTERNAL,
                        verbose::INVALID_PROFILE_ID,
                    ))
                }
            },
            _ => profiles.default_profile().cloned(),
        };
        if profile.as_ref().is_some_and(|p| p.apn_disabled) {
            return Err(call_failed(
                cer::UNSPECIFIED,
                verbose::INTERNAL,
                verbose::APN_DISABLED,
            ));
        }
        let pdp = profile.as_ref().map(|p| p.pdp_type);
        let family = family_pref.or(self.client(ctx.client).ip_family).unwrap_or(
            if pdp == Some(PdpType::Ipv6) {
                IpFamily::V6
            } else {
                IpFamily::V4
            },
        );
        let mismatch = match family {
            IpFamily::V4 => pdp == Some(PdpType::Ipv6),
            IpFamily::V6 => matches!(pdp, Some(PdpType::Ipv4 | PdpType::Ppp)),
        };
        if mismatch {
            return Err(call_failed(
                cer::UNSPECIFIED,
                verbose::INTERNAL,
                verbose::IP_VERSION_MISMATCH,
            ));
        }
        // An empty APN lets the profile, then the network, choose.
        let apn = ctx
            .dev
            .call_apn(req.string(0x14).as_deref(), profile.as_ref());
        if let Some(b) = ctx.dev.bearers.iter().find(|b| b.family == family) {
            if !b.apn.eq_ignore_ascii_case(&apn) {
                // One data port carries one PDN per family.
                return Err(call_failed(
                    cer::UNSPECIFIED,
                    verbose::INTERNAL,
                    verbose::INTERFACE_IN_USE,
                ));
            }
            let handle = b.handle;
            let c = self.client(ctx.client);
            if !c.holds(handle) {
                c.calls.push(Call {
                    handle,
                    family,
                    profile: profile.as_ref().map(|p| p.index),
                });
            }
            return Err(ProtocolError::NoEffect.into());
        }
        let handle = ctx
            .dev
            .start_network(&apn, family)
            .map_err(|e| refused(e, family, ctx.dev))?;
        if let Some(on) = autoconnect {
            self.autoconnect.0 = if on {
                AUTOCONNECT_ENABLED
            } else {
                AUTOCONNECT_DISABLED
            };
        }
        self.live.insert(handle, family);
        self.last_tech = call_tech(ctx.dev);
        self.client(ctx.client).calls.push(Call {
            handle,
            family,
            profile: profile.map(|p| p.index),
        });
        let mut t = Tlvs::new();
        t.u32(0x01, handle);
        Ok(t)
    }

    pub(super) fn stop_network(&mut self, req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
        let handle = req.parse_need(0x01, |r| r.u32("packet data handle"))?;
        let disable_autoconnect = flag(req, 0x10)?.unwrap_or(false);
        if disable_autoconnect {
            self.autoconnect.0 = AUTOCONNECT_DISABLED;
        }
        let c = self.client(ctx.client);
        let targets: Vec<u32> = if handle == GLOBAL_HANDLE {
            c.calls.iter().map(|k| k.handle).collect()
        } else if c.holds(handle) {
            vec![handle]
        } else if c.ended.contains(&handle) {
            return Err(ProtocolError::NoEffect.into());
        } else {
            return Err(ProtocolError::InvalidHandle.into());
        };
        if targets.is_empty() {
            return if disable_autoconnect {
                Ok(Tlvs::new())
            } else {
                Err(ProtocolError::NoEffect.into())
            };
        }
        for h in targets {
            self.let_go(ctx.client, h, ctx.dev);
        }
        Ok(Tlvs::new())
    }

    pub(super) fn packet_service_status(&mut self, ctx: &mut Ctx<'_>) -> Reply {
        let status = match self.call_for(ctx.client, ctx.dev) {
            Some(_) => CONNECTED,
            None => DISCONNECTED,
        };
        let mut t = Tlvs::new();
        t.u8(0x01, status);
        Ok(t)
    }

    pub(super) fn current_settings(&mut self, req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
        // Without the mask (oFono sends none) the module returns what bits
        // 0 to 12 name: profile to gateway, not the MTU or the IP family.
        let mask = req.u32(0x10)?.unwrap_or(WITHOUT_MASK);
        let Some(b) = self.call_for(ctx.client, ctx.dev) else {
            return Err(ProtocolError::OutOfCall.into());
        };
        let profile = self
            .call_profile(b.handle)
            .and_then(|i| ctx.dev.pdp_profiles.get(i));
        let want = |bit: u32| mask & bit != 0;
        let s = &b.settings;
        let mut t = Tlvs::new();
        if want(0x01) {
            if let Some(p) = profile {
                t.push(0x1F, [0, p.index]);
            }
        }
        if want(0x02) {
            if let Some(p) = profile {
                t.str(0x10, &p.name);
            }
        }
        if want(0x04) {
            t.u8(0x11, if b.family == IpFamily::V6 { 2 } else { 0 });
        }
        if want(0x08) {
            t.str(0x14, &b.apn);
        }
        if want(0x40) {
            if let Some(p) = profile {
                t.str(0x1B, &p.username);
            }
        }
        if want(0x80) {
            if let Some(p) = profile {
                t.u8(0x1D, p.auth.pap as u8 | (p.auth.chap as u8) << 1);
            }
        }
        match b.family {
            IpFamily::V4 => {
                if want(0x10) {
                    for (ty, dns) in [0x15, 0x16].into_iter().zip(&s.ipv4_dns) {
                        t.ipv4(ty, *dns);
                    }
                }
                if want(0x100) {
                    t.ipv4(0x1E, s.ipv4_address);
                }
                if want(0x200) {
                    t.ipv4(0x20, s.ipv4_gateway);
                }
                if want(0x100 | 0x200) {
                    t.u32(0x21, netmask(s.ipv4_prefix));
                }
            }
            IpFamily::V6 => {
                if want(0x10) {
                    for (ty, dns) in [0x27, 0x28].into_iter().zip(&s.ipv6_dns) {
                        t.push(ty, dns.octets());
                    }
                }
                if want(0x100) {
                    if let Some(a) = s.ipv6_address {
                        t.ipv6(0x25, a, s.ipv6_prefix);
                    }
                }
                if want(0x200) {
                    if let Some(g) = s.ipv6_gateway {
                        t.ipv6(0x26, g, s.ipv6_prefix);
                    }
                }
            }
        }
        if want(0x2000) {
            t.u32(0x29, s.mtu);
        }
        if want(0x4000) {
            // The network gives no domain names.
            t.u8(0x2A, 0);
        }
        if want(0x8000) {
            t.u8(0x2B, family_value(b.family));
        }
        Ok(t)
    }

    pub(super) fn dormancy_status(&mut self, ctx: &mut Ctx<'_>) -> Reply {
        if self.call_for(ctx.client, ctx.dev).is_none() {
            return Err(ProtocolError::OutOfCall.into());
        }
        // No data path is modelled, so the traffic channel stays up.
        let mut t = Tlvs::new();
        t.u8(0x01, 2);
        Ok(t)
    }

    pub(super) fn data_bearer_technology(&mut self, ctx: &mut Ctx<'_>) -> Reply {
        let mut t = Tlvs::new();
        if self.call_for(ctx.client, ctx.dev).is_none() {
            t.push(0x10, [bearer_tech(self.last_tech) as u8]);
            return Err(Failure::with_tlvs(ProtocolError::OutOfCall, t));
        }
        t.push(0x01, [bearer_tech(call_tech(ctx.dev)) as u8]);
        Ok(t)
    }

    pub(super) fn current_data_bearer_technology(&mut self, ctx: &mut Ctx<'_>) -> Reply {
        let tech = |t: &mut Tlvs, ty: u8, tech: Option<Technology>| {
            t.with(ty, |w| {
                // Network type 3GPP (2), or unknown (0) if there is none.
                w.u8(if tech.is_some() { 2 } else { 0 })
                    .u32(if tech.is_some() { rat_mask(tech) } else { 0 })
                    .u32(0);
            });
        };
        let mut t = Tlvs::new();
        if self.call_for(ctx.client, ctx.dev).is_none() {
            tech(&mut t, 0x10, self.last_tech);
            return Err(Failure::with_tlvs(ProtocolError::OutOfCall, t));
        }
        tech(&mut t, 0x01, call_tech(ctx.dev));
        tech(&mut t, 0x10, self.last_tech);
        Ok(t)
    }

    pub(super) fn channel_rates(&mut self, ctx: &mut Ctx<'_>) -> Reply {
        let (max_tx, max_rx) = max_rates(call_tech(ctx.dev));
        // The channel rate of a call is what its bearer was granted.
        let (tx, rx) = match self.call_for(ctx.client, ctx.dev) {
            Some(_) => (max_tx, max_rx),
            None => (u32::MAX, u32::MAX),
        };
        let mut t = Tlvs::new();
        t.with(0x01, |w| {
            w.u32(tx).u32(rx).u32(max_tx).u32(max_rx);
        });
        Ok(t)
    }

    /// There is no data path yet: every counter is zero.
    pub(super) fn packet_statistics(&mut self, req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
        let mask = req.parse_need(0x01, |r| r.u32("mask"))?;
        // QMI counts from the network's side: "Tx" is what the host sent
        // (uplink), "Rx" what it received.
        let s = ctx.dev.data_stats;
        let mut t = Tlvs::new();
        let u32s = [
            (0x01, 0x10, s.rx_packets),
            (0x02, 0x11, s.tx_packets),
            (0x04, 0x12, 0),
            (0x08, 0x13, 0),
            (0x10, 0x14, 0),
            (0x20, 0x15, s.overflow),
        ];
        for (bit, ty, v) in u32s {
            if mask & bit != 0 {
                t.u32(ty, v.min(u32::MAX as u64) as u32);
            }
        }
        for (bit, ty, v) in [(0x40, 0x19, s.rx_bytes), (0x80, 0x1A, s.tx_bytes)] {
            if mask & bit != 0 {
                t.u64(ty, v);
            }
        }
        t.u64(0x1B, s.rx_bytes).u64(0x1C, s.tx_bytes);
        for (bit, ty, v) in [(0x100, 0x1D, s.dropped), (0x200, 0x1E, 0)] {
            if mask & bit != 0 {
                t.u32(ty, v.min(u32::MAX as u64) as u32);
            }
        }
        Ok(t)
    }

    pub(super) fn autoconnect_settings(&mut self) -> Reply {
        let mut t = Tlvs::new();
        t.u8(0x01, self.autoconnect.0).u8(0x10, self.autoconnect.1);
        Ok(t)
    }

    pub(super) fn set_autoconnect_settings(&mut self, req: &Req<'_>) -> Reply {
        let status = req.parse_need(0x01, |r| r.u8("status"))?;
        let roaming = req.u8(0x10)?;
        if status > AUTOCONNECT_PAUSED || roaming.is_some_and(|r| r > 1) {
            return Err(ProtocolError::InvalidArgument.into());
        }
        self.autoconnect = (status, roaming.unwrap_or(self.autoconnect.1));
        Ok(Tlvs::new())
    }

    pub(super) fn set_ip_family(&mut self, req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
        let v = req.parse_need(0x01, |r| r.u8("preference"))?;
        let family = parse_family(v)?;
        self.client(ctx.client).ip_family = family;
        Ok(Tlvs::new())
    }

    pub(super) fn bind_data_port(&mut self, req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
        let port = req.parse_need(0x01, |r: &mut Reader| r.u16("data port"))?;
        self.client(ctx.client).data_port = Some(port);
        Ok(Tlvs::new())
    }
}
