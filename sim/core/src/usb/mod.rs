//! USB-facing pieces that do not depend on how the bus is reached: setup
//! packets, the CDC-WDM encapsulated control channel that carries QMI and
//! MBIM, the NCM requests and NTBs of the MBIM function, and the module's
//! USB personalities (what a host enumerates).

pub mod descriptors;
mod device;
pub mod ncm;
mod personality;
mod setup;
mod wdm;

pub use device::{Completion, HostTraffic, Urb, UrbStatus, UsbDevice, MAX_IN_QUEUE};
pub use ncm::{NcmFunction, NcmStats, NtbParameters};
pub use personality::{
    EndpointDesc, InterfaceAssociation, InterfaceDesc, PortRole, TransferKind, UsbConfiguration,
    UsbPersonality, MBIM_MAX_CONTROL_MESSAGE, MBIM_MTU,
};
pub use setup::{Direction, Setup};
pub use wdm::{ControlReply, WdmChannel, RESPONSE_AVAILABLE_LEN};
pub use wdm::{
    GET_ENCAPSULATED_RESPONSE, MAX_QUEUED as MAX_QUEUED_RESPONSES, SEND_ENCAPSULATED_COMMAND,
    SET_CONTROL_LINE_STATE,
};
