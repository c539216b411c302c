//! Whole MBIM messages as owned values.

use super::{
    emit_header, le32, CommandType, Error, FragmentHeader, MessageType, Packet, ProtocolError,
    Result, Status, Uuid,
};

/// Type, length and transaction id.
pub const HEADER_LEN: usize = 12;
/// Header, fragment header, service, CID and command type / status.
const COMMAND_FIXED: usize = HEADER_LEN + FragmentHeader::LEN + 16 + 4 + 4 + 4;
const INDICATE_FIXED: usize = HEADER_LEN + FragmentHeader::LEN + 16 + 4 + 4;

/// One unfragmented MBIM control message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Open {
        txn: u32,
        max_control_transfer: u32,
    },
    Close {
        txn: u32,
    },
    Command {
        txn: u32,
        service: Uuid,
        cid: u32,
        command_type: CommandType,
        info: Vec<u8>,
    },
    HostError {
        txn: u32,
        error: ProtocolError,
    },
    OpenDone {
        txn: u32,
        status: Status,
    },
    CloseDone {
        txn: u32,
        status: Status,
    },
    CommandDone {
        txn: u32,
        service: Uuid,
        cid: u32,
        status: Status,
        info: Vec<u8>,
    },
    FunctionError {
        txn: u32,
        error: ProtocolError,
    },
    IndicateStatus {
        txn: u32,
        service: Uuid,
        cid: u32,
        info: Vec<u8>,
    },
}

fn u32_body(body: &[u8], what: &'static str) -> Result<u32> {
    match body.len() {
        0..=3 => Err(Error::Truncated(what)),
        4 => Ok(le32(body, 0)),
        _ => Err(Error::TrailingData(what)),
    }
}

/// The information buffer after the fixed fields at `fixed`, whose length
/// field sits just before it; it must fill the message exactly.
fn info(msg: &[u8], fixed: usize) -> Result<Vec<u8>> {
    if msg.len() < fixed {
        return Err(Error::Truncated("MBIM command fields"));
    }
    let len = le32(msg, fixed - 4) as usize;
    match (msg.len() - fixed).cmp(&len) {
        core::cmp::Ordering::Less => Err(Error::Truncated("MBIM InformationBuffer")),
        core::cmp::Ordering::Greater => Err(Error::TrailingData("MBIM InformationBuffer")),
        core::cmp::Ordering::Equal => Ok(msg[fixed..].to_vec()),
    }
}

impl Message {
    /// Parses one whole message: MessageLength must equal the transfer and
    /// a fragmentable message must be its only fragment.
    pub fn parse(b: &[u8]) -> Result<Message> {
        let p = Packet::new_checked(b)?;
        if p.message_length() as usize != b.len() {
            return Err(Error::TrailingData("MBIM transfer beyond MessageLength"));
        }
        if let Some(f) = p.fragment() {
            if f != FragmentHeader::WHOLE {
                return Err(Error::BadValue("MBIM fragment of a larger message"));
            }
        }
        let txn = p.transaction_id();
        let body = p.body();
        let uuid = |at| Uuid::from_slice(&b[at..]).ok_or(Error::Truncated("MBIM service"));
        Ok(match p.message_type() {
            MessageType::OPEN => Message::Open {
                txn,
                max_control_transfer: u32_body(body, "MBIM OPEN")?,
            },
            MessageType::CLOSE if body.is_empty() => Message::Close { txn },
            MessageType::CLOSE => return Err(Error::TrailingData("MBIM CLOSE")),
            MessageType::HOST_ERROR => Message::HostError {
                txn,
                error: ProtocolError(u32_body(body, "MBIM HOST_ERROR")?),
            },
            MessageType::FUNCTION_ERROR => Message::FunctionError {
                txn,
                error: ProtocolError(u32_body(body, "MBIM FUNCTION_ERROR")?),
            },
            MessageType::OPEN_DONE => Message::OpenDone {
                txn,
                status: Status(u32_body(body, "MBIM OPEN_DONE")?),
            },
            MessageType::CLOSE_DONE => Message::CloseDone {
                txn,
                status: Status(u32_body(body, "MBIM CLOSE_DONE")?),
            },
            MessageType::COMMAND => {
                let info = info(b, COMMAND_FIXED)?;
                Message::Command {
                    txn,
                    service: uuid(20)?,
                    cid: le32(b, 36),
                    command_type: CommandType(le32(b, 40)),
                    info,
                }
            }
            MessageType::COMMAND_DONE => {
                let info = info(b, COMMAND_FIXED)?;
                Message::CommandDone {
                    txn,
                    service: uuid(20)?,
                    cid: le32(b, 36),
                    status: Status(le32(b, 40)),
                    info,
                }
            }
            MessageType::INDICATE_STATUS => {
                let info = info(b, INDICATE_FIXED)?;
                Message::IndicateStatus {
                    txn,
                    service: uuid(20)?,
                    cid: le32(b, 36),
                    info,
                }
            }
            _ => return Err(Error::BadValue("MBIM MessageType")),
        })
    }

