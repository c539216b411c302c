//! NTB properties: whatever the builder packs under whatever limits comes
//! back, stream by stream and in order, from NTBs that respect the limits;
//! arbitrary bytes, and valid NTBs with bytes changed, never panic the
//! parser nor make it point outside the transfer.

use proptest::prelude::*;
use std::collections::BTreeMap;
use vmodem_core::wire::ntb::{Format, InLimits, NtbBuilder, Packet, Refused, Stream};

fn any_stream() -> impl Strategy<Value = Stream> {
    prop_oneof![
        4 => (0u8..4).prop_map(Stream::Ip),
        1 => any::<u8>().prop_map(Stream::Ip),
        1 => (0u8..2).prop_map(Stream::DeviceService),
    ]
}

fn any_limits() -> impl Strategy<Value = InLimits> {
    (
        prop_oneof![Just(Format::Ntb16), Just(Format::Ntb32)],
        2048u32..=70_000,
        0u32..7,
        any::<u16>(),
        2u32..8,
        prop_oneof![3 => Just(0u16), 1 => 1u16..6],
    )
        .prop_map(
            |(format, max_size, div_log, rem, align_log, max_datagrams)| {
                let divisor = 1u16 << div_log;
                InLimits {
                    format,
                    max_size,
                    divisor,
                    remainder: rem % divisor,
                    ndp_alignment: 1 << align_log,
                    max_datagrams,
                }
            },
        )
}

fn offset_in(outer: &[u8], inner: &[u8]) -> usize {
    inner.as_ptr() as usize - outer.as_ptr() as usize
}

/// Everything a packed NTB must satisfy, and its datagrams.
fn check_ntb(ntb: &[u8], l: &InLimits, seq: u16) -> Vec<(Stream, Vec<u8>)> {
    let cap = l.max_size.min(l.format.max_block()) as usize;
    assert!(ntb.len() <= cap, "{} > {cap}", ntb.len());
    let p = Packet::new_checked(ntb).expect("the builder emits valid NTBs");
    assert_eq!(p.format(), l.format);
    assert_eq!(p.sequence(), seq);
    assert_eq!(p.block_len(), ntb.len());
    for n in p.ndps() {
        assert_eq!(n.index as usize % l.ndp_alignment as usize, 0);
    }
    let got: Vec<_> = p
        .datagrams()
        .map(|d| {
            let at = offset_in(ntb, d.payload);
            assert_eq!(at % l.divisor as usize, l.remainder as usize);
            (d.stream, d.payload.to_vec())
        })
        .collect();
    assert!(!got.is_empty());
    if l.max_datagrams != 0 {
        assert!(got.len() <= l.max_datagrams as usize);
    }
    got
}

fn per_stream(
    items: impl IntoIterator<Item = (Stream, Vec<u8>)>,
) -> BTreeMap<Stream, Vec<Vec<u8>>> {
    let mut m: BTreeMap<Stream, Vec<Vec<u8>>> = BTreeMap::new();
    for (s, d) in items {
        m.entry(s).or_default().push(d);
    }
    m
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn what_is_packed_comes_back_per_stream_in_order(
        limits in any_limits(),
        items in proptest::collection::vec((any_stream(), 0usize..3000, any::<u8>()), 0..60),
    ) {
        let mut b = NtbBuilder::new(limits);
        let mut sent = Vec::new();
        let f = limits.format;
        let cap = limits.max_size.min(f.max_block()) as usize;
        let least = f.nth_len() + f.ndp_min_len();
        let most = least + limits.divisor as usize - 1 + limits.ndp_alignment as usize - 1;
        for (s, len, tag) in items {
            // Distinct contents, cheaper to make than random bytes.
            let d: Vec<u8> = (0..len).map(|i| tag.wrapping_add(i as u8)).collect();
            match b.push(s, d.clone()) {
                Ok(()) => {
                    prop_assert!(d.len() + least <= cap);
                    sent.push((s, d));
                }
                Err(Refused::Empty) => prop_assert!(d.is_empty()),
                Err(Refused::TooLarge(n)) => prop_assert!(n + most > cap),
                Err(Refused::Full) => prop_assert!(false, "60 < MAX_QUEUED"),
            }
        }
        let mut got = Vec::new();
        let mut seq = 0u16;
        while let Some(ntb) = b.next_ntb() {
            got.extend(check_ntb(&ntb, &limits, seq));
            seq = seq.wrapping_add(1);
        }
        prop_assert_eq!(b.pending(), 0);
        prop_assert_eq!(b.dropped(), 0);
        prop_assert_eq!(per_stream(got), per_stream(sent));
    }

    #[test]
    fn arbitrary_bytes_never_point_outside_the_transfer(
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
        nth in prop_oneof![Just(&b"NCMH"[..]), Just(&b"ncmh"[..]), Just(&b""[..])],
    ) {
        let mut t = nth.to_vec();
        t.extend_from_slice(&bytes);
        let checked = Packet::new_checked(&t[..]);
        let p = Packet::new_unchecked(&t[..]);
        prop_assert_eq!(checked.is_ok(), p.check().is_ok());
        let n = p.datagrams().inspect(|d| {
            let at = offset_in(&t, d.payload);
            assert!(at + d.payload.len() <= t.len());
        }).count();
        if checked.is_ok() {
            prop_assert!(n > 0);
        }
    }

    #[test]
    fn a_valid_ntb_with_bytes_changed_is_refused_or_still_in_bounds(
        limits in any_limits(),
        sizes in proptest::collection::vec((any_stream(), 1usize..200), 1..10),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let mut b = NtbBuilder::new(limits);
        for (s, n) in sizes {
            b.push(s, vec![0x45; n]).unwrap();
        }
        let mut ntb = b.next_ntb().unwrap();
        for (i, v) in edits {
            let at = i.index(ntb.len());
            ntb[at] = v;
        }
        if let Ok(p) = Packet::new_checked(&ntb[..]) {
            for d in p.datagrams() {
                let at = offset_in(&ntb, d.payload);
                prop_assert!(at >= p.format().nth_len());
                prop_assert!(at + d.payload.len() <= p.block_len());
            }
        }
    }
}
