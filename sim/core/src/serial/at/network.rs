//! Radio and network: +CFUN over the operating mode, registration
//! (+CREG/+CGREG/+CEREG and their URCs), +COPS, signal (+CSQ, +CESQ),
//! +WS46 over the mode preference, +CGDCONT over the stored PDP contexts
//! that QMI WDS profiles also read and write.

use super::parse::Kind;
use super::{one_num, AtError, Cme, Cx, Outcome, Settings};
use crate::model::{mode_pref, Device, OperatingMode, PdpProfile, PdpType, RegState, Technology};

/// 27.007 access technology of a RAT.
fn act(t: Technology) -> u8 {
    match t {
        Technology::Lte => 7,
        Technology::Umts => 2,
    }
}

#[derive(Clone, Copy)]
enum Domain {
    /// +CREG and +CGREG: any RAT (CS/PS attach is combined here).
    Any,
    /// +CEREG: EPS only, so registered only on LTE.
    Eps,
}

fn stat(dev: &Device, d: Domain) -> u8 {
    let reg = &dev.registration;
    if matches!(d, Domain::Eps) && reg.rat != Some(Technology::Lte) {
        return 0;
    }
    match reg.state {
        RegState::NotRegistered => 0,
        RegState::Registered => 1,
        RegState::Searching => 2,
        RegState::Denied => 3,
    }
}

/// The body after `+CREG: `: `stat` for mode 1, with location for mode 2.
/// The profile has one area code; it serves as LAC on UMTS and TAC on LTE.
fn reg_fields(dev: &Device, d: Domain, n: u8) -> String {
    let s = stat(dev, d);
    match dev.registration.rat {
        Some(t) if n == 2 && s == 1 => {
            let net = &dev.profile.network;
            format!("{s},\"{:04X}\",\"{:08X}\",{}", net.tac, net.cell_id, act(t))
        }
        _ => s.to_string(),
    }
}

const REG: [(&str, Domain); 3] = [
    ("+CREG", Domain::Any),
    ("+CGREG", Domain::Any),
    ("+CEREG", Domain::Eps),
];

fn reg_mode(st: &mut Settings, i: usize) -> &mut u8 {
    match i {
        0 => &mut st.creg,
        1 => &mut st.cgreg,
        _ => &mut st.cereg,
    }
}

/// The URC each enabled registration report would send now.
pub(super) fn urcs(st: &Settings, dev: &Device) -> [Option<String>; 3] {
    let mut st = st.clone();
    core::array::from_fn(|i| {
        let n = *reg_mode(&mut st, i);
        (n > 0).then(|| format!("{}: {}", REG[i].0, reg_fields(dev, REG[i].1, n)))
    })
}

