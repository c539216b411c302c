//! `vmodem timeline`: the event log as one readable line per event, with
//! the supply summarised, and ModemManager's view interleaved by wall
//! clock when it was recorded.

use super::events::{compact, Entry};
use super::mm::View;
use anyhow::bail;
use std::fmt::Write;

/// The timeline as text. With `mm`, the log must carry `wall-ms`.
pub fn render(name: &str, log: &[Entry], mm: Option<&[View]>) -> anyhow::Result<String> {
    let wall = log.iter().all(|e| e.wall_ms.is_some()) && !log.is_empty();
    if mm.is_some() && !wall {
        bail!("{name}: records without `wall-ms` (a `vmodem simulate` log?): ModemManager's view cannot be placed beside them");
    }
    // (time in ms from the origin, who, what); stable-sorted by time.
    let mut lines: Vec<(i64, &str, String)> = Vec::new();
    let origin = match wall {
        true => log
            .iter()
            .filter_map(|e| e.wall_ms)
            .chain(mm.unwrap_or_default().iter().map(|v| v.wall_ms))
            .min()
            .unwrap_or(0) as i64,
        false => 0,
    };
    let mut supply = Supply::default();
    for e in log {
        let t = match e.wall_ms {
            Some(w) if wall => w as i64 - origin,
            _ => e.t_ms as i64,
        };
        match describe(e, &mut supply)? {
            Some(what) => lines.push((t, "vmodem", what)),
            None => continue,
        }
    }
    for v in mm.unwrap_or_default() {
        lines.push((v.wall_ms as i64 - origin, "MM", v.text.clone()));
    }
    lines.sort_by_key(|l| l.0);
    let mut s = String::new();
    let clock = match wall {
        true => "wall-clock seconds since the first record",
        false => "simulated seconds",
    };
    let _ = writeln!(s, "Timeline of {name} ({clock})");
    for (t, who, what) in &lines {
        let _ = writeln!(s, "{:>9.3}  {who:<6}  {what}", *t as f64 / 1000.0);
    }
    if let Some(line) = supply.summary() {
        let _ = writeln!(s, "{line}");
    }
    Ok(s)
}

/// The extremes of the supply records, instead of listing them.
#[derive(Default)]
struct Supply {
    samples: usize,
    lowest: Option<(f64, f64)>,
    highest_amps: Option<(f64, f64)>,
}

impl Supply {
    fn add(&mut self, e: &Entry) -> anyhow::Result<()> {
        let (v, a, t) = (e.num("volts")?, e.num("amps")?, e.secs());
        self.samples += 1;
        if self.lowest.is_none_or(|(lv, _)| v < lv) {
            self.lowest = Some((v, t));
        }
        if self.highest_amps.is_none_or(|(ha, _)| a > ha) {
            self.highest_amps = Some((a, t));
        }
        Ok(())
    }

    fn summary(&self) -> Option<String> {
        let ((v, tv), (a, ta)) = (self.lowest?, self.highest_amps?);
        Some(format!(
            "supply: {} samples (see `vmodem plot`); lowest {v:.2} V at {tv:.3} s, highest {a:.2} A at {ta:.3} s (simulated)",
            self.samples
        ))
    }
}

/// One record in words; `None` for what is summarised instead.
fn describe(e: &Entry, supply: &mut Supply) -> anyhow::Result<Option<String>> {
    Ok(Some(match e.event.as_str() {
        "supply" => {
            supply.add(e)?;
            return Ok(None);
        }
        "state" => format!("state: {}", e.text("state")?),
        "fault" => format!("fault from {}: {}", origin(e)?, compact(e.value("fault")?)),
        "fault-refused" => format!(
            "fault from {} refused: {} ({})",
            origin(e)?,
            compact(e.value("fault")?),
            e.text("error")?
        ),
        "host" => format!(
            "scripted host: {}{}",
            e.text("action")?,
            if e.value("ok")?.as_bool() == Some(false) {
                " FAILED"
            } else {
                ""
            }
        ),
        "brownout" => format!("BROWNOUT: the supply fell to {:.2} V", e.num("volts")?),
        "left-bus" => format!("left the USB bus ({})", compact(e.value("cause")?)),
        "reset" => {
            let mut s = format!("RESET (cause: {})", compact(e.value("cause")?));
            if let Some(n) = e.get("count").and_then(|c| c.as_u64()) {
                s = format!("RESET #{n} (cause: {})", compact(e.value("cause")?));
            }
            if let Some(d) = e.get("down_ms").and_then(|d| d.as_u64()) {
                let _ = write!(s, ", off the bus for {d} ms");
            }
            s
        }
        "returned-to-bus" => match e.text("personality")? {
            "boot-loader" => "back on the bus in the BOOT LOADER (1199:9040)".into(),
            "application" => "back on the bus (application firmware, 1199:9041)".into(),
            other => format!("back on the bus as {other}"),
        },
        "failsafe" => format!(
            "FAILSAFE: {} resets within {} s, the next boot goes to the boot loader",
            e.value("resets")?,
            e.num("window_ms")? / 1000.0
        ),
        "load" => format!("load: {} ({:.2} V)", e.text("state")?, e.num("volts")?),
        "operating-mode" => format!("operating mode {}", e.value("mode")?),
        "sim" => format!("SIM: {}", e.text("state")?),
        "registration" => {
            let mut s = format!("registration: {}", e.text("state")?);
            if let Some(rat) = e.get("rat").and_then(|r| r.as_str()) {
                let _ = write!(s, " on {}", rat.to_uppercase());
            }
            if e.get("roaming").and_then(|r| r.as_bool()) == Some(true) {
                s.push_str(", roaming");
            }
            s
        }
        "bearer" => format!(
            "bearer {} {}",
            e.value("handle")?,
            if e.value("connected")?.as_bool() == Some(true) {
                "connected"
            } else {
                "disconnected"
            }
        ),
        // A record this version does not know: shown, not refused.
        other => other.to_string(),
    }))
}

