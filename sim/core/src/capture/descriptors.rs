//! Standard USB descriptors (USB 2.0 §9.6) of a [`UsbPersonality`], as the
//! host reads them during enumeration: the one descriptor builder. A
//! capture starts with them so that a reader knows the interfaces' classes
//! and endpoints, and the USB/IP device core answers GET_DESCRIPTOR from
//! them.

use crate::usb::{TransferKind, UsbPersonality};

/// String indices: manufacturer, product, serial number.
const I_MANUFACTURER: u8 = 1;
const I_PRODUCT: u8 = 2;
const I_SERIAL: u8 = 3;

/// The 18-byte device descriptor.
pub fn device(p: &UsbPersonality) -> Vec<u8> {
    let mut d = vec![18, 1];
    d.extend_from_slice(&0x0200u16.to_le_bytes()); // bcdUSB 2.0
    d.extend_from_slice(&[0, 0, 0, 64]); // class per interface; EP0 max packet
    d.extend_from_slice(&p.vendor_id.to_le_bytes());
    d.extend_from_slice(&p.product_id.to_le_bytes());
    d.extend_from_slice(&p.bcd_device.to_le_bytes());
    d.extend_from_slice(&[I_MANUFACTURER, I_PRODUCT, I_SERIAL, 1]);
    d
}

/// Descriptor types (USB 2.0 table 9-5).
pub const DEVICE: u8 = 1;
pub const CONFIGURATION: u8 = 2;
pub const STRING: u8 = 3;
pub const DEVICE_QUALIFIER: u8 = 6;
pub const OTHER_SPEED_CONFIGURATION: u8 = 7;

/// US English, the only language the module lists.
const LANG_EN_US: u16 = 0x0409;

/// Configuration 1 with every interface and endpoint descriptor, as
/// described at high speed.
pub fn configuration(p: &UsbPersonality) -> Vec<u8> {
    config_for_speed(p, CONFIGURATION, false)
}

/// The same configuration as it would be at full speed, where bulk
/// endpoints are limited to 64-byte packets (USB 2.0 §9.6.4, §5.8.3).
pub fn other_speed_configuration(p: &UsbPersonality) -> Vec<u8> {
    config_for_speed(p, OTHER_SPEED_CONFIGURATION, true)
}

/// The device qualifier a high-speed capable device returns (§9.6.2):
/// what would change at the other speed, which is nothing here but the
/// bulk packet size inside the configuration.
pub fn qualifier(_p: &UsbPersonality) -> Vec<u8> {
    let mut d = vec![10, DEVICE_QUALIFIER];
    d.extend_from_slice(&0x0200u16.to_le_bytes());
    d.extend_from_slice(&[0, 0, 0, 64, 1, 0]);
    d
}

/// String descriptor `index`: 0 is the language list; 1..=3 are the
/// manufacturer, product and (empty) serial number. `None`: no such string.
pub fn string(p: &UsbPersonality, index: u8) -> Option<Vec<u8>> {
    let text = match index {
        0 => {
            let l = LANG_EN_US.to_le_bytes();
            return Some(vec![4, STRING, l[0], l[1]]);
        }
        I_MANUFACTURER => &p.manufacturer,
        I_PRODUCT => &p.product,
        I_SERIAL => &p.serial,
        _ => return None,
    };
    // bLength is one byte: at most 126 UTF-16 units fit.
    let units: Vec<u16> = text.encode_utf16().take(126).collect();
    let mut d = vec![(2 + units.len() * 2) as u8, STRING];
    for u in units {
        d.extend_from_slice(&u.to_le_bytes());
    }
    Some(d)
}

fn config_for_speed(p: &UsbPersonality, descriptor_type: u8, full_speed: bool) -> Vec<u8> {
    let mut body = Vec::new();
    for i in &p.interfaces {
        body.extend_from_slice(&[
            9,
            4,
            i.number,
            0,
            i.endpoints.len() as u8,
            i.class,
            i.subclass,
            i.protocol,
            0,
        ]);
        body.extend_from_slice(&i.functional);
        for e in &i.endpoints {
            let attributes = match e.kind {
                TransferKind::Bulk => 2,
                TransferKind::Interrupt => 3,
            };
            let mps = match e.kind {
                TransferKind::Bulk if full_speed => e.max_packet_size.min(64),
                _ => e.max_packet_size,
            };
            body.extend_from_slice(&[7, 5, e.address, attributes]);
            body.extend_from_slice(&mps.to_le_bytes());
            body.push(e.interval);
        }
    }
    let total = (9 + body.len()) as u16;
    let mut attributes = 0x80;
    if p.self_powered {
        attributes |= 0x40;
    }
    if p.remote_wakeup {
        attributes |= 0x20;
    }
    let mut d = vec![9, descriptor_type];
    d.extend_from_slice(&total.to_le_bytes());
    d.extend_from_slice(&[
        p.interfaces.len() as u8,
        1, // bConfigurationValue
        0,
        attributes,
        (p.max_power_ma / 2).min(255) as u8,
    ]);
    d.extend_from_slice(&body);
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Profile;

    #[test]
    fn composition_6_as_lsusb_shows_it() {
        let p = UsbPersonality::application_qmi(&Profile::default());
        let d = device(&p);
        assert_eq!(d.len(), 18);
        assert_eq!(&d[8..12], &[0x99, 0x11, 0x41, 0x90]);
        let c = configuration(&p);
        // 4 interfaces, 11 endpoints, CDC descriptors on NMEA and AT: the
        // 160 bytes of the real configuration 1 (facts §2.2).
        assert_eq!(c.len(), 9 + 4 * 9 + 11 * 7 + 2 * 19);
        assert_eq!(c.len(), 160);
        assert_eq!(u16::from_le_bytes([c[2], c[3]]) as usize, c.len());
        assert_eq!((c[4], c[7], c[8]), (4, 0xE0, 250));
        let o = other_speed_configuration(&p);
        assert_eq!((o.len(), o[1]), (c.len(), OTHER_SPEED_CONFIGURATION));
        assert_ne!(o, c);
    }

    #[test]
    fn strings_as_the_module_reports_them() {
        let mut p = UsbPersonality::application_qmi(&Profile::default());
        p.manufacturer = "Sierra Wireless, Incorporated".into();
        assert_eq!(string(&p, 0), Some(vec![4, 3, 0x09, 0x04]));
        let m = string(&p, 1).unwrap();
        assert_eq!(m.len(), 2 + 2 * 29);
        assert_eq!(&m[2..6], &[b'S', 0, b'i', 0]);
        // The empty serial number is a 2-byte descriptor, not a stall.
        assert_eq!(string(&p, 3), Some(vec![2, 3]));
        assert_eq!(string(&p, 4), None);
    }
}
