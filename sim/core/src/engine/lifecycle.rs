//! Where the module is in its life (serving, rebooting, crashed, away,
//! in the boot loader), why it left the bus, and the record of everything
//! that happened to it, for the event log.

use crate::fault::Fault;
use crate::model::sms::SmsEvent;
use crate::model::{Device, DeviceEvent, LoadState, RegState, SimState, Technology};
use crate::time::Instant;
use serde::Serialize;

/// What the module enumerates as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Personality {
    /// The application firmware (1199:9041 and its interfaces).
    Application,
    /// The 9040 boot loader (one serial interface).
    BootLoader,
}

/// Why the firmware restarted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResetCause {
    /// DMS Set Operating Mode (reset), AT!RESET and the like.
    HostRequest,
    /// The supply fell below the brownout threshold.
    Brownout,
    /// A `Fault::Reset`.
    Injected,
    /// Power removed and restored.
    PowerCycle,
}

/// Why the module dropped off the bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LeaveCause {
    Reset(ResetCause),
    /// Firmware crash: it stays away until a power cycle.
    Crash,
    /// A USB disconnect without a reset.
    Disconnect,
    /// Switching to the boot loader on request.
    BootLoader,
}

impl LeaveCause {
    /// The host asked for it, so the module answers before it goes: a
    /// USB transport lets the host read what is queued first.
    pub fn answers_first(self) -> bool {
        self == LeaveCause::Reset(ResetCause::HostRequest)
    }
}

/// The module's life as the engine tracks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Life {
    Running,
    /// Off the bus, rebooting; back at `until` as `into`.
    Down {
        until: Instant,
        into: Personality,
    },
    /// Off the bus with the firmware running; back at `until` or on
    /// `Fault::Reconnect`.
    Disconnected {
        until: Option<Instant>,
    },
    Crashed,
    BootLoader,
}

impl Life {
    /// The application firmware is running (on the bus or not).
    pub(super) fn firmware_runs(self) -> bool {
        matches!(self, Life::Running | Life::Disconnected { .. })
    }
    pub(super) fn on_bus(self) -> bool {
        matches!(self, Life::Running | Life::BootLoader)
    }
    pub(super) fn deadline(self) -> Option<Instant> {
        match self {
            Life::Down { until, .. } => Some(until),
            Life::Disconnected { until } => until,
            _ => None,
        }
    }
}

/// One line of the event log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    /// Simulated time, ms since the engine's epoch.
    pub at_ms: u64,
    #[serde(flatten)]
    pub what: Happening,
}

/// Something that happened, as the event log shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Happening {
    /// A fault was injected (`Modem::inject` accepted it).
    Fault {
        fault: Fault,
    },
    LeftBus {
        cause: LeaveCause,
    },
    ReturnedToBus {
        personality: Personality,
    },
    /// The firmware restarted; `count` counts every reset since start.
    Reset {
        cause: ResetCause,
        count: u64,
        down_ms: u64,
    },
    /// The supply fell below the threshold for the hold-off time.
    Brownout {
        volts: f64,
    },
    /// Too many resets too quickly: the next boot is into the boot loader.
    Failsafe {
        resets: u32,
        window_ms: u64,
    },
    /// The module's load changed (bursts are not logged).
    Load {
        state: LoadState,
        volts: f64,
    },
    OperatingMode {
        /// libqmi's name: online, low-power, offline, …
        mode: &'static str,
    },
    Sim {
        state: &'static str,
    },
    Registration {
        state: &'static str,
        rat: Option<&'static str>,
        roaming: bool,
    },
    Bearer {
        handle: u32,
        connected: bool,
    },
    /// The host's first message on the control channel (`qmi` or `mbim`)
    /// since the module joined the bus; an MBIM OPEN always.
    ControlOpened {
        via: &'static str,
    },
    /// A request from the host, by its message table's names.
    Request {
        via: &'static str,
        service: String,
        message: String,
        ok: bool,
    },
    /// CTL allocated the host a client of `service`.
    ClientAllocated {
        service: String,
    },
    /// The host asked for a data call on `apn` (the one the module uses).
    StartNetwork {
        via: &'static str,
        apn: String,
        ok: bool,
    },
    /// The host set the technologies the radio may use.
    ModePreference {
        modes: Vec<&'static str>,
        ok: bool,
    },
    /// IP packets from the host in the second from `t-ms` on.
    DataFromHost {
        packets: u64,
        bytes: u64,
    },
    /// The host wrote to the boot loader's download port: at its first
    /// write of a second, with the bytes since the last such record.
    BootLoaderWrite {
        bytes: u64,
    },
    /// The SMS centre took a whole message from the host.
    SmsSent {
        to: String,
        text: String,
        encoding: &'static str,
        parts: u8,
        reference: u8,
    },
    /// The SMS centre refused a submission with an RP cause.
    SmsRejected {
        to: String,
        rp_cause: u8,
    },
    /// A message from the network arrived (before its parts are routed).
    SmsReceived {
        from: String,
        text: String,
        encoding: &'static str,
        parts: u8,
        class: Option<u8>,
    },
    /// A message part from the network was stored.
    SmsStored {
        storage: &'static str,
        index: u32,
    },
    /// A message part went to the host without being stored (a flash
    /// message, or a route that transfers).
    SmsTransferred {
        class: Option<u8>,
    },
    /// A message from the network was refused: its store is full.
    SmsStoreFull {
        storage: &'static str,
    },
    /// A delivery report was lost (a fault, or too many pending).
    SmsReportLost {
        reference: u8,
    },
    /// A half-sent concatenated message was given up on.
    SmsPartsDropped {
        to: String,
        reference: u16,
    },
}

