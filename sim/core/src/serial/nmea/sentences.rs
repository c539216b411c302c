//! NMEA 0183 sentences for a stationary fix: GGA, GSA, GSV, RMC, VTG.

use crate::model::GpsProfile;

/// Simulated time 0 is this UTC day (2025-01-01), as days since 1970.
pub const EPOCH_DAYS: i64 = 20089;

/// `$body*CS\r\n`, CS being the XOR of the body's bytes.
pub fn sentence(body: &str) -> String {
    let cs = body.bytes().fold(0u8, |a, b| a ^ b);
    format!("${body}*{cs:02X}\r\n")
}

/// UTC date (y, m, d) of a day count since 1970-01-01 (proleptic
/// Gregorian; the civil-from-days algorithm).
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

/// One second's sentences for simulated second `secs`.
pub fn epoch(secs: u64, gps: &GpsProfile) -> Vec<String> {
    let days = EPOCH_DAYS + (secs / 86_400) as i64;
    let tod = secs % 86_400;
    let (y, m, d) = civil(days);
    let time = format!("{:02}{:02}{:02}.00", tod / 3600, tod / 60 % 60, tod % 60);
    let date = format!("{d:02}{m:02}{:02}", y % 100);
    let lat = angle(gps.latitude, 2, 'N', 'S');
    let lon = angle(gps.longitude, 3, 'E', 'W');
    let prns: Vec<String> = SKY.iter().map(|s| format!("{:02}", s.0)).collect();
    let mut out = vec![sentence(&format!(
        "GPGGA,{time},{lat},{lon},1,{:02},0.9,{:.1},M,0.0,M,,",
        SKY.len(),
        gps.altitude_m
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
        "GPRMC,{time},A,{lat},{lon},0.0,0.0,{date},,,A"
    )));
    out.push(sentence("GPVTG,0.0,T,,M,0.0,N,0.0,K,A"));
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
    fn dates() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(EPOCH_DAYS), (2025, 1, 1));
        assert_eq!(civil(EPOCH_DAYS + 59), (2025, 3, 1));
        assert_eq!(civil(11_016), (2000, 2, 29));
    }

    #[test]
    fn angles() {
        assert_eq!(angle(49.1666, 2, 'N', 'S'), "4909.9960,N");
        assert_eq!(angle(-123.1336, 3, 'E', 'W'), "12308.0160,W");
        assert_eq!(angle(-0.5, 2, 'N', 'S'), "0030.0000,S");
    }

    #[test]
    fn one_epoch() {
        let s = epoch(3661, &GpsProfile::default());
        assert_eq!(s.len(), 6);
        assert!(s[0].starts_with("$GPGGA,010101.00,4909.9960,N,12308.0160,W,1,08,"));
        assert!(s[4].starts_with("$GPRMC,010101.00,A,"));
        assert!(s[4].contains(",010125,"), "{}", s[4]);
        for line in &s {
            let body = &line[1..line.len() - 5];
            let cs = body.bytes().fold(0, |a, b| a ^ b);
            assert_eq!(&line[line.len() - 4..line.len() - 2], format!("{cs:02X}"));
        }
    }
}
