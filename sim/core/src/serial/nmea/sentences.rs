//! NMEA 0183 sentences of one fix epoch: GGA, GSA, GSV, RMC, VTG; while
//! the receiver searches, the same sentences without a position.

use crate::model::calendar::DateTime;
use crate::model::gnss::Position;

/// `$body*CS\r\n`, CS being the XOR of the body's bytes.
pub fn sentence(body: &str) -> String {
    let cs = body.bytes().fold(0u8, |a, b| a ^ b);
    format!("${body}*{cs:02X}\r\n")
}

/// `ddmm.mmmm,H` (latitude) or `dddmm.mmmm,H` (longitude).
fn angle(v: f64, deg_width: usize, pos: char, neg: char) -> String {
    let hemi = if v < 0.0 { neg } else { pos };
    let v = v.abs();
    let mut deg = v.trunc() as u32;
    let mut min = (v.fract() * 60.0 * 10_000.0).round() / 10_000.0;
    if min >= 60.0 {
        deg += 1;
        min -= 60.0;
    }
    format!("{deg:0deg_width$}{min:07.4},{hemi}")
}

/// Satellites in view: PRN, elevation, azimuth, SNR (a fixed sky).
const SKY: [(u8, u8, u16, u8); 8] = [
    (2, 62, 45, 42),
    (5, 41, 291, 38),
    (7, 23, 118, 33),
    (13, 55, 192, 40),
    (15, 12, 330, 27),
    (20, 30, 80, 35),
    (24, 18, 250, 30),
    (30, 70, 160, 44),
];

/// NMEA 0183's limit on a sentence, `$` to CRLF.
pub const MAX_SENTENCE: usize = 82;

/// `v` within `lo..=hi`, or `None` when it is no number at all.
fn bounded(v: f64, lo: f64, hi: f64) -> Option<f64> {
    v.is_finite().then(|| v.clamp(lo, hi))
}

/// A field with one decimal, empty when the value is unknown.
fn tenths(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1}")).unwrap_or_default()
}

/// One second's sentences at `utc` (seconds since 1970): a fix at
/// `fix`, or none yet. Whatever the fix holds, each sentence fits
/// [`MAX_SENTENCE`]: a position that is no number is no fix, and other
/// values are held to what their fields can show (a track file may say
/// anything).
pub fn epoch(utc: i64, fix: Option<&Position>) -> Vec<String> {
    let fix = fix.filter(|p| p.latitude.is_finite() && p.longitude.is_finite());
    let t = DateTime::from_unix(utc);
    let secs = utc.unsigned_abs();
    let time = format!("{:02}{:02}{:02}.00", t.hour, t.minute, t.second);
    let date = format!("{:02}{:02}{:02}", t.day, t.month, t.year % 100);
    let Some(p) = fix else {
        return vec![
            sentence(&format!("GPGGA,{time},,,,,0,00,,,M,,M,,")),
            sentence("GPGSA,A,1,,,,,,,,,,,,,,,"),
            sentence("GPGSV,1,1,00"),
            sentence(&format!("GPRMC,{time},V,,,,,,,{date},,,N")),
            sentence("GPVTG,,T,,M,,N,,K,N"),
        ];
    };
    let lat = angle(p.latitude.clamp(-90.0, 90.0), 2, 'N', 'S');
    let lon = angle(p.longitude.clamp(-180.0, 180.0), 3, 'E', 'W');
    let altitude = tenths(bounded(p.altitude_m, -9_999.9, 99_999.9));
    // Speed and course as the receiver reports them: a 5-digit field
    // each, the course in [0, 360).
    let speed = bounded(p.speed_mps, 0.0, 5_000.0);
    let knots = tenths(speed.map(|v| v * 3600.0 / 1852.0));
    let kmh = tenths(speed.map(|v| v * 3.6));
    let course = tenths(
        p.course_deg
            .is_finite()
            .then(|| p.course_deg.rem_euclid(360.0))
            // 359.96 would print as 360.0.
            .map(|c| if c >= 359.95 { 0.0 } else { c }),
    );
    let prns: Vec<String> = SKY.iter().map(|s| format!("{:02}", s.0)).collect();
    let mut out = vec![sentence(&format!(
        "GPGGA,{time},{lat},{lon},1,{:02},0.9,{altitude},M,0.0,M,,",
        SKY.len()
    ))];
    out.push(sentence(&format!(
        "GPGSA,A,3,{},,,,,1.6,0.9,1.3",
        prns.join(",")
    )));
    for (i, chunk) in SKY.chunks(4).enumerate() {
        let sats: Vec<String> = chunk
            .iter()
            .map(|&(prn, el, az, snr)| {
                // A little movement so the SNR looks alive.
                let snr = snr + ((secs + prn as u64) % 3) as u8;
                format!("{prn:02},{el:02},{az:03},{snr:02}")
            })
            .collect();
        out.push(sentence(&format!(
            "GPGSV,2,{},{:02},{}",
            i + 1,
            SKY.len(),
            sats.join(",")
        )));
    }
    out.push(sentence(&format!(
        "GPRMC,{time},A,{lat},{lon},{knots},{course},{date},,,A"
    )));
    out.push(sentence(&format!(
        "GPVTG,{course},T,,M,{knots},N,{kmh},K,A"
    )));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_of_a_textbook_sentence() {
        // The widely quoted GGA example with checksum 47.
        assert_eq!(
            sentence("GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,"),
            "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n"
        );
    }

    #[test]
    fn angles() {
        assert_eq!(angle(49.1666, 2, 'N', 'S'), "4909.9960,N");
        assert_eq!(angle(-123.1336, 3, 'E', 'W'), "12308.0160,W");
        assert_eq!(angle(-0.5, 2, 'N', 'S'), "0030.0000,S");
    }

    /// Values no field can show are held to the field or left empty; a
    /// position that is no number is no fix.
    #[test]
    fn unshowable_values() {
        let p = Position {
            latitude: 91.0,
            longitude: -200.0,
            altitude_m: f64::NAN,
            speed_mps: -3.0,
            course_deg: -90.0,
        };
        let s = epoch(0, Some(&p));
        assert!(s[0].starts_with("$GPGGA,000000.00,9000.0000,N,18000.0000,W,1,08,0.9,,M,"));
        assert!(s[4].contains(",0.0,270.0,010170,"), "{}", s[4]);
        let nowhere = Position {
            latitude: f64::NAN,
            ..p
        };
        assert_eq!(epoch(0, Some(&nowhere)), epoch(0, None));
    }

    #[test]
    fn one_epoch() {
        let p = Position::stationary(&crate::model::GpsProfile::default());
        let s = epoch(1_735_689_600 + 3661, Some(&p));
        assert_eq!(s.len(), 6);
        assert!(s[0].starts_with("$GPGGA,010101.00,4909.9960,N,12308.0160,W,1,08,"));
        assert!(s[4].starts_with("$GPRMC,010101.00,A,"));
        assert!(s[4].contains(",010125,"), "{}", s[4]);
        let none = epoch(1_735_689_600 + 3661, None);
        assert_eq!(none[0], sentence("GPGGA,010101.00,,,,,0,00,,,M,,M,,"));
        assert!(none[3].starts_with("$GPRMC,010101.00,V,"));
        for line in s.iter().chain(&none) {
            let body = &line[1..line.len() - 5];
            let cs = body.bytes().fold(0, |a, b| a ^ b);
            assert_eq!(&line[line.len() - 4..line.len() - 2], format!("{cs:02X}"));
        }
    }
}
