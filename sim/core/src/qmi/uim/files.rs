//! A small simulated card file system, encoded from the profile on demand.
//!
//! Only the files ModemManager and qmicli ask for exist: EF_ICCID under the
//! MF, and EF_IMSI, EF_AD, EF_SPN and EF_MSISDN under the USIM ADF. The
//! profile carries no group identifiers, so EF_GID1/EF_GID2 are absent, as
//! on cards without that service.

use crate::model::Profile;
use crate::wire::ProtocolError;

pub const MF: u16 = 0x3F00;
/// The "current ADF" alias: the application of the session.
pub const ADF: u16 = 0x7FFF;

/// Who may run an operation on a file (the card's access conditions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Always,
    Pin1,
    Adm,
    Never,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Transparent(Vec<u8>),
    /// Linear fixed: records of one length.
    Records {
        len: usize,
        records: Vec<Vec<u8>>,
    },
    /// The MF or an ADF.
    Directory,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub id: u16,
    /// Parent DFs from the MF down (empty for the MF itself).
    pub parent: &'static [u16],
    pub body: Body,
    pub read: Access,
    pub update: Access,
    /// Short file identifier, where 3GPP assigns one.
    pub sfi: Option<u8>,
}

/// A card status word with the QMI error a modem reports alongside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardError {
    pub sw: (u8, u8),
    pub error: ProtocolError,
}

pub const FILE_NOT_FOUND: CardError = CardError {
    sw: (0x6A, 0x82),
    error: ProtocolError::SimFileNotFound,
};
pub const SECURITY_NOT_SATISFIED: CardError = CardError {
    sw: (0x69, 0x82),
    error: ProtocolError::AccessDenied,
};
pub const WRONG_FILE_STRUCTURE: CardError = CardError {
    sw: (0x69, 0x81),
    error: ProtocolError::InvalidArgument,
};
pub const WRONG_OFFSET: CardError = CardError {
    sw: (0x6B, 0x00),
    error: ProtocolError::InvalidArgument,
};
pub const WRONG_LENGTH: CardError = CardError {
    sw: (0x67, 0x00),
    error: ProtocolError::InvalidArgument,
};
pub const RECORD_NOT_FOUND: CardError = CardError {
    sw: (0x6A, 0x83),
    error: ProtocolError::InvalidArgument,
};

/// Length of the alpha identifier in each EF_MSISDN record.
const MSISDN_ALPHA_LEN: usize = 14;

/// The card's files for `p`.
pub fn card_files(p: &Profile) -> Vec<File> {
    let sim = &p.sim;
    vec![
        File {
            id: MF,
            parent: &[],
            body: Body::Directory,
            read: Access::Always,
            update: Access::Adm,
            sfi: None,
        },
        File {
            id: 0x2FE2,
            parent: &[MF],
            body: Body::Transparent(ef_iccid(&sim.iccid)),
            read: Access::Always,
            update: Access::Never,
            sfi: Some(0x02),
        },
        File {
            id: ADF,
            parent: &[MF],
            body: Body::Directory,
            read: Access::Always,
            update: Access::Adm,
            sfi: None,
        },
        File {
            id: 0x6F07,
            parent: &[MF, ADF],
            body: Body::Transparent(ef_imsi(&sim.imsi)),
            read: Access::Pin1,
            update: Access::Adm,
            sfi: Some(0x07),
        },
        File {
            id: 0x6FAD,
            parent: &[MF, ADF],
            body: Body::Transparent(ef_ad(p.network.mnc.len() as u8)),
            read: Access::Always,
            update: Access::Adm,
            sfi: Some(0x03),
        },
        File {
            id: 0x6F46,
            parent: &[MF, ADF],
            body: Body::Transparent(ef_spn(&sim.spn)),
            read: Access::Always,
            update: Access::Adm,
            sfi: None,
        },
        File {
            id: 0x6F40,
            parent: &[MF, ADF],
            body: Body::Records {
                len: MSISDN_ALPHA_LEN + 14,
                records: vec![ef_msisdn_record(&sim.msisdn)],
            },
            read: Access::Pin1,
            update: Access::Pin1,
            sfi: None,
        },
    ]
}

/// Finds `id` under `path` (parent DFs as the host wrote them). Without an
/// application (`app == false`) only the MF and its EFs are reachable.
pub fn find<'f>(
    files: &'f [File],
    id: u16,
    path: &[u16],
    app: bool,
) -> Result<&'f File, CardError> {
    let f = files
        .iter()
        .find(|f| f.id == id && f.parent == path)
        .ok_or(FILE_NOT_FOUND)?;
    let in_adf = f.id == ADF || f.parent.contains(&ADF);
    if in_adf && !app {
        return Err(FILE_NOT_FOUND);
    }
    Ok(f)
}

fn allowed(a: Access, pin_verified: bool) -> bool {
    match a {
        Access::Always => true,
        Access::Pin1 => pin_verified,
        Access::Adm | Access::Never => false,
    }
}

