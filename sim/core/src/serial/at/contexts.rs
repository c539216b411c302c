//! Context activation over AT on the one store of PDP contexts and the
//! model's bearers: +CGACT and +CGPADDR (3GPP TS 27.007 §10.1.10, §10.1.14)
//! and Qualcomm's $QCRMCALL, which starts a call for the RmNet (QMI)
//! interface as `!SCACT` does for a context.

use super::parse::Kind;
use super::sierra::scact_set;
use super::{Cme, Cx, Outcome};
use crate::model::{Device, IpFamily, PdpProfile};

/// The bearers up on a context's APN.
fn active<'a>(dev: &'a Device, p: &PdpProfile) -> impl Iterator<Item = &'a crate::model::Bearer> {
    let apn = dev.call_apn(None, Some(p));
    dev.bearers
        .iter()
        .filter(move |b| b.apn.eq_ignore_ascii_case(&apn))
}

fn address(b: &crate::model::Bearer) -> String {
    match (b.family, b.settings.ipv6_address) {
        (IpFamily::V6, Some(a)) => a.to_string(),
        _ => b.settings.ipv4_address.to_string(),
    }
}

pub(super) fn handle(name: &str, kind: &Kind, cx: &mut Cx<'_>) -> Option<Outcome> {
    let r = match (name, kind) {
        ("+CGACT", Kind::Read) => Ok(cx
            .dev
            .pdp_profiles
            .list()
            .iter()
            .map(|p| {
                format!(
                    "+CGACT: {},{}",
                    p.index,
                    active(cx.dev, p).next().is_some() as u8
                )
            })
            .collect()),
        ("+CGACT", Kind::Test) => Ok(vec!["+CGACT: (0,1)".into()]),
        ("+CGACT", Kind::Set(a)) if a.len() == 2 => scact_set(a[0].num(), a[1].num(), cx),
        ("+CGACT", _) => Err(Cme::IncorrectParameters.into()),
        ("+CGPADDR", Kind::Test) => Ok(vec![format!(
            "+CGPADDR: ({})",
            cx.dev
                .pdp_profiles
                .list()
                .iter()
                .map(|p| p.index.to_string())
                .collect::<Vec<_>>()
                .join(",")
        )]),
        ("+CGPADDR", Kind::Exec | Kind::Set(_)) => {
            let want: Option<Vec<u32>> = match kind {
                Kind::Set(a) => a.iter().map(|x| x.num()).collect(),
                _ => Some(vec![]),
            };
            let Some(want) = want else {
                return Some(Err(Cme::IncorrectParameters.into()));
            };
            let dev = &cx.dev;
            let mut out = Vec::new();
            for p in dev.pdp_profiles.list() {
                if !want.is_empty() && !want.contains(&(p.index as u32)) {
                    continue;
                }
                let addr = active(dev, p).next().map(address).unwrap_or_default();
                out.push(format!("+CGPADDR: {},\"{addr}\"", p.index));
            }
            Ok(out)
        }
        ("$QCRMCALL", Kind::Read) => {
            let mut out = Vec::new();
            for b in &cx.dev.bearers {
                let fam = match b.family {
                    IpFamily::V6 => "V6",
                    _ => "V4",
                };
                out.push(format!("$QCRMCALL: 1, {fam}"));
            }
            Ok(out)
        }
        ("$QCRMCALL", Kind::Test) => {
            Ok(vec!["$QCRMCALL: (0-1),(1),(1-3),(1-2),(1-16),(1-16)".into()])
        }
        ("$QCRMCALL", Kind::Set(a)) if (2..=6).contains(&a.len()) => {
            // <action>,<instance>[,<IP type>[,<act>[,<3GPP profile>]]]
            let n: Vec<Option<u32>> = a.iter().map(|x| x.num()).collect();
            let profile = n.get(4).copied().flatten().unwrap_or(1);
            if n[1] != Some(1) || matches!(n.get(2), Some(Some(t)) if !(1..=3).contains(t)) {
                return Some(Err(Cme::IncorrectParameters.into()));
            }
            scact_set(n[0], Some(profile), cx)
        }
        ("$QCRMCALL", _) => Err(Cme::IncorrectParameters.into()),
        _ => return None,
    };
    Some(r)
}
