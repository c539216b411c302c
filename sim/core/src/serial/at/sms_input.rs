//! +CMGS and +CMGW: the command line sets up the message, the `> `
//! prompt takes its body (hex PDU, or text in text mode) until Ctrl-Z
//! sends or stores it; ESC abandons it.

use super::parse::{Arg, Kind};
use super::sms::{cms, from_te, need_sim, tag_of_stat};
use super::{AtError, Cx, Outcome};
use crate::model::sms::{SubmitError, Tag};
use crate::wire::sms::{split_text, Address, Dcs, Direction, Pdu, Submit, Tpdu, Validity};

/// Longest body the prompt takes: a 176-octet PDU in hex is 352
/// characters; a text of one message in UCS2 hex is 280.
pub const MAX_INPUT: usize = 1024;

pub const CTRL_Z: u8 = 0x1A;
pub const ESC: u8 = 0x1B;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Body {
    /// PDU mode: the TPDU's length in octets.
    Pdu { len: usize },
    /// Text mode: the destination.
    Text { to: String },
}

/// A +CMGS or +CMGW waiting for its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsInput {
    /// +CMGW with the status to store; `None` is +CMGS.
    write: Option<Tag>,
    body: Body,
    pub buf: Vec<u8>,
    pub overflow: bool,
}

impl SmsInput {
    pub fn text_mode(&self) -> bool {
        matches!(self.body, Body::Text { .. })
    }

    /// One byte of the body (not Ctrl-Z or ESC).
    pub fn push(&mut self, b: u8) {
        if self.buf.len() >= MAX_INPUT {
            self.overflow = true;
        } else {
            self.buf.push(b);
        }
    }
}

fn bad(text_mode: bool) -> AtError {
    AtError::Cms(if text_mode {
        cms::INVALID_TEXT_PARAMETER
    } else {
        cms::INVALID_PDU_PARAMETER
    })
}

/// The input a +CMGS/+CMGW line opens, or its error; `None` for other
/// commands.
pub(super) fn start(name: &str, kind: &Kind, cx: &mut Cx<'_>) -> Option<Result<SmsInput, AtError>> {
    let write = match name {
        "+CMGS" => false,
        "+CMGW" => true,
        _ => return None,
    };
    let Kind::Set(a) = kind else {
        return match kind {
            Kind::Test => None,
            _ => Some(Err(AtError::Cms(cms::OPERATION_NOT_SUPPORTED))),
        };
    };
    Some(open(write, a, cx))
}

fn open(write: bool, a: &[Arg], cx: &mut Cx<'_>) -> Result<SmsInput, AtError> {
    need_sim(cx.dev)?;
    let text_mode = cx.st.sms.text_mode;
    let stat_at = if text_mode { 2 } else { 1 };
    let stat = match a.get(stat_at).filter(|_| write) {
        None => Tag::MoNotSent,
        Some(s) if text_mode => {
            let i = ["REC UNREAD", "REC READ", "STO UNSENT", "STO SENT"]
                .iter()
                .position(|n| *n == s.text)
                .ok_or(bad(true))?;
            tag_of_stat(i as u8).ok_or(bad(true))?
        }
        Some(s) => s
            .num()
            .and_then(|n| u8::try_from(n).ok())
            .and_then(tag_of_stat)
            .ok_or(bad(false))?,
    };
    let max_args = if write { stat_at + 1 } else { stat_at };
    if a.is_empty() || a.len() > max_args {
        return Err(bad(text_mode));
    }
    let body = if text_mode {
        let to = from_te(cx.st, &a[0].text).ok_or(bad(true))?;
        let to = match a.get(1).and_then(Arg::num) {
            Some(145) if !to.starts_with('+') => format!("+{to}"),
            _ => to,
        };
        Address::from_number(&to).ok_or(bad(true))?;
        Body::Text { to }
    } else {
        let len = a[0]
            .num()
            .filter(|&n| (7..=164).contains(&n))
            .ok_or(bad(false))?;
        Body::Pdu { len: len as usize }
    };
    Ok(SmsInput {
        write: write.then_some(stat),
        body,
        buf: Vec::new(),
        overflow: false,
    })
}

fn unhex(b: &[u8]) -> Option<Vec<u8>> {
    if b.len() % 2 != 0 {
        return None;
    }
    b.chunks(2)
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).ok()?, 16).ok())
        .collect()
}

/// The text mode body as one SUBMIT PDU, with +CSMP's parameters.
fn text_pdu(to: &str, body: &[u8], cx: &Cx<'_>) -> Result<Vec<u8>, AtError> {
    let raw: String = body.iter().map(|&b| char::from(b)).collect();
    let text = from_te(cx.st, &raw).ok_or(bad(true))?;
    let (alphabet, parts) = split_text(&text, 0).ok_or(bad(true))?;
    let [ud] = <[_; 1]>::try_from(parts).map_err(|_| bad(true))?;
    let [fo, vp, pid, dcs] = cx.st.sms.csmp;
    let pdu = Pdu {
        smsc: None,
        tpdu: Tpdu::Submit(Submit {
            reject_duplicates: fo & 0x04 != 0,
            status_report_request: fo & 0x20 != 0,
            reply_path: fo & 0x80 != 0,
            reference: 0,
            destination: Address::from_number(to).ok_or(bad(true))?,
            pid,
            dcs: Dcs::new(alphabet, Dcs(dcs).class()),
            validity: if (fo >> 3) & 3 == 2 {
                Validity::Relative(vp)
            } else {
                Validity::None
            },
            user_data: ud,
        }),
    };
    pdu.to_bytes().map_err(|_| bad(true))
}

/// The body is complete (Ctrl-Z): send or store it.
pub(super) fn complete(input: SmsInput, cx: &mut Cx<'_>) -> Outcome {
    let text_mode = input.text_mode();
    if input.overflow {
        return Err(bad(text_mode));
    }
    let pdu = match &input.body {
        Body::Pdu { len } => {
            let b = unhex(&input.buf).ok_or(bad(false))?;
            let smsc = usize::from(*b.first().ok_or(bad(false))?) + 1;
            if b.len() != smsc + len {
                return Err(bad(false));
            }
            b
        }
        Body::Text { to } => text_pdu(to, &input.buf, cx)?,
    };
    match input.write {
        None => match cx.dev.sms_submit(&pdu, cx.now) {
            Ok(mr) => Ok(vec![format!("+CMGS: {mr}")]),
            Err(SubmitError::BadPdu) => Err(bad(text_mode)),
            Err(SubmitError::NoService) => Err(AtError::Cms(cms::NO_NETWORK_SERVICE)),
            Err(SubmitError::Rejected { rp_cause }) => Err(AtError::Cms(u16::from(rp_cause))),
        },
        Some(tag) => {
            let dir = if tag.is_mt() {
                Direction::ToHost
            } else {
                Direction::FromHost
            };
            let ok = match Pdu::parse(&pdu, dir).map(|p| p.tpdu) {
                Ok(Tpdu::Submit(_)) => !tag.is_mt(),
                Ok(Tpdu::Deliver(_) | Tpdu::StatusReport(_)) => tag.is_mt(),
                _ => false,
            };
            if !ok {
                return Err(bad(text_mode));
            }
            let mem = cx.st.sms.mem2;
            let index = cx
                .dev
                .messaging
                .store_mut(mem)
                .store(tag, pdu)
                .ok_or(AtError::Cms(cms::MEMORY_FULL))?;
            Ok(vec![format!("+CMGW: {index}")])
        }
    }
}
