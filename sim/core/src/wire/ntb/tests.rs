use super::*;

const EM7305_IN: InLimits = InLimits {
    format: Format::Ntb16,
    max_size: 0x4000,
    divisor: 4,
    remainder: 0,
    ndp_alignment: 4,
    max_datagrams: 0,
};

fn ip(n: u8, len: usize) -> Vec<u8> {
    let mut d = vec![n; len];
    d[0] = 0x45;
    d
}

/// An NTB16 as Linux `cdc_mbim` sends it: the NDP right after the NTH
/// with room for 40 pointers, wLength covering the pointers used and the
/// null entry, datagrams after the reserved room at multiples of 4.
fn as_cdc_mbim_sends(seq: u16, datagrams: &[&[u8]]) -> Vec<u8> {
    let reserved = 8 + 41 * 4;
    let mut b = vec![0u8; 12 + reserved];
    b[0..4].copy_from_slice(b"NCMH");
    b[4..6].copy_from_slice(&12u16.to_le_bytes());
    b[6..8].copy_from_slice(&seq.to_le_bytes());
    b[10..12].copy_from_slice(&12u16.to_le_bytes());
    b[12..16].copy_from_slice(b"IPS\0");
    let wlength = 8 + 4 * (datagrams.len() + 1);
    b[16..18].copy_from_slice(&(wlength as u16).to_le_bytes());
    for (i, d) in datagrams.iter().enumerate() {
        while b.len() % 4 != 0 {
            b.push(0);
        }
        let at = 12 + 8 + 4 * i;
        let here = b.len() as u16;
        b[at..at + 2].copy_from_slice(&here.to_le_bytes());
        b[at + 2..at + 4].copy_from_slice(&(d.len() as u16).to_le_bytes());
        b.extend_from_slice(d);
    }
    let len = b.len() as u16;
    b[8..10].copy_from_slice(&len.to_le_bytes());
    b
}

#[test]
fn reads_an_ntb16_laid_out_as_cdc_mbim_sends_it() {
    let (a, c) = (ip(1, 60), ip(2, 41));
    let b = as_cdc_mbim_sends(7, &[&a, &c]);
    let p = Packet::new_checked(&b[..]).unwrap();
    assert_eq!((p.format(), p.sequence()), (Format::Ntb16, 7));
    let got: Vec<_> = p.datagrams().collect();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].stream, Stream::Ip(0));
    assert_eq!((got[0].payload, got[1].payload), (&a[..], &c[..]));
}

#[test]
fn one_datagram_gives_these_exact_bytes() {
    let mut b = NtbBuilder::new(EM7305_IN);
    b.push(Stream::Ip(0), vec![0x45, 1, 2, 3, 4, 5]).unwrap();
    let ntb = b.next_ntb().unwrap();
    #[rustfmt::skip]
    let want = [
        b'N', b'C', b'M', b'H', 12, 0, 0, 0, 36, 0, 20, 0, // NTH16: seq 0, 36 bytes, NDP at 20
        0x45, 1, 2, 3, 4, 5, 0, 0,                        // the datagram at 12, padding
        b'I', b'P', b'S', 0, 16, 0, 0, 0,                 // NDP16 IPS0, wLength 16, last
        12, 0, 6, 0, 0, 0, 0, 0,                          // (12, 6), null entry
    ];
    assert_eq!(ntb, want);
    assert_eq!(b.next_ntb(), None);
}

