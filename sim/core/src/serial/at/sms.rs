//! Text messages over AT (3GPP TS 27.005): +CSMS, +CMGF, +CPMS, +CNMI,
//! +CMGL, +CMGR, +CMGD, +CSCA, +CSMP, +CSDH, and the set-up of +CMGS and
//! +CMGW, whose message body follows after the `> ` prompt
//! (`sms_input.rs`). Everything reads and changes the device's message
//! stores, so a message written here is listed over QMI and MBIM.

use super::parse::{Arg, Kind};
use super::{AtError, Cx, Outcome, Settings};
use crate::model::sms::{Storage, Stored, Tag};
use crate::model::{Device, SimState};
use crate::wire::sms::{Direction, Pdu, Tpdu};

/// +CMS ERROR codes (TS 27.005 §3.2.5) the port uses; 0..=127 are the
/// network's RP causes, passed through.
pub mod cms {
    pub const OPERATION_NOT_SUPPORTED: u16 = 303;
    pub const INVALID_PDU_PARAMETER: u16 = 304;
    pub const INVALID_TEXT_PARAMETER: u16 = 305;
    pub const SIM_NOT_INSERTED: u16 = 310;
    pub const SIM_PIN_REQUIRED: u16 = 311;
    pub const SIM_FAILURE: u16 = 313;
    pub const SIM_PUK_REQUIRED: u16 = 316;
    pub const INVALID_MEMORY_INDEX: u16 = 321;
    pub const MEMORY_FULL: u16 = 322;
    pub const SMSC_ADDRESS_UNKNOWN: u16 = 330;
    pub const NO_NETWORK_SERVICE: u16 = 331;
}

/// The port's messaging settings; ATZ and a reset restore them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsSettings {
    /// +CMGF: false PDU mode, true text mode.
    pub text_mode: bool,
    /// +CNMI mode, mt, bm, ds, bfr.
    pub cnmi: [u8; 5],
    /// +CPMS mem1 (read, list, delete) and mem2 (write, send from).
    pub mem1: Storage,
    pub mem2: Storage,
    /// +CSMP fo, vp, pid, dcs for text mode submissions.
    pub csmp: [u8; 4],
    /// +CSDH: show header values in text mode.
    pub csdh: bool,
}

impl Default for SmsSettings {
    fn default() -> Self {
        SmsSettings {
            text_mode: false,
            cnmi: [0; 5],
            mem1: Storage::Sim,
            mem2: Storage::Sim,
            csmp: [17, 167, 0, 0],
            csdh: false,
        }
    }
}

/// Messaging needs a usable SIM.
pub(super) fn need_sim(dev: &Device) -> Result<(), AtError> {
    Err(AtError::Cms(match dev.sim.state {
        SimState::Ready => return Ok(()),
        SimState::Absent => cms::SIM_NOT_INSERTED,
        SimState::PinRequired => cms::SIM_PIN_REQUIRED,
        SimState::PukRequired => cms::SIM_PUK_REQUIRED,
        SimState::Blocked => cms::SIM_FAILURE,
    }))
}

/// The status names of text mode, in PDU mode's numeric order.
const STATUS: [&str; 4] = ["REC UNREAD", "REC READ", "STO UNSENT", "STO SENT"];

pub(super) fn stat_number(tag: Tag) -> u8 {
    match tag {
        Tag::MtNotRead => 0,
        Tag::MtRead => 1,
        Tag::MoNotSent => 2,
        Tag::MoSent => 3,
    }
}

pub(super) fn tag_of_stat(n: u8) -> Option<Tag> {
    Some(match n {
        0 => Tag::MtNotRead,
        1 => Tag::MtRead,
        2 => Tag::MoNotSent,
        3 => Tag::MoSent,
        _ => return None,
    })
}

