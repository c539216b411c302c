//! The clock over AT (3GPP TS 27.007 §8.15, §8.40-41): +CCLK? reads the
//! network-set clock in local time with the zone in quarter hours (what
//! ModemManager's Time interface parses), +CTZU switches automatic zone
//! update, +CTZR the NITZ unsolicited results (+CTZV, +CTZE).

use super::parse::Kind;
use super::{one_num, Cme, Cx, Outcome, Settings};
use crate::model::{ClockReading, Device};

/// `yy/MM/dd,hh:mm:ss` of a date and time.
fn stamp(t: crate::model::calendar::DateTime, four_digit_year: bool) -> String {
    let y = if four_digit_year {
        format!("{:04}", t.year)
    } else {
        format!("{:02}", t.year.rem_euclid(100))
    };
    format!(
        "{y}/{:02}/{:02},{:02}:{:02}:{:02}",
        t.month, t.day, t.hour, t.minute, t.second
    )
}

fn zone(c: ClockReading) -> String {
    format!("{:+03}", c.zone_quarters())
}

pub(super) fn handle(name: &str, kind: &Kind, cx: &mut Cx<'_>) -> Option<Outcome> {
    let r = match (name, kind) {
        ("+CCLK", Kind::Read) => {
            let c = cx.dev.clock(cx.now);
            Ok(vec![format!(
                "+CCLK: \"{}{}\"",
                stamp(c.local(), false),
                zone(c)
            )])
        }
        ("+CCLK", Kind::Test) => Ok(vec![]),
        // The clock is the network's: setting it is refused.
        ("+CCLK", Kind::Set(_)) => Err(Cme::NotAllowed.into()),
        ("+CTZU", Kind::Read) => Ok(vec![format!("+CTZU: {}", cx.st.ctzu as u8)]),
        ("+CTZU", Kind::Test) => Ok(vec!["+CTZU: (0,1)".into()]),
        ("+CTZU", k) => match one_num(k) {
            Some(v @ 0..=1) => {
                cx.st.ctzu = v == 1;
                Ok(vec![])
            }
            _ => Err(Cme::IncorrectParameters.into()),
        },
        ("+CTZR", Kind::Read) => Ok(vec![format!("+CTZR: {}", cx.st.ctzr)]),
        ("+CTZR", Kind::Test) => Ok(vec!["+CTZR: (0-2)".into()]),
        ("+CTZR", k) => match one_num(k) {
            Some(v @ 0..=2) => {
                cx.st.ctzr = v as u8;
                Ok(vec![])
            }
            _ => Err(Cme::IncorrectParameters.into()),
        },
        _ => return None,
    };
    Some(r)
}

/// The unsolicited result NITZ gives under +CTZR, if any: +CTZV the zone,
/// +CTZE the zone, DST and the universal time it came with.
pub(super) fn nitz_urc(st: &Settings, dev: &Device) -> Option<String> {
    let c = dev.clock(dev.nitz_at?);
    match st.ctzr {
        1 => Some(format!("+CTZV: {}", zone(c))),
        2 => Some(format!(
            "+CTZE: \"{}\",{},\"{}\"",
            zone(c),
            c.dst_hours,
            stamp(c.utc(), true)
        )),
        _ => None,
    }
}