#[test]
fn sessions_share_an_ntb_one_ndp_each() {
    let mut b = NtbBuilder::new(EM7305_IN);
    b.push(Stream::Ip(0), ip(1, 100)).unwrap();
    b.push(Stream::Ip(3), ip(2, 101)).unwrap();
    b.push(Stream::Ip(0), ip(3, 102)).unwrap();
    b.push(Stream::DeviceService(1), vec![9; 7]).unwrap();
    let ntb = b.next_ntb().unwrap();
    let p = Packet::new_checked(&ntb[..]).unwrap();
    let ndps: Vec<_> = p.ndps().map(|n| (n.stream, n.len)).collect();
    assert_eq!(
        ndps,
        [
            (Some(Stream::Ip(0)), 20),
            (Some(Stream::Ip(3)), 16),
            (Some(Stream::DeviceService(1)), 16)
        ]
    );
    let got: Vec<_> = p.datagrams().map(|d| (d.stream, d.payload.len())).collect();
    assert_eq!(
        got,
        [
            (Stream::Ip(0), 100),
            (Stream::Ip(0), 102),
            (Stream::Ip(3), 101),
            (Stream::DeviceService(1), 7)
        ]
    );
    assert_eq!(&ntb[p.ndp_index() as usize..][..4], b"IPS\0");
}

#[test]
fn what_does_not_fit_goes_in_the_next_ntb_in_order() {
    let mut b = NtbBuilder::new(InLimits {
        max_size: 2048,
        ..EM7305_IN
    });
    for n in 0..3 {
        b.push(Stream::Ip(0), ip(n, 900)).unwrap();
    }
    let first = b.next_ntb().unwrap();
    let second = b.next_ntb().unwrap();
    assert_eq!(b.next_ntb(), None);
    assert!(first.len() <= 2048);
    let p1 = Packet::new_checked(&first[..]).unwrap();
    let p2 = Packet::new_checked(&second[..]).unwrap();
    assert_eq!((p1.sequence(), p2.sequence()), (0, 1));
    let firsts: Vec<u8> = p1.datagrams().map(|d| d.payload[1]).collect();
    let seconds: Vec<u8> = p2.datagrams().map(|d| d.payload[1]).collect();
    assert_eq!((firsts, seconds), (vec![0, 1], vec![2]));
}

#[test]
fn the_hosts_datagram_limit_caps_each_ntb() {
    let mut b = NtbBuilder::new(InLimits {
        max_datagrams: 2,
        ..EM7305_IN
    });
    for n in 0..5 {
        b.push(Stream::Ip(0), ip(n, 40)).unwrap();
    }
    let counts: Vec<usize> = std::iter::from_fn(|| b.next_ntb())
        .map(|t| Packet::new_checked(&t[..]).unwrap().datagrams().count())
        .collect();
    assert_eq!(counts, [2, 2, 1]);
}

#[test]
fn divisor_remainder_and_ndp_alignment_are_kept() {
    let mut b = NtbBuilder::new(InLimits {
        divisor: 16,
        remainder: 2,
        ndp_alignment: 32,
        ..EM7305_IN
    });
    for n in 0..4 {
        b.push(Stream::Ip(n), ip(n, 33 + n as usize)).unwrap();
    }
    let ntb = b.next_ntb().unwrap();
    let p = Packet::new_checked(&ntb[..]).unwrap();
    for d in p.datagrams() {
        let at = d.payload.as_ptr() as usize - ntb.as_ptr() as usize;
        assert_eq!(at % 16, 2);
    }
    assert!(p.ndps().all(|n| n.index % 32 == 0));
    assert_eq!(p.ndps().count(), 4);
}

#[test]
fn ntb32_round_trips() {
    let mut b = NtbBuilder::new(InLimits {
        format: Format::Ntb32,
        ..EM7305_IN
    });
    b.push(Stream::Ip(5), ip(1, 1400)).unwrap();
    b.push(Stream::DeviceService(0), vec![7; 3]).unwrap();
    let ntb = b.next_ntb().unwrap();
    assert_eq!(&ntb[..4], b"ncmh");
    let p = Packet::new_checked(&ntb[..]).unwrap();
    assert_eq!(p.format(), Format::Ntb32);
    assert_eq!(&ntb[p.ndp_index() as usize..][..4], b"ips\x05");
    let got: Vec<_> = p.datagrams().map(|d| (d.stream, d.payload.len())).collect();
    assert_eq!(got, [(Stream::Ip(5), 1400), (Stream::DeviceService(0), 3)]);
}

