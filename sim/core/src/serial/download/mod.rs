//! The boot loader's download port (interface 0 of 1199:9040, ttyUSB0):
//! QDL (9x15) or, when the profile says so, opening with Sahara (9x50+).
//! Sans-IO: [`DownloadPort`] takes bytes and gives framed replies
//! (docs/bootloader.md).

mod port;
pub mod qdl;
pub mod sahara;
pub mod unframed;

pub use port::{DownloadPort, DownloadStats, OpenImage};

#[cfg(test)]
mod tests;
