//! Simulated time: milliseconds since the engine's epoch, passed in by the caller.

use core::ops::{Add, Sub};
pub use core::time::Duration;

/// A point in simulated time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant {
    millis: u64,
}

impl Instant {
    pub const ZERO: Instant = Instant { millis: 0 };
    pub const fn from_millis(millis: u64) -> Self {
        Instant { millis }
    }
    pub const fn millis(self) -> u64 {
        self.millis
    }
    /// Time since `earlier`, or zero if `earlier` is later.
    pub fn since(self, earlier: Instant) -> Duration {
        Duration::from_millis(self.millis.saturating_sub(earlier.millis))
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        Instant::from_millis(self.millis.saturating_add(d.as_millis() as u64))
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, o: Instant) -> Duration {
        self.since(o)
    }
}
