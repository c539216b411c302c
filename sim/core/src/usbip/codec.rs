//! USB/IP PDUs: encoding, decoding, and a stream decoder.

use super::device::{ExportedDevice, DEVICE_LEN, INTERFACE_LEN};

/// Protocol version 1.1.1, what usbip-utils send and expect.
pub const USBIP_VERSION: u16 = 0x0111;
/// version + code + status.
pub const OP_HEADER_LEN: usize = 8;
/// Every URB-phase PDU starts with a 48-byte header.
pub const HEADER_LEN: usize = 48;
const BUSID_LEN: usize = 32;

const OP_REQ_DEVLIST: u16 = 0x8005;
const OP_REP_DEVLIST: u16 = 0x0005;
const OP_REQ_IMPORT: u16 = 0x8003;
const OP_REP_IMPORT: u16 = 0x0003;

const CMD_SUBMIT: u32 = 1;
const CMD_UNLINK: u32 = 2;
const RET_SUBMIT: u32 = 3;
const RET_UNLINK: u32 = 4;

const DIR_OUT: u32 = 0;
const DIR_IN: u32 = 1;

/// Largest OUT data stage accepted; a bigger one is a hostile or broken
/// peer, and waiting for it would let it grow our buffer without bound.
pub const MAX_TRANSFER: usize = 4 << 20;
/// The kernel's USBIP_MAX_ISO_PACKETS.
const MAX_ISO_PACKETS: u32 = 1024;
const ISO_DESC_LEN: usize = 16;
/// Devices listed in one OP_REP_DEVLIST we are willing to decode.
const MAX_DEVICES: u32 = 256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("incomplete PDU: {needed} more bytes needed")]
    Incomplete { needed: usize },
    #[error("truncated {0}")]
    Truncated(&'static str),
    #[error("unsupported USB/IP version {0:#06x}")]
    Version(u16),
    #[error("unknown operation code {0:#06x}")]
    UnknownOp(u16),
    #[error("unknown command {0:#x}")]
    UnknownCommand(u32),
    #[error("bad direction {0}")]
    Direction(u32),
    #[error("endpoint {0} out of range")]
    Endpoint(u32),
    #[error("transfer length {0} out of range")]
    Length(i64),
    #[error("{0} ISO packets")]
    IsoPackets(u32),
    #[error("string field is not UTF-8")]
    BadString,
}

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

/// One ISO packet descriptor (unused by this device, kept for framing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IsoPacket {
    pub offset: u32,
    pub length: u32,
    pub actual_length: u32,
    pub status: i32,
}

/// USBIP_CMD_SUBMIT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submit {
    pub seqnum: u32,
    pub devid: u32,
    /// IN when true.
    pub dir_in: bool,
    /// Endpoint number, 0..=15 (no direction bit).
    pub ep: u8,
    pub transfer_flags: u32,
    pub transfer_buffer_length: u32,
    pub start_frame: i32,
    /// 0 (or 0xffffffff per the protocol document) when not ISO.
    pub number_of_packets: u32,
    pub interval: i32,
    pub setup: [u8; 8],
    /// OUT data stage (empty for IN).
    pub data: Vec<u8>,
    pub iso: Vec<IsoPacket>,
}

/// USBIP_RET_SUBMIT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetSubmit {
    pub seqnum: u32,
    pub status: i32,
    /// For IN: the data returned. For OUT: empty, `actual_length` tells how much was taken.
    pub data: Vec<u8>,
    pub actual_length: u32,
    pub error_count: i32,
}

/// USBIP_CMD_UNLINK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unlink {
    pub seqnum: u32,
    pub devid: u32,
    pub dir_in: bool,
    pub ep: u8,
    /// The CMD_SUBMIT to cancel.
    pub unlink_seqnum: u32,
}

/// USBIP_RET_UNLINK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetUnlink {
    pub seqnum: u32,
    pub status: i32,
}

/// URB phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pdu {
    Submit(Submit),
    Unlink(Unlink),
    RetSubmit(RetSubmit),
    RetUnlink(RetUnlink),
}

fn be16(b: &[u8], o: usize) -> u16 {
    u16::from_be_bytes([b[o], b[o + 1]])
}
fn be32(b: &[u8], o: usize) -> u32 {
    u32::from_be_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}
