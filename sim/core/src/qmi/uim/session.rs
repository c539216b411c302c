//! The Session (0x01) and File (0x02) request TLVs, and what a session
//! reaches on this single-slot, single-application card.

use super::card::USIM_AID;
use crate::model::{Sim, SimState};
use crate::qmi::{Failure, Req};
use crate::wire::ProtocolError;

/// QmiUimSessionType values this card can serve.
pub mod session_type {
    pub const PRIMARY_GW_PROVISIONING: u8 = 0;
    pub const NON_PROVISIONING_SLOT_1: u8 = 4;
    pub const CARD_SLOT_1: u8 = 6;
}

/// What a session gives access to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The card itself: the MF and its files, card-level PINs.
    Card,
    /// The USIM application, its ADF included.
    Usim,
}

/// Parses the mandatory Session TLV: session type and AID.
pub fn parse_session<'a>(req: &Req<'a>) -> Result<(u8, &'a [u8]), Failure> {
    req.parse_need(0x01, |r| Ok((r.u8("session type")?, r.str_u8("aid")?)))
}

/// What the request's session would reach, whether or not a card is in.
pub fn session_reach(req: &Req<'_>) -> Result<Reach, Failure> {
    let (ty, aid) = parse_session(req)?;
    use session_type::*;
    Ok(match ty {
        PRIMARY_GW_PROVISIONING => Reach::Usim,
        CARD_SLOT_1 => Reach::Card,
        NON_PROVISIONING_SLOT_1 if aid == USIM_AID => Reach::Usim,
        // 1X and secondary provisioning sessions have no application here,
        // slots 2-5 do not exist and no logical channel is open.
        _ => return Err(ProtocolError::InvalidArgument.into()),
    })
}

/// Resolves the request's session against the card in `sim`.
pub fn resolve(req: &Req<'_>, sim: &Sim) -> Result<Reach, Failure> {
    let reach = session_reach(req)?;
    if sim.state == SimState::Absent {
        return Err(ProtocolError::UimUninitialized.into());
    }
    Ok(reach)
}

/// A file named by id and by its parent DFs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRef {
    pub id: u16,
    pub path: Vec<u16>,
}

/// Parses a `file_id u16, path_len u8, path` structure: the path is a
/// list of little-endian u16 DF ids.
pub fn read_file_ref(r: &mut crate::wire::tlv::Reader<'_>) -> crate::wire::Result<FileRef> {
    let id = r.u16("file id")?;
    let raw = r.str_u8("file path")?;
    if raw.len() % 2 != 0 {
        return Err(crate::wire::Error::BadLength("file path"));
    }
    let path = raw
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    Ok(FileRef { id, path })
}

/// The mandatory File TLV (0x02).
pub fn parse_file(req: &Req<'_>) -> Result<FileRef, Failure> {
    req.parse_need(0x02, read_file_ref)
}
