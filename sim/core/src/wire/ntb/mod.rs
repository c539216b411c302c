//! NCM Transfer Blocks (USB CDC NCM 1.0 section 3) as MBIM 1.0 uses them
//! on the bulk data endpoints: an NTH ("NCMH", or "ncmh" in the 32-bit
//! format), then a chain of NDPs, each a table of (index, length) pairs
//! pointing at datagrams. MBIM names each NDP's stream in its signature:
//! "IPS" + session id for IP sessions, "DSS" + id for device services
//! (lower case in the 32-bit format).
//!
//! - [`Packet`]: a checked view of one host transfer; construction walks
//!   every NDP and every pointer, so iterating the datagrams cannot fail.
//! - [`NtbBuilder`]: packs datagrams of any streams into IN transfers under
//!   the limits the host negotiated ([`InLimits`]).
//!
//! Every integer is little-endian.

mod builder;
mod error;
mod packet;

pub use builder::{InLimits, NtbBuilder, Refused};
pub use error::Error;
pub use packet::{Datagram, Datagrams, Ndp, Ndps, Packet};

/// "NCMH": the NTH16 signature.
pub const NTH16_SIGNATURE: u32 = 0x484D_434E;
/// "ncmh": the NTH32 signature.
pub const NTH32_SIGNATURE: u32 = 0x686D_636E;
/// "IPS" in the low three bytes; the session id goes in the top byte.
pub const IPS16_SIGNATURE: u32 = 0x0053_5049;
/// "ips", the NDP32 form.
pub const IPS32_SIGNATURE: u32 = 0x0073_7069;
/// "DSS" + device service session id.
pub const DSS16_SIGNATURE: u32 = 0x0053_5344;
/// "dss", the NDP32 form.
pub const DSS32_SIGNATURE: u32 = 0x0073_7364;

/// NDPs followed in one NTB before the chain is refused. Linux's
/// `cdc_ncm` stops after 50; a host has one NDP per session, and the
/// EM7305 offers 8 sessions.
pub const MAX_NDPS: usize = 32;

/// The smallest NTB a host may ask the device to send (NCM 1.0 section
/// 6.2.7): SET_NTB_INPUT_SIZE below this is refused.
pub const MIN_IN_SIZE: u32 = 2048;

/// The two NTB formats (SET_NTB_FORMAT wValue 0 and 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Ntb16,
    Ntb32,
}

impl Format {
    /// From the wValue of SET_NTB_FORMAT.
    pub fn from_value(v: u16) -> Option<Format> {
        match v {
            0 => Some(Format::Ntb16),
            1 => Some(Format::Ntb32),
            _ => None,
        }
    }
    /// The wValue of SET_NTB_FORMAT, and the GET_NTB_FORMAT reply.
    pub fn value(self) -> u16 {
        match self {
            Format::Ntb16 => 0,
            Format::Ntb32 => 1,
        }
    }
    /// Its bit in bmNtbFormatsSupported.
    pub fn supported_bit(self) -> u16 {
        1 << self.value()
    }
    pub fn nth_signature(self) -> u32 {
        match self {
            Format::Ntb16 => NTH16_SIGNATURE,
            Format::Ntb32 => NTH32_SIGNATURE,
        }
    }
    /// wHeaderLength: the NTH's size.
    pub fn nth_len(self) -> usize {
        match self {
            Format::Ntb16 => 12,
            Format::Ntb32 => 16,
        }
    }
    /// An NDP's fixed part, before its pointer table.
    pub fn ndp_header_len(self) -> usize {
        match self {
            Format::Ntb16 => 8,
            Format::Ntb32 => 16,
        }
    }
    /// One (index, length) pointer.
    pub fn entry_len(self) -> usize {
        match self {
            Format::Ntb16 => 4,
            Format::Ntb32 => 8,
        }
    }
    /// The shortest NDP: its header, one datagram and the null entry
    /// (0x10 and 0x20, NCM 1.0 sections 3.3.1 and 3.3.2).
    pub fn ndp_min_len(self) -> usize {
        self.ndp_header_len() + 2 * self.entry_len()
    }
    /// What an NDP's wLength must be a multiple of.
    pub fn ndp_len_multiple(self) -> usize {
        match self {
            Format::Ntb16 => 4,
            Format::Ntb32 => 8,
        }
    }
    /// The largest block the format can describe.
    pub fn max_block(self) -> u32 {
        match self {
            Format::Ntb16 => u16::MAX as u32,
            Format::Ntb32 => u32::MAX,
        }
    }
    fn detect(signature: u32) -> Option<Format> {
        match signature {
            NTH16_SIGNATURE => Some(Format::Ntb16),
            NTH32_SIGNATURE => Some(Format::Ntb32),
            _ => None,
        }
    }
}

