//! What faults do to the device itself: the card, the network, the radio.
//! The engine decides when; these only change the model and record events
//! so that every protocol's indications follow.

use super::{Device, DeviceEvent, Phase, RegState, Sim, SimState};
use crate::time::{Duration, Instant};

impl Device {
    /// The card is pulled: registration and bearers go with it.
    pub fn remove_sim(&mut self, now: Instant) {
        if self.sim.state == SimState::Absent {
            return;
        }
        self.sim.remove();
        self.events.push(DeviceEvent::SimState(SimState::Absent));
        self.update_registration(now);
    }

    /// A card is put back: it asks for its PIN again (if enabled); the
    /// retry counters are the card's own and were kept.
    pub fn insert_sim(&mut self, now: Instant) {
        if self.sim.state != SimState::Absent {
            return;
        }
        let mut fresh = Sim::power_on(&self.profile.sim);
        fresh.pin_enabled = self.sim.pin_enabled;
        fresh.pin_retries = self.sim.pin_retries;
        fresh.puk_retries = self.sim.puk_retries;
        fresh.state = match (
            self.sim.pin_enabled,
            self.sim.pin_retries,
            self.sim.puk_retries,
        ) {
            (_, _, 0) => SimState::Blocked,
            (true, 0, _) => SimState::PukRequired,
            (true, _, _) => SimState::PinRequired,
            (false, _, _) => SimState::Ready,
        };
        self.sim = fresh;
        self.events.push(DeviceEvent::SimState(self.sim.state));
        self.update_registration(now);
    }

    /// The network drops the registration: bearers end, the search starts
    /// again. Nothing happens when not registered or searching.
    pub fn network_deregister(&mut self, now: Instant) {
        if self.registration.state == RegState::NotRegistered {
            return;
        }
        self.registration = super::Registration::idle();
        self.drop_bearers();
        self.update_registration(now);
        if self.registration.state == RegState::NotRegistered {
            // Nothing to search for: the idle state is news by itself.
            self.events.push(DeviceEvent::Registration);
        }
    }

    /// The serving network starts or stops counting as roaming.
    pub fn set_roaming(&mut self, on: bool) {
        if self.roaming() == on && self.roaming_forced.is_some() {
            return;
        }
        self.roaming_forced = Some(on);
        self.events.push(DeviceEvent::Registration);
    }

    /// No usable signal for `duration`: registration lost now, searched
    /// for again when it ends. A longer loss extends a shorter one.
    pub fn lose_signal(&mut self, duration: Duration, now: Instant) {
        let until = now + duration;
        self.signal_lost_until = Some(self.signal_lost_until.map_or(until, |t| t.max(until)));
        self.update_registration(now);
    }

    /// The network deactivates every bearer.
    pub fn network_drop_bearers(&mut self) {
        self.drop_bearers();
    }

    /// The radio's situation, for the power model.
    pub fn power_phase(&self) -> Phase {
        use super::OperatingMode;
        if !self.mode.radio_on() {
            return match self.mode {
                OperatingMode::Online => Phase::Idle,
                _ => Phase::LowPower,
            };
        }
        match (self.registration.state, self.registration.rat) {
            (RegState::Searching, Some(t)) => Phase::Search(t),
            (RegState::Registered, Some(t)) => Phase::Registered(t, !self.bearers.is_empty()),
            _ => Phase::Idle,
        }
    }
}
