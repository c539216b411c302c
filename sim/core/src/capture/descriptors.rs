//! Standard USB descriptors (USB 2.0 §9.6) of a [`UsbPersonality`], as the
//! host reads them during enumeration. A capture starts with them so that
//! a reader knows the interfaces' classes and endpoints.

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

/// Configuration 1 with every interface and endpoint descriptor.
pub fn configuration(p: &UsbPersonality) -> Vec<u8> {
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
        for e in &i.endpoints {
            let attributes = match e.kind {
                TransferKind::Bulk => 2,
                TransferKind::Interrupt => 3,
            };
            body.extend_from_slice(&[7, 5, e.address, attributes]);
            body.extend_from_slice(&e.max_packet_size.to_le_bytes());
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
    let mut d = vec![9, 2];
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
        // 4 interfaces, 11 endpoints.
        assert_eq!(c.len(), 9 + 4 * 9 + 11 * 7);
        assert_eq!(u16::from_le_bytes([c[2], c[3]]) as usize, c.len());
        assert_eq!((c[4], c[7], c[8]), (4, 0xE0, 250));
    }
}
