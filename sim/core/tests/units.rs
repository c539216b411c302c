//! Each shipped unit profile against the kernel's device tables: a host
//! binds qcserial to its serial interfaces and qmi_wwan to its QMI one only
//! if the IDs and interface numbers are there. The entries below are facts
//! from Linux's drivers/usb/serial/qcserial.c (`DEVICE_SWI`: the Sierra
//! layout, DM 0, NMEA 2, AT 3) and drivers/net/usb/qmi_wwan.c
//! (`QMI_FIXED_INTF`); the VM tier checks the real drivers bind.

use vmodem_core::model::units::UNITS;
use vmodem_core::usb::{PortRole, UsbPersonality};

/// qcserial's DEVICE_SWI entries for these units.
const QCSERIAL_SWI: &[(u16, u16)] = &[(0x1199, 0x9041), (0x1199, 0x9063), (0x413c, 0x81b1)];

/// qmi_wwan's QMI_FIXED_INTF entries for these units: (VID, PID, interface).
const QMI_WWAN: &[(u16, u16, u8)] = &[
    (0x1199, 0x9041, 8),
    (0x1199, 0x9063, 8),
    (0x1199, 0x9063, 10),
    (0x413c, 0x81b1, 8),
];

#[test]
fn every_unit_is_in_the_kernel_tables_with_its_interfaces() {
    for u in UNITS {
        let p = UsbPersonality::application_qmi(&u.profile().unwrap());
        let ids = (p.vendor_id, p.product_id);
        assert_eq!(ids, (u.usb_vendor_id, u.usb_product_id), "{}", u.name);
        assert!(
            QCSERIAL_SWI.contains(&ids),
            "{}: not a qcserial SWI device",
            u.name
        );
        for (role, number) in [(PortRole::Dm, 0), (PortRole::Nmea, 2), (PortRole::At, 3)] {
            let i = p
                .interface(role)
                .unwrap_or_else(|| panic!("{}: no {role:?}", u.name));
            assert_eq!(
                i.number, number,
                "{}: {role:?} where the SWI layout expects it",
                u.name
            );
        }
        let qmi = p.interface(PortRole::Qmi).unwrap().number;
        assert!(
            QMI_WWAN.contains(&(ids.0, ids.1, qmi)),
            "{}: qmi_wwan has no entry for interface {qmi}",
            u.name
        );
        assert_eq!(p.product, u.usb_product);
    }
}
