//! Standard USB descriptors (USB 2.0 §9.6) of a [`UsbPersonality`], as the
//! host reads them during enumeration: the one descriptor builder. A
//! capture starts with them so that a reader knows the interfaces' classes
//! and endpoints, and the USB/IP device core answers GET_DESCRIPTOR from
//! them.

use crate::usb::{EndpointDesc, TransferKind, UsbConfiguration, UsbPersonality};

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
    let serial = if p.serial.is_some() { I_SERIAL } else { 0 };
    d.extend_from_slice(&[I_MANUFACTURER, I_PRODUCT, serial]);
    d.push(p.configurations.len() as u8);
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

/// Configuration descriptor `index` (0-based, as GET_DESCRIPTOR asks)
/// with every interface, association and endpoint descriptor, as
/// described at high speed. `None`: no such configuration.
pub fn configuration(p: &UsbPersonality, index: u8) -> Option<Vec<u8>> {
    let c = p.configurations.get(index as usize)?;
    Some(config_for_speed(p, c, CONFIGURATION, false))
}

/// The same configuration as it would be at full speed, where bulk
/// endpoints are limited to 64-byte packets (USB 2.0 §9.6.4, §5.8.3).
pub fn other_speed_configuration(p: &UsbPersonality, index: u8) -> Option<Vec<u8>> {
    let c = p.configurations.get(index as usize)?;
    Some(config_for_speed(p, c, OTHER_SPEED_CONFIGURATION, true))
}

/// Configuration descriptor `index` as a full-speed device describes it
/// (the other-speed configuration under its own descriptor type): what a
/// transport that hands the kernel both speeds' descriptors (GadgetFS)
/// gives for full speed.
pub fn full_speed_configuration(p: &UsbPersonality, index: u8) -> Option<Vec<u8>> {
    let c = p.configurations.get(index as usize)?;
    Some(config_for_speed(p, c, CONFIGURATION, true))
}

/// The 7-byte endpoint descriptor of `e`, at full speed (bulk packets of
/// at most 64 bytes) or high speed.
pub fn endpoint(e: &EndpointDesc, full_speed: bool) -> [u8; 7] {
    let attributes = match e.kind {
        TransferKind::Bulk => 2,
        TransferKind::Interrupt => 3,
    };
    let mps = match e.kind {
        TransferKind::Bulk if full_speed => e.max_packet_size.min(64),
        _ => e.max_packet_size,
    };
    let m = mps.to_le_bytes();
    [7, 5, e.address, attributes, m[0], m[1], e.interval]
}

/// The device qualifier a high-speed capable device returns (§9.6.2):
/// what would change at the other speed, which is nothing here but the
/// bulk packet size inside the configuration.
pub fn qualifier(p: &UsbPersonality) -> Vec<u8> {
    let mut d = vec![10, DEVICE_QUALIFIER];
    d.extend_from_slice(&0x0200u16.to_le_bytes());
    d.extend_from_slice(&[0, 0, 0, 64, p.configurations.len() as u8, 0]);
    d
}

