//! Sahara, the boot protocol of 9x50 and later boot loaders: packets of
//! `{u32 command, u32 length}` (length includes the header, at most
//! 0x400), the target speaking first with HELLO. Only the opening is
//! modelled (HELLO, COMMAND_READY, RESET); Firehose behind it is not.

pub const HELLO_REQ: u32 = 0x01;
pub const HELLO_RSP: u32 = 0x02;
pub const END_IMAGE_TX: u32 = 0x04;
pub const RESET: u32 = 0x07;
pub const RESET_RSP: u32 = 0x08;
pub const COMMAND_READY: u32 = 0x0B;

pub const HEADER_LEN: usize = 8;
pub const MAX_PACKET: usize = 0x400;
/// HELLO and HELLO_RSP: header, four u32 fields, six reserved u32.
pub const HELLO_LEN: usize = 0x30;

/// Modes in HELLO / HELLO_RSP.
pub const MODE_IMAGE_TX_PENDING: u32 = 0x00;
pub const MODE_COMMAND: u32 = 0x03;

/// Status codes in END_IMAGE_TX.
pub const STATUS_INVALID_COMMAND: u32 = 0x01;
pub const STATUS_INVALID_PACKET_SIZE: u32 = 0x05;
pub const STATUS_INVALID_MODE: u32 = 0x18;

/// One Sahara packet, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    pub command: u32,
    /// The u32 fields after the header.
    pub fields: Vec<u32>,
}

impl Packet {
    /// The target's opening HELLO: version 2, compatible 1, 1 KiB packets.
    pub fn target_hello() -> Packet {
        let mut fields = vec![2, 1, MAX_PACKET as u32, MODE_IMAGE_TX_PENDING];
        fields.resize((HELLO_LEN - HEADER_LEN) / 4, 0);
        Packet {
            command: HELLO_REQ,
            fields,
        }
    }

    pub fn end_image_tx(status: u32) -> Packet {
        Packet {
            command: END_IMAGE_TX,
            fields: vec![0, status],
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let len = HEADER_LEN + 4 * self.fields.len();
        let mut v = Vec::with_capacity(len);
        v.extend_from_slice(&self.command.to_le_bytes());
        v.extend_from_slice(&(len as u32).to_le_bytes());
        for f in &self.fields {
            v.extend_from_slice(&f.to_le_bytes());
        }
        v
    }

    /// Parses one whole packet; trailing bytes that are not a whole u32
    /// are ignored (no Sahara packet has them).
    pub fn parse(b: &[u8]) -> Option<Packet> {
        let len = declared_len(b)?;
        if len < HEADER_LEN || len > b.len() {
            return None;
        }
        Some(Packet {
            command: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            fields: b[HEADER_LEN..len]
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        })
    }
}

/// The length field of a packet whose header has arrived.
pub fn declared_len(b: &[u8]) -> Option<usize> {
    if b.len() < HEADER_LEN {
        return None;
    }
    Some(u32::from_le_bytes([b[4], b[5], b[6], b[7]]) as usize)
}
