//! Command line.

use crate::transport::composition::{serve, Function, Reach};
use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use vmodem_core::model::profile::{Profile, DEFAULT_PROFILE};
use vmodem_core::model::units;

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
        // A suite prints a line per case; the event log is in its report.
        let quiet = matches!(self.command, Command::Suite { .. });
        match self.verbose {
            0 if quiet => "warn",
            0 => "info",
            1 => "debug",
            _ => "trace",
        }
    }
}

// Parsed once per process: the size of `Run` does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// Run the modem.
    Run(RunArgs),
    /// Work with profiles (identity and network values of a unit).
    Profile {
        #[command(subcommand)]
        command: ProfileCommand,
    },
    /// Work with scenario files (faults over time).
    Scenario {
        #[command(subcommand)]
        command: ScenarioCommand,
    },
    /// Run a scenario headless in simulated time with a scripted host;
    /// prints the event log as JSON lines.
    Simulate {
        /// The scenario file (TOML, see docs/scenarios.md).
        file: PathBuf,
        /// Overrides the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Simulated time to run: 90s, 10m, 1h30m.
        #[arg(long = "for", value_name = "DURATION", default_value = "5m", value_parser = duration)]
        duration: std::time::Duration,
        /// Also log the module's supply (volts, amps) at every breakpoint,
        /// for `vmodem plot`.
        #[arg(long)]
        supply: bool,
    },
    /// Work with test suites: faults with expectations about the host,
    /// judged from what the modem observes (docs/suites.md).
    Suite {
        #[command(subcommand)]
        command: SuiteCommand,
    },
    /// Talk to a running vmodem through its control socket.
    Ctl(crate::ctl::CtlArgs),
    /// Plot the module's supply voltage and current from an event log
    /// (SVG or PNG) over simulated time, with the resets, the boot-loader
    /// switch and power changes marked.
    Plot {
        /// The event log (`vmodem simulate --supply` or `vmodem run --events`).
        events: PathBuf,
        /// Where to write the chart; its extension, .svg or .png, picks
        /// the format.
        #[arg(short, long, default_value = "power.svg")]
        output: PathBuf,
        /// The brownout threshold to draw (default: the built-in profile's).
        #[arg(long, value_name = "VOLTS")]
        brownout_volts: Option<f64>,
        /// Draw the time axis to this simulated time (say, the --for the
        /// log was simulated for), if later than the log's last record.
        #[arg(long, value_name = "DURATION", value_parser = duration)]
        until: Option<std::time::Duration>,
    },
    /// Print an event log as a timeline, one line per event, optionally
    /// beside ModemManager's view recorded during the run.
    Timeline {
        /// The event log (`vmodem simulate` or `vmodem run --events`).
        events: PathBuf,
        /// Lines `<wall-ms> <text>` (see docs/demo.md).
        #[arg(long, value_name = "FILE")]
        mm: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum ScenarioCommand {
    /// Check a scenario file (and its profile); errors name file:line:column.
    Check {
        /// The scenario file (TOML).
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum SuiteCommand {
    /// Check a suite file, its scenarios and profiles; errors name
    /// file:line:column.
    Check {
        /// The suite file (TOML).
        file: PathBuf,
    },
    /// Run every case from a fresh power-on and judge the host; exits 0
    /// only when every expectation holds (or fails as it is known to).
    Run(SuiteRunArgs),
}

#[derive(Debug, clap::Args)]
struct SuiteRunArgs {
    /// The suite file (TOML).
    file: PathBuf,
    /// How the host reaches the modem.
    #[arg(long, value_enum, default_value = "pty")]
    transport: Transport,
    /// `--transport pty`: link the control pty here (default: `modem` in
    /// the run's directory); the host command finds it in $VMODEM_LINK.
    #[arg(long)]
    link: Option<PathBuf>,
    /// `--transport usbip`: the address to listen on.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:3240")]
    listen: String,
    /// `--transport ffs`: the USB device controller (default: the first).
    #[arg(long)]
    udc: Option<String>,
    /// The host under test: a shell command started for every run of a
    /// case once the modem is up, and stopped (SIGTERM to its process
    /// group) at the case's end.
    #[arg(long, value_name = "COMMAND")]
    host: Option<String>,
    /// Write JUnit XML here: one testcase per expectation.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Keep every run's event log here, with summary.json (verdicts,
    /// recovery times and their spread) and report.html.
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
    /// Seed of every case (run N of a case gets SEED + N - 1); each
    /// scenario's own seed when omitted.
    #[arg(long)]
    seed: Option<u64>,
    /// Run only the case of this name (repeatable).
    #[arg(long = "case", value_name = "NAME")]
    only: Vec<String>,
}

#[derive(Debug, Subcommand)]
enum ProfileCommand {
    /// Print the default profile, to copy and edit.
    Default {
        /// A shipped unit's profile instead (`vmodem profile units`).
        #[arg(long, value_name = "NAME")]
        unit: Option<String>,
    },
    /// List the shipped unit profiles (the EM7305 and its OEM variants).
    Units,
    /// Check a profile file and report the first error with its place.
    Check {
        /// The profile file (TOML).
        file: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Transport {
    /// A pseudo-terminal carrying QMUX frames, for qmicli without USB.
    Pty,
    /// A USB gadget through configfs + FunctionFS (needs root, libcomposite
    /// and a UDC: dummy_hcd for testing, dwc2 on a Raspberry Pi).
    Ffs,
    /// A USB/IP device server: any Linux host attaches the exact EM7305
    /// with `usbip attach` (vhci_hcd), no gadget hardware (docs/usbip.md).
    Usbip,
    /// A USB gadget through GadgetFS (needs root, the gadgetfs module
    /// mounted at /dev/gadget and a UDC): the real descriptors, MBIM
    /// compositions included (docs/usb.md).
    Gadgetfs,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// How the host reaches the modem.
    #[arg(long, value_enum, default_value = "pty")]
    transport: Transport,
    /// USB device controller for `--transport ffs` (default: the first
    /// one); for `--transport gadgetfs`, its device file in /dev/gadget
    /// (default: the only one, e.g. dummy_udc).
    #[arg(long)]
    udc: Option<String>,
    /// Address `--transport usbip` listens on. USB/IP has no
    /// authentication: keep it on loopback unless the network is yours.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:3240")]
    listen: String,
    /// How many independent modems `--transport usbip` serves, as bus ids
    /// 1-1 to 1-N, each with its own seed (--seed + n - 1) and identity
    /// (IMEI, ICCID, IMSI). --scenario, --control and --events apply to
    /// 1-1 only; --uplink needs a single modem.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=crate::transport::usbip::MAX_MODEMS as i64))]
    modems: u32,
    /// The control function: what the control pty speaks, or the USB
    /// composition USB/IP boots in (`mbim`: 9, MBIM only, unless the
    /// profile's composition already has MBIM). Defaults to what the
    /// profile's `usb-composition` implies; given, it overrides the profile
    /// for this run (also on `--transport gadgetfs`). Not on `--transport ffs`.
    #[arg(long, value_enum)]
    composition: Option<Function>,
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
    /// Seed for every random choice (signal movement, handles); a
    /// scenario's own seed when omitted with --scenario, else 0.
    #[arg(long)]
    seed: Option<u64>,
    /// Scenario file: its steps fire while the host drives the modem.
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,
    /// Write the event log here (JSON lines, simulated and wall-clock ms).
    #[arg(long, value_name = "FILE")]
    events: Option<PathBuf>,
    /// Open the control socket for `vmodem ctl` (owner-only), at PATH or
    /// at $XDG_RUNTIME_DIR/vmodem/control.sock (without a runtime dir:
    /// vmodem-UID/control.sock in the temp dir), where `vmodem ctl` looks.
    #[arg(long, value_name = "PATH", num_args = 0..=1)]
    control: Option<Option<PathBuf>>,
    /// Power on in the failsafe boot loader (1199:9040, one QDL port;
    /// on a pty it is served on the --dm-link). Only a power cycle leaves
    /// it. For testing host tools against the boot loader.
    #[arg(long)]
    start_in_bootloader: bool,
    /// Forward packets bound beyond the simulated network to a TUN device,
    /// `tun:NAME`, and deliver what comes back (see docs/data-path.md).
    /// Without it nothing ever leaves vmodem.
    #[arg(long, value_name = "tun:NAME", value_parser = parse_uplink)]
    uplink: Option<String>,
    /// Serve the dashboard (live supply charts, event timeline, state,
    /// host activity, fault buttons; every modem of --modems N) at
    /// ADDR:PORT, 127.0.0.1:8080 if none is given. Off loopback it asks
    /// for a token, printed at start. See docs/dashboard.md.
    #[arg(long, value_name = "ADDR:PORT", num_args = 0..=1,
          default_missing_value = "127.0.0.1:8080")]
    web: Option<std::net::SocketAddr>,
}

/// `tun:NAME` → NAME.
fn parse_uplink(s: &str) -> Result<String, String> {
    match s.strip_prefix("tun:") {
        Some(n) if !n.is_empty() && n.len() < 16 && !n.contains(['/', ' ']) => Ok(n.to_string()),
        Some(_) => Err("the interface name must be 1 to 15 bytes, without '/' or spaces".into()),
        None => Err("expected tun:NAME".into()),
    }
}

pub fn load_profile(path: Option<&PathBuf>) -> anyhow::Result<Profile> {
    match path {
        None => Ok(Profile::default()),
        Some(p) => {
            let text = crate::file::read_text(p, "profile", crate::file::PROFILE_CAP)?;
            warn_old_spellings(&text, p);
            Ok(Profile::from_toml(&text, &p.display().to_string())?)
        }
    }
}

/// Names every key of a profile or scenario file still in the old
/// snake_case spelling, which loads but is on its way out.
pub fn warn_old_spellings(text: &str, path: &std::path::Path) {
    for o in vmodem_core::model::key_spelling::to_kebab(text).1 {
        eprintln!(
            "vmodem: warning: {}:{}:{}: `{}` is the old spelling of `{}`",
            path.display(),
            o.line,
            o.column,
            o.old,
            o.new
        );
    }
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Profile { command } => match command {
            ProfileCommand::Default { unit: None } => {
                print!("{DEFAULT_PROFILE}");
                Ok(())
            }
            ProfileCommand::Default { unit: Some(name) } => {
                let u = units::unit(&name).ok_or_else(|| {
                    let names: Vec<&str> = units::UNITS.iter().map(|u| u.name).collect();
                    anyhow::anyhow!("no unit {name:?}; expected one of {}", names.join(", "))
                })?;
                print!("{}", u.profile_text());
                Ok(())
            }
            ProfileCommand::Units => {
                for u in units::UNITS {
                    println!(
                        "{:<14} {:04x}:{:04x}  {}",
                        u.name, u.usb_vendor_id, u.usb_product_id, u.description
                    );
                }
                Ok(())
            }
            ProfileCommand::Check { file } => {
                load_profile(Some(&file))?;
                println!("{}: ok", file.display());
                Ok(())
            }
        },
        Command::Scenario {
            command: ScenarioCommand::Check { file },
        } => crate::scenario_cmd::check(&file),
        Command::Simulate {
            file,
            seed,
            duration,
            supply,
        } => crate::scenario_cmd::run(&file, seed, duration, supply),
        Command::Ctl(args) => crate::ctl::run(args),
        Command::Suite { command } => match command {
            SuiteCommand::Check { file } => crate::suite::check(&file),
            SuiteCommand::Run(a) => {
                use crate::suite::Transport as T;
                let transport = match a.transport {
                    Transport::Pty => T::Pty { link: a.link },
                    Transport::Usbip => T::Usbip {
                        listen: a.listen.parse().with_context(|| {
                            format!("--listen {}: expected ADDR:PORT", a.listen)
                        })?,
                    },
                    Transport::Ffs => T::Ffs { udc: a.udc },
                    Transport::Gadgetfs => {
                        anyhow::bail!("suites run on --transport pty, usbip or ffs")
                    }
                };
                crate::suite::run(
                    &a.file,
                    crate::suite::RunOptions {
                        transport,
                        host: a.host,
                        junit: a.junit,
                        report: a.report,
                        seed: a.seed,
                        only: a.only,
                    },
                )
            }
        },
        Command::Plot {
            events,
            output,
            brownout_volts,
            until,
        } => crate::report::plot(&events, &output, brownout_volts, until),
        Command::Timeline { events, mm } => crate::report::timeline(&events, mm.as_deref()),
        Command::Run(args) => {
            let (scenario, profile) = match &args.scenario {
                Some(f) if args.profile.is_none() => {
                    let (s, p) = crate::scenario_cmd::load(f)?;
                    (Some(s), p)
                }
                Some(f) => (
                    Some(crate::scenario_cmd::load(f)?.0),
                    load_profile(args.profile.as_ref())?,
                ),
                None => (None, load_profile(args.profile.as_ref())?),
            };
            let seed = args.seed.or(scenario.as_ref().map(|s| s.seed)).unwrap_or(0);
            let opts = crate::supervise::Options {
                scenario,
                events: args.events,
                control: match args.control {
                    Some(Some(p)) => Some(p),
                    Some(None) => Some(crate::control::prepare_default()?),
                    None => None,
                },
                start_in_bootloader: args.start_in_bootloader,
                uplink: args.uplink,
                pcap: args.pcap,
                web: Vec::new(),
                stop_after: None,
            };
            if args.modems > 1 && !matches!(args.transport, Transport::Usbip) {
                anyhow::bail!(
                    "--modems {} is served on --transport usbip only",
                    args.modems
                );
            }
            let mut opts = opts;
            if let Some(addr) = args.web {
                opts.web = crate::web::start(addr, args.modems)?.feeds;
            }
            match args.transport {
                Transport::Pty => {
                    if opts.uplink.is_some() {
                        // Only the USB gadget has the QMI data endpoints.
                        anyhow::bail!(
                            "--uplink needs a USB transport (ffs, gadgetfs or usbip): a pty carries no packet data"
                        );
                    }
                    use crate::transport::pty::Control;
                    let mut profile = profile;
                    let served =
                        serve_composition(&mut profile, Reach::OneConfig, args.composition)?;
                    let links = crate::transport::pty::Links {
                        control: match Function::of(served) {
                            Function::Qmi => Control::Qmi,
                            Function::Mbim => Control::Mbim,
                        },
                        qmi: args.link,
                        at: args.at_link,
                        dm: args.dm_link,
                        nmea: args.nmea_link,
                    };
                    crate::transport::pty::run(profile, seed, links, opts)
                }
                Transport::Ffs => {
                    let mut profile = profile;
                    serve_composition(&mut profile, Reach::QmiOnly, args.composition)?;
                    crate::transport::ffs::run(profile, seed, args.udc, opts)
                }
                Transport::Gadgetfs => {
                    let mut profile = profile;
                    serve_composition(&mut profile, Reach::Any, args.composition)?;
                    crate::transport::gadgetfs::run(profile, seed, args.udc, opts)
                }
                Transport::Usbip => {
                    let mut profile = profile;
                    serve_composition(&mut profile, Reach::Any, args.composition)?;
                    let listen = args
                        .listen
                        .parse()
                        .with_context(|| format!("--listen {}: expected ADDR:PORT", args.listen))?;
                    crate::transport::usbip::run(profile, seed, listen, args.modems, opts)
                }
            }
        }
    }
}

/// The composition the transport serves, put into the profile
/// (`--composition` names `asked`).
fn serve_composition(
    profile: &mut Profile,
    reach: Reach,
    asked: Option<Function>,
) -> anyhow::Result<u8> {
    serve(profile, reach, asked).map_err(|e| anyhow::anyhow!("--composition mbim: {e}"))
}

/// A duration on the command line ("90s", "10m", "1h30m", "250ms").
fn duration(text: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(text)
        .map_err(|e| format!("`{text}`: {e}: expected a duration such as 90s, 10m, 1h30m or 250ms"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use std::time::Duration;

    #[test]
    fn durations_in_the_documented_forms() {
        assert_eq!(duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(duration("2s500ms"), Ok(Duration::from_millis(2500)));
        for t in ["", "10", "m", "10x", "-5s", "99999999999999999999h"] {
            assert!(duration(t).is_err(), "{t}");
        }
    }

    /// `vmodem …` paths of every subcommand and argument without a
    /// description, rendering each command's help on the way.
    fn undescribed(cmd: &mut clap::Command, path: &str, out: &mut Vec<String>) {
        let help = cmd.render_long_help().to_string();
        assert!(help.contains("Usage:"), "{path}: {help}");
        if cmd.get_about().is_none() && cmd.get_long_about().is_none() {
            out.push(format!("{path} (subcommand)"));
        }
        for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
            let described = arg.get_help().or(arg.get_long_help());
            if described.is_none_or(|h| h.to_string().trim().is_empty()) {
                out.push(format!("{path} {}", arg.get_id()));
            }
        }
        // clap's own `help` subcommand mirrors the tree: checked once.
        for sub in cmd.get_subcommands_mut().filter(|s| s.get_name() != "help") {
            let p = format!("{path} {}", sub.get_name());
            undescribed(sub, &p, out);
        }
    }

    #[test]
    fn every_subcommand_and_argument_is_described() {
        let mut cmd = Cli::command();
        cmd.build();
        let mut missing = Vec::new();
        undescribed(&mut cmd, "vmodem", &mut missing);
        assert!(missing.is_empty(), "no description: {missing:?}");
    }

    #[test]
    fn a_bad_stall_endpoint_is_refused_in_the_help_s_names() {
        let e = Cli::try_parse_from(["vmodem", "ctl", "stall", "serial"]).unwrap_err();
        let e = e.to_string();
        assert!(e.contains("invalid value 'serial'"), "{e}");
        let help = Cli::command()
            .find_subcommand_mut("ctl")
            .and_then(|c| c.find_subcommand_mut("stall"))
            .unwrap()
            .render_long_help()
            .to_string();
        for name in [
            "control",
            "notification",
            "data-in",
            "serial-at",
            "serial-nmea",
        ] {
            assert!(e.contains(name), "{name} missing from {e}");
            assert!(help.contains(name), "{name} missing from {help}");
        }
        let ok = Cli::try_parse_from(["vmodem", "ctl", "stall", "serial-dm"]);
        assert!(ok.is_ok());
    }

    #[test]
    fn the_help_check_names_what_lacks_a_description() {
        let mut cmd = clap::Command::new("x")
            .about("described")
            .arg(clap::Arg::new("bare").long("bare"))
            .subcommand(clap::Command::new("quiet"));
        cmd.build();
        let mut missing = Vec::new();
        undescribed(&mut cmd, "x", &mut missing);
        assert_eq!(missing, ["x bare", "x quiet (subcommand)"]);
    }
}
