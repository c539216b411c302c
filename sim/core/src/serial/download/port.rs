//! The boot loader's one serial port: bytes in, framed replies out.
//!
//! Framed requests (DLOAD, QDL) and the unframed WRITE share the stream: a
//! 0x27 at a frame boundary starts an unframed write, whose header says
//! how many raw bytes follow. Image data is counted, never stored.

use super::qdl::{self, Command, Packet, QdlError, Request, Response};
use super::sahara;
use super::unframed::{self, Header, WriteHeader};
use crate::bootloader::BootloaderProfile;
use crate::serial::Outbox;
use crate::time::Instant;
use crate::wire::hdlc::{self, Deframer, FrameError, FLAG};
use crate::wire::RESYNC_IDLE;

/// Replies waiting for the host; a QDL host reads each before it writes.
const OUTBOX: usize = 64 * 1024;

/// What the port is in the middle of reading.
#[derive(Debug)]
enum Rx {
    Framed,
    /// Collecting a WRITE_UNFRAMED header.
    WriteHeader(Vec<u8>),
    /// Counting a chunk's data; `fault` is answered when it is complete.
    WriteData {
        header: WriteHeader,
        remaining: u32,
        fault: Option<Fault>,
    },
    /// After a header that cannot be trusted: drop bytes up to a flag.
    Discard,
    /// Sahara packets (profiles that speak Sahara instead of QDL).
    Sahara(Vec<u8>),
}

#[derive(Debug, Clone, Copy)]
enum Fault {
    Error(QdlError),
    Status(QdlError),
}

/// An image being received between OPEN and CLOSE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenImage {
    pub image_type: u8,
    /// Data bytes announced at OPEN.
    pub data_len: u32,
    pub received: u64,
    pub next_sequence: u16,
}

/// What the port has seen, for tests and logs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DownloadStats {
    pub requests: u64,
    pub errors_sent: u64,
    /// Image bytes accepted by WRITE_UNFRAMED.
    pub bytes_written: u64,
    /// Images closed with every announced byte received.
    pub images_completed: u64,
    /// Partial frames, headers or chunks abandoned after a pause of
    /// [`RESYNC_IDLE`] (docs/architecture.md, "Resync").
    pub idle_abandoned: u64,
}

#[derive(Debug)]
pub struct DownloadPort {
    profile: BootloaderProfile,
    deframer: Deframer,
    rx: Rx,
    /// The QDL version agreed by HELLO.
    session: Option<u8>,
    open: Option<OpenImage>,
    out: Outbox<OUTBOX>,
    stats: DownloadStats,
    reset_requested: bool,
    last_byte: Instant,
}

impl DownloadPort {
    pub fn new(profile: BootloaderProfile) -> DownloadPort {
        DownloadPort {
            rx: if profile.sahara_hello {
                Rx::Sahara(Vec::new())
            } else {
                Rx::Framed
            },
            profile,
            // An OPEN carries the image header (400 bytes for CWE).
            deframer: Deframer::new(Deframer::MAX_FRAME),
            session: None,
            open: None,
            out: Outbox::default(),
            stats: DownloadStats::default(),
            reset_requested: false,
            last_byte: Instant::ZERO,
        }
    }

    pub fn stats(&self) -> DownloadStats {
        self.stats
    }
    pub fn open_image(&self) -> Option<OpenImage> {
        self.open
    }
    pub fn qdl_version(&self) -> Option<u8> {
        self.session
    }

    /// The host asked for a reset (QDL RESET or Sahara RESET); cleared here.
    pub fn take_reset_request(&mut self) -> bool {
        std::mem::take(&mut self.reset_requested)
    }

    /// The host opened the port. A Sahara target speaks first.
    pub fn set_open(&mut self, open: bool) {
        if open && self.profile.sahara_hello {
            self.rx = Rx::Sahara(Vec::new());
            self.out.push(&sahara::Packet::target_hello().to_bytes());
        }
    }

    pub fn poll(&mut self) -> Option<Vec<u8>> {
        self.out.poll()
    }

    /// [`DownloadPort::handle`] for bytes read at `now`. Whatever was half
    /// read before a pause of [`RESYNC_IDLE`] (a frame without its flag, an
    /// unframed header, the rest of a chunk whose length lied) is abandoned
    /// first, so the host's next request is read as a request.
    pub fn handle_at(&mut self, bytes: &[u8], now: Instant) {
        if bytes.is_empty() {
            return;
        }
        if now.since(self.last_byte) >= RESYNC_IDLE {
            self.abandon_partial();
        }
        self.last_byte = now;
        self.handle(bytes);
    }

