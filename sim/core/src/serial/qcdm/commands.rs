//! DIAG command codes and the responses an EM7305 gives to the few that
//! hosts use to identify it. Layouts follow libqcdm (version info, ESN,
//! error responses) and Qualcomm's public toolsdiag headers (extended build
//! ID); field values that no source gives are marked as chosen.

use crate::model::Profile;

pub const VERSION_INFO: u8 = 0x00;
pub const ESN: u8 = 0x01;
/// "Invalid command": the firmware echoes the request after this code.
pub const BAD_CMD: u8 = 0x13;
/// "Invalid packet length": echoed like BAD_CMD.
pub const BAD_LEN: u8 = 0x15;
pub const EXT_BUILD_ID: u8 = 0x7C;

/// The most of a rejected request that is echoed back.
pub const MAX_ECHO: usize = 1024;

/// Sierra's board id for the EM7305 (BSEM7305 in Sierra's SDK).
const EM7305_BOARD_ID: u32 = 0x0D;

/// Answers one DIAG request.
pub fn respond(req: &[u8], profile: &Profile) -> Vec<u8> {
    let Some(&code) = req.first() else {
        return error(BAD_LEN, req);
    };
    match code {
        VERSION_INFO | ESN | EXT_BUILD_ID if req.len() != 1 => error(BAD_LEN, req),
        VERSION_INFO => version_info(profile),
        ESN => esn(profile),
        EXT_BUILD_ID => ext_build_id(profile),
        _ => error(BAD_CMD, req),
    }
}

/// An error response: its code, then the request as received.
pub fn error(code: u8, req: &[u8]) -> Vec<u8> {
    let mut r = vec![code];
    r.extend_from_slice(&req[..req.len().min(MAX_ECHO)]);
    r
}

/// Copies `s` into a fixed, NUL-padded field of `n` bytes.
fn fixed(out: &mut Vec<u8>, s: &str, n: usize) {
    let b = s.as_bytes();
    let take = b.len().min(n);
    out.extend_from_slice(&b[..take]);
    out.resize(out.len() + n - take, 0);
}

/// Build date and time from a revision such as
/// `SWI9X15C_05.05.58.00 r27038 carmd-fwbuild1 2015/03/04 21:30:23`,
/// as DIAG prints them: `Mar 04 2015` and `21:30:23`.
pub fn build_stamp(revision: &str) -> (String, String) {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let words: Vec<&str> = revision.split_whitespace().collect();
    let date = words.iter().rev().find_map(|w| {
        let mut p = w.split('/');
        let (y, m, d) = (p.next()?, p.next()?, p.next()?);
        let m: usize = m.parse().ok()?;
        let month = MONTHS.get(m.checked_sub(1)?)?;
        (y.len() == 4 && d.len() == 2).then(|| format!("{month} {d} {y}"))
    });
    let time = words
        .iter()
        .rev()
        .find(|w| w.len() == 8 && w.as_bytes()[2] == b':' && w.as_bytes()[5] == b':');
    (
        date.unwrap_or_else(|| "Jan 01 1970".into()),
        time.map(|t| t.to_string())
            .unwrap_or_else(|| "00:00:00".into()),
    )
}

/// Version info: compile and release stamps, an 8-byte "model" field,
/// then CDMA identity bytes. The EM7305 has no CDMA, so those are zero;
/// the model field carries the firmware family (`SWI9X15C`), our choice.
fn version_info(p: &Profile) -> Vec<u8> {
    let (date, time) = build_stamp(&p.identity.revision);
    let family = p.identity.amss_version.split('_').next().unwrap_or("");
    let mut r = vec![VERSION_INFO];
    fixed(&mut r, &date, 11);
    fixed(&mut r, &time, 8);
    fixed(&mut r, &date, 11);
    fixed(&mut r, &time, 8);
    fixed(&mut r, family, 8);
    // scm, mob_cai_rev, mob_model, mob_firmware_rev (u16), slot cycle
    // index, msm_ver, one more byte.
    r.extend_from_slice(&[0, 0, EM7305_BOARD_ID as u8, 0, 0, 0, 0, 0]);
    r
}

/// ESN, little-endian. The profile's ESN is hex; "0" for the EM7305.
fn esn(p: &Profile) -> Vec<u8> {
    let esn = u32::from_str_radix(&p.identity.esn, 16).unwrap_or(0);
    let mut r = vec![ESN];
    r.extend_from_slice(&esn.to_le_bytes());
    r
}

/// Extended build ID: code, hw version format, 2 reserved, u32 MSM hardware
/// version, u32 mobile model id, then build id and model string, each
/// NUL-terminated. The MSM version is not known for the 9x15 and reads 0.
fn ext_build_id(p: &Profile) -> Vec<u8> {
    let mut r = vec![EXT_BUILD_ID, 0, 0, 0];
    r.extend_from_slice(&0u32.to_le_bytes());
    r.extend_from_slice(&EM7305_BOARD_ID.to_le_bytes());
    for s in [&p.identity.amss_version, &p.identity.model] {
        r.extend_from_slice(s.as_bytes());
        r.push(0);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_info_has_libqcdm_layout() {
        let p = Profile::default();
        let r = respond(&[VERSION_INFO], &p);
        // libqcdm requires at least sizeof(DMCmdVersionInfoRsp) = 55 bytes.
        assert_eq!(r.len(), 55);
        assert_eq!(r[0], 0);
        assert_eq!(&r[1..12], b"Mar 04 2015");
        assert_eq!(&r[12..20], b"21:30:23");
        assert_eq!(&r[39..47], b"SWI9X15C");
    }

    #[test]
    fn ext_build_id_strings() {
        let r = respond(&[EXT_BUILD_ID], &Profile::default());
        assert_eq!(&r[..4], &[0x7C, 0, 0, 0]);
        assert_eq!(&r[12..], b"SWI9X15C_05.05.58.00\0EM7305\0");
    }

    #[test]
    fn esn_is_zero_without_cdma() {
        assert_eq!(respond(&[ESN], &Profile::default()), vec![1, 0, 0, 0, 0]);
    }

    #[test]
    fn unknown_and_wrong_length_are_echoed() {
        let p = Profile::default();
        assert_eq!(respond(&[0x4B, 1, 2], &p), vec![0x13, 0x4B, 1, 2]);
        assert_eq!(respond(&[0x00, 9], &p), vec![0x15, 0x00, 9]);
        assert_eq!(respond(&[0x42; 5000], &p).len(), 1 + MAX_ECHO);
    }

    #[test]
    fn stamp_falls_back_on_odd_revisions() {
        assert_eq!(
            build_stamp("nonsense"),
            ("Jan 01 1970".to_string(), "00:00:00".to_string())
        );
        assert_eq!(build_stamp("x 2016/12/31 01:02:03").0, "Dec 31 2016");
    }
}
