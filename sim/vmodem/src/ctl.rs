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
        /// How long the module stays off the bus (default: drawn from the
        /// profile's range with the seed).
        #[arg(long, value_name = "MS")]
        down_ms: Option<u64>,
    },
    /// Firmware crash: silent until a power cycle.
    Crash,
    /// Remove and restore all power.
    PowerCycle,
    /// USB disconnect without a reset.
    Disconnect {
        /// Come back by itself after this long (default: stay off until
        /// `vmodem ctl reconnect`).
        #[arg(long, value_name = "MS")]
        down_ms: Option<u64>,
    },
    /// Back on the bus after a disconnect.
    Reconnect,
    /// Fall into the boot loader now.
    Bootloader,
    /// Pull the SIM card out.
    SimRemove,
    /// Put the SIM card back (it asks for its PIN again if enabled).
    SimInsert,
    /// The network drops the registration.
    Deregister,
    /// The serving network becomes (on) or stops being (off) a roaming one.
    Roaming {
        /// `on`: roaming; `off`: home network.
        state: OnOff,
    },
    /// No usable signal for a while.
    SignalLoss {
        /// How long the signal stays away.
        #[arg(long, value_name = "MS")]
        duration_ms: u64,
    },
    /// The network deactivates every bearer.
    BearerDrop,
    /// Mangle the next control responses.
    Responses {
        /// What happens to each response.
        #[arg(long, value_enum)]
        mangle: MangleArg,
        /// The delay, for `--mangle delay`.
        #[arg(long)]
        ms: Option<u64>,
        /// How many responses in a row are mangled.
        #[arg(long, default_value_t = 1)]
        count: u32,
    },
    /// An endpoint stops completing transfers.
    Stall {
        /// Which transfer path stops.
        #[arg(value_enum)]
        endpoint: EndpointArg,
        /// How long (default: until the next reset).
        #[arg(long, value_name = "MS")]
        duration_ms: Option<u64>,
    },
    /// Change the power set-up (only the given values).
    Power {
        /// The supply's open-circuit voltage.
        #[arg(long, value_name = "VOLTS")]
        source_volts: Option<f64>,
        /// The cable's resistance (both conductors).
        #[arg(long, value_name = "OHMS")]
        cable_ohms: Option<f64>,
        /// The connectors' resistance.
        #[arg(long, value_name = "OHMS")]
        connector_ohms: Option<f64>,
        /// The module's bulk capacitance.
        #[arg(long, value_name = "MICROFARADS")]
        capacitance_uf: Option<f64>,
    },
    /// A text message arrives from the simulated SMS centre (split into
    /// parts when long; UCS-2 when the GSM alphabet lacks a character).
    Sms {
        /// The sender: a number ("+447700900123") or a name ("Bank").
        #[arg(long, value_name = "NUMBER")]
        from: String,
        /// The message text.
        #[arg(long)]
        text: String,
        /// Message class 0 to 3 (0: a flash message, shown not stored).
        #[arg(long)]
        class: Option<u8>,
    },
    /// Any fault as JSON, as in a scenario's `inject` table:
    /// '{"fault":"reset","down-ms":1500}'.
    Fault {
        /// One fault object, in the scenario file's vocabulary.
        json: String,
    },
}

/// The stallable endpoints, named as in a scenario's `stall` fault
/// (`{serial = "at"}` is `serial-at` here).
#[derive(Debug, Clone, Copy, ValueEnum)]
enum EndpointArg {
    /// Control responses (cdc-wdm reads get nothing).
    Control,
    /// The interrupt endpoint ("response available" notifications).
    Notification,
    /// Packets to the host.
    DataIn,
    /// Packets from the host.
    DataOut,
    /// The AT port.
    SerialAt,
    /// The DM/QCDM port.
    SerialDm,
    /// The NMEA port.
    SerialNmea,
    /// The boot loader's QDL port.
    SerialDownload,
}

impl EndpointArg {
    fn json(self) -> Value {
        match self {
            EndpointArg::Control => json!("control"),
            EndpointArg::Notification => json!("notification"),
            EndpointArg::DataIn => json!("data-in"),
            EndpointArg::DataOut => json!("data-out"),
            EndpointArg::SerialAt => json!({"serial": "at"}),
            EndpointArg::SerialDm => json!({"serial": "dm"}),
            EndpointArg::SerialNmea => json!({"serial": "nmea"}),
            EndpointArg::SerialDownload => json!({"serial": "download"}),
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum OnOff {
    /// Roaming.
    On,
    /// Home network.
    Off,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum MangleArg {
    /// Held back for --ms.
    Delay,
    /// Never sent.
    Drop,
    /// Sent twice.
    Duplicate,
    /// Cut to half its length.
    Truncate,
    /// Sent with a transaction id the host never used.
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
            json!({"fault": "stall", "endpoint": endpoint.json(), "duration-ms": duration_ms})
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
        CtlCommand::Sms { from, text, class } => {
            json!({"fault": "sms", "from": from, "text": text, "class": class})
        }
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
