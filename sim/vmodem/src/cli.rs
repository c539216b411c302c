//! Command line.

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use vmodem_core::model::profile::{Profile, DEFAULT_PROFILE};

#[derive(Debug, Parser)]
#[command(
    name = "vmodem",
    version,
    about = "A virtual Sierra Wireless EM7305 LTE modem"
)]
pub struct Cli {
    /// More output (-v: debug, -vv: every frame).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

impl Cli {
    pub fn log_level(&self) -> &'static str {
        match self.verbose {
            0 => "info",
            1 => "debug",
            _ => "trace",
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the modem.
    Run(RunArgs),
    /// Work with profiles (identity and network values of a unit).
    Profile {
        #[command(subcommand)]
        command: ProfileCommand,
    },
}

#[derive(Debug, Subcommand)]
enum ProfileCommand {
    /// Print the default profile, to copy and edit.
    Default,
    /// Check a profile file and report the first error with its place.
    Check { file: PathBuf },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Transport {
    /// A pseudo-terminal carrying QMUX frames, for qmicli without USB.
    Pty,
    /// A USB gadget through configfs + FunctionFS (needs root, libcomposite
    /// and a UDC: dummy_hcd for testing, dwc2 on a Raspberry Pi).
    Ffs,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// How the host reaches the modem.
    #[arg(long, value_enum, default_value = "pty")]
    transport: Transport,
    /// USB device controller for `--transport ffs` (default: the first one).
    #[arg(long)]
    udc: Option<String>,
    /// Also create a symlink to the pty at this path.
    #[arg(long)]
    link: Option<PathBuf>,
    /// Expose the AT port (interface 3) as its own pty, linked here.
    #[arg(long, value_name = "PATH")]
    at_link: Option<PathBuf>,
    /// Expose the DM/QCDM port (interface 0) as its own pty, linked here.
    #[arg(long, value_name = "PATH")]
    dm_link: Option<PathBuf>,
    /// Expose the NMEA port (interface 2) as its own pty, linked here.
    #[arg(long, value_name = "PATH")]
    nmea_link: Option<PathBuf>,
    /// Profile file (TOML); the built-in EM7305 profile if omitted.
    #[arg(long)]
    profile: Option<PathBuf>,
    /// Write every USB transfer to FILE as a usbmon pcap (Wireshark's
    /// LINKTYPE_USB_LINUX_MMAPPED). On a pty the transfers are those the
    /// exchange would have taken over USB. See docs/capture.md.
    #[arg(long, value_name = "FILE")]
    pcap: Option<PathBuf>,
    /// Seed for every random choice (signal movement, handles).
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

pub fn load_profile(path: Option<&PathBuf>) -> anyhow::Result<Profile> {
    match path {
        None => Ok(Profile::default()),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read profile {}", p.display()))?;
            Ok(Profile::from_toml(&text, &p.display().to_string())?)
        }
    }
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Profile { command } => match command {
            ProfileCommand::Default => {
                print!("{DEFAULT_PROFILE}");
                Ok(())
            }
            ProfileCommand::Check { file } => {
                load_profile(Some(&file))?;
                println!("{}: ok", file.display());
                Ok(())
            }
        },
        Command::Run(args) => {
            let profile = load_profile(args.profile.as_ref())?;
            match args.transport {
                Transport::Pty => {
                    let links = crate::transport::pty::Links {
                        qmi: args.link,
                        at: args.at_link,
                        dm: args.dm_link,
                        nmea: args.nmea_link,
                    };
                    crate::transport::pty::run(profile, args.seed, links, args.pcap)
                }
                Transport::Ffs => {
                    crate::transport::ffs::run(profile, args.seed, args.udc, args.pcap)
                }
            }
        }
    }
}
