//! The data coding scheme (TS 23.038 §4), the user data header
//! (TS 23.040 §9.2.3.24) and the user data itself.

use super::gsm7;
use crate::wire::{Error, Result};

/// How the user data is coded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alphabet {
    Gsm7,
    EightBit,
    Ucs2,
}

impl Alphabet {
    pub fn name(self) -> &'static str {
        match self {
            Alphabet::Gsm7 => "gsm7",
            Alphabet::EightBit => "8bit",
            Alphabet::Ucs2 => "ucs2",
        }
    }
}

/// TP-DCS, kept as its octet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dcs(pub u8);

impl Dcs {
    /// General data coding, no class.
    pub fn new(alphabet: Alphabet, class: Option<u8>) -> Dcs {
        let a = match alphabet {
            Alphabet::Gsm7 => 0,
            Alphabet::EightBit => 0x04,
            Alphabet::Ucs2 => 0x08,
        };
        Dcs(a | class.map_or(0, |c| 0x10 | (c & 3)))
    }

    pub fn alphabet(self) -> Alphabet {
        let d = self.0;
        match d >> 4 {
            // General data coding and automatic deletion groups.
            0..=7 => {
                if d & 0x20 != 0 {
                    // Compressed: the octets are not text we can read.
                    return Alphabet::EightBit;
                }
                match (d >> 2) & 3 {
                    1 => Alphabet::EightBit,
                    2 => Alphabet::Ucs2,
                    _ => Alphabet::Gsm7,
                }
            }
            0xE => Alphabet::Ucs2,
            0xF if d & 0x04 != 0 => Alphabet::EightBit,
            // Message waiting groups, class group, reserved ones.
            _ => Alphabet::Gsm7,
        }
    }

    /// The message class, if the coding names one.
    pub fn class(self) -> Option<u8> {
        let d = self.0;
        match d >> 4 {
            0..=7 if d & 0x10 != 0 => Some(d & 3),
            0xF => Some(d & 3),
            _ => None,
        }
    }
}

/// IEI of a concatenated message part with an 8-bit reference.
pub const IEI_CONCAT_8: u8 = 0x00;
/// IEI of a concatenated message part with a 16-bit reference.
pub const IEI_CONCAT_16: u8 = 0x08;

/// One information element of the user data header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfoElement {
    pub iei: u8,
    pub data: Vec<u8>,
}

/// Where a part sits in a concatenated message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Concat {
    pub reference: u16,
    pub total: u8,
    pub seq: u8,
}

impl Concat {
    /// The element for this part: 8-bit reference when it fits.
    pub fn element(self) -> InfoElement {
        match u8::try_from(self.reference) {
            Ok(r) => InfoElement {
                iei: IEI_CONCAT_8,
                data: vec![r, self.total, self.seq],
            },
            Err(_) => {
                let [hi, lo] = self.reference.to_be_bytes();
                InfoElement {
                    iei: IEI_CONCAT_16,
                    data: vec![hi, lo, self.total, self.seq],
                }
            }
        }
    }
}

/// The user data's payload as carried: septets (GSM 7-bit) or octets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    Septets(Vec<u8>),
    Octets(Vec<u8>),
}

/// TP-UD with its header (present when TP-UDHI is set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserData {
    pub header: Option<Vec<InfoElement>>,
    pub payload: Payload,
}

/// Most septets in one message's user data.
pub const MAX_SEPTETS: usize = 160;
/// Most octets in one message's user data.
pub const MAX_OCTETS: usize = 140;

fn header_bytes(header: &[InfoElement]) -> Vec<u8> {
    let mut h = vec![0u8];
    for ie in header {
        h.push(ie.iei);
        h.push(ie.data.len() as u8);
        h.extend_from_slice(&ie.data);
    }
    h[0] = (h.len() - 1) as u8;
    h
}

fn parse_header(h: &[u8]) -> Result<Vec<InfoElement>> {
    let mut out = Vec::new();
    let mut rest = h;
    while !rest.is_empty() {
        let &[iei, len, ..] = rest else {
            return Err(Error::Truncated("information element"));
        };
        let data = rest
            .get(2..2 + usize::from(len))
            .ok_or(Error::BadLength("information element"))?;
        out.push(InfoElement {
            iei,
            data: data.to_vec(),
        });
        rest = &rest[2 + usize::from(len)..];
    }
    Ok(out)
}

impl UserData {
    /// Text user data in `alphabet` (not 8-bit); `None` if the text does
    /// not fit the alphabet.
    pub fn text(text: &str, alphabet: Alphabet) -> Option<UserData> {
        let payload = match alphabet {
            Alphabet::Gsm7 => Payload::Septets(gsm7::encode(text)?),
            Alphabet::Ucs2 => {
                Payload::Octets(text.encode_utf16().flat_map(u16::to_be_bytes).collect())
            }
            Alphabet::EightBit => return None,
        };
        Some(UserData {
            header: None,
            payload,
        })
    }

