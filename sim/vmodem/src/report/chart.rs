//! The supply chart, drawn with plotters (SVG or PNG): stacked panels over
//! one time axis, sample-and-hold steps, guides (a threshold) and labelled
//! moments (resets, the boot loader, power changes) across every panel.
//!
//! The moments' labels sit in a lane above the panels, each in the first
//! row where it overlaps no other and turned to the left of its line near
//! the right edge, so none is cut or hidden. Text is measured and, in
//! PNGs, drawn with the vendored DejaVu Sans (no system fonts needed).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

/// One panel: a quantity over time.
pub struct Panel {
    pub title: String,
    pub unit: String,
    /// (seconds, value), in time order: readings held until the next.
    pub points: Vec<(f64, f64)>,
    /// Horizontal reference lines (value, label), e.g. a threshold.
    pub guides: Vec<(f64, String)>,
    /// The axis starts at 0 (a current is never negative).
    pub from_zero: bool,
}

/// A labelled moment, drawn across every panel.
pub struct Marker {
    pub at: f64,
    pub label: String,
}

pub struct Figure {
    pub title: String,
    /// Which clock the seconds are on, for the axis: "simulated".
    pub clock: &'static str,
    pub panels: Vec<Panel>,
    pub markers: Vec<Marker>,
    /// The time axis, seconds.
    pub t0: f64,
    pub t1: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    Png,
}

pub const WIDTH: u32 = 1200;
const TITLE_H: u32 = 56;
const ROW_H: u32 = 18;
const PANEL_H: u32 = 300;
const MARGIN: u32 = 12;
const Y_AREA: u32 = 80;
const X_AREA: u32 = 56;
/// Room right of the plot, so the last tick label is never cut.
const RIGHT: u32 = 40;
pub const LABEL_SIZE: f64 = 13.0;

static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Makes the vendored font plotters' "sans-serif", once.
pub fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for style in [FontStyle::Normal, FontStyle::Bold] {
            // The font is ours and valid: a test loads it.
            let _ = plotters::style::register_font("sans-serif", style, FONT);
        }
    });
}

/// The unit of the time axis for a span: seconds, minutes or hours.
pub fn time_unit(span_secs: f64) -> (&'static str, f64) {
    if span_secs <= 180.0 {
        ("s", 1.0)
    } else if span_secs <= 3.0 * 3600.0 {
        ("min", 60.0)
    } else {
        ("h", 3600.0)
    }
}

/// A tick value without trailing zeros: 1.5, 2, 0.25.
pub fn tick(v: f64) -> String {
    let s = format!("{:.3}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

/// Readings as steps: each value held until the next reading, the last
/// one until `end`.
pub fn steps(points: &[(f64, f64)], end: f64) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(points.len() * 2 + 1);
    for &(t, v) in points {
        if let Some(&(_, held)) = out.last() {
            out.push((t, held));
        }
        out.push((t, v));
    }
    if let Some(&(t, v)) = out.last() {
        if end > t {
            out.push((end, v));
        }
    }
    out
}

/// Where a moment's label goes: its left edge and its row in the lane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placed {
    pub x: i32,
    pub row: u32,
    pub width: u32,
}

fn text_width(text: &str, size: f64) -> u32 {
    register_font();
    ("sans-serif", size)
        .into_font()
        .box_size(text)
        .map(|(w, _)| w)
        // No glyph metrics: a generous guess keeps labels apart anyway.
        .unwrap_or((text.chars().count() as f64 * size * 0.7) as u32)
}

/// Lays the labels out at pixel positions `xs` between `left` and
/// `right`: beside their line (right of it, or left near the edge),
/// in the first row where nothing is in the way.
pub fn place(labels: &[(i32, &str)], left: i32, right: i32) -> Vec<Placed> {
    const PAD: i32 = 4;
    const GAP: i32 = 10;
    let mut row_end: Vec<i32> = Vec::new();
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_by_key(|&i| labels[i].0);
    let mut out = vec![
        Placed {
            x: 0,
            row: 0,
            width: 0
        };
        labels.len()
    ];
    for i in order {
        let (x, text) = labels[i];
        let w = text_width(text, LABEL_SIZE) as i32;
        let mut start = if x + PAD + w <= right {
            x + PAD
        } else {
            x - PAD - w
        };
        start = start.clamp(left, (right - w).max(left));
        let row = match row_end.iter().position(|&end| end + GAP <= start) {
            Some(r) => r,
            None => {
                row_end.push(i32::MIN);
                row_end.len() - 1
            }
        };
        row_end[row] = start + w;
        out[i] = Placed {
            x: start,
            row: row as u32,
            width: w as u32,
        };
    }
    out
}

