//! The pcap file format with Linux usbmon records (LINKTYPE_USB_LINUX_MMAPPED,
//! 220): a 24-byte file header, then per record a 16-byte pcap header, the
//! 64-byte `usbmon_packet` header of the kernel's binary interface and the
//! captured data. Fields are little-endian, as on the hosts vmodem runs on;
//! the file magic says so to readers.
//!
//! Written by hand rather than with a pcap crate: three fixed-size headers
//! are all there is, and the reader here is what the tests need.

use crate::wire::{Error, Result};

/// pcap's microsecond-resolution magic, written little-endian.
pub const PCAP_MAGIC: u32 = 0xa1b2_c3d4;
pub const LINKTYPE_USB_LINUX_MMAPPED: u32 = 220;
pub const FILE_HEADER_LEN: usize = 24;
pub const RECORD_HEADER_LEN: usize = 16;
pub const USBMON_HEADER_LEN: usize = 64;
/// Largest transfer kept whole; usbmon's own default cap is far smaller,
/// but a 4 KiB QMI response or a 1500-byte packet must stay readable.
pub const SNAPLEN: u32 = 0x4_0000;

/// `usbmon_packet.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Submit,
    Complete,
}

/// `usbmon_packet.xfer_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XferType {
    Interrupt = 1,
    Control = 2,
    Bulk = 3,
}

/// Negative errno values usbmon reports in `status`.
pub const EINPROGRESS: i32 = -115;
pub const EPIPE: i32 = -32;
/// `URB_DIR_IN` in `xfer_flags`.
const URB_DIR_IN: u32 = 0x0200;
/// `flag_setup` when no SETUP packet is present.
const NO_SETUP: u8 = b'-';

/// One usbmon event: a submission or a completion of one URB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsbmonPacket {
    pub id: u64,
    pub event: EventType,
    pub xfer: XferType,
    /// Endpoint address, bit 7 set for IN.
    pub endpoint: u8,
    pub device: u8,
    pub bus: u16,
    pub setup: Option<[u8; 8]>,
    /// Why no data follows ('<' IN not yet done, '>' OUT already sent), or 0.
    pub data_flag: u8,
    pub ts_micros: u64,
    pub status: i32,
    /// Bytes requested (submission) or transferred (completion).
    pub length: u32,
    pub interval: i32,
    pub data: Vec<u8>,
}

impl UsbmonPacket {
    pub fn is_in(&self) -> bool {
        self.endpoint & 0x80 != 0
    }

    /// The pcap record: record header, usbmon header, data.
    pub fn emit(&self) -> Vec<u8> {
        let cap = self.data.len() as u32;
        let mut b = Vec::with_capacity(RECORD_HEADER_LEN + USBMON_HEADER_LEN + self.data.len());
        let (sec, usec) = (
            self.ts_micros / 1_000_000,
            (self.ts_micros % 1_000_000) as u32,
        );
        b.extend_from_slice(&(sec as u32).to_le_bytes());
        b.extend_from_slice(&usec.to_le_bytes());
        let on_wire = USBMON_HEADER_LEN as u32 + cap;
        b.extend_from_slice(&on_wire.to_le_bytes());
        b.extend_from_slice(&on_wire.to_le_bytes());
        b.extend_from_slice(&self.id.to_le_bytes());
        b.push(match self.event {
            EventType::Submit => b'S',
            EventType::Complete => b'C',
        });
        b.push(self.xfer as u8);
        b.push(self.endpoint);
        b.push(self.device);
        b.extend_from_slice(&self.bus.to_le_bytes());
        b.push(if self.setup.is_some() { 0 } else { NO_SETUP });
        b.push(if self.data.is_empty() {
            self.data_flag
        } else {
            0
        });
        b.extend_from_slice(&(sec as i64).to_le_bytes());
        b.extend_from_slice(&(usec as i32).to_le_bytes());
        b.extend_from_slice(&self.status.to_le_bytes());
        b.extend_from_slice(&self.length.to_le_bytes());
        b.extend_from_slice(&cap.to_le_bytes());
        b.extend_from_slice(&self.setup.unwrap_or([0; 8]));
        b.extend_from_slice(&self.interval.to_le_bytes());
        b.extend_from_slice(&0i32.to_le_bytes()); // start_frame
        let flags = if self.is_in() { URB_DIR_IN } else { 0 };
        b.extend_from_slice(&flags.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes()); // ndesc
        b.extend_from_slice(&self.data);
        b
    }
}

