//! Which Sierra USB composition a transport serves: one rule for
//! `vmodem run` and for suites. The modem reports what it serves, so the
//! profile's composition is replaced by this before the engine starts.

/// The control function the host talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Function {
    /// QMI (Sierra compositions 6 and 7).
    Qmi,
    /// MBIM (Sierra compositions 8 to 12).
    Mbim,
}

impl Function {
    /// The function a host meets in composition `n`. A dual configuration
    /// (13 and up) counts as QMI: its first configuration.
    pub fn of(n: u8) -> Function {
        match n {
            8..=12 => Function::Mbim,
            _ => Function::Qmi,
        }
    }

    /// The composition that offers this function alone: the profile's
    /// when it does, else 6 (QMI) or 9 (MBIM only, the real EM7305's in
    /// facts §2.1).
    fn single(self, profile: u8) -> u8 {
        match (self, profile) {
            (Function::Qmi, 6 | 7) | (Function::Mbim, 8..=12) => profile,
            (Function::Qmi, _) => 6,
            (Function::Mbim, _) => 9,
        }
    }
}

/// What a transport can put on the bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// One configuration, QMI or MBIM (the pty): a dual composition is
    /// served as its QMI half.
    OneConfig,
    /// QMI only: FunctionFS cannot carry MBIM's class descriptors.
    QmiOnly,
    /// Every composition, a dual one whole (USB/IP, GadgetFS).
    Any,
}

/// The composition to boot in, given the profile's and the function asked
/// for (`None`: the profile's). Asked for one function, the host gets that
/// function alone, never a dual composition.
pub fn served(reach: Reach, asked: Option<Function>, profile: u8) -> Result<u8, String> {
    match (reach, asked) {
        (Reach::QmiOnly, Some(Function::Mbim)) => Err(
            "MBIM is served on the pty, usbip and gadgetfs transports only: FunctionFS cannot \
             carry its class-specific descriptors (docs/mbim.md)"
                .into(),
        ),
        (Reach::QmiOnly, _) => Ok(Function::Qmi.single(profile)),
        (_, Some(f)) => Ok(f.single(profile)),
        (Reach::OneConfig, None) if matches!(profile, 13..=22) => Ok(6),
        (_, None) => Ok(profile),
    }
}

/// Puts the composition the transport serves into the profile, which the
/// modem reports; returns it.
pub fn serve(
    profile: &mut vmodem_core::model::Profile,
    reach: Reach,
    asked: Option<Function>,
) -> Result<u8, String> {
    let id = &mut profile.identity;
    id.usb_composition = served(reach, asked, id.usb_composition)?;
    Ok(id.usb_composition)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_of_the_compositions() {
        for n in 0..=22u8 {
            assert_eq!(
                Function::of(n) == Function::Mbim,
                (8..=12).contains(&n),
                "{n}"
            );
        }
    }

    #[test]
    fn asked_for_a_function_the_host_gets_it_alone() {
        for reach in [Reach::OneConfig, Reach::Any] {
            let m = Some(Function::Mbim);
            let q = Some(Function::Qmi);
            assert_eq!(served(reach, m, 6), Ok(9));
            assert_eq!(served(reach, m, 8), Ok(8));
            assert_eq!(served(reach, m, 14), Ok(9));
            assert_eq!(served(reach, m, 19), Ok(9));
            assert_eq!(served(reach, q, 9), Ok(6));
            assert_eq!(served(reach, q, 6), Ok(6));
            assert_eq!(served(reach, q, 7), Ok(7));
            assert_eq!(served(reach, q, 14), Ok(6));
        }
    }

    #[test]
    fn unasked_the_profile_is_served_as_far_as_the_transport_can() {
        assert_eq!(served(Reach::Any, None, 14), Ok(14));
        assert_eq!(served(Reach::Any, None, 9), Ok(9));
        assert_eq!(served(Reach::OneConfig, None, 14), Ok(6));
        assert_eq!(served(Reach::OneConfig, None, 22), Ok(6));
        assert_eq!(served(Reach::OneConfig, None, 12), Ok(12));
        assert_eq!(served(Reach::QmiOnly, None, 14), Ok(6));
        assert_eq!(served(Reach::QmiOnly, None, 9), Ok(6));
        assert_eq!(served(Reach::QmiOnly, Some(Function::Qmi), 7), Ok(7));
        assert!(served(Reach::QmiOnly, Some(Function::Mbim), 14).is_err());
    }
}
