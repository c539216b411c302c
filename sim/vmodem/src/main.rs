//! `vmodem`: a virtual Sierra Wireless EM7305 LTE modem.

mod accept;
mod cli;
mod control;
mod ctl;
mod duration;
mod file;
mod report;
mod scenario_cmd;
mod supervise;
mod transport;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(args.log_level()));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vmodem: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
