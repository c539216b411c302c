//! QMI over MBIM: QMUX frames a host sends in MBIM's QMI service (CID
//! MSG) reach the same QMI engine as the QMI composition's control
//! channel. The response goes back as that command's COMMAND_DONE; the
//! indications of clients allocated this way go out as INDICATE_STATUS.

use super::Modem;
use crate::time::Instant;
use crate::wire::qmi::{Message, MessageKind};
use crate::wire::ServiceId;
use std::collections::BTreeSet;

/// Where the engine's QMI output goes while the MBIM function carries it.
#[derive(Debug, Default)]
pub(super) struct Tunnel {
    /// The MBIM transaction of the frame being handled, and whether its
    /// response went out.
    current: Option<(u32, bool)>,
    /// (service, client) of the QMI clients allocated through MBIM.
    clients: BTreeSet<(u8, u8)>,
}

impl Tunnel {
    /// The firmware restarted: every client is gone.
    pub(super) fn clear(&mut self) {
        self.clients.clear();
    }
}

impl Modem {
    /// Handles the QMUX frames the MBIM function took in its QMI service.
    pub(super) fn serve_qmi_over_mbim(&mut self, now: Instant) {
        while let Some((txn, frame)) = self.mbim.take_qmi() {
            let before = self.client_set();
            let unanswerable = self.stats.unanswerable;
            self.tunnel.current = Some((txn, false));
            self.handle_qmi(&frame, now);
            let answered = matches!(self.tunnel.current.take(), Some((_, true)));
            if !answered && self.stats.unanswerable > unanswerable {
                self.mbim.qmi_done(txn, None);
            }
            // Clients allocated or released by this frame (CTL).
            let after = self.client_set();
            for c in after.difference(&before) {
                self.tunnel.clients.insert(*c);
            }
            for c in before.difference(&after) {
                self.tunnel.clients.remove(c);
            }
        }
    }

    fn client_set(&self) -> BTreeSet<(u8, u8)> {
        self.clients
            .services()
            .flat_map(|(s, cs)| cs.iter().map(move |&c| (s.0, c)))
            .collect()
    }

    /// Sends a frame on through MBIM if it belongs there: the response to
    /// the frame being handled, or an indication for a client allocated
    /// through MBIM (a broadcast one, while any such client of its
    /// service exists, goes both ways). Returns it if the QMI channel
    /// should have it too.
    pub(super) fn route_over_mbim(&mut self, frame: Vec<u8>) -> Option<Vec<u8>> {
        if self.tunnel.current.is_none() && self.tunnel.clients.is_empty() {
            return Some(frame);
        }
        let Ok(m) = Message::parse(&frame) else {
            return Some(frame);
        };
        match (m.kind, &mut self.tunnel.current) {
            (MessageKind::Response, Some((txn, answered))) => {
                *answered = true;
                let txn = *txn;
                self.mbim.qmi_done(txn, Some(frame));
                None
            }
            (MessageKind::Indication, _) => {
                let s = m.service.0;
                let broadcast = m.client == crate::qmi::BROADCAST
                    || (m.service == ServiceId::Ctl && m.client == 0);
                let ours = if broadcast {
                    self.tunnel.clients.iter().any(|&(cs, _)| cs == s)
                        || m.service == ServiceId::Ctl && !self.tunnel.clients.is_empty()
                } else {
                    self.tunnel.clients.contains(&(s, m.client))
                };
                if !ours {
                    return Some(frame);
                }
                self.mbim.qmi_indication(frame.clone());
                broadcast.then_some(frame)
            }
            _ => Some(frame),
        }
    }
}
