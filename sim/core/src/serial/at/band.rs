//! AT!BAND and AT!GETBAND: Sierra's band sets, on the model's band
//! preferences (the ones NAS System Selection Preference reads and sets),
//! so a band set without LTE makes the radio register on UMTS and draw
//! UMTS current. Choosing a set needs AT!ENTERCND, as on the module.
//!
//! Masks are QMI band preference bits (the GW mask) and E-UTRA band bits
//! (the L mask), printed as 16 hex digits as Sierra's AT reference shows
//! them; indexes are hexadecimal. The sets and the table layout follow
//! public MC73xx/EM73xx samples; the read form for masks that match no set
//! is guessed.

use super::parse::Kind;
use super::{AtError, Cme, Cx, Outcome};
use crate::model::{bands, RegState, Technology};

const W2100: u64 = 1 << 22;
const W1900: u64 = 1 << 23;
const W850: u64 = 1 << 26;
const W900: u64 = 1 << 49;
const GSM_EU: u64 = (1 << 7) | (1 << 8) | (1 << 9);
const WCDMA: u64 = W2100 | W1900 | W850 | W900;

/// One band set: index, name, GW mask, L mask.
struct BandSet(u8, &'static str, u64, u64);

const SETS: [BandSet; 6] = [
    BandSet(0x00, "All bands", bands::BAND_PREF, bands::LTE_BAND_PREF),
    BandSet(0x01, "Europe 3G", W2100 | W900, 0),
    BandSet(0x02, "North America 3G", W1900 | W850, 0),
    BandSet(0x06, "Europe", GSM_EU | W2100 | W900, bands::LTE_BAND_PREF),
    BandSet(0x08, "WCDMA ALL", WCDMA, 0),
    BandSet(0x09, "LTE ALL", 0, bands::LTE_BAND_PREF),
];

const HEADER: &str = "Index, Name,                        GW Band Mask     L Band Mask";

fn row(index: &str, name: &str, gw: u64, l: u64) -> String {
    format!("{index}, {name:<31} {gw:016X} {l:016X}")
}

pub(super) fn handle(name: &str, kind: &Kind, cx: &mut Cx<'_>) -> Option<Outcome> {
    Some(match (name, kind) {
        ("!BAND", Kind::Test) => Ok(std::iter::once(HEADER.to_string())
            .chain(
                SETS.iter()
                    .map(|s| row(&format!("{:02X}", s.0), s.1, s.2, s.3)),
            )
            .collect()),
        ("!BAND", Kind::Read | Kind::Exec) => {
            let sel = &cx.dev.selection;
            let (gw, l) = (sel.band_pref, sel.lte_band_pref);
            Ok(match SETS.iter().find(|s| (s.2, s.3) == (gw, l)) {
                Some(s) => vec!["Index, Name".into(), format!("{:02X}, {}", s.0, s.1)],
                None => vec![HEADER.into(), row("FF", "Unknown", gw, l)],
            })
        }
        ("!BAND", Kind::Set(a)) => {
            if !cx.st.cnd_unlocked {
                return Some(Err(AtError::Error));
            }
            let index = (a.len() == 1 && !a[0].quoted)
                .then(|| u8::from_str_radix(&a[0].text, 16).ok())
                .flatten();
            match SETS.iter().find(|s| Some(s.0) == index) {
                Some(s) => {
                    let sel = &cx.dev.selection;
                    if (s.2, s.3) != (sel.band_pref, sel.lte_band_pref) {
                        cx.dev.set_band_prefs(s.2, s.3, cx.now);
                    }
                    Ok(vec![])
                }
                None => Err(Cme::IncorrectParameters.into()),
            }
        }
        ("!GETBAND", Kind::Read | Kind::Exec) => Ok(vec![format!("!GETBAND: {}", current(cx))]),
        ("!GETBAND", Kind::Test) => Ok(vec![]),
        ("!GETBAND", _) => Err(AtError::Error),
        _ => return None,
    })
}

/// The band the radio is on: the serving network's, once it has one.
fn current(cx: &Cx<'_>) -> String {
    let reg = &cx.dev.registration;
    let net = &cx.dev.profile.network;
    match reg.rat {
        _ if reg.state == RegState::NotRegistered => "No Service".into(),
        Some(Technology::Lte) => format!("LTE BAND {}", net.lte_band),
        Some(Technology::Umts) => format!("WCDMA BAND {}", net.umts_band),
        None => "No Service".into(),
    }
}