/// `scenario step 2`, `scenario` (the [power] set-up), `control`.
fn origin(e: &Entry) -> anyhow::Result<String> {
    let source = e.text("source")?;
    Ok(match e.get("step").and_then(|s| s.as_u64()) {
        Some(n) => format!("{source} step {n}"),
        None => source.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::events::parse;
    use crate::report::mm;

    #[test]
    fn simulated_log_one_line_per_event_supply_summarised() {
        let log = parse(
            r#"{"t-ms":0,"event":"supply","volts":5.0,"amps":0.08}
{"t-ms":1500,"event":"registration","state":"registered","rat":"lte","roaming":false}
{"t-ms":1500,"event":"supply","volts":2.52,"amps":1.6}
{"t-ms":1502,"event":"reset","cause":"brownout","count":1,"down_ms":1468}
{"t-ms":1600,"event":"fault","source":"scenario","step":0,"fault":{"fault":"power-cycle"}}
{"t-ms":1700,"event":"something-new"}"#,
            "ev",
        )
        .unwrap();
        let t = render("ev", &log, None).unwrap();
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "Timeline of ev (simulated seconds)");
        assert_eq!(
            lines[1],
            "    1.500  vmodem  registration: registered on LTE"
        );
        assert_eq!(
            lines[2],
            "    1.502  vmodem  RESET #1 (cause: brownout), off the bus for 1468 ms"
        );
        assert_eq!(
            lines[3],
            "    1.600  vmodem  fault from scenario step 0: power-cycle"
        );
        assert_eq!(lines[4], "    1.700  vmodem  something-new");
        assert!(lines[5].starts_with("supply: 2 samples"), "{}", lines[5]);
        assert!(lines[5].contains("lowest 2.52 V at 1.500 s, highest 1.60 A at 1.500 s"));
        assert_eq!(lines.len(), 6);
    }

    #[test]
    fn modemmanager_view_is_interleaved_by_wall_clock() {
        let log = parse(
            r#"{"t-ms":0,"wall-ms":1000500,"event":"state","state":"booted"}
{"t-ms":2000,"wall-ms":1002500,"event":"reset","cause":"brownout"}"#,
            "ev",
        )
        .unwrap();
        let view = mm::parse(
            "1000000 no modem\n1001000 modem 0: locked\n1003000 no modem\n",
            "mm",
        )
        .unwrap();
        let t = render("ev", &log, Some(&view)).unwrap();
        let who: Vec<&str> = t
            .lines()
            .skip(1)
            .map(|l| l.split_whitespace().nth(1).unwrap())
            .collect();
        assert_eq!(who, ["MM", "vmodem", "MM", "vmodem", "MM"]);
        assert!(t.lines().next().unwrap().contains("wall-clock"));
        assert!(t.contains("    2.500  vmodem  RESET (cause: brownout)"));
    }

    #[test]
    fn modemmanager_view_needs_the_wall_clock_and_fields_are_checked() {
        let log = parse(r#"{"t-ms":0,"event":"state","state":"booted"}"#, "ev").unwrap();
        let e = render("ev", &log, Some(&[])).unwrap_err().to_string();
        assert!(e.starts_with("ev: records without `wall-ms`"), "{e}");
        let log = parse(r#"{"t-ms":0,"event":"brownout"}"#, "ev").unwrap();
        let e = render("ev", &log, None).unwrap_err().to_string();
        assert_eq!(e, "ev:1: `brownout` record without `volts`");
    }
}