/// The value range of a panel, padded, with its guides in view.
fn range(p: &Panel) -> (f64, f64) {
    let values = p
        .points
        .iter()
        .map(|&(_, v)| v)
        .chain(p.guides.iter().map(|g| g.0));
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let pad = ((hi - lo) * 0.08).max(hi.abs() * 0.02).max(0.05);
    if p.from_zero || lo >= 0.0 && lo - pad < 0.0 {
        (0.0, hi + pad)
    } else {
        (lo - pad, hi + pad)
    }
}

/// The figure's height for `rows` label rows.
fn height(fig: &Figure, rows: u32) -> u32 {
    TITLE_H + rows.max(1) * ROW_H + 8 + fig.panels.len() as u32 * PANEL_H
}

/// The whole picture, as SVG text or PNG bytes.
pub fn render(fig: &Figure, format: Format) -> Result<Vec<u8>, String> {
    register_font();
    if !(fig.t0.is_finite() && fig.t1.is_finite() && fig.t1 > fig.t0) {
        return Err(format!(
            "no time span to draw ({} s to {} s)",
            fig.t0, fig.t1
        ));
    }
    let left = (MARGIN + Y_AREA) as i32;
    let right = (WIDTH - RIGHT) as i32;
    let span = fig.t1 - fig.t0;
    let px = |t: f64| left + ((t - fig.t0) / span * f64::from(right - left)).round() as i32;
    let labels: Vec<(i32, &str)> = fig
        .markers
        .iter()
        .map(|m| (px(m.at), m.label.as_str()))
        .collect();
    let placed = place(&labels, MARGIN as i32, WIDTH as i32 - MARGIN as i32);
    let rows = placed.iter().map(|p| p.row + 1).max().unwrap_or(1);
    let size = (WIDTH, height(fig, rows));
    match format {
        Format::Svg => {
            let mut text = String::new();
            {
                let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
                draw(&root, fig, &placed, rows)?;
                root.present().map_err(|e| e.to_string())?;
            }
            Ok(text.into_bytes())
        }
        Format::Png => {
            let mut rgb = vec![0u8; (size.0 * size.1 * 3) as usize];
            {
                let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
                draw(&root, fig, &placed, rows)?;
                root.present().map_err(|e| e.to_string())?;
            }
            let mut out = Vec::new();
            let mut enc = png::Encoder::new(&mut out, size.0, size.1);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc.write_header().map_err(|e| e.to_string())?;
            w.write_image_data(&rgb).map_err(|e| e.to_string())?;
            w.finish().map_err(|e| e.to_string())?;
            Ok(out)
        }
    }
}

