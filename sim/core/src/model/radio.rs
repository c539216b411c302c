//! The radio: operating mode, network registration and signal figures.

use super::profile::{NetworkProfile, Technology};
use crate::time::{Duration, Instant};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// DMS operating modes, with their QMI values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum OperatingMode {
    Online = 0,
    LowPower = 1,
    FactoryTest = 2,
    Offline = 3,
    Reset = 4,
    ShuttingDown = 5,
    PersistentLowPower = 6,
}

impl OperatingMode {
    pub fn from_u8(v: u8) -> Option<Self> {
        use OperatingMode::*;
        Some(match v {
            0 => Online,
            1 => LowPower,
            2 => FactoryTest,
            3 => Offline,
            4 => Reset,
            5 => ShuttingDown,
            6 => PersistentLowPower,
            _ => return None,
        })
    }
    /// libqmi's name of the mode (`qmicli --dms-get-operating-mode`), as
    /// the event log spells it.
    pub fn name(self) -> &'static str {
        use OperatingMode::*;
        match self {
            Online => "online",
            LowPower => "low-power",
            FactoryTest => "factory-test",
            Offline => "offline",
            Reset => "reset",
            ShuttingDown => "shutting-down",
            PersistentLowPower => "persistent-low-power",
        }
    }

    /// Whether the transmitter may be on.
    pub fn radio_on(self) -> bool {
        self == OperatingMode::Online
    }
}

/// Network registration state (NAS values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum RegState {
    NotRegistered = 0,
    Registered = 1,
    Searching = 2,
    Denied = 3,
}

/// Radio technologies the modem may use (NAS mode preference bits).
pub mod mode_pref {
    pub const GSM: u16 = 1 << 2;
    pub const UMTS: u16 = 1 << 3;
    pub const LTE: u16 = 1 << 4;
    /// What an EM7305 allows out of the box.
    pub const DEFAULT: u16 = GSM | UMTS | LTE;
}

impl Technology {
    pub fn mode_bit(self) -> u16 {
        match self {
            Technology::Lte => mode_pref::LTE,
            Technology::Umts => mode_pref::UMTS,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Registration {
    pub state: RegState,
    /// The technology registered on (or being searched on).
    pub rat: Option<Technology>,
    /// When the search started; registration completes `register_delay` later.
    pub search_deadline: Option<Instant>,
}

impl Registration {
    pub fn idle() -> Self {
        Registration {
            state: RegState::NotRegistered,
            rat: None,
            search_deadline: None,
        }
    }
    pub fn is_registered(&self) -> bool {
        self.state == RegState::Registered
    }
}

/// Signal figures of the serving cell. They wander within a band around the
/// profile's centre values so that hosts see plausible movement.
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    pub rssi_dbm: i8,
    pub rsrp_dbm: i16,
    pub rsrq_db: i8,
    /// Signal to noise ratio in tenths of a dB.
    pub snr_tenth_db: i16,
    pub ecio_db: i8,
    pub next_update: Instant,
}

/// How often the figures move.
pub const SIGNAL_PERIOD: Duration = Duration::from_millis(1000);
/// How far they may stray from the profile's centre.
const SIGNAL_SPREAD: i16 = 6;

impl Signal {
    pub fn centred(net: &NetworkProfile, now: Instant) -> Self {
        Signal {
            rssi_dbm: net.rssi_dbm,
            rsrp_dbm: net.rsrp_dbm,
            rsrq_db: net.rsrq_db,
            snr_tenth_db: net.snr_db * 10,
            ecio_db: net.ecio_db,
            next_update: now + SIGNAL_PERIOD,
        }
    }

    /// One step of a bounded random walk.
    pub fn step(&mut self, net: &NetworkProfile, rng: &mut ChaCha8Rng, now: Instant) {
        fn walk(v: i16, centre: i16, spread: i16, rng: &mut ChaCha8Rng) -> i16 {
            (v + rng.random_range(-2..=2)).clamp(centre - spread, centre + spread)
        }
        let s = SIGNAL_SPREAD;
        self.rssi_dbm = walk(self.rssi_dbm as i16, net.rssi_dbm as i16, s, rng) as i8;
        self.rsrp_dbm = walk(self.rsrp_dbm, net.rsrp_dbm, s, rng);
        self.rsrq_db = walk(self.rsrq_db as i16, net.rsrq_db as i16, 3, rng) as i8;
        self.snr_tenth_db = walk(self.snr_tenth_db, net.snr_db * 10, s * 5, rng);
        self.ecio_db = walk(self.ecio_db as i16, net.ecio_db as i16, 3, rng) as i8;
        self.next_update = now + SIGNAL_PERIOD;
    }
}
