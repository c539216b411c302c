//! `vmodem`: a virtual Sierra Wireless EM7305 LTE modem.

mod accept;
mod activity;
mod cli;
mod control;
mod ctl;
mod driver;
mod file;
mod report;
mod scenario_cmd;
mod suite;
mod supervise;
mod transport;
mod web;

use clap::Parser;
use std::ffi::OsStr;
use std::io::IsTerminal;
use std::process::ExitCode;

/// Colour codes only for a person at a terminal: a log redirected to a
/// file stays plain text, and a non-empty NO_COLOR (no-color.org) turns
/// them off everywhere.
fn colour(terminal: bool, no_color: Option<&OsStr>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(args.log_level()));
    let colour = colour(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .init();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vmodem: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::colour;
    use std::ffi::OsStr;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(colour(true, None));
        assert!(colour(true, Some(OsStr::new(""))));
        assert!(!colour(true, Some(OsStr::new("1"))));
        assert!(!colour(false, None));
        assert!(!colour(false, Some(OsStr::new("1"))));
    }
}
