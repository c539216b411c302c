//! The proleptic Gregorian calendar on a count of seconds since
//! 1970-01-01 UTC: what NITZ, +CCLK, QMI NAS network time, DMS time and
//! NMEA print. Leap seconds exist only as the GPS-UTC offset.

/// Days from 1970-01-01 to the GPS epoch, 1980-01-06.
pub const GPS_EPOCH_DAYS: i64 = 3657;

/// GPS time runs ahead of UTC by the leap seconds since 1980: 18 since
/// 2017-01-01 (IERS Bulletin C), none announced since.
pub const GPS_LEAP_SECONDS: i64 = 18;

/// A civil date and time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// 0 = Monday .. 6 = Sunday (QMI's QmiNasDayOfWeek order).
    pub weekday: u32,
}

impl DateTime {
    /// The date and time `secs` seconds after 1970-01-01T00:00:00.
    pub fn from_unix(secs: i64) -> DateTime {
        let days = secs.div_euclid(86_400);
        let tod = secs.rem_euclid(86_400) as u32;
        let (year, month, day) = civil(days);
        DateTime {
            year,
            month,
            day,
            hour: tod / 3600,
            minute: tod / 60 % 60,
            second: tod % 60,
            // 1970-01-01 was a Thursday (3).
            weekday: (days + 3).rem_euclid(7) as u32,
        }
    }

    /// Seconds since 1970-01-01T00:00:00 of this date and time.
    pub fn to_unix(self) -> i64 {
        days_from_civil(self.year, self.month, self.day) * 86_400
            + (self.hour * 3600 + self.minute * 60 + self.second) as i64
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS` with an optional trailing `Z`.
    pub fn parse(text: &str) -> Result<DateTime, String> {
        let bad = || format!("expected a UTC date and time as YYYY-MM-DDTHH:MM:SSZ, not {text:?}");
        let t = text.strip_suffix('Z').unwrap_or(text);
        let b = t.as_bytes();
        if b.len() != 19
            || [4, 7].iter().any(|&i| b[i] != b'-')
            || !matches!(b[10], b'T' | b't' | b' ')
            || [13, 16].iter().any(|&i| b[i] != b':')
        {
            return Err(bad());
        }
        let num = |r: core::ops::Range<usize>| -> Result<u32, String> {
            let s = &t[r];
            if s.bytes().all(|c| c.is_ascii_digit()) {
                s.parse().map_err(|_| bad())
            } else {
                Err(bad())
            }
        };
        let (year, month, day) = (num(0..4)? as i64, num(5..7)?, num(8..10)?);
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 59
        {
            return Err(format!("{text:?} is not a date and time of the calendar"));
        }
        if year < 1980 {
            return Err(format!(
                "{text:?} is before the GPS epoch (1980-01-06), which DMS time counts from"
            ));
        }
        let secs = days_from_civil(year, month, day) * 86_400
            + (hour * 3600 + minute * 60 + second) as i64;
        Ok(DateTime::from_unix(secs))
    }
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// UTC date (y, m, d) of a day count since 1970-01-01 (the civil-from-days
/// algorithm).
pub fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + (m <= 2) as i64;
    (y, m, d)
}

/// Days since 1970-01-01 of a civil date (the inverse of [`civil`]).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_dates() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(20089), (2025, 1, 1));
        assert_eq!(civil(11_016), (2000, 2, 29));
        assert_eq!(civil(GPS_EPOCH_DAYS), (1980, 1, 6));
        let d = DateTime::parse("2025-01-01T00:00:00Z").unwrap();
        assert_eq!(d.to_unix(), 1_735_689_600);
        // 2025-01-01 was a Wednesday.
        assert_eq!(d.weekday, 2);
        assert_eq!(DateTime::from_unix(GPS_EPOCH_DAYS * 86_400).weekday, 6);
    }

    #[test]
    fn bad_text_says_what_was_expected() {
        for t in [
            "2025-1-01T00:00:00",
            "2025-02-30T00:00:00Z",
            "2025-01-01T24:00:00",
            "x",
            "",
        ] {
            assert!(DateTime::parse(t).is_err(), "{t}");
        }
        assert!(DateTime::parse("1979-12-31T00:00:00Z")
            .unwrap_err()
            .contains("GPS epoch"));
        assert!(DateTime::parse("2024-02-29 12:30:59").is_ok());
    }

    proptest! {
        #[test]
        fn days_round_trip(days in -1_000_000i64..1_000_000) {
            let (y, m, d) = civil(days);
            prop_assert_eq!(days_from_civil(y, m, d), days);
        }

        #[test]
        fn seconds_round_trip(secs in 0i64..10_000_000_000) {
            prop_assert_eq!(DateTime::from_unix(secs).to_unix(), secs);
        }
    }
}