pub(super) fn handle(name: &str, kind: &Kind, cx: &mut Cx<'_>) -> Option<Outcome> {
    if let Some(i) = REG.iter().position(|r| r.0 == name) {
        return Some(registration(i, kind, cx));
    }
    let r = match (name, kind) {
        ("+CFUN", Kind::Read) => Ok(vec![format!("+CFUN: {}", cfun_of(cx.dev.mode))]),
        ("+CFUN", Kind::Test) => Ok(vec!["+CFUN: (0,1,4-7),(0,1)".into()]),
        ("+CFUN", Kind::Set(a)) if (1..=2).contains(&a.len()) => {
            let fun = a[0].num();
            let rst = if a.len() == 2 { a[1].num() } else { Some(0) };
            match (fun, rst) {
                (Some(f), Some(r @ 0..=1)) => set_cfun(f, r == 1, cx),
                _ => Err(Cme::IncorrectParameters.into()),
            }
        }
        ("+COPS", Kind::Read) => Ok(vec![cops_read(cx)]),
        ("+COPS", Kind::Test) => cops_test(cx),
        ("+COPS", Kind::Set(a)) => cops_set(a, cx),
        ("+CSQ", Kind::Exec) => Ok(vec![csq(cx.dev)]),
        ("+CSQ", Kind::Test) => Ok(vec!["+CSQ: (0-31,99),(0-7,99)".into()]),
        ("+CESQ", Kind::Exec) => Ok(vec![cesq(cx.dev)]),
        ("+CESQ", Kind::Test) => Ok(vec![
            "+CESQ: (0-63,99),(0-7,99),(0-96,255),(0-49,255),(0-34,255),(0-97,255)".into(),
        ]),
        ("+CGATT", Kind::Read) => Ok(vec![format!(
            "+CGATT: {}",
            cx.dev.registration.is_registered() as u8
        )]),
        ("+CGATT", Kind::Test) => Ok(vec!["+CGATT: (0,1)".into()]),
        // Attach follows registration; detaching alone is not modelled.
        ("+CGATT", k) if one_num(k) == Some(1) => Ok(vec![]),
        ("+CGATT", k) if one_num(k) == Some(0) => Err(Cme::NotSupported.into()),
        ("+CGDCONT", Kind::Read) => Ok(cgdcont(cx.dev)),
        ("+CGDCONT", Kind::Test) => Ok(vec![
            "+CGDCONT: (1-16),\"IP\",,,(0-2),(0-4)".into(),
            "+CGDCONT: (1-16),\"IPV6\",,,(0-2),(0-4)".into(),
            "+CGDCONT: (1-16),\"IPV4V6\",,,(0-2),(0-4)".into(),
            "+CGDCONT: (1-16),\"PPP\",,,(0-2),(0-4)".into(),
        ]),
        ("+CGDCONT", Kind::Set(a)) if (1..=6).contains(&a.len()) => cgdcont_set(a, cx),
        ("+WS46", Kind::Read) => match ws46_of(cx.dev.mode_pref) {
            Some(v) => Ok(vec![format!("+WS46: {v}")]),
            None => Err(Cme::NotAllowed.into()),
        },
        ("+WS46", Kind::Test) => Ok(vec!["+WS46: (12,22,25,28,29,30,31)".into()]),
        ("+WS46", k) => match one_num(k).and_then(pref_of_ws46) {
            Some(p) => {
                cx.dev.set_mode_pref(p, cx.now);
                Ok(vec![])
            }
            None => Err(Cme::IncorrectParameters.into()),
        },
        ("+CFUN" | "+COPS" | "+CSQ" | "+CESQ" | "+CGATT" | "+CGDCONT", _) => {
            Err(Cme::IncorrectParameters.into())
        }
        _ => return None,
    };
    Some(r)
}

fn registration(i: usize, kind: &Kind, cx: &mut Cx<'_>) -> Outcome {
    let (name, domain) = REG[i];
    match kind {
        Kind::Read => {
            let n = *reg_mode(cx.st, i);
            Ok(vec![format!(
                "{name}: {n},{}",
                reg_fields(cx.dev, domain, n)
            )])
        }
        Kind::Test => Ok(vec![format!("{name}: (0-2)")]),
        k => match one_num(k) {
            Some(n @ 0..=2) => {
                *reg_mode(cx.st, i) = n as u8;
                Ok(vec![])
            }
            _ => Err(Cme::IncorrectParameters.into()),
        },
    }
}

/// +CFUN value of an operating mode. Qualcomm uses 5 for factory test and
/// 7 for offline; CFUN=0 is taken as low power and so reads back as 4.
fn cfun_of(m: OperatingMode) -> u8 {
    match m {
        OperatingMode::Online => 1,
        OperatingMode::LowPower | OperatingMode::PersistentLowPower => 4,
        OperatingMode::FactoryTest => 5,
        OperatingMode::Offline => 7,
        OperatingMode::Reset | OperatingMode::ShuttingDown => 0,
    }
}

