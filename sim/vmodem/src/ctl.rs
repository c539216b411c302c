//! `vmodem ctl`: fire faults at a running vmodem, read its status, watch
//! its event log, through the control socket.

use anyhow::{bail, Context};
use clap::{Subcommand, ValueEnum};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use vmodem_core::fault::Fault;

#[derive(Debug, clap::Args)]
pub struct CtlArgs {
    /// The control socket (default: the one `vmodem run --control` picks).
    #[arg(long)]
    socket: Option<PathBuf>,
    #[command(subcommand)]
    command: CtlCommand,
}

#[derive(Debug, Subcommand)]
enum CtlCommand {
    /// Personality, USB, radio, SIM, registration, resets (JSON).
    Status,
    /// Stream the event log (JSON lines) until interrupted.
    Watch,
    /// Firmware reset: off the bus, then a fresh boot.
    Reset {
        #[arg(long)]
        down_ms: Option<u64>,
    },
    /// Firmware crash: silent until a power cycle.
    Crash,
    /// Remove and restore all power.
    PowerCycle,
    /// USB disconnect without a reset.
    Disconnect {
        #[arg(long)]
        down_ms: Option<u64>,
    },
    Reconnect,
    /// Fall into the boot loader now.
    Bootloader,
    SimRemove,
    SimInsert,
    /// The network drops the registration.
    Deregister,
    /// The serving network becomes (on) or stops being (off) a roaming one.
    Roaming {
        state: OnOff,
    },
    /// No usable signal for a while.
    SignalLoss {
        #[arg(long)]
        duration_ms: u64,
    },
    /// The network deactivates every bearer.
    BearerDrop,
    /// Mangle the next control responses.
    Responses {
        #[arg(long, value_enum)]
        mangle: MangleArg,
        /// For `--mangle delay`.
        #[arg(long)]
        ms: Option<u64>,
        #[arg(long, default_value_t = 1)]
        count: u32,
    },
    /// An endpoint stops completing transfers: control, notification,
    /// data-in, data-out, serial-at, serial-dm, serial-nmea.
    Stall {
        endpoint: String,
        #[arg(long)]
        duration_ms: Option<u64>,
    },
    /// Change the power set-up (only the given values).
    Power {
        #[arg(long)]
        source_volts: Option<f64>,
        #[arg(long)]
        cable_ohms: Option<f64>,
        #[arg(long)]
        connector_ohms: Option<f64>,
        #[arg(long)]
        capacitance_uf: Option<f64>,
    },
    /// Any fault as JSON, as in a scenario's `inject` table:
    /// '{"fault":"reset","down-ms":1500}'.
    Fault {
        json: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum OnOff {
    On,
    Off,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum MangleArg {
    Delay,
    Drop,
    Duplicate,
    Truncate,
    WrongTxn,
}

/// The fault as the shared vocabulary's JSON, checked by its own serde.
fn fault(cmd: &CtlCommand) -> anyhow::Result<Option<Fault>> {
    let v = match cmd {
        CtlCommand::Status | CtlCommand::Watch => return Ok(None),
        CtlCommand::Reset { down_ms } => json!({"fault": "reset", "down-ms": down_ms}),
        CtlCommand::Crash => json!({"fault": "crash"}),
        CtlCommand::PowerCycle => json!({"fault": "power-cycle"}),
        CtlCommand::Disconnect { down_ms } => json!({"fault": "disconnect", "down-ms": down_ms}),
        CtlCommand::Reconnect => json!({"fault": "reconnect"}),
        CtlCommand::Bootloader => json!({"fault": "bootloader"}),
        CtlCommand::SimRemove => json!({"fault": "sim-remove"}),
        CtlCommand::SimInsert => json!({"fault": "sim-insert"}),
        CtlCommand::Deregister => json!({"fault": "deregister"}),
        CtlCommand::Roaming { state } => {
            json!({"fault": "roaming", "on": matches!(state, OnOff::On)})
        }
        CtlCommand::SignalLoss { duration_ms } => {
            json!({"fault": "signal-loss", "duration-ms": duration_ms})
        }
        CtlCommand::BearerDrop => json!({"fault": "bearer-drop"}),
        CtlCommand::Responses { mangle, ms, count } => {
            let m = match (mangle, ms) {
                (MangleArg::Delay, Some(ms)) => json!({"delay": {"ms": ms}}),
                (MangleArg::Delay, None) => bail!("--mangle delay needs --ms"),
                (_, Some(_)) => bail!("--ms goes with --mangle delay only"),
                (MangleArg::Drop, None) => json!("drop"),
                (MangleArg::Duplicate, None) => json!("duplicate"),
                (MangleArg::Truncate, None) => json!("truncate"),
                (MangleArg::WrongTxn, None) => json!("wrong-txn"),
            };
            json!({"fault": "responses", "mangle": m, "count": count})
        }
        CtlCommand::Stall {
            endpoint,
            duration_ms,
        } => {
            let ep = match endpoint.strip_prefix("serial-") {
                Some(port) => json!({ "serial": port }),
                None => json!(endpoint),
            };
            json!({"fault": "stall", "endpoint": ep, "duration-ms": duration_ms})
        }
        CtlCommand::Power {
            source_volts,
            cable_ohms,
            connector_ohms,
            capacitance_uf,
        } => json!({
            "fault": "power",
            "source-volts": source_volts,
            "cable-ohms": cable_ohms,
            "connector-ohms": connector_ohms,
            "capacitance-uf": capacitance_uf,
        }),
        CtlCommand::Fault { json } => {
            serde_json::from_str(json).context("the fault is not valid JSON")?
        }
    };
    let f: Fault = serde_json::from_value(v).context("not a fault")?;
    vmodem_core::scenario::file::check_fault(&f).map_err(anyhow::Error::msg)?;
    Ok(Some(f))
}

pub fn run(args: CtlArgs) -> anyhow::Result<()> {
    let request = match (&args.command, fault(&args.command)?) {
        (_, Some(f)) => json!({"cmd": "inject", "fault": f}),
        (CtlCommand::Watch, None) => json!({"cmd": "watch"}),
        _ => json!({"cmd": "status"}),
    };
    let path = args.socket.unwrap_or_else(crate::control::default_path);
    crate::control::check_owner(&path)?;
    let mut stream = UnixStream::connect(&path).with_context(|| {
        format!(
            "cannot connect to {} (is `vmodem run --control` running?)",
            path.display()
        )
    })?;
    // The listener's own uid, not only the file's: the file could have
    // been swapped between the check and the connect.
    let peer = nix::sys::socket::getsockopt(&stream, nix::sys::socket::sockopt::PeerCredentials)
        .context("reading the control socket's owner")?;
    crate::control::check_uid(&path, peer.uid())?;
    writeln!(stream, "{request}")?;
    let mut rd = BufReader::new(stream);
    let mut line = String::new();
    if rd.read_line(&mut line)? == 0 {
        bail!("vmodem closed the control connection");
    }
    let reply: Value = serde_json::from_str(&line).context("unreadable reply")?;
    if reply["ok"] != json!(true) {
        bail!("{}", reply["error"].as_str().unwrap_or("refused"));
    }
    // A reader that stops early (`| grep -q`) closes the pipe: that ends
    // the output, it is not an error worth a panic.
    let say = |text: &str| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}").and_then(|_| out.flush());
    };
    match args.command {
        CtlCommand::Status => say(&serde_json::to_string_pretty(&reply["status"])?),
        CtlCommand::Watch => {
            let out = std::io::stdout();
            let mut out = out.lock();
            for l in rd.lines() {
                if writeln!(out, "{}", l?).and_then(|_| out.flush()).is_err() {
                    break;
                }
            }
        }
        _ => say("ok"),
    }
    Ok(())
}
