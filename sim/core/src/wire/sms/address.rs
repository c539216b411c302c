//! Addresses (TS 23.040 §9.1.2.5) and the service centre time stamp
//! (§9.2.3.11): semi-octets, least significant nibble first.

use super::gsm7;
use crate::wire::{Error, Result};

/// Type of address: international number, ISDN numbering plan.
pub const TOA_INTERNATIONAL: u8 = 0x91;
/// Type of address: unknown type, ISDN numbering plan.
pub const TOA_UNKNOWN: u8 = 0x81;
/// Type of number "alphanumeric" (bits 4..6 of the type of address).
const TON_ALPHANUMERIC: u8 = 5;

/// Most semi-octets an address may hold (20 digits, 10 octets).
pub const MAX_DIGITS: usize = 20;

/// A TP address or an SMSC address, kept as on the wire so that it
/// round-trips whatever it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub toa: u8,
    /// Useful semi-octets (TP addresses count them; for an SMSC address
    /// the octet length is derived from it).
    pub semi_octets: u8,
    pub octets: Vec<u8>,
}

const DIGITS: &[u8; 16] = b"0123456789*#abc\0";

impl Address {
    /// A number in text: digits, `*`, `#`; a leading `+` makes it
    /// international. `None` if empty, too long or other characters.
    pub fn from_number(number: &str) -> Option<Address> {
        let (toa, digits) = match number.strip_prefix('+') {
            Some(d) => (TOA_INTERNATIONAL, d),
            None => (TOA_UNKNOWN, number),
        };
        if digits.is_empty() || digits.len() > MAX_DIGITS {
            return None;
        }
        let nibbles = digits
            .bytes()
            .map(|b| DIGITS[..12].iter().position(|&d| d == b).map(|p| p as u8))
            .collect::<Option<Vec<u8>>>()?;
        let octets = nibbles
            .chunks(2)
            .map(|c| c[0] | c.get(1).map_or(0xF0, |h| h << 4))
            .collect();
        Some(Address {
            toa,
            semi_octets: nibbles.len() as u8,
            octets,
        })
    }

    /// An alphanumeric originator ("Bank"), GSM 7-bit, at most 11
    /// characters.
    pub fn from_alphanumeric(name: &str) -> Option<Address> {
        let septets = gsm7::encode(name)?;
        if septets.is_empty() || septets.len() > 11 {
            return None;
        }
        let mut octets = Vec::new();
        gsm7::pack(&septets, 0, &mut octets);
        Some(Address {
            toa: 0x80 | TON_ALPHANUMERIC << 4,
            semi_octets: (septets.len() * 7).div_ceil(4) as u8,
            octets,
        })
    }

    pub fn is_alphanumeric(&self) -> bool {
        (self.toa >> 4) & 7 == TON_ALPHANUMERIC
    }

    /// As a user reads it: "+4412345", or the alphanumeric name.
    pub fn text(&self) -> String {
        if self.is_alphanumeric() {
            let n = usize::from(self.semi_octets) * 4 / 7;
            let s = gsm7::unpack(&self.octets, 0, n).unwrap_or_default();
            return gsm7::decode(&s);
        }
        let mut out = String::new();
        if (self.toa >> 4) & 7 == 1 {
            out.push('+');
        }
        for i in 0..usize::from(self.semi_octets) {
            let o = self.octets.get(i / 2).copied().unwrap_or(0xFF);
            let n = if i % 2 == 0 { o & 0x0F } else { o >> 4 };
            if DIGITS[n as usize] != 0 {
                out.push(DIGITS[n as usize] as char);
            }
        }
        out
    }

    /// A TP address (length in semi-octets) at the start of `b`; returns
    /// it and the bytes it took.
    pub fn parse_tp(b: &[u8]) -> Result<(Address, usize)> {
        let &[len, toa, ..] = b else {
            return Err(Error::Truncated("address"));
        };
        if usize::from(len) > MAX_DIGITS {
            return Err(Error::BadLength("address"));
        }
        let n = usize::from(len).div_ceil(2);
        let octets = b.get(2..2 + n).ok_or(Error::Truncated("address digits"))?;
        Ok((
            Address {
                toa,
                semi_octets: len,
                octets: octets.to_vec(),
            },
            2 + n,
        ))
    }

    pub fn emit_tp(&self, out: &mut Vec<u8>) {
        out.push(self.semi_octets);
        out.push(self.toa);
        out.extend_from_slice(&self.octets);
    }

