//! The discovery and import phase: OP_REQ/OP_REP_DEVLIST and IMPORT.

use super::device::{get_str, put_str, ExportedDevice, DEVICE_LEN, INTERFACE_LEN};
use super::error::{be16, be32, need, Error};

/// Protocol version 1.1.1, what usbip-utils send and expect.
pub const USBIP_VERSION: u16 = 0x0111;
/// version + code + status.
pub const OP_HEADER_LEN: usize = 8;
const BUSID_LEN: usize = 32;
/// Devices listed in one OP_REP_DEVLIST we are willing to decode.
const MAX_DEVICES: u32 = 256;

const OP_REQ_DEVLIST: u16 = 0x8005;
const OP_REP_DEVLIST: u16 = 0x0005;
const OP_REQ_IMPORT: u16 = 0x8003;
const OP_REP_IMPORT: u16 = 0x0003;

/// Discovery and import phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    DevlistRequest,
    DevlistReply(Vec<ExportedDevice>),
    ImportRequest {
        busid: String,
    },
    /// `device` is present exactly when `status` is 0.
    ImportReply {
        status: u32,
        device: Option<ExportedDevice>,
    },
}

impl Op {
    pub fn emit(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let head = |out: &mut Vec<u8>, code: u16, status: u32| {
            out.extend_from_slice(&USBIP_VERSION.to_be_bytes());
            out.extend_from_slice(&code.to_be_bytes());
            out.extend_from_slice(&status.to_be_bytes());
        };
        match self {
            Op::DevlistRequest => head(&mut out, OP_REQ_DEVLIST, 0),
            Op::DevlistReply(devs) => {
                head(&mut out, OP_REP_DEVLIST, 0);
                out.extend_from_slice(&(devs.len() as u32).to_be_bytes());
                for d in devs {
                    d.emit(&mut out);
                    d.emit_interfaces(&mut out);
                }
            }
            Op::ImportRequest { busid } => {
                head(&mut out, OP_REQ_IMPORT, 0);
                put_str(&mut out, busid, BUSID_LEN);
            }
            Op::ImportReply { status, device } => {
                head(&mut out, OP_REP_IMPORT, *status);
                if let Some(d) = device {
                    d.emit(&mut out);
                }
            }
        }
        out
    }

    /// Decodes one operation from the start of `b`; returns it and the
    /// bytes it took.
    pub fn parse(b: &[u8]) -> Result<(Op, usize), Error> {
        need(b, OP_HEADER_LEN)?;
        let version = be16(b, 0);
        if version != USBIP_VERSION {
            return Err(Error::Version(version));
        }
        let code = be16(b, 2);
        let status = be32(b, 4);
        let body = &b[OP_HEADER_LEN..];
        match code {
            OP_REQ_DEVLIST => Ok((Op::DevlistRequest, OP_HEADER_LEN)),
            OP_REQ_IMPORT => {
                need(body, BUSID_LEN)?;
                let busid = get_str(&body[..BUSID_LEN])?;
                Ok((Op::ImportRequest { busid }, OP_HEADER_LEN + BUSID_LEN))
            }
            OP_REP_IMPORT if status != 0 => Ok((
                Op::ImportReply {
                    status,
                    device: None,
                },
                OP_HEADER_LEN,
            )),
            OP_REP_IMPORT => {
                need(body, DEVICE_LEN)?;
                let (d, _) = ExportedDevice::parse(body)?;
                Ok((
                    Op::ImportReply {
                        status,
                        device: Some(d),
                    },
                    OP_HEADER_LEN + DEVICE_LEN,
                ))
            }
            OP_REP_DEVLIST => {
                need(body, 4)?;
                let n = be32(body, 0);
                if n > MAX_DEVICES {
                    return Err(Error::Length(n as i64));
                }
                let mut at = 4;
                let mut devs = Vec::new();
                for _ in 0..n {
                    need(&body[at..], DEVICE_LEN)?;
                    let (mut d, ni) = ExportedDevice::parse(&body[at..])?;
                    at += DEVICE_LEN;
                    need(&body[at..], ni as usize * INTERFACE_LEN)?;
                    for _ in 0..ni {
                        d.interfaces
                            .push(ExportedDevice::parse_interface(&body[at..]));
                        at += INTERFACE_LEN;
                    }
                    devs.push(d);
                }
                Ok((Op::DevlistReply(devs), OP_HEADER_LEN + at))
            }
            other => Err(Error::UnknownOp(other)),
        }
    }
}
