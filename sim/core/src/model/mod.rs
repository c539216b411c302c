//! The device model: one EM7305's state, whatever protocol the host speaks.
//!
//! QMI, MBIM and the AT port read and change this one model, so a PIN
//! entered through one protocol is entered for all. It owns every fact more
//! than one protocol reports: stored PDP contexts, hardware capabilities
//! and rates, temperature, the supply voltage (from the power model) and
//! the clock. Every change that a host may subscribe to is recorded as a
//! [`DeviceEvent`].

mod bearer;
pub mod calendar;
mod clock;
mod data_stats;
mod faults;
pub mod gnss;
pub mod gpx;
pub mod hardware;
pub mod identity;
pub mod key_spelling;
pub mod mbim_setup;
mod pdp;
pub mod power;
pub mod power_setup;
pub mod profile;
mod radio;
pub mod reset_policy;
mod selection;
mod sim;
pub mod sms;
mod toml_place;
pub mod track;
pub mod units;

pub use bearer::{Bearer, CallEnd, IpFamily};
pub use clock::{ClockReading, TimeProfile};
pub use data_stats::DataStats;
pub use hardware::{bands, Rates};
pub use pdp::{
    AuthMethods, PdpProfile, PdpProfileError, PdpProfiles, PdpType, MAX_APN_LEN, MAX_PDP_PROFILES,
};
pub use power::{LoadState, Phase, PowerModel, PowerSample, PowerStatus};
pub use power_setup::PowerSetup;
pub use profile::{ApnProfile, GpsProfile, Profile, Technology};
pub use radio::{mode_pref, OperatingMode, RegState, Registration, Signal, SIGNAL_PERIOD};
pub use reset_policy::ResetPolicy;
pub use selection::{Plmn, PreferredNetwork, Selection};
pub use sim::{PinError, Sim, SimState};

use crate::time::{Duration, Instant};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Something a host may be told about.
#[derive(Debug, Clone, PartialEq)]
pub enum DeviceEvent {
    OperatingMode(OperatingMode),
    SimState(SimState),
    Registration,
    Signal,
    /// A bearer came up (`connected`) or went down.
    PacketService {
        handle: u32,
        connected: bool,
    },
    /// The network sent its time and zone (NITZ).
    NetworkTime,
    /// One second of a running GNSS session, with or without a fix.
    GnssEpoch(gnss::Epoch),
    /// Messaging: a message stored, transferred, sent; a store full.
    Sms(sms::SmsEvent),
}

/// How the host frames packets on the data endpoints (WDA Set Data Format).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataFormat {
    /// 1 = 802.3, 2 = raw IP (QMI WDA link layer protocol values).
    pub link_layer: u32,
    /// 0 = none; QMAP variants otherwise.
    pub ul_aggregation: u32,
    pub dl_aggregation: u32,
}

impl Default for DataFormat {
    fn default() -> Self {
        DataFormat {
            link_layer: 1,
            ul_aggregation: 0,
            dl_aggregation: 0,
        }
    }
}

/// Time the firmware takes to come back after a reset.
pub const BOOT_TIME: Duration = Duration::from_millis(1500);

/// One EM7305.
#[derive(Debug, Clone)]
pub struct Device {
    pub profile: Profile,
    pub mode: OperatingMode,
    pub sim: Sim,
    pub registration: Registration,
    /// Allowed radio technologies, as NAS mode preference bits.
    pub mode_pref: u16,
    pub signal: Signal,
    /// Network selection choices (manual PLMN, bands, PS attach).
    pub selection: Selection,
    pub bearers: Vec<Bearer>,
    pub data_format: DataFormat,
    /// Stored PDP context profiles (non-volatile).
    pub pdp_profiles: PdpProfiles,
    pub usb_composition: u8,
    /// A composition set by the host; it takes effect at the next reset.
    pub pending_usb_composition: Option<u8>,
    /// Counters of the packet data path, kept here so that every protocol
    /// reports the same figures (WDS Get Packet Statistics).
    pub data_stats: DataStats,
    /// The supply at the module's input: AT!PCVOLT reads it, the engine
    /// drives it with the radio's load.
    pub power: PowerModel,
    /// Die temperature, °C (AT!PCTEMP, !GSTATUS, NAS SWI Get Status).
    pub temperature_c: i8,
    /// Set when the host asked for a reset; the engine carries it out
    /// after the response has gone out.
    pub reset_requested: bool,
    /// The GNSS receiver: sessions, time to fix, fix epochs.
    pub gnss: gnss::Gnss,
    /// Set by a fault: the serving network is (`true`) or is not a roaming
    /// one, whatever the PLMN codes say.
    pub roaming_forced: Option<bool>,
    /// No usable signal until then (a fault): no registration meanwhile.
    pub signal_lost_until: Option<Instant>,
    /// The track the GNSS receiver follows (a fault sets it; the world
    /// outside, so it survives resets); else the profile's position.
    pub track: Option<track::Track>,
    /// When the network last sent NITZ (at registration) since power-on.
    pub nitz_at: Option<Instant>,
    /// The message stores, routes, SMSC and the simulated SMS centre.
    pub messaging: sms::Messaging,
    events: Vec<DeviceEvent>,
    rng: ChaCha8Rng,
}

