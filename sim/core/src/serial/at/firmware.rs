//! Sierra's firmware identity commands, from the profile: !PRIID (the
//! carrier configuration, PRI) and !IMPREF (the image preference, which
//! names the running images, as DMS Get Firmware Preference does: images
//! are never downloaded here). Layouts after Sierra's AT command reference
//! for 9x15 modules; details guessed.

use super::parse::Kind;
use super::{AtError, Cx, Outcome};

pub(super) fn handle(name: &str, kind: &Kind, cx: &mut Cx<'_>) -> Option<Outcome> {
    let id = &cx.dev.profile.identity;
    // "SWI9X15C_05.05.58.00" → "05.05.58.00"
    let fw = id.boot_version.rsplit('_').next().unwrap_or("");
    let config = format!("{}_{}", id.carrier, id.config_version);
    let r = match (name, kind) {
        ("!PRIID", Kind::Read) => Ok(vec![
            format!("PRI Part Number: {}", id.sku),
            format!("Revision: {}", id.pri_version),
            format!("Customer: {}", id.carrier),
            format!("Carrier PRI: {config}"),
        ]),
        ("!IMPREF", Kind::Read) => Ok(vec![
            "!IMPREF: ".into(),
            format!(" preferred fw version:    {fw}"),
            format!(" preferred carrier name:  {}", id.carrier),
            format!(" preferred config name:   {config}"),
            format!(" current fw version:      {fw}"),
            format!(" current carrier name:    {}", id.carrier),
            format!(" current config name:     {config}"),
        ]),
        ("!PRIID" | "!IMPREF", Kind::Test) => Ok(vec![]),
        ("!PRIID" | "!IMPREF", _) => Err(AtError::Error),
        _ => return None,
    };
    Some(r)
}