    fn abandon_partial(&mut self) {
        let partial = match &mut self.rx {
            Rx::Framed => !self.deframer.is_idle(),
            Rx::Sahara(buf) => !std::mem::take(buf).is_empty(),
            Rx::WriteHeader(_) | Rx::WriteData { .. } | Rx::Discard => {
                self.rx = Rx::Framed;
                true
            }
        };
        if partial {
            self.deframer.reset();
            self.stats.idle_abandoned += 1;
        }
    }

    pub fn handle(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while !rest.is_empty() {
            rest = self.step(rest);
        }
    }

    /// Consumes some of `b`, returns the rest.
    fn step<'a>(&mut self, b: &'a [u8]) -> &'a [u8] {
        match &mut self.rx {
            Rx::Framed => {
                if self.deframer.is_idle() && b[0] == Command::WRITE_UNFRAMED_REQ.0 {
                    self.rx = Rx::WriteHeader(Vec::with_capacity(unframed::HEADER_LEN));
                    return b;
                }
                if let Some(frame) = self.deframer.feed(b[0]) {
                    self.on_frame(frame);
                }
                &b[1..]
            }
            Rx::WriteHeader(h) => {
                let take = (unframed::HEADER_LEN - h.len()).min(b.len());
                h.extend_from_slice(&b[..take]);
                if h.len() == unframed::HEADER_LEN {
                    let h = std::mem::take(h);
                    self.on_write_header(&h);
                }
                &b[take..]
            }
            Rx::WriteData {
                remaining, fault, ..
            } => {
                let take = (*remaining as usize).min(b.len());
                *remaining -= take as u32;
                if fault.is_none() {
                    if let Some(o) = self.open.as_mut() {
                        o.received += take as u64;
                    }
                }
                if *remaining == 0 {
                    self.finish_write();
                }
                &b[take..]
            }
            Rx::Discard => match b.iter().position(|&x| x == FLAG) {
                Some(i) => {
                    self.rx = Rx::Framed;
                    self.deframer.reset();
                    &b[i..]
                }
                None => &[],
            },
            Rx::Sahara(buf) => {
                buf.push(b[0]);
                self.on_sahara_byte();
                &b[1..]
            }
        }
    }

    fn reply(&mut self, r: Response) {
        if matches!(r, Response::Error(_)) {
            self.stats.errors_sent += 1;
        }
        // Targets open a reply with a flag, as the MC7455 log in libqmi's
        // history shows; the host's parser accepts either.
        let mut wire = vec![FLAG];
        wire.extend(hdlc::encode(&r.to_payload()));
        self.out.push(&wire);
    }

    fn on_frame(&mut self, frame: Result<Vec<u8>, FrameError>) {
        self.stats.requests += 1;
        let payload = match frame {
            Ok(p) => p,
            Err(e) => {
                let code = match e {
                    FrameError::BadCrc { .. } => QdlError::BAD_CRC,
                    FrameError::TooLong(_) => QdlError::BAD_LEN,
                    FrameError::TooShort(_) | FrameError::DanglingEscape => QdlError::BAD_PACKET,
                };
                return self.reply(Response::Error(code));
            }
        };
        let req = Packet::new_checked(&payload[..]).and_then(|p| Request::parse(&p));
        let resp = match req {
            Ok(r) => self.answer(r),
            Err(e) => Some(Response::Error(e.qdl_error())),
        };
        if let Some(r) = resp {
            self.reply(r);
        }
    }

    fn answer(&mut self, req: Request) -> Option<Response> {
        let p = self.profile;
        Some(match req {
            // See docs/bootloader.md: a 9x15 acknowledges the switch.
            Request::DloadSdp | Request::DloadNop => Response::DloadAck,
            Request::Hello {
                magic,
                max_version,
                min_version,
                features,
            } => {
                if &magic[..qdl::MAGIC_PREFIX.len()] != qdl::MAGIC_PREFIX {
                    return Some(Response::Error(QdlError::BAD_CMD));
                }
                if min_version > p.qdl_version || max_version < p.qdl_min_version {
                    return Some(Response::Error(QdlError::OP_FAILED));
                }
                // A new HELLO starts a new session.
                self.session = Some(max_version.min(p.qdl_version));
                self.open = None;
                Response::Hello {
                    max_version: p.qdl_version,
                    min_version: p.qdl_min_version,
                    max_block_size: unframed::MAX_CHUNK,
                    flash_base: 0,
                    window_size: 1,
                    features: features
                        & (qdl::FEATURE_QDL_UNFRAMED | qdl::FEATURE_GENERIC_UNFRAMED),
                }
            }
            Request::OpenUnframed {
                image_type,
                length,
                window,
                chunk_size,
                header,
            } => {
                if self.session.is_none() || self.open.is_some() {
                    return Some(Response::Error(QdlError::CMD_SEQ));
                }
                let consistent =
                    window >= 1 && u64::from(length) == header.len() as u64 + u64::from(chunk_size);
                if !consistent {
                    return Some(Response::OpenUnframed {
                        status: QdlError::BAD_LEN.0 as u16,
                        window: 1,
                        chunk_size: 0,
                    });
                }
                self.open = Some(OpenImage {
                    image_type,
                    data_len: chunk_size,
                    received: 0,
                    next_sequence: 0,
                });
                Response::OpenUnframed {
                    status: 0,
                    window: 1,
                    chunk_size: chunk_size.min(unframed::MAX_CHUNK),
                }
            }
            Request::CloseUnframed => {
                let Some(o) = self.open.take() else {
                    return Some(Response::Error(QdlError::CMD_SEQ));
                };
                let complete = o.received == u64::from(o.data_len);
                if complete {
                    self.stats.images_completed += 1;
                }
                Response::CloseUnframed {
                    status: if complete {
                        0
                    } else {
                        QdlError::CLOSE.0 as u16
                    },
                    image_type: o.image_type,
                }
            }
            Request::Reset => {
                self.reset_requested = true;
                return None;
            }
            Request::GetImagePref => Response::ImagePref,
        })
    }

    fn on_write_header(&mut self, h: &[u8]) {
        self.stats.requests += 1;
        let header = match Header::new_checked(h) {
            Ok(v) => WriteHeader::parse(&v),
            Err(_) => {
                // The chunk size cannot be trusted: skip to the next frame.
                self.rx = Rx::Discard;
                return self.reply(Response::Error(QdlError::BAD_CRC));
            }
        };
        if header.chunk_size > unframed::MAX_CHUNK {
            self.rx = Rx::Discard;
            return self.reply(Response::Error(QdlError::BAD_LEN));
        }
        let fault = match self.open.as_mut() {
            None => Some(Fault::Error(QdlError::CMD_SEQ)),
            Some(o) if header.sequence != o.next_sequence => Some(Fault::Status(QdlError::CMD_SEQ)),
            Some(o) if o.received + u64::from(header.chunk_size) > u64::from(o.data_len) => {
                Some(Fault::Status(QdlError::SPACE))
            }
            Some(o) => {
                o.next_sequence = o.next_sequence.wrapping_add(1);
                None
            }
        };
        self.rx = Rx::WriteData {
            header,
            remaining: header.chunk_size,
            fault,
        };
        if header.chunk_size == 0 {
            self.finish_write();
        }
    }

    fn finish_write(&mut self) {
        let Rx::WriteData { header, fault, .. } = std::mem::replace(&mut self.rx, Rx::Framed)
        else {
            return;
        };
        self.deframer.reset();
        let resp = match fault {
            Some(Fault::Error(e)) => Response::Error(e),
            Some(Fault::Status(e)) => Response::WriteUnframed {
                sequence: header.sequence,
                status: e.0 as u16,
            },
            None => {
                self.stats.bytes_written += u64::from(header.chunk_size);
                Response::WriteUnframed {
                    sequence: header.sequence,
                    status: 0,
                }
            }
        };
        self.reply(resp);
    }

    fn on_sahara_byte(&mut self) {
        let Rx::Sahara(buf) = &mut self.rx else {
            return;
        };
        let Some(len) = sahara::declared_len(buf) else {
            return;
        };
        if !(sahara::HEADER_LEN..=sahara::MAX_PACKET).contains(&len) {
            buf.clear();
            let p = sahara::Packet::end_image_tx(sahara::STATUS_INVALID_PACKET_SIZE);
            return self.out.push(&p.to_bytes());
        }
        if buf.len() < len {
            return;
        }
        let packet = sahara::Packet::parse(buf);
        buf.clear();
        self.stats.requests += 1;
        let Some(p) = packet else { return };
        let reply = match p.command {
            sahara::HELLO_RSP => match p.fields.get(3) {
                Some(&sahara::MODE_COMMAND) => Some(sahara::Packet {
                    command: sahara::COMMAND_READY,
                    fields: vec![],
                }),
                _ => Some(sahara::Packet::end_image_tx(sahara::STATUS_INVALID_MODE)),
            },
            sahara::RESET => {
                self.reset_requested = true;
                Some(sahara::Packet {
                    command: sahara::RESET_RSP,
                    fields: vec![],
                })
            }
            _ => Some(sahara::Packet::end_image_tx(sahara::STATUS_INVALID_COMMAND)),
        };
        if let Some(r) = reply {
            self.out.push(&r.to_bytes());
        }
    }
}