fn need(b: &[u8], n: usize) -> Result<(), Error> {
    if b.len() < n {
        Err(Error::Incomplete {
            needed: n - b.len(),
        })
    } else {
        Ok(())
    }
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
                super::device::put_str(&mut out, busid, BUSID_LEN);
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
                let busid = super::device::get_str(&body[..BUSID_LEN])?;
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

fn put_header(out: &mut Vec<u8>, cmd: u32, seqnum: u32, devid: u32, dir_in: bool, ep: u8) {
    for v in [cmd, seqnum, devid, dir_in as u32, ep as u32] {
        out.extend_from_slice(&v.to_be_bytes());
    }
}

impl Pdu {
    pub fn emit(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN);
        match self {
            Pdu::Submit(s) => {
                put_header(&mut out, CMD_SUBMIT, s.seqnum, s.devid, s.dir_in, s.ep);
                for v in [
                    s.transfer_flags,
                    s.transfer_buffer_length,
                    s.start_frame as u32,
                    s.number_of_packets,
                    s.interval as u32,
                ] {
                    out.extend_from_slice(&v.to_be_bytes());
                }
                out.extend_from_slice(&s.setup);
                if !s.dir_in {
                    out.extend_from_slice(&s.data);
                }
                emit_iso(&mut out, &s.iso);
            }
            Pdu::Unlink(u) => {
                put_header(&mut out, CMD_UNLINK, u.seqnum, u.devid, u.dir_in, u.ep);
                out.extend_from_slice(&u.unlink_seqnum.to_be_bytes());
                out.resize(HEADER_LEN, 0);
            }
            // The server leaves devid, direction and ep zero in replies; the
            // host matches them by seqnum.
            Pdu::RetSubmit(r) => {
                put_header(&mut out, RET_SUBMIT, r.seqnum, 0, false, 0);
                for v in [r.status as u32, r.actual_length, 0, 0, r.error_count as u32] {
                    out.extend_from_slice(&v.to_be_bytes());
                }
                out.resize(HEADER_LEN, 0);
                out.extend_from_slice(&r.data);
            }
            Pdu::RetUnlink(r) => {
                put_header(&mut out, RET_UNLINK, r.seqnum, 0, false, 0);
                out.extend_from_slice(&(r.status as u32).to_be_bytes());
                out.resize(HEADER_LEN, 0);
            }
        }
        out
    }

    /// Decodes one PDU from the start of `b`. RET_SUBMIT carries data only
    /// for IN transfers, which its header does not say: `ret_in` tells
    /// whether the reply answers an IN submit (a client decoder knows).
    pub fn parse(b: &[u8], ret_in: bool) -> Result<(Pdu, usize), Error> {
        need(b, HEADER_LEN)?;
        let cmd = be32(b, 0);
        let seqnum = be32(b, 4);
        let devid = be32(b, 8);
        let dir = be32(b, 12);
        let dir_in = match dir {
            DIR_OUT => false,
            DIR_IN => true,
            d => return Err(Error::Direction(d)),
        };
        let ep = be32(b, 16);
        if ep > 15 {
            return Err(Error::Endpoint(ep));
        }
        let ep = ep as u8;
        match cmd {
            CMD_SUBMIT => {
                let length = be32(b, 24);
                let number_of_packets = be32(b, 32);
                if length as usize > MAX_TRANSFER || (length as i32) < 0 {
                    return Err(Error::Length(length as i32 as i64));
                }
                let iso_n = match number_of_packets {
                    0 | u32::MAX => 0,
                    n if n <= MAX_ISO_PACKETS => n as usize,
                    n => return Err(Error::IsoPackets(n)),
                };
                let data_len = if dir_in { 0 } else { length as usize };
                let total = HEADER_LEN + data_len + iso_n * ISO_DESC_LEN;
                need(b, total)?;
                let mut setup = [0u8; 8];
                setup.copy_from_slice(&b[40..48]);
                let data = b[HEADER_LEN..HEADER_LEN + data_len].to_vec();
                let iso = parse_iso(&b[HEADER_LEN + data_len..total]);
                Ok((
                    Pdu::Submit(Submit {
                        seqnum,
                        devid,
                        dir_in,
                        ep,
                        transfer_flags: be32(b, 20),
                        transfer_buffer_length: length,
                        start_frame: be32(b, 28) as i32,
                        number_of_packets,
                        interval: be32(b, 36) as i32,
                        setup,
                        data,
                        iso,
                    }),
                    total,
                ))
            }
            CMD_UNLINK => Ok((
                Pdu::Unlink(Unlink {
                    seqnum,
                    devid,
                    dir_in,
                    ep,
                    unlink_seqnum: be32(b, 20),
                }),
                HEADER_LEN,
            )),
            RET_SUBMIT => {
                let actual = be32(b, 24);
                if actual as usize > MAX_TRANSFER {
                    return Err(Error::Length(actual as i64));
                }
                let data_len = if ret_in { actual as usize } else { 0 };
                need(b, HEADER_LEN + data_len)?;
                Ok((
                    Pdu::RetSubmit(RetSubmit {
                        seqnum,
                        status: be32(b, 20) as i32,
                        data: b[HEADER_LEN..HEADER_LEN + data_len].to_vec(),
                        actual_length: actual,
                        error_count: be32(b, 36) as i32,
                    }),
                    HEADER_LEN + data_len,
                ))
            }
            RET_UNLINK => Ok((
                Pdu::RetUnlink(RetUnlink {
                    seqnum,
                    status: be32(b, 20) as i32,
                }),
                HEADER_LEN,
            )),
            other => Err(Error::UnknownCommand(other)),
        }
    }
}

