//! The MBIM data plane: bulk OUT transfers as NTBs.

use crate::usb::ncm::{NcmFunction, NtbParameters, SET_NTB_FORMAT, SET_NTB_INPUT_SIZE};
use crate::usb::{ControlReply, Direction, Setup};
use crate::wire::ntb::{self, Format, InLimits, NtbBuilder, Packet, Refused, Stream};
use std::collections::BTreeMap;

/// Datagrams (and their bytes) re-packed per input: pointers may overlap,
/// so a small NTB can name far more bytes than it holds.
const REPACK_DATAGRAMS: usize = 64;
const REPACK_BYTES: usize = 128 * 1024;

/// With bit 7 of the first byte set, the rest is a script of NCM class
/// requests (SETUP packets and their OUT data). Otherwise the first byte
/// chooses the function's format (bit 0: NTB32) and IN size (bit 1: an
/// 8-byte SET_NTB_INPUT_SIZE from the other bits) and the rest is one bulk
/// OUT transfer. As a bare NTB: the checked view agrees with `check`,
/// nothing points outside the transfer, and what it accepts, re-packed by
/// the builder, parses back the same stream by stream. Through the
/// function: accepted datagrams go back out as IN NTBs within the limits.
pub fn ntb(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 0x80 != 0 {
        return requests(rest);
    }
    bare(rest);
    through_function(mode, rest);
}

fn function() -> NcmFunction {
    NcmFunction::with_parameters(
        12,
        NtbParameters {
            formats_supported: 0x0003,
            ..NtbParameters::EM7305
        },
    )
}

/// Whatever the requests, replies fit wLength, only OUT requests are
/// accepted, and the negotiated state stays one the parameters allow.
fn requests(mut script: &[u8]) {
    let mut f = function();
    while script.len() >= Setup::LEN {
        let (raw, rest) = script.split_at(Setup::LEN);
        let Ok(s) = Setup::parse(raw) else { return };
        let n = match s.direction() {
            Direction::HostToDevice => rest.len().min(s.length as usize),
            Direction::DeviceToHost => 0,
        };
        let (out, rest) = rest.split_at(n);
        script = rest;
        match f.handle(&s, out) {
            ControlReply::Data(d) => {
                assert_eq!(s.direction(), Direction::DeviceToHost);
                assert!(d.len() <= s.length as usize);
            }
            ControlReply::Accept(d) => {
                assert_eq!((s.direction(), d), (Direction::HostToDevice, None));
            }
            ControlReply::Stall => {}
        }
        let p = *f.parameters();
        assert!(p.supports(f.format()));
        assert!((ntb::MIN_IN_SIZE..=p.in_max_size).contains(&f.in_max_size()));
        assert_eq!(f.in_limits().format, f.format());
    }
    f.send(Stream::Ip(0), vec![0x45; 100])
        .expect("room for one datagram");
    let t = f.poll_in().expect("one IN NTB");
    assert!(t.len() <= f.in_max_size() as usize);
    let q = Packet::new_checked(&t[..]).expect("IN NTBs are valid");
    assert_eq!(q.format(), f.format());
}

fn bare(data: &[u8]) {
    let unchecked = Packet::new_unchecked(data);
    let checked = Packet::new_checked(data);
    assert_eq!(checked.is_ok(), unchecked.check().is_ok());
    for d in unchecked.datagrams() {
        let at = d.payload.as_ptr() as usize - data.as_ptr() as usize;
        assert!(at + d.payload.len() <= data.len());
    }
    let Ok(p) = checked else { return };
    assert!(p.datagrams().next().is_some(), "a valid NTB carries data");
    let mut taken = Vec::new();
    let mut bytes = 0;
    for d in p.datagrams().take(REPACK_DATAGRAMS) {
        bytes += d.payload.len();
        if bytes > REPACK_BYTES {
            break;
        }
        taken.push((d.stream, d.payload));
    }
    let limits = InLimits {
        format: p.format(),
        max_size: p.format().max_block(),
        divisor: 4,
        remainder: 0,
        ndp_alignment: 4,
        max_datagrams: 0,
    };
    let mut b = NtbBuilder::new(limits);
    let mut back: BTreeMap<Stream, Vec<Vec<u8>>> = BTreeMap::new();
    let mut sent: BTreeMap<Stream, Vec<Vec<u8>>> = BTreeMap::new();
    for (stream, payload) in taken {
        match b.push(stream, payload.to_vec()) {
            Ok(()) => sent.entry(stream).or_default().push(payload.to_vec()),
            Err(Refused::TooLarge(_)) => {}
            Err(e) => panic!("re-packing refused: {e}"),
        }
    }
    while let Some(ntb) = b.next_ntb() {
        assert!(ntb.len() as u64 <= u64::from(limits.max_size));
        let q = Packet::new_checked(&ntb[..]).expect("the builder emits valid NTBs");
        for d in q.datagrams() {
            back.entry(d.stream).or_default().push(d.payload.to_vec());
        }
    }
    assert_eq!(back, sent);
}

fn through_function(mode: u8, transfer: &[u8]) {
    let mut f = function();
    let class_out = |request, value, length| Setup {
        request_type: 0x21,
        request,
        value,
        index: 12,
        length,
    };
    if mode & 1 != 0 {
        let r = f.handle(&class_out(SET_NTB_FORMAT, 1, 0), &[]);
        assert_eq!(r, ControlReply::Accept(None));
    }
    if mode & 2 != 0 {
        let size = 2048 + u32::from(mode >> 2) * 200;
        let mut d = size.to_le_bytes().to_vec();
        d.extend_from_slice(&[mode & 7, 0, 0, 0]);
        let r = f.handle(&class_out(SET_NTB_INPUT_SIZE, 0, 8), &d);
        assert_eq!(r, ControlReply::Accept(None));
    }
    let Ok(p) = f.receive(transfer) else {
        assert_eq!(f.stats().ntbs_refused, 1);
        return;
    };
    assert_eq!(p.format(), f.format());
    assert!(p.block_len() <= f.parameters().out_max_size as usize);
    let datagrams: Vec<_> = p.datagrams().take(REPACK_DATAGRAMS).collect();
    for d in &datagrams {
        let _ = f.send(d.stream, d.payload.to_vec());
    }
    let limits = f.in_limits();
    let mut out = 0;
    let mut seq = 0u16;
    while let Some(t) = f.poll_in() {
        assert!(t.len() <= limits.max_size as usize);
        let q = Packet::new_checked(&t[..]).expect("IN NTBs are valid");
        assert_eq!((q.format(), q.sequence()), (limits.format, seq));
        let n = q.datagrams().count();
        assert!(limits.max_datagrams == 0 || n <= limits.max_datagrams as usize);
        out += n;
        seq = seq.wrapping_add(1);
    }
    let s = f.stats();
    assert_eq!(out as u64 + s.datagrams_refused, datagrams.len() as u64);
    assert_eq!(f.format() == Format::Ntb32, mode & 1 != 0);
}
