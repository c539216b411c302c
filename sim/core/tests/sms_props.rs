//! Property tests of the SMS PDU codec: any text splits into parts that
//! encode, parse back and join to the same text; any owned PDU round-trips;
//! any bytes parse or fail without panicking.

use proptest::prelude::*;
use vmodem_core::wire::sms::{
    split_text, Address, Alphabet, Dcs, Deliver, Direction, Pdu, Submit, Timestamp, Tpdu, Validity,
};

/// Text mixing the GSM alphabet, its extension table, Latin-1, CJK and
/// emoji (outside the BMP: surrogate pairs in UCS-2).
fn text() -> impl Strategy<Value = String> {
    let chars = prop_oneof![
        prop::char::range('a', 'z'),
        Just('€'),
        Just('['),
        Just('é'),
        Just('\n'),
        prop::char::range('\u{4e00}', '\u{4e20}'),
        prop::char::range('\u{1F600}', '\u{1F64F}'),
    ];
    prop::collection::vec(chars, 1..400).prop_map(|v| v.into_iter().collect())
}

fn number() -> impl Strategy<Value = Address> {
    "\\+?[0-9]{1,20}".prop_map(|n| Address::from_number(&n).unwrap())
}

proptest! {
    #[test]
    fn text_survives_split_encode_parse_join(t in text(), reference in any::<u16>(), to in number()) {
        let (alphabet, parts) = split_text(&t, reference).unwrap();
        let dcs = Dcs::new(alphabet, None);
        let mut joined = String::new();
        for (i, ud) in parts.iter().enumerate() {
            let pdu = Pdu {
                smsc: None,
                tpdu: Tpdu::Submit(Submit {
                    reject_duplicates: false,
                    status_report_request: false,
                    reply_path: false,
                    reference: i as u8,
                    destination: to.clone(),
                    pid: 0,
                    dcs,
                    validity: Validity::Relative(0xA7),
                    user_data: ud.clone(),
                }),
            };
            let bytes = pdu.to_bytes().unwrap();
            // One message's PDU: SMSC + at most 164 octets of TPDU.
            prop_assert!(bytes.len() <= 1 + 164);
            let back = Pdu::parse(&bytes, Direction::FromHost).unwrap();
            prop_assert_eq!(&back, &pdu);
            if parts.len() > 1 {
                let c = ud.concat().unwrap();
                prop_assert_eq!((c.seq as usize, c.total as usize, c.reference), (i + 1, parts.len(), reference));
            }
            joined.push_str(&back.text().unwrap());
        }
        prop_assert_eq!(joined, t.clone());
        let gsm = t.chars().all(|c| vmodem_core::wire::sms::gsm7::encode_char(c).is_some());
        prop_assert_eq!(alphabet == Alphabet::Gsm7, gsm);
    }

    #[test]
    fn deliver_round_trips(t in text(), class in prop::option::of(0u8..4), from in number(), fields in any::<[u8; 6]>(), zone in -48i8..=48) {
        let (alphabet, parts) = split_text(&t, 1).unwrap();
        let pdu = Pdu {
            smsc: Address::from_number("+15550000"),
            tpdu: Tpdu::Deliver(Deliver {
                more_messages: false,
                status_report_indication: false,
                reply_path: false,
                originator: from,
                pid: 0,
                dcs: Dcs::new(alphabet, class),
                timestamp: Timestamp::new(fields.map(|f| f % 60), zone),
                user_data: parts[0].clone(),
            }),
        };
        let bytes = pdu.to_bytes().unwrap();
        prop_assert_eq!(Pdu::parse(&bytes, Direction::ToHost).unwrap(), pdu.clone());
        prop_assert_eq!(Dcs::new(alphabet, class).class(), class);
    }

    #[test]
    fn any_bytes_parse_or_fail(b in prop::collection::vec(any::<u8>(), 0..200)) {
        vmodem_core::fuzzing::sms_pdu(&b);
    }
}
