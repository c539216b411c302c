//! The 8-byte SETUP packet of a control transfer.

use crate::wire::{Error, Result};

/// Data stage direction, from bit 7 of bmRequestType.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    HostToDevice,
    DeviceToHost,
}

/// A parsed SETUP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setup {
    pub request_type: u8,
    pub request: u8,
    pub value: u16,
    pub index: u16,
    pub length: u16,
}

impl Setup {
    pub const LEN: usize = 8;

    pub fn parse(b: &[u8]) -> Result<Setup> {
        if b.len() < Self::LEN {
            return Err(Error::Truncated("SETUP packet"));
        }
        if b.len() > Self::LEN {
            return Err(Error::TrailingData("bytes after the SETUP packet"));
        }
        Ok(Setup {
            request_type: b[0],
            request: b[1],
            value: u16::from_le_bytes([b[2], b[3]]),
            index: u16::from_le_bytes([b[4], b[5]]),
            length: u16::from_le_bytes([b[6], b[7]]),
        })
    }

    pub fn emit(&self) -> [u8; 8] {
        let v = self.value.to_le_bytes();
        let i = self.index.to_le_bytes();
        let l = self.length.to_le_bytes();
        [
            self.request_type,
            self.request,
            v[0],
            v[1],
            i[0],
            i[1],
            l[0],
            l[1],
        ]
    }

    pub fn direction(&self) -> Direction {
        if self.request_type & 0x80 != 0 {
            Direction::DeviceToHost
        } else {
            Direction::HostToDevice
        }
    }

    /// Class request addressed to an interface (bmRequestType type=class, recipient=interface).
    pub fn is_class_interface(&self) -> bool {
        self.request_type & 0x7f == 0x21
    }

    /// The interface a class or standard interface request names (low byte of wIndex).
    pub fn interface(&self) -> u8 {
        self.index as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_encapsulated_response() {
        let b = [0xA1, 0x01, 0x00, 0x00, 0x08, 0x00, 0x00, 0x10];
        let s = Setup::parse(&b).unwrap();
        assert_eq!(s.direction(), Direction::DeviceToHost);
        assert!(s.is_class_interface());
        assert_eq!((s.request, s.interface(), s.length), (0x01, 8, 4096));
        assert_eq!(s.emit(), b);
        assert!(Setup::parse(&b[..7]).is_err());
    }
}
