//! `vmodem timeline`: the event log as one readable line per event, with
//! the supply summarised, and ModemManager's view interleaved by wall
//! clock when it was recorded.

use super::events::{compact, Entry};
use super::mm::View;
use anyhow::bail;
use std::fmt::Write;
use vmodem_core::model::OperatingMode;

/// The timeline as text, in the log's own order (the order the engine
/// saw things happen: causes before effects), on one clock: simulated
/// time, or with `mm` the wall clock, which ModemManager's view is merged
/// in by. With `mm`, the log must carry `wall-ms`.
pub fn render(name: &str, log: &[Entry], mm: Option<&[View]>) -> anyhow::Result<String> {
    let clock = match mm {
        None => Clock::Simulated,
        Some(_) if log.is_empty() || log.iter().any(|e| e.wall_ms.is_none()) => {
            bail!("{name}: records without `wall-ms` (a `vmodem simulate` log?): ModemManager's view cannot be placed beside them")
        }
        Some(views) => Clock::Wall {
            origin: log
                .iter()
                .filter_map(|e| e.wall_ms)
                .chain(views.iter().map(|v| v.wall_ms))
                .min()
                .unwrap_or(0),
        },
    };
    let mut s = String::new();
    let _ = writeln!(s, "Timeline of {name} ({})", clock.name());
    let line = |s: &mut String, ms: i64, who: &str, what: &str| {
        let _ = writeln!(s, "{:>9.3}  {who:<6}  {what}", ms as f64 / 1000.0);
    };
    let mut views = mm.unwrap_or_default().iter().peekable();
    let mut supply = Supply::default();
    for e in log {
        let t = clock.at(e);
        // ModemManager saw these before this record was written.
        while let Some(v) = views.next_if(|v| clock.of_wall(v.wall_ms) < t) {
            line(&mut s, clock.of_wall(v.wall_ms), "MM", &v.text);
        }
        if let Some(what) = describe(e, t, &mut supply)? {
            line(&mut s, t, "vmodem", &what);
        }
    }
    for v in views {
        line(&mut s, clock.of_wall(v.wall_ms), "MM", &v.text);
    }
    if let Some(summary) = supply.summary() {
        let _ = writeln!(s, "{summary}");
    }
    Ok(s)
}

/// The one clock a page is drawn on.
#[derive(Clone, Copy)]
enum Clock {
    /// The engine's: ms since the modem was powered.
    Simulated,
    /// Unix ms, shown from the first record of either source.
    Wall { origin: u64 },
}

impl Clock {
    fn name(self) -> &'static str {
        match self {
            Clock::Simulated => "simulated seconds since power-on",
            Clock::Wall { .. } => "wall-clock seconds since the first record",
        }
    }

    /// A record's time in ms on this clock.
    fn at(self, e: &Entry) -> i64 {
        match (self, e.wall_ms) {
            (Clock::Wall { .. }, Some(w)) => self.of_wall(w),
            _ => e.t_ms as i64,
        }
    }

    fn of_wall(self, wall_ms: u64) -> i64 {
        match self {
            Clock::Wall { origin } => wall_ms as i64 - origin as i64,
            Clock::Simulated => 0,
        }
    }
}

/// The extremes of the supply records, instead of listing them; times on
/// the page's clock.
#[derive(Default)]
struct Supply {
    samples: usize,
    lowest: Option<(f64, i64)>,
    highest_amps: Option<(f64, i64)>,
}

impl Supply {
    fn add(&mut self, e: &Entry, t: i64) -> anyhow::Result<()> {
        let (v, a) = (e.num("volts")?, e.num("amps")?);
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
            "supply: {} samples (see `vmodem plot`); lowest {v:.2} V at {:.3} s, highest {a:.2} A at {:.3} s",
            self.samples,
            tv as f64 / 1000.0,
            ta as f64 / 1000.0,
        ))
    }
}

/// One record in words, for a page that shows the supply elsewhere.
pub fn describe_one(e: &Entry) -> Option<String> {
    describe(e, e.t_ms as i64, &mut Supply::default())
        .ok()
        .flatten()
}