fn set_cfun(fun: u32, reset: bool, cx: &mut Cx<'_>) -> Outcome {
    let mode = match fun {
        0 | 4 => OperatingMode::LowPower,
        1 => OperatingMode::Online,
        6 => OperatingMode::Reset,
        7 => OperatingMode::Offline,
        _ => return Err(Cme::IncorrectParameters.into()),
    };
    cx.dev
        .set_operating_mode(mode, cx.now)
        .map_err(|_| AtError::from(Cme::NotAllowed))?;
    if reset {
        cx.dev.reset_requested = true;
    }
    Ok(vec![])
}

fn operator(cx: &Cx<'_>, format: u8) -> String {
    let net = &cx.dev.profile.network;
    match format {
        2 => format!("{}{}", net.mcc, net.mnc),
        _ => net.operator_name.clone(),
    }
}

fn cops_read(cx: &Cx<'_>) -> String {
    let reg = &cx.dev.registration;
    match reg.rat {
        Some(t) if reg.is_registered() => {
            let f = cx.st.cops_format;
            format!("+COPS: 0,{f},\"{}\",{}", operator(cx, f), act(t))
        }
        _ => "+COPS: 0".into(),
    }
}

/// The profile's network, once per RAT it offers, as a scan finds it.
fn cops_test(cx: &Cx<'_>) -> Outcome {
    if !cx.dev.mode.radio_on() {
        return Err(Cme::NoNetworkService.into());
    }
    let reg = &cx.dev.registration;
    let list: Vec<String> = cx
        .dev
        .profile
        .network
        .technologies
        .iter()
        .map(|&t| {
            let current = reg.is_registered() && reg.rat == Some(t);
            let long = operator(cx, 0);
            let num = operator(cx, 2);
            format!(
                "({},\"{long}\",\"{long}\",\"{num}\",{})",
                1 + current as u8,
                act(t)
            )
        })
        .collect();
    Ok(vec![format!("+COPS: {},,(0-4),(0-2)", list.join(","))])
}

/// +COPS=mode[,format[,oper]]: automatic, set format, or manual selection
/// of the one network there is.
fn cops_set(a: &[super::parse::Arg], cx: &mut Cx<'_>) -> Outcome {
    let mode = a
        .first()
        .and_then(|a| a.num())
        .ok_or(Cme::IncorrectParameters)?;
    let format = match a.get(1) {
        Some(f) if !f.is_empty() => f
            .num()
            .filter(|f| *f <= 2)
            .ok_or(Cme::IncorrectParameters)?,
        _ => cx.st.cops_format as u32,
    };
    match mode {
        0 | 3 => {}
        1 | 4 => {
            let oper = a.get(2).map(|o| o.text.as_str()).unwrap_or("");
            if oper != operator(cx, format as u8) {
                return Err(Cme::NoNetworkService.into());
            }
        }
        // Deregistration is not modelled.
        2 => return Err(Cme::NotSupported.into()),
        _ => return Err(Cme::IncorrectParameters.into()),
    }
    cx.st.cops_format = format as u8;
    Ok(vec![])
}

fn csq(dev: &Device) -> String {
    if !dev.registration.is_registered() {
        return "+CSQ: 99,99".into();
    }
    // 0 is -113 dBm or less, 31 is -51 dBm or more, 2 dB steps.
    let rssi = ((dev.signal.rssi_dbm as i32 + 113) / 2).clamp(0, 31);
    format!("+CSQ: {rssi},99")
}

/// +CESQ: rxlev,ber,rscp,ecno,rsrq,rsrp with 27.007's index mappings.
fn cesq(dev: &Device) -> String {
    let s = &dev.signal;
    let reg = &dev.registration;
    match reg.rat {
        Some(Technology::Lte) if reg.is_registered() => {
            let rsrq = (2 * (s.rsrq_db as i32 + 20)).clamp(0, 34);
            let rsrp = (s.rsrp_dbm as i32 + 141).clamp(0, 97);
            format!("+CESQ: 99,99,255,255,{rsrq},{rsrp}")
        }
        Some(Technology::Umts) if reg.is_registered() => {
            // RSCP is RSSI plus Ec/Io on a single-carrier cell.
            let rscp = (s.rssi_dbm as i32 + s.ecio_db as i32 + 121).clamp(0, 96);
            let ecno = (2 * s.ecio_db as i32 + 49).clamp(0, 49);
            format!("+CESQ: 99,99,{rscp},{ecno},255,255")
        }
        _ => "+CESQ: 99,99,255,255,255,255".into(),
    }
}

