//! MBIM UUIDs: device service and context type identifiers.
//!
//! On the wire a UUID is 16 bytes in the order it is written (the first
//! three groups are not byte-swapped, unlike a Windows GUID in memory).

/// A 16-byte MBIM UUID.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Uuid(pub [u8; 16]);

impl Uuid {
    /// Basic Connect: the service every MBIM function offers.
    pub const BASIC_CONNECT: Uuid = Uuid([
        0xa2, 0x89, 0xcc, 0x33, 0xbc, 0xbb, 0x8b, 0x4f, 0xb6, 0xb0, 0x13, 0x3e, 0xc2, 0xaa, 0xe6,
        0xdf,
    ]);
    /// Context type "none": the host leaves the choice to the function.
    pub const CONTEXT_NONE: Uuid = Uuid([
        0xb4, 0x3f, 0x75, 0x8c, 0xa5, 0x60, 0x4b, 0x46, 0xb3, 0x5e, 0xc5, 0x86, 0x96, 0x41, 0xfb,
        0x54,
    ]);
    /// Context type "internet".
    pub const CONTEXT_INTERNET: Uuid = Uuid([
        0x7e, 0x5e, 0x2a, 0x7e, 0x4e, 0x6f, 0x72, 0x72, 0x73, 0x6b, 0x65, 0x6e, 0x7e, 0x5e, 0x2a,
        0x7e,
    ]);
    /// QMI over MBIM, which ModemManager looks for in Device Services.
    pub const QMI: Uuid = Uuid([
        0xd1, 0xa3, 0x0b, 0xc2, 0xf9, 0x7a, 0x6e, 0x43, 0xbf, 0x65, 0xc7, 0xe2, 0x4f, 0xb0, 0xf0,
        0xd3,
    ]);

    /// Reads 16 bytes; `None` if fewer are given.
    pub fn from_slice(b: &[u8]) -> Option<Uuid> {
        b.get(..16)?.try_into().ok().map(Uuid)
    }
}

impl core::fmt::Display for Uuid {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl core::fmt::Debug for Uuid {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            Uuid::BASIC_CONNECT => f.write_str("BASIC_CONNECT"),
            Uuid::CONTEXT_INTERNET => f.write_str("CONTEXT_INTERNET"),
            Uuid::CONTEXT_NONE => f.write_str("CONTEXT_NONE"),
            _ => write!(f, "Uuid({self})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_libmbim() {
        assert_eq!(
            Uuid::BASIC_CONNECT.to_string(),
            "a289cc33-bcbb-8b4f-b6b0-133ec2aae6df"
        );
        assert_eq!(Uuid::from_slice(&[0; 15]), None);
    }
}
