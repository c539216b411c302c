//! Reports on a finished run: `vmodem plot` (the supply as a chart, SVG
//! or PNG)
//! and `vmodem timeline` (the event log in words, beside ModemManager's
//! view).

pub mod chart;
pub mod events;
#[cfg(test)]
mod golden;
pub mod mm;
pub mod plot;
pub mod timeline;

use anyhow::Context;
use std::path::Path;

/// `vmodem plot`: writes the chart (SVG or PNG, by `out`'s extension),
/// prints where.
pub fn plot(
    log: &Path,
    out: &Path,
    brownout_volts: Option<f64>,
    until: Option<std::time::Duration>,
) -> anyhow::Result<()> {
    let format = match out.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("svg") => chart::Format::Svg,
        Some(e) if e.eq_ignore_ascii_case("png") => chart::Format::Png,
        _ => anyhow::bail!(
            "{}: the output's name must end in .svg or .png (the format)",
            out.display()
        ),
    };
    // The log does not carry the threshold; the built-in profile's is the
    // one the shipped scenarios run with.
    let threshold = brownout_volts
        .unwrap_or_else(|| vmodem_core::model::Profile::default().power.brownout_volts);
    if !(threshold.is_finite() && threshold > 0.0) {
        anyhow::bail!("--brownout-volts must be a positive number of volts");
    }
    let entries = events::read(log)?;
    let until = until.map(|d| d.as_secs_f64());
    let bytes = plot::render(
        &log.display().to_string(),
        &entries,
        threshold,
        until,
        format,
    )?;
    std::fs::write(out, bytes).with_context(|| format!("cannot write {}", out.display()))?;
    println!("{}", out.display());
    Ok(())
}

/// `vmodem timeline`: prints it.
pub fn timeline(log: &Path, mm_view: Option<&Path>) -> anyhow::Result<()> {
    let entries = events::read(log)?;
    let view = mm_view.map(mm::read).transpose()?;
    let text = timeline::render(&log.display().to_string(), &entries, view.as_deref())?;
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}
