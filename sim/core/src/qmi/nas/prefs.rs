//! Network selection: system selection and technology preferences, manual
//! registration, packet attach, preferred networks and network scans.

use super::{radio_of, Ctx, Req, Tlvs};
use crate::model::{bands, mode_pref, Device, PreferredNetwork, Technology};
use crate::qmi::Reply;
use crate::wire::ProtocolError;

/// Mode preference bits the EM7305 has radios for.
const SUPPORTED_MODES: u16 = mode_pref::GSM | mode_pref::UMTS | mode_pref::LTE;

/// Service domain preference values.
mod domain_pref {
    pub const CS_PS: u32 = 2;
    pub const PS_ATTACH: u32 = 3;
    pub const PS_DETACH: u32 = 4;
}

/// Radio technology preference bits (Technology Preference).
mod tp {
    pub const AUTO: u16 = 0;
    pub const TGPP: u16 = 1 << 1;
    pub const GSM: u16 = 1 << 2;
    pub const WCDMA: u16 = 1 << 3;
    pub const LTE: u16 = 1 << 5;
}

pub(super) fn get_ssp(dev: &Device) -> Tlvs {
    let sel = &dev.selection;
    let mut t = Tlvs::new();
    t.u8(0x10, 0) // emergency mode off
        .u16(0x11, dev.mode_pref)
        .u64(0x12, sel.band_pref)
        .u16(0x14, sel.roaming_pref)
        .u64(0x15, sel.lte_band_pref)
        .u8(0x16, sel.manual_plmn.is_some() as u8)
        .u32(0x18, sel.service_domain)
        .u32(0x19, sel.gsm_wcdma_order);
    if let Some((mcc, mnc)) = sel.manual_plmn {
        t.with(0x1B, |w| {
            w.u16(mcc).u16(mnc).u8((mnc > 99) as u8);
        });
    }
    t
}

/// Set System Selection Preference. Everything is checked before any of
/// it takes effect; TLVs this firmware has no use for are accepted.
pub(super) fn set_ssp(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    req.u8(0x10)?;
    let mode = req.u16(0x11)?;
    let band = req.u64(0x12)?;
    req.u16(0x13)?;
    let roaming = req.u16(0x14)?;
    let lte_band = req.u64(0x15)?;
    let net_sel = req.parse(0x16, |r| Ok((r.u8("mode")?, r.u16("mcc")?, r.u16("mnc")?)))?;
    req.u8(0x17)?;
    let domain = req.u32(0x18)?;
    let order = req.u32(0x19)?;
    req.u8(0x1A)?;
    req.u64(0x1D)?;
    req.parse(0x1E, |r| {
        let n = r.u8("count")? as usize;
        r.take(n, "acquisition order").map(|_| ())
    })?;
    for ty in [0x1F, 0x21, 0x23] {
        req.u32(ty)?;
    }
    req.parse(0x24, |r| r.take(32, "extended LTE bands").map(|_| ()))?;
    for ty in [0x2F, 0x30] {
        req.parse(ty, |r| r.take(64, "NR5G bands").map(|_| ()))?;
    }

    let mode = mode.map(|m| m & SUPPORTED_MODES);
    let band = band.map(|b| b & bands::BAND_PREF);
    let lte_band = lte_band.map(|b| b & bands::LTE_BAND_PREF);
    let bad = |v: Option<u64>| v == Some(0);
    if bad(mode.map(u64::from)) || bad(lte_band) || (bad(band) && lte_band.is_none()) {
        return Err(ProtocolError::InvalidArgument.into());
    }
    if domain.is_some_and(|d| d > domain_pref::PS_DETACH) || order.is_some_and(|o| o > 2) {
        return Err(ProtocolError::InvalidArgument.into());
    }
    let manual = match net_sel {
        None => None,
        Some((0, _, _)) => Some(None),
        Some((1, mcc, mnc)) => Some(Some((mcc, mnc))),
        Some(_) => return Err(ProtocolError::InvalidArgument.into()),
    };

    let dev = &mut *ctx.dev;
    let sel = &mut dev.selection;
    if let Some(r) = roaming {
        sel.roaming_pref = r;
    }
    if let Some(o) = order {
        sel.gsm_wcdma_order = o;
    }
    match domain {
        Some(domain_pref::PS_ATTACH) => dev.set_ps_attached(true),
        Some(domain_pref::PS_DETACH) => dev.set_ps_attached(false),
        Some(d) => dev.selection.service_domain = d,
        None => {}
    }
    let bands = (
        band.filter(|&b| b != 0).unwrap_or(dev.selection.band_pref),
        lte_band.unwrap_or(dev.selection.lte_band_pref),
    );
    if bands != (dev.selection.band_pref, dev.selection.lte_band_pref) {
        dev.set_band_prefs(bands.0, bands.1, ctx.now);
    }
    if let Some(m) = mode.filter(|&m| m != dev.mode_pref) {
        dev.set_mode_pref(m, ctx.now);
    }
    if let Some(m) = manual.filter(|&m| m != dev.selection.manual_plmn) {
        dev.set_network_selection(m, ctx.now);
    }
    Ok(Tlvs::new())
}

