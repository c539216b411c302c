//! `struct usbip_usb_device` and `struct usbip_usb_interface`: how a device
//! is described in OP_REP_DEVLIST and OP_REP_IMPORT.

use super::error::Error;

/// USB_SPEED_HIGH in the kernel's `enum usb_device_speed`.
pub const SPEED_HIGH: u32 = 3;
/// Encoded size of `usbip_usb_device`.
pub const DEVICE_LEN: usize = 312;
/// Encoded size of `usbip_usb_interface`.
pub const INTERFACE_LEN: usize = 4;

const PATH_LEN: usize = 256;
const BUSID_LEN: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedInterface {
    pub class: u8,
    pub subclass: u8,
    pub protocol: u8,
}

/// One exported device as the server describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedDevice {
    /// sysfs-like path, informational (at most 255 bytes).
    pub path: String,
    /// Bus id the host names in OP_REQ_IMPORT, e.g. "1-1" (at most 31 bytes).
    pub busid: String,
    pub busnum: u32,
    pub devnum: u32,
    pub speed: u32,
    pub vendor_id: u16,
    pub product_id: u16,
    pub bcd_device: u16,
    pub device_class: u8,
    pub device_subclass: u8,
    pub device_protocol: u8,
    pub configuration_value: u8,
    pub num_configurations: u8,
    /// Interfaces of the current configuration (listed in OP_REP_DEVLIST only).
    pub interfaces: Vec<ExportedInterface>,
}

impl ExportedDevice {
    /// The devid vhci_hcd puts in every URB header: busnum << 16 | devnum.
    pub fn devid(&self) -> u32 {
        (self.busnum << 16) | (self.devnum & 0xffff)
    }

    pub(crate) fn emit(&self, out: &mut Vec<u8>) {
        put_str(out, &self.path, PATH_LEN);
        put_str(out, &self.busid, BUSID_LEN);
        for v in [self.busnum, self.devnum, self.speed] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        for v in [self.vendor_id, self.product_id, self.bcd_device] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out.extend_from_slice(&[
            self.device_class,
            self.device_subclass,
            self.device_protocol,
            self.configuration_value,
            self.num_configurations,
            self.interfaces.len() as u8,
        ]);
    }

    pub(crate) fn emit_interfaces(&self, out: &mut Vec<u8>) {
        for i in &self.interfaces {
            out.extend_from_slice(&[i.class, i.subclass, i.protocol, 0]);
        }
    }

    /// Parses the fixed part; returns the device (without interfaces) and
    /// bNumInterfaces.
    pub(crate) fn parse(b: &[u8]) -> Result<(ExportedDevice, u8), Error> {
        if b.len() < DEVICE_LEN {
            return Err(Error::Truncated("usbip_usb_device"));
        }
        let u32_at = |o: usize| u32::from_be_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        let u16_at = |o: usize| u16::from_be_bytes([b[o], b[o + 1]]);
        let o = PATH_LEN + BUSID_LEN;
        let d = ExportedDevice {
            path: get_str(&b[..PATH_LEN])?,
            busid: get_str(&b[PATH_LEN..o])?,
            busnum: u32_at(o),
            devnum: u32_at(o + 4),
            speed: u32_at(o + 8),
            vendor_id: u16_at(o + 12),
            product_id: u16_at(o + 14),
            bcd_device: u16_at(o + 16),
            device_class: b[o + 18],
            device_subclass: b[o + 19],
            device_protocol: b[o + 20],
            configuration_value: b[o + 21],
            num_configurations: b[o + 22],
            interfaces: Vec::new(),
        };
        Ok((d, b[o + 23]))
    }

    pub(crate) fn parse_interface(b: &[u8]) -> ExportedInterface {
        ExportedInterface {
            class: b[0],
            subclass: b[1],
            protocol: b[2],
        }
    }
}

/// A NUL-padded fixed-size string field; longer strings are cut so that a
/// terminating NUL always fits.
pub(crate) fn put_str(out: &mut Vec<u8>, s: &str, len: usize) {
    let b = s.as_bytes();
    let n = b.len().min(len - 1);
    out.extend_from_slice(&b[..n]);
    out.resize(out.len() + len - n, 0);
}

pub(crate) fn get_str(b: &[u8]) -> Result<String, Error> {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8(b[..end].to_vec()).map_err(|_| Error::BadString)
}