    /// Parses TP-UDL and TP-UD (`b` starts at TP-UDL and must hold exactly
    /// the user data).
    pub fn parse(b: &[u8], udhi: bool, alphabet: Alphabet) -> Result<UserData> {
        let (&udl, data) = b.split_first().ok_or(Error::Truncated("TP-UDL"))?;
        let udl = usize::from(udl);
        let (hlen, header) = if udhi {
            let &udhl = data.first().ok_or(Error::Truncated("TP-UDHL"))?;
            let h = data
                .get(1..1 + usize::from(udhl))
                .ok_or(Error::Truncated("user data header"))?;
            (1 + usize::from(udhl), Some(parse_header(h)?))
        } else {
            (0, None)
        };
        let payload = if alphabet == Alphabet::Gsm7 {
            if udl > MAX_SEPTETS {
                return Err(Error::BadLength("TP-UDL"));
            }
            if gsm7::packed_len(udl, 0) != data.len() {
                return Err(Error::BadLength("TP-UDL (septets)"));
            }
            let header_septets = (hlen * 8).div_ceil(7);
            let count = udl
                .checked_sub(header_septets)
                .ok_or(Error::BadLength("TP-UDL shorter than its header"))?;
            let fill = header_septets * 7 - hlen * 8;
            let s =
                gsm7::unpack(&data[hlen..], fill, count).ok_or(Error::Truncated("user data"))?;
            Payload::Septets(s)
        } else {
            if udl > MAX_OCTETS {
                return Err(Error::BadLength("TP-UDL"));
            }
            if udl != data.len() {
                return Err(Error::BadLength("TP-UDL (octets)"));
            }
            let body = data
                .get(hlen..)
                .ok_or(Error::BadLength("TP-UDL shorter than its header"))?;
            Payload::Octets(body.to_vec())
        };
        Ok(UserData { header, payload })
    }

    /// TP-UDL and TP-UD; fails when they exceed one message.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<()> {
        let h = self.header.as_deref().map(header_bytes).unwrap_or_default();
        match &self.payload {
            Payload::Septets(s) => {
                let header_septets = (h.len() * 8).div_ceil(7);
                let udl = header_septets + s.len();
                if udl > MAX_SEPTETS {
                    return Err(Error::TooLong("user data (septets)"));
                }
                out.push(udl as u8);
                out.extend_from_slice(&h);
                gsm7::pack(s, header_septets * 7 - h.len() * 8, out);
            }
            Payload::Octets(o) => {
                let udl = h.len() + o.len();
                if udl > MAX_OCTETS {
                    return Err(Error::TooLong("user data (octets)"));
                }
                out.push(udl as u8);
                out.extend_from_slice(&h);
                out.extend_from_slice(o);
            }
        }
        Ok(())
    }

    /// The concatenation element, if this is a part of a longer message
    /// (a zero total or sequence number is not one, TS 23.040 says to
    /// ignore it).
    pub fn concat(&self) -> Option<Concat> {
        self.header.as_ref()?.iter().find_map(|ie| {
            let c = match (ie.iei, ie.data.as_slice()) {
                (IEI_CONCAT_8, &[r, total, seq]) => Concat {
                    reference: u16::from(r),
                    total,
                    seq,
                },
                (IEI_CONCAT_16, &[hi, lo, total, seq]) => Concat {
                    reference: u16::from_be_bytes([hi, lo]),
                    total,
                    seq,
                },
                _ => return None,
            };
            (c.total > 0 && c.seq > 0 && c.seq <= c.total).then_some(c)
        })
    }

    /// The payload as text, as `alphabet` says (8-bit data as Latin-1, so
    /// every octet shows). A lone surrogate in UCS-2 shows as U+FFFD.
    pub fn decode(&self) -> String {
        match &self.payload {
            Payload::Septets(s) => gsm7::decode(s),
            Payload::Octets(o) => o.iter().map(|&b| char::from(b)).collect(),
        }
    }

    /// The payload as UCS-2/UTF-16 text.
    pub fn decode_ucs2(&self) -> String {
        match &self.payload {
            Payload::Octets(o) => {
                let units: Vec<u16> = o
                    .chunks(2)
                    .map(|c| u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)]))
                    .collect();
                char::decode_utf16(units)
                    .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
                    .collect()
            }
            Payload::Septets(_) => self.decode(),
        }
    }

    /// The payload as text in the given alphabet.
    pub fn text_in(&self, alphabet: Alphabet) -> String {
        match alphabet {
            Alphabet::Ucs2 => self.decode_ucs2(),
            _ => self.decode(),
        }
    }
}

/// Septets and UTF-16 units per part of a concatenated message: the
/// header takes 6 octets with an 8-bit reference (7 of the 160 septets),
/// 7 with a 16-bit one (8 septets).
fn part_room(reference: u16) -> (usize, usize) {
    if reference > 0xFF {
        (152, 66)
    } else {
        (153, 67)
    }
}
/// Most parts a concatenated message may have.
pub const MAX_PARTS: usize = 255;

