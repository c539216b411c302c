//! Reading an event log back (`vmodem run --events`, `vmodem simulate`):
//! one JSON object per line. Every error names the file and the line.

use anyhow::{anyhow, bail};
use serde_json::{Map, Value};
use std::path::Path;

/// One record of the log.
#[derive(Debug, Clone)]
pub struct Entry {
    /// `FILE:LINE`, for errors about this record.
    pub at: String,
    /// Simulated ms since the engine started.
    pub t_ms: u64,
    /// Unix time in ms (`vmodem run` and `vmodem ctl watch` only).
    pub wall_ms: Option<u64>,
    pub event: String,
    fields: Map<String, Value>,
}

impl Entry {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields.get(key)
    }

    pub fn num(&self, key: &str) -> anyhow::Result<f64> {
        match self.fields.get(key) {
            Some(v) => v.as_f64().filter(|x| x.is_finite()).ok_or_else(|| {
                anyhow!(
                    "{}: `{key}` of a `{}` record is not a number",
                    self.at,
                    self.event
                )
            }),
            None => bail!("{}: `{}` record without `{key}`", self.at, self.event),
        }
    }

    pub fn text(&self, key: &str) -> anyhow::Result<&str> {
        match self.fields.get(key) {
            Some(v) => v.as_str().ok_or_else(|| {
                anyhow!(
                    "{}: `{key}` of a `{}` record is not a string",
                    self.at,
                    self.event
                )
            }),
            None => bail!("{}: `{}` record without `{key}`", self.at, self.event),
        }
    }

    /// A field that must be there, of any type.
    pub fn value(&self, key: &str) -> anyhow::Result<&Value> {
        self.fields
            .get(key)
            .ok_or_else(|| anyhow!("{}: `{}` record without `{key}`", self.at, self.event))
    }

    pub fn secs(&self) -> f64 {
        self.t_ms as f64 / 1000.0
    }
}

/// Reads a whole log; blank lines are allowed.
pub fn read(path: &Path) -> anyhow::Result<Vec<Entry>> {
    let text = crate::file::read_text(path, "event log", crate::file::LOG_CAP)?;
    parse(&text, &path.display().to_string())
}

pub fn parse(text: &str, name: &str) -> anyhow::Result<Vec<Entry>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        out.push(entry(line, format!("{name}:{}", i + 1))?);
    }
    Ok(out)
}

fn entry(line: &str, at: String) -> anyhow::Result<Entry> {
    let v: Value = serde_json::from_str(line).map_err(|e| anyhow!("{at}: not JSON: {e}"))?;
    let Value::Object(mut fields) = v else {
        bail!("{at}: not a JSON object");
    };
    let t_ms = match fields.remove("t-ms") {
        Some(v) => v
            .as_u64()
            .ok_or_else(|| anyhow!("{at}: `t-ms` is not a whole number of ms"))?,
        None => bail!("{at}: no `t-ms`"),
    };
    let wall_ms = match fields.remove("wall-ms") {
        Some(v) => Some(
            v.as_u64()
                .ok_or_else(|| anyhow!("{at}: `wall-ms` is not a whole number of ms"))?,
        ),
        None => None,
    };
    let event = match fields.remove("event") {
        Some(Value::String(s)) => s,
        Some(_) => bail!("{at}: `event` is not a string"),
        None => bail!("{at}: no `event`"),
    };
    Ok(Entry {
        at,
        t_ms,
        wall_ms,
        event,
        fields,
    })
}

/// `{"fault":"power","cable-ohms":0.1,...}` → `power cable-ohms=0.1 ...`
/// (null fields left out): a compact form of any small object.
pub fn compact(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut parts = Vec::new();
            if let Some(Value::String(k)) = m.get("fault") {
                parts.push(k.clone());
            }
            for (k, v) in m {
                if k == "fault" || v.is_null() {
                    continue;
                }
                parts.push(format!("{k}={}", compact(v)));
            }
            parts.join(" ")
        }
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_records_with_and_without_wall_clock() {
        let log = parse(
            "{\"t-ms\":0,\"event\":\"state\",\"state\":\"booted\"}\n\n\
             {\"t-ms\":12,\"wall-ms\":1700000000000,\"event\":\"supply\",\"volts\":4.9,\"amps\":0.08}\n",
            "ev.jsonl",
        )
        .unwrap();
        assert_eq!(log.len(), 2);
        assert_eq!(log[0].text("state").unwrap(), "booted");
        assert_eq!(log[0].wall_ms, None);
        assert_eq!(log[1].at, "ev.jsonl:3");
        assert_eq!(log[1].wall_ms, Some(1_700_000_000_000));
        assert_eq!(log[1].num("volts").unwrap(), 4.9);
    }

    #[test]
    fn bad_lines_are_named_by_file_and_line() {
        for (text, want) in [
            ("{\"t-ms\":0,\"event\":\"x\"}\nnot json", "f:2: not JSON"),
            ("[1,2]", "f:1: not a JSON object"),
            ("{\"event\":\"x\"}", "f:1: no `t-ms`"),
            ("{\"t-ms\":-5,\"event\":\"x\"}", "f:1: `t-ms` is not"),
            ("{\"t-ms\":1}", "f:1: no `event`"),
            ("{\"t-ms\":1,\"event\":7}", "f:1: `event` is not"),
            (
                "{\"t-ms\":1,\"wall-ms\":\"now\",\"event\":\"x\"}",
                "f:1: `wall-ms`",
            ),
        ] {
            let e = parse(text, "f").unwrap_err().to_string();
            assert!(e.starts_with(want), "{text:?}: {e}");
        }
        let log = parse("{\"t-ms\":1,\"event\":\"supply\",\"volts\":\"high\"}", "f").unwrap();
        let e = log[0].num("volts").unwrap_err().to_string();
        assert_eq!(e, "f:1: `volts` of a `supply` record is not a number");
        let e = log[0].num("amps").unwrap_err().to_string();
        assert_eq!(e, "f:1: `supply` record without `amps`");
    }

    #[test]
    fn compact_names_the_fault_first_and_drops_nulls() {
        let v: Value = serde_json::from_str(
            r#"{"fault":"power","source-volts":null,"cable-ohms":0.1,"connector-ohms":0.05}"#,
        )
        .unwrap();
        assert_eq!(compact(&v), "power cable-ohms=0.1 connector-ohms=0.05");
        let v: Value = serde_json::from_str(r#"{"reset":"brownout"}"#).unwrap();
        assert_eq!(compact(&v), "reset=brownout");
    }
}
