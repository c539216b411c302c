//! AT!SELRAT: Sierra's radio access technology selection, on the model's
//! mode preference (the one NAS System Selection Preference, +WS46 and
//! ModemManager's allowed modes change), so the radio registers, and draws
//! current, as it says. Setting it needs AT!ENTERCND, as on the module.
//!
//! Values after Sierra's AT command reference for 9x15 modules; the
//! "preferred" ones (03, 04) order acquisition, which the model does not
//! keep, so they are refused.

use super::parse::Kind;
use super::{Cme, Cx, Outcome};
use crate::model::mode_pref::{GSM, LTE, UMTS};

const RATS: [(u32, u16, &str); 6] = [
    (0, GSM | UMTS | LTE, "Automatic"),
    (1, UMTS, "UMTS 3G Only"),
    (2, GSM, "GSM 2G Only"),
    (5, GSM | UMTS, "GSM and UMTS Only"),
    (6, LTE, "LTE Only"),
    (7, GSM | UMTS | LTE, "GSM, UMTS and LTE"),
];

pub(super) fn handle(name: &str, kind: &Kind, cx: &mut Cx<'_>) -> Option<Outcome> {
    if name != "!SELRAT" {
        return None;
    }
    Some(match kind {
        Kind::Read | Kind::Exec => {
            let pref = cx.dev.mode_pref & (GSM | UMTS | LTE);
            match RATS.iter().find(|r| r.1 == pref) {
                Some((v, _, text)) => Ok(vec![format!("!SELRAT: {v:02}, {text}")]),
                None => Err(Cme::NotAllowed.into()),
            }
        }
        Kind::Test => Ok(RATS
            .iter()
            .map(|(v, _, text)| format!("{v:02}, {text}"))
            .collect()),
        Kind::Set(a) => {
            if !cx.st.cnd_unlocked {
                return Some(Err(Cme::NotAllowed.into()));
            }
            let v = (a.len() == 1).then(|| a[0].num()).flatten();
            match RATS.iter().find(|r| Some(r.0) == v) {
                Some(&(_, pref, _)) => {
                    if pref != cx.dev.mode_pref {
                        cx.dev.set_mode_pref(pref, cx.now);
                    }
                    Ok(vec![])
                }
                None => Err(Cme::IncorrectParameters.into()),
            }
        }
    })
}
