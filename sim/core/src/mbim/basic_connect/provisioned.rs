//! PROVISIONED_CONTEXTS (MBIM 1.0 §10.5.13): the stored PDP contexts,
//! read from and written to the same store as QMI WDS profiles and
//! AT+CGDCONT, so a context provisioned over MBIM is profile N for QMI
//! and context N for AT.

use super::super::Done;
use super::Cmd;
use crate::model::{AuthMethods, Device, PdpProfile, PdpProfileError, MAX_APN_LEN};
use crate::wire::mbim::ib::Writer;
use crate::wire::mbim::{Status, Uuid};

/// ContextId that asks the function to pick the slot.
const APPEND: u32 = 0xFFFF_FFFF;
const COMPRESSION_NONE: u32 = 0;
const COMPRESSION_ENABLE: u32 = 1;

mod auth {
    pub const NONE: u32 = 0;
    pub const PAP: u32 = 1;
    pub const CHAP: u32 = 2;
    pub const MSCHAPV2: u32 = 3;
}

/// Longest user name or password a 9x15 profile stores (as QMI WDS).
const MAX_CREDENTIAL_LEN: usize = 127;

/// The one AuthProtocol MBIM can name for a profile's methods: CHAP when
/// allowed, as the firmware tries it first.
fn auth_protocol(a: AuthMethods) -> u32 {
    match (a.pap, a.chap) {
        (_, true) => auth::CHAP,
        (true, false) => auth::PAP,
        (false, false) => auth::NONE,
    }
}

/// One MBIM_CONTEXT. Every stored profile is an Internet context: the
/// firmware keeps no context type of its own.
fn context(p: &PdpProfile) -> Vec<u8> {
    let mut w = Writer::new();
    w.u32(p.index as u32)
        .uuid(&Uuid::CONTEXT_INTERNET)
        .string(&p.apn)
        .string(&p.username)
        .string(&p.password)
        .u32(COMPRESSION_NONE)
        .u32(auth_protocol(p.auth));
    w.finish()
}

pub(super) fn list(dev: &Device) -> Done {
    let profiles = dev.pdp_profiles.list();
    let mut w = Writer::new();
    w.u32(profiles.len() as u32);
    for p in profiles {
        w.ol(&context(p));
    }
    Done::ok(w.finish())
}

/// MBIM_SET_PROVISIONED_CONTEXT: define context N (or append), then
/// answer with the whole list as the query does.
pub(super) fn set(c: &Cmd<'_>, dev: &mut Device) -> Result<Done, Done> {
    let bad = || Done::fail(Status::INVALID_PARAMETERS);
    let id = c.u32(0)?;
    let ctx = c.info.uuid(4).map_err(|_| bad())?;
    let apn = c.string(20)?;
    let username = c.string(28)?;
    let password = c.string(36)?;
    let compression = c.u32(44)?;
    let auth = c.u32(48)?;
    // The ProviderId (offset 52) limits a context to one network; the
    // firmware's profiles apply to every network, so it is read and dropped.
    c.string(52)?;
    if ctx != Uuid::CONTEXT_INTERNET && ctx != Uuid::CONTEXT_NONE {
        return Err(bad());
    }
    if apn.len() > MAX_APN_LEN {
        return Err(Status::INVALID_ACCESS_STRING.into());
    }
    if username.len() > MAX_CREDENTIAL_LEN || password.len() > MAX_CREDENTIAL_LEN {
        return Err(Status::INVALID_USER_NAME_PWD.into());
    }
    // Compression is accepted and not applied: the 9x15 does none.
    if compression != COMPRESSION_NONE && compression != COMPRESSION_ENABLE {
        return Err(bad());
    }
    let auth = match auth {
        auth::NONE => AuthMethods::default(),
        auth::PAP => AuthMethods {
            pap: true,
            chap: false,
        },
        auth::CHAP | auth::MSCHAPV2 => AuthMethods {
            pap: false,
            chap: true,
        },
        _ => return Err(bad()),
    };
    let store = &mut dev.pdp_profiles;
    let index = if id == APPEND {
        None
    } else {
        Some(u8::try_from(id).map_err(|_| bad())?)
    };
    // Fields MBIM cannot name (PDP type, name, roaming) keep what the
    // stored profile had.
    let base = index
        .and_then(|i| store.get(i).cloned())
        .unwrap_or_else(|| PdpProfile::blank(index.unwrap_or(0)));
    let p = PdpProfile {
        apn,
        username,
        password,
        auth,
        ..base
    };
    let r = match index {
        None => store.create(p).map(|_| ()),
        Some(_) => store.define(p),
    };
    r.map_err(|e| match e {
        PdpProfileError::NotDefined => bad(),
        PdpProfileError::OutOfProfiles => Done::fail(Status::WRITE_FAILURE),
    })?;
    Ok(list(dev))
}