/// `text` as the user data of one message or of the parts of a
/// concatenated one (reference `reference`): GSM 7-bit when every
/// character is in the alphabet, UCS-2 otherwise. An escape pair and a
/// surrogate pair are never split. `None` if it needs over 255 parts.
pub fn split_text(text: &str, reference: u16) -> Option<(Alphabet, Vec<UserData>)> {
    let (part_septets, part_units) = part_room(reference);
    let (alphabet, chunks): (Alphabet, Vec<Payload>) = match gsm7::encode(text) {
        Some(s) if s.len() <= MAX_SEPTETS => (Alphabet::Gsm7, vec![Payload::Septets(s)]),
        Some(_) => {
            let mut parts: Vec<Vec<u8>> = vec![Vec::new()];
            for c in text.chars() {
                let enc = gsm7::encode_char(c)?;
                if parts.last()?.len() + enc.len() > part_septets {
                    parts.push(Vec::new());
                }
                parts.last_mut()?.extend_from_slice(enc);
            }
            (
                Alphabet::Gsm7,
                parts.into_iter().map(Payload::Septets).collect(),
            )
        }
        None => {
            let units = text.encode_utf16().count();
            if units * 2 <= MAX_OCTETS {
                let o = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
                (Alphabet::Ucs2, vec![Payload::Octets(o)])
            } else {
                let mut parts: Vec<Vec<u8>> = vec![Vec::new()];
                let mut buf = [0u16; 2];
                for c in text.chars() {
                    let enc = c.encode_utf16(&mut buf);
                    if parts.last()?.len() / 2 + enc.len() > part_units {
                        parts.push(Vec::new());
                    }
                    let last = parts.last_mut()?;
                    for u in enc.iter() {
                        last.extend_from_slice(&u.to_be_bytes());
                    }
                }
                (
                    Alphabet::Ucs2,
                    parts.into_iter().map(Payload::Octets).collect(),
                )
            }
        }
    };
    if chunks.len() > MAX_PARTS {
        return None;
    }
    let total = chunks.len() as u8;
    let parts = chunks
        .into_iter()
        .enumerate()
        .map(|(i, payload)| UserData {
            header: (total > 1).then(|| {
                vec![Concat {
                    reference,
                    total,
                    seq: i as u8 + 1,
                }
                .element()]
            }),
            payload,
        })
        .collect();
    Some((alphabet, parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coding_groups() {
        assert_eq!(Dcs(0x00).alphabet(), Alphabet::Gsm7);
        assert_eq!(Dcs(0x08).alphabet(), Alphabet::Ucs2);
        assert_eq!(Dcs(0x04).alphabet(), Alphabet::EightBit);
        assert_eq!(Dcs(0x10).class(), Some(0));
        assert_eq!(Dcs(0xF0).class(), Some(0));
        assert_eq!(Dcs(0xF4).alphabet(), Alphabet::EightBit);
        assert_eq!(Dcs(0x00).class(), None);
        assert_eq!(Dcs::new(Alphabet::Ucs2, Some(0)), Dcs(0x18));
    }

    #[test]
    fn gsm7_with_a_header_round_trips() {
        let (a, parts) = split_text(&"x".repeat(200), 7).unwrap();
        assert_eq!(a, Alphabet::Gsm7);
        assert_eq!(parts.len(), 2);
        let mut b = Vec::new();
        parts[0].emit(&mut b).unwrap();
        // UDL 160: 7 header septets + 153.
        assert_eq!(b[0], 160);
        assert_eq!(b.len(), 1 + 140);
        let back = UserData::parse(&b, true, Alphabet::Gsm7).unwrap();
        assert_eq!(back, parts[0]);
        assert_eq!(
            back.concat(),
            Some(Concat {
                reference: 7,
                total: 2,
                seq: 1
            })
        );
    }

    #[test]
    fn emoji_is_a_surrogate_pair_never_split() {
        let text = "😀".repeat(40);
        let (a, parts) = split_text(&text, 300).unwrap();
        assert_eq!(a, Alphabet::Ucs2);
        // 80 units, 66 per part when pairs may not split.
        assert_eq!(parts.len(), 2);
        let joined: String = parts.iter().map(UserData::decode_ucs2).collect();
        assert_eq!(joined, text);
        assert_eq!(parts[0].concat().unwrap().reference, 300);
        assert_eq!(parts[0].header.as_ref().unwrap()[0].iei, IEI_CONCAT_16);
    }

    #[test]
    fn lengths_that_lie_are_refused() {
        assert!(UserData::parse(&[5, 0x41], false, Alphabet::EightBit).is_err());
        assert!(UserData::parse(&[200, 0x41], false, Alphabet::Gsm7).is_err());
        assert!(UserData::parse(&[3, 9, 0, 0], true, Alphabet::EightBit).is_err());
        // A header claiming more septets than UDL.
        assert!(UserData::parse(&[1, 0x05, 0, 3, 1, 2, 1], true, Alphabet::Gsm7).is_err());
    }
}
