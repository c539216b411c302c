//! Get Supported Messages, asked over the engine, lists exactly the
//! requests each service answers: every message ID is sent to every
//! service, and only the listed ones get anything but InvalidQmiCommand.
//! Scenario trigger names cover the same set.

use std::collections::BTreeSet;
use vmodem_core::model::Profile;
use vmodem_core::scenario::names::parse_request;
use vmodem_core::time::Instant;
use vmodem_core::wire::qmi::Message;
use vmodem_core::wire::{ProtocolError, ServiceId};
use vmodem_core::Modem;

const GET_SUPPORTED_MESSAGES: u16 = 0x001E;
const ALLOCATE_CID: u16 = 0x0022;

fn t(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

struct Host {
    m: Modem,
    txn: u16,
}

impl Host {
    fn ask(
        &mut self,
        service: ServiceId,
        client: u8,
        id: u16,
        tlvs: Vec<(u8, Vec<u8>)>,
    ) -> Message {
        self.txn = self.txn.wrapping_add(1).max(1);
        let tlvs = tlvs
            .into_iter()
            .map(|(ty, v)| vmodem_core::wire::tlv::Tlv::new(ty, v))
            .collect();
        let req = Message::request(service, client, self.txn, id, tlvs);
        self.m.handle_qmi(&req.to_bytes(), t(1));
        let r = self.m.poll_qmi().expect("every request is answered");
        while self.m.poll_qmi().is_some() {}
        Message::parse(&r).unwrap()
    }

    fn client(&mut self, service: ServiceId) -> u8 {
        let r = self.ask(ServiceId::Ctl, 0, ALLOCATE_CID, vec![(1, vec![service.0])]);
        assert_eq!(r.result(), Some((0, 0)), "{service:?}");
        r.tlv(1).unwrap()[1]
    }
}

/// IDs set in a Get Supported Messages bitmap (TLV 0x10: u16 length, bits).
fn listed(r: &Message) -> BTreeSet<u16> {
    let v = r.tlv(0x10).expect("the list TLV");
    let n = u16::from_le_bytes([v[0], v[1]]) as usize;
    let bits = &v[2..2 + n];
    (0..n * 8)
        .filter(|i| bits[i / 8] & (1 << (i % 8)) != 0)
        .map(|i| i as u16)
        .collect()
}

const SERVICES: [(&str, ServiceId); 5] = [
    ("wds", ServiceId::Wds),
    ("dms", ServiceId::Dms),
    ("nas", ServiceId::Nas),
    ("uim", ServiceId::Uim),
    ("wda", ServiceId::Wda),
];

#[test]
fn supported_messages_are_the_handled_ones() {
    let mut h = Host {
        m: Modem::new(Profile::default(), 1, t(0)),
        txn: 0,
    };
    for (name, svc) in SERVICES {
        let cid = h.client(svc);
        let r = h.ask(svc, cid, GET_SUPPORTED_MESSAGES, vec![]);
        assert_eq!(r.result(), Some((0, 0)));
        let supported = listed(&r);
        assert!(supported.len() > 1, "{name}: {supported:?}");
        let mut handled = BTreeSet::new();
        for id in 0..=u16::MAX {
            let r = h.ask(svc, cid, id, vec![]);
            let invalid = r.result() == Some((1, ProtocolError::InvalidQmiCommand.0));
            if !invalid {
                handled.insert(id);
            }
        }
        assert_eq!(supported, handled, "{name}");
        // Every supported request can be named in a scenario trigger.
        let named: BTreeSet<u16> = supported
            .iter()
            .filter(|&&id| {
                vmodem_core::qmi::catalogue()
                    .iter()
                    .filter(|(_, s, _)| *s == svc)
                    .flat_map(|(_, _, l)| l.iter())
                    .any(|m| {
                        m.id == id
                            && parse_request(&format!("{name}/{}", m.name)).map(|r| r.message)
                                == Ok(id)
                    })
            })
            .copied()
            .collect();
        assert_eq!(named, supported, "{name}: every request has a trigger name");
    }
}

/// A name that does not belong to a service is refused, not matched to
/// another service's message.
#[test]
fn names_belong_to_their_service() {
    assert!(parse_request("wda/get-model").is_err());
    assert_eq!(parse_request("dms/get-model").unwrap().message, 0x0022);
    assert_eq!(parse_request("ctl/sync").unwrap().message, 0x0027);
}
