//! What a host enumerates: the module's USB identity and interfaces.
//!
//! Values follow the real EM7305 where public dumps show them (VID/PID,
//! bcdDevice 0x0006, strings with an empty serial, 500 mA, self-powered
//! with remote wakeup, QMI on interface 8 with interrupt + bulk pair);
//! endpoint addresses of the serial interfaces follow the Sierra pattern of
//! sibling modules (see docs/usb.md).

use crate::model::Profile;

use crate::model::hardware::SIERRA_VID;

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

/// The fixed interface numbers of Sierra's functions: a function keeps
/// its number whatever else the composition holds.
const IF_DM: u8 = 0;
const IF_NMEA: u8 = 2;
const IF_AT: u8 = 3;
const IF_QMI: u8 = 8;
const IF_MBIM: u8 = 12;
const IF_MBIM_DATA: u8 = 13;

/// wMaxControlMessage of the MBIM function descriptor (facts §2.1).
pub const MBIM_MAX_CONTROL_MESSAGE: u16 = 4096;
/// The MBIM data interface's MTU (MBIM Extended descriptor, wMTU).
pub const MBIM_MTU: u16 = 1500;

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
    /// MBIM communication interface: control on EP0, notifications.
    Mbim,
    /// MBIM data interface: NTBs on the bulk pair of alternate setting 1.
    MbimData,
    /// The boot loader's single port (Sahara/QDL).
    Download,
}

impl PortRole {
    /// The engine's serial port behind a serial interface.
    pub fn serial_port(self) -> Option<crate::SerialPort> {
        use crate::SerialPort;
        match self {
            PortRole::Dm => Some(SerialPort::Dm),
            PortRole::Nmea => Some(SerialPort::Nmea),
            PortRole::At => Some(SerialPort::At),
            PortRole::Download => Some(SerialPort::Download),
            PortRole::Qmi | PortRole::Mbim | PortRole::MbimData => None,
        }
    }

    /// The serial interface behind an engine serial port.
    pub fn of_serial(port: crate::SerialPort) -> PortRole {
        use crate::SerialPort;
        match port {
            SerialPort::Dm => PortRole::Dm,
            SerialPort::Nmea => PortRole::Nmea,
            SerialPort::At => PortRole::At,
            SerialPort::Download => PortRole::Download,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceDesc {
    pub number: u8,
    /// bAlternateSetting: an interface with alternates is listed once per
    /// setting, in order.
    pub alternate: u8,
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

/// An interface association (IAD): MBIM groups its two interfaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterfaceAssociation {
    pub first: u8,
    pub count: u8,
    pub class: u8,
    pub subclass: u8,
    pub protocol: u8,
}

/// One configuration the host can select.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsbConfiguration {
    /// bConfigurationValue.
    pub value: u8,
    pub association: Option<InterfaceAssociation>,
    pub interfaces: Vec<InterfaceDesc>,
}

impl UsbConfiguration {
    /// bNumInterfaces: alternates of one interface count once.
    pub fn interface_count(&self) -> u8 {
        let mut n: Vec<u8> = self.interfaces.iter().map(|i| i.number).collect();
        n.dedup();
        n.len() as u8
    }

    pub fn interface(&self, role: PortRole) -> Option<&InterfaceDesc> {
        self.interfaces.iter().find(|i| i.role == role)
    }
}

/// A USB identity and the configurations the module presents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsbPersonality {
    pub vendor_id: u16,
    pub product_id: u16,
    pub bcd_device: u16,
    pub manufacturer: String,
    pub product: String,
    /// The serial-number string: the 9x15 application reports an empty
    /// one, its boot loader none at all (iSerialNumber 0).
    pub serial: Option<String>,
    pub max_power_ma: u16,
    pub self_powered: bool,
    pub remote_wakeup: bool,
    /// In descriptor-index order; never empty.
    pub configurations: Vec<UsbConfiguration>,
}

/// The functions a Sierra composition is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Function {
    Dm,
    Nmea,
    At,
    Qmi,
    Mbim,
}

