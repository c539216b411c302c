//! Tests across QMI services, and the host rig the services' own engine
//! tests share.

mod location;

use crate::model::Profile;
use crate::time::Instant;
use crate::wire::qmi::{Message, MessageKind};
use crate::wire::qmux::Sender;
use crate::wire::tlv::Tlv;
use crate::wire::{MessageId, ServiceId};
use crate::Modem;

/// A host driving a whole engine over QMUX: requests in, every frame out.
pub(crate) struct Host {
    pub m: Modem,
    pub now: u64,
    txn: u16,
}

impl Host {
    pub fn new(profile: Profile, seed: u64) -> Host {
        Host {
            m: Modem::new(profile, seed, Instant::ZERO),
            now: 0,
            txn: 0,
        }
    }

    /// Sends one request and returns everything that came out.
    pub fn send(
        &mut self,
        service: ServiceId,
        client: u8,
        id: u16,
        tlvs: Vec<Tlv>,
    ) -> Vec<Message> {
        self.txn += 1;
        let msg = Message {
            sender: Sender::Host,
            service,
            client,
            kind: MessageKind::Request,
            // CTL's transaction IDs are one byte.
            txn: if service == ServiceId::Ctl {
                self.txn & 0xFF
            } else {
                self.txn
            },
            id: MessageId(id),
            tlvs,
        };
        self.m
            .handle_qmi(&msg.to_bytes(), Instant::from_millis(self.now));
        self.drain()
    }

    pub fn drain(&mut self) -> Vec<Message> {
        std::iter::from_fn(|| self.m.poll_qmi())
            .map(|f| Message::parse(&f).unwrap())
            .collect()
    }

    /// A client of `svc` (CTL Allocate Client ID).
    pub fn client(&mut self, svc: ServiceId) -> u8 {
        let out = self.send(ServiceId::Ctl, 0, 0x0022, vec![Tlv::new(0x01, [svc.0])]);
        out[0].tlv(0x01).unwrap()[1]
    }
}
