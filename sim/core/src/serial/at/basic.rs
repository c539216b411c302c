//! V.250 basic commands (E, V, Q, Z, &F, S-registers, D, H, ...) and the
//! port-level extended ones (+CMEE, +CSCS).

use super::parse::{Command, Kind};
use super::{one_num, AtError, Cme, Cx, Outcome, Settings};

pub(super) fn handle(cmd: &Command, cx: &mut Cx<'_>) -> Outcome {
    match cmd {
        Command::Basic { name, num } => basic(name, *num, cx),
        Command::SRegister { reg, set } => {
            let r = *reg as usize;
            if r >= cx.st.s.len() {
                return Err(AtError::Error);
            }
            match set {
                None => Ok(vec![format!("{:03}", cx.st.s[r])]),
                Some(v) if *v <= 255 => {
                    cx.st.s[r] = *v as u8;
                    Ok(vec![])
                }
                Some(_) => Err(AtError::Error),
            }
        }
        // No circuit-switched or PPP data: a dial attempt fails as a call
        // that cannot be set up does.
        Command::Dial(_) => Err(AtError::NoCarrier),
        Command::Extended { .. } => Err(AtError::Error),
    }
}

fn flag(num: Option<u32>) -> Result<bool, AtError> {
    match num.unwrap_or(0) {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(AtError::Error),
    }
}

fn basic(name: &str, num: Option<u32>, cx: &mut Cx<'_>) -> Outcome {
    match name {
        "E" => cx.st.echo = flag(num)?,
        "V" => cx.st.verbose = flag(num)?,
        "Q" => cx.st.quiet = flag(num)?,
        // Z restores the stored profile, &F the factory one; this modem
        // stores none, so both give the defaults.
        "Z" | "&F" if num.unwrap_or(0) == 0 => *cx.st = Settings::default(),
        "I" => return super::identity::ati(num.unwrap_or(0), cx),
        // Call control without calls: nothing to hang up or answer.
        "H" if num.unwrap_or(0) == 0 => {}
        "A" => return Err(AtError::NoCarrier),
        // Dial-up options with no effect here (no PPP on this port).
        "X" if num.unwrap_or(0) <= 4 => {}
        "&C" | "&D" | "L" | "M" if num.unwrap_or(0) <= 2 => {}
        "&W" | "&V" => {}
        _ => return Err(AtError::Error),
    }
    Ok(vec![])
}

pub(super) fn extended(name: &str, kind: &Kind, cx: &mut Cx<'_>) -> Option<Outcome> {
    let r = match (name, kind) {
        ("+CMEE", Kind::Read) => Ok(vec![format!("+CMEE: {}", cx.st.cmee)]),
        ("+CMEE", Kind::Test) => Ok(vec!["+CMEE: (0-2)".into()]),
        ("+CMEE", k) => match one_num(k) {
            Some(n @ 0..=2) => {
                cx.st.cmee = n as u8;
                Ok(vec![])
            }
            _ => Err(Cme::IncorrectParameters.into()),
        },
        ("+CSCS", Kind::Read) => Ok(vec![format!("+CSCS: \"{}\"", cx.st.charset)]),
        ("+CSCS", Kind::Test) => Ok(vec!["+CSCS: (\"IRA\",\"GSM\",\"UCS2\")".into()]),
        ("+CSCS", Kind::Set(a)) if a.len() == 1 => {
            let cs = a[0].text.to_ascii_uppercase();
            if ["IRA", "GSM", "UCS2"].contains(&cs.as_str()) {
                cx.st.charset = cs;
                Ok(vec![])
            } else {
                Err(Cme::IncorrectParameters.into())
            }
        }
        ("+CSCS", _) => Err(Cme::IncorrectParameters.into()),
        _ => return None,
    };
    Some(r)
}
