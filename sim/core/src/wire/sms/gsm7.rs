//! The GSM 7-bit default alphabet and its extension table (3GPP TS
//! 23.038 §6.2.1), and the packing of septets into octets.

/// The escape to the extension table.
pub const ESCAPE: u8 = 0x1B;

/// The default alphabet, indexed by septet. The escape's slot holds a
/// space: a lone escape shows as one, as the specification asks.
const DEFAULT: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', ' ', 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

/// The extension table: (septet after the escape, character).
const EXTENSION: [(u8, char); 10] = [
    (0x0A, '\u{0C}'),
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x65, '€'),
];

/// The septets of `c`: one, two (escape first) or none if the alphabet
/// lacks it.
pub fn encode_char(c: char) -> Option<&'static [u8]> {
    // Every septet value as a one-element slice, so the result borrows a
    // static table instead of allocating.
    static SINGLE: [[u8; 1]; 128] = {
        let mut t = [[0u8; 1]; 128];
        let mut i = 0;
        while i < 128 {
            t[i][0] = i as u8;
            i += 1;
        }
        t
    };
    static ESCAPED: [[u8; 2]; 10] = {
        let mut t = [[0u8; 2]; 10];
        let mut i = 0;
        while i < 10 {
            t[i] = [ESCAPE, EXTENSION[i].0];
            i += 1;
        }
        t
    };
    if c == ' ' {
        return Some(&SINGLE[0x20]);
    }
    if let Some(i) = DEFAULT.iter().position(|&d| d == c) {
        if i != ESCAPE as usize {
            return Some(&SINGLE[i]);
        }
    }
    EXTENSION
        .iter()
        .position(|&(_, e)| e == c)
        .map(|i| &ESCAPED[i][..])
}

/// `text` as septets, or `None` if a character is outside the alphabet.
pub fn encode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        out.extend_from_slice(encode_char(c)?);
    }
    Some(out)
}

/// Text of `septets` (values above 0x7F are masked). An escape followed by
/// a septet the extension table lacks shows that septet's default
/// character (TS 23.038 asks receivers to do so).
pub fn decode(septets: &[u8]) -> String {
    let mut out = String::with_capacity(septets.len());
    let mut it = septets.iter().map(|s| s & 0x7F);
    while let Some(s) = it.next() {
        if s == ESCAPE {
            match it.next() {
                Some(n) => match EXTENSION.iter().find(|(v, _)| *v == n) {
                    Some((_, c)) => out.push(*c),
                    None => out.push(DEFAULT[n as usize]),
                },
                None => out.push(' '),
            }
        } else {
            out.push(DEFAULT[s as usize]);
        }
    }
    out
}

/// Packs `septets` into octets after `fill` padding bits (0..=6, used to
/// align septets after a user data header).
pub fn pack(septets: &[u8], fill: usize, out: &mut Vec<u8>) {
    let bits = fill + septets.len() * 7;
    let start = out.len();
    out.resize(start + bits.div_ceil(8), 0);
    for (i, s) in septets.iter().enumerate() {
        let bit = fill + i * 7;
        let v = u16::from(s & 0x7F) << (bit % 8);
        let at = start + bit / 8;
        out[at] |= v as u8;
        if v > 0xFF {
            out[at + 1] |= (v >> 8) as u8;
        }
    }
}

/// Unpacks `count` septets from `octets`, skipping `fill` bits first; `None`
/// if the octets are too few.
pub fn unpack(octets: &[u8], fill: usize, count: usize) -> Option<Vec<u8>> {
    let bits = fill.checked_add(count.checked_mul(7)?)?;
    if bits.div_ceil(8) > octets.len() {
        return None;
    }
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let bit = fill + i * 7;
        let lo = u16::from(octets[bit / 8]);
        let hi = octets.get(bit / 8 + 1).copied().map_or(0, u16::from);
        out.push((((hi << 8 | lo) >> (bit % 8)) & 0x7F) as u8);
    }
    Some(out)
}

/// Octets that `count` septets take after `fill` bits.
pub fn packed_len(count: usize, fill: usize) -> usize {
    (fill + count * 7).div_ceil(8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_packs_as_the_specification_example() {
        // "hellohello", the classic 23.038 example.
        let s = encode("hellohello").unwrap();
        let mut p = Vec::new();
        pack(&s, 0, &mut p);
        assert_eq!(p, [0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37]);
        assert_eq!(unpack(&p, 0, 10).unwrap(), s);
        assert_eq!(decode(&s), "hellohello");
    }

    #[test]
    fn extension_characters_take_two_septets() {
        let s = encode("€[x]").unwrap();
        assert_eq!(s, [0x1B, 0x65, 0x1B, 0x3C, 0x78, 0x1B, 0x3E]);
        assert_eq!(decode(&s), "€[x]");
        assert_eq!(encode("€").unwrap().len(), 2);
        assert!(encode("😀").is_none());
        assert_eq!(decode(&[0x1B, 0x41]), "A");
        assert_eq!(decode(&[0x41, 0x1B]), "A ");
    }

    #[test]
    fn fill_bits_align_after_a_header() {
        let s = encode("abc").unwrap();
        let mut p = Vec::new();
        pack(&s, 1, &mut p);
        assert_eq!(unpack(&p, 1, 3).unwrap(), s);
        assert!(unpack(&p, 1, 4).is_none());
    }
}
