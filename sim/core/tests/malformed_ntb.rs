//! Hostile NTBs on the MBIM bulk OUT endpoint and hostile NCM class
//! requests on EP0: each gets its exact error (the transfer is dropped
//! whole) or stall, changes nothing, and the next valid NTB or request is
//! served.

use vmodem_core::usb::ncm::{NcmFunction, NtbParameters};
use vmodem_core::usb::{ControlReply, Setup};
use vmodem_core::wire::ntb::{Error, Format, Packet, Stream, MAX_NDPS};

const IF: u16 = 12;

fn put16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn sig(s: &[u8; 4]) -> u32 {
    u32::from_le_bytes(*s)
}

/// NTH16 (0..12), NDP16 IPS0 at 12 (wLength 16: one pointer and the null
/// entry), a datagram of `n` bytes at 28.
fn ntb16(n: usize) -> Vec<u8> {
    let mut b = vec![0u8; 28 + n];
    b[0..4].copy_from_slice(b"NCMH");
    put16(&mut b, 4, 12);
    put16(&mut b, 8, (28 + n) as u16);
    put16(&mut b, 10, 12);
    b[12..16].copy_from_slice(b"IPS\0");
    put16(&mut b, 16, 16);
    put16(&mut b, 20, 28);
    put16(&mut b, 22, n as u16);
    b[28] = 0x45;
    b
}

/// NTH32 (0..16), NDP32 ips0 at 16 (wLength 32), a datagram of 20 at 48.
fn ntb32() -> Vec<u8> {
    let mut b = vec![0u8; 68];
    b[0..4].copy_from_slice(b"ncmh");
    put16(&mut b, 4, 16);
    put32(&mut b, 8, 68);
    put32(&mut b, 12, 16);
    b[16..20].copy_from_slice(b"ips\0");
    put16(&mut b, 20, 32);
    put32(&mut b, 32, 48);
    put32(&mut b, 36, 20);
    b[48] = 0x45;
    b
}

fn with(mut b: Vec<u8>, f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    f(&mut b);
    b
}

/// NTH16, a 20-byte datagram at 12, then `n` NDPs from 32 chained in
/// order, each pointing at the datagram.
fn chain16(n: usize) -> Vec<u8> {
    let len = 32 + 16 * n;
    let mut b = vec![0u8; len];
    b[0..4].copy_from_slice(b"NCMH");
    put16(&mut b, 4, 12);
    put16(&mut b, 8, len as u16);
    put16(&mut b, 10, 32);
    b[12] = 0x45;
    for i in 0..n {
        let at = 32 + 16 * i;
        b[at..at + 4].copy_from_slice(b"IPS\0");
        put16(&mut b, at + 4, 16);
        let next = if i + 1 < n { at + 16 } else { 0 };
        put16(&mut b, at + 6, next as u16);
        put16(&mut b, at + 8, 12);
        put16(&mut b, at + 10, 20);
    }
    b
}

type Outcome = Result<Vec<(Stream, usize)>, Error>;

fn parse(b: &[u8]) -> Outcome {
    Packet::new_checked(b).map(|p| p.datagrams().map(|d| (d.stream, d.payload.len())).collect())
}

