//! The GNSS receiver: sessions, time to first fix and the 1 Hz fix epochs
//! every location protocol reports (QMI LOC and PDS indications, the NMEA
//! port). The receiver runs while anyone holds a session; each second of a
//! running session is one [`DeviceEvent::GnssEpoch`](super::DeviceEvent),
//! with or without a fix.

use super::GpsProfile;
use crate::time::{Duration, Instant};
use rand::Rng;
use serde::Deserialize;

/// Who asked for a session. The receiver runs while any holds one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Holder {
    /// A QMI LOC client (its client ID).
    Loc(u8),
    /// QMI PDS (GPS service state on).
    Pds,
    /// The AT port (!GPSTRACK, $GPS_START).
    At,
    /// The profile's autostart.
    Autostart,
}

/// How much the receiver knows when a session starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StartKind {
    /// No almanac, ephemeris or time: a full sky search.
    Cold,
    /// Almanac and time, stale ephemeris.
    Warm,
    /// Valid ephemeris from a fix less than [`HOT_FOR`] ago.
    Hot,
}

impl StartKind {
    /// The nominal time to first fix and its spread (±), milliseconds.
    /// Assumed from typical 9x15 GNSS figures (cold ~32 s, warm ~29 s,
    /// hot ~1-2 s); Sierra's EM7305 product specification is not public.
    fn ttff_ms(self) -> (u64, u64) {
        match self {
            StartKind::Cold => (32_000, 4_000),
            StartKind::Warm => (29_000, 4_000),
            StartKind::Hot => (1_500, 500),
        }
    }
}

/// A fix less than this old leaves valid ephemeris: the next start is hot.
pub const HOT_FOR: Duration = Duration::from_millis(4 * 3600 * 1000);

/// The fix rate.
pub const EPOCH: Duration = Duration::from_millis(1000);

/// Where the receiver is in its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixState {
    Off,
    /// Searching; a fix comes at `until` (unless the sky is blocked).
    Acquiring {
        until: Instant,
        kind: StartKind,
    },
    Fixed,
}

/// One second of a running session.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Epoch {
    pub at: Instant,
    /// The position, when the receiver has a fix.
    pub fix: Option<Position>,
    /// Fixes since the session started (QMI LOC's Session Fix Count).
    pub fix_count: u32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    pub latitude: f64,
    pub longitude: f64,
    pub altitude_m: f64,
    /// Ground speed, m/s, and course over ground, degrees from north.
    pub speed_mps: f64,
    pub course_deg: f64,
}

impl Position {
    pub fn stationary(gps: &GpsProfile) -> Position {
        Position {
            latitude: gps.latitude,
            longitude: gps.longitude,
            altitude_m: gps.altitude_m,
            speed_mps: 0.0,
            course_deg: 0.0,
        }
    }
}

/// The receiver.
#[derive(Debug, Clone)]
pub struct Gnss {
    holders: Vec<Holder>,
    pub state: FixState,
    /// When the next epoch is due, while a session runs.
    pub next_epoch: Option<Instant>,
    /// The last fix since power-on (ephemeris age).
    pub last_fix: Option<Instant>,
    /// The first session after power-on starts this way.
    first_start: StartKind,
    /// A fault: the sky is blocked (no fix) until then.
    pub blocked_until: Option<Instant>,
    /// A fault: the sky is blocked until the next power-off.
    pub blocked_for_good: bool,
    fix_count: u32,
    /// The last epoch, for hosts that ask (LOC Get Position Report).
    pub last_epoch: Option<Epoch>,
}

impl Gnss {
    pub fn new(first_start: StartKind) -> Gnss {
        Gnss {
            holders: Vec::new(),
            state: FixState::Off,
            next_epoch: None,
            last_fix: None,
            first_start,
            blocked_until: None,
            blocked_for_good: false,
            fix_count: 0,
            last_epoch: None,
        }
    }

    pub fn running(&self) -> bool {
        !self.holders.is_empty()
    }

    pub fn holds(&self, h: Holder) -> bool {
        self.holders.contains(&h)
    }

    /// `h` starts a session; the receiver starts if it was off. Returns
    /// false if `h` already held one.
    pub fn start(&mut self, h: Holder, now: Instant, rng: &mut impl Rng) -> bool {
        if self.holds(h) {
            return false;
        }
        self.holders.push(h);
        if self.holders.len() == 1 {
            let kind = match self.last_fix {
                Some(t) if now.since(t) < HOT_FOR => StartKind::Hot,
                Some(_) => StartKind::Warm,
                None => self.first_start,
            };
            let (nominal, spread) = kind.ttff_ms();
            let ttff = nominal - spread + rng.random_range(0..=2 * spread);
            self.state = FixState::Acquiring {
                until: now + Duration::from_millis(ttff),
                kind,
            };
            self.fix_count = 0;
            // Epochs fall on whole seconds of simulated time.
            self.next_epoch = Some(Instant::from_millis((now.millis() / 1000 + 1) * 1000));
        }
        true
    }

