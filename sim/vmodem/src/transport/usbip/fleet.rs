//! What makes the modems of one server distinct units: modem `n` (1-based,
//! bus id `1-n`) gets its own seed and its own identity, derived from the
//! run's seed and profile so that a fleet is as reproducible as one modem.
//! Modem 1 is exactly the modem a single-modem run would serve.

use vmodem_core::model::identity::{luhn_digit, luhn_valid};
use vmodem_core::model::Profile;

/// The bus id a host names in `usbip attach -b` for modem `n`.
pub fn busid(n: u32) -> String {
    format!("1-{n}")
}

/// Modem `n` runs with seed `seed + n - 1` (wrapping): its random choices
/// are those of a single modem started with that seed.
pub fn seed(seed: u64, n: u32) -> u64 {
    seed.wrapping_add(u64::from(n.saturating_sub(1)))
}

/// Modem `n`'s profile: the run's, with `n - 1` added to the serial
/// digits of the IMEI (its 6-digit SNR, check digit recomputed), of the
/// ICCID (the 6 digits before its check digit, recomputed when the
/// profile's was valid) and of the IMSI (its last 6 digits, never the 6
/// that hold MCC and MNC). Numbers wrap within those digits, so units
/// differ as long as the fleet is smaller than a million.
pub fn profile(base: &Profile, n: u32) -> Profile {
    let mut p = base.clone();
    let k = u64::from(n.saturating_sub(1));
    if k == 0 {
        return p;
    }
    let id = &mut p.identity;
    id.imei = with_check_digit(&id.imei, 8..14, k, true);
    let sim = &mut p.sim;
    let checked = luhn_valid(&sim.iccid);
    let end = sim.iccid.len() - 1;
    sim.iccid = with_check_digit(&sim.iccid, end.saturating_sub(6)..end, k, checked);
    let len = sim.imsi.len();
    let from = len.saturating_sub(6).max(6.min(len));
    sim.imsi = add_to_digits(&sim.imsi, from..len, k);
    p
}

/// `add_to_digits`, then the last digit made the Luhn check digit of the
/// rest when `check`.
fn with_check_digit(s: &str, range: std::ops::Range<usize>, k: u64, check: bool) -> String {
    let mut out = add_to_digits(s, range, k);
    if check && !out.is_empty() {
        let body = &out[..out.len() - 1];
        if let Some(d) = luhn_digit(body) {
            out.truncate(out.len() - 1);
            out.push(char::from(b'0' + d));
        }
    }
    out
}

/// `s` with the decimal number in `range` increased by `k`, wrapping
/// within those digits. `s` is all ASCII digits (profiles are validated).
fn add_to_digits(s: &str, range: std::ops::Range<usize>, k: u64) -> String {
    let Some(digits) = s.get(range.clone()) else {
        return s.to_string();
    };
    let (Ok(v), Ok(width)) = (digits.parse::<u64>(), u32::try_from(digits.len())) else {
        return s.to_string();
    };
    if width == 0 {
        return s.to_string();
    }
    let modulus = 10u64.pow(width.min(18));
    let v = (v + k % modulus) % modulus;
    format!(
        "{}{:0w$}{}",
        &s[..range.start],
        v,
        &s[range.end..],
        w = digits.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modem_one_is_the_single_modem() {
        let p = Profile::default();
        assert_eq!(profile(&p, 1), p);
        assert_eq!(seed(42, 1), 42);
        assert_eq!(busid(1), "1-1");
    }

    #[test]
    fn units_differ_and_keep_their_check_digits() {
        let p = Profile::default();
        let mut imeis = std::collections::HashSet::new();
        let mut iccids = std::collections::HashSet::new();
        let mut imsis = std::collections::HashSet::new();
        for n in 1..=300 {
            let u = profile(&p, n);
            assert!(luhn_valid(&u.identity.imei), "{}", u.identity.imei);
            assert_eq!(u.identity.imei.len(), 15);
            assert_eq!(u.identity.imei[..8], p.identity.imei[..8], "TAC kept");
            assert!(luhn_valid(&u.sim.iccid), "{}", u.sim.iccid);
            assert_eq!(u.sim.iccid.len(), p.sim.iccid.len());
            assert_eq!(u.sim.imsi[..6], p.sim.imsi[..6], "MCC and MNC kept");
            imeis.insert(u.identity.imei);
            iccids.insert(u.sim.iccid);
            imsis.insert(u.sim.imsi);
        }
        assert_eq!((imeis.len(), iccids.len(), imsis.len()), (300, 300, 300));
        assert_eq!(seed(u64::MAX, 2), 0);
    }

    #[test]
    fn the_imei_serial_wraps_within_its_digits() {
        let mut p = Profile::default();
        p.identity.imei = "359225059999995".into();
        assert!(luhn_valid(&p.identity.imei));
        let u = profile(&p, 2);
        assert_eq!(&u.identity.imei[..14], "35922505000000");
        assert!(luhn_valid(&u.identity.imei));
    }

    #[test]
    fn a_short_imsi_keeps_its_plmn() {
        let mut p = Profile::default();
        p.sim.imsi = "00101012".into();
        assert_eq!(profile(&p, 4).sim.imsi, "00101015");
        p.sim.imsi = "001010".into();
        assert_eq!(profile(&p, 4).sim.imsi, "001010");
    }
}