#[test]
fn each_hostile_ntb_gets_its_exact_error() {
    let one16 = Ok(vec![(Stream::Ip(0), 20)]);
    let table: Vec<(&str, Vec<u8>, Outcome)> = vec![
        ("valid NTB16", ntb16(20), one16.clone()),
        ("valid NTB32", ntb32(), one16.clone()),
        (
            "empty transfer",
            vec![],
            Err(Error::ShortTransfer { len: 0 }),
        ),
        (
            "truncated NTH16",
            ntb16(20)[..11].to_vec(),
            Err(Error::ShortTransfer { len: 11 }),
        ),
        (
            "truncated NTH32",
            ntb32()[..15].to_vec(),
            Err(Error::ShortTransfer { len: 15 }),
        ),
        (
            "wrong NTH signature",
            with(ntb16(20), |b| b[3] = b'X'),
            Err(Error::NthSignature(sig(b"NCMX"))),
        ),
        (
            "NTH16 claiming a 16-byte header",
            with(ntb16(20), |b| put16(b, 4, 16)),
            Err(Error::HeaderLength(16)),
        ),
        (
            "block length larger than the transfer",
            with(ntb16(20), |b| put16(b, 8, 49)),
            Err(Error::BlockPastTransfer {
                block: 49,
                transfer: 48,
            }),
        ),
        (
            "transfer cut short of its block",
            ntb16(20)[..47].to_vec(),
            Err(Error::BlockPastTransfer {
                block: 48,
                transfer: 47,
            }),
        ),
        (
            "block length below NTH and NDP",
            with(ntb16(20), |b| put16(b, 8, 27)),
            Err(Error::BlockTooShort(27)),
        ),
        (
            "zero block length: the whole transfer (NCM 1.0 3.2.1)",
            with(ntb16(20), |b| put16(b, 8, 0)),
            one16.clone(),
        ),
        (
            "padding after the block",
            with(ntb16(20), |b| b.extend_from_slice(&[0; 3])),
            one16.clone(),
        ),
        (
            "no NDP",
            with(ntb16(20), |b| put16(b, 10, 0)),
            Err(Error::NoNdp),
        ),
        (
            "NDP index not a multiple of 4",
            with(ntb16(20), |b| put16(b, 10, 14)),
            Err(Error::NdpMisaligned(14)),
        ),
        (
            "NDP index inside the NTH",
            with(ntb16(20), |b| put16(b, 10, 8)),
            Err(Error::NdpOutOfRange(8)),
        ),
        (
            "NDP header past the block",
            with(ntb16(20), |b| put16(b, 10, 44)),
            Err(Error::NdpOutOfRange(44)),
        ),
        (
            "NDP index far out of range",
            with(ntb16(20), |b| put16(b, 10, 0xFFFC)),
            Err(Error::NdpOutOfRange(0xFFFC)),
        ),
        (
            "NCM's NDP signature",
            with(ntb16(20), |b| b[12..16].copy_from_slice(b"NCM0")),
            Err(Error::NdpSignature(sig(b"NCM0"))),
        ),
        (
            "NDP32 signature in an NTB16",
            with(ntb16(20), |b| b[12..16].copy_from_slice(b"ips\0")),
            Err(Error::NdpSignature(sig(b"ips\0"))),
        ),
        (
            "DSS is a stream, not an error",
            with(ntb16(20), |b| b[12..16].copy_from_slice(b"DSS\x03")),
            Ok(vec![(Stream::DeviceService(3), 20)]),
        ),
        (
            "IPS session 7",
            with(ntb16(20), |b| b[15] = 7),
            Ok(vec![(Stream::Ip(7), 20)]),
        ),
        (
            "NDP length too small",
            with(ntb16(20), |b| put16(b, 16, 12)),
            Err(Error::NdpTooShort(12)),
        ),
        (
            "NDP length not whole entries",
            with(ntb16(20), |b| put16(b, 16, 18)),
            Err(Error::NdpLengthMisaligned(18)),
        ),
        (
            "NDP table past the block",
            with(ntb16(20), |b| put16(b, 16, 40)),
            Err(Error::NdpPastBlock { index: 12, len: 40 }),
        ),
        (
            "first pointer is the null entry",
            with(ntb16(20), |b| b[20..24].fill(0)),
            Err(Error::EmptyNdp(12)),
        ),
        (
            "zero datagram length is the null entry",
            with(ntb16(20), |b| put16(b, 22, 0)),
            Err(Error::EmptyNdp(12)),
        ),
        (
            "no null entry",
            with(ntb16(20), |b| {
                put16(b, 24, 28);
                put16(b, 26, 20);
            }),
            Err(Error::NdpUnterminated(12)),
        ),
        (
            "datagram pointer past the end",
            with(ntb16(20), |b| put16(b, 22, 21)),
            Err(Error::DatagramOutOfRange { index: 28, len: 21 }),
        ),
        (
            "datagram inside the NTH",
            with(ntb16(20), |b| put16(b, 20, 4)),
            Err(Error::DatagramOutOfRange { index: 4, len: 20 }),
        ),
        (
            "datagram index and length at their maximum",
            with(ntb16(20), |b| {
                put16(b, 20, 0xFFFF);
                put16(b, 22, 0xFFFF);
            }),
            Err(Error::DatagramOutOfRange {
                index: 0xFFFF,
                len: 0xFFFF,
            }),
        ),
        (
            "NDP pointing at itself",
            with(ntb16(20), |b| put16(b, 18, 12)),
            Err(Error::NdpLoop(12)),
        ),
        (
            "two NDPs pointing at each other",
            with(chain16(2), |b| put16(b, 48 + 6, 32)),
            Err(Error::NdpLoop(32)),
        ),
        (
            "next NDP misaligned",
            with(chain16(2), |b| put16(b, 32 + 6, 50)),
            Err(Error::NdpMisaligned(50)),
        ),
        (
            "the longest chain allowed",
            chain16(MAX_NDPS),
            Ok(vec![(Stream::Ip(0), 20); MAX_NDPS]),
        ),
        (
            "one NDP more than allowed",
            chain16(MAX_NDPS + 1),
            Err(Error::TooManyNdps),
        ),
        (
            "NDP16 signature in an NTB32",
            with(ntb32(), |b| b[16..20].copy_from_slice(b"IPS\0")),
            Err(Error::NdpSignature(sig(b"IPS\0"))),
        ),
        (
            "NTH32 header length of an NTH16",
            with(ntb32(), |b| put16(b, 4, 12)),
            Err(Error::HeaderLength(12)),
        ),
        (
            "NDP32 index near 4 GiB",
            with(ntb32(), |b| put32(b, 12, 0xFFFF_FFFC)),
            Err(Error::NdpOutOfRange(0xFFFF_FFFC)),
        ),
        (
            "NDP32 length of an NDP16 minimum",
            with(ntb32(), |b| put16(b, 20, 16)),
            Err(Error::NdpTooShort(16)),
        ),
        (
            "NDP32 length not whole entries",
            with(ntb32(), |b| put16(b, 20, 36)),
            Err(Error::NdpLengthMisaligned(36)),
        ),
        (
            "NTB32 datagram whose end wraps 32 bits",
            with(ntb32(), |b| {
                put32(b, 32, 0xFFFF_FFF0);
                put32(b, 36, 0x20);
            }),
            Err(Error::DatagramOutOfRange {
                index: 0xFFFF_FFF0,
                len: 0x20,
            }),
        ),
        (
            "NTB32 block length past the transfer",
            with(ntb32(), |b| put32(b, 8, u32::MAX)),
            Err(Error::BlockPastTransfer {
                block: u32::MAX,
                transfer: 68,
            }),
        ),
    ];
    for (what, bytes, want) in &table {
        assert_eq!(&parse(bytes), want, "{what}");
    }
}

