//! ModemManager's view of a run, as the demo records it: one line per
//! change, `<wall-ms> <text>`, where wall-ms is Unix time in ms (the same
//! clock as the event log's `wall-ms`) and text is whatever the recorder
//! saw (`scripts/vm/demo-mm-view.sh` writes a summary of `mmcli -m any
//! -K`). Blank lines and lines starting with `#` are comments.

use anyhow::anyhow;
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub wall_ms: u64,
    pub text: String,
}

pub fn read(path: &Path) -> anyhow::Result<Vec<View>> {
    let text = crate::file::read_text(path, "ModemManager view", crate::file::LOG_CAP)?;
    parse(&text, &path.display().to_string())
}

pub fn parse(text: &str, name: &str) -> anyhow::Result<Vec<View>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (ms, rest) = line.split_once(' ').unwrap_or((line, ""));
        let wall_ms = ms.parse().map_err(|_| {
            anyhow!(
                "{name}:{}: expected `<wall-ms> <text>`, not {:?}",
                i + 1,
                ms
            )
        })?;
        out.push(View {
            wall_ms,
            text: rest.trim().to_string(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lines_and_skips_comments() {
        let v = parse(
            "# recorded by the demo\n1700000000000 no modem\n\n1700000000500 modem 0: locked\n",
            "mm",
        )
        .unwrap();
        assert_eq!(
            v,
            vec![
                View {
                    wall_ms: 1_700_000_000_000,
                    text: "no modem".into()
                },
                View {
                    wall_ms: 1_700_000_000_500,
                    text: "modem 0: locked".into()
                }
            ]
        );
    }

    #[test]
    fn a_line_without_a_time_is_named() {
        let e = parse("1 ok\nmodem 0: locked\n", "mm.log")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "mm.log:2: expected `<wall-ms> <text>`, not \"modem\"");
        assert!(parse("-5 x", "m").is_err());
    }
}