fn emit_iso(out: &mut Vec<u8>, iso: &[IsoPacket]) {
    for p in iso {
        for v in [p.offset, p.length, p.actual_length, p.status as u32] {
            out.extend_from_slice(&v.to_be_bytes());
        }
    }
}

fn parse_iso(b: &[u8]) -> Vec<IsoPacket> {
    b.chunks_exact(ISO_DESC_LEN)
        .map(|c| IsoPacket {
            offset: be32(c, 0),
            length: be32(c, 4),
            actual_length: be32(c, 8),
            status: be32(c, 12) as i32,
        })
        .collect()
}

/// Accumulates bytes from a stream and yields whole operations or PDUs.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
}

impl Decoder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received but not yet decoded.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next operation, `Ok(None)` while incomplete. After an error the
    /// stream cannot be resynchronised: close the connection.
    pub fn next_op(&mut self) -> Result<Option<Op>, Error> {
        self.take(Op::parse)
    }

    /// The next URB-phase PDU sent by a host (CMD_SUBMIT / CMD_UNLINK).
    pub fn next_pdu(&mut self) -> Result<Option<Pdu>, Error> {
        self.take(|b| Pdu::parse(b, false))
    }

    fn take<T>(
        &mut self,
        parse: impl FnOnce(&[u8]) -> Result<(T, usize), Error>,
    ) -> Result<Option<T>, Error> {
        match parse(&self.buf) {
            Ok((v, n)) => {
                self.buf.drain(..n);
                Ok(Some(v))
            }
            Err(Error::Incomplete { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devlist_request_is_eight_bytes() {
        assert_eq!(
            Op::DevlistRequest.emit(),
            [0x01, 0x11, 0x80, 0x05, 0, 0, 0, 0]
        );
    }

    #[test]
    fn submit_waits_for_its_data_stage() {
        let s = Submit {
            seqnum: 7,
            devid: 0x10002,
            dir_in: false,
            ep: 4,
            transfer_flags: 0,
            transfer_buffer_length: 3,
            start_frame: 0,
            number_of_packets: 0,
            interval: 0,
            setup: [0; 8],
            data: vec![1, 2, 3],
            iso: vec![],
        };
        let b = Pdu::Submit(s.clone()).emit();
        assert_eq!(b.len(), HEADER_LEN + 3);
        let mut d = Decoder::new();
        d.push(&b[..HEADER_LEN + 2]);
        assert_eq!(d.next_pdu(), Ok(None));
        d.push(&b[HEADER_LEN + 2..]);
        assert_eq!(d.next_pdu(), Ok(Some(Pdu::Submit(s))));
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn ret_unlink_layout() {
        let b = Pdu::RetUnlink(RetUnlink {
            seqnum: 9,
            status: -104,
        })
        .emit();
        assert_eq!(b.len(), HEADER_LEN);
        assert_eq!(&b[0..8], &[0, 0, 0, 4, 0, 0, 0, 9]);
        assert_eq!(&b[20..24], &(-104i32).to_be_bytes());
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let mut b = Pdu::RetUnlink(RetUnlink {
            seqnum: 1,
            status: 0,
        })
        .emit();
        b[3] = 9;
        assert_eq!(Pdu::parse(&b, false), Err(Error::UnknownCommand(9)));
        assert_eq!(
            Op::parse(&[0x01, 0x00, 0x80, 0x05, 0, 0, 0, 0]),
            Err(Error::Version(0x0100))
        );
    }
}
