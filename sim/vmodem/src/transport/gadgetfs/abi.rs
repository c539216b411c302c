//! The GadgetFS file protocol (`linux/usb/gadgetfs.h`, the kernel's
//! `drivers/usb/gadget/legacy/inode.c`): what is written to the device
//! and endpoint files, and the events read from the device file. Pure
//! byte layouts; the descriptors themselves come from
//! `vmodem_core::usb::descriptors`.

use vmodem_core::usb::{descriptors, EndpointDesc, Setup, UsbPersonality};

/// One `struct usb_gadgetfs_event`: an 8-byte union (the SETUP packet, or
/// the speed as a C enum) and the event type as a C enum.
pub const EVENT_LEN: usize = 12;

/// The events the device file reports (`enum usb_gadgetfs_event_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Nop,
    /// The host reset the bus and addressed the device, at this speed
    /// (`enum usb_device_speed`: 2 full, 3 high).
    Connect {
        speed: u32,
    },
    /// Bus reset or disconnect: user space disables its endpoints.
    Disconnect,
    /// A control request the kernel left to user space.
    Setup(Setup),
    Suspend,
    /// A type this code does not know: skipped.
    Unknown(u32),
}

/// `enum usb_device_speed`'s USB_SPEED_HIGH.
pub const SPEED_HIGH: u32 = 3;

impl Event {
    /// One record; `None` when it is shorter than a record.
    pub fn parse(b: &[u8]) -> Option<Event> {
        let b = b.get(..EVENT_LEN)?;
        let u32_at = |i: usize| u32::from_ne_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        Some(match u32_at(8) {
            0 => Event::Nop,
            1 => Event::Connect { speed: u32_at(0) },
            2 => Event::Disconnect,
            3 => match Setup::parse(&b[..8]) {
                Ok(s) => Event::Setup(s),
                Err(_) => Event::Unknown(3),
            },
            4 => Event::Suspend,
            t => Event::Unknown(t),
        })
    }
}

/// What the device file takes to bind the gadget: tag 0, the full-speed
/// configuration, the high-speed one (both whole, wTotalLength bytes) and
/// the device descriptor. `None` when the personality has not exactly one
/// configuration (GadgetFS offers one per speed).
pub fn device_blob(p: &UsbPersonality) -> Option<Vec<u8>> {
    if p.configurations.len() != 1 {
        return None;
    }
    let mut b = 0u32.to_ne_bytes().to_vec();
    b.extend(descriptors::full_speed_configuration(p, 0)?);
    b.extend(descriptors::configuration(p, 0)?);
    b.extend(descriptors::device(p));
    Some(b)
}

/// What an endpoint file takes to enable the endpoint: tag 1, then its
/// full-speed and high-speed descriptors.
pub fn endpoint_blob(e: &EndpointDesc) -> Vec<u8> {
    let mut b = 1u32.to_ne_bytes().to_vec();
    b.extend(descriptors::endpoint(e, true));
    b.extend(descriptors::endpoint(e, false));
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use vmodem_core::model::Profile;

    fn record(union: [u8; 8], kind: u32) -> Vec<u8> {
        let mut b = union.to_vec();
        b.extend(kind.to_ne_bytes());
        b
    }

    #[test]
    fn events_read_as_the_kernel_lays_them_out() {
        let mut speed = [0u8; 8];
        speed[..4].copy_from_slice(&SPEED_HIGH.to_ne_bytes());
        assert_eq!(
            Event::parse(&record(speed, 1)),
            Some(Event::Connect { speed: SPEED_HIGH })
        );
        let setup = [0xa1, 0x01, 0, 0, 8, 0, 0, 0x10];
        match Event::parse(&record(setup, 3)) {
            Some(Event::Setup(s)) => {
                assert_eq!(
                    (s.request_type, s.request, s.index, s.length),
                    (0xa1, 1, 8, 0x1000)
                )
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(Event::parse(&record([0; 8], 2)), Some(Event::Disconnect));
        assert_eq!(Event::parse(&record([0; 8], 4)), Some(Event::Suspend));
        assert_eq!(Event::parse(&record([0; 8], 77)), Some(Event::Unknown(77)));
        assert_eq!(Event::parse(&[0; 11]), None);
    }

    #[test]
    fn the_device_blob_is_both_speeds_then_the_device() {
        let p = UsbPersonality::application(&Profile::default(), 9);
        let b = device_blob(&p).unwrap();
        assert_eq!(&b[..4], &[0; 4]);
        let fs = descriptors::full_speed_configuration(&p, 0).unwrap();
        let hs = descriptors::configuration(&p, 0).unwrap();
        assert_eq!(&b[4..4 + fs.len()], &fs[..]);
        assert_eq!(&b[4 + fs.len()..4 + fs.len() + hs.len()], &hs[..]);
        assert_eq!(&b[b.len() - 18..], &descriptors::device(&p)[..]);
        // A dual composition has two configurations: not in one blob.
        let dual = UsbPersonality::application(&Profile::default(), 14);
        assert_eq!(device_blob(&dual), None);
    }

    #[test]
    fn an_endpoint_blob_has_both_speeds() {
        let p = UsbPersonality::application_qmi(&Profile::default());
        let e = p.interfaces()[0].endpoints[0];
        let b = endpoint_blob(&e);
        assert_eq!(b.len(), 4 + 7 + 7);
        assert_eq!(&b[..4], &1u32.to_ne_bytes());
        assert_eq!(&b[4..11], &[7, 5, 0x81, 2, 64, 0, 0]);
        assert_eq!(&b[11..], &[7, 5, 0x81, 2, 0, 2, 0]);
    }
}
