//! Stored profiles (Create/Modify/Delete, list, settings, defaults) and
//! the LTE attach parameters that derive from them.

use super::call::flag;
use super::*;
use crate::model::{AuthMethods, PdpProfile, PdpProfileError, PdpType};
use crate::qmi::Failure;
use crate::wire::tlv::Reader;

/// DS profile errors carried in TLV 0xE0 with ExtendedInternal.
mod ds {
    pub const INVALID_PROFILE_TYPE: u16 = 4;
    pub const CONTEXT_NOT_DEFINED: u16 = 1003;
    pub const OUT_OF_PROFILES: u16 = 1006;
}

/// Longest strings 9x15 firmware stores (APN per TS 23.003).
const MAX_NAME: usize = 32;
const MAX_CREDENTIAL: usize = 127;

fn ds_error(code: u16) -> Failure {
    let mut t = Tlvs::new();
    t.u16(0xE0, code);
    Failure::with_tlvs(EXTENDED_INTERNAL, t)
}

impl From<PdpProfileError> for Failure {
    fn from(e: PdpProfileError) -> Self {
        ds_error(match e {
            PdpProfileError::NotDefined => ds::CONTEXT_NOT_DEFINED,
            PdpProfileError::OutOfProfiles => ds::OUT_OF_PROFILES,
        })
    }
}

/// The mandatory profile type TLV 0x01: 3GPP only.
fn profile_type(req: &Req<'_>) -> Result<(), Failure> {
    check_type(req.parse_need(0x01, |r| r.u8("profile type"))?)
}

/// An EM7305 has no CDMA radio: only 3GPP profiles exist.
fn check_type(ty: u8) -> Result<(), Failure> {
    match ty {
        0 => Ok(()),
        _ => Err(ds_error(ds::INVALID_PROFILE_TYPE)),
    }
}

/// The `{u8 type, u8 index}` identifier of a 3GPP profile.
fn profile_id(req: &Req<'_>) -> Result<u8, Failure> {
    let (ty, index) = req.parse_need(0x01, |r: &mut Reader| {
        Ok((r.u8("profile type")?, r.u8("profile index")?))
    })?;
    check_type(ty)?;
    Ok(index)
}

fn pdp_value(t: PdpType) -> u8 {
    match t {
        PdpType::Ipv4 => 0,
        PdpType::Ppp => 1,
        PdpType::Ipv6 => 2,
        PdpType::Ipv4v6 => 3,
    }
}

fn auth_value(a: AuthMethods) -> u8 {
    a.pap as u8 | (a.chap as u8) << 1
}

/// A string TLV of at most `max` bytes.
fn text(req: &Req<'_>, ty: u8, max: usize) -> Result<Option<String>, Failure> {
    match req.tlv(ty) {
        Some(v) if v.len() > max => Err(ProtocolError::ArgumentTooLong.into()),
        Some(v) => Ok(Some(String::from_utf8_lossy(v).into_owned())),
        None => Ok(None),
    }
}

/// Applies the settings TLVs of Create/Modify Profile to `p`. Fields a
/// 9x15 stores but vmodem does not model are checked and dropped.
fn apply(req: &Req<'_>, p: &mut PdpProfile) -> Result<(), Failure> {
    for ty in [0x12, 0x13, 0x1F, 0x21, 0x22, 0x25, 0x26, 0x27] {
        req.u8(ty)?;
    }
    for ty in [0x15, 0x16, 0x1E] {
        req.u32(ty)?;
    }
    for ty in [0x28, 0x2B, 0x2C] {
        req.parse(ty, |r| r.take(16, "IPv6 address").map(|_| ()))?;
    }
    req.u64(0xDD)?;
    if let Some(v) = text(req, 0x10, MAX_NAME)? {
        p.name = v;
    }
    if let Some(v) = req.u8(0x11)? {
        p.pdp_type = match v {
            0 => PdpType::Ipv4,
            1 => PdpType::Ppp,
            2 => PdpType::Ipv6,
            3 => PdpType::Ipv4v6,
            _ => return Err(ProtocolError::InvalidArgument.into()),
        };
    }
    if let Some(v) = text(req, 0x14, crate::model::MAX_APN_LEN)? {
        p.apn = v;
    }
    if let Some(v) = text(req, 0x1B, MAX_CREDENTIAL)? {
        p.username = v;
    }
    if let Some(v) = text(req, 0x1C, MAX_CREDENTIAL)? {
        p.password = v;
    }
    if let Some(v) = req.u8(0x1D)? {
        if v > 3 {
            return Err(ProtocolError::InvalidArgument.into());
        }
        p.auth = AuthMethods {
            pap: v & 1 != 0,
            chap: v & 2 != 0,
        };
    }
    if let Some(v) = flag(req, 0x2F)? {
        p.apn_disabled = v;
    }
    if let Some(v) = flag(req, 0x3E)? {
        p.roaming_disallowed = v;
    }
    Ok(())
}

/// The settings TLVs shared by Get Profile Settings and Get Default
/// Settings; `flags` adds the ones only the former carries.
fn settings_tlvs(p: &PdpProfile, flags: bool) -> Tlvs {
    let mut t = Tlvs::new();
    t.str(0x10, &p.name)
        .u8(0x11, pdp_value(p.pdp_type))
        .u8(0x12, 0)
        .u8(0x13, 0)
        .str(0x14, &p.apn)
        .str(0x1B, &p.username)
        .str(0x1C, &p.password)
        .u8(0x1D, auth_value(p.auth))
        .u8(0x25, p.index);
    if flags {
        t.u8(0x2F, p.apn_disabled as u8)
            .u8(0x3E, p.roaming_disallowed as u8);
    }
    t
}

