//! The whole modem under a hostile host: arbitrary sequences of control
//! transfers, serial writes, data packets, time and reads.

use super::{check_invariants, default_profile};
use crate::time::{Duration, Instant};
use crate::wire::qmi::{Message, MessageKind};
use crate::wire::qmux::Sender;
use crate::wire::tlv::Tlv;
use crate::wire::ServiceId;
use crate::{Modem, SerialPort};
use arbitrary::{Arbitrary, Unstructured};

/// Longest sequence one input runs, so every input finishes quickly.
const MAX_STEPS: usize = 256;

/// Services the EM7305 serves, so that most requests reach one.
const SERVICES: [ServiceId; 6] = [
    ServiceId::Ctl,
    ServiceId::Wds,
    ServiceId::Dms,
    ServiceId::Nas,
    ServiceId::Uim,
    ServiceId::Wda,
];

#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Port {
    Dm,
    Nmea,
    At,
}

impl From<Port> for SerialPort {
    fn from(p: Port) -> SerialPort {
        match p {
            Port::Dm => SerialPort::Dm,
            Port::Nmea => SerialPort::Nmea,
            Port::At => SerialPort::At,
        }
    }
}

/// One thing a host does.
#[derive(Debug, Clone, Arbitrary)]
pub enum Step {
    /// Any bytes as one cdc-wdm transfer.
    QmiFrame(Vec<u8>),
    /// A well-framed request: service from [`SERVICES`] (or any, when the
    /// index is past them), client an allocated one when `client` is small.
    QmiRequest {
        service: u8,
        client: u8,
        txn: u16,
        id: u16,
        tlvs: Vec<(u8, Vec<u8>)>,
    },
    /// CTL Allocate/Release Client ID for a known service.
    Allocate {
        service: u8,
    },
    Release {
        service: u8,
        client: u8,
    },
    Serial {
        port: Port,
        bytes: Vec<u8>,
    },
    Open {
        port: Port,
        open: bool,
    },
    Data(Vec<u8>),
    /// Simulated time moves on by this many milliseconds.
    Advance(u16),
    /// The host reads everything waiting for it.
    Drain,
}

/// Runs the steps the input decodes to, checking the invariants after each.
pub fn modem_sequence(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let mut m = Modem::new(default_profile().clone(), 0, Instant::ZERO);
    let mut now = Instant::ZERO;
    for _ in 0..MAX_STEPS {
        if u.is_empty() {
            break;
        }
        let Ok(step) = Step::arbitrary(&mut u) else {
            break;
        };
        apply(&mut m, &mut now, step);
        check_invariants(&m);
    }
    drain(&mut m);
}

fn service(i: u8) -> ServiceId {
    SERVICES
        .get(i as usize)
        .copied()
        .unwrap_or(ServiceId(i.wrapping_sub(SERVICES.len() as u8)))
}

/// Runs one step (public so that the invariant tests share it).
pub fn apply(m: &mut Modem, now: &mut Instant, step: Step) {
    match step {
        Step::QmiFrame(f) => m.handle_qmi(&f, *now),
        Step::QmiRequest {
            service: s,
            client,
            txn,
            id,
            tlvs,
        } => {
            let svc = service(s);
            let clients = m.clients().clients(svc);
            let client = match clients.get(client as usize % 64) {
                Some(&c) if client < 64 => c,
                _ => client,
            };
            let tlvs = tlvs.into_iter().map(|(t, v)| Tlv::new(t, v)).collect();
            let msg = Message::request(svc, client, txn, id, tlvs);
            // A request too big for one QMUX frame is not a frame.
            if msg.buffer_len() <= usize::from(u16::MAX) {
                m.handle_qmi(&msg.to_bytes(), *now);
            }
        }
        Step::Allocate { service: s } => {
            let tlvs = vec![Tlv::new(1, vec![service(s).0])];
            let f = Message::request(ServiceId::Ctl, 0, 1, 0x22, tlvs).to_bytes();
            m.handle_qmi(&f, *now);
        }
        Step::Release { service: s, client } => {
            let svc = service(s);
            let client = m
                .clients()
                .clients(svc)
                .get(client as usize)
                .copied()
                .unwrap_or(client);
            let tlvs = vec![Tlv::new(1, vec![svc.0, client])];
            let f = Message::request(ServiceId::Ctl, 0, 2, 0x23, tlvs).to_bytes();
            m.handle_qmi(&f, *now);
        }
        Step::Serial { port, bytes } => m.handle_serial(port.into(), &bytes, *now),
        Step::Open { port, open } => m.set_serial_open(port.into(), open, *now),
        Step::Data(p) => m.handle_data(&p, *now),
        Step::Advance(ms) => {
            *now = *now + Duration::from_millis(u64::from(ms));
            m.handle_timeout(*now);
        }
        Step::Drain => drain(m),
    }
}

/// Reads everything, checking that each QMI frame is one the modem may send.
pub fn drain(m: &mut Modem) {
    while let Some(f) = m.poll_qmi() {
        let msg = Message::parse(&f).expect("the modem sends well-formed frames");
        assert_eq!(msg.sender, Sender::Modem);
        assert_ne!(msg.kind, MessageKind::Request);
        if msg.kind == MessageKind::Response {
            assert!(msg.result().is_some(), "every response carries a result");
        }
    }
    for p in SerialPort::ALL {
        while m.poll_serial(p).is_some() {}
    }
    while m.poll_data().is_some() {}
    while m.poll_event().is_some() {}
}