impl File {
    pub fn size(&self) -> usize {
        match &self.body {
            Body::Transparent(b) => b.len(),
            Body::Records { len, records } => len * records.len(),
            Body::Directory => 0,
        }
    }

    /// READ BINARY: `len == 0` reads to the end of the file.
    pub fn read_binary(
        &self,
        offset: u16,
        len: u16,
        pin_verified: bool,
    ) -> Result<Vec<u8>, CardError> {
        let Body::Transparent(data) = &self.body else {
            return Err(WRONG_FILE_STRUCTURE);
        };
        if !allowed(self.read, pin_verified) {
            return Err(SECURITY_NOT_SATISFIED);
        }
        let start = offset as usize;
        if start > data.len() {
            return Err(WRONG_OFFSET);
        }
        let end = match len {
            0 => data.len(),
            n => start + n as usize,
        };
        data.get(start..end).map(<[u8]>::to_vec).ok_or(WRONG_LENGTH)
    }

    /// READ RECORD (1-based): `len == 0` reads the whole record.
    pub fn read_record(
        &self,
        number: u16,
        len: u16,
        pin_verified: bool,
    ) -> Result<Vec<u8>, CardError> {
        let Body::Records {
            len: rec_len,
            records,
        } = &self.body
        else {
            return Err(WRONG_FILE_STRUCTURE);
        };
        if !allowed(self.read, pin_verified) {
            return Err(SECURITY_NOT_SATISFIED);
        }
        let rec = (number as usize)
            .checked_sub(1)
            .and_then(|i| records.get(i))
            .ok_or(RECORD_NOT_FOUND)?;
        match len as usize {
            0 => Ok(rec.clone()),
            n if n <= *rec_len => Ok(rec[..n].to_vec()),
            _ => Err(WRONG_LENGTH),
        }
    }

    /// The QMI File Attributes TLV value (Get File Attributes 0x11).
    pub fn attributes(&self) -> Vec<u8> {
        use crate::wire::tlv::Writer;
        // QMI file types: 0 transparent, 2 linear fixed, 3 DF, 4 MF.
        let (ty, rec_size, rec_count) = match &self.body {
            Body::Transparent(_) => (0u8, 0u16, 0u16),
            Body::Records { len, records } => (2, *len as u16, records.len() as u16),
            Body::Directory if self.id == MF => (4, 0, 0),
            Body::Directory => (3, 0, 0),
        };
        let fcp = self.fcp();
        let mut w = Writer::new();
        w.u16(self.size() as u16).u16(self.id).u8(ty);
        w.u16(rec_size).u16(rec_count);
        let never = Access::Never;
        for a in [self.read, self.update, never, Access::Adm, Access::Adm] {
            let (logic, mask) = security(a);
            w.u8(logic).u16(mask);
        }
        w.u16(fcp.len() as u16).bytes(&fcp);
        w.into_vec()
    }

    /// The FCP template the card returns on SELECT (ETSI TS 102 221 11.1.1.3).
    fn fcp(&self) -> Vec<u8> {
        let mut t: Vec<u8> = Vec::new();
        let mut put = |tag: u8, v: &[u8]| {
            t.push(tag);
            t.push(v.len() as u8);
            t.extend_from_slice(v);
        };
        match &self.body {
            Body::Transparent(_) => put(0x82, &[0x41, 0x21]),
            Body::Records { len, records } => {
                let l = (*len as u16).to_be_bytes();
                put(0x82, &[0x42, 0x21, l[0], l[1], records.len() as u8])
            }
            Body::Directory => put(0x82, &[0x78, 0x21]),
        }
        put(0x83, &self.id.to_be_bytes());
        if let Some(sfi) = self.sfi {
            put(0x88, &[sfi << 3]);
        }
        // Life cycle: operational, activated.
        put(0x8A, &[0x05]);
        if !matches!(self.body, Body::Directory) {
            put(0x80, &(self.size() as u16).to_be_bytes());
        }
        let mut out = vec![0x62, t.len() as u8];
        out.extend(t);
        out
    }
}

/// QMI security attribute (logic, mask): logic 0 always, 1 never, 4 single;
/// mask bits 0x1 PIN1, 0x8 ADM.
fn security(a: Access) -> (u8, u16) {
    match a {
        Access::Always => (0, 0),
        Access::Never => (1, 0),
        Access::Pin1 => (4, 0x0001),
        Access::Adm => (4, 0x0008),
    }
}

fn digit(c: u8) -> u8 {
    if c.is_ascii_digit() {
        c - b'0'
    } else {
        0xF
    }
}

/// Digits as swapped-nibble BCD (first digit in the low nibble), padded
/// with F nibbles and then 0xFF bytes to `len` bytes.
fn bcd(digits: &[u8], len: usize) -> Vec<u8> {
    let mut out: Vec<u8> = digits
        .chunks(2)
        .map(|p| digit(p[0]) | (p.get(1).map_or(0xF, |&d| digit(d)) << 4))
        .collect();
    out.resize(len, 0xFF);
    out.truncate(len);
    out
}

