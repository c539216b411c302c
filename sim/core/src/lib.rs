//! vmodem's engine: a virtual Sierra Wireless EM7305 without any I/O.
//!
//! - [`wire`]: codecs for what crosses the USB control and data channels.
//! - [`model`]: the device itself (identity, SIM, radio, network, bearers).
//! - [`qmi`]: the QMI services answering from the model.
//! - [`serial`]: the AT, DM and NMEA serial functions on the same model.
//! - [`control`]: the control-socket protocol and the status it reports.
//! - [`Modem`]: the engine: frames and time in, frames and events out.
//! - [`capture`]: usbmon pcap records of the USB transfers.
//! - `fuzzing` (cargo feature `fuzzing`): fuzz target bodies and the
//!   invariants they check.
//! - `testkit` (cargo feature `testkit`): USB/IP URBs and IP packets as a
//!   host builds them, for tests and benches.
//!
//! Nothing here reads a clock, a socket or a global RNG: time comes in as
//! [`time::Instant`] arguments and randomness from a seed.

#![forbid(unsafe_code)]

pub mod bootloader;
pub mod capture;
pub mod control;
pub mod fault;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod mbim;
pub mod model;
pub mod net;
pub mod qmi;
pub mod scenario;
pub mod serial;
pub mod suite;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod time;
pub mod usb;
pub mod usbip;
pub mod wire;

mod engine;
pub use engine::{
    Event, Happening, LeaveCause, Modem, Personality, Record, ResetCause, MAX_PENDING_FRAMES,
};
pub use serial::SerialPort;
