//! SMS PDUs (3GPP TS 23.040, TS 23.038): addresses, coding schemes, user
//! data headers and the TPDUs, with the SMSC address in front as QMI WMS,
//! MBIM and AT PDU mode carry them. `pdu::Packet` is the checked view,
//! `pdu::Pdu` the owned representation.

pub mod address;
pub mod gsm7;
pub mod pdu;
pub mod user_data;

pub use address::{Address, Timestamp};
pub use pdu::{Deliver, Direction, Packet, Pdu, StatusReport, Submit, Tpdu, Validity};
pub use user_data::{split_text, Alphabet, Concat, Dcs, InfoElement, Payload, UserData};
