//! USB/IP (Documentation/usb/usbip_protocol.rst), the device-server side,
//! without I/O: the PDUs of the discovery/import phase and of the URB
//! phase, and a stream decoder for bytes read from a TCP connection.
//!
//! All fields are big-endian. A connection starts with one OP_REQ_DEVLIST
//! (answered, then closed) or one OP_REQ_IMPORT; after a successful import
//! the same connection carries USBIP_CMD_SUBMIT / USBIP_CMD_UNLINK from
//! the host's vhci_hcd and RET_SUBMIT / RET_UNLINK back.

mod decoder;
mod device;
mod error;
mod op;
mod urb;

pub use decoder::Decoder;
pub use device::{ExportedDevice, ExportedInterface, SPEED_HIGH};
pub use error::Error;
pub use op::{Op, OP_HEADER_LEN, USBIP_VERSION};
pub use urb::{IsoPacket, Pdu, RetSubmit, RetUnlink, Submit, Unlink, HEADER_LEN, MAX_TRANSFER};

/// The errno values vhci_hcd expects in URB status fields (negated).
pub mod status {
    /// Completed.
    pub const OK: i32 = 0;
    /// The endpoint stalled (protocol STALL).
    pub const EPIPE: i32 = -32;
    /// Unlinked by the host before it completed.
    pub const ECONNRESET: i32 = -104;
    /// More data than the URB's buffer could take.
    pub const EOVERFLOW: i32 = -75;
    /// The device is gone.
    pub const ENODEV: i32 = -19;
    /// Transfer type the device does not support on that endpoint.
    pub const EXDEV: i32 = -18;
}
