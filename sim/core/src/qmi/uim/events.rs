//! Register Events (0x002E), refresh registration (0x002A, 0x0044), Refresh
//! Complete (0x002C) and the Card Status indication (0x0032).

use super::card::card_status;
use super::session::{read_file_ref, session_reach, FileRef};
use super::ClientState;
use crate::model::Device;
use crate::qmi::{Indication, Reply, Req, Tlvs};
use crate::wire::ProtocolError;

pub const CARD_STATUS_INDICATION: u16 = 0x0032;

/// QmiUimEventRegistrationFlag bits.
pub mod event {
    pub const CARD_STATUS: u32 = 0x01;
}

/// Events this firmware can report: card status only. It has no SAP, no
/// extended card status and, being single-slot, no physical slot status.
const REGISTRABLE: u32 = event::CARD_STATUS;

pub fn register_events(req: &Req<'_>, client: &mut ClientState) -> Reply {
    let mask = req.parse_need(0x01, |r| r.u32("event mask"))?;
    client.events = mask & REGISTRABLE;
    let mut r = Tlvs::new();
    r.u32(0x10, client.events);
    Ok(r)
}

/// Refresh registration works with or without a card: it is how a host
/// hears about a card being swapped in.
pub fn refresh_register(req: &Req<'_>, client: &mut ClientState) -> Reply {
    session_reach(req)?;
    let (register, _vote, files) = req.parse_need(0x02, |r| {
        let register = r.u8("register")?;
        let vote = r.u8("vote for init")?;
        let n = r.u16("file count")?;
        let files = (0..n)
            .map(|_| read_file_ref(r))
            .collect::<crate::wire::Result<Vec<FileRef>>>()?;
        Ok((register, vote, files))
    })?;
    for f in files {
        client.refresh_files.retain(|g| *g != f);
        if register != 0 {
            client.refresh_files.push(f);
        }
    }
    Ok(Tlvs::new())
}

pub fn refresh_register_all(req: &Req<'_>, client: &mut ClientState) -> Reply {
    session_reach(req)?;
    let register = req.parse_need(0x02, |r| r.u8("register"))?;
    client.refresh_all = register != 0;
    Ok(Tlvs::new())
}

/// This card never starts a refresh, so there is none to complete.
pub fn refresh_complete(req: &Req<'_>) -> Reply {
    session_reach(req)?;
    req.parse_need(0x02, |r| r.u8("refresh success"))?;
    Err(ProtocolError::NoEffect.into())
}

/// Card Status indications for the clients that registered for them.
pub fn card_status_indications<'a>(
    clients: impl Iterator<Item = (&'a u8, &'a ClientState)>,
    dev: &Device,
    out: &mut Vec<Indication>,
) {
    let mut tlvs = Tlvs::new();
    tlvs.push(0x10, card_status(&dev.sim));
    for (&client, st) in clients {
        if st.events & event::CARD_STATUS != 0 {
            out.push(Indication {
                client,
                id: CARD_STATUS_INDICATION,
                tlvs: tlvs.clone(),
            });
        }
    }
}