/// The pcap file header.
pub fn file_header() -> [u8; FILE_HEADER_LEN] {
    let mut h = [0u8; FILE_HEADER_LEN];
    h[0..4].copy_from_slice(&PCAP_MAGIC.to_le_bytes());
    h[4..6].copy_from_slice(&2u16.to_le_bytes());
    h[6..8].copy_from_slice(&4u16.to_le_bytes());
    // thiszone and sigfigs stay zero.
    h[16..20].copy_from_slice(&SNAPLEN.to_le_bytes());
    h[20..24].copy_from_slice(&LINKTYPE_USB_LINUX_MMAPPED.to_le_bytes());
    h
}

fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}
fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

/// Reads back a file this module wrote (little-endian, linktype 220).
pub fn read(file: &[u8]) -> Result<Vec<UsbmonPacket>> {
    if file.len() < FILE_HEADER_LEN {
        return Err(Error::Truncated("pcap file header"));
    }
    if u32_at(file, 0) != PCAP_MAGIC {
        return Err(Error::BadValue("pcap magic"));
    }
    if u32_at(file, 20) != LINKTYPE_USB_LINUX_MMAPPED {
        return Err(Error::BadValue("pcap link type"));
    }
    let mut rest = &file[FILE_HEADER_LEN..];
    let mut out = Vec::new();
    while !rest.is_empty() {
        if rest.len() < RECORD_HEADER_LEN {
            return Err(Error::Truncated("pcap record header"));
        }
        let incl = u32_at(rest, 8) as usize;
        let rec = rest
            .get(RECORD_HEADER_LEN..RECORD_HEADER_LEN + incl)
            .ok_or(Error::BadLength("pcap record past the end of the file"))?;
        rest = &rest[RECORD_HEADER_LEN + incl..];
        if rec.len() < USBMON_HEADER_LEN {
            return Err(Error::Truncated("usbmon header"));
        }
        let cap = u32_at(rec, 36) as usize;
        if USBMON_HEADER_LEN + cap != rec.len() {
            return Err(Error::BadLength("usbmon len_cap"));
        }
        let event = match rec[8] {
            b'S' => EventType::Submit,
            b'C' => EventType::Complete,
            _ => return Err(Error::BadValue("usbmon event type")),
        };
        let xfer = match rec[9] {
            1 => XferType::Interrupt,
            2 => XferType::Control,
            3 => XferType::Bulk,
            _ => return Err(Error::BadValue("usbmon transfer type")),
        };
        let mut setup = [0u8; 8];
        setup.copy_from_slice(&rec[40..48]);
        let sec = u64::from_le_bytes(rec[16..24].try_into().unwrap_or_default());
        out.push(UsbmonPacket {
            id: u64::from_le_bytes(rec[0..8].try_into().unwrap_or_default()),
            event,
            xfer,
            endpoint: rec[10],
            device: rec[11],
            bus: u16_at(rec, 12),
            setup: (rec[14] == 0).then_some(setup),
            data_flag: rec[15],
            ts_micros: sec * 1_000_000 + u64::from(u32_at(rec, 24)),
            status: u32_at(rec, 28) as i32,
            length: u32_at(rec, 32),
            interval: u32_at(rec, 48) as i32,
            data: rec[USBMON_HEADER_LEN..].to_vec(),
        });
    }
    Ok(out)
}
