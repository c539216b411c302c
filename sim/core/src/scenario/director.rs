//! Sits next to the engine in any loop (transport or simulation): watches
//! the device, runs the scenario, injects its faults and those sent by
//! hand, and keeps the event log.

use super::file::Scenario;
use super::runner::ScenarioRunner;
use super::state::{DeviceState, StateWatch};
use crate::fault::{Fault, FaultError};
use crate::model::PowerSample;
use crate::time::Instant;
use crate::{Happening, Modem};
use serde::Serialize;
use std::collections::VecDeque;

/// Who fired a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// A `[[step]]` or the `[power]` set-up of the scenario file.
    Scenario,
    /// The control socket (`vmodem ctl`).
    Control,
}

/// One line of the event log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    /// Simulated milliseconds since the engine started.
    #[serde(rename = "t-ms")]
    pub t_ms: u64,
    #[serde(flatten)]
    pub what: What,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum What {
    /// The device entered a state.
    State { state: DeviceState },
    /// A fault was injected.
    Fault {
        source: Source,
        /// The step's index in the file (0-based), absent for `[power]`
        /// and the control socket.
        #[serde(skip_serializing_if = "Option::is_none")]
        step: Option<usize>,
        fault: Fault,
    },
    /// The engine refused a fault.
    FaultRefused {
        source: Source,
        #[serde(skip_serializing_if = "Option::is_none")]
        step: Option<usize>,
        fault: Fault,
        error: String,
    },
    /// What the scripted host did (simulation only).
    Host { action: String, ok: bool },
    /// The module's supply at a breakpoint (only when traced, for plots).
    Supply { volts: f64, amps: f64 },
    /// A transport dropped a whole frame for the host on `port` (`qmi`,
    /// `mbim`, `at`, `dm`, `nmea`, `download`, `data`) because the host
    /// did not read and the port's queue was at its bound.
    HostOverrun {
        port: String,
        /// Whole frames (or serial chunks) dropped in this record.
        frames: u64,
        bytes: u64,
    },
    /// Serial bytes from the host dropped on `port`: a USB transfer cannot
    /// be held back once it has completed, and the port had this many
    /// bytes beyond what vmodem holds for it waiting already.
    HostInputDropped { port: String, bytes: u64 },
    /// What the engine itself recorded: resets and their causes, leaving
    /// and returning to the bus, brownouts, the failsafe, load changes...
    #[serde(untagged)]
    Engine(Happening),
}

/// The states an engine record says the device entered, for those that
/// can be over before anyone looks.
fn transient_states(h: &Happening) -> Vec<DeviceState> {
    match h {
        Happening::Registration {
            state: "registered",
            rat,
            ..
        } => {
            let on = match *rat {
                Some("lte") => Some(DeviceState::RegisteredLte),
                Some("umts") => Some(DeviceState::RegisteredUmts),
                _ => None,
            };
            std::iter::once(DeviceState::Registered).chain(on).collect()
        }
        Happening::Registration {
            state: "searching", ..
        } => vec![DeviceState::Searching],
        Happening::Bearer {
            connected: true, ..
        } => vec![DeviceState::BearerConnected],
        _ => vec![],
    }
}

/// Enough rounds of "inject, then look" for chained steps to settle; a
/// scenario that keeps firing at the same instant is cut here.
const MAX_ROUNDS: usize = 64;

#[derive(Debug)]
pub struct Director {
    runner: Option<ScenarioRunner>,
    watch: StateWatch,
    start: Instant,
    records: VecDeque<Record>,
    resets: u64,
    supply: bool,
}

impl Director {
    /// The engine's state now, for the control socket.
    pub fn status(&self, modem: &Modem, now: Instant) -> crate::control::Status {
        crate::control::Status::read(modem, self.t_ms(now))
    }

    /// `scenario` may be absent: then only faults sent by hand happen.
    pub fn new(scenario: Option<&Scenario>, seed: u64, start: Instant) -> Director {
        Director {
            runner: scenario.map(|s| ScenarioRunner::new(s, seed, start)),
            watch: StateWatch::default(),
            start,
            records: VecDeque::new(),
            resets: 0,
            supply: false,
        }
    }

