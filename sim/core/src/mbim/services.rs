//! The device services this function serves: the one list that DEVICE_
//! SERVICES reports, that dispatch goes by, and that DEVICE_CAPS derives
//! its capability bits from, so the caps never advertise what is not
//! served.
//!
//! A new service registers here (an entry in [`served`]) with the
//! DEVICE_CAPS bits it makes true: the SMS service registers with
//! `sms_caps::PDU_RECEIVE | sms_caps::PDU_SEND`, so the caps advertise
//! SMS because it is served.

use super::values::SUPPORTED;
use crate::model::Device;
use crate::wire::mbim::Uuid;

/// SmsCaps bits of DEVICE_CAPS (MBIM 1.0 section 10.5.1).
pub mod sms_caps {
    pub const PDU_RECEIVE: u32 = 1 << 0;
    pub const PDU_SEND: u32 = 1 << 1;
}

/// The QMI service's one CID: a QMUX frame in, its answer out.
pub const QMI_MSG: u32 = 1;

/// One service as DEVICE_SERVICES lists it, with what it adds to
/// DEVICE_CAPS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    pub service: Uuid,
    pub cids: &'static [u32],
    /// SmsCaps bits this service serves.
    pub sms_caps: u32,
}

/// Every service served, in the order DEVICE_SERVICES lists them.
pub fn served(dev: &Device) -> Vec<Served> {
    let mut list = vec![
        Served {
            service: Uuid::BASIC_CONNECT,
            cids: SUPPORTED,
            sms_caps: 0,
        },
        Served {
            service: Uuid::SMS,
            cids: super::sms::SUPPORTED,
            sms_caps: sms_caps::PDU_RECEIVE | sms_caps::PDU_SEND,
        },
    ];
    if dev.profile.mbim.qmi_over_mbim {
        list.push(Served {
            service: Uuid::QMI,
            cids: &[QMI_MSG],
            sms_caps: 0,
        });
    }
    list
}

/// Whether `cid` of `service` is served.
pub fn serves(dev: &Device, service: &Uuid, cid: u32) -> bool {
    served(dev)
        .iter()
        .any(|s| s.service == *service && s.cids.contains(&cid))
}

/// DEVICE_CAPS' SmsCaps: what the served services make true.
pub fn sms_caps(dev: &Device) -> u32 {
    served(dev).iter().fold(0, |caps, s| caps | s.sms_caps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Profile;
    use crate::time::Instant;

    fn device(qmi: bool) -> Device {
        let mut p = Profile::default();
        p.mbim.qmi_over_mbim = qmi;
        Device::new(p, 0, Instant::ZERO)
    }

    #[test]
    fn sms_is_advertised_because_the_sms_service_is_served() {
        assert_eq!(sms_caps(&device(true)), 0b11);
        assert!(serves(&device(false), &Uuid::SMS, 2));
    }

    #[test]
    fn the_qmi_service_is_served_only_when_the_profile_says_so() {
        assert!(serves(&device(true), &Uuid::QMI, QMI_MSG));
        assert!(!serves(&device(false), &Uuid::QMI, QMI_MSG));
        assert!(!serves(&device(true), &Uuid::QMI, 2));
        assert!(serves(&device(false), &Uuid::BASIC_CONNECT, 12));
    }
}
