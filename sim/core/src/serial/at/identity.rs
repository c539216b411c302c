//! Identity: ATI in Sierra's layout, +GCAP and the 27.007/V.250 identity
//! commands, all from the profile.

use super::parse::Kind;
use super::{AtError, Cme, Cx, Outcome};
use crate::model::SimState;

/// +GCAP of a Sierra 9x15 with the CDMA entries of the MC7354 sample
/// removed, as the EM7305 has no CDMA radio (inferred); +FCLASS as the
/// module lists it.
const GCAP: &str = "+GCAP: +CGSM, +CLTE2, +MS, +ES, +DS, +FCLASS";

/// ATI: Sierra prints one `Label: value` line per identity, then a blank
/// line, so two blank lines come before OK. The EM7305 has no CDMA, so no
/// MEID/ESN lines.
pub(super) fn ati(n: u32, cx: &mut Cx<'_>) -> Outcome {
    if n != 0 {
        return Err(AtError::Error);
    }
    let id = &cx.dev.profile.identity;
    Ok(vec![
        format!("Manufacturer: {}", id.manufacturer),
        format!("Model: {}", id.model),
        format!("Revision: {}", id.revision),
        format!("IMEI: {}", id.imei),
        format!("IMEI SV: {}", id.imei_sv),
        format!("FSN: {}", id.serial),
        GCAP.to_string(),
        String::new(),
    ])
}

pub(super) fn handle(name: &str, kind: &Kind, cx: &mut Cx<'_>) -> Option<Outcome> {
    let id = &cx.dev.profile.identity;
    let value = match name {
        "+CGMI" | "+GMI" => id.manufacturer.clone(),
        "+CGMM" | "+GMM" => id.model.clone(),
        "+CGMR" | "+GMR" => id.revision.clone(),
        "+CGSN" | "+GSN" => id.imei.clone(),
        "+GCAP" => GCAP.to_string(),
        "+CIMI" => {
            if let Err(e) = super::sim::need_ready(cx.dev) {
                return Some(Err(e));
            }
            cx.dev.profile.sim.imsi.clone()
        }
        // The ICCID file is readable without the PIN.
        "+CCID" | "!ICCID" => {
            if cx.dev.sim.state == SimState::Absent {
                return Some(Err(Cme::SimNotInserted.into()));
            }
            let iccid = &cx.dev.profile.sim.iccid;
            match (name, kind) {
                ("+CCID", Kind::Exec | Kind::Read) => format!("+CCID: {iccid}"),
                ("!ICCID", Kind::Read) => format!("ICCID: {iccid}"),
                (_, Kind::Test) => return Some(Ok(vec![])),
                _ => return Some(Err(AtError::Error)),
            }
        }
        _ => return None,
    };
    Some(match kind {
        Kind::Exec => Ok(vec![value]),
        Kind::Test => Ok(vec![]),
        _ if name == "+CCID" || name == "!ICCID" => Ok(vec![value]),
        _ => Err(AtError::Error),
    })
}
