//! What sits beside the engine in a transport loop: the scenario (through
//! the core's `Director`), the control socket and the event log outputs.

use crate::control::{ControlMsg, Request, SocketFile, Watcher};
use std::io::Write;
use std::path::PathBuf;
use tokio::sync::mpsc;
use tracing::info;
use vmodem_core::scenario::{Director, Record, Scenario};
use vmodem_core::time::Instant;
use vmodem_core::Modem;

/// Options of `vmodem run` beyond the transport's own.
#[derive(Debug, Default)]
pub struct Options {
    pub scenario: Option<Scenario>,
    /// `--events FILE`: JSON lines with simulated and wall-clock time.
    pub events: Option<PathBuf>,
    /// `--control [PATH]`: the control socket.
    pub control: Option<PathBuf>,
    /// `--start-in-bootloader`: power on in the failsafe boot loader.
    pub start_in_bootloader: bool,
    /// `--uplink tun:NAME`: the TUN device's name.
    pub uplink: Option<String>,
    /// `--pcap FILE`: a usbmon capture of every transfer.
    pub pcap: Option<PathBuf>,
    /// `--web`: the dashboard's control requests for this modem (the
    /// first of the fleet's, the others are handed on by the transport).
    pub web: Vec<mpsc::Receiver<ControlMsg>>,
    /// Stop serving after this long (one case of `vmodem suite run`).
    pub stop_after: Option<std::time::Duration>,
}

/// Records kept for a dashboard page that opens mid-run (with `--web`
/// only): some 25 KiB per modem, within a watcher's queue.
pub const RECENT: usize = 200;
const _: () = assert!(RECENT < crate::control::WATCH_QUEUE);

pub struct Supervisor {
    director: Director,
    control: Option<mpsc::Receiver<ControlMsg>>,
    /// The dashboard's requests: the same messages as the socket's.
    web: Option<mpsc::Receiver<ControlMsg>>,
    activity: crate::activity::Activity,
    recent: std::collections::VecDeque<String>,
    _socket: Option<SocketFile>,
    events: Option<std::io::LineWriter<std::fs::File>>,
    watchers: Vec<Watcher>,
}

impl Supervisor {
    /// Opens the outputs; call inside the transport's runtime.
    pub fn start(mut opts: Options, seed: u64, now: Instant) -> anyhow::Result<Supervisor> {
        let events = match &opts.events {
            Some(p) => Some(std::io::LineWriter::new(std::fs::File::create(p).map_err(
                |e| anyhow::anyhow!("cannot create event log {}: {e}", p.display()),
            )?)),
            None => None,
        };
        let (control, socket) = match &opts.control {
            Some(p) => {
                let (rx, guard) = crate::control::listen(p)?;
                println!("vmodem: control socket {}", p.display());
                (Some(rx), Some(guard))
            }
            None => (None, None),
        };
        if let Some(s) = &opts.scenario {
            println!("vmodem: scenario with {} steps", s.steps.len());
        }
        Ok(Supervisor {
            director: Director::new(opts.scenario.as_ref(), seed, now),
            control,
            web: (!opts.web.is_empty()).then(|| opts.web.swap_remove(0)),
            activity: Default::default(),
            recent: Default::default(),
            _socket: socket,
            events,
            watchers: Vec::new(),
        })
    }

    /// Ties the supervisor to the engine: an event log also gets the
    /// supply's breakpoints, for plots.
    pub fn attach(&mut self, modem: &mut Modem) {
        if self.events.is_some() || self.web.is_some() {
            self.director.trace_supply(modem);
        }
    }

    /// A QMUX frame from the host, before the engine gets it.
    pub fn on_request(&mut self, frame: &[u8], now: Instant) {
        self.activity.qmi(frame);
        self.director.on_request(frame, now);
    }

    /// An MBIM control message from the host.
    pub fn on_mbim(&mut self) {
        self.activity.mbim();
    }

    /// After every turn of the loop, before the engine's events are read.
    pub fn after(&mut self, modem: &mut Modem, now: Instant) {
        self.director.after(modem, now);
        self.flush();
    }

    /// A transport dropped `frames` whole frames, `bytes` in all, for a
    /// host that did not read `port`: a "host overrun" in the event log.
    pub fn host_overrun(&mut self, port: &str, frames: u64, bytes: u64, now: Instant) {
        let what = vmodem_core::scenario::What::HostOverrun {
            port: port.into(),
            frames,
            bytes,
        };
        self.director.log(now, what);
        self.flush();
    }

    /// Serial input from the host on `port` dropped beyond what is held.
    pub fn host_input_dropped(&mut self, port: &str, bytes: u64, now: Instant) {
        let what = vmodem_core::scenario::What::HostInputDropped {
            port: port.into(),
            bytes,
        };
        self.director.log(now, what);
        self.flush();
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.director.poll_timeout()
    }

    /// The next control message, from the socket or the dashboard; never
    /// completes without either. A source that closed is dropped.
    pub async fn next_control(&mut self) -> Option<ControlMsg> {
        async fn next(rx: &mut Option<mpsc::Receiver<ControlMsg>>) -> Option<ControlMsg> {
            match rx {
                Some(r) => r.recv().await,
                None => std::future::pending().await,
            }
        }
        loop {
            tokio::select! {
                m = next(&mut self.control) => match m {
                    Some(m) => return Some(m),
                    None => self.control = None,
                },
                m = next(&mut self.web) => match m {
                    Some(m) => return Some(m),
                    None => self.web = None,
                },
            }
        }
    }

    pub fn handle_control(&mut self, msg: ControlMsg, modem: &mut Modem, now: Instant) {
        match msg {
            ControlMsg::Watch(w) => self.watchers.push(w),
            ControlMsg::WatchRecent(mut w) => {
                if self.recent.iter().all(|l| w.send(l)) {
                    self.watchers.push(w);
                }
            }
            ControlMsg::Activity(reply) => {
                let t_ms = self.director.t_ms(now);
                let _ = reply.send(self.activity.report(t_ms, &modem.data_stats()).to_string());
            }
            ControlMsg::Call(req, reply) => {
                let text = match req {
                    Request::Inject { fault } => match self.director.inject(modem, fault, now) {
                        Ok(()) => serde_json::json!({"ok": true}),
                        Err(e) => serde_json::json!({"ok": false, "error": e.to_string()}),
                    },
                    Request::Status => {
                        serde_json::json!({"ok": true, "status": self.director.status(modem, now)})
                    }
                    // Handled by the connection itself.
                    Request::Watch => serde_json::json!({"ok": false, "error": "unexpected"}),
                };
                let _ = reply.send(text.to_string());
                self.flush();
            }
        }
    }

    fn flush(&mut self) {
        while let Some(r) = self.director.poll_record() {
            let line = json_line(&r);
            if matches!(r.what, vmodem_core::scenario::What::Supply { .. }) {
                tracing::trace!(target: "vmodem::events", "{line}");
            } else {
                info!(target: "vmodem::events", "{line}");
            }
            if let Some(f) = &mut self.events {
                let _ = writeln!(f, "{line}");
            }
            self.watchers.retain_mut(|w| w.send(&line));
            if self.web.is_some() {
                if self.recent.len() == RECENT {
                    self.recent.pop_front();
                }
                self.recent.push_back(line);
            }
        }
    }
}

/// One record with the wall-clock time beside the simulated one.
fn json_line(r: &Record) -> String {
    let mut v = serde_json::to_value(r).unwrap_or_default();
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    if let Some(o) = v.as_object_mut() {
        o.insert("wall-ms".into(), wall.into());
    }
    v.to_string()
}