#[test]
fn refusals() {
    let mut b = NtbBuilder::new(InLimits {
        max_size: 2048,
        ..EM7305_IN
    });
    assert_eq!(b.push(Stream::Ip(0), vec![]), Err(Refused::Empty));
    // NTH 12 + datagram + NDP 16 must fit 2048.
    assert_eq!(b.push(Stream::Ip(0), vec![1; 2020]), Ok(()));
    assert_eq!(
        b.push(Stream::Ip(0), vec![1; 2021]),
        Err(Refused::TooLarge(2021))
    );
    for _ in 1..NtbBuilder::MAX_QUEUED {
        b.push(Stream::Ip(0), vec![1]).unwrap();
    }
    assert_eq!(b.push(Stream::Ip(0), vec![1]), Err(Refused::Full));
}

#[test]
fn limits_that_shrink_drop_what_no_longer_fits() {
    let mut b = NtbBuilder::new(EM7305_IN);
    b.push(Stream::Ip(0), ip(0, 3000)).unwrap();
    b.push(Stream::Ip(0), ip(1, 100)).unwrap();
    b.set_limits(InLimits {
        max_size: 2048,
        ..EM7305_IN
    });
    let ntb = b.next_ntb().unwrap();
    let p = Packet::new_checked(&ntb[..]).unwrap();
    assert_eq!(
        p.datagrams().map(|d| d.payload.len()).collect::<Vec<_>>(),
        [100]
    );
    assert_eq!(b.dropped(), 1);
}

#[test]
fn reset_restarts_the_sequence_and_empties_the_queue() {
    let mut b = NtbBuilder::new(EM7305_IN);
    b.push(Stream::Ip(0), ip(0, 10)).unwrap();
    b.next_ntb().unwrap();
    b.push(Stream::Ip(0), ip(0, 10)).unwrap();
    assert_eq!(b.sequence(), 1);
    b.reset();
    assert_eq!((b.sequence(), b.pending()), (0, 0));
}

#[test]
fn a_zero_block_length_is_the_whole_transfer() {
    let a = ip(1, 30);
    let mut b = as_cdc_mbim_sends(0, &[&a]);
    b[8..10].fill(0);
    let p = Packet::new_checked(&b[..]).unwrap();
    assert_eq!(p.block_len(), b.len());
    assert_eq!(p.datagrams().next().unwrap().payload, &a[..]);
}

#[test]
fn padding_after_the_block_is_ignored() {
    let a = ip(1, 30);
    let mut b = as_cdc_mbim_sends(0, &[&a]);
    b.push(0);
    let p = Packet::new_checked(&b[..]).unwrap();
    assert_eq!(p.block_len(), b.len() - 1);
    assert_eq!(p.datagrams().count(), 1);
}

#[test]
fn signatures_name_streams_per_format() {
    assert_eq!(
        Stream::Ip(0).signature(Format::Ntb16).to_le_bytes(),
        *b"IPS\0"
    );
    assert_eq!(
        Stream::DeviceService(2)
            .signature(Format::Ntb32)
            .to_le_bytes(),
        *b"dss\x02"
    );
    assert_eq!(
        Stream::from_signature(u32::from_le_bytes(*b"IPS\x07"), Format::Ntb16),
        Some(Stream::Ip(7))
    );
    assert_eq!(
        Stream::from_signature(u32::from_le_bytes(*b"IPS\x07"), Format::Ntb32),
        None
    );
    assert_eq!(
        Stream::from_signature(u32::from_le_bytes(*b"NCM0"), Format::Ntb16),
        None
    );
}

#[test]
fn an_unchecked_packet_of_garbage_iterates_without_panicking() {
    let mut b = as_cdc_mbim_sends(0, &[&ip(1, 30)]);
    b[20..22].copy_from_slice(&0xFFF0u16.to_le_bytes());
    let p = Packet::new_unchecked(&b[..]);
    assert!(p.check().is_err());
    assert_eq!(p.datagrams().count(), 0);
    let p = Packet::new_unchecked(&b[..5]);
    assert_eq!(p.datagrams().count(), 0);
}
