//! Registration status: Serving System, System Info, home network and
//! operator names.

use super::{radio_of, serving, Req, Tlvs};
use crate::model::{Device, Plmn, RegState, Technology};
use crate::qmi::Reply;
use crate::wire::ProtocolError;

mod reg {
    pub const NOT_REGISTERED: u8 = 0;
    pub const REGISTERED: u8 = 1;
    pub const SEARCHING: u8 = 2;
    pub const DENIED: u8 = 3;
}
mod attach {
    pub const ATTACHED: u8 = 1;
    pub const DETACHED: u8 = 2;
}
mod srv {
    pub const NONE: u8 = 0;
    pub const LIMITED: u8 = 1;
    pub const AVAILABLE: u8 = 2;
}
mod domain {
    pub const NONE: u8 = 0;
    pub const CS: u8 = 1;
    pub const PS: u8 = 2;
    pub const CS_PS: u8 = 3;
}
/// Data capability values of Serving System 0x11.
mod data_cap {
    pub const HSDPA: u8 = 3;
    pub const HSUPA: u8 = 4;
    pub const LTE: u8 = 0x0B;
}
/// Network description encodings (PLMN name).
const ENCODING_ASCII7: u8 = 1;
/// Operator Name encodings.
const PLMN_ENCODING_UCS2LE: u8 = 1;

/// Where the TLVs of Get Serving System and its indication differ.
struct ServingIds {
    lac: u8,
    cid: u8,
    tac: u8,
    mnc_pcs: u8,
}
const SERVING_GET: ServingIds = ServingIds {
    lac: 0x1C,
    cid: 0x1D,
    tac: 0x24,
    mnc_pcs: 0x27,
};
const SERVING_IND: ServingIds = ServingIds {
    lac: 0x1D,
    cid: 0x1E,
    tac: 0x25,
    mnc_pcs: 0x29,
};

/// Get Serving System response, or the indication's TLVs when `ind`.
pub(super) fn serving_system(dev: &Device, ind: bool) -> Tlvs {
    let ids = if ind { &SERVING_IND } else { &SERVING_GET };
    let reg = &dev.registration;
    let plmn = dev.network_plmn();
    let ps = if dev.selection.ps_attached {
        attach::ATTACHED
    } else {
        attach::DETACHED
    };
    let (state, cs, ps, radios): (u8, u8, u8, Vec<u8>) = match (reg.state, reg.rat) {
        (RegState::Registered, Some(rat)) => {
            (reg::REGISTERED, attach::ATTACHED, ps, vec![radio_of(rat)])
        }
        (RegState::Searching, Some(rat)) => (
            reg::SEARCHING,
            attach::DETACHED,
            attach::DETACHED,
            vec![radio_of(rat)],
        ),
        (RegState::Denied, rat) => (
            reg::DENIED,
            attach::DETACHED,
            attach::DETACHED,
            rat.map(radio_of).into_iter().collect(),
        ),
        _ => (
            reg::NOT_REGISTERED,
            attach::DETACHED,
            attach::DETACHED,
            vec![],
        ),
    };
    // Selected network: 3GPP once a 3GPP cell is camped on.
    let selected = if radios.is_empty() { 0 } else { 2 };
    let mut t = Tlvs::new();
    t.with(0x01, |w| {
        w.u8(state)
            .u8(cs)
            .u8(ps)
            .u8(selected)
            .u8(radios.len() as u8);
        radios.iter().for_each(|&r| {
            w.u8(r);
        });
    });
    let Some(s) = serving(dev) else {
        return t;
    };
    // Roaming indicator: 0 = on, 1 = off.
    t.u8(0x10, if dev.roaming() { 0 } else { 1 });
    let caps: &[u8] = match s.rat {
        Technology::Lte => &[data_cap::LTE],
        Technology::Umts => &[data_cap::HSDPA, data_cap::HSUPA],
    };
    t.with(0x11, |w| {
        w.u8(caps.len() as u8).bytes(caps);
    });
    t.with(0x12, |w| {
        w.u16(plmn.mcc)
            .u16(plmn.mnc)
            .str_u8(&dev.profile.network.operator_name);
    });
    let net = &dev.profile.network;
    match s.rat {
        // The profile's area code serves as LAC on UMTS and TAC on LTE.
        Technology::Umts => {
            t.u16(ids.lac, net.tac);
        }
        Technology::Lte => {
            t.u16(ids.tac, net.tac);
        }
    }
    t.u32(ids.cid, net.cell_id);
    t.with(ids.mnc_pcs, |w| {
        w.u16(plmn.mcc)
            .u16(plmn.mnc)
            .u8(plmn.mnc_three_digits as u8);
    });
    t
}

/// MCC and MNC as System Info carries them: `char[3]` each, a two-digit
/// MNC padded with 0xFF.
fn plmn_chars(p: &Plmn) -> [u8; 6] {
    let mcc = p.mcc_text();
    let mnc = p.mnc_text();
    let mut b = [0xFF; 6];
    b[..3].copy_from_slice(&mcc.as_bytes()[..3]);
    for (i, c) in mnc.bytes().take(3).enumerate() {
        b[3 + i] = c;
    }
    b
}