    pub fn message_type(&self) -> MessageType {
        match self {
            Message::Open { .. } => MessageType::OPEN,
            Message::Close { .. } => MessageType::CLOSE,
            Message::Command { .. } => MessageType::COMMAND,
            Message::HostError { .. } => MessageType::HOST_ERROR,
            Message::OpenDone { .. } => MessageType::OPEN_DONE,
            Message::CloseDone { .. } => MessageType::CLOSE_DONE,
            Message::CommandDone { .. } => MessageType::COMMAND_DONE,
            Message::FunctionError { .. } => MessageType::FUNCTION_ERROR,
            Message::IndicateStatus { .. } => MessageType::INDICATE_STATUS,
        }
    }

    pub fn transaction_id(&self) -> u32 {
        match *self {
            Message::Open { txn, .. }
            | Message::Close { txn }
            | Message::Command { txn, .. }
            | Message::HostError { txn, .. }
            | Message::OpenDone { txn, .. }
            | Message::CloseDone { txn, .. }
            | Message::CommandDone { txn, .. }
            | Message::FunctionError { txn, .. }
            | Message::IndicateStatus { txn, .. } => txn,
        }
    }

    /// The encoded length.
    pub fn buffer_len(&self) -> usize {
        match self {
            Message::Close { .. } => HEADER_LEN,
            Message::Open { .. }
            | Message::HostError { .. }
            | Message::FunctionError { .. }
            | Message::OpenDone { .. }
            | Message::CloseDone { .. } => HEADER_LEN + 4,
            Message::Command { info, .. } | Message::CommandDone { info, .. } => {
                COMMAND_FIXED + info.len()
            }
            Message::IndicateStatus { info, .. } => INDICATE_FIXED + info.len(),
        }
    }

    /// Encodes the message whole (one fragment).
    pub fn to_bytes(&self) -> Vec<u8> {
        let len = self.buffer_len();
        let ty = self.message_type();
        let frag = ty.is_fragmentable().then_some(FragmentHeader::WHOLE);
        let mut out = Vec::with_capacity(len);
        emit_header(&mut out, ty, len, self.transaction_id(), frag);
        let mut put = |v: u32| out.extend_from_slice(&v.to_le_bytes());
        match self {
            Message::Close { .. } => {}
            Message::Open {
                max_control_transfer: v,
                ..
            } => put(*v),
            Message::HostError { error, .. } | Message::FunctionError { error, .. } => put(error.0),
            Message::OpenDone { status, .. } | Message::CloseDone { status, .. } => put(status.0),
            Message::Command {
                service,
                cid,
                command_type,
                info,
                ..
            } => {
                out.extend_from_slice(&service.0);
                for v in [*cid, command_type.0, info.len() as u32] {
                    out.extend_from_slice(&v.to_le_bytes());
                }
                out.extend_from_slice(info);
            }
            Message::CommandDone {
                service,
                cid,
                status,
                info,
                ..
            } => {
                out.extend_from_slice(&service.0);
                for v in [*cid, status.0, info.len() as u32] {
                    out.extend_from_slice(&v.to_le_bytes());
                }
                out.extend_from_slice(info);
            }
            Message::IndicateStatus {
                service, cid, info, ..
            } => {
                out.extend_from_slice(&service.0);
                for v in [*cid, info.len() as u32] {
                    out.extend_from_slice(&v.to_le_bytes());
                }
                out.extend_from_slice(info);
            }
        }
        debug_assert_eq!(out.len(), len);
        out
    }
}
