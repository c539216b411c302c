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
    /// The GNSS receiver gets no fix (a disconnected antenna): for
    /// `duration`, or until the next reset when absent.
    GnssNoFix {
        #[serde(default, with = "opt_millis", rename = "duration-ms")]
        duration: Option<Duration>,
    },
    /// The GNSS receiver follows these waypoints from now (again from the
    /// first after the last with `loop`).
    GnssTrack {
        #[serde(default)]
        waypoints: Vec<crate::model::track::Waypoint>,
        #[serde(default, rename = "loop")]
        looped: bool,
        /// A GPX file (relative to the scenario) whose points become the
        /// waypoints when the scenario is loaded; the loader reads it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        gpx: Option<String>,
        /// The speed of the GPX legs the file gives none for, m/s.
        #[serde(default, rename = "speed-mps", skip_serializing_if = "Option::is_none")]
        speed_mps: Option<f64>,
    },
    /// The GNSS receiver loses its fix for `duration` (a tunnel), then
    /// reacquires it hot.
    GnssFixLost {
        #[serde(with = "millis", rename = "duration-ms")]
        duration: Duration,
    },
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
    /// The DHCP server's next `count` answers (802.3 mode) go wrong.
    Dhcp {
        answer: DhcpFault,
        count: u32,
    },
    /// A text message arrives from the SMS centre, in as many parts as it
    /// needs (GSM 7-bit when it can, UCS-2 otherwise); `class` 0 is a
    /// flash message.
    Sms {
        from: String,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        class: Option<u8>,
    },
    /// The SMS centre answers the next `count` submissions with RP-ERROR
    /// and `rp-cause` (TS 24.011 §8.2.5.4: 21 rejected, 41 temporary
    /// failure, 42 congestion, …).
    SmsReject {
        #[serde(rename = "rp-cause")]
        rp_cause: u8,
        #[serde(default = "one")]
        count: u32,
    },
    /// Delivery reports come `delay-ms` after the submission, or never
    /// (`lost`); without either, as normal (1 s).
    SmsReports {
        #[serde(default, with = "opt_millis", rename = "delay-ms")]
        delay: Option<Duration>,
        #[serde(default)]
        lost: bool,
    },
    /// The message stores refuse new messages as if full (`on`), or stop
    /// doing so.
    SmsStoreFull {
        on: bool,
    },
}

fn one() -> u32 {
    1
}

/// What goes wrong with a DHCP answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum DhcpFault {
    /// No answer at all.
    Silent,
    /// Sent this much later.
    Delay {
        #[serde(with = "millis", rename = "ms")]
        by: Duration,
    },
    /// A REQUEST is refused with a NAK (OFFERs and INFORM answers pass
    /// and are not counted).
    Nak,
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
