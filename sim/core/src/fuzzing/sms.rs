//! The SMS PDU codec: whatever a host writes as a PDU (QMI raw send, MBIM
//! SMS send, AT+CMGS in PDU mode), parsing never panics, the checked view
//! agrees with the owned parse, and what parses re-emits to bytes that
//! parse to the same value.

use crate::wire::sms::{Direction, Packet, Pdu};

pub fn sms_pdu(data: &[u8]) {
    for dir in [Direction::FromHost, Direction::ToHost] {
        let owned = Pdu::parse(data, dir);
        assert_eq!(Packet::new_checked(data, dir).is_ok(), owned.is_ok());
        if let Ok(p) = owned {
            let again = p.to_bytes().expect("a parsed PDU fits its lengths");
            assert_eq!(Pdu::parse(&again, dir).expect("re-emitted PDU parses"), p);
            let _ = p.text();
        }
    }
}
