//! The NMEA sentence builder over arbitrary fixes. vmodem parses no NMEA
//! (the port is output only), so what is fuzzed is what it writes.

use crate::model::gnss::Position;
use crate::serial::nmea::sentences::{epoch, MAX_SENTENCE};

/// The last second of 9999: the clock's calendar prints four-digit years.
const MAX_UTC: i64 = 253_402_300_799;

/// The input: 8 bytes of UTC seconds (taken modulo year 10000), a flag
/// byte (bit 0: a fix), then latitude, longitude, altitude, speed and
/// course as little-endian f64 (missing bytes are zero; any bit pattern,
/// NaN and infinities too). Every line the builder returns is one whole
/// sentence: `$`, printable ASCII without `$` or `*`, `*`, the XOR of the
/// body in two upper-case hex digits, CRLF, at most 82 bytes in all.
pub fn nmea(data: &[u8]) {
    let mut bytes = [0u8; 49];
    let n = data.len().min(bytes.len());
    bytes[..n].copy_from_slice(&data[..n]);
    let word = |i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&bytes[i..i + 8]);
        w
    };
    let utc = i64::from_le_bytes(word(0)).rem_euclid(MAX_UTC + 1);
    let f = |k: usize| f64::from_le_bytes(word(9 + 8 * k));
    let fix = Position {
        latitude: f(0),
        longitude: f(1),
        altitude_m: f(2),
        speed_mps: f(3),
        course_deg: f(4),
    };
    let has_fix = bytes[8] & 1 != 0;
    let lines = epoch(utc, has_fix.then_some(&fix));
    assert!(matches!(lines.len(), 5 | 6), "one epoch: {lines:?}");
    for line in &lines {
        check_sentence(line);
    }
}

fn check_sentence(line: &str) {
    assert!(line.len() <= MAX_SENTENCE, "{} bytes: {line:?}", line.len());
    let inner = line
        .strip_prefix('$')
        .and_then(|l| l.strip_suffix("\r\n"))
        .unwrap_or_else(|| panic!("not framed: {line:?}"));
    let (body, cs) = inner
        .split_once('*')
        .unwrap_or_else(|| panic!("no checksum: {line:?}"));
    assert!(
        body.bytes()
            .all(|b| (0x20..0x7F).contains(&b) && b != b'$' && b != b'*'),
        "body: {line:?}"
    );
    let want = body.bytes().fold(0u8, |a, b| a ^ b);
    assert_eq!(cs, format!("{want:02X}"), "checksum: {line:?}");
}
