//! Targets for the codecs alone: what they accept must round-trip, and
//! nothing may panic them.

use super::default_profile;
use crate::serial::at::parse;
use crate::serial::qcdm::{commands, DmPort};
use crate::time::{Duration, Instant};
use crate::usb::{ControlReply, Setup, WdmChannel};
use crate::wire::hdlc::{self as hdlc_codec, Deframer as HdlcDeframer};
use crate::wire::qmi::{Message, MessageKind, Salvage};
use crate::wire::qmux::{self as qmux_codec, Deframer as QmuxDeframer, Sender};
use crate::wire::tlv::{self as tlv_codec, Reader, TlvIter};
use crate::wire::RESYNC_IDLE;

/// QMUX framing: the checked view, and the stream deframer fed in pieces
/// whose sizes the input's first byte chooses.
pub fn qmux(data: &[u8]) {
    if let Ok(p) = qmux_codec::Packet::new_checked(data) {
        let r = qmux_codec::Repr::parse(&p).expect("a checked packet parses");
        assert_eq!(p.payload().len() + qmux_codec::HEADER_LEN, data.len());
        let mut again = vec![0u8; data.len()];
        r.emit(&mut again, p.payload().len())
            .expect("a parsed frame fits its length field");
        again[qmux_codec::HEADER_LEN..].copy_from_slice(p.payload());
        // Emit writes only the sender bit of the flags.
        again[3] = data[3];
        assert_eq!(again, data);
    }
    let step = data.first().map_or(1, |&b| (b as usize % 64) + 1);
    let mut d = QmuxDeframer::new();
    let mut out = 0usize;
    let mut t = Instant::ZERO;
    for chunk in data.chunks(step) {
        // The input's bytes also choose the pauses between reads.
        t = t + Duration::from_millis(u64::from(chunk[0] % 4) * 200);
        d.push(chunk, t);
        while let Some(f) = d.next_frame(t) {
            assert_eq!(f[0], qmux_codec::MARKER);
            let len = u16::from_le_bytes([f[1], f[2]]) as usize + 1;
            assert!(f.len() <= len, "a frame never runs past its own length");
            assert!(f.len() <= QmuxDeframer::MAX_FRAME);
            out += f.len();
        }
    }
    assert_eq!(
        out as u64 + d.skipped() + d.pending() as u64,
        data.len() as u64
    );
    // Resync: after whatever came, a pause, then a valid request: the
    // request comes out whole and nothing is left behind it.
    let request = qmux_request();
    let t = t + RESYNC_IDLE;
    d.push(&request, t);
    let mut last = None;
    while let Some(f) = d.next_frame(t) {
        last = Some(f);
    }
    assert_eq!(
        last.as_deref(),
        Some(&request[..]),
        "the request after a pause"
    );
    assert_eq!(d.pending(), 0);
    assert_eq!(d.poll_timeout(), None);
}

/// A CTL Get Version Info request, client 0, transaction 7.
pub fn qmux_request() -> Vec<u8> {
    vec![
        0x01, 0x0b, 0x00, 0x00, 0x00, 0x00, // QMUX: CTL, client 0
        0x00, 0x07, 0x21, 0x00, 0x00, 0x00, // CTL request, txn 7, Get Version Info
    ]
}

/// One QMI message: what parses re-emits to a frame that parses the same,
/// and a parsed request is salvaged with the same addressing.
pub fn qmi_message(data: &[u8]) {
    let salvage = Salvage::from_frame(data);
    let Ok(m) = Message::parse(data) else {
        return;
    };
    let bytes = m.to_bytes();
    assert_eq!(bytes.len(), m.buffer_len());
    assert_eq!(Message::parse(&bytes).as_ref(), Ok(&m));
    if m.sender == Sender::Host && m.kind == MessageKind::Request {
        let s = salvage.expect("a valid request is salvageable");
        assert_eq!((s.service, s.client, s.id), (m.service, m.client, m.id));
        assert_eq!(s.txn, m.txn);
    }
    let _ = m.result();
}

/// A TLV list: iteration, `parse_all` and re-emission agree; the reader
/// driven by the first bytes as a script of reads never reads past the end.
pub fn tlv(data: &[u8]) {
    let items: Vec<_> = TlvIter::new(data).collect();
    match tlv_codec::parse_all(data) {
        Ok(all) => {
            assert!(items.iter().all(|r| r.is_ok()));
            let mut again = Vec::new();
            for t in &all {
                let mut b = vec![0u8; t.buffer_len()];
                t.emit(&mut b).expect("a parsed TLV fits its length field");
                again.extend_from_slice(&b);
            }
            assert_eq!(again, data);
        }
        Err(_) => assert!(items.iter().any(|r| r.is_err())),
    }
    let (script, value) = data.split_at(data.len().min(8));
    let mut r = Reader::new(value);
    for &op in script {
        let before = r.remaining();
        let took = match op % 7 {
            0 => r.u8("u8").map(|_| 1),
            1 => r.u16("u16").map(|_| 2),
            2 => r.u32("u32").map(|_| 4),
            3 => r.u64("u64").map(|_| 8),
            4 => r.str_u8("str").map(|s| s.len() + 1),
            5 => r.take(op as usize / 7, "take").map(<[u8]>::len),
            _ => r.finish("finish").map(|_| 0),
        };
        match took {
            Ok(n) => assert_eq!(r.remaining() + n, before),
            // str_u8 may have taken its length byte before failing.
            Err(_) => assert!(before - r.remaining() <= usize::from(op % 7 == 4)),
        }
    }
    let _ = r.rest();
}