impl Device {
    /// The device as it powers on: radio online, SIM as the profile says.
    pub fn new(profile: Profile, seed: u64, now: Instant) -> Device {
        let mut d = Device {
            mode: OperatingMode::Online,
            sim: Sim::power_on(&profile.sim),
            registration: Registration::idle(),
            mode_pref: mode_pref::DEFAULT,
            signal: Signal::centred(&profile.network, now),
            selection: Selection::default(),
            bearers: Vec::new(),
            data_format: DataFormat::default(),
            pdp_profiles: PdpProfiles::from_profile(&profile),
            usb_composition: profile.identity.usb_composition,
            pending_usb_composition: None,
            reset_requested: false,
            data_stats: Default::default(),
            power: PowerModel::new(profile.power.clone(), now),
            temperature_c: hardware::SETTLED_TEMPERATURE_C,
            gnss: gnss::Gnss::new(profile.gps.first_start),
            roaming_forced: None,
            signal_lost_until: None,
            nitz_at: None,
            track: None,
            messaging: sms::Messaging::new(&profile.sms),
            events: Vec::new(),
            rng: ChaCha8Rng::seed_from_u64(seed),
            profile,
        };
        d.update_registration(now);
        d.autostart_gnss(now);
        d.events.clear();
        d
    }

    /// Sierra's GPS autostart: a session from power-on.
    fn autostart_gnss(&mut self, now: Instant) {
        if self.profile.gps.autostart {
            self.gnss.start(gnss::Holder::Autostart, now, &mut self.rng);
        }
    }

    /// `h` starts a GNSS session (false: it held one already).
    pub fn gnss_start(&mut self, h: gnss::Holder, now: Instant) -> bool {
        self.gnss.start(h, now, &mut self.rng)
    }

    /// Where the receiver is at `at`.
    pub fn position(&self, at: Instant) -> gnss::Position {
        match &self.track {
            Some(t) => t.position(at),
            None => gnss::Position::stationary(&self.profile.gps),
        }
    }

    /// Power-cycles the firmware: radio on, SIM locked again, bearers gone.
    /// Settings kept in non-volatile memory (composition, PIN, persistent
    /// low power) survive; so does the world outside (an absent card, the
    /// network's condition).
    pub fn reboot(&mut self, now: Instant) {
        if let Some(c) = self.pending_usb_composition.take() {
            self.usb_composition = c;
        }
        if self.mode != OperatingMode::PersistentLowPower {
            self.mode = OperatingMode::Online;
        }
        self.sim.reboot();
        self.bearers.clear();
        self.registration = Registration::idle();
        self.data_format = DataFormat::default();
        self.reset_requested = false;
        self.gnss.power_off();
        self.nitz_at = None;
        self.update_registration(now);
        self.autostart_gnss(now);
        self.events.clear();
    }

    /// The module clock at `now`.
    pub fn clock(&self, now: Instant) -> ClockReading {
        ClockReading::at(now, &self.profile.time)
    }

    /// Supply voltage at the module's input, millivolts, as the power
    /// model has it at `now` (which must not precede its last input).
    pub fn supply_mv(&self, now: Instant) -> u32 {
        (self.power.status(now).volts * 1000.0).round().max(0.0) as u32
    }

    /// The APN a data call goes to: the one the host named, else the stored
    /// context's, else the network's first (an empty APN lets the network
    /// choose).
    pub fn call_apn(&self, requested: Option<&str>, context: Option<&PdpProfile>) -> String {
        requested
            .filter(|a| !a.is_empty())
            .or_else(|| context.map(|p| p.apn.as_str()))
            .filter(|a| !a.is_empty())
            .or_else(|| self.profile.network.apn.first().map(|a| a.name.as_str()))
            .unwrap_or_default()
            .to_string()
    }

