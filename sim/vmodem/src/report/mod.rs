//! Reports on a finished run: `vmodem plot` (the supply as an SVG chart)
//! and `vmodem timeline` (the event log in words, beside ModemManager's
//! view).

pub mod events;
pub mod mm;
pub mod plot;
pub mod svg;
pub mod timeline;

use anyhow::Context;
use std::path::Path;

/// `vmodem plot`: writes the chart, prints where.
pub fn plot(log: &Path, out: &Path, brownout_volts: Option<f64>) -> anyhow::Result<()> {
    // The log does not carry the threshold; the built-in profile's is the
    // one the shipped scenarios run with.
    let threshold = brownout_volts
        .unwrap_or_else(|| vmodem_core::model::Profile::default().power.brownout_volts);
    if !(threshold.is_finite() && threshold > 0.0) {
        anyhow::bail!("--brownout-volts must be a positive number of volts");
    }
    let entries = events::read(log)?;
    let svg = plot::render(&log.display().to_string(), &entries, threshold)?;
    std::fs::write(out, svg).with_context(|| format!("cannot write {}", out.display()))?;
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
