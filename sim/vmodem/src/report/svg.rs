//! A small SVG chart: stacked panels sharing one time axis, with vertical
//! markers across all of them. Enough for the power plot of a run; no
//! plotting dependency for two lines and a few labels.

use std::fmt::Write;

/// One panel: a line over time.
pub struct Panel {
    pub title: String,
    pub unit: String,
    /// (seconds, value), in time order.
    pub points: Vec<(f64, f64)>,
    /// Horizontal reference lines (value, label), e.g. a threshold.
    pub guides: Vec<(f64, String)>,
}

/// A labelled moment, drawn across every panel.
pub struct Marker {
    pub at: f64,
    pub label: String,
}

const WIDTH: f64 = 960.0;
const PANEL_HEIGHT: f64 = 220.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const GAP: f64 = 50.0;

/// Renders the panels over [t0, t1] seconds; an error when a coordinate
/// would not be a finite number (values too large for one scale).
pub fn chart(
    title: &str,
    panels: &[Panel],
    markers: &[Marker],
    t0: f64,
    t1: f64,
) -> Result<String, String> {
    let span = if t1 > t0 { t1 - t0 } else { 1.0 };
    let height = TOP + panels.len() as f64 * (PANEL_HEIGHT + GAP) + 10.0;
    let plot_w = WIDTH - LEFT - RIGHT;
    // Set when a coordinate is not a finite number.
    let unscaled = std::cell::Cell::new(false);
    let finite = |v: f64| {
        if !v.is_finite() {
            unscaled.set(true);
        }
        v
    };
    let x = |t: f64| finite(LEFT + (t - t0) / span * plot_w);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{LEFT}" y="22" font-size="16" font-weight="bold">{}</text>"#,
        escape(title)
    );
    for (i, p) in panels.iter().enumerate() {
        let top = TOP + i as f64 * (PANEL_HEIGHT + GAP) + 20.0;
        let bottom = top + PANEL_HEIGHT - 20.0;
        let (lo, hi) = range(p);
        let y = |v: f64| finite(bottom - (v - lo) / (hi - lo) * (bottom - top));
        let _ = writeln!(
            s,
            r#"<text x="{LEFT}" y="{}" font-weight="bold">{} ({})</text>"#,
            top - 6.0,
            escape(&p.title),
            escape(&p.unit)
        );
        let _ = writeln!(
            s,
            r##"<rect x="{LEFT}" y="{top}" width="{plot_w}" height="{}" fill="none" stroke="#888"/>"##,
            bottom - top
        );
        for k in 0..=4 {
            let v = lo + (hi - lo) * k as f64 / 4.0;
            let _ = writeln!(
                s,
                r##"<text x="{}" y="{}" text-anchor="end" fill="#444">{v:.2}</text><line x1="{LEFT}" x2="{}" y1="{yy}" y2="{yy}" stroke="#eee"/>"##,
                LEFT - 6.0,
                y(v) + 4.0,
                LEFT + plot_w,
                yy = y(v)
            );
        }
        for (v, label) in &p.guides {
            let _ = writeln!(
                s,
                r##"<line x1="{LEFT}" x2="{}" y1="{yy}" y2="{yy}" stroke="#d80" stroke-dasharray="6 4"/><text x="{}" y="{}" text-anchor="end" fill="#d80">{}</text>"##,
                LEFT + plot_w,
                LEFT + plot_w - 4.0,
                y(*v) - 4.0,
                escape(label),
                yy = y(*v)
            );
        }
        let mut path = String::new();
        for (n, (t, v)) in p.points.iter().enumerate() {
            let _ = write!(
                path,
                "{}{:.1},{:.1} ",
                if n == 0 { 'M' } else { 'L' },
                x(*t),
                y(*v)
            );
        }
        let _ = writeln!(
            s,
            r##"<path d="{}" fill="none" stroke="#1565c0" stroke-width="1.5"/>"##,
            path.trim_end()
        );
        for (k, m) in markers.iter().enumerate() {
            let _ = writeln!(
                s,
                r##"<line x1="{mx}" x2="{mx}" y1="{top}" y2="{bottom}" stroke="#c62828" stroke-dasharray="3 3"/>"##,
                mx = x(m.at)
            );
            if i == 0 {
                let _ = writeln!(
                    s,
                    r##"<text x="{}" y="{}" fill="#c62828" font-size="11">{}</text>"##,
                    x(m.at) + 3.0,
                    // Three rows, so labels of close markers do not overlap.
                    top + 12.0 + (k % 3) as f64 * 13.0,
                    escape(&m.label)
                );
            }
        }
        let _ = writeln!(
            s,
            r##"<text x="{LEFT}" y="{}" fill="#444">{t0:.1} s</text><text x="{}" y="{}" text-anchor="end" fill="#444">{t1:.1} s</text>"##,
            bottom + 16.0,
            LEFT + plot_w,
            bottom + 16.0
        );
    }
    s.push_str("</svg>\n");
    if unscaled.get() {
        return Err("values too far apart to draw on one scale".into());
    }
    Ok(s)
}

/// The value range of a panel with a little headroom; never empty.
fn range(p: &Panel) -> (f64, f64) {
    let values = p
        .points
        .iter()
        .map(|&(_, v)| v)
        .chain(p.guides.iter().map(|(v, _)| *v))
        .filter(|v| v.is_finite());
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.08).max(0.05);
    (lo - pad, hi + pad)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_each_panel_marker_and_guide() {
        let panels = vec![
            Panel {
                title: "Module voltage".into(),
                unit: "V".into(),
                points: vec![(0.0, 5.0), (1.0, 3.1), (2.0, 5.0)],
                guides: vec![(3.3, "brownout <3.3 V".into())],
            },
            Panel {
                title: "Current".into(),
                unit: "A".into(),
                points: vec![(0.0, 0.1), (1.0, 1.2)],
                guides: vec![],
            },
        ];
        let markers = vec![Marker {
            at: 1.0,
            label: "reset (brownout)".into(),
        }];
        let svg = chart("Bad cable & <LTE>", &panels, &markers, 0.0, 2.0).unwrap();
        assert!(svg.starts_with("<svg"));
        assert_eq!(svg.matches("<path").count(), 2);
        assert_eq!(svg.matches("stroke=\"#c62828\"").count(), 2);
        assert!(svg.contains("brownout &lt;3.3 V"));
        assert!(svg.contains("Bad cable &amp; &lt;LTE&gt;"));
    }

    #[test]
    fn empty_or_flat_series_still_render() {
        let flat = Panel {
            title: "flat".into(),
            unit: "V".into(),
            points: vec![(0.0, 5.0), (1.0, 5.0)],
            guides: vec![],
        };
        let empty = Panel {
            title: "empty".into(),
            unit: "A".into(),
            points: vec![],
            guides: vec![],
        };
        let svg = chart("t", &[flat, empty], &[], 0.0, 0.0).unwrap();
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        let wide = Panel {
            title: "wide".into(),
            unit: "V".into(),
            points: vec![(0.0, f64::MAX), (1.0, -f64::MAX)],
            guides: vec![],
        };
        assert!(chart("t", &[wide], &[], 0.0, 1.0).is_err());
    }
}