    /// An SMSC address (length in octets, type included; 0 = none).
    pub fn parse_smsc(b: &[u8]) -> Result<(Option<Address>, usize)> {
        let &len = b.first().ok_or(Error::Truncated("SMSC length"))?;
        if len == 0 {
            return Ok((None, 1));
        }
        if usize::from(len) > 1 + MAX_DIGITS / 2 {
            return Err(Error::BadLength("SMSC address"));
        }
        let body = b
            .get(1..1 + usize::from(len))
            .ok_or(Error::Truncated("SMSC address"))?;
        let octets = body[1..].to_vec();
        // Semi-octets: a trailing 0xF nibble pads an odd count.
        let mut semi = octets.len() * 2;
        if octets.last().is_some_and(|o| o >> 4 == 0xF) {
            semi -= 1;
        }
        Ok((
            Some(Address {
                toa: body[0],
                semi_octets: semi as u8,
                octets,
            }),
            1 + usize::from(len),
        ))
    }

    pub fn emit_smsc(a: Option<&Address>, out: &mut Vec<u8>) {
        match a {
            None => out.push(0),
            Some(a) => {
                out.push(1 + a.octets.len() as u8);
                out.push(a.toa);
                out.extend_from_slice(&a.octets);
            }
        }
    }

    /// Octets `emit_tp` writes.
    pub fn tp_len(&self) -> usize {
        2 + self.octets.len()
    }
}

/// A service centre time stamp, seven semi-octet swapped octets kept as
/// sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp(pub [u8; 7]);

fn swapped(v: u8) -> u8 {
    let v = v % 100;
    ((v % 10) << 4) | (v / 10)
}

fn unswap(b: u8) -> u8 {
    (b & 0x0F).min(9) * 10 + (b >> 4).min(9)
}

impl Timestamp {
    /// Year (two digits), month, day, hour, minute, second and the zone in
    /// quarters of an hour east of UTC.
    pub fn new(fields: [u8; 6], zone_quarters: i8) -> Timestamp {
        let mut b = [0u8; 7];
        for (o, v) in b.iter_mut().zip(fields) {
            *o = swapped(v);
        }
        let q = swapped(zone_quarters.unsigned_abs());
        b[6] = if zone_quarters < 0 { q | 0x08 } else { q };
        Timestamp(b)
    }

    /// The fields as `new` takes them (odd digits are clamped to 9).
    pub fn fields(&self) -> ([u8; 6], i8) {
        let mut f = [0u8; 6];
        for (o, b) in f.iter_mut().zip(self.0) {
            *o = unswap(b);
        }
        let q = unswap(self.0[6] & !0x08) as i8;
        (f, if self.0[6] & 0x08 != 0 { -q } else { q })
    }

    /// "25/01/01,12:00:00+00", as +CMGR prints it.
    pub fn at_text(&self) -> String {
        let ([y, mo, d, h, mi, s], z) = self.fields();
        format!("{y:02}/{mo:02}/{d:02},{h:02}:{mi:02}:{s:02}{z:+03}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip() {
        let a = Address::from_number("+447700900123").unwrap();
        assert_eq!(a.toa, TOA_INTERNATIONAL);
        assert_eq!(a.octets, [0x44, 0x77, 0x00, 0x09, 0x10, 0x32]);
        assert_eq!(a.text(), "+447700900123");
        let b = Address::from_number("12345").unwrap();
        assert_eq!(b.octets, [0x21, 0x43, 0xF5]);
        assert_eq!(b.text(), "12345");
        assert!(Address::from_number("12a").is_none());
        assert!(Address::from_number("+").is_none());
        let mut v = Vec::new();
        b.emit_tp(&mut v);
        assert_eq!(Address::parse_tp(&v).unwrap(), (b.clone(), v.len()));
        let mut s = Vec::new();
        Address::emit_smsc(Some(&b), &mut s);
        assert_eq!(Address::parse_smsc(&s).unwrap(), (Some(b), s.len()));
    }

    #[test]
    fn alphanumeric_originator() {
        let a = Address::from_alphanumeric("Bank").unwrap();
        assert!(a.is_alphanumeric());
        assert_eq!(a.text(), "Bank");
    }

    #[test]
    fn timestamp_fields() {
        let t = Timestamp::new([25, 1, 2, 13, 4, 5], -8);
        assert_eq!(t.fields(), ([25, 1, 2, 13, 4, 5], -8));
        assert_eq!(t.at_text(), "25/01/02,13:04:05-08");
    }
}
