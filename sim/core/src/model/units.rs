//! Shipped unit profiles: the EM7305 as Sierra sells it and as OEMs
//! rebrand it. A unit differs from the default profile only in its USB
//! identity, so each is the default profile's text with those keys set:
//! one file to keep right, and `vmodem profile default --unit NAME`
//! prints the whole profile to copy.

use super::profile::{Profile, ProfileError, DEFAULT_PROFILE};

/// One unit: its name on the command line and its USB identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unit {
    pub name: &'static str,
    pub description: &'static str,
    pub usb_vendor_id: u16,
    pub usb_product_id: u16,
    pub usb_product: &'static str,
}

/// The kernel's qcserial and qmi_wwan device tables name all three
/// (docs/usb.md, "Units").
pub const UNITS: &[Unit] = &[
    Unit {
        name: "em7305",
        description: "Sierra Wireless EM7305, the default",
        usb_vendor_id: 0x1199,
        usb_product_id: 0x9041,
        usb_product: "EM7305",
    },
    Unit {
        name: "lenovo-em7305",
        description: "the EM7305 as Lenovo ships it",
        usb_vendor_id: 0x1199,
        usb_product_id: 0x9063,
        usb_product: "EM7305",
    },
    Unit {
        name: "dell-dw5809e",
        description: "Dell Wireless 5809e, a rebranded EM7305",
        usb_vendor_id: 0x413c,
        usb_product_id: 0x81b1,
        usb_product: "Dell Wireless 5809e Gobi\u{2122} 4G LTE Mobile Broadband Card",
    },
];

pub fn unit(name: &str) -> Option<&'static Unit> {
    UNITS.iter().find(|u| u.name == name)
}

impl Unit {
    /// The default profile's text with this unit's USB identity set in
    /// its `[identity]` section.
    pub fn profile_text(&self) -> String {
        let mut section = "";
        let mut out = String::with_capacity(DEFAULT_PROFILE.len() + 64);
        for l in DEFAULT_PROFILE.lines() {
            if l.starts_with('[') {
                section = l;
            }
            let line = match (section, l.split(" = ").next()) {
                ("[identity]", Some("usb-vendor-id")) => {
                    format!("usb-vendor-id = {:#06x}", self.usb_vendor_id)
                }
                ("[identity]", Some("usb-product-id")) => {
                    format!("usb-product-id = {:#06x}", self.usb_product_id)
                }
                ("[identity]", Some("usb-product")) => {
                    format!("usb-product = {:?}", self.usb_product)
                }
                _ => l.to_string(),
            };
            out.push_str(&line);
            out.push('\n');
        }
        out
    }

    pub fn profile(&self) -> Result<Profile, ProfileError> {
        Profile::from_toml(&self.profile_text(), self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_loads_with_its_identity_and_the_default_boot_loader() {
        for u in UNITS {
            let p = u.profile().unwrap();
            assert_eq!(
                (p.identity.usb_vendor_id, p.identity.usb_product_id),
                (u.usb_vendor_id, u.usb_product_id),
                "{}",
                u.name
            );
            assert_eq!(p.identity.usb_product.as_deref(), Some(u.usb_product));
            assert_eq!(p.bootloader.usb_product_id, 0x9040, "{}", u.name);
        }
        assert_eq!(
            unit("em7305").unwrap().profile().unwrap(),
            Profile::default()
        );
        assert!(unit("nope").is_none());
    }
}
