//! The module's one clock: DMS Get Time, AT!GSTATUS and the NMEA sentences
//! all read it. Without CDMA or NITZ there is no network time source, so
//! it counts from the simulation's start as the firmware counts from its
//! own epoch.

use crate::time::Instant;

/// A reading of the module clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockReading {
    /// Milliseconds since the clock's epoch.
    pub millis: u64,
}

impl ClockReading {
    pub fn at(now: Instant) -> ClockReading {
        ClockReading {
            millis: now.millis(),
        }
    }

    /// Whole seconds since the epoch.
    pub fn seconds(self) -> u64 {
        self.millis / 1000
    }

    /// The count QMI DMS Get Time reports: units of 1.25 ms.
    pub fn qmi_count(self) -> u64 {
        self.millis * 4 / 5
    }
}
