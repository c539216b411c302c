//! Golden tests of `vmodem plot` on the shipped scenarios: the structure
//! of the SVG, not its pixels. Every scenario is simulated (with the
//! supply traced) and plotted as `vmodem plot --until` would.

use super::chart::{self, Format};
use super::events::{self, Entry};
use super::plot;
use std::path::Path;

/// One `<text>` of the SVG.
#[derive(Debug)]
struct Label {
    x: f64,
    y: f64,
    anchor: String,
    size: f64,
    fill: String,
    rotated: bool,
    text: String,
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let i = tag.find(&key)? + key.len();
    Some(&tag[i..i + tag[i..].find('"')?])
}

fn num(tag: &str, name: &str) -> f64 {
    attr(tag, name)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no number {name} in {tag}"))
}

fn labels(svg: &str) -> Vec<Label> {
    svg.split("<text ")
        .skip(1)
        .map(|rest| {
            let (tag, after) = rest.split_once('>').unwrap();
            let tag = format!(" {tag}");
            Label {
                x: num(&tag, "x"),
                y: num(&tag, "y"),
                anchor: attr(&tag, "text-anchor").unwrap().into(),
                size: num(&tag, "font-size"),
                fill: attr(&tag, "fill").unwrap().into(),
                rotated: tag.contains("transform="),
                text: after.split("</text>").next().unwrap().trim().to_string(),
            }
        })
        .collect()
}

