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
mod resync;
pub mod sms;
pub mod tlv;

pub use ids::{MessageId, ProtocolError, ServiceId};

/// How long a partial frame may wait for its next byte before a stream
/// deframer abandons it and looks for the next frame (docs/architecture.md,
/// "Resync"). A host writes a control message in one write: bytes of one
/// frame arrive within microseconds of each other, so half a second of
/// silence means the rest is never coming (a lost byte, a length that lies).
pub const RESYNC_IDLE: crate::time::Duration = crate::time::Duration::from_millis(500);

/// What a stream deframer threw away to stay in step with the host.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResyncStats {
    /// Whole frames delivered.
    pub frames: u64,
    /// Bytes discarded: garbage between frames, and frames abandoned.
    pub dropped_bytes: u64,
    /// Partial frames abandoned because no byte came for [`RESYNC_IDLE`].
    pub idle_abandoned: u64,
    /// Headers that could not start a frame (a length out of range), and
    /// headers handed on alone for the function to reject.
    pub bad_headers: u64,
}

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
    /// A structure too long for the length field that must count it: it
    /// cannot be encoded (never wrapped).
    #[error("too long to encode: {0}")]
    TooLong(&'static str),
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