    /// `h` ends its session; the receiver stops when none is left.
    /// Returns false if `h` held none.
    pub fn stop(&mut self, h: Holder) -> bool {
        let Some(i) = self.holders.iter().position(|x| *x == h) else {
            return false;
        };
        self.holders.remove(i);
        if self.holders.is_empty() {
            self.state = FixState::Off;
            self.next_epoch = None;
        }
        true
    }

    /// Assistance data deleted: the next start after power-on is cold.
    pub fn forget_first_start(&mut self) {
        self.first_start = StartKind::Cold;
    }

    /// Every session ends (a firmware restart).
    pub fn power_off(&mut self) {
        self.holders.clear();
        self.state = FixState::Off;
        self.next_epoch = None;
        self.last_epoch = None;
        self.blocked_until = None;
        self.blocked_for_good = false;
    }

    /// A fault: no fix for `for_` (until power-off when `None`); a fix
    /// held is lost, and once the sky clears it comes back hot.
    pub fn block_sky(&mut self, now: Instant, for_: Option<Duration>) {
        match for_ {
            Some(d) => self.blocked_until = Some(now + d),
            None => self.blocked_for_good = true,
        }
        if self.state == FixState::Fixed {
            let (nominal, _) = StartKind::Hot.ttff_ms();
            self.state = FixState::Acquiring {
                until: now + for_.unwrap_or(Duration::ZERO) + Duration::from_millis(nominal),
                kind: StartKind::Hot,
            };
        }
    }

    fn blocked(&self) -> bool {
        self.blocked_for_good || self.blocked_until.is_some()
    }

    /// The epoch due at `at` (`at` is `next_epoch`), at `position`.
    pub fn epoch(&mut self, at: Instant, position: Position) -> Epoch {
        if self.blocked_until.is_some_and(|t| at >= t) {
            self.blocked_until = None;
        }
        if let FixState::Acquiring { until, .. } = self.state {
            if at >= until && !self.blocked() {
                self.state = FixState::Fixed;
            }
        }
        let fix = (self.state == FixState::Fixed).then_some(position);
        if fix.is_some() {
            self.fix_count += 1;
            self.last_fix = Some(at);
        }
        self.next_epoch = Some(at + EPOCH);
        let e = Epoch {
            at,
            fix,
            fix_count: self.fix_count,
        };
        self.last_epoch = Some(e);
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn t(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }

    fn first_fix(g: &mut Gnss, from: u64) -> u64 {
        let p = Position::stationary(&GpsProfile::default());
        loop {
            let at = g.next_epoch.unwrap();
            if g.epoch(at, p).fix.is_some() {
                return at.millis() - from;
            }
            assert!(at.millis() - from < 60_000, "no fix in a minute");
        }
    }

    #[test]
    fn cold_then_hot_and_seeded() {
        let ttff = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut g = Gnss::new(StartKind::Cold);
            g.start(Holder::At, t(500), &mut rng);
            let cold = first_fix(&mut g, 500);
            assert!(g.stop(Holder::At));
            assert_eq!(g.state, FixState::Off);
            assert!(g.next_epoch.is_none());
            let later = cold + 60_000;
            g.start(Holder::Pds, t(later), &mut rng);
            let hot = first_fix(&mut g, later);
            (cold, hot)
        };
        let (cold, hot) = ttff(1);
        assert!((28_000..=37_000).contains(&cold), "{cold}");
        assert!(hot <= 3_000, "{hot}");
        assert_eq!(ttff(1), ttff(1));
        assert_ne!(
            (0..8).map(ttff).collect::<Vec<_>>(),
            vec![ttff(0); 8],
            "the seed moves the time to fix"
        );
    }

    #[test]
    fn sessions_are_held_until_the_last_holder_stops() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut g = Gnss::new(StartKind::Hot);
        assert!(g.start(Holder::Loc(1), t(0), &mut rng));
        assert!(!g.start(Holder::Loc(1), t(0), &mut rng));
        assert!(g.start(Holder::Pds, t(0), &mut rng));
        assert!(g.stop(Holder::Loc(1)));
        assert!(g.running());
        assert!(!g.stop(Holder::Loc(1)));
        assert!(g.stop(Holder::Pds));
        assert!(!g.running());
    }

    #[test]
    fn a_lost_fix_comes_back_after_the_sky_clears() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut g = Gnss::new(StartKind::Hot);
        g.start(Holder::At, t(0), &mut rng);
        let p = Position::stationary(&GpsProfile::default());
        first_fix(&mut g, 0);
        let now = g.next_epoch.unwrap();
        g.block_sky(now, Some(Duration::from_millis(10_000)));
        for _ in 0..10 {
            let at = g.next_epoch.unwrap();
            assert!(g.epoch(at, p).fix.is_none());
        }
        assert!(first_fix(&mut g, now.millis()) <= 13_000);
        g.block_sky(g.next_epoch.unwrap(), None);
        for _ in 0..100 {
            let at = g.next_epoch.unwrap();
            assert!(g.epoch(at, p).fix.is_none(), "no fix until power-off");
        }
    }
}