/// A `<stat>` argument: a number in PDU mode, a name in text mode; 4 or
/// "ALL" is every message (`None`).
fn stat_arg(st: &Settings, a: Option<&Arg>) -> Result<Option<Tag>, AtError> {
    let bad = AtError::Cms(if st.sms.text_mode {
        cms::INVALID_TEXT_PARAMETER
    } else {
        cms::INVALID_PDU_PARAMETER
    });
    let Some(a) = a.filter(|a| !a.is_empty()) else {
        return Ok(Some(Tag::MtNotRead));
    };
    if st.sms.text_mode {
        if a.text == "ALL" {
            return Ok(None);
        }
        let i = STATUS.iter().position(|s| *s == a.text).ok_or(bad)?;
        Ok(tag_of_stat(i as u8))
    } else {
        match a.num().ok_or(bad)? {
            4 => Ok(None),
            n => tag_of_stat(u8::try_from(n).map_err(|_| bad)?)
                .map(Some)
                .ok_or(bad),
        }
    }
}

pub(super) fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// Text as the TE character set (+CSCS) carries it: UCS2 as hex of
/// UTF-16 units, otherwise as is.
pub(super) fn to_te(st: &Settings, s: &str) -> String {
    if st.charset == "UCS2" {
        s.encode_utf16().map(|u| format!("{u:04X}")).collect()
    } else {
        s.to_string()
    }
}

/// The inverse of [`to_te`]; `None` for hex that is not UTF-16.
pub(super) fn from_te(st: &Settings, s: &str) -> Option<String> {
    if st.charset != "UCS2" {
        return Some(s.to_string());
    }
    if s.len() % 4 != 0 || !s.is_ascii() {
        return None;
    }
    let units = (0..s.len())
        .step_by(4)
        .map(|i| u16::from_str_radix(&s[i..i + 4], 16).ok())
        .collect::<Option<Vec<u16>>>()?;
    String::from_utf16(&units).ok()
}

/// The TPDU length of a stored PDU (what <length> counts in PDU mode).
fn tpdu_len(pdu: &[u8]) -> usize {
    pdu.len()
        - pdu
            .first()
            .map_or(1, |&n| 1 + usize::from(n))
            .min(pdu.len())
}

/// The header line and body line of one message, in the port's mode;
/// `index` for +CMGL, none for +CMGR.
fn show(st: &Settings, verb: &str, index: Option<u32>, m: &Stored) -> [String; 2] {
    let idx = index.map(|i| format!("{i},")).unwrap_or_default();
    let stat = stat_number(m.tag);
    if !st.sms.text_mode {
        return [
            format!("{verb}: {idx}{stat},,{}", tpdu_len(&m.pdu)),
            hex(&m.pdu),
        ];
    }
    let dir = if m.tag.is_mt() {
        Direction::ToHost
    } else {
        Direction::FromHost
    };
    let name = STATUS[usize::from(stat)];
    match Pdu::parse(&m.pdu, dir) {
        Ok(p) => {
            let text = to_te(st, &p.text().unwrap_or_default());
            let head = match &p.tpdu {
                Tpdu::Deliver(d) => format!(
                    "{verb}: {idx}\"{name}\",\"{}\",,\"{}\"",
                    to_te(st, &d.originator.text()),
                    d.timestamp.at_text()
                ),
                Tpdu::Submit(s) => {
                    format!(
                        "{verb}: {idx}\"{name}\",\"{}\",",
                        to_te(st, &s.destination.text())
                    )
                }
                Tpdu::StatusReport(r) => {
                    let fo = 0x02 | u8::from(!r.more_messages) << 2;
                    return [
                        format!(
                            "{verb}: {idx}\"{name}\",{fo},{},\"{}\",,\"{}\",\"{}\",{}",
                            r.reference,
                            r.recipient.text(),
                            r.timestamp.at_text(),
                            r.discharge.at_text(),
                            r.status
                        ),
                        String::new(),
                    ];
                }
                Tpdu::Other { .. } => format!("{verb}: {idx}\"{name}\""),
            };
            [head, text]
        }
        Err(_) => [format!("{verb}: {idx}\"{name}\""), String::new()],
    }
}

/// Reading a received message unread marks it read (27.005 §3.4.2).
fn mark_read(dev: &mut Device, storage: Storage, index: u32) {
    if let Some(m) = dev.messaging.store_mut(storage).get_mut(index) {
        if m.tag == Tag::MtNotRead {
            m.tag = Tag::MtRead;
        }
    }
}

