//! MBIM UUIDs: device service and context type identifiers.
//!
//! On the wire a UUID is 16 bytes in the order it is written (the first
//! three groups are not byte-swapped, unlike a Windows GUID in memory).

/// A 16-byte MBIM UUID.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Uuid(pub [u8; 16]);

impl Uuid {
    /// Basic Connect: the service every MBIM function offers.
    pub const BASIC_CONNECT: Uuid = Uuid::text(uuid::uuid!("a289cc33-bcbb-8b4f-b6b0-133ec2aae6df"));
    /// Context type "none": the host leaves the choice to the function.
    pub const CONTEXT_NONE: Uuid = Uuid::text(uuid::uuid!("b43f758c-a560-4b46-b35e-c5869641fb54"));
    /// Context type "internet".
    pub const CONTEXT_INTERNET: Uuid =
        Uuid::text(uuid::uuid!("7e5e2a7e-4e6f-7272-736b-656e7e5e2a7e"));
    /// The SMS service.
    pub const SMS: Uuid = Uuid::text(uuid::uuid!("533fbeeb-14fe-4467-9f90-33a223e56c3f"));
    /// QMI over MBIM, which ModemManager looks for in Device Services.
    pub const QMI: Uuid = Uuid::text(uuid::uuid!("d1a30bc2-f97a-6e43-bf65-c7e24fb0f0d3"));

    /// The MBIM specification writes its UUIDs in the order of the bytes on
    /// the wire, which is `uuid`'s (RFC 4122) order too.
    const fn text(u: uuid::Uuid) -> Uuid {
        Uuid(u.into_bytes())
    }

    /// Reads 16 bytes; `None` if fewer are given.
    pub fn from_slice(b: &[u8]) -> Option<Uuid> {
        b.get(..16)?.try_into().ok().map(Uuid)
    }
}

impl core::fmt::Display for Uuid {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        uuid::Uuid::from_bytes(self.0).hyphenated().fmt(f)
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
        assert_eq!(
            Uuid::BASIC_CONNECT.0[..4],
            [0xa2, 0x89, 0xcc, 0x33],
            "the first group is not byte-swapped"
        );
        assert_eq!(Uuid::from_slice(&[0; 15]), None);
    }
}