/// Technology preference mask for the allowed modes: automatic when every
/// 3GPP radio is allowed.
fn tp_mask(mode: u16) -> u16 {
    if mode & SUPPORTED_MODES == SUPPORTED_MODES {
        return tp::AUTO;
    }
    let mut m = tp::TGPP;
    for (bit, tpb) in [
        (mode_pref::GSM, tp::GSM),
        (mode_pref::UMTS, tp::WCDMA),
        (mode_pref::LTE, tp::LTE),
    ] {
        if mode & bit != 0 {
            m |= tpb;
        }
    }
    m
}

pub(super) fn get_tp(dev: &Device) -> Tlvs {
    let m = tp_mask(dev.mode_pref);
    let mut t = Tlvs::new();
    t.with(0x01, |w| {
        w.u16(m).u8(0); // permanent
    });
    t.u16(0x10, m);
    t
}

pub(super) fn set_tp(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let (pref, duration) =
        req.parse_need(0x01, |r| Ok((r.u16("preference")?, r.u8("duration")?)))?;
    if duration > 6 {
        return Err(ProtocolError::InvalidArgument.into());
    }
    let mut mode = 0;
    for (tpb, bit) in [
        (tp::GSM, mode_pref::GSM),
        (tp::WCDMA, mode_pref::UMTS),
        (tp::LTE, mode_pref::LTE),
    ] {
        if pref & tpb != 0 {
            mode |= bit;
        }
    }
    if pref == tp::AUTO || (mode == 0 && pref & tp::TGPP != 0) {
        mode = SUPPORTED_MODES;
    }
    if mode == 0 {
        // Only 3GPP2 technologies: this modem has no such radio.
        return Err(ProtocolError::InvalidArgument.into());
    }
    if mode != ctx.dev.mode_pref {
        ctx.dev.set_mode_pref(mode, ctx.now);
    }
    Ok(Tlvs::new())
}

/// Initiate Network Register: automatic, or manual to one PLMN.
pub(super) fn initiate_register(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let action = req.parse_need(0x01, |r| r.u8("action"))?;
    let plmn = req.parse(0x10, |r| Ok((r.u16("mcc")?, r.u16("mnc")?, r.u8("radio")?)))?;
    req.u8(0x11)?;
    req.u8(0x12)?;
    let want = match action {
        1 => None,
        2 => {
            let (mcc, mnc, _) = plmn.ok_or(ProtocolError::MissingArgument)?;
            Some((mcc, mnc))
        }
        _ => return Err(ProtocolError::InvalidArgument.into()),
    };
    if want == ctx.dev.selection.manual_plmn {
        return Err(ProtocolError::NoEffect.into());
    }
    ctx.dev.set_network_selection(want, ctx.now);
    Ok(Tlvs::new())
}

/// Attach Detach: packet domain attach (1) or detach (2).
pub(super) fn attach_detach(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let attach = match req.parse_need(0x10, |r| r.u8("action"))? {
        1 => true,
        2 => false,
        _ => return Err(ProtocolError::InvalidArgument.into()),
    };
    if ctx.dev.selection.ps_attached == attach {
        return Err(ProtocolError::NoEffect.into());
    }
    ctx.dev.set_ps_attached(attach);
    if attach {
        ctx.dev.selection.service_domain = domain_pref::CS_PS;
    }
    Ok(Tlvs::new())
}

pub(super) fn get_preferred(dev: &Device) -> Reply {
    if !dev.sim.is_ready() {
        return Err(ProtocolError::DeviceNotReady.into());
    }
    let list = &dev.selection.preferred_networks;
    let mut t = Tlvs::new();
    t.with(0x10, |w| {
        w.u16(list.len() as u16);
        for p in list {
            w.u16(p.mcc).u16(p.mnc).u16(p.access_tech);
        }
    });
    t.with(0x12, |w| {
        w.u8(list.len() as u8);
        for p in list {
            w.u16(p.mcc).u16(p.mnc).u8(p.mnc_three_digits as u8);
        }
    });
    Ok(t)
}

