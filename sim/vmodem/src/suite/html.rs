//! The HTML report of a suite run: one self-contained page (no script,
//! no link out) with the verdicts, the recovery times, and per run the
//! power plot and the timeline with the modem and the host side by side.

use super::case::RunResult;
use super::summary::Report;
use crate::report::chart::Format;
use crate::report::{events, plot, timeline};
use std::fmt::Write;
use vmodem_core::suite::{Outcome, Spread};

/// Rows of a run's timeline beyond this are counted, not shown: a host
/// that storms requests must not make a page no browser can open.
const MAX_ROWS: usize = 2000;

pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
.pass{background:#e6f4e6}.fail{background:#fbe3e3}.xfail{background:#fff4d6}
.t{font-family:monospace;text-align:right}.host{color:#1a4f8b}.modem{color:#6b2f00}
details{margin:.5em 0}svg{max-width:100%;height:auto}";

pub fn render(report: &Report) -> String {
    let (held, total, xfail) = report.counts();
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>",
        esc(&report.suite)
    );
    let _ = write!(
        h,
        "<h1>Suite {} <span class=\"{}\">{}</span></h1><p>{} &middot; seed {} &middot; {held} of {total} expectations held, {xfail} known failures of the host</p>",
        esc(&report.suite),
        if report.passed() { "pass" } else { "fail" },
        if report.passed() { "PASSED" } else { "FAILED" },
        esc(&report.file),
        report.seed
    );
    for c in &report.cases {
        let _ = write!(h, "<h2>{}</h2>", esc(&c.name));
        let s = &c.spread;
        let _ = write!(
            h,
            "<table><tr><th>Recovery over {} rejoins</th><th>n</th><th>min</th><th>median</th><th>max</th><th>mean &plusmn; sd</th></tr>",
            s.rejoins
        );
        for (label, sp) in [
            ("rejoin &rarr; control channel open", s.control_open),
            ("rejoin &rarr; registered", s.registered),
            ("rejoin &rarr; data flowing", s.data_flowing),
        ] {
            spread_row(&mut h, label, sp);
        }
        h.push_str("</table>");
        for (i, r) in c.runs.iter().enumerate() {
            run(&mut h, i, r);
        }
    }
    h.push_str("</body></html>\n");
    h
}

fn spread_row(h: &mut String, label: &str, s: Option<Spread>) {
    match s {
        Some(s) => {
            let _ = write!(
                h,
                "<tr><td>{label}</td><td>{}</td><td class=t>{:.1} s</td><td class=t>{:.1} s</td><td class=t>{:.1} s</td><td class=t>{:.1} &plusmn; {:.1} s</td></tr>",
                s.n,
                s.min_ms as f64 / 1e3,
                s.median_ms as f64 / 1e3,
                s.max_ms as f64 / 1e3,
                s.mean_ms / 1e3,
                s.stddev_ms / 1e3
            );
        }
        None => {
            let _ = write!(
                h,
                "<tr><td>{label}</td><td>0</td><td colspan=4>never</td></tr>"
            );
        }
    }
}

fn run(h: &mut String, i: usize, r: &RunResult) {
    let _ = write!(
        h,
        "<h3>Run {} (seed {}, {:.1} s)</h3><table><tr><th>Expectation</th><th>Verdict</th><th>Seen</th></tr>",
        i + 1,
        r.seed,
        r.wall.as_secs_f64()
    );
    for v in &r.verdicts {
        let (class, word) = match v.outcome {
            Outcome::Pass => ("pass", "held".to_string()),
            Outcome::Fail => ("fail", "FAILED".to_string()),
            Outcome::ExpectedFailure => (
                "xfail",
                format!("known failure: {}", v.reason.as_deref().unwrap_or("")),
            ),
            Outcome::UnexpectedPass => ("fail", "held, but marked as a known failure".into()),
        };
        let _ = write!(
            h,
            "<tr class={class}><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&v.expected),
            esc(&word),
            esc(&v.seen)
        );
    }
    for p in &r.probes {
        let class = match p.held() {
            Some(true) => "pass",
            Some(false) => "fail",
            None => "",
        };
        let _ = write!(
            h,
            "<tr class=\"{class}\"><td>probe {}: <code>{}</code></td><td>exit {}</td><td><pre>{}</pre></td></tr>",
            esc(&p.name),
            esc(&p.command),
            p.exit.map_or("none (killed)".into(), |c| c.to_string()),
            esc(&p.output)
        );
    }
    h.push_str("</table>");
    let Ok(entries) = events::read(&r.events) else {
        let _ = write!(
            h,
            "<p>The event log {} could not be read.</p>",
            esc(&r.events.display().to_string())
        );
        return;
    };
    if entries.iter().any(|e| e.event == "supply") {
        let threshold = vmodem_core::model::Profile::default().power.brownout_volts;
        let chart = plot::render(
            &r.events.display().to_string(),
            &entries,
            threshold,
            Some(r.wall.as_secs_f64()),
            Format::Svg,
        );
        if let Ok(svg) = chart {
            let svg = String::from_utf8_lossy(&svg);
            // The chart's own XML prologue has no place inside HTML.
            let body = svg.find("<svg").map_or(&svg[..], |i| &svg[i..]);
            let _ = write!(h, "<details><summary>Power</summary>{body}</details>");
        }
    }
    h.push_str("<details open><summary>Timeline</summary><table><tr><th>t</th><th>Modem</th><th>Host</th></tr>");
    let mut rows = 0;
    let mut hidden = 0;
    for e in entries.iter().filter(|e| e.event != "supply") {
        let Some(text) = timeline::describe_one(e) else {
            continue;
        };
        if rows >= MAX_ROWS {
            hidden += 1;
            continue;
        }
        rows += 1;
        let host = HOST_EVENTS.contains(&e.event.as_str());
        let (m, hc) = if host {
            (String::new(), esc(&text))
        } else {
            (esc(&text), String::new())
        };
        let _ = write!(
            h,
            "<tr><td class=t>{:.3}</td><td class=modem>{m}</td><td class=host>{hc}</td></tr>",
            e.secs()
        );
    }
    h.push_str("</table>");
    if hidden > 0 {
        let _ = write!(
            h,
            "<p>{hidden} more records in {}</p>",
            esc(&r.events.display().to_string())
        );
    }
    h.push_str("</details>");
}

/// Records of what the host did (the right-hand column).
const HOST_EVENTS: [&str; 8] = [
    "control-opened",
    "request",
    "client-allocated",
    "start-network",
    "mode-preference",
    "data-from-host",
    "boot-loader-write",
    "host",
];