/// (stroke, points) of every polyline.
fn polylines(svg: &str) -> Vec<(String, Vec<(i64, i64)>)> {
    svg.split("<polyline ")
        .skip(1)
        .map(|rest| {
            let tag = format!(" {}", rest.split('>').next().unwrap());
            let pts = attr(&tag, "points")
                .unwrap()
                .split_whitespace()
                .map(|p| {
                    let (x, y) = p.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect();
            (attr(&tag, "stroke").unwrap().to_string(), pts)
        })
        .collect()
}

/// A label's box (left, top, right, bottom); plotters writes the font
/// size divided by 1.24 and measures at the undivided size.
fn bounds(l: &Label) -> (f64, f64, f64, f64) {
    let (w, h) = ("sans-serif", l.size * 1.24)
        .into_font_desc()
        .box_size(&l.text)
        .map(|(w, h)| (f64::from(w), f64::from(h)))
        .unwrap();
    let left = match l.anchor.as_str() {
        "start" => l.x,
        "middle" => l.x - w / 2.0,
        _ => l.x - w,
    };
    (left, l.y, left + w, l.y + h)
}

trait IntoFontDesc {
    fn into_font_desc(self) -> plotters::style::FontDesc<'static>;
}

impl IntoFontDesc for (&'static str, f64) {
    fn into_font_desc(self) -> plotters::style::FontDesc<'static> {
        chart::register_font();
        plotters::style::IntoFont::into_font(self)
    }
}

fn simulated(file: &Path, secs: u64) -> Vec<Entry> {
    let (scenario, profile) = crate::scenario_cmd::load(file).unwrap();
    let mut text = String::new();
    vmodem_core::scenario::simulate(
        &scenario,
        profile,
        scenario.seed,
        vmodem_core::time::Duration::from_secs(secs),
        true,
        |r| {
            text += &serde_json::to_string(&r).unwrap();
            text.push('\n');
        },
    );
    events::parse(&text, &file.display().to_string()).unwrap()
}

fn check(file: &Path, secs: u64) {
    let name = file.display().to_string();
    let log = simulated(file, secs);
    let threshold = vmodem_core::model::Profile::default().power.brownout_volts;
    let bytes = plot::render(&name, &log, threshold, Some(secs as f64), Format::Svg).unwrap();
    let svg = String::from_utf8(bytes).unwrap();
    assert!(
        !svg.contains("NaN") && !svg.contains("inf"),
        "{name}: not a number in the SVG"
    );
    let head = svg.split('>').next().unwrap();
    let (w, h) = (num(head, "width"), num(head, "height"));
    assert_eq!(w, f64::from(chart::WIDTH));
    let texts = labels(&svg);

    // Every label inside the canvas, whole.
    for l in &texts {
        assert!(
            (0.0..=w).contains(&l.x) && (0.0..=h).contains(&l.y),
            "{name}: {l:?}"
        );
        if !l.rotated {
            let (x0, y0, x1, y1) = bounds(l);
            assert!(
                x0 >= 0.0 && x1 <= w && y0 >= 0.0 && y1 <= h,
                "{name}: cut: {l:?}"
            );
        }
    }

    // The moments: each labelled once, none over another.
    let marks: Vec<&Label> = texts.iter().filter(|l| l.fill == "#962828").collect();
    let expected = log
        .iter()
        .filter(|e| {
            e.event == "reset"
                || e.event == "returned-to-bus" && e.text("personality").ok() == Some("boot-loader")
        })
        .count();
    assert!(
        marks.len() >= expected,
        "{name}: {} labels for {expected} moments",
        marks.len()
    );
    for (i, a) in marks.iter().enumerate() {
        for b in &marks[i + 1..] {
            let (a, b) = (bounds(a), bounds(b));
            let apart = a.2 <= b.0 || b.2 <= a.0 || a.3 <= b.1 || b.3 <= a.1;
            assert!(apart, "{name}: labels overlap: {a:?} {b:?}");
        }
    }

    // Time ticks with a unit, over the whole requested duration.
    let (unit, scale) = chart::time_unit(secs as f64);
    let suffix = format!(" {unit}");
    let ticks: Vec<(f64, f64)> = texts
        .iter()
        .filter_map(|l| Some((l.text.strip_suffix(&suffix)?.parse::<f64>().ok()?, l.x)))
        .collect();
    // Two panels, the same ticks under each.
    assert!(ticks.len() >= 8, "{name}: ticks {ticks:?}");
    let last = ticks.iter().map(|t| t.0).fold(0.0, f64::max);
    assert!(
        last * scale <= secs as f64 + 1e-9,
        "{name}: a tick past the end"
    );
    assert!(
        last * scale >= secs as f64 * 0.8,
        "{name}: the axis stops at {last} {unit}"
    );
    assert!(
        texts
            .iter()
            .any(|l| l.text == format!("simulated time ({unit})")),
        "{name}"
    );

    // The supply as steps: every segment flat or upright.
    let series: Vec<_> = polylines(&svg)
        .into_iter()
        .filter(|(stroke, _)| stroke == "#1F618D" || stroke == "#B9770E")
        .collect();
    assert_eq!(series.len(), 2, "{name}: one line per panel");
    for (stroke, pts) in &series {
        assert!(pts.len() >= 2, "{name}");
        for s in pts.windows(2) {
            let (a, b) = (s[0], s[1]);
            assert!(
                a.0 == b.0 || a.1 == b.1,
                "{name}: {stroke} slopes from {a:?} to {b:?}"
            );
            assert!(b.0 >= a.0, "{name}: {stroke} goes back in time");
        }
        // Held to the end of the axis, not stopped at the last reading.
        let right = pts.iter().map(|p| p.0).max().unwrap();
        let axis_end = ticks.iter().map(|t| t.1).fold(0.0, f64::max);
        assert!(
            right as f64 >= axis_end - 1.0,
            "{name}: {stroke} ends at {right}"
        );
    }

    // The current axis starts at 0.
    let zero = texts.iter().any(|l| l.text == "0.000" || l.text == "0.00");
    assert!(zero, "{name}: no 0 on the current axis");
    assert!(
        !texts.iter().any(|l| l.text.starts_with('-')),
        "{name}: a negative tick"
    );
}

fn scenarios() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "{files:?}");
    files
}

#[test]
fn every_shipped_scenario_plots_whole_in_seconds() {
    for f in scenarios() {
        check(&f, 120);
    }
}

#[test]
fn every_shipped_scenario_plots_whole_in_minutes() {
    for f in scenarios() {
        check(&f, 600);
    }
}

#[test]
fn the_png_is_a_png_of_the_same_size() {
    let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/bad-cable-lte.toml");
    let log = simulated(&f, 60);
    let png = plot::render("t", &log, 3.3, Some(60.0), Format::Png).unwrap();
    let d = png::Decoder::new(std::io::Cursor::new(png))
        .read_info()
        .unwrap();
    assert_eq!(d.info().width, chart::WIDTH);
    assert!(d.info().height > 600);
}