fn setup(request_type: u8, request: u8, value: u16, index: u16, length: u16) -> Setup {
    Setup {
        request_type,
        request,
        value,
        index,
        length,
    }
}

#[test]
fn the_function_drops_bad_ntbs_and_keeps_receiving() {
    let mut f = NcmFunction::new(IF as u8);
    let big = ntb16(4100 - 28);
    let table: Vec<(&str, Vec<u8>, Error)> = vec![
        (
            "NTB32 while NTB16 is selected",
            ntb32(),
            Error::WrongFormat {
                selected: Format::Ntb16,
                got: Format::Ntb32,
            },
        ),
        (
            "block over dwNtbOutMaxSize",
            big,
            Error::BlockOverMax {
                block: 4100,
                max: 4096,
            },
        ),
        (
            "zero block length over dwNtbOutMaxSize",
            with(ntb16(4100 - 28), |b| put16(b, 8, 0)),
            Error::BlockOverMax {
                block: 4100,
                max: 4096,
            },
        ),
        (
            "a structural error",
            with(ntb16(20), |b| put16(b, 10, 0)),
            Error::NoNdp,
        ),
    ];
    for (i, (what, bytes, want)) in table.iter().enumerate() {
        assert_eq!(f.receive(bytes).unwrap_err(), *want, "{what}");
        let good = with(ntb16(20), |b| put16(b, 6, i as u16));
        assert_eq!(
            f.receive(&good).map(|p| p.datagrams().count()),
            Ok(1),
            "after {what}"
        );
    }
    let s = f.stats();
    assert_eq!((s.ntbs_received, s.ntbs_refused), (4, 4));
    assert_eq!(s.sequence_glitches, 0, "refused NTBs do not count");
    // The largest block the host may send is accepted.
    assert!(f.receive(&ntb16(4096 - 28)).is_ok());
}

#[test]
fn sequence_glitches_are_counted_not_refused() {
    let mut f = NcmFunction::new(IF as u8);
    for (seq, glitches) in [(7, 0), (8, 0), (10, 1), (9, 2), (0xFFFF, 3), (0, 3), (0, 4)] {
        let b = with(ntb16(20), |b| put16(b, 6, seq));
        assert!(f.receive(&b).is_ok(), "seq {seq}");
        assert_eq!(f.stats().sequence_glitches, glitches, "after seq {seq}");
    }
    // RESET_FUNCTION forgets the last sequence number.
    f.handle(&setup(0x21, 0x05, 0, IF, 0), &[]);
    assert!(f.receive(&with(ntb16(20), |b| put16(b, 6, 500))).is_ok());
    assert_eq!(f.stats().sequence_glitches, 4);
}

