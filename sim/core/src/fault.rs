//! Faults: what a scenario step, the control socket or the power model can
//! do to the module. One vocabulary for all three, so a fault fired by hand
//! behaves exactly like the same fault fired from a file.

use crate::serial::SerialPort;
use crate::time::Duration;
use serde::{Deserialize, Serialize};

/// One fault to inject with `Modem::inject`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Fault {
    /// Firmware reset: off the bus for `down` (sampled from the profile's
    /// range with the seeded RNG when absent), then a fresh boot: SIM
    /// locked, registrations and bearers gone.
    Reset {
        #[serde(default, with = "opt_millis", rename = "down-ms")]
        down: Option<Duration>,
    },
    /// Firmware crash: off the bus and silent until a power cycle.
    Crash,
    /// All power removed and restored: the only way out of the boot
    /// loader and of a crash.
    PowerCycle,
    /// USB disconnect without a reset: the firmware keeps its state and
    /// comes back after `down` (or on `Reconnect` when absent).
    Disconnect {
        #[serde(default, with = "opt_millis", rename = "down-ms")]
        down: Option<Duration>,
    },
    Reconnect,
    /// Switch to the boot loader now, as the failsafe would.
    Bootloader,
    SimRemove,
    SimInsert,
    /// The network drops the registration; the module searches again.
    Deregister,
    /// The serving network starts (`true`) or stops being a roaming one.
    Roaming {
        on: bool,
    },
    /// No usable signal for `duration`: registration is lost meanwhile.
    SignalLoss {
        #[serde(with = "millis", rename = "duration-ms")]
        duration: Duration,
    },
    /// The network deactivates every bearer.
    BearerDrop,
    /// Mangle the next `count` control responses (QMI or MBIM).
    Responses {
        mangle: Mangle,
        count: u32,
    },
    /// An endpoint stops completing transfers, for `duration` or until the
    /// next reset.
    Stall {
        endpoint: StalledEndpoint,
        #[serde(default, with = "opt_millis", rename = "duration-ms")]
        duration: Option<Duration>,
    },
    /// Change the power set-up while running (only the given fields).
    Power(PowerChange),
}

/// What happens to a response on its way to the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Mangle {
    /// Held back this long.
    Delay {
        #[serde(with = "millis", rename = "ms")]
        by: Duration,
    },
    /// Never sent.
    Drop,
    /// Sent twice.
    Duplicate,
    /// Cut to half its length.
    Truncate,
    /// Sent with a transaction id the host never used.
    WrongTxn,
}

/// Which transfer path stops completing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StalledEndpoint {
    /// Control responses (cdc-wdm reads get nothing).
    Control,
    /// The interrupt endpoint (no "response available" notifications).
    Notification,
    DataIn,
    DataOut,
    Serial(SerialPort),
}

/// New values for parts of the power set-up; absent fields keep theirs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PowerChange {
    pub source_volts: Option<f64>,
    pub cable_ohms: Option<f64>,
    pub connector_ohms: Option<f64>,
    pub capacitance_uf: Option<f64>,
}

/// Why `Modem::inject` refused a fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultError {
    #[error("the module is off the bus (crashed or powered down)")]
    Unpowered,
    #[error("{0} is not possible in the boot loader")]
    InBootloader(&'static str),
    #[error("impossible value: {0}")]
    Invalid(String),
}

mod millis {
    use crate::time::Duration;
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

mod opt_millis {
    use crate::time::Duration;
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&(d.as_millis() as u64)),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Option::<u64>::deserialize(d).map(|o| o.map(Duration::from_millis))
    }
}