    /// Logs the supply's every breakpoint from now on (for a plot).
    pub fn trace_supply(&mut self, modem: &mut Modem) {
        self.supply = true;
        modem.trace_power(true);
    }

    /// Moves what the engine recorded into the log, in time order with
    /// the supply samples. Faults are logged here already, with who fired
    /// them.
    fn drain_engine(&mut self, modem: &mut Modem) {
        while let Some(r) = modem.poll_record() {
            for s in transient_states(&r.what) {
                self.watch.passed_through(s);
            }
            if !matches!(r.what, Happening::Fault { .. }) {
                self.log_at(r.at_ms, What::Engine(r.what));
            }
        }
        if self.supply {
            while let Some(PowerSample { at_ms, volts, amps }) = modem.poll_power_sample() {
                self.log_at(at_ms, What::Supply { volts, amps });
            }
        }
    }

    /// A QMUX frame from the host, before the engine sees it.
    pub fn on_request(&mut self, frame: &[u8], now: Instant) {
        if let Some(r) = &mut self.runner {
            r.on_request(frame, now);
        }
    }

    /// Looks at the engine after it handled anything (input or time):
    /// logs new states, and injects every scenario fault now due.
    pub fn after(&mut self, modem: &mut Modem, now: Instant) {
        self.drain_engine(modem);
        for _ in 0..MAX_ROUNDS {
            for s in self.watch.update(modem) {
                self.resets += u64::from(s == DeviceState::Reset);
                self.log(now, What::State { state: s });
                if let Some(r) = &mut self.runner {
                    r.on_state(s, now);
                }
            }
            let Some(firing) = self.runner.as_mut().and_then(|r| r.poll_fault(now)) else {
                return;
            };
            let _ = self.fire(modem, firing.fault, Source::Scenario, firing.step, now);
            self.drain_engine(modem);
        }
    }

    /// Injects a fault sent by hand, and logs it.
    pub fn inject(
        &mut self,
        modem: &mut Modem,
        fault: Fault,
        now: Instant,
    ) -> Result<(), FaultError> {
        let r = self.fire(modem, fault, Source::Control, None, now);
        self.after(modem, now);
        r
    }

    fn fire(
        &mut self,
        modem: &mut Modem,
        fault: Fault,
        source: Source,
        step: Option<usize>,
        now: Instant,
    ) -> Result<(), FaultError> {
        if let Err(e) = super::file::check_fault(&fault) {
            let err = FaultError::Invalid(e);
            self.refused(now, source, step, fault, &err);
            return Err(err);
        }
        match modem.inject(fault.clone(), now) {
            Ok(()) => {
                self.log(
                    now,
                    What::Fault {
                        source,
                        step,
                        fault,
                    },
                );
                Ok(())
            }
            Err(e) => {
                self.refused(now, source, step, fault, &e);
                Err(e)
            }
        }
    }

    fn refused(
        &mut self,
        now: Instant,
        source: Source,
        step: Option<usize>,
        fault: Fault,
        e: &FaultError,
    ) {
        let error = e.to_string();
        self.log(
            now,
            What::FaultRefused {
                source,
                step,
                fault,
                error,
            },
        );
    }

    /// Simulated milliseconds since start.
    pub fn t_ms(&self, now: Instant) -> u64 {
        now.since(self.start).as_millis() as u64
    }

    /// Firmware resets seen so far.
    pub fn resets(&self) -> u64 {
        self.resets
    }

    /// Adds a record (the scripted host logs through here).
    pub fn log(&mut self, now: Instant, what: What) {
        self.records.push_back(Record {
            t_ms: self.t_ms(now),
            what,
        });
    }

    /// Adds a record stamped with the engine's own clock.
    fn log_at(&mut self, at_ms: u64, what: What) {
        let t_ms = at_ms.saturating_sub(self.start.millis());
        self.records.push_back(Record { t_ms, what });
    }

    /// When `after` should next be called even if nothing else happens.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.runner.as_ref().and_then(ScenarioRunner::poll_timeout)
    }

    /// The next event log record.
    pub fn poll_record(&mut self) -> Option<Record> {
        self.records.pop_front()
    }

    /// Whether the device was in `state` at the last look.
    pub fn holds(&self, state: DeviceState) -> bool {
        self.watch.holds(state)
    }
}
