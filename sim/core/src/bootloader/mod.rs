//! The boot loader (USB 1199:9040): what an EM7305 becomes when its
//! failsafe trips after repeated resets: its profile section and boot
//! time. Its one serial port, the download port speaking QDL (9x15) or
//! opening with Sahara (9x50+), is [`crate::serial::download`].
//! docs/bootloader.md describes what is modelled and where it comes from.

use crate::time::Duration;
use serde::Deserialize;

/// From leaving the bus to enumerating as the boot loader; an MC7421 was
/// seen to take about 1 s (docs/bootloader.md).
pub const BOOT_TIME: Duration = Duration::from_millis(1000);

/// The `[bootloader]` profile section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default, rename_all = "kebab-case")]
pub struct BootloaderProfile {
    /// The QDL protocol version the boot loader speaks.
    pub qdl_version: u8,
    /// The oldest version it still accepts in HELLO.
    pub qdl_min_version: u8,
    /// Speak Sahara, sending HELLO when the port opens (9x50 and later),
    /// instead of waiting for QDL (9x15).
    pub sahara_hello: bool,
    /// The PID it enumerates with: 0x9040 as the seed's unit came back,
    /// or 0x9062, which the kernel's qcserial knows as "EM7305 QDL".
    pub usb_product_id: u16,
}

impl Default for BootloaderProfile {
    fn default() -> Self {
        // libqmi probes versions 4, 5, 6 and notes that Sierra's MC7710
        // needs 6; the 9x15 is assumed to be the same.
        BootloaderProfile {
            qdl_version: 6,
            qdl_min_version: 6,
            sahara_hello: false,
            usb_product_id: 0x9040,
        }
    }
}