/// The function lists of the single-configuration compositions (facts
/// §4.2); `None` for those vmodem does not build.
fn functions(composition: u8) -> Option<&'static [Function]> {
    use Function::*;
    Some(match composition {
        6 => &[Dm, Nmea, At, Qmi],
        8 => &[Dm, Nmea, At, Mbim],
        9 => &[Mbim],
        10 => &[Nmea, Mbim],
        11 => &[Dm, Mbim],
        12 => &[Dm, Nmea, Mbim],
        _ => return None,
    })
}

/// Hands out endpoint addresses the way the module's firmware does: in
/// function order, each function's bulk IN before its interrupt IN, OUT
/// endpoints counted separately (composition 6 gives DM 81/01, NMEA
/// 82/83/02, AT 84/85/03, QMI 86/87/04; the MBIM-only composition 9 gives
/// 81/82/01 as the real one does, facts §2.1 and §2.4).
struct Allocator {
    next_in: u8,
    next_out: u8,
}

impl Allocator {
    fn bulk_in(&mut self) -> u8 {
        self.next_in += 1;
        0x80 | self.next_in
    }
    fn interrupt_in(&mut self) -> u8 {
        self.bulk_in()
    }
    fn bulk_out(&mut self) -> u8 {
        self.next_out += 1;
        self.next_out
    }
}

fn vendor(
    number: u8,
    role: PortRole,
    sub: u8,
    functional: Vec<u8>,
    eps: Vec<EndpointDesc>,
) -> InterfaceDesc {
    InterfaceDesc {
        number,
        alternate: 0,
        class: 0xff,
        subclass: sub,
        protocol: sub,
        role,
        functional,
        endpoints: eps,
    }
}

/// The interfaces (and association) of one composition's functions.
fn build(value: u8, funcs: &[Function]) -> UsbConfiguration {
    use EndpointDesc as E;
    let mut a = Allocator {
        next_in: 0,
        next_out: 0,
    };
    let mut interfaces = Vec::new();
    let mut association = None;
    for f in funcs {
        match f {
            Function::Dm => {
                let (i, o) = (a.bulk_in(), a.bulk_out());
                interfaces.push(vendor(
                    IF_DM,
                    PortRole::Dm,
                    0xff,
                    vec![],
                    vec![E::bulk(i), E::bulk(o)],
                ));
            }
            // The NMEA and AT functions carry the Qualcomm serial set of CDC
            // descriptors: with them configuration 1 of composition 6 is
            // 160 bytes, the real wTotalLength.
            Function::Nmea | Function::At => {
                let (n, role) = match f {
                    Function::Nmea => (IF_NMEA, PortRole::Nmea),
                    _ => (IF_AT, PortRole::At),
                };
                let (i, int, o) = (a.bulk_in(), a.interrupt_in(), a.bulk_out());
                interfaces.push(vendor(
                    n,
                    role,
                    0x00,
                    QUALCOMM_SERIAL_CDC.to_vec(),
                    vec![E::interrupt(int), E::bulk(i), E::bulk(o)],
                ));
            }
            Function::Qmi => {
                let (i, int, o) = (a.bulk_in(), a.interrupt_in(), a.bulk_out());
                interfaces.push(vendor(
                    IF_QMI,
                    PortRole::Qmi,
                    0xff,
                    vec![],
                    vec![E::interrupt(int), E::bulk(i), E::bulk(o)],
                ));
            }
            Function::Mbim => {
                let (i, int, o) = (a.bulk_in(), a.interrupt_in(), a.bulk_out());
                association = Some(InterfaceAssociation {
                    first: IF_MBIM,
                    count: 2,
                    class: 0x02,
                    subclass: 0x0e,
                    protocol: 0x00,
                });
                interfaces.extend(mbim_interfaces(i, int, o));
            }
        }
    }
    UsbConfiguration {
        value,
        association,
        interfaces,
    }
}

