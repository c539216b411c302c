//! Device states a scenario can wait for, read from the engine's model.

use crate::model::{RegState, Technology};
use crate::Modem;
use serde::{Deserialize, Serialize};

/// A condition of the module that a step's `on` trigger waits for. The
/// step fires when the condition becomes true (an edge, not a level).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeviceState {
    /// The firmware (re)started and serves the host again.
    Booted,
    /// The firmware went down (reset, crash, power loss).
    Reset,
    /// The SIM waits for its PIN.
    SimLocked,
    /// The SIM is ready: PIN verified (or not enabled).
    PinVerified,
    /// Operating mode online.
    RadioOn,
    /// Operating mode anything but online.
    RadioOff,
    Searching,
    /// Registered on any technology.
    Registered,
    RegisteredUmts,
    RegisteredLte,
    /// At least one data bearer is up.
    BearerConnected,
    /// The last data bearer went down.
    BearerDisconnected,
}

impl DeviceState {
    /// Every state, in a fixed order (the order of simultaneous edges in
    /// the event log).
    pub const ALL: [DeviceState; 12] = [
        DeviceState::Booted,
        DeviceState::Reset,
        DeviceState::SimLocked,
        DeviceState::PinVerified,
        DeviceState::RadioOn,
        DeviceState::RadioOff,
        DeviceState::Searching,
        DeviceState::Registered,
        DeviceState::RegisteredUmts,
        DeviceState::RegisteredLte,
        DeviceState::BearerConnected,
        DeviceState::BearerDisconnected,
    ];

    /// The name used in scenario files and the event log.
    pub fn name(self) -> &'static str {
        match self {
            DeviceState::Booted => "booted",
            DeviceState::Reset => "reset",
            DeviceState::SimLocked => "sim-locked",
            DeviceState::PinVerified => "pin-verified",
            DeviceState::RadioOn => "radio-on",
            DeviceState::RadioOff => "radio-off",
            DeviceState::Searching => "searching",
            DeviceState::Registered => "registered",
            DeviceState::RegisteredUmts => "registered-umts",
            DeviceState::RegisteredLte => "registered-lte",
            DeviceState::BearerConnected => "bearer-connected",
            DeviceState::BearerDisconnected => "bearer-disconnected",
        }
    }

    fn holds(self, modem: &Modem) -> bool {
        // The application firmware on the bus; a disconnect, a crash or
        // the boot loader count as "reset" here.
        let up = modem.personality() == Some(crate::Personality::Application);
        let d = modem.device();
        let reg = &d.registration;
        let registered_on = |t| up && reg.is_registered() && reg.rat == Some(t);
        match self {
            DeviceState::Booted => up,
            DeviceState::Reset => !up,
            DeviceState::SimLocked => up && !d.sim.is_ready(),
            DeviceState::PinVerified => up && d.sim.is_ready(),
            DeviceState::RadioOn => up && d.mode.radio_on(),
            DeviceState::RadioOff => up && !d.mode.radio_on(),
            DeviceState::Searching => up && reg.state == RegState::Searching,
            DeviceState::Registered => up && reg.is_registered(),
            DeviceState::RegisteredUmts => registered_on(Technology::Umts),
            DeviceState::RegisteredLte => registered_on(Technology::Lte),
            DeviceState::BearerConnected => up && !d.bearers.is_empty(),
            // Bearers do not survive a reset, so this holds off the bus too.
            DeviceState::BearerDisconnected => d.bearers.is_empty(),
        }
    }
}

/// Remembers which states held at the last look, to report new ones.
#[derive(Debug, Clone, Default)]
pub struct StateWatch {
    held: Vec<DeviceState>,
    started: bool,
    /// States the engine recorded passing through since the last look;
    /// they may be over already (a registration the next burst browned
    /// out within the same engine step).
    passed: Vec<DeviceState>,
}

impl StateWatch {
    /// States that hold now but did not at the last call. The first call
    /// reports what holds at power-on, except the "negative" states
    /// (nothing was lost yet).
    pub fn update(&mut self, modem: &Modem) -> Vec<DeviceState> {
        let now: Vec<_> = DeviceState::ALL
            .into_iter()
            .filter(|s| s.holds(modem))
            .collect();
        let mut fresh: Vec<DeviceState> = std::mem::take(&mut self.passed);
        for s in now.iter().copied() {
            let entered = !self.held.contains(&s)
                && (self.started
                    || !matches!(s, DeviceState::Reset | DeviceState::BearerDisconnected));
            if entered && !fresh.contains(&s) {
                fresh.push(s);
            }
        }
        self.held = now;
        self.started = true;
        fresh
    }

    /// The engine recorded the device entering `state`, which sampling
    /// alone could miss if it is already over at the next look.
    pub fn passed_through(&mut self, state: DeviceState) {
        if !self.held.contains(&state) && !self.passed.contains(&state) {
            self.passed.push(state);
        }
    }

    /// Whether `state` held at the last look.
    pub fn holds(&self, state: DeviceState) -> bool {
        self.held.contains(&state)
    }
}
