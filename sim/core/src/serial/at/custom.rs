//! AT!CUSTOM: the customizations a carrier or integrator set on the module,
//! as name and hex value, the set ones only (as Sierra prints them). Each
//! value is a fact of the profile the rest of the model already uses, so
//! the list cannot disagree with what the module does: GNSS (every EM7305
//! has the receiver), IPv6 (an APN of the profile has an IPv6 address),
//! the USB serial functions (the running composition has an AT port).
//! Changing a customization is refused: vmodem keeps no such NV item.

use super::parse::Kind;
use super::{AtError, Cx, Outcome};

pub(super) fn handle(name: &str, kind: &Kind, cx: &mut Cx<'_>) -> Option<Outcome> {
    if name != "!CUSTOM" {
        return None;
    }
    Some(match kind {
        Kind::Read | Kind::Exec => Ok(std::iter::once("!CUSTOM: ".to_string())
            .chain(
                values(cx)
                    .into_iter()
                    .filter(|&(_, v)| v != 0)
                    .map(|(n, v)| format!("              {n:<18} 0x{v:02X}")),
            )
            .collect()),
        Kind::Test => Ok(vec![]),
        Kind::Set(_) => Err(AtError::Error),
    })
}

/// Every customization vmodem knows, with its value.
pub(super) fn values(cx: &Cx<'_>) -> Vec<(&'static str, u8)> {
    let p = &cx.dev.profile;
    let ipv6 = p.network.apn.iter().any(|a| a.ipv6_address.is_some());
    let serial = super::sierra::has_at_port(cx.dev.usb_composition);
    vec![
        ("GPSENABLE", 1),
        ("IPV6ENABLE", ipv6 as u8),
        ("USBSERIALENABLE", serial as u8),
    ]
}