/// The MBIM function as the real module describes it (facts §2.1): a
/// communication interface with CDC header, union, MBIM and MBIM extended
/// descriptors and a 64-byte interrupt endpoint, and a data interface whose
/// alternate setting 0 has no endpoints and 1 the bulk pair.
fn mbim_interfaces(bulk_in: u8, interrupt: u8, bulk_out: u8) -> Vec<InterfaceDesc> {
    let [cl, ch] = MBIM_MAX_CONTROL_MESSAGE.to_le_bytes();
    let [ml, mh] = MBIM_MTU.to_le_bytes();
    let functional = vec![
        0x05,
        0x24,
        0x00,
        0x10,
        0x01, // header, bcdCDC 1.10
        0x05,
        0x24,
        0x06,
        IF_MBIM,
        IF_MBIM_DATA, // union
        // MBIM 1.00: wMaxControlMessage, 32 filters of 128 bytes,
        // wMaxSegmentSize, bmNetworkCapabilities 0x20 (NTB input size 8 bytes)
        0x0c,
        0x24,
        0x1b,
        0x00,
        0x01,
        cl,
        ch,
        0x20,
        0x80,
        ml,
        mh,
        0x20,
        // MBIM extended 1.00: 64 outstanding commands, wMTU
        0x08,
        0x24,
        0x1c,
        0x00,
        0x01,
        0x40,
        ml,
        mh,
    ];
    let data = |alternate, endpoints| InterfaceDesc {
        number: IF_MBIM_DATA,
        alternate,
        class: 0x0a,
        subclass: 0x00,
        protocol: 0x02,
        role: PortRole::MbimData,
        functional: vec![],
        endpoints,
    };
    vec![
        InterfaceDesc {
            number: IF_MBIM,
            alternate: 0,
            class: 0x02,
            subclass: 0x0e,
            protocol: 0x00,
            role: PortRole::Mbim,
            functional,
            endpoints: vec![EndpointDesc {
                address: interrupt,
                kind: TransferKind::Interrupt,
                max_packet_size: 64,
                interval: 9,
            }],
        },
        data(0, vec![]),
        data(
            1,
            vec![EndpointDesc::bulk(bulk_in), EndpointDesc::bulk(bulk_out)],
        ),
    ]
}

impl UsbPersonality {
    /// Application firmware in Sierra USB composition `composition`
    /// (facts §4.2): 6 is DM, NMEA, AT and QMI; 8 to 12 put MBIM in QMI's
    /// place; 13 to 17 are dual: configuration 1 is composition 6 and
    /// configuration 2 is composition 8 to 12. Compositions vmodem does not
    /// build (the pre-QMI ones and RMNET) are served as 6.
    pub fn application(p: &Profile, composition: u8) -> Self {
        let configurations = match composition {
            13..=17 => vec![
                build(1, functions(6).unwrap_or_default()),
                build(2, functions(composition - 5).unwrap_or_default()),
            ],
            c => vec![build(1, functions(c).or(functions(6)).unwrap_or_default())],
        };
        let id = &p.identity;
        UsbPersonality {
            vendor_id: id.usb_vendor_id,
            product: id.usb_product.clone().unwrap_or_else(|| id.model.clone()),
            ..Self::sierra(p, id.usb_product_id, configurations)
        }
    }

    /// Application firmware, composition 6: DM, NMEA, AT and QMI.
    pub fn application_qmi(p: &Profile) -> Self {
        Self::application(p, 6)
    }

    /// The boot loader: the profile's PID (0x9040 by default), one vendor
    /// interface with one bulk pair, and the device fields of the public
    /// `usb-devices` dump of an EM7305 in QDL mode: bcdDevice 0.00, no
    /// serial string, bus-powered, 2 mA.
    pub fn bootloader(p: &Profile) -> Self {
        let download = InterfaceDesc {
            number: 0,
            alternate: 0,
            class: 0xff,
            subclass: 0xff,
            protocol: 0xff,
            role: PortRole::Download,
            functional: Vec::new(),
            endpoints: vec![EndpointDesc::bulk(0x81), EndpointDesc::bulk(0x01)],
        };
        let config = UsbConfiguration {
            value: 1,
            association: None,
            interfaces: vec![download],
        };
        UsbPersonality {
            bcd_device: 0x0000,
            serial: None,
            max_power_ma: 2,
            self_powered: false,
            remote_wakeup: false,
            ..Self::sierra(p, p.bootloader.usb_product_id, vec![config])
        }
    }