    /// Events since the last call.
    pub fn drain_events(&mut self) -> std::vec::Drain<'_, DeviceEvent> {
        self.events.drain(..)
    }

    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        &mut self.rng
    }

    /// When `handle_timeout` next has work to do.
    pub fn poll_at(&self) -> Option<Instant> {
        let search = self.registration.search_deadline;
        let signal = self.mode.radio_on().then_some(self.signal.next_update);
        let sms = self.messaging.centre.poll_at();
        [
            search,
            signal,
            self.signal_lost_until,
            self.gnss.next_epoch,
            sms,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(at) = self.gnss.next_epoch.filter(|&t| t <= now) {
            let e = self.gnss.epoch(at, self.position(at));
            self.events.push(DeviceEvent::GnssEpoch(e));
        }
        self.sms_handle_timeout(now);
        if self.signal_lost_until.is_some_and(|t| now >= t) {
            self.signal_lost_until = None;
            self.update_registration(now);
        }
        if let Some(t) = self.registration.search_deadline {
            if now >= t {
                self.registration.search_deadline = None;
                self.registration.state = RegState::Registered;
                self.signal = Signal::centred(&self.profile.network, now);
                self.events.push(DeviceEvent::Registration);
                if self.profile.time.nitz {
                    self.nitz_at = Some(now);
                    self.events.push(DeviceEvent::NetworkTime);
                }
            }
        }
        if self.mode.radio_on() && now >= self.signal.next_update {
            let net = &self.profile.network;
            self.signal.step(net, &mut self.rng, now);
            if self.registration.is_registered() {
                self.events.push(DeviceEvent::Signal);
            }
        }
    }

    /// The technology the network would serve us on, given what is allowed.
    fn best_technology(&self) -> Option<Technology> {
        self.profile
            .network
            .technologies
            .iter()
            .copied()
            .find(|&t| self.mode_pref & t.mode_bit() != 0 && self.bands_allow(t))
            .filter(|_| self.selection_allows_network())
    }

    /// Re-derives registration from radio, SIM and allowed modes.
    fn update_registration(&mut self, now: Instant) {
        let want =
            if self.mode.radio_on() && self.sim.is_ready() && self.signal_lost_until.is_none() {
                self.best_technology()
            } else {
                None
            };
        let reg = &self.registration;
        let unchanged = match want {
            Some(t) => reg.rat == Some(t) && reg.state != RegState::NotRegistered,
            None => reg.state == RegState::NotRegistered,
        };
        if unchanged {
            return;
        }
        if want.is_none() || !self.registration.is_registered() {
            self.drop_bearers();
        }
        self.registration = match want {
            Some(t) => Registration {
                state: RegState::Searching,
                rat: Some(t),
                search_deadline: Some(
                    now + Duration::from_millis(self.profile.network.register_delay_ms),
                ),
            },
            None => Registration::idle(),
        };
        if want.is_some() && self.registration.state == RegState::Searching {
            // Searching implies no data bearer survives the change of RAT.
            self.drop_bearers();
        }
        self.events.push(DeviceEvent::Registration);
    }

    fn drop_bearers(&mut self) {
        for b in self.bearers.drain(..) {
            self.events.push(DeviceEvent::PacketService {
                handle: b.handle,
                connected: false,
            });
        }
    }

    /// DMS Set Operating Mode. Offline can only be left through a reset, as
    /// on Qualcomm firmware.
    pub fn set_operating_mode(
        &mut self,
        mode: OperatingMode,
        now: Instant,
    ) -> Result<(), ModeError> {
        use OperatingMode::*;
        match (self.mode, mode) {
            (_, Reset) => {
                self.reset_requested = true;
                return Ok(());
            }
            (Offline, Offline) => return Ok(()),
            (Offline, _) => return Err(ModeError::InvalidTransition),
            (_, FactoryTest | ShuttingDown) => return Err(ModeError::InvalidTransition),
            _ => {}
        }
        if self.mode != mode {
            self.mode = mode;
            self.events.push(DeviceEvent::OperatingMode(mode));
            self.update_registration(now);
        }
        Ok(())
    }

    /// Changes the allowed technologies; a registered modem re-registers.
    pub fn set_mode_pref(&mut self, pref: u16, now: Instant) {
        self.mode_pref = pref;
        self.update_registration(now);
    }

    /// Runs a SIM operation and lets registration follow its outcome.
    pub fn with_sim<T>(
        &mut self,
        now: Instant,
        f: impl FnOnce(&mut Sim) -> Result<T, PinError>,
    ) -> Result<T, PinError> {
        let counters = |s: &Sim| (s.state, s.pin_enabled, s.pin_retries, s.puk_retries);
        let before = counters(&self.sim);
        let r = f(&mut self.sim);
        let after = counters(&self.sim);
        // Hosts track retries too, so a used-up try is news even when the
        // card's state stays the same.
        if after != before {
            self.events.push(DeviceEvent::SimState(self.sim.state));
        }
        if after.0 != before.0 {
            self.update_registration(now);
        }
        r
    }

    /// Sets up a bearer on `apn`. Families the APN lacks are refused.
    pub fn start_network(&mut self, apn: &str, family: IpFamily) -> Result<u32, CallEnd> {
        if !self.sim.is_ready() {
            return Err(CallEnd::SimNotReady);
        }
        if !self.registration.is_registered() {
            return Err(CallEnd::NoService);
        }
        let Some(settings) = self
            .profile
            .network
            .apn
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(apn))
            .cloned()
        else {
            return Err(CallEnd::UnknownApn);
        };
        if family == IpFamily::V6 && settings.ipv6_address.is_none() {
            return Err(CallEnd::FamilyNotAllowed);
        }
        let handle = loop {
            let h: u32 = self.rng.random();
            if h != 0 && h != u32::MAX && !self.bearers.iter().any(|b| b.handle == h) {
                break h;
            }
        };
        self.bearers.push(Bearer {
            handle,
            apn: settings.name.clone(),
            family,
            settings,
        });
        self.events.push(DeviceEvent::PacketService {
            handle,
            connected: true,
        });
        Ok(handle)
    }

    /// Tears down the bearer with `handle`; false if there is none.
    pub fn stop_network(&mut self, handle: u32) -> bool {
        let Some(i) = self.bearers.iter().position(|b| b.handle == handle) else {
            return false;
        };
        self.bearers.remove(i);
        self.events.push(DeviceEvent::PacketService {
            handle,
            connected: false,
        });
        true
    }

    pub fn bearer(&self, handle: u32) -> Option<&Bearer> {
        self.bearers.iter().find(|b| b.handle == handle)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModeError {
    InvalidTransition,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }

    #[test]
    fn pin_then_registration_after_delay() {
        let mut d = Device::new(Profile::default(), 1, t(0));
        assert_eq!(d.registration.state, RegState::NotRegistered);
        d.with_sim(t(10), |s| s.verify_pin("1234")).unwrap();
        assert_eq!(d.registration.state, RegState::Searching);
        assert_eq!(d.registration.rat, Some(Technology::Lte));
        d.handle_timeout(t(1509));
        assert_eq!(d.registration.state, RegState::Searching);
        d.handle_timeout(t(1510));
        assert!(d.registration.is_registered());
    }

    #[test]
    fn offline_needs_reset() {
        let mut d = Device::new(Profile::default(), 1, t(0));
        d.set_operating_mode(OperatingMode::Offline, t(1)).unwrap();
        assert_eq!(
            d.set_operating_mode(OperatingMode::Online, t(2)),
            Err(ModeError::InvalidTransition)
        );
        d.set_operating_mode(OperatingMode::Reset, t(3)).unwrap();
        assert!(d.reset_requested);
        d.reboot(t(4));
        assert_eq!(d.mode, OperatingMode::Online);
    }

    #[test]
    fn umts_only_registers_on_umts_and_drops_bearers_on_change() {
        let mut d = Device::new(Profile::default(), 1, t(0));
        d.with_sim(t(0), |s| s.verify_pin("1234")).unwrap();
        d.handle_timeout(t(2000));
        let h = d.start_network("internet", IpFamily::V4).unwrap();
        assert!(d.bearer(h).is_some());
        d.set_mode_pref(mode_pref::UMTS, t(2100));
        assert!(d.bearers.is_empty());
        assert_eq!(d.registration.rat, Some(Technology::Umts));
        assert_eq!(
            d.start_network("nope", IpFamily::V4),
            Err(CallEnd::NoService)
        );
        d.handle_timeout(t(4000));
        assert_eq!(
            d.start_network("nope", IpFamily::V4),
            Err(CallEnd::UnknownApn)
        );
    }

    #[test]
    fn same_seed_same_signal() {
        let run = |seed| {
            let mut d = Device::new(Profile::default(), seed, t(0));
            (1..20)
                .map(|i| {
                    d.handle_timeout(t(i * 1000));
                    d.signal.rsrp_dbm
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }
}