impl Happening {
    /// The log's view of a device event; signal updates are left out.
    pub(super) fn of(ev: &DeviceEvent, dev: &Device) -> Option<Happening> {
        Some(match *ev {
            DeviceEvent::OperatingMode(m) => Happening::OperatingMode { mode: m.name() },
            DeviceEvent::SimState(s) => Happening::Sim {
                state: match s {
                    SimState::Absent => "absent",
                    SimState::PinRequired => "pin-required",
                    SimState::PukRequired => "puk-required",
                    SimState::Blocked => "blocked",
                    SimState::Ready => "ready",
                },
            },
            DeviceEvent::Registration => Happening::Registration {
                state: match dev.registration.state {
                    RegState::NotRegistered => "not-registered",
                    RegState::Registered => "registered",
                    RegState::Searching => "searching",
                    RegState::Denied => "denied",
                },
                rat: dev.registration.rat.map(|t| match t {
                    Technology::Lte => "lte",
                    Technology::Umts => "umts",
                }),
                roaming: dev.roaming(),
            },
            DeviceEvent::PacketService { handle, connected } => {
                Happening::Bearer { handle, connected }
            }
            DeviceEvent::Signal | DeviceEvent::NetworkTime | DeviceEvent::GnssEpoch(_) => {
                return None
            }
            DeviceEvent::Sms(ref e) => return Some(sms_happening(e)),
        })
    }
}

fn sms_happening(e: &SmsEvent) -> Happening {
    match e.clone() {
        SmsEvent::Stored { storage, index } => Happening::SmsStored {
            storage: storage.name(),
            index,
        },
        SmsEvent::Transferred { class, .. } => Happening::SmsTransferred { class },
        SmsEvent::StoreFull { storage } => Happening::SmsStoreFull {
            storage: storage.name(),
        },
        SmsEvent::Sent {
            to,
            text,
            alphabet,
            parts,
            reference,
        } => Happening::SmsSent {
            to,
            text,
            encoding: alphabet,
            parts,
            reference,
        },
        SmsEvent::SubmitRejected { to, rp_cause } => Happening::SmsRejected { to, rp_cause },
        SmsEvent::Received {
            from,
            text,
            alphabet,
            parts,
            class,
        } => Happening::SmsReceived {
            from,
            text,
            encoding: alphabet,
            parts,
            class,
        },
        SmsEvent::ReportLost { reference } => Happening::SmsReportLost { reference },
        SmsEvent::PartsDropped { to, reference } => Happening::SmsPartsDropped { to, reference },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::profile::Profile;
    use crate::model::OperatingMode;

    #[test]
    fn operating_modes_are_logged_by_name() {
        let dev = Device::new(Profile::default(), 1, Instant::from_millis(0));
        for (mode, name) in [
            (OperatingMode::Online, "online"),
            (OperatingMode::LowPower, "low-power"),
            (OperatingMode::PersistentLowPower, "persistent-low-power"),
        ] {
            let h = Happening::of(&DeviceEvent::OperatingMode(mode), &dev).unwrap();
            let v = serde_json::to_value(&h).unwrap();
            assert_eq!(
                v,
                serde_json::json!({"event": "operating-mode", "mode": name})
            );
        }
    }
}
