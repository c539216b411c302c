use super::*;

const IF: u16 = 12;

fn setup(request_type: u8, request: u8, value: u16, length: u16) -> Setup {
    Setup {
        request_type,
        request,
        value,
        index: IF,
        length,
    }
}

fn with_ntb32() -> NcmFunction {
    NcmFunction::with_parameters(
        IF as u8,
        NtbParameters {
            formats_supported: 0x0003,
            ..NtbParameters::EM7305
        },
    )
}

/// An OUT NTB with one IPS0 datagram, in `format`.
fn out_ntb(format: Format, seq: u16, payload: &[u8]) -> Vec<u8> {
    let mut b = NtbBuilder::new(InLimits {
        format,
        max_size: 4096,
        divisor: 4,
        remainder: 0,
        ndp_alignment: 4,
        max_datagrams: 0,
    });
    for _ in 0..seq {
        b.push(Stream::Ip(0), vec![0x45]).unwrap();
        b.next_ntb();
    }
    b.push(Stream::Ip(0), payload.to_vec()).unwrap();
    b.next_ntb().unwrap()
}

#[test]
fn cdc_ncm_init_against_the_em7305() {
    let mut f = NcmFunction::new(IF as u8);
    // usbnet_read_cmd(GET_NTB_PARAMETERS, IN|CLASS|INTERFACE, 0, iface, 28)
    let ControlReply::Data(b) = f.handle(&setup(0xA1, 0x80, 0, 28), &[]) else {
        panic!("GET_NTB_PARAMETERS stalled: cdc_ncm would not bind");
    };
    #[rustfmt::skip]
    assert_eq!(b, [
        0x1c, 0, 0x01, 0,       // wLength, NTB16 only
        0, 0x40, 0, 0,          // dwNtbInMaxSize 16384
        4, 0, 0, 0, 4, 0, 0, 0, // IN divisor 4, remainder 0, alignment 4, reserved
        0, 0x10, 0, 0,          // dwNtbOutMaxSize 4096
        4, 0, 0, 0, 4, 0, 0, 0, // OUT divisor, remainder, alignment, no datagram limit
    ]);
    let p = NtbParameters::parse(&b).unwrap();
    assert_eq!(p, NtbParameters::EM7305);
    // NTB32 is not offered, so cdc_ncm sends no SET_NTB_FORMAT; its
    // default rx_max (16384) equals dwNtbInMaxSize, so no
    // SET_NTB_INPUT_SIZE either. The function stays NTB16 at 16 KiB.
    assert_eq!((f.format(), f.in_max_size()), (Format::Ntb16, 16384));
    assert!(!p.supports(Format::Ntb32));
}

#[test]
fn rx_max_written_through_sysfs_sends_a_4_byte_input_size() {
    let mut f = NcmFunction::new(IF as u8);
    let set = setup(0x21, 0x86, 0, 4);
    assert_eq!(
        f.handle(&set, &8192u32.to_le_bytes()),
        ControlReply::Accept(None)
    );
    assert_eq!(f.in_max_size(), 8192);
    assert_eq!(
        f.handle(&setup(0xA1, 0x85, 0, 4), &[]),
        ControlReply::Data(8192u32.to_le_bytes().to_vec())
    );
    assert_eq!(f.in_limits().max_size, 8192);
}

#[test]
fn the_8_byte_input_size_limits_datagrams_per_ntb() {
    let mut f = NcmFunction::new(IF as u8);
    let mut data = 4096u32.to_le_bytes().to_vec();
    data.extend_from_slice(&[3, 0, 0, 0]);
    assert_eq!(
        f.handle(&setup(0x21, 0x86, 0, 8), &data),
        ControlReply::Accept(None)
    );
    assert_eq!(
        f.handle(&setup(0xA1, 0x85, 0, 8), &[]),
        ControlReply::Data(data.clone())
    );
    for _ in 0..7 {
        f.send(Stream::Ip(0), vec![0x45; 20]).unwrap();
    }
    let counts: Vec<usize> = std::iter::from_fn(|| f.poll_in())
        .map(|t| Packet::new_checked(&t[..]).unwrap().datagrams().count())
        .collect();
    assert_eq!(counts, [3, 3, 1]);
    assert_eq!(f.stats().ntbs_sent, 3);
}

