//! QDL (Qualcomm streaming download) and the two DLOAD commands a host
//! sends first, as payloads inside the HDLC-like framing of
//! [`crate::wire::hdlc`]. All integers are little-endian.
//!
//! Layouts follow what libqmi's qmi-firmware-update sends and accepts
//! (docs/bootloader.md lists them with sources).

use crate::wire::open_enum;

open_enum! {
    /// The first payload byte.
    Command(u8) {
        HELLO_REQ = 0x01,
        /// Also DLOAD's ACK: both protocols answer with 0x02.
        HELLO_RSP = 0x02,
        DLOAD_NOP = 0x06,
        ERROR = 0x0D,
        OPEN_UNFRAMED_REQ = 0x25,
        OPEN_UNFRAMED_RSP = 0x26,
        WRITE_UNFRAMED_REQ = 0x27,
        WRITE_UNFRAMED_RSP = 0x28,
        CLOSE_UNFRAMED_REQ = 0x29,
        CLOSE_UNFRAMED_RSP = 0x2A,
        RESET_REQ = 0x2D,
        GET_IMAGE_PREF_REQ = 0x2E,
        GET_IMAGE_PREF_RSP = 0x2F,
        /// DLOAD "switch to streaming download".
        DLOAD_SDP = 0x70,
    }
}

/// DLOAD's acknowledgement (same byte as [`Command::HELLO_RSP`]).
pub const DLOAD_ACK: u8 = 0x02;

open_enum! {
    /// The code in an ERROR (0x0D) reply; the QDL table runs 0x00-0x1A.
    QdlError(u32) {
        NONE = 0x00,
        BAD_ADDR = 0x02,
        BAD_LEN = 0x03,
        BAD_PACKET = 0x04,
        BAD_CMD = 0x05,
        OP_FAILED = 0x07,
        CMD_SEQ = 0x0F,
        CLOSE = 0x10,
        BAD_FEATURES = 0x11,
        SPACE = 0x12,
        CMD_UNSUPPORTED = 0x16,
        BAD_CRC = 0x17,
        STATE = 0x18,
    }
}

/// What a HELLO magic starts with; the host appends "hst", a target "tgt".
pub const MAGIC_PREFIX: &[u8; 24] = b"QCOM high speed protocol";
/// The full magic field is 32 bytes, NUL-padded.
pub const MAGIC_LEN: usize = 32;
/// Feature bits a host offers in HELLO (libqmi offers both).
pub const FEATURE_GENERIC_UNFRAMED: u8 = 0x10;
pub const FEATURE_QDL_UNFRAMED: u8 = 0x20;

const HELLO_REQ_LEN: usize = 1 + MAGIC_LEN + 3;
/// libqmi rejects a HELLO response of any other size.
pub const HELLO_RSP_LEN: usize = 49;
/// An OPEN_UNFRAMED request before the image header it carries.
pub const OPEN_FIXED_LEN: usize = 13;

/// A payload whose command byte is known but whose body is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("empty payload")]
    Empty,
    #[error("unsupported command {0}")]
    Unsupported(Command),
    #[error("{cmd} of {got} bytes, expected {expected}")]
    Short {
        cmd: Command,
        got: usize,
        expected: usize,
    },
    #[error("{cmd} of {got} bytes, expected {expected}")]
    Long {
        cmd: Command,
        got: usize,
        expected: usize,
    },
}

impl ParseError {
    /// The QDL error a target answers this with.
    pub fn qdl_error(self) -> QdlError {
        match self {
            ParseError::Empty | ParseError::Short { .. } => QdlError::BAD_PACKET,
            ParseError::Long { .. } => QdlError::BAD_LEN,
            ParseError::Unsupported(_) => QdlError::CMD_UNSUPPORTED,
        }
    }
}

/// A checked view of one unframed QDL/DLOAD payload.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    pub fn new_checked(buffer: T) -> Result<Self, ParseError> {
        if buffer.as_ref().is_empty() {
            return Err(ParseError::Empty);
        }
        Ok(Packet { buffer })
    }
    pub fn command(&self) -> Command {
        Command(self.buffer.as_ref()[0])
    }
    /// Everything after the command byte.
    pub fn body(&self) -> &[u8] {
        &self.buffer.as_ref()[1..]
    }
}