/// 27.007 PDP type names.
const PDP_TYPES: [(&str, PdpType); 4] = [
    ("IP", PdpType::Ipv4),
    ("IPV6", PdpType::Ipv6),
    ("IPV4V6", PdpType::Ipv4v6),
    ("PPP", PdpType::Ppp),
];

fn cgdcont(dev: &Device) -> Vec<String> {
    dev.pdp_profiles
        .list()
        .iter()
        .map(|p| {
            let pdp = PDP_TYPES
                .iter()
                .find(|t| t.1 == p.pdp_type)
                .map_or("IP", |t| t.0);
            format!("+CGDCONT: {},\"{pdp}\",\"{}\",\"\",0,0", p.index, p.apn)
        })
        .collect()
}

/// +CGDCONT=cid[,type[,apn[,addr[,d_comp[,h_comp]]]]] defines context
/// `cid` in the stored profile table (keeping a profile's name and
/// authentication); +CGDCONT=cid alone deletes it.
fn cgdcont_set(a: &[super::parse::Arg], cx: &mut Cx<'_>) -> Outcome {
    let bad = || AtError::from(Cme::IncorrectParameters);
    let cid = a[0]
        .num()
        .filter(|c| (1..=crate::model::MAX_PDP_PROFILES as u32).contains(c))
        .ok_or_else(bad)? as u8;
    let profiles = &mut cx.dev.pdp_profiles;
    if a.len() == 1 {
        // Undefining a context that is not there is not an error.
        let _ = profiles.delete(cid);
        return Ok(vec![]);
    }
    let pdp_type = match &a[1] {
        t if t.is_empty() => PdpType::Ipv4,
        t => PDP_TYPES
            .iter()
            .find(|p| p.0.eq_ignore_ascii_case(&t.text))
            .map(|p| p.1)
            .ok_or_else(bad)?,
    };
    let apn = a.get(2).map(|x| x.text.clone()).unwrap_or_default();
    if apn.len() > crate::model::MAX_APN_LEN || !apn.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad());
    }
    if a.get(3).is_some_and(|x| !x.text.is_empty()) {
        // A static PDP address is not offered: the network assigns one.
        return Err(Cme::NotSupported.into());
    }
    for (i, max) in [(4, 2), (5, 4)] {
        if a.get(i)
            .is_some_and(|x| !x.is_empty() && x.num().is_none_or(|v| v > max))
        {
            return Err(bad());
        }
    }
    let base = profiles
        .get(cid)
        .cloned()
        .unwrap_or_else(|| PdpProfile::blank(cid));
    profiles
        .define(PdpProfile {
            pdp_type,
            apn,
            ..base
        })
        .map(|()| vec![])
        .map_err(|_| bad())
}

const WS46: [(u32, u16); 7] = [
    (12, mode_pref::GSM),
    (22, mode_pref::UMTS),
    (28, mode_pref::LTE),
    (25, mode_pref::GSM | mode_pref::UMTS | mode_pref::LTE),
    (29, mode_pref::GSM | mode_pref::UMTS),
    (30, mode_pref::GSM | mode_pref::LTE),
    (31, mode_pref::UMTS | mode_pref::LTE),
];

fn ws46_of(pref: u16) -> Option<u32> {
    let all = mode_pref::GSM | mode_pref::UMTS | mode_pref::LTE;
    WS46.iter().find(|w| w.1 == pref & all).map(|w| w.0)
}

fn pref_of_ws46(v: u32) -> Option<u16> {
    WS46.iter().find(|w| w.0 == v).map(|w| w.1)
}