fn cpms_triple(dev: &Device, s: Storage) -> String {
    let st = dev.messaging.store(s);
    format!("{},{}", st.used(), st.capacity())
}

fn storage_arg(a: &Arg) -> Result<Storage, AtError> {
    Storage::from_at(&a.text).ok_or(AtError::Cms(cms::OPERATION_NOT_SUPPORTED))
}

/// Where new messages are stored (+CPMS mem3) is the device's route, the
/// same fact QMI's routes and MBIM's store read.
fn set_mem3(dev: &mut Device, s: Storage) {
    for r in dev.messaging.routes.iter_mut() {
        if r.storage.is_some() {
            r.storage = Some(s);
        }
    }
}

pub(super) fn handle(name: &str, kind: &Kind, cx: &mut Cx<'_>) -> Option<Outcome> {
    let st = &mut *cx.st;
    let r = match (name, kind) {
        ("+CSMS", Kind::Read) => Ok(vec!["+CSMS: 0,1,1,1".into()]),
        ("+CSMS", Kind::Test) => Ok(vec!["+CSMS: (0)".into()]),
        ("+CSMS", Kind::Set(a)) if a.len() == 1 && a[0].num() == Some(0) => {
            Ok(vec!["+CSMS: 1,1,1".into()])
        }
        ("+CMGF", Kind::Read) => Ok(vec![format!("+CMGF: {}", u8::from(st.sms.text_mode))]),
        ("+CMGF", Kind::Test) => Ok(vec!["+CMGF: (0,1)".into()]),
        ("+CMGF", Kind::Set(a)) if a.len() == 1 && matches!(a[0].num(), Some(0 | 1)) => {
            st.sms.text_mode = a[0].num() == Some(1);
            Ok(vec![])
        }
        ("+CSDH", Kind::Read) => Ok(vec![format!("+CSDH: {}", u8::from(st.sms.csdh))]),
        ("+CSDH", Kind::Test) => Ok(vec!["+CSDH: (0,1)".into()]),
        ("+CSDH", Kind::Set(a)) if a.len() == 1 && matches!(a[0].num(), Some(0 | 1)) => {
            st.sms.csdh = a[0].num() == Some(1);
            Ok(vec![])
        }
        ("+CSMP", Kind::Read) => {
            let [fo, vp, pid, dcs] = st.sms.csmp;
            Ok(vec![format!("+CSMP: {fo},{vp},{pid},{dcs}")])
        }
        ("+CSMP", Kind::Test) => Ok(vec![]),
        ("+CSMP", Kind::Set(a)) if (1..=4).contains(&a.len()) => {
            let mut v = st.sms.csmp;
            for (i, arg) in a.iter().enumerate() {
                if arg.is_empty() {
                    continue;
                }
                match arg.num().and_then(|n| u8::try_from(n).ok()) {
                    Some(n) => v[i] = n,
                    None => return Some(Err(AtError::Cms(cms::INVALID_TEXT_PARAMETER))),
                }
            }
            // Only SUBMIT with a relative or no validity period.
            if v[0] & 3 != 1 || !matches!((v[0] >> 3) & 3, 0 | 2) {
                return Some(Err(AtError::Cms(cms::INVALID_TEXT_PARAMETER)));
            }
            st.sms.csmp = v;
            Ok(vec![])
        }
        ("+CNMI", Kind::Read) => {
            let [m, mt, bm, ds, bfr] = st.sms.cnmi;
            Ok(vec![format!("+CNMI: {m},{mt},{bm},{ds},{bfr}")])
        }
        ("+CNMI", Kind::Test) => Ok(vec!["+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)".into()]),
        ("+CNMI", Kind::Set(a)) if (1..=5).contains(&a.len()) => {
            let max = [2, 3, 2, 2, 1];
            let mut v = st.sms.cnmi;
            for (i, arg) in a.iter().enumerate() {
                if arg.is_empty() {
                    continue;
                }
                match arg.num() {
                    Some(n) if n <= max[i] && !(i == 2 && n == 1) => v[i] = n as u8,
                    _ => return Some(Err(AtError::Cms(cms::OPERATION_NOT_SUPPORTED))),
                }
            }
            st.sms.cnmi = v;
            Ok(vec![])
        }
        ("+CSCA", Kind::Read) => {
            let n = &cx.dev.messaging.smsc;
            let toa = if n.starts_with('+') { 145 } else { 129 };
            Ok(vec![format!("+CSCA: \"{}\",{toa}", to_te(st, n))])
        }
        ("+CSCA", Kind::Test) => Ok(vec![]),
        ("+CSCA", Kind::Set(a)) if (1..=2).contains(&a.len()) => {
            let n = from_te(st, &a[0].text).unwrap_or_default();
            let n = match a.get(1).and_then(Arg::num) {
                Some(145) if !n.starts_with('+') => format!("+{n}"),
                _ => n,
            };
            if crate::wire::sms::Address::from_number(&n).is_none() {
                return Some(Err(AtError::Cms(cms::SMSC_ADDRESS_UNKNOWN)));
            }
            cx.dev.messaging.smsc = n;
            Ok(vec![])
        }
        ("+CPMS", Kind::Test) => Ok(vec![
            "+CPMS: (\"SM\",\"ME\"),(\"SM\",\"ME\"),(\"SM\",\"ME\")".into(),
        ]),
        ("+CPMS", Kind::Read) => {
            let m3 = cx.dev.messaging.preferred_storage();
            let s = &st.sms;
            Ok(vec![format!(
                "+CPMS: \"{}\",{},\"{}\",{},\"{}\",{}",
                s.mem1.at_name(),
                cpms_triple(cx.dev, s.mem1),
                s.mem2.at_name(),
                cpms_triple(cx.dev, s.mem2),
                m3.at_name(),
                cpms_triple(cx.dev, m3)
            )])
        }
        ("+CPMS", Kind::Set(a)) if (1..=3).contains(&a.len()) => {
            let mems = match a.iter().map(storage_arg).collect::<Result<Vec<_>, _>>() {
                Ok(m) => m,
                Err(e) => return Some(Err(e)),
            };
            st.sms.mem1 = mems[0];
            if let Some(&m2) = mems.get(1) {
                st.sms.mem2 = m2;
            }
            if let Some(&m3) = mems.get(2) {
                set_mem3(cx.dev, m3);
            }
            let m3 = cx.dev.messaging.preferred_storage();
            Ok(vec![format!(
                "+CPMS: {},{},{}",
                cpms_triple(cx.dev, st.sms.mem1),
                cpms_triple(cx.dev, st.sms.mem2),
                cpms_triple(cx.dev, m3)
            )])
        }
        ("+CMGL", Kind::Test) => Ok(vec![if st.sms.text_mode {
            "+CMGL: (\"REC UNREAD\",\"REC READ\",\"STO UNSENT\",\"STO SENT\",\"ALL\")".into()
        } else {
            "+CMGL: (0-4)".into()
        }]),
        ("+CMGL", Kind::Exec | Kind::Set(_)) => {
            if let Err(e) = need_sim(cx.dev) {
                return Some(Err(e));
            }
            let args = match kind {
                Kind::Set(a) if a.len() == 1 => a.first(),
                Kind::Set(_) => return Some(Err(AtError::Cms(cms::OPERATION_NOT_SUPPORTED))),
                _ => None,
            };
            let want = match stat_arg(st, args) {
                Ok(w) => w,
                Err(e) => return Some(Err(e)),
            };
            let mem = st.sms.mem1;
            let picked: Vec<(u32, Stored)> = cx
                .dev
                .messaging
                .store(mem)
                .iter()
                .filter(|(_, m)| want.is_none_or(|t| t == m.tag))
                .map(|(i, m)| (i, m.clone()))
                .collect();
            let mut out = Vec::new();
            for (i, m) in picked {
                out.extend(show(st, "+CMGL", Some(i), &m));
                mark_read(cx.dev, mem, i);
            }
            Ok(out)
        }
        ("+CMGR", Kind::Set(a)) if a.len() == 1 => {
            if let Err(e) = need_sim(cx.dev) {
                return Some(Err(e));
            }
            let mem = st.sms.mem1;
            let Some(i) = a[0].num() else {
                return Some(Err(AtError::Cms(cms::INVALID_MEMORY_INDEX)));
            };
            let Some(m) = cx.dev.messaging.store(mem).get(i).cloned() else {
                return Some(Err(AtError::Cms(cms::INVALID_MEMORY_INDEX)));
            };
            mark_read(cx.dev, mem, i);
            Ok(show(st, "+CMGR", None, &m).to_vec())
        }
        ("+CMGR", Kind::Test) => Ok(vec![]),
        ("+CMGD", Kind::Test) => {
            let list: Vec<String> = cx
                .dev
                .messaging
                .store(st.sms.mem1)
                .iter()
                .map(|(i, _)| i.to_string())
                .collect();
            Ok(vec![format!("+CMGD: ({}),(0-4)", list.join(","))])
        }
        ("+CMGD", Kind::Set(a)) if (1..=2).contains(&a.len()) => {
            if let Err(e) = need_sim(cx.dev) {
                return Some(Err(e));
            }
            let flag = match a.get(1).filter(|a| !a.is_empty()) {
                None => 0,
                Some(f) => match f.num() {
                    Some(n @ 0..=4) => n,
                    _ => return Some(Err(AtError::Cms(cms::OPERATION_NOT_SUPPORTED))),
                },
            };
            let store = cx.dev.messaging.store_mut(st.sms.mem1);
            if flag == 0 {
                let Some(i) = a[0].num() else {
                    return Some(Err(AtError::Cms(cms::INVALID_MEMORY_INDEX)));
                };
                if !store.delete(i) {
                    return Some(Err(AtError::Cms(cms::INVALID_MEMORY_INDEX)));
                }
            } else {
                store.delete_where(|m| match flag {
                    1 => m.tag == Tag::MtRead,
                    2 => matches!(m.tag, Tag::MtRead | Tag::MoSent),
                    3 => m.tag != Tag::MtNotRead,
                    _ => true,
                });
            }
            Ok(vec![])
        }
        ("+CMGS" | "+CMGW", Kind::Test) => Ok(vec![]),
        (
            "+CSMS" | "+CMGF" | "+CSDH" | "+CSMP" | "+CNMI" | "+CSCA" | "+CPMS" | "+CMGL" | "+CMGR"
            | "+CMGD",
            _,
        ) => Err(AtError::Cms(cms::OPERATION_NOT_SUPPORTED)),
        _ => return None,
    };
    Some(r)
}

