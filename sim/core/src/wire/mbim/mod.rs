//! MBIM control messages (USB MBIM 1.0, section 9), without I/O.
//!
//! - [`Packet`]: a checked view of one control transfer: the message header
//!   (type, length, transaction id) and, for the fragmentable types, the
//!   fragment header.
//! - [`Message`]: a whole (unfragmented) message as an owned value.
//! - [`fragment`]: splitting device messages to the negotiated maximum
//!   transfer and reassembling host fragments.
//! - [`ib`]: the information buffer of commands: offset/size pairs,
//!   UTF-16LE strings, 4-byte padding.
//!
//! Every integer is little-endian.

pub mod fragment;
pub mod ib;
mod message;
pub mod stream;
mod uuid;

pub use message::{Message, HEADER_LEN};
pub use uuid::Uuid;

use super::{open_enum, Error, Result};

open_enum! {
    /// MessageType of the header.
    MessageType(u32) {
        OPEN = 1,
        CLOSE = 2,
        COMMAND = 3,
        HOST_ERROR = 4,
        OPEN_DONE = 0x8000_0001,
        CLOSE_DONE = 0x8000_0002,
        COMMAND_DONE = 0x8000_0003,
        FUNCTION_ERROR = 0x8000_0004,
        INDICATE_STATUS = 0x8000_0007,
    }
}

impl MessageType {
    /// Types that carry a fragment header and may be split.
    pub fn is_fragmentable(self) -> bool {
        matches!(
            self,
            MessageType::COMMAND | MessageType::COMMAND_DONE | MessageType::INDICATE_STATUS
        )
    }
}

open_enum! {
    /// ErrorStatusCode of HOST_ERROR and FUNCTION_ERROR.
    ProtocolError(u32) {
        TIMEOUT_FRAGMENT = 1,
        FRAGMENT_OUT_OF_SEQUENCE = 2,
        LENGTH_MISMATCH = 3,
        DUPLICATED_TID = 4,
        NOT_OPENED = 5,
        UNKNOWN = 6,
        CANCEL = 7,
        MAX_TRANSFER = 8,
    }
}

open_enum! {
    /// Status of OPEN_DONE, CLOSE_DONE and COMMAND_DONE.
    Status(u32) {
        SUCCESS = 0,
        BUSY = 1,
        FAILURE = 2,
        SIM_NOT_INSERTED = 3,
        BAD_SIM = 4,
        PIN_REQUIRED = 5,
        PIN_DISABLED = 6,
        NOT_REGISTERED = 7,
        PROVIDERS_NOT_FOUND = 8,
        NO_DEVICE_SUPPORT = 9,
        PROVIDER_NOT_VISIBLE = 10,
        DATA_CLASS_NOT_AVAILABLE = 11,
        PACKET_SERVICE_DETACHED = 12,
        MAX_ACTIVATED_CONTEXTS = 13,
        NOT_INITIALIZED = 14,
        VOICE_CALL_IN_PROGRESS = 15,
        CONTEXT_NOT_ACTIVATED = 16,
        SERVICE_NOT_ACTIVATED = 17,
        INVALID_ACCESS_STRING = 18,
        INVALID_USER_NAME_PWD = 19,
        RADIO_POWER_OFF = 20,
        INVALID_PARAMETERS = 21,
        READ_FAILURE = 22,
        WRITE_FAILURE = 23,
        OPERATION_NOT_ALLOWED = 28,
        MEMORY_FAILURE = 29,
        INVALID_MEMORY_INDEX = 30,
        MEMORY_FULL = 31,
        SMS_UNKNOWN_SMSC_ADDRESS = 100,
        SMS_NETWORK_TIMEOUT = 101,
        SMS_FORMAT_NOT_SUPPORTED = 104,
    }
}

open_enum! {
    /// CommandType of COMMAND.
    CommandType(u32) {
        QUERY = 0,
        SET = 1,
    }
}

/// Total and current fragment numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragmentHeader {
    pub total: u32,
    pub current: u32,
}

impl FragmentHeader {
    pub const WHOLE: FragmentHeader = FragmentHeader {
        total: 1,
        current: 0,
    };
    pub const LEN: usize = 8;
}

mod field {
    use core::ops::Range;
    pub const TYPE: Range<usize> = 0..4;
    pub const LENGTH: Range<usize> = 4..8;
    pub const TXN: Range<usize> = 8..12;
    pub const FRAG_TOTAL: Range<usize> = 12..16;
    pub const FRAG_CURRENT: Range<usize> = 16..20;
}

pub(crate) fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// A view of one MBIM control transfer.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    pub fn new_unchecked(buffer: T) -> Packet<T> {
        Packet { buffer }
    }

    /// Checks that the header is there, that its length field covers the
    /// header and fits the buffer, and that a fragmentable type has room
    /// for its fragment header. No accessor panics afterwards.
    pub fn new_checked(buffer: T) -> Result<Packet<T>> {
        let p = Packet::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    pub fn check_len(&self) -> Result<()> {
        let b = self.buffer.as_ref();
        if b.len() < HEADER_LEN {
            return Err(Error::Truncated("MBIM message header"));
        }
        let len = self.message_length() as usize;
        if len < HEADER_LEN {
            return Err(Error::BadLength("MBIM MessageLength below the header"));
        }
        if len > b.len() {
            return Err(Error::Truncated("MBIM MessageLength beyond the transfer"));
        }
        if self.message_type().is_fragmentable() && len < HEADER_LEN + FragmentHeader::LEN {
            return Err(Error::BadLength("MBIM fragment header"));
        }
        Ok(())
    }

    pub fn message_type(&self) -> MessageType {
        MessageType(le32(self.buffer.as_ref(), field::TYPE.start))
    }
    pub fn message_length(&self) -> u32 {
        le32(self.buffer.as_ref(), field::LENGTH.start)
    }
    pub fn transaction_id(&self) -> u32 {
        le32(self.buffer.as_ref(), field::TXN.start)
    }
    /// The fragment header, for types that have one.
    pub fn fragment(&self) -> Option<FragmentHeader> {
        let b = self.buffer.as_ref();
        (self.message_type().is_fragmentable() && b.len() >= field::FRAG_CURRENT.end).then(|| {
            FragmentHeader {
                total: le32(b, field::FRAG_TOTAL.start),
                current: le32(b, field::FRAG_CURRENT.start),
            }
        })
    }
    /// What follows the header (and fragment header), up to MessageLength.
    pub fn body(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        let start = if self.message_type().is_fragmentable() {
            field::FRAG_CURRENT.end
        } else {
            HEADER_LEN
        };
        let end = (self.message_length() as usize).min(b.len());
        b.get(start..end).unwrap_or(&[])
    }
    pub fn into_inner(self) -> T {
        self.buffer
    }
}

/// The transaction id of a transfer, if its header can be read at all.
pub fn peek_transaction_id(b: &[u8]) -> Option<u32> {
    (b.len() >= HEADER_LEN).then(|| le32(b, field::TXN.start))
}

/// Writes a header (and fragment header when given) into `out`.
pub(crate) fn emit_header(
    out: &mut Vec<u8>,
    ty: MessageType,
    len: usize,
    txn: u32,
    frag: Option<FragmentHeader>,
) {
    out.extend_from_slice(&ty.0.to_le_bytes());
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.extend_from_slice(&txn.to_le_bytes());
    if let Some(f) = frag {
        out.extend_from_slice(&f.total.to_le_bytes());
        out.extend_from_slice(&f.current.to_le_bytes());
    }
}

#[cfg(test)]
mod tests;
