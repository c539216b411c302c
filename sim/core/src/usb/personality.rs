//! What a host enumerates: the module's USB identity and interfaces.
//!
//! Values follow the real EM7305 where public dumps show them (VID/PID,
//! bcdDevice 0x0006, strings with an empty serial, 500 mA, self-powered
//! with remote wakeup, QMI on interface 8 with interrupt + bulk pair);
//! endpoint addresses of the serial interfaces follow the Sierra pattern of
//! sibling modules (see docs/usb.md).

use crate::model::Profile;

pub const SIERRA_VID: u16 = 0x1199;
/// Application firmware, QMI/MBIM compositions.
pub const PID_APPLICATION: u16 = 0x9041;
/// The boot loader (QDL/Sahara), one serial interface.
pub const PID_BOOTLOADER: u16 = 0x9040;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferKind {
    Bulk,
    Interrupt,
}

/// One endpoint as the real module describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointDesc {
    /// Address on the real module (bit 7 set for IN).
    pub address: u8,
    pub kind: TransferKind,
    pub max_packet_size: u16,
    /// bInterval (interrupt endpoints; 0 for bulk).
    pub interval: u8,
}

impl EndpointDesc {
    pub fn is_in(&self) -> bool {
        self.address & 0x80 != 0
    }
    const fn bulk(address: u8) -> Self {
        EndpointDesc {
            address,
            kind: TransferKind::Bulk,
            max_packet_size: 512,
            interval: 0,
        }
    }
    const fn interrupt(address: u8) -> Self {
        EndpointDesc {
            address,
            kind: TransferKind::Interrupt,
            max_packet_size: 10,
            interval: 9,
        }
    }
}

/// CDC header (1.10), call management, ACM and union functional
/// descriptors, as Qualcomm serial functions list them (facts §2.4).
const QUALCOMM_SERIAL_CDC: [u8; 19] = [
    0x05, 0x24, 0x00, 0x10, 0x01, // header, bcdCDC 1.10
    0x05, 0x24, 0x01, 0x00, 0x00, // call management
    0x04, 0x24, 0x02, 0x02, // ACM: line coding and serial state
    0x05, 0x24, 0x06, 0x00, 0x00, // union
];

/// What an interface carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PortRole {
    /// Qualcomm DM/DIAG (QCDM, HDLC framed).
    Dm,
    /// NMEA sentences.
    Nmea,
    /// AT command port.
    At,
    /// QMI control (CDC-WDM on EP0) and the data bulk pair.
    Qmi,
    /// The boot loader's single port (Sahara/QDL).
    Download,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceDesc {
    pub number: u8,
    pub class: u8,
    pub subclass: u8,
    pub protocol: u8,
    pub role: PortRole,
    /// Class-specific descriptors between the interface descriptor and its
    /// endpoints. Transports that build descriptors themselves (FunctionFS)
    /// cannot send them.
    pub functional: Vec<u8>,
    pub endpoints: Vec<EndpointDesc>,
}

/// A USB identity and interface set the module presents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsbPersonality {
    pub vendor_id: u16,
    pub product_id: u16,
    pub bcd_device: u16,
    pub manufacturer: String,
    pub product: String,
    /// Real 9x15 modules report an empty serial-number string.
    pub serial: String,
    pub max_power_ma: u16,
    pub self_powered: bool,
    pub remote_wakeup: bool,
    pub interfaces: Vec<InterfaceDesc>,
}

impl UsbPersonality {
    /// Application firmware, composition 6: DM, NMEA, AT and QMI.
    pub fn application_qmi(p: &Profile) -> Self {
        let vendor = |number, role, subclass, protocol, endpoints| InterfaceDesc {
            number,
            class: 0xff,
            subclass,
            protocol,
            role,
            // The NMEA and AT functions carry the Qualcomm serial set of CDC
            // descriptors (header 1.10, call management, ACM, union): with
            // them configuration 1 is 160 bytes, the real wTotalLength.
            functional: match role {
                PortRole::Nmea | PortRole::At => QUALCOMM_SERIAL_CDC.to_vec(),
                _ => Vec::new(),
            },
            endpoints,
        };
        use EndpointDesc as E;
        Self::sierra(
            p,
            PID_APPLICATION,
            vec![
                vendor(
                    0,
                    PortRole::Dm,
                    0xff,
                    0xff,
                    vec![E::bulk(0x81), E::bulk(0x01)],
                ),
                vendor(
                    2,
                    PortRole::Nmea,
                    0x00,
                    0x00,
                    vec![E::interrupt(0x83), E::bulk(0x82), E::bulk(0x02)],
                ),
                vendor(
                    3,
                    PortRole::At,
                    0x00,
                    0x00,
                    vec![E::interrupt(0x85), E::bulk(0x84), E::bulk(0x03)],
                ),
                vendor(
                    8,
                    PortRole::Qmi,
                    0xff,
                    0xff,
                    vec![E::interrupt(0x87), E::bulk(0x86), E::bulk(0x04)],
                ),
            ],
        )
    }

    /// The boot loader: PID 0x9040, one vendor interface with one bulk pair.
    pub fn bootloader(p: &Profile) -> Self {
        Self::sierra(
            p,
            PID_BOOTLOADER,
            vec![InterfaceDesc {
                number: 0,
                class: 0xff,
                subclass: 0xff,
                protocol: 0xff,
                role: PortRole::Download,
                functional: Vec::new(),
                endpoints: vec![EndpointDesc::bulk(0x81), EndpointDesc::bulk(0x01)],
            }],
        )
    }

    /// What every Sierra 9x15 personality shares: identity and power.
    fn sierra(p: &Profile, product_id: u16, interfaces: Vec<InterfaceDesc>) -> Self {
        UsbPersonality {
            vendor_id: SIERRA_VID,
            product_id,
            bcd_device: 0x0006,
            manufacturer: p.identity.manufacturer.clone(),
            product: p.identity.model.clone(),
            serial: String::new(),
            max_power_ma: 500,
            self_powered: true,
            remote_wakeup: true,
            interfaces,
        }
    }

    pub fn interface(&self, role: PortRole) -> Option<&InterfaceDesc> {
        self.interfaces.iter().find(|i| i.role == role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qmi_interface_satisfies_qmi_wwan() {
        let p = UsbPersonality::application_qmi(&Profile::default());
        let q = p.interface(PortRole::Qmi).unwrap();
        // qmi_wwan matches 1199:9041 interface 8, class 0xff, and refuses
        // interfaces with exactly two endpoints.
        assert_eq!((q.number, q.class), (8, 0xff));
        assert_eq!(q.endpoints.len(), 3);
        assert_eq!(q.endpoints[0].kind, TransferKind::Interrupt);
        assert_ne!(q.endpoints[0].interval, 0);
    }

    #[test]
    fn bootloader_is_what_qcserial_calls_a_qdl_port() {
        let p = UsbPersonality::bootloader(&Profile::default());
        assert_eq!(p.interfaces.len(), 1);
        let e = &p.interfaces[0].endpoints;
        assert!(e[0].is_in() && !e[1].is_in());
        assert!(e.iter().all(|e| e.kind == TransferKind::Bulk));
    }
}
