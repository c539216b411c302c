//! The event log's records as the judge reads them: the modem's side
//! (anchors) and the host's side (acts), each at its simulated time.

use crate::scenario::DeviceState;
use serde_json::Value;

/// One record the judge cares about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Obs {
    /// Simulated ms since power-on.
    pub t_ms: u64,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    RejoinedBus,
    LeftBus,
    BootLoader,
    Fault,
    State(DeviceState),
    ControlOpened,
    /// "service/message", and whether the module accepted it.
    Request {
        name: String,
        ok: bool,
    },
    ClientAllocated {
        service: String,
    },
    StartNetwork {
        apn: String,
        ok: bool,
    },
    /// Sorted technology names.
    ModePreference {
        modes: Vec<String>,
        ok: bool,
    },
    Packets(u64),
    BootLoaderWrite,
}

impl Kind {
    /// Whether the record is the host's doing (the right-hand column of
    /// a timeline).
    pub fn is_host(&self) -> bool {
        !matches!(
            self,
            Kind::RejoinedBus | Kind::LeftBus | Kind::BootLoader | Kind::Fault | Kind::State(_)
        )
    }
}

/// The judge's view of one event log record (a JSON object); `None` for
/// records it has no use for, or that lack what it needs.
pub fn read(record: &Value) -> Option<Obs> {
    let t_ms = record.get("t-ms")?.as_u64()?;
    let text = |k: &str| record.get(k).and_then(Value::as_str);
    let ok = record.get("ok").and_then(Value::as_bool).unwrap_or(true);
    let kind = match text("event")? {
        "returned-to-bus" => match text("personality")? {
            "application" => Kind::RejoinedBus,
            _ => Kind::BootLoader,
        },
        "left-bus" => Kind::LeftBus,
        "fault" => Kind::Fault,
        "state" => {
            let s = text("state")?;
            Kind::State(*DeviceState::ALL.iter().find(|d| d.name() == s)?)
        }
        "control-opened" => Kind::ControlOpened,
        "request" => Kind::Request {
            name: format!("{}/{}", text("service")?, text("message")?),
            ok,
        },
        "client-allocated" => Kind::ClientAllocated {
            service: text("service")?.to_string(),
        },
        "start-network" => Kind::StartNetwork {
            apn: text("apn")?.to_string(),
            ok,
        },
        "mode-preference" => {
            let mut modes: Vec<String> = record
                .get("modes")?
                .as_array()?
                .iter()
                .filter_map(|m| m.as_str().map(str::to_string))
                .collect();
            modes.sort();
            Kind::ModePreference { modes, ok }
        }
        "data-from-host" => Kind::Packets(record.get("packets")?.as_u64()?),
        "boot-loader-write" => Kind::BootLoaderWrite,
        _ => return None,
    };
    Some(Obs { t_ms, kind })
}

/// Every record of a log the judge can use, in time order (count
/// windows are logged at their start, after later records).
pub fn read_all<'a>(records: impl IntoIterator<Item = &'a Value>) -> Vec<Obs> {
    let mut out: Vec<Obs> = records.into_iter().filter_map(read).collect();
    out.sort_by_key(|o| o.t_ms);
    out
}