    /// What every Sierra 9x15 personality shares: identity and power.
    fn sierra(p: &Profile, product_id: u16, configurations: Vec<UsbConfiguration>) -> Self {
        UsbPersonality {
            vendor_id: SIERRA_VID,
            product_id,
            bcd_device: 0x0006,
            manufacturer: p.identity.manufacturer.clone(),
            product: p.identity.model.clone(),
            serial: Some(String::new()),
            max_power_ma: 500,
            self_powered: true,
            remote_wakeup: true,
            configurations,
        }
    }

    /// The interfaces of the first configuration (the only one, but for
    /// the dual compositions).
    pub fn interfaces(&self) -> &[InterfaceDesc] {
        self.configurations
            .first()
            .map_or(&[], |c| c.interfaces.as_slice())
    }

    /// The configuration with bConfigurationValue `value`.
    pub fn configuration(&self, value: u8) -> Option<&UsbConfiguration> {
        self.configurations.iter().find(|c| c.value == value)
    }

    /// The first interface of `role` in the first configuration.
    pub fn interface(&self, role: PortRole) -> Option<&InterfaceDesc> {
        self.interfaces().iter().find(|i| i.role == role)
    }

    /// Lowers the MBIM functional descriptor's wMaxControlMessage to `max`
    /// (never raises it), in every configuration: cdc_wdm sizes its
    /// control transfers by it, and libmbim opens the function with it.
    pub fn cap_mbim_control_message(&mut self, max: u16) {
        let mbim = (self.configurations.iter_mut())
            .flat_map(|c| c.interfaces.iter_mut())
            .filter(|i| i.role == PortRole::Mbim);
        for i in mbim {
            let mut at = 0;
            while let Some(&len) = i.functional.get(at) {
                let d = &mut i.functional[at..];
                // bLength, CS_INTERFACE, MBIM functional, bcdMBIM, wMaxControlMessage
                if len >= 7 && d.len() >= 7 && d[1] == 0x24 && d[2] == 0x1b {
                    let now = u16::from_le_bytes([d[5], d[6]]);
                    d[5..7].copy_from_slice(&now.min(max).to_le_bytes());
                }
                if len == 0 {
                    break;
                }
                at += usize::from(len);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mbim_control_message_can_be_capped() {
        let mut p = UsbPersonality::application(&Profile::default(), 14);
        p.cap_mbim_control_message(256);
        let m = p.configurations[1].interface(PortRole::Mbim).unwrap();
        let at = m
            .functional
            .windows(3)
            .position(|w| w == [0x0c, 0x24, 0x1b]);
        let d = &m.functional[at.unwrap()..];
        assert_eq!(u16::from_le_bytes([d[5], d[6]]), 256);
        p.cap_mbim_control_message(8192);
        let m = p.configurations[1].interface(PortRole::Mbim).unwrap();
        assert_eq!(
            u16::from_le_bytes([m.functional[at.unwrap() + 5], m.functional[at.unwrap() + 6]]),
            256
        );
    }

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
        assert_eq!(p.product_id, 0x9040, "the shipped profile's");
        // The public usb-devices dump: bcdDevice 0.00, iSerialNumber 0,
        // bmAttributes 0x80, MaxPower 2 mA.
        let d = crate::usb::descriptors::device(&p);
        assert_eq!((d[12], d[13], d[16]), (0, 0, 0));
        let c = crate::usb::descriptors::configuration(&p, 0).unwrap();
        assert_eq!((c[7], c[8]), (0x80, 1));
        let mut q = Profile::default();
        q.bootloader.usb_product_id = 0x9062;
        assert_eq!(UsbPersonality::bootloader(&q).product_id, 0x9062);
        assert_eq!(p.interfaces().len(), 1);
        let e = &p.interfaces()[0].endpoints;
        assert!(e[0].is_in() && !e[1].is_in());
        assert!(e.iter().all(|e| e.kind == TransferKind::Bulk));
    }
}
