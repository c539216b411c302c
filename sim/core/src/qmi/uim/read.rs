//! Read Transparent (0x0020), Read Record (0x0021) and Get File Attributes
//! (0x0024) over the simulated file system.

use super::files::{card_files, find, CardError, File};
use super::session::{parse_file, resolve, Reach};
use crate::qmi::{Ctx, Failure, Reply, Req, Tlvs};
use crate::wire::ProtocolError;

const SW_OK: [u8; 2] = [0x90, 0x00];

/// A refused file operation: the QMI error plus the card's status words.
fn card_failure(e: CardError) -> Failure {
    let mut t = Tlvs::new();
    t.push(0x10, [e.sw.0, e.sw.1]);
    Failure::with_tlvs(e.error, t)
}

/// Resolves session and file, then runs `op` on the file.
fn with_file<T>(
    req: &Req<'_>,
    ctx: &Ctx<'_>,
    op: impl FnOnce(&File, bool) -> Result<T, CardError>,
) -> Result<T, Failure> {
    let reach = resolve(req, &ctx.dev.sim)?;
    let file = parse_file(req)?;
    let files = card_files(&ctx.dev.profile);
    // PIN1-protected files open once the card no longer asks for a code.
    let verified = ctx.dev.sim.is_ready();
    find(&files, file.id, &file.path, reach == Reach::Usim)
        .and_then(|f| op(f, verified))
        .map_err(card_failure)
}

/// Read results carry a u16 length before the bytes.
fn data(w: &mut crate::wire::tlv::Writer, bytes: &[u8]) {
    w.u16(bytes.len() as u16).bytes(bytes);
}

// The optional "response in indication" token asks for the result in a
// later indication; the answer here is always immediate, so it is accepted
// and not echoed (echoing it would promise an indication).

pub fn read_transparent(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let (offset, len) =
        req.parse_need(0x03, |r| Ok((r.u16("read offset")?, r.u16("read length")?)))?;
    req.u32(0x10)?;
    if req.u8(0x11)?.is_some_and(|e| e != 0) {
        // Encrypted IMSI reads need keys this card does not have.
        return Err(ProtocolError::NotSupported.into());
    }
    let bytes = with_file(req, ctx, |f, v| f.read_binary(offset, len, v))?;
    let mut r = Tlvs::new();
    r.push(0x10, SW_OK).with(0x11, |w| data(w, &bytes));
    Ok(r)
}

pub fn read_record(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let (number, len) = req.parse_need(0x03, |r| {
        Ok((r.u16("record number")?, r.u16("record length")?))
    })?;
    let last = req.u16(0x10)?;
    req.u32(0x11)?;
    if last.is_some_and(|l| l < number) {
        return Err(ProtocolError::InvalidArgument.into());
    }
    let (first, more) = with_file(req, ctx, |f, v| {
        let first = f.read_record(number, len, v)?;
        let mut more = Vec::new();
        for n in number.saturating_add(1)..=last.unwrap_or(number) {
            more.extend(f.read_record(n, len, v)?);
        }
        Ok((first, more))
    })?;
    let mut r = Tlvs::new();
    r.push(0x10, SW_OK).with(0x11, |w| data(w, &first));
    if last.is_some() {
        r.with(0x12, |w| data(w, &more));
    }
    Ok(r)
}

pub fn get_file_attributes(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    req.u32(0x10)?;
    // SELECT needs no PIN: attributes are there even on a locked card.
    let attrs = with_file(req, ctx, |f, _| Ok(f.attributes()))?;
    let mut r = Tlvs::new();
    r.push(0x10, SW_OK).push(0x11, attrs);
    Ok(r)
}