/// Entries EF PLMNwAcT of the simulated SIM holds.
const MAX_PREFERRED: usize = 32;

pub(super) fn set_preferred(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let entries = req.parse(0x10, |r| {
        let n = r.u16("count")? as usize;
        (0..n)
            .map(|_| Ok((r.u16("mcc")?, r.u16("mnc")?, r.u16("access tech")?)))
            .collect::<crate::wire::Result<Vec<_>>>()
    })?;
    let pcs = req.parse(0x11, |r| {
        let n = r.u8("count")? as usize;
        (0..n)
            .map(|_| Ok((r.u16("mcc")?, r.u16("mnc")?, r.u8("pcs")? != 0)))
            .collect::<crate::wire::Result<Vec<_>>>()
    })?;
    let clear = req.u8(0x12)?.unwrap_or(0) != 0;
    if !ctx.dev.sim.is_ready() {
        return Err(ProtocolError::DeviceNotReady.into());
    }
    let entries = entries.unwrap_or_default();
    let pcs = pcs.unwrap_or_default();
    let list = &mut ctx.dev.selection.preferred_networks;
    let new: Vec<PreferredNetwork> = entries
        .iter()
        .map(|&(mcc, mnc, access_tech)| PreferredNetwork {
            mcc,
            mnc,
            access_tech,
            mnc_three_digits: mnc > 99 || pcs.iter().any(|&(c, n, p)| c == mcc && n == mnc && p),
        })
        .collect();
    let mut merged = if clear { Vec::new() } else { list.clone() };
    for p in new {
        merged.retain(|o| (o.mcc, o.mnc) != (p.mcc, p.mnc));
        merged.push(p);
    }
    if merged.len() > MAX_PREFERRED {
        return Err(ProtocolError::NoMemory.into());
    }
    *list = merged;
    Ok(Tlvs::new())
}

/// Network scan result bits.
mod status {
    pub const CURRENT_SERVING: u8 = 0x01;
    pub const AVAILABLE: u8 = 0x02;
    pub const HOME: u8 = 0x04;
    pub const ROAMING: u8 = 0x08;
    pub const NOT_FORBIDDEN: u8 = 0x20;
    pub const NOT_PREFERRED: u8 = 0x80;
}

/// Network Scan: the simulated network, once per technology it offers.
/// A real scan takes tens of seconds; this one answers at once.
pub(super) fn network_scan(req: &Req<'_>, dev: &Device) -> Reply {
    let types = req.u8(0x10)?.unwrap_or(0);
    if !dev.mode.radio_on() {
        return Err(ProtocolError::NoRadio.into());
    }
    let scan_bit = |t: Technology| match t {
        Technology::Umts => 0x02,
        Technology::Lte => 0x04,
    };
    let techs: Vec<Technology> = dev
        .profile
        .network
        .technologies
        .iter()
        .copied()
        .filter(|&t| types == 0 || types & scan_bit(t) != 0)
        .collect();
    let plmn = dev.network_plmn();
    let name = &dev.profile.network.operator_name;
    let reg = &dev.registration;
    let mut t = Tlvs::new();
    t.with(0x10, |w| {
        w.u16(techs.len() as u16);
        for &tech in &techs {
            let mut s = status::NOT_FORBIDDEN | status::NOT_PREFERRED;
            s |= if reg.is_registered() && reg.rat == Some(tech) {
                status::CURRENT_SERVING
            } else {
                status::AVAILABLE
            };
            s |= if dev.roaming() {
                status::ROAMING
            } else {
                status::HOME
            };
            w.u16(plmn.mcc).u16(plmn.mnc).u8(s).str_u8(name);
        }
    });
    t.with(0x11, |w| {
        w.u16(techs.len() as u16);
        for &tech in &techs {
            w.u16(plmn.mcc).u16(plmn.mnc).u8(radio_of(tech));
        }
    });
    t.with(0x12, |w| {
        w.u16(techs.len() as u16);
        for _ in &techs {
            w.u16(plmn.mcc)
                .u16(plmn.mnc)
                .u8(plmn.mnc_three_digits as u8);
        }
    });
    t.u32(0x13, 0); // scan completed
    Ok(t)
}