/// String descriptor `index`: 0 is the language list; 1..=3 are the
/// manufacturer, product and (empty) serial number. `None`: no such string
/// (the boot loader has no serial number).
pub fn string(p: &UsbPersonality, index: u8) -> Option<Vec<u8>> {
    let text = match index {
        0 => {
            let l = LANG_EN_US.to_le_bytes();
            return Some(vec![4, STRING, l[0], l[1]]);
        }
        I_MANUFACTURER => &p.manufacturer,
        I_PRODUCT => &p.product,
        I_SERIAL => p.serial.as_ref()?,
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

/// Interface association descriptor type (USB ECN, 0x0B).
const INTERFACE_ASSOCIATION: u8 = 0x0b;

fn config_for_speed(
    p: &UsbPersonality,
    c: &UsbConfiguration,
    descriptor_type: u8,
    full_speed: bool,
) -> Vec<u8> {
    let mut body = Vec::new();
    for i in &c.interfaces {
        if let Some(a) = c
            .association
            .filter(|a| a.first == i.number && i.alternate == 0)
        {
            body.extend_from_slice(&[
                8,
                INTERFACE_ASSOCIATION,
                a.first,
                a.count,
                a.class,
                a.subclass,
                a.protocol,
                0,
            ]);
        }
        body.extend_from_slice(&[
            9,
            4,
            i.number,
            i.alternate,
            i.endpoints.len() as u8,
            i.class,
            i.subclass,
            i.protocol,
            0,
        ]);
        body.extend_from_slice(&i.functional);
        for e in &i.endpoints {
            body.extend_from_slice(&endpoint(e, full_speed));
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
        c.interface_count(),
        c.value,
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
        let c = configuration(&p, 0).unwrap();
        // 4 interfaces, 11 endpoints, CDC descriptors on NMEA and AT: the
        // 160 bytes of the real configuration 1 (facts §2.2).
        assert_eq!(c.len(), 9 + 4 * 9 + 11 * 7 + 2 * 19);
        assert_eq!(c.len(), 160);
        assert_eq!(u16::from_le_bytes([c[2], c[3]]) as usize, c.len());
        assert_eq!((c[4], c[7], c[8]), (4, 0xE0, 250));
        let o = other_speed_configuration(&p, 0).unwrap();
        assert_eq!((o.len(), o[1]), (c.len(), OTHER_SPEED_CONFIGURATION));
        assert_ne!(o, c);
        // Full speed: the other-speed bytes under the configuration type.
        let f = full_speed_configuration(&p, 0).unwrap();
        assert_eq!((f[1], &f[2..]), (CONFIGURATION, &o[2..]));
        assert!(f.windows(7).any(|w| w == [7, 5, 0x81, 2, 64, 0, 0]));
        assert_eq!(full_speed_configuration(&p, 1), None);
    }

    #[test]
    fn composition_9_is_the_real_mbim_only_configuration() {
        let p = UsbPersonality::application(&Profile::default(), 9);
        let c = configuration(&p, 0).unwrap();
        // facts §2.1: 95 bytes, 2 interfaces, IAD on 12, MBIM descriptors.
        assert_eq!(c.len(), 95);
        assert_eq!((c[2], c[3], c[4], c[5]), (95, 0, 2, 1));
        assert_eq!(&c[9..17], &[0x08, 0x0b, 0x0c, 0x02, 0x02, 0x0e, 0x00, 0x00]);
        let mbim = [
            0x0c, 0x24, 0x1b, 0x00, 0x01, 0x00, 0x10, 0x20, 0x80, 0xdc, 0x05, 0x20,
        ];
        assert!(c.windows(12).any(|w| w == mbim));
        let ext = [0x08, 0x24, 0x1c, 0x00, 0x01, 0x40, 0xdc, 0x05];
        assert!(c.windows(8).any(|w| w == ext));
        // Interrupt 0x82 (64 bytes, bInterval 9); bulk 0x81 and 0x01 on alt 1.
        assert!(c.windows(7).any(|w| w == [7, 5, 0x82, 3, 64, 0, 9]));
        assert!(c.windows(7).any(|w| w == [7, 5, 0x81, 2, 0, 2, 0]));
        assert!(c.windows(7).any(|w| w == [7, 5, 0x01, 2, 0, 2, 0]));
        assert!(c.windows(4).any(|w| w == [9, 4, 13, 1]));
        assert_eq!(configuration(&p, 1), None);
    }

    #[test]
    fn dual_composition_14_offers_qmi_then_mbim() {
        let p = UsbPersonality::application(&Profile::default(), 14);
        assert_eq!(device(&p)[17], 2);
        let c1 = configuration(&p, 0).unwrap();
        let c2 = configuration(&p, 1).unwrap();
        // facts §2.2: config 1 is 160 bytes with 4 interfaces, config 2 is
        // 95 bytes with 2, bConfigurationValue 2.
        assert_eq!((c1.len(), c1[4], c1[5]), (160, 4, 1));
        assert_eq!((c2.len(), c2[4], c2[5]), (95, 2, 2));
        assert_eq!(qualifier(&p)[8], 2);
    }

    #[test]
    fn composition_8_puts_mbim_where_qmi_was() {
        let p = UsbPersonality::application(&Profile::default(), 8);
        let c = configuration(&p, 0).unwrap();
        // DM, NMEA, AT as in composition 6 (151 bytes less QMI's 30), then
        // the 86-byte MBIM function.
        assert_eq!(c.len(), 160 - 30 + 86);
        assert_eq!(c[4], 5);
        assert!(c.windows(7).any(|w| w == [7, 5, 0x87, 3, 64, 0, 9]));
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