/// One record in words; `None` for what is summarised instead.
fn describe(e: &Entry, t: i64, supply: &mut Supply) -> anyhow::Result<Option<String>> {
    Ok(Some(match e.event.as_str() {
        "supply" => {
            supply.add(e, t)?;
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
        "operating-mode" => format!("operating mode: {}", mode_name(e.value("mode")?)),
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
        // What the host did, as the module saw it.
        "control-opened" => format!("host opened the control channel ({})", e.text("via")?),
        "request" => format!(
            "host: {}/{}{}",
            e.text("service")?,
            e.text("message")?,
            if e.value("ok")?.as_bool() == Some(false) {
                " (refused)"
            } else {
                ""
            }
        ),
        "client-allocated" => format!("host got a {} client", e.text("service")?),
        "start-network" => format!(
            "host started a network on APN {}{}",
            e.text("apn")?,
            if e.value("ok")?.as_bool() == Some(false) {
                " (refused)"
            } else {
                ""
            }
        ),
        "mode-preference" => format!(
            "host set the mode preference {}",
            compact(e.value("modes")?)
        ),
        "data-from-host" => format!(
            "host sent {} IP packets ({} bytes) in this second",
            e.value("packets")?,
            e.value("bytes")?
        ),
        "boot-loader-write" => format!(
            "host wrote {} bytes to the boot loader's port in this second",
            e.value("bytes")?
        ),
        // A record this version does not know: shown, not refused.
        other => other.to_string(),
    }))
}

/// libqmi's name of an operating mode; logs of older versions carry the
/// QMI number.
fn mode_name(v: &serde_json::Value) -> String {
    let known = v
        .as_u64()
        .and_then(|n| u8::try_from(n).ok())
        .and_then(OperatingMode::from_u8);
    match known {
        Some(m) => m.name().to_string(),
        None => compact(v),
    }
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
        assert_eq!(
            lines[0],
            "Timeline of ev (simulated seconds since power-on)"
        );
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
    fn one_clock_per_page_simulated_unless_modemmanager_is_beside() {
        // A `vmodem run` log: wall-clock and simulated times disagree.
        let text = r#"{"t-ms":1000,"wall-ms":5000000,"event":"state","state":"booted"}
{"t-ms":3000,"wall-ms":5004000,"event":"supply","volts":4.0,"amps":0.5}
{"t-ms":4000,"wall-ms":5005000,"event":"sim","state":"ready"}"#;
        let log = parse(text, "ev").unwrap();
        let t = render("ev", &log, None).unwrap();
        assert!(t.starts_with("Timeline of ev (simulated seconds since power-on)\n"));
        assert!(t.contains("    1.000  vmodem  state: booted\n"), "{t}");
        assert!(t.contains("    4.000  vmodem  SIM: ready\n"), "{t}");
        assert!(t.contains("lowest 4.00 V at 3.000 s"), "{t}");
        assert!(!t.contains("wall"), "{t}");
        let view = mm::parse("5000000 no modem\n", "mm").unwrap();
        let t = render("ev", &log, Some(&view)).unwrap();
        assert!(t.starts_with("Timeline of ev (wall-clock seconds since the first record)\n"));
        assert!(t.contains("    0.000  vmodem  state: booted\n"), "{t}");
        assert!(t.contains("    5.000  vmodem  SIM: ready\n"), "{t}");
        assert!(t.contains("lowest 4.00 V at 4.000 s"), "{t}");
        assert!(!t.contains("simulated"), "{t}");
    }

    #[test]
    fn causes_stay_before_effects() {
        // Same millisecond, and a wall clock that stepped back: the log's
        // order is the engine's, and the page keeps it.
        let log = parse(
            r#"{"t-ms":0,"wall-ms":2000,"event":"host","action":"verify-pin","ok":true}
{"t-ms":0,"wall-ms":1999,"event":"sim","state":"ready"}
{"t-ms":0,"wall-ms":1999,"event":"registration","state":"searching","rat":null,"roaming":false}"#,
            "ev",
        )
        .unwrap();
        for mm in [None, Some(&[][..])] {
            let t = render("ev", &log, mm).unwrap();
            let what: Vec<&str> = t.lines().skip(1).map(|l| &l[19..]).collect();
            assert_eq!(
                what,
                [
                    "scripted host: verify-pin",
                    "SIM: ready",
                    "registration: searching"
                ]
            );
        }
    }

    #[test]
    fn operating_modes_are_named() {
        let log = parse(
            r#"{"t-ms":0,"event":"operating-mode","mode":"low-power"}
{"t-ms":1,"event":"operating-mode","mode":6}
{"t-ms":2,"event":"operating-mode","mode":99}"#,
            "ev",
        )
        .unwrap();
        let t = render("ev", &log, None).unwrap();
        let what: Vec<&str> = t.lines().skip(1).map(|l| &l[19..]).collect();
        assert_eq!(
            what,
            [
                "operating mode: low-power",
                "operating mode: persistent-low-power",
                "operating mode: 99"
            ]
        );
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
