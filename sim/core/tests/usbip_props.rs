//! USB/IP codec: every PDU survives encode → decode, fed in any split, and
//! no byte string makes the decoder panic.

use proptest::prelude::*;
use vmodem_core::usbip::{
    Decoder, ExportedDevice, ExportedInterface, Op, Pdu, RetSubmit, RetUnlink, Submit, Unlink,
};

fn device() -> impl Strategy<Value = ExportedDevice> {
    (
        "[a-z0-9/.-]{0,40}",
        "[0-9]-[0-9.]{1,8}",
        any::<(u32, u32, u32, u16, u16, u16)>(),
        any::<(u8, u8, u8, u8, u8)>(),
        prop::collection::vec(any::<(u8, u8, u8)>(), 0..10),
    )
        .prop_map(|(path, busid, n, c, ifs)| ExportedDevice {
            path,
            busid,
            busnum: n.0,
            devnum: n.1,
            speed: n.2,
            vendor_id: n.3,
            product_id: n.4,
            bcd_device: n.5,
            device_class: c.0,
            device_subclass: c.1,
            device_protocol: c.2,
            configuration_value: c.3,
            num_configurations: c.4,
            interfaces: ifs
                .into_iter()
                .map(|(class, subclass, protocol)| ExportedInterface {
                    class,
                    subclass,
                    protocol,
                })
                .collect(),
        })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::DevlistRequest),
        prop::collection::vec(device(), 0..3).prop_map(Op::DevlistReply),
        "[0-9]-[0-9]{1,3}".prop_map(|busid| Op::ImportRequest { busid }),
        device().prop_map(|mut d| {
            // OP_REP_IMPORT carries no interface list.
            d.interfaces.clear();
            Op::ImportReply {
                status: 0,
                device: Some(d),
            }
        }),
        (1u32..).prop_map(|status| Op::ImportReply {
            status,
            device: None
        }),
    ]
}

fn host_pdu() -> impl Strategy<Value = Pdu> {
    prop_oneof![
        (
            any::<(u32, u32, bool, u32, i32)>(),
            0u8..16,
            any::<[u8; 8]>(),
            prop::collection::vec(any::<u8>(), 0..600),
            0u32..2048,
        )
            .prop_map(|(h, ep, setup, data, in_len)| {
                let (seqnum, devid, dir_in, flags, interval) = h;
                let data = if dir_in { Vec::new() } else { data };
                Pdu::Submit(Submit {
                    seqnum,
                    devid,
                    dir_in,
                    ep,
                    transfer_flags: flags,
                    transfer_buffer_length: if dir_in { in_len } else { data.len() as u32 },
                    start_frame: 0,
                    number_of_packets: 0,
                    interval,
                    setup,
                    data,
                    iso: vec![],
                })
            }),
        (any::<(u32, u32, bool, u32)>(), 0u8..16).prop_map(|(h, ep)| Pdu::Unlink(Unlink {
            seqnum: h.0,
            devid: h.1,
            dir_in: h.2,
            ep,
            unlink_seqnum: h.3,
        })),
    ]
}

proptest! {
    #[test]
    fn ops_round_trip(o in op(), split in any::<prop::sample::Index>()) {
        let b = o.emit();
        let at = split.index(b.len() + 1);
        let mut d = Decoder::new();
        d.push(&b[..at]);
        if at < b.len() {
            prop_assert_eq!(d.next_op(), Ok(None));
        }
        d.push(&b[at..]);
        prop_assert_eq!(d.next_op(), Ok(Some(o)));
        prop_assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn host_pdus_round_trip(ps in prop::collection::vec(host_pdu(), 1..5), chunk in 1usize..100) {
        let bytes: Vec<u8> = ps.iter().flat_map(|p| p.emit()).collect();
        let mut d = Decoder::new();
        let mut got = Vec::new();
        for c in bytes.chunks(chunk) {
            d.push(c);
            while let Some(p) = d.next_pdu().unwrap() {
                got.push(p);
            }
        }
        prop_assert_eq!(got, ps);
    }

    #[test]
    fn replies_round_trip(seqnum: u32, status: i32, data in prop::collection::vec(any::<u8>(), 0..600)) {
        let r = Pdu::RetSubmit(RetSubmit {
            seqnum,
            status,
            actual_length: data.len() as u32,
            data,
            error_count: 0,
        });
        prop_assert_eq!(Pdu::parse(&r.emit(), true).map(|(p, _)| p), Ok(r));
        let u = Pdu::RetUnlink(RetUnlink { seqnum, status });
        prop_assert_eq!(Pdu::parse(&u.emit(), false).map(|(p, _)| p), Ok(u));
    }

    #[test]
    fn arbitrary_bytes_never_panic(b in prop::collection::vec(any::<u8>(), 0..400)) {
        let mut d = Decoder::new();
        d.push(&b);
        let _ = d.next_op();
        let mut d = Decoder::new();
        d.push(&b);
        for _ in 0..8 {
            if !matches!(d.next_pdu(), Ok(Some(_))) {
                break;
            }
        }
        let _ = Pdu::parse(&b, true);
    }
}