/// HDLC: the deframer with a small bound on arbitrary bytes, and the
/// input as a payload round-tripping through `encode` and the deframer.
pub fn hdlc(data: &[u8]) {
    let max = data.first().map_or(1, |&b| b as usize + 1);
    let mut d = HdlcDeframer::new(max);
    for f in d.push(data) {
        if let Ok(p) = f {
            assert!(p.len() + 2 <= max);
        }
        assert!(d.pending() <= max);
    }
    // Resync: whatever came, a pause, then a request decodes alone.
    let mut d = HdlcDeframer::default();
    d.push_at(data, Instant::ZERO);
    let request = hdlc_codec::encode(&[0x00]);
    let got = d.push_at(&request, Instant::ZERO + RESYNC_IDLE);
    assert_eq!(
        got.last(),
        Some(&Ok(vec![0x00])),
        "the request after a pause"
    );
    assert!(d.is_idle());
    if !data.is_empty() && data.len() + 2 <= HdlcDeframer::MAX_FRAME {
        let wire = hdlc_codec::encode(data);
        let mut d = HdlcDeframer::default();
        assert_eq!(d.push(&wire), vec![Ok(data.to_vec())]);
    }
}

/// The DM port: any byte stream gets framed answers only; the input as
/// one request gets a response that names it.
pub fn qcdm(data: &[u8]) {
    let p = default_profile();
    let mut port = DmPort::default();
    port.handle(data, p, Instant::ZERO);
    assert!(port.pending_output() <= crate::serial::qcdm::MAX_PENDING);
    while let Some(wire) = port.poll() {
        let got = HdlcDeframer::default().push(&wire);
        assert!(
            matches!(&got[..], [Ok(_)]),
            "one well-formed frame per answer"
        );
    }
    // Resync: after a pause, Version Info is answered whatever came.
    while port.poll().is_some() {}
    port.handle(
        &hdlc_codec::encode(&[commands::VERSION_INFO]),
        p,
        Instant::ZERO + RESYNC_IDLE,
    );
    let wire = port.poll().expect("the request after a pause is answered");
    let got = HdlcDeframer::default().push(&wire);
    assert!(matches!(&got[..], [Ok(r)] if r[0] == commands::VERSION_INFO));
    let rsp = commands::respond(data, p);
    assert!(!rsp.is_empty());
    if rsp[0] == commands::BAD_CMD || rsp[0] == commands::BAD_LEN {
        let echoed = data.len().min(commands::MAX_ECHO);
        assert_eq!(&rsp[1..], &data[..echoed]);
    }
}

/// The AT command-line parser alone.
pub fn at_parse(data: &[u8]) {
    if let Ok(cmds) = parse::parse(data) {
        assert!(cmds.len() <= data.len());
    }
}

/// EP0 as the gadget sees it: a script of SETUP packets (with their OUT
/// data), responses the engine queues, notifications the interrupt
/// endpoint sends, and bus resets, against one CDC-WDM channel.
pub fn usb_control(data: &[u8]) {
    let mut w = WdmChannel::new(8, 4096);
    let mut rest = data;
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        match op % 4 {
            0 => {
                let n = rest.len().min(Setup::LEN + (op as usize >> 2) % 3);
                let (raw, tail) = rest.split_at(n);
                rest = tail;
                let Ok(s) = Setup::parse(raw) else { continue };
                assert_eq!(Setup::parse(&s.emit()), Ok(s));
                let n = rest.len().min(s.length as usize).min(64);
                let (out, tail) = rest.split_at(n);
                rest = tail;
                match w.handle(&s, out) {
                    ControlReply::Data(d) => assert!(d.len() <= s.length as usize),
                    ControlReply::Accept(Some(d)) => assert_eq!(d, out),
                    ControlReply::Accept(None) | ControlReply::Stall => {}
                }
            }
            1 => w.queue_response(vec![0x01; (op as usize) * 20]),
            2 => {
                if let Some(n) = w.poll_notification() {
                    assert_eq!(n[4], 8);
                }
            }
            _ => w.reset(),
        }
        assert!(w.queued() <= crate::usb::MAX_QUEUED_RESPONSES);
    }
}
