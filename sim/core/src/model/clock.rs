//! The module's clocks. Two figures come from one reading: the time since
//! power-on (AT!GSTATUS "Current Time") and the network's date and time,
//! which the `[time]` profile section sets at the simulation's start and
//! simulated time advances. +CCLK, NITZ, QMI NAS network time, DMS Get
//! Time and the NMEA fixes all read the second, so they agree.

use super::calendar::{DateTime, GPS_EPOCH_DAYS, GPS_LEAP_SECONDS};
use crate::time::Instant;
use serde::Deserialize;

/// The `[time]` profile section: the network's clock and zone.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawTime")]
pub struct TimeProfile {
    /// UTC at simulated time 0, seconds since 1970-01-01.
    pub utc_at_start: i64,
    /// The local zone the network announces, minutes east of UTC, DST
    /// included (a multiple of 15, as NITZ carries it).
    pub utc_offset_minutes: i16,
    /// Of that offset, the daylight saving adjustment in hours (0 to 2).
    pub dst_hours: u8,
    /// The network sends NITZ when the module registers.
    pub nitz: bool,
}

impl Default for TimeProfile {
    fn default() -> Self {
        TimeProfile {
            // 2025-01-01T00:00:00Z.
            utc_at_start: 1_735_689_600,
            utc_offset_minutes: 0,
            dst_hours: 0,
            nitz: true,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawTime {
    utc_at_start: Option<String>,
    utc_offset_minutes: Option<i16>,
    dst_hours: Option<u8>,
    nitz: Option<bool>,
}

impl TryFrom<RawTime> for TimeProfile {
    type Error = String;
    fn try_from(r: RawTime) -> Result<Self, String> {
        let d = TimeProfile::default();
        let utc_at_start = match r.utc_at_start {
            Some(t) => DateTime::parse(&t)
                .map_err(|e| format!("utc-at-start: {e}"))?
                .to_unix(),
            None => d.utc_at_start,
        };
        let utc_offset_minutes = r.utc_offset_minutes.unwrap_or(0);
        if utc_offset_minutes % 15 != 0 || !(-720..=840).contains(&utc_offset_minutes) {
            return Err(format!(
                "utc-offset-minutes: expected a multiple of 15 from -720 to 840 (NITZ counts quarter hours), not {utc_offset_minutes}"
            ));
        }
        let dst_hours = r.dst_hours.unwrap_or(0);
        if dst_hours > 2 {
            return Err(format!("dst-hours: expected 0, 1 or 2, not {dst_hours}"));
        }
        Ok(TimeProfile {
            utc_at_start,
            utc_offset_minutes,
            dst_hours,
            nitz: r.nitz.unwrap_or(d.nitz),
        })
    }
}

/// A reading of the module clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockReading {
    /// Milliseconds since the simulation's start (power-on).
    pub millis: u64,
    /// Milliseconds since 1970-01-01T00:00:00 UTC.
    pub utc_millis: i64,
    /// The announced zone, minutes east of UTC, DST included.
    pub offset_minutes: i16,
    pub dst_hours: u8,
}

impl ClockReading {
    pub fn at(now: Instant, time: &TimeProfile) -> ClockReading {
        ClockReading {
            millis: now.millis(),
            utc_millis: time.utc_at_start * 1000 + now.millis() as i64,
            offset_minutes: time.utc_offset_minutes,
            dst_hours: time.dst_hours,
        }
    }

    /// Whole seconds since power-on.
    pub fn seconds(self) -> u64 {
        self.millis / 1000
    }

    /// Whole seconds since 1970-01-01 UTC.
    pub fn utc_seconds(self) -> i64 {
        self.utc_millis.div_euclid(1000)
    }

    pub fn utc(self) -> DateTime {
        DateTime::from_unix(self.utc_seconds())
    }

    /// The local date and time in the announced zone.
    pub fn local(self) -> DateTime {
        DateTime::from_unix(self.utc_seconds() + self.offset_minutes as i64 * 60)
    }

    /// The zone in quarter hours, as NITZ, +CCLK and QMI carry it.
    pub fn zone_quarters(self) -> i8 {
        (self.offset_minutes / 15) as i8
    }

    /// Milliseconds of GPS time since its epoch (1980-01-06), which runs
    /// [`GPS_LEAP_SECONDS`] ahead of UTC; never negative.
    pub fn gps_millis(self) -> u64 {
        let ms = self.utc_millis - GPS_EPOCH_DAYS * 86_400_000 + GPS_LEAP_SECONDS * 1000;
        ms.max(0) as u64
    }

    /// The count QMI DMS Get Time reports: units of 1.25 ms of GPS time.
    pub fn qmi_count(self) -> u64 {
        self.gps_millis() * 4 / 5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_clock_for_every_reader() {
        let p = TimeProfile {
            utc_offset_minutes: 60,
            dst_hours: 1,
            ..Default::default()
        };
        let c = ClockReading::at(Instant::from_millis(3_723_500), &p);
        assert_eq!(c.seconds(), 3723);
        let u = c.utc();
        assert_eq!(
            (u.year, u.month, u.day, u.hour, u.minute, u.second),
            (2025, 1, 1, 1, 2, 3)
        );
        assert_eq!(c.local().hour, 2);
        assert_eq!(c.zone_quarters(), 4);
        // 2025-01-01 is 16,432 days after the GPS epoch; 18 leap seconds.
        let want = (16_432 * 86_400 + 3723 + 18) * 1000 + 500;
        assert_eq!(c.gps_millis(), want);
        assert_eq!(c.qmi_count(), want * 4 / 5);
    }

    #[test]
    fn zone_and_start_are_checked() {
        let parse = |s: &str| toml::from_str::<TimeProfile>(s);
        let e = parse("utc-offset-minutes = 20").unwrap_err().to_string();
        assert!(e.contains("multiple of 15"), "{e}");
        assert!(parse("dst-hours = 3").is_err());
        let e = parse("utc-at-start = \"2025-13-01T00:00:00Z\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("utc-at-start"), "{e}");
        let p =
            parse("utc-at-start = \"2030-06-15T12:00:00Z\"\nutc-offset-minutes = -210").unwrap();
        assert_eq!(p.utc_offset_minutes, -210);
        assert!(p.nitz);
        assert!(parse("colour = 1").is_err());
    }
}