#[test]
fn hostile_class_requests_stall_and_change_nothing() {
    let in_size = |v: u32| v.to_le_bytes().to_vec();
    let table: Vec<(&str, Setup, Vec<u8>)> = vec![
        (
            "GET_NTB_PARAMETERS to the data interface",
            setup(0xA1, 0x80, 0, IF + 1, 28),
            vec![],
        ),
        (
            "GET_NTB_PARAMETERS with wIndex high byte set",
            setup(0xA1, 0x80, 0, 0x100 | IF, 28),
            vec![],
        ),
        (
            "GET_NTB_PARAMETERS with wLength 0",
            setup(0xA1, 0x80, 0, IF, 0),
            vec![],
        ),
        (
            "GET_NTB_PARAMETERS with wValue 1",
            setup(0xA1, 0x80, 1, IF, 28),
            vec![],
        ),
        (
            "GET_NTB_PARAMETERS as a vendor request",
            setup(0xC1, 0x80, 0, IF, 28),
            vec![],
        ),
        (
            "GET_NTB_PARAMETERS in the OUT direction",
            setup(0x21, 0x80, 0, IF, 0),
            vec![],
        ),
        (
            "SET_NTB_FORMAT to NTB32, which is not offered",
            setup(0x21, 0x84, 1, IF, 0),
            vec![],
        ),
        (
            "SET_NTB_FORMAT to an unknown format",
            setup(0x21, 0x84, 2, IF, 0),
            vec![],
        ),
        (
            "SET_NTB_FORMAT with a data stage",
            setup(0x21, 0x84, 0, IF, 2),
            vec![0, 0],
        ),
        (
            "GET_NTB_FORMAT with wLength 1",
            setup(0xA1, 0x83, 0, IF, 1),
            vec![],
        ),
        (
            "GET_NTB_INPUT_SIZE with wLength 3",
            setup(0xA1, 0x85, 0, IF, 3),
            vec![],
        ),
        (
            "SET_NTB_INPUT_SIZE with wLength 3",
            setup(0x21, 0x86, 0, IF, 3),
            vec![0, 8, 0],
        ),
        (
            "SET_NTB_INPUT_SIZE with wLength 6",
            setup(0x21, 0x86, 0, IF, 6),
            vec![0, 8, 0, 0, 0, 0],
        ),
        (
            "SET_NTB_INPUT_SIZE whose data stage is short",
            setup(0x21, 0x86, 0, IF, 4),
            vec![0, 8],
        ),
        (
            "SET_NTB_INPUT_SIZE below 2048",
            setup(0x21, 0x86, 0, IF, 4),
            in_size(2047),
        ),
        (
            "SET_NTB_INPUT_SIZE above dwNtbInMaxSize",
            setup(0x21, 0x86, 0, IF, 4),
            in_size(16385),
        ),
        (
            "SET_NTB_INPUT_SIZE of zero",
            setup(0x21, 0x86, 0, IF, 8),
            vec![0; 8],
        ),
        (
            "SET_NTB_INPUT_SIZE with wValue set",
            setup(0x21, 0x86, 1, IF, 4),
            in_size(4096),
        ),
        ("GET_NET_ADDRESS", setup(0xA1, 0x81, 0, IF, 6), vec![]),
        (
            "GET_MAX_DATAGRAM_SIZE (bmNetworkCapabilities bit 3 clear)",
            setup(0xA1, 0x87, 0, IF, 2),
            vec![],
        ),
        (
            "SET_CRC_MODE (bit 4 clear)",
            setup(0x21, 0x8A, 0, IF, 0),
            vec![],
        ),
        (
            "SET_ETHERNET_PACKET_FILTER",
            setup(0x21, 0x43, 0x1F, IF, 0),
            vec![],
        ),
        (
            "RESET_FUNCTION with a data stage",
            setup(0x21, 0x05, 0, IF, 2),
            vec![0, 0],
        ),
        (
            "SEND_ENCAPSULATED_COMMAND (the WDM channel's)",
            setup(0x21, 0x00, 0, IF, 4),
            vec![1, 2, 3, 4],
        ),
    ];
    let mut f = NcmFunction::new(IF as u8);
    let params = setup(0xA1, 0x80, 0, IF, 28);
    for (what, s, data) in &table {
        assert_eq!(f.handle(s, data), ControlReply::Stall, "{what}");
        assert_eq!(
            (f.format(), f.in_max_size(), f.in_max_datagrams()),
            (Format::Ntb16, 16384, 0),
            "{what}"
        );
        assert!(!f.take_reset_request(), "{what}");
        assert_eq!(
            f.handle(&params, &[]),
            ControlReply::Data(NtbParameters::EM7305.to_bytes().to_vec()),
            "after {what}"
        );
    }
}

#[test]
fn input_size_bounds_are_inclusive() {
    let mut f = NcmFunction::new(IF as u8);
    let set = setup(0x21, 0x86, 0, IF, 4);
    for size in [2048u32, 16384] {
        assert_eq!(
            f.handle(&set, &size.to_le_bytes()),
            ControlReply::Accept(None)
        );
        assert_eq!(f.in_max_size(), size);
    }
}