/// A host request, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    DloadSdp,
    DloadNop,
    Hello {
        magic: [u8; MAGIC_LEN],
        max_version: u8,
        min_version: u8,
        features: u8,
    },
    OpenUnframed {
        image_type: u8,
        /// Image header plus data.
        length: u32,
        window: u8,
        /// The data size (libqmi sends the whole image in one "chunk").
        chunk_size: u32,
        header: Vec<u8>,
    },
    CloseUnframed,
    Reset,
    GetImagePref,
}

fn exact(cmd: Command, body: &[u8], len: usize) -> Result<(), ParseError> {
    let got = body.len() + 1;
    match got.cmp(&len) {
        core::cmp::Ordering::Less => Err(ParseError::Short {
            cmd,
            got,
            expected: len,
        }),
        core::cmp::Ordering::Greater => Err(ParseError::Long {
            cmd,
            got,
            expected: len,
        }),
        core::cmp::Ordering::Equal => Ok(()),
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl Request {
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Result<Request, ParseError> {
        let cmd = p.command();
        let b = p.body();
        match cmd {
            // DLOAD SDP carries a reserved u16; some hosts omit it.
            Command::DLOAD_SDP if b.len() <= 2 => Ok(Request::DloadSdp),
            Command::DLOAD_SDP => exact(cmd, b, 3).map(|_| Request::DloadSdp),
            Command::DLOAD_NOP => exact(cmd, b, 1).map(|_| Request::DloadNop),
            Command::HELLO_REQ => {
                exact(cmd, b, HELLO_REQ_LEN)?;
                let mut magic = [0u8; MAGIC_LEN];
                magic.copy_from_slice(&b[..MAGIC_LEN]);
                Ok(Request::Hello {
                    magic,
                    max_version: b[MAGIC_LEN],
                    min_version: b[MAGIC_LEN + 1],
                    features: b[MAGIC_LEN + 2],
                })
            }
            Command::OPEN_UNFRAMED_REQ => {
                if b.len() + 1 < OPEN_FIXED_LEN {
                    return Err(ParseError::Short {
                        cmd,
                        got: b.len() + 1,
                        expected: OPEN_FIXED_LEN,
                    });
                }
                Ok(Request::OpenUnframed {
                    image_type: b[0],
                    length: u32_at(b, 1),
                    window: b[5],
                    chunk_size: u32_at(b, 6),
                    header: b[OPEN_FIXED_LEN - 1..].to_vec(),
                })
            }
            Command::CLOSE_UNFRAMED_REQ => exact(cmd, b, 1).map(|_| Request::CloseUnframed),
            Command::RESET_REQ => exact(cmd, b, 1).map(|_| Request::Reset),
            Command::GET_IMAGE_PREF_REQ => exact(cmd, b, 1).map(|_| Request::GetImagePref),
            other => Err(ParseError::Unsupported(other)),
        }
    }

    /// The payload a host sends (used by tests and host-side tools).
    pub fn to_payload(&self) -> Vec<u8> {
        match self {
            Request::DloadSdp => vec![Command::DLOAD_SDP.0, 0, 0],
            Request::DloadNop => vec![Command::DLOAD_NOP.0],
            Request::Hello {
                magic,
                max_version,
                min_version,
                features,
            } => {
                let mut v = vec![Command::HELLO_REQ.0];
                v.extend_from_slice(magic);
                v.extend_from_slice(&[*max_version, *min_version, *features]);
                v
            }
            Request::OpenUnframed {
                image_type,
                length,
                window,
                chunk_size,
                header,
            } => {
                let mut v = vec![Command::OPEN_UNFRAMED_REQ.0, *image_type];
                v.extend_from_slice(&length.to_le_bytes());
                v.push(*window);
                v.extend_from_slice(&chunk_size.to_le_bytes());
                v.extend_from_slice(&[0, 0]);
                v.extend_from_slice(header);
                v
            }
            Request::CloseUnframed => vec![Command::CLOSE_UNFRAMED_REQ.0],
            Request::Reset => vec![Command::RESET_REQ.0],
            Request::GetImagePref => vec![Command::GET_IMAGE_PREF_REQ.0],
        }
    }

    /// A host HELLO as libqmi builds it for `version`.
    pub fn host_hello(version: u8) -> Request {
        let mut magic = [0u8; MAGIC_LEN];
        magic[..28].copy_from_slice(b"QCOM high speed protocol hst");
        Request::Hello {
            magic,
            max_version: version,
            min_version: version,
            features: FEATURE_QDL_UNFRAMED | FEATURE_GENERIC_UNFRAMED,
        }
    }
}

/// A target reply, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    DloadAck,
    /// 49 bytes: cmd, magic, versions, then fields libqmi calls reserved.
    Hello {
        max_version: u8,
        min_version: u8,
        max_block_size: u32,
        flash_base: u32,
        window_size: u16,
        features: u8,
    },
    Error(QdlError),
    OpenUnframed {
        status: u16,
        window: u8,
        chunk_size: u32,
    },
    WriteUnframed {
        sequence: u16,
        status: u16,
    },
    CloseUnframed {
        status: u16,
        image_type: u8,
    },
    /// No preferred images: the boot loader keeps none.
    ImagePref,
}

impl Response {
    pub fn to_payload(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(HELLO_RSP_LEN);
        match self {
            Response::DloadAck => v.push(DLOAD_ACK),
            Response::Hello {
                max_version,
                min_version,
                max_block_size,
                flash_base,
                window_size,
                features,
            } => {
                v.push(Command::HELLO_RSP.0);
                let mut magic = [0u8; MAGIC_LEN];
                magic[..28].copy_from_slice(b"QCOM high speed protocol tgt");
                v.extend_from_slice(&magic);
                v.extend_from_slice(&[*max_version, *min_version]);
                v.extend_from_slice(&max_block_size.to_le_bytes());
                v.extend_from_slice(&flash_base.to_le_bytes());
                v.push(0); // flash id length: no id string follows
                v.extend_from_slice(&window_size.to_le_bytes());
                v.extend_from_slice(&0u16.to_le_bytes()); // no sector table
                v.push(*features);
            }
            Response::Error(e) => {
                v.push(Command::ERROR.0);
                v.extend_from_slice(&e.0.to_le_bytes());
                v.push(0); // no error text
            }
            Response::OpenUnframed {
                status,
                window,
                chunk_size,
            } => {
                v.push(Command::OPEN_UNFRAMED_RSP.0);
                v.extend_from_slice(&status.to_le_bytes());
                v.push(*window);
                v.extend_from_slice(&chunk_size.to_le_bytes());
            }
            Response::WriteUnframed { sequence, status } => {
                v.push(Command::WRITE_UNFRAMED_RSP.0);
                v.extend_from_slice(&sequence.to_le_bytes());
                v.extend_from_slice(&0u32.to_le_bytes());
                v.extend_from_slice(&status.to_le_bytes());
            }
            Response::CloseUnframed { status, image_type } => {
                v.push(Command::CLOSE_UNFRAMED_RSP.0);
                v.extend_from_slice(&status.to_le_bytes());
                v.extend_from_slice(&[*image_type, 0]);
            }
            Response::ImagePref => v.extend_from_slice(&[Command::GET_IMAGE_PREF_RSP.0, 0]),
        }
        v
    }

    /// Parses a reply by the sizes libqmi insists on (for tests and tools).
    pub fn parse(p: &[u8]) -> Result<Response, ParseError> {
        let pk = Packet::new_checked(p)?;
        let cmd = pk.command();
        let b = p;
        let u16_at = |at: usize| u16::from_le_bytes([b[at], b[at + 1]]);
        match cmd {
            Command::HELLO_RSP if b.len() == 1 => Ok(Response::DloadAck),
            Command::HELLO_RSP => {
                exact(cmd, pk.body(), HELLO_RSP_LEN)?;
                Ok(Response::Hello {
                    max_version: b[33],
                    min_version: b[34],
                    max_block_size: u32_at(b, 35),
                    flash_base: u32_at(b, 39),
                    window_size: u16_at(44),
                    features: b[48],
                })
            }
            Command::ERROR => {
                exact(cmd, pk.body(), 6)?;
                Ok(Response::Error(QdlError(u32_at(b, 1))))
            }
            Command::OPEN_UNFRAMED_RSP => {
                exact(cmd, pk.body(), 8)?;
                Ok(Response::OpenUnframed {
                    status: u16_at(1),
                    window: b[3],
                    chunk_size: u32_at(b, 4),
                })
            }
            Command::WRITE_UNFRAMED_RSP => {
                exact(cmd, pk.body(), 9)?;
                Ok(Response::WriteUnframed {
                    sequence: u16_at(1),
                    status: u16_at(7),
                })
            }
            Command::CLOSE_UNFRAMED_RSP => {
                exact(cmd, pk.body(), 5)?;
                Ok(Response::CloseUnframed {
                    status: u16_at(1),
                    image_type: b[3],
                })
            }
            Command::GET_IMAGE_PREF_RSP => exact(cmd, pk.body(), 2).map(|_| Response::ImagePref),
            other => Err(ParseError::Unsupported(other)),
        }
    }
}
