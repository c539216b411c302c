//! The profile's `[mbim]` section: what the MBIM function offers beyond
//! Basic Connect.

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default, rename_all = "kebab-case")]
pub struct MbimSetup {
    /// Qualcomm's QMI service (QMUX frames tunnelled in MBIM) in Device
    /// Services, answered by the same QMI engine as the QMI composition.
    /// On by default: the 9x15 generation's MBIM firmware (SWI9X15C)
    /// answers it (docs/mbim.md, "QMI over MBIM").
    pub qmi_over_mbim: bool,
}

impl Default for MbimSetup {
    fn default() -> Self {
        MbimSetup {
            qmi_over_mbim: true,
        }
    }
}
