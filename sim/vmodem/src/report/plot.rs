//! `vmodem plot`: the module's supply voltage and current over a run, with
//! the brownout threshold, every reset (and its cause), the switch to the
//! boot loader and the power changes made on the way.

use super::chart::{Figure, Format, Marker, Panel};
use super::events::{compact, Entry};

/// The chart of one event log; `brownout_volts` is drawn as a guide.
/// `name` is the log's file name, for the title and errors. The time axis
/// runs to the last record, or to `until` (seconds) if that is later.
pub fn render(
    name: &str,
    log: &[Entry],
    brownout_volts: f64,
    until: Option<f64>,
    format: Format,
) -> anyhow::Result<Vec<u8>> {
    if !(brownout_volts.is_finite() && brownout_volts.abs() <= DRAWABLE) {
        anyhow::bail!(
            "the brownout threshold {brownout_volts:e} V cannot be drawn (within ±{DRAWABLE:e})"
        );
    }
    let mut volts = Vec::new();
    let mut amps = Vec::new();
    let mut markers = Vec::new();
    for e in log {
        let t = e.secs();
        match e.event.as_str() {
            "supply" => {
                volts.push((t, drawable(e, "volts")?));
                amps.push((t, drawable(e, "amps")?));
            }
            "reset" => {
                let cause = compact(e.value("cause")?);
                let label = match e.get("count").and_then(|c| c.as_u64()) {
                    Some(n) => format!("reset #{n}: {cause}"),
                    None => format!("reset: {cause}"),
                };
                markers.push(Marker { at: t, label });
            }
            "returned-to-bus" if e.text("personality")? == "boot-loader" => markers.push(Marker {
                at: t,
                label: "boot loader (1199:9040)".into(),
            }),
            // A power change after the set-up: someone swapped the cable.
            "fault" if is_later_power_change(e) => markers.push(Marker {
                at: t,
                label: compact(e.value("fault")?),
            }),
            _ => {}
        }
    }
    if volts.is_empty() {
        anyhow::bail!(
            "{name}: no `supply` records to plot (write the log with `vmodem simulate --supply` or `vmodem run --events`)"
        );
    }
    let t0 = log.first().map_or(0.0, Entry::secs).min(0.0);
    let last = log.iter().map(Entry::secs).fold(t0, f64::max);
    let mut t1 = until.map_or(last, |u| u.max(last));
    if t1 <= t0 {
        // A log of one instant: a second of axis around it.
        t1 = t0 + 1.0;
    }
    let figure = Figure {
        title: format!("Module supply over the run ({name})"),
        clock: "simulated",
        panels: vec![
            Panel {
                title: "Voltage at the module".into(),
                unit: "V".into(),
                points: volts,
                guides: vec![(
                    brownout_volts,
                    format!("brownout threshold {brownout_volts:.2} V"),
                )],
                from_zero: false,
            },
            Panel {
                title: "Current drawn".into(),
                unit: "A".into(),
                points: amps,
                guides: vec![],
                from_zero: true,
            },
        ],
        markers,
        t0,
        t1,
    };
    super::chart::render(&figure, format).map_err(|e| anyhow::anyhow!("{name}: {e}"))
}

/// Volts and amps beyond this are no supply reading but a broken record:
/// a chart of them would have no usable scale.
const DRAWABLE: f64 = 1e6;

/// A record's figure, if a chart can draw it.
fn drawable(e: &Entry, key: &str) -> anyhow::Result<f64> {
    let v = e.num(key)?;
    if v.abs() > DRAWABLE {
        anyhow::bail!(
            "{}: `{key}` {v:e} of a `{}` record cannot be drawn (a supply reading lies within ±{DRAWABLE:e})",
            e.at,
            e.event
        );
    }
    Ok(v)
}

/// A `power` fault other than the scenario's `[power]` set-up (which has
/// no step index).
fn is_later_power_change(e: &Entry) -> bool {
    let power = e
        .get("fault")
        .and_then(|f| f.get("fault"))
        .and_then(|k| k.as_str())
        == Some("power");
    let setup =
        e.get("source").and_then(|s| s.as_str()) == Some("scenario") && e.get("step").is_none();
    power && !setup
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::events::parse;

    fn svg(log: &str, threshold: f64) -> anyhow::Result<String> {
        let bytes = render("t", &parse(log, "ev")?, threshold, None, Format::Svg)?;
        Ok(String::from_utf8(bytes)?)
    }

    const LOG: &str = r#"{"t-ms":0,"event":"fault","source":"scenario","fault":{"fault":"power","cable-ohms":1.5}}
{"t-ms":0,"event":"supply","volts":5.0,"amps":0.08}
{"t-ms":1500,"event":"supply","volts":2.52,"amps":1.6}
{"t-ms":1502,"event":"brownout","volts":2.52}
{"t-ms":1502,"event":"reset","cause":"brownout","count":1,"down_ms":1468}
{"t-ms":2970,"event":"returned-to-bus","personality":"application"}
{"t-ms":3000,"event":"fault","source":"control","fault":{"fault":"power","cable-ohms":0.1,"source-volts":null}}
{"t-ms":4000,"event":"returned-to-bus","personality":"boot-loader"}
{"t-ms":5000,"event":"supply","volts":4.9,"amps":0.08}
"#;

    #[test]
    fn marks_resets_boot_loader_and_cable_swap_but_not_the_setup() {
        let svg = svg(LOG, 3.3).unwrap();
        assert!(svg.contains("reset #1: brownout"));
        assert!(svg.contains("boot loader (1199:9040)"));
        assert!(svg.contains("power cable-ohms=0.1"));
        assert!(!svg.contains("cable-ohms=1.5"));
        assert!(svg.contains("brownout threshold 3.30 V"));
        // Each label once, in the lane above the panels.
        assert_eq!(svg.matches("reset #1: brownout").count(), 1);
    }

    #[test]
    fn a_log_without_supply_or_with_a_broken_record_is_an_error() {
        let e = svg(r#"{"t-ms":0,"event":"state","state":"booted"}"#, 3.3)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t: no `supply` records"), "{e}");
        let e = svg(r#"{"t-ms":0,"event":"supply","volts":5}"#, 3.3)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "ev:1: `supply` record without `amps`");
        let e = svg(r#"{"t-ms":0,"event":"reset","count":1}"#, 3.3)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "ev:1: `reset` record without `cause`");
    }

    /// Regression: such a log gave NaN coordinates and exit status 0.
    #[test]
    fn figures_a_chart_cannot_draw_are_an_error() {
        let log = "{\"t-ms\":0,\"event\":\"supply\",\"volts\":1e308,\"amps\":0.1}\n\
                   {\"t-ms\":5,\"event\":\"supply\",\"volts\":-1e308,\"amps\":0.1}\n";
        let e = svg(log, 3.3).unwrap_err().to_string();
        assert!(
            e.starts_with("ev:1: `volts` 1e308 of a `supply` record cannot be drawn"),
            "{e}"
        );
        let ok = "{\"t-ms\":0,\"event\":\"supply\",\"volts\":5,\"amps\":0.1}\n";
        let e = svg(ok, 1e307).unwrap_err().to_string();
        assert!(e.contains("cannot be drawn"), "{e}");
    }
}