/// A defined profile, to change.
fn stored_mut<'c>(ctx: &'c mut Ctx<'_>, index: u8) -> Result<&'c mut PdpProfile, Failure> {
    Ok(ctx
        .dev
        .pdp_profiles
        .get_mut(index)
        .ok_or(PdpProfileError::NotDefined)?)
}

pub(super) fn create(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    profile_type(req)?;
    let mut p = PdpProfile::blank(0);
    apply(req, &mut p)?;
    let index = ctx.dev.pdp_profiles.create(p)?;
    let mut t = Tlvs::new();
    t.push(0x01, [0, index]);
    Ok(t)
}

pub(super) fn modify(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let index = profile_id(req)?;
    let p = stored_mut(ctx, index)?;
    // All or nothing: a bad TLV leaves the profile as it was.
    let mut edited = p.clone();
    apply(req, &mut edited)?;
    *p = edited;
    Ok(Tlvs::new())
}

pub(super) fn delete(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let index = profile_id(req)?;
    ctx.dev.pdp_profiles.delete(index)?;
    Ok(Tlvs::new())
}

/// Reset Profile to Default (oFono's LTE atom sends it for the default
/// profile at start-up): every setting back to what a blank profile has;
/// the profile stays defined.
pub(super) fn reset_to_default(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let index = profile_id(req)?;
    let p = stored_mut(ctx, index)?;
    *p = PdpProfile::blank(index);
    Ok(Tlvs::new())
}

pub(super) fn list(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    if let Some(ty) = req.u8(0x10)? {
        check_type(ty)?;
    }
    let profiles = ctx.dev.pdp_profiles.list();
    let mut t = Tlvs::new();
    t.with(0x01, |w| {
        w.u8(profiles.len() as u8);
        for p in profiles {
            w.u8(0).u8(p.index).str_u8(&p.name);
        }
    });
    Ok(t)
}

pub(super) fn settings(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let index = profile_id(req)?;
    let p = ctx
        .dev
        .pdp_profiles
        .get(index)
        .ok_or(PdpProfileError::NotDefined)?;
    Ok(settings_tlvs(p, true))
}

/// The settings a call gets when it names no profile: the default one's.
pub(super) fn default_settings(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    profile_type(req)?;
    let p = ctx
        .dev
        .pdp_profiles
        .default_profile()
        .ok_or(PdpProfileError::NotDefined)?;
    Ok(settings_tlvs(p, false))
}

/// `{u8 type, u8 family}`: family is embedded (0) or tethered (1); one
/// default serves both here.
fn type_and_family(r: &mut Reader<'_>) -> crate::wire::Result<(u8, u8)> {
    Ok((r.u8("profile type")?, r.u8("profile family")?))
}

pub(super) fn default_number(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let (ty, family) = req.parse_need(0x01, type_and_family)?;
    check_type(ty)?;
    if family > 1 {
        return Err(ProtocolError::InvalidArgument.into());
    }
    let mut t = Tlvs::new();
    t.u8(0x01, ctx.dev.pdp_profiles.default_index);
    Ok(t)
}

pub(super) fn set_default_number(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let (ty, family, index) = req.parse_need(0x01, |r| {
        let (ty, family) = type_and_family(r)?;
        Ok((ty, family, r.u8("profile index")?))
    })?;
    check_type(ty)?;
    if family > 1 {
        return Err(ProtocolError::InvalidArgument.into());
    }
    let profiles = &mut ctx.dev.pdp_profiles;
    profiles.get(index).ok_or(PdpProfileError::NotDefined)?;
    profiles.default_index = index;
    Ok(Tlvs::new())
}

/// The attach the modem made on LTE, from the first attach profile.
/// Off LTE there was no attach to report.
pub(super) fn lte_attach_parameters(ctx: &mut Ctx<'_>) -> Reply {
    let dev = &*ctx.dev;
    let mut t = Tlvs::new();
    if call_tech(dev) != Some(Technology::Lte) {
        t.u8(0x12, 0);
        return Ok(t);
    }
    let profiles = &dev.pdp_profiles;
    let p = profiles.attach_list.first().and_then(|&i| profiles.get(i));
    // An attach profile without APN gets the network's default one.
    let apn = p
        .map(|p| p.apn.clone())
        .filter(|a| !a.is_empty())
        .or_else(|| dev.profile.network.apn.first().map(|a| a.name.clone()))
        .unwrap_or_default();
    let support = match p.map(|p| p.pdp_type) {
        Some(PdpType::Ipv6) => 1,
        Some(PdpType::Ipv4v6) => 2,
        _ => 0,
    };
    t.str(0x10, &apn).u8(0x11, support).u8(0x12, 1);
    Ok(t)
}

/// A 9x15 attaches with one PDN.
pub(super) fn max_lte_attach_pdns() -> Reply {
    let mut t = Tlvs::new();
    t.u8(0x10, 1);
    Ok(t)
}

pub(super) fn lte_attach_pdn_list(ctx: &mut Ctx<'_>) -> Reply {
    let list = &ctx.dev.pdp_profiles.attach_list;
    let mut t = Tlvs::new();
    t.with(0x10, |w| {
        w.u8(list.len() as u8);
        for &i in list {
            w.u16(i as u16);
        }
    })
    .push(0x11, [0]);
    Ok(t)
}
