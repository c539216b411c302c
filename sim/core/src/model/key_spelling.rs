//! One spelling of every key in profiles and scenarios: kebab-case
//! (`cable-ohms`). Files written before that spelled profile keys in
//! snake_case (`cable_ohms`); they still load, and the caller can name
//! every old spelling, with its place, to warn about it.

use super::profile::line_col;
use std::borrow::Cow;
use std::ops::Range;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// A key written in the old spelling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OldSpelling {
    /// 1-based line and column of the key.
    pub line: usize,
    pub column: usize,
    /// As written (`cable_ohms`).
    pub old: String,
    /// As it is spelt now (`cable-ohms`).
    pub new: String,
}

/// The text with every snake_case key rewritten in kebab-case, and the
/// keys that were. The rewrite keeps every byte offset, so the places in
/// later errors are those of the file as written. Text that is not TOML
/// comes back unchanged, for the parser to report.
pub fn to_kebab(text: &str) -> (Cow<'_, str>, Vec<OldSpelling>) {
    let mut out = Cow::Borrowed(text);
    let mut found = Vec::new();
    // A table header repeated (`[[a_b]]` twice) is one key to the parser
    // but spelt at each place: rewrite until none is left.
    loop {
        let spans = snake_key_spans(&out);
        let mut bytes = out.as_bytes().to_vec();
        let mut changed = false;
        for span in spans {
            let old = out[span.clone()].trim_matches(['"', '\'']).to_string();
            for b in &mut bytes[span.clone()] {
                if *b == b'_' {
                    *b = b'-';
                    changed = true;
                }
            }
            let (line, column) = line_col(text, span.start);
            found.push(OldSpelling {
                line,
                column,
                new: old.replace('_', "-"),
                old,
            });
        }
        if !changed {
            break;
        }
        // Only ASCII '_' became ASCII '-': still UTF-8.
        out = Cow::Owned(String::from_utf8(bytes).expect("ASCII for ASCII"));
    }
    found.sort_by_key(|o| (o.line, o.column));
    found.dedup();
    (out, found)
}

/// Where keys with an underscore are written.
fn snake_key_spans(text: &str) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    if let Ok(table) = DeTable::parse(text) {
        walk_table(table.get_ref(), text, &mut spans);
    }
    spans
}

fn walk_table(t: &DeTable<'_>, text: &str, spans: &mut Vec<Range<usize>>) {
    for (k, v) in t.iter() {
        let span = k.span();
        if k.get_ref().contains('_') && text.get(span.clone()).is_some_and(|s| s.contains('_')) {
            spans.push(span);
        }
        walk_value(v, text, spans);
    }
}

fn walk_value(v: &Spanned<DeValue<'_>>, text: &str, spans: &mut Vec<Range<usize>>) {
    match v.get_ref() {
        DeValue::Table(t) => walk_table(t, text, spans),
        DeValue::Array(a) => {
            for item in a {
                walk_value(item, text, spans);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_keys_become_kebab_in_place_and_are_named() {
        let text = "seed = 1\n[power]\ncable_ohms = 1.5 # a_comment\nname = \"a_value\"\n\
                    [[network.apn]]\nipv4_prefix = 24\ninline = { brownout_volts = 3.0 }\n";
        let (new, old) = to_kebab(text);
        assert_eq!(
            new,
            text.replace("cable_ohms", "cable-ohms")
                .replace("ipv4_prefix", "ipv4-prefix")
                .replace("brownout_volts", "brownout-volts")
        );
        let places: Vec<_> = old
            .iter()
            .map(|o| (o.line, o.column, o.old.as_str(), o.new.as_str()))
            .collect();
        assert_eq!(
            places,
            [
                (3, 1, "cable_ohms", "cable-ohms"),
                (6, 1, "ipv4_prefix", "ipv4-prefix"),
                (7, 12, "brownout_volts", "brownout-volts"),
            ]
        );
    }

    #[test]
    fn profiles_and_scenarios_load_in_either_spelling() {
        use crate::model::profile::{Profile, DEFAULT_PROFILE};
        use crate::scenario::Scenario;
        let old = DEFAULT_PROFILE.replace("cable-ohms = 0.25", "cable_ohms = 1.5");
        assert_ne!(old, DEFAULT_PROFILE);
        let p = Profile::from_toml(&old, "old.toml").unwrap();
        assert_eq!(p.power.cable_ohms, 1.5);
        for key in ["cable-ohms", "cable_ohms"] {
            let s = Scenario::from_toml(&format!("[power]\n{key} = 1.5\n"), "s.toml").unwrap();
            assert_eq!(s.power.unwrap().cable_ohms, Some(1.5), "{key}");
        }
        // An error after an old spelling still names the place as written.
        let e = Profile::from_toml(&old.replace("pin-retries = 3", "pin-retries = \"x\""), "o")
            .unwrap_err()
            .to_string();
        let line = old
            .lines()
            .position(|l| l.starts_with("pin-retries"))
            .unwrap()
            + 1;
        assert!(e.starts_with(&format!("o:{line}:15")), "{e}");
    }

    #[test]
    fn kebab_text_and_broken_text_are_left_alone() {
        let text = "[power]\ncable-ohms = 1.5\n";
        let (new, old) = to_kebab(text);
        assert!(matches!(new, Cow::Borrowed(_)) && old.is_empty());
        let broken = "cable_ohms = = 1";
        let (new, old) = to_kebab(broken);
        assert_eq!(new, broken);
        assert!(old.is_empty());
    }

    #[test]
    fn a_repeated_array_header_is_rewritten_everywhere() {
        let text = "[[a_b]]\nx = 1\n[[a_b]]\nx = 2\n";
        let (new, old) = to_kebab(text);
        assert_eq!(new, "[[a-b]]\nx = 1\n[[a-b]]\nx = 2\n");
        assert_eq!(old.len(), 2, "{old:?}");
    }
}
