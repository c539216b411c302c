//! Where a value sits in a TOML text, so that a check made after parsing
//! (a Luhn digit, a prefix length) can name file:line:col like a syntax
//! error does.

use super::profile::line_col;
use toml::de::{DeTable, DeValue};

/// The 1-based line and column of the value at `path` (dotted keys; array
/// elements by index, as in `network.apn.0.ipv4_prefix`). A path that is
/// not in the text (a default was used) gives the place of its nearest
/// ancestor that is; `None` only when nothing of it is written.
pub fn place_of(text: &str, path: &str) -> Option<(usize, usize)> {
    let doc = DeTable::parse(text).ok()?;
    let mut span = None;
    let mut table: Option<&DeTable> = Some(doc.get_ref());
    let mut value: Option<&DeValue> = None;
    for seg in path.split('.') {
        let next = match (table, value) {
            (Some(t), _) => t.iter().find(|(k, _)| k.get_ref() == seg).map(|(_, v)| v),
            (None, Some(DeValue::Array(a))) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        };
        let Some(v) = next else { break };
        span = Some(v.span());
        value = Some(v.get_ref());
        table = match v.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => None,
        };
    }
    span.map(|s| line_col(text, s.start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_values_tables_and_array_elements() {
        let text = "[a]\nb = 1\n\n[[c]]\nd = 2\n\n[[c]]\nd = 3\n";
        assert_eq!(place_of(text, "a.b"), Some((2, 5)));
        assert_eq!(place_of(text, "c.1.d"), Some((8, 5)));
        // Absent: the nearest ancestor written.
        assert_eq!(place_of(text, "a.x").map(|p| p.0), Some(1));
        assert_eq!(place_of(text, "zz"), None);
    }
}
