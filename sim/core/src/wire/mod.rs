//! Wire formats, without I/O.
//!
//! Each format comes as a checked zero-copy view (`*Packet<T>`) over a
//! buffer and an owned, validated representation (`*Repr`) with `parse` and
//! `emit`. A view built with `new_checked` never panics on its accessors;
//! `emit` never panics when given a buffer of `buffer_len()` bytes.

pub mod hdlc;
mod ids;
pub mod mbim;
pub mod ntb;
pub mod qmi;
pub mod qmux;
pub mod tlv;

pub use ids::{MessageId, ProtocolError, ServiceId};

/// Why a piece of wire data was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Fewer bytes than the header or a length field requires.
    #[error("truncated: {0}")]
    Truncated(&'static str),
    /// A length field disagrees with the data around it.
    #[error("bad length: {0}")]
    BadLength(&'static str),
    /// A fixed marker or flag holds a value the format does not allow.
    #[error("bad value: {0}")]
    BadValue(&'static str),
    /// Bytes left over after a structure that must fill its container.
    #[error("trailing data: {0}")]
    TrailingData(&'static str),
}

pub type Result<T> = core::result::Result<T, Error>;

/// Defines an open enum: a newtype over an integer with named constants.
/// Unknown values are kept, so they round-trip and print as hex.
macro_rules! open_enum {
    ($(#[$m:meta])* $name:ident($ty:ty) { $($(#[$vm:meta])* $var:ident = $val:expr),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub $ty);
        #[allow(non_upper_case_globals)]
        impl $name {
            $($(#[$vm])* pub const $var: $name = $name($val);)*
            /// The constant's name, if the value is a known one.
            pub fn name(self) -> Option<&'static str> {
                match self.0 { $($val => Some(stringify!($var)),)* _ => None }
            }
        }
        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, "{}(0x{:x})", stringify!($name), self.0),
                }
            }
        }
        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                core::fmt::Debug::fmt(self, f)
            }
        }
    };
}
pub(crate) use open_enum;