#[test]
fn a_function_offering_ntb32_switches_when_asked() {
    let mut f = with_ntb32();
    let b = f.parameters().to_bytes();
    assert_eq!(&b[2..4], &[3, 0]);
    // cdc_mbim has no NTB32 preference: cdc_ncm_init picks NTB16.
    assert_eq!(
        f.handle(&setup(0x21, 0x84, 0, 0), &[]),
        ControlReply::Accept(None)
    );
    assert_eq!(
        f.handle(&setup(0x21, 0x84, 1, 0), &[]),
        ControlReply::Accept(None)
    );
    assert_eq!(f.format(), Format::Ntb32);
    assert_eq!(
        f.handle(&setup(0xA1, 0x83, 0, 2), &[]),
        ControlReply::Data(vec![1, 0])
    );
    f.send(Stream::Ip(0), vec![0x45; 30]).unwrap();
    assert_eq!(&f.poll_in().unwrap()[..4], b"ncmh");
    assert!(f.receive(&out_ntb(Format::Ntb32, 0, &[0x45; 30])).is_ok());
}

#[test]
fn reset_function_restores_the_defaults() {
    let mut f = with_ntb32();
    f.handle(&setup(0x21, 0x84, 1, 0), &[]);
    f.handle(&setup(0x21, 0x86, 0, 4), &4096u32.to_le_bytes());
    f.send(Stream::Ip(0), vec![0x45; 30]).unwrap();
    assert!(!f.take_reset_request());
    assert_eq!(
        f.handle(&setup(0x21, 0x05, 0, 0), &[]),
        ControlReply::Accept(None)
    );
    assert!(f.take_reset_request());
    assert!(!f.take_reset_request());
    assert_eq!(
        (f.format(), f.in_max_size(), f.pending_in()),
        (Format::Ntb16, 16384, 0)
    );
}

#[test]
fn get_ntb_parameters_honours_a_short_wlength() {
    let mut f = NcmFunction::new(IF as u8);
    assert_eq!(
        f.handle(&setup(0xA1, 0x80, 0, 4), &[]),
        ControlReply::Data(vec![0x1c, 0, 1, 0])
    );
    assert_eq!(
        f.handle(&setup(0xA1, 0x80, 0, 255), &[]),
        ControlReply::Data(NtbParameters::EM7305.to_bytes().to_vec())
    );
}

#[test]
fn out_ntbs_are_checked_against_format_size_and_sequence() {
    let mut f = NcmFunction::new(IF as u8);
    let first = out_ntb(Format::Ntb16, 0, &[0x45; 40]);
    let p = f.receive(&first).unwrap();
    assert_eq!(p.datagrams().next().unwrap().payload, &[0x45; 40][..]);
    assert!(f.receive(&out_ntb(Format::Ntb16, 1, &[0x45; 40])).is_ok());
    assert!(f.receive(&out_ntb(Format::Ntb16, 5, &[0x45; 40])).is_ok());
    assert_eq!(
        f.receive(&out_ntb(Format::Ntb32, 6, &[0x45; 40]))
            .unwrap_err(),
        ntb::Error::WrongFormat {
            selected: Format::Ntb16,
            got: Format::Ntb32
        }
    );
    let s = f.stats();
    assert_eq!(
        (s.ntbs_received, s.ntbs_refused, s.sequence_glitches),
        (3, 1, 1)
    );
}

#[test]
fn the_in_queue_is_bounded() {
    let mut f = NcmFunction::new(IF as u8);
    for _ in 0..NtbBuilder::MAX_QUEUED {
        f.send(Stream::Ip(0), vec![0x45; 20]).unwrap();
    }
    assert_eq!(f.send(Stream::Ip(0), vec![0x45; 20]), Err(Refused::Full));
    assert_eq!(f.stats().datagrams_refused, 1);
    let mut n = 0;
    while let Some(t) = f.poll_in() {
        assert!(t.len() <= 16384);
        n += Packet::new_checked(&t[..]).unwrap().datagrams().count();
    }
    assert_eq!(n, NtbBuilder::MAX_QUEUED);
}