const MARKER_COLOUR: RGBColor = RGBColor(150, 40, 40);
const SERIES: [RGBColor; 2] = [RGBColor(31, 97, 141), RGBColor(185, 119, 14)];

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    fig: &Figure,
    placed: &[Placed],
    rows: u32,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| format!("{e:?}");
    root.fill(&WHITE).map_err(e)?;
    let (unit, scale) = time_unit(fig.t1 - fig.t0);
    let x0 = fig.t0 / scale;
    let x1 = fig.t1 / scale;
    root.draw(&Text::new(
        fig.title.clone(),
        (MARGIN as i32, 10),
        ("sans-serif", 20).into_font().style(FontStyle::Bold),
    ))
    .map_err(e)?;
    root.draw(&Text::new(
        format!(
            "Time axis: {} time since power-on, in {unit}. Each reading is held until the next (sample and hold).",
            fig.clock
        ),
        (MARGIN as i32, 34),
        ("sans-serif", 13).into_font().color(&RGBColor(90, 90, 90)),
    ))
    .map_err(e)?;
    let lane_top = TITLE_H as i32;
    let (_, rest) = root.split_vertically(TITLE_H + rows * ROW_H + 8);
    let panels = rest.split_evenly((fig.panels.len(), 1));
    let mut marker_px = Vec::new();
    let mut panels_top = i32::MAX;
    let mut panels_bottom = 0;
    for (i, (p, area)) in fig.panels.iter().zip(&panels).enumerate() {
        let (lo, hi) = range(p);
        let mut chart = ChartBuilder::on(area)
            .caption(format!("{} ({})", p.title, p.unit), ("sans-serif", 16))
            .margin_left(MARGIN)
            .margin_right(RIGHT)
            .margin_bottom(20)
            .x_label_area_size(X_AREA)
            .y_label_area_size(Y_AREA)
            .build_cartesian_2d(x0..x1, lo..hi)
            .map_err(e)?;
        let digits = if hi - lo < 0.5 { 3 } else { 2 };
        chart
            .configure_mesh()
            .x_labels(12)
            .y_labels(6)
            .x_label_formatter(&|v| format!("{} {unit}", tick(*v)))
            .y_label_formatter(&|v| format!("{:.*}", digits, v))
            .x_desc(format!("{} time ({unit})", fig.clock))
            .y_desc(format!(
                "{} ({})",
                if p.unit == "V" { "volts" } else { "amps" },
                p.unit
            ))
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 14))
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(225, 225, 225))
            .draw()
            .map_err(e)?;
        let colour = SERIES[i % SERIES.len()];
        let pts = steps(&p.points, fig.t1)
            .into_iter()
            .map(|(t, v)| (t / scale, v.clamp(lo, hi)));
        chart
            .draw_series(LineSeries::new(pts, colour.stroke_width(2)))
            .map_err(e)?;
        for (v, label) in &p.guides {
            let style = RGBColor(120, 120, 120).stroke_width(1);
            chart
                .draw_series(DashedLineSeries::new([(x0, *v), (x1, *v)], 8, 5, style))
                .map_err(e)?;
            let (gx, gy) = chart.backend_coord(&(x1, *v));
            let font = ("sans-serif", LABEL_SIZE)
                .into_font()
                .color(&RGBColor(90, 90, 90))
                .pos(Pos::new(HPos::Right, VPos::Bottom));
            root.draw(&Text::new(label.clone(), (gx - 4, gy - 3), font))
                .map_err(e)?;
        }
        for m in &fig.markers {
            let x = m.at / scale;
            chart
                .draw_series(DashedLineSeries::new(
                    [(x, lo), (x, hi)],
                    5,
                    4,
                    MARKER_COLOUR.stroke_width(1),
                ))
                .map_err(e)?;
        }
        let top = chart.backend_coord(&(x0, hi)).1;
        let bottom = chart.backend_coord(&(x0, lo)).1;
        panels_top = panels_top.min(top);
        panels_bottom = panels_bottom.max(bottom);
        if i == 0 {
            marker_px = fig
                .markers
                .iter()
                .map(|m| chart.backend_coord(&(m.at / scale, lo)).0)
                .collect();
        }
    }
    let _ = panels_bottom;
    for ((p, m), x) in placed.iter().zip(&fig.markers).zip(&marker_px) {
        let y = lane_top + (p.row * ROW_H) as i32;
        root.draw(&Text::new(
            m.label.clone(),
            (p.x, y),
            ("sans-serif", LABEL_SIZE).into_font().color(&MARKER_COLOUR),
        ))
        .map_err(e)?;
        // From the label down to the first panel's plot.
        root.draw(&PathElement::new(
            [(*x, y + ROW_H as i32 - 3), (*x, panels_top)],
            MARKER_COLOUR.mix(0.5).stroke_width(1),
        ))
        .map_err(e)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vendored_font_loads_and_measures() {
        register_font();
        assert!(text_width("reset #1: brownout", LABEL_SIZE) > 60);
    }

    #[test]
    fn readings_become_steps_held_to_the_end() {
        let s = steps(&[(0.0, 5.0), (1.5, 2.5), (1.6, 5.0)], 3.0);
        assert_eq!(
            s,
            [
                (0.0, 5.0),
                (1.5, 5.0),
                (1.5, 2.5),
                (1.6, 2.5),
                (1.6, 5.0),
                (3.0, 5.0)
            ]
        );
    }

    #[test]
    fn labels_never_overlap_nor_leave_the_canvas() {
        let texts = [
            "power cable-ohms=1.5",
            "reset #2: brownout",
            "boot loader (1199:9040)",
            "x",
        ];
        let labels: Vec<(i32, &str)> = vec![
            (100, texts[0]),
            (104, texts[1]),
            (1190, texts[2]),
            (1195, texts[3]),
        ];
        let placed = place(&labels, 12, 1188);
        for (i, a) in placed.iter().enumerate() {
            assert!(a.x >= 12 && a.x + a.width as i32 <= 1188, "{i}: {a:?}");
            for b in &placed[i + 1..] {
                let apart =
                    a.row != b.row || a.x + a.width as i32 <= b.x || b.x + b.width as i32 <= a.x;
                assert!(apart, "{a:?} {b:?}");
            }
        }
        // Near the right edge a label turns to the left of its line.
        assert!(placed[2].x + (placed[2].width as i32) < 1190);
    }

    #[test]
    fn time_axis_units_follow_the_span() {
        assert_eq!(time_unit(90.0).0, "s");
        assert_eq!(time_unit(300.0).0, "min");
        assert_eq!(time_unit(5.0 * 3600.0).0, "h");
        assert_eq!(tick(1.50), "1.5");
        assert_eq!(tick(2.0), "2");
        assert_eq!(tick(-0.0), "0");
    }
}