/// The stream an NDP carries, from its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stream {
    /// IP packets of MBIM session n (IPS<n>).
    Ip(u8),
    /// A device service stream (DSS<n>): not IP, e.g. a modem's DM port.
    DeviceService(u8),
}

impl Stream {
    pub fn session(self) -> u8 {
        match self {
            Stream::Ip(s) | Stream::DeviceService(s) => s,
        }
    }
    /// The NDP signature for this stream in `format`.
    pub fn signature(self, format: Format) -> u32 {
        let base = match (self, format) {
            (Stream::Ip(_), Format::Ntb16) => IPS16_SIGNATURE,
            (Stream::Ip(_), Format::Ntb32) => IPS32_SIGNATURE,
            (Stream::DeviceService(_), Format::Ntb16) => DSS16_SIGNATURE,
            (Stream::DeviceService(_), Format::Ntb32) => DSS32_SIGNATURE,
        };
        base | (self.session() as u32) << 24
    }
    /// The stream an NDP signature names; `None` for anything that is not
    /// an MBIM signature of `format` (NCM's "NCM0", or the other format's
    /// case).
    pub fn from_signature(signature: u32, format: Format) -> Option<Stream> {
        let session = (signature >> 24) as u8;
        match (signature & 0x00FF_FFFF, format) {
            (IPS16_SIGNATURE, Format::Ntb16) | (IPS32_SIGNATURE, Format::Ntb32) => {
                Some(Stream::Ip(session))
            }
            (DSS16_SIGNATURE, Format::Ntb16) | (DSS32_SIGNATURE, Format::Ntb32) => {
                Some(Stream::DeviceService(session))
            }
            _ => None,
        }
    }
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Field access that depends on the format's width: 16-bit fields in
/// NTB16, 32-bit ones in NTB32. `None` when the buffer is too short.
impl Format {
    fn block_len_field(self, b: &[u8]) -> Option<u32> {
        match self {
            Format::Ntb16 => le16(b, 8).map(u32::from),
            Format::Ntb32 => le32(b, 8),
        }
    }
    fn first_ndp_field(self, b: &[u8]) -> Option<u32> {
        match self {
            Format::Ntb16 => le16(b, 10).map(u32::from),
            Format::Ntb32 => le32(b, 12),
        }
    }
    fn next_ndp_field(self, b: &[u8], ndp: usize) -> Option<u32> {
        match self {
            Format::Ntb16 => le16(b, ndp + 6).map(u32::from),
            Format::Ntb32 => le32(b, ndp + 8),
        }
    }
    fn entry_at(self, b: &[u8], at: usize) -> Option<(u32, u32)> {
        match self {
            Format::Ntb16 => Some((le16(b, at)?.into(), le16(b, at + 2)?.into())),
            Format::Ntb32 => Some((le32(b, at)?, le32(b, at + 4)?)),
        }
    }
    /// Writes a block-length, NDP-index or pointer field of this width.
    fn put(self, b: &mut [u8], at: usize, v: u32) {
        match self {
            Format::Ntb16 => b[at..at + 2].copy_from_slice(&(v as u16).to_le_bytes()),
            Format::Ntb32 => b[at..at + 4].copy_from_slice(&v.to_le_bytes()),
        }
    }
}

#[cfg(test)]
mod tests;