/// Get System Info response, or the indication's TLVs when `ind`.
pub(super) fn system_info(dev: &Device, ind: bool) -> Tlvs {
    let mut t = Tlvs::new();
    let reg = &dev.registration;
    // Service status per RAT the EM7305 has: GSM 0x12, WCDMA 0x13, LTE 0x14.
    let status_of = |rat: Technology| -> u8 {
        match (reg.state, reg.rat) {
            (RegState::Registered, Some(r)) if r == rat => srv::AVAILABLE,
            (RegState::Denied, Some(r)) if r == rat => srv::LIMITED,
            _ => srv::NONE,
        }
    };
    let status = |t: &mut Tlvs, ty: u8, s: u8| {
        // status, true status, preferred data path
        t.push(ty, [s, s, 0]);
    };
    if dev.mode.radio_on() {
        status(&mut t, 0x12, srv::NONE);
        status(&mut t, 0x13, status_of(Technology::Umts));
        status(&mut t, 0x14, status_of(Technology::Lte));
    } else {
        for ty in [0x12, 0x13, 0x14] {
            status(&mut t, ty, srv::NONE);
        }
    }
    let rat = match (reg.state, reg.rat) {
        (RegState::Registered | RegState::Denied, Some(r)) => Some(r),
        _ => None,
    };
    if let Some(rat) = rat {
        let net = &dev.profile.network;
        let plmn = dev.network_plmn();
        let denied = reg.state == RegState::Denied;
        // A denied registration shows as a forbidden PS domain.
        let dom = if denied {
            domain::PS
        } else if dev.selection.ps_attached {
            domain::CS_PS
        } else {
            domain::CS
        };
        let common = |w: &mut crate::wire::tlv::Writer, lac: Option<u16>| {
            w.u8(1).u8(dom); // domain
            w.u8(1)
                .u8(if denied { domain::NONE } else { domain::CS_PS }); // service capability
            w.u8(1).u8(dev.roaming() as u8); // roaming
            w.u8(1).u8(denied as u8); // forbidden
            w.u8(lac.is_some() as u8).u16(lac.unwrap_or(0));
            w.u8(1).u32(net.cell_id);
            w.u8(0).u8(0).u8(0); // no registration reject
            w.u8(1).bytes(&plmn_chars(&plmn));
        };
        match rat {
            Technology::Lte => t.with(0x19, |w| {
                common(w, None);
                w.u8(1).u16(net.tac);
            }),
            Technology::Umts => t.with(0x18, |w| {
                common(w, Some(net.tac));
                w.u8(1).u8(3); // HS call status: HSDPA+HSUPA
                w.u8(1).u8(3); // HS service
                w.u8(1).u16(net.cell_id as u16 % 512); // PSC
            }),
        };
    }
    // SIM reject info: the card is usable once it is ready.
    t.u32(if ind { 0x28 } else { 0x27 }, dev.sim.is_ready() as u32);
    t
}

/// Get Home Network: the SIM's operator.
pub(super) fn home_network(dev: &Device) -> Reply {
    if !dev.sim.is_ready() {
        return Err(ProtocolError::DeviceNotReady.into());
    }
    let home = dev.home_plmn();
    let mut t = Tlvs::new();
    t.with(0x01, |w| {
        w.u16(home.mcc).u16(home.mnc).str_u8(&dev.profile.sim.spn);
    });
    t.with(0x12, |w| {
        w.u8(1).u8(home.mnc_three_digits as u8);
    });
    Ok(t)
}

/// A name field of the EONS PLMN name: encoding, [initials, spare bits,]
/// then the bytes.
fn name(w: &mut crate::wire::tlv::Writer, long_form: bool, text: &str) {
    w.u8(ENCODING_ASCII7);
    if long_form {
        w.u8(0).u8(0); // don't add country initials, no spare bits
    }
    w.str_u8(text);
}

/// Get PLMN Name: the name this modem knows for an MCC/MNC.
pub(super) fn plmn_name(req: &Req<'_>, dev: &Device) -> Reply {
    let (mcc, mnc) = req.parse_need(0x01, |r| Ok((r.u16("mcc")?, r.u16("mnc")?)))?;
    let suppress_sim_error = req.u8(0x10)?.unwrap_or(0) != 0;
    for ty in [0x11, 0x12, 0x13, 0x15, 0x16] {
        req.u8(ty)?;
    }
    req.u32(0x14)?;
    if !dev.sim.is_ready() && !suppress_sim_error {
        return Err(ProtocolError::InformationUnavailable.into());
    }
    let home = dev.home_plmn();
    let net = dev.network_plmn();
    // The SPN names the home network only; others go by the network's
    // own name. An empty SPN reads as absent, so hosts use the long name.
    let spn = if home.same_network(mcc, mnc) && dev.sim.is_ready() {
        dev.profile.sim.spn.as_str()
    } else {
        ""
    };
    let long = if net.same_network(mcc, mnc) {
        dev.profile.network.operator_name.as_str()
    } else {
        ""
    };
    let mut t = Tlvs::new();
    t.with(0x10, |w| {
        name(w, false, spn);
        name(w, true, long); // short
        name(w, true, long); // long
    });
    Ok(t)
}

/// UCS-2LE bytes of a string (Operator Name carries names so).
fn ucs2le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
}

/// Get Operator Name: the SIM's SPN and the name the network gave.
pub(super) fn operator_name(dev: &Device) -> Tlvs {
    let mut t = Tlvs::new();
    if dev.sim.is_ready() {
        t.with(0x10, |w| {
            w.u8(0).str_u8(&dev.profile.sim.spn);
        });
    }
    if serving(dev).is_some() {
        let name = &dev.profile.network.operator_name;
        t.str(0x13, name);
        let b = ucs2le(name);
        let b = &b[..b.len().min(254)];
        t.with(0x14, |w| {
            w.u8(PLMN_ENCODING_UCS2LE).u8(0).u8(0).u8(0);
            w.u8(b.len() as u8).bytes(b);
            w.u8(b.len() as u8).bytes(b);
        });
    }
    t
}