/// Unsolicited results for a messaging event, as +CNMI asked.
pub(super) fn urc(st: &Settings, dev: &Device, e: &crate::model::sms::SmsEvent) -> Vec<String> {
    use crate::model::sms::SmsEvent;
    let [mode, mt, _, ds, _] = st.sms.cnmi;
    if mode == 0 {
        return vec![];
    }
    match e {
        SmsEvent::Stored { storage, index } => {
            let report = dev
                .messaging
                .store(*storage)
                .get(*index)
                .and_then(|m| m.pdu.get(tpdu_offset(&m.pdu)).map(|f| f & 3 == 2))
                .unwrap_or(false);
            let name = storage.at_name();
            match (report, mt, ds) {
                (true, _, 2) => vec![format!("+CDSI: \"{name}\",{index}")],
                (false, 1..=3, _) => vec![format!("+CMTI: \"{name}\",{index}")],
                _ => vec![],
            }
        }
        SmsEvent::Transferred { pdu, .. } if mt >= 1 => {
            if st.sms.text_mode {
                match Pdu::parse(pdu, Direction::ToHost) {
                    Ok(Pdu {
                        tpdu: Tpdu::Deliver(d),
                        ..
                    }) => vec![
                        format!(
                            "+CMT: \"{}\",,\"{}\"",
                            to_te(st, &d.originator.text()),
                            d.timestamp.at_text()
                        ),
                        to_te(st, &d.user_data.text_in(d.dcs.alphabet())),
                    ],
                    _ => vec![],
                }
            } else {
                vec![format!("+CMT: ,{}", tpdu_len(pdu)), hex(pdu)]
            }
        }
        _ => vec![],
    }
}

fn tpdu_offset(pdu: &[u8]) -> usize {
    pdu.first().map_or(0, |&n| 1 + usize::from(n))
}