/// EF_ICCID: 10 bytes of swapped-nibble BCD.
pub fn ef_iccid(iccid: &str) -> Vec<u8> {
    bcd(iccid.as_bytes(), 10)
}

/// EF_IMSI (TS 31.102 4.2.2): a length byte, then the parity nibble (9 odd,
/// 1 even digit count) followed by the digits, all as swapped BCD.
pub fn ef_imsi(imsi: &str) -> Vec<u8> {
    let d = imsi.as_bytes();
    let parity = if d.len() % 2 == 1 { b'9' } else { b'1' };
    let mut nibbles = vec![parity];
    nibbles.extend_from_slice(d);
    let body = bcd(&nibbles, 8);
    let used = nibbles.len().div_ceil(2) as u8;
    let mut out = vec![used];
    out.extend(body);
    out
}

/// EF_AD: normal operation, no extra info, then the MNC length.
pub fn ef_ad(mnc_len: u8) -> Vec<u8> {
    vec![0x00, 0x00, 0x00, mnc_len]
}

/// A character in the GSM 7-bit default alphabet (unpacked, as in EF_SPN).
fn gsm7(c: char) -> u8 {
    match c {
        'A'..='Z' | 'a'..='z' | '0'..='9' | ' ' => c as u8,
        '!' | '"' | '#' | '%' | '&' | '\'' | '(' | ')' | '*' | '+' | ',' | '-' | '.' | '/' => {
            c as u8
        }
        ':' | ';' | '<' | '=' | '>' | '?' => c as u8,
        '@' => 0x00,
        '$' => 0x02,
        '_' => 0x11,
        _ => b'?',
    }
}

/// EF_SPN: display condition, then 16 bytes of name, 0xFF padded.
pub fn ef_spn(spn: &str) -> Vec<u8> {
    let mut out = vec![0x00];
    out.extend(spn.chars().take(16).map(gsm7));
    out.resize(17, 0xFF);
    out
}

/// One EF_MSISDN record (TS 31.102 4.2.26): alpha identifier, BCD length,
/// TON/NPI, 10 bytes of number, capability and extension ids.
pub fn ef_msisdn_record(msisdn: &str) -> Vec<u8> {
    let mut out = vec![0xFF; MSISDN_ALPHA_LEN];
    let (ton_npi, digits) = match msisdn.strip_prefix('+') {
        Some(rest) => (0x91, rest),
        None => (0x81, msisdn),
    };
    let digits: Vec<u8> = digits.bytes().filter(u8::is_ascii_digit).take(20).collect();
    if digits.is_empty() {
        out.extend([0xFF; 14]);
        return out;
    }
    out.push(1 + digits.len().div_ceil(2) as u8);
    out.push(ton_npi);
    out.extend(bcd(&digits, 10));
    out.extend([0xFF, 0xFF]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iccid_is_swapped_bcd() {
        assert_eq!(
            ef_iccid("89490200001234567892"),
            [0x98, 0x94, 0x20, 0x00, 0x00, 0x21, 0x43, 0x65, 0x87, 0x29]
        );
        // 19 digits: the last nibble pair is padded with F.
        assert_eq!(ef_iccid("8901234567890123456")[9], 0xF6);
    }

    #[test]
    fn imsi_has_length_and_parity() {
        assert_eq!(
            ef_imsi("001010123456789"),
            [0x08, 0x09, 0x10, 0x10, 0x10, 0x32, 0x54, 0x76, 0x98]
        );
        // Even digit count: parity nibble 1, last high nibble F.
        assert_eq!(
            ef_imsi("00101012345678"),
            [0x08, 0x01, 0x10, 0x10, 0x10, 0x32, 0x54, 0x76, 0xF8]
        );
    }

    #[test]
    fn spn_and_msisdn() {
        let spn = ef_spn("vmodem");
        assert_eq!(spn.len(), 17);
        assert_eq!(&spn[1..7], b"vmodem");
        assert_eq!(spn[7], 0xFF);
        let r = ef_msisdn_record("+15555550123");
        assert_eq!(r.len(), 28);
        assert_eq!(&r[14..18], &[7, 0x91, 0x51, 0x55]);
        assert_eq!(r[21], 0xF3);
    }

    #[test]
    fn lookup_respects_the_application() {
        let files = card_files(&Profile::default());
        assert!(find(&files, 0x2FE2, &[MF], false).is_ok());
        assert_eq!(find(&files, 0x6F07, &[MF, ADF], false), Err(FILE_NOT_FOUND));
        let imsi = find(&files, 0x6F07, &[MF, ADF], true).unwrap();
        assert_eq!(imsi.read_binary(0, 0, false), Err(SECURITY_NOT_SATISFIED));
        assert_eq!(imsi.read_binary(1, 2, true).unwrap(), [0x09, 0x10]);
        assert_eq!(imsi.read_binary(8, 2, true), Err(WRONG_LENGTH));
        assert_eq!(imsi.read_record(1, 0, true), Err(WRONG_FILE_STRUCTURE));
        assert_eq!(find(&files, 0x6F3E, &[MF, ADF], true), Err(FILE_NOT_FOUND));
    }
}
