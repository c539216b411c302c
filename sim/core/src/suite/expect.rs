//! What a suite may expect of the host: acts the module observes, the
//! modem events that start a deadline, and the forms of an expectation.

use crate::scenario::DeviceState;

/// A modem-side event a deadline counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// The start of the case (time 0).
    PowerOn,
    /// The module came back on the bus with its application firmware.
    RejoinedBus,
    /// The module went off the bus.
    LeftBus,
    /// The module came back as the boot loader.
    BootLoader,
    /// A fault was injected (scenario or control socket).
    Fault,
    /// The host opened the control channel (an act used as an anchor).
    ControlOpened,
    /// The device entered a state.
    State(DeviceState),
}

impl Anchor {
    pub const NAMES: [&'static str; 6] = [
        "power-on",
        "rejoined-bus",
        "left-bus",
        "boot-loader",
        "fault",
        "control-opened",
    ];

    pub fn parse(s: &str) -> Result<Anchor, String> {
        Ok(match s {
            "power-on" => Anchor::PowerOn,
            "rejoined-bus" => Anchor::RejoinedBus,
            "left-bus" => Anchor::LeftBus,
            "boot-loader" => Anchor::BootLoader,
            "fault" => Anchor::Fault,
            "control-opened" => Anchor::ControlOpened,
            other => match DeviceState::ALL.iter().find(|d| d.name() == other) {
                Some(&d) => Anchor::State(d),
                None => {
                    let states: Vec<_> = DeviceState::ALL.iter().map(|d| d.name()).collect();
                    return Err(format!(
                        "unknown event `{other}`, expected one of {}, or a state: {}",
                        Anchor::NAMES.join(", "),
                        states.join(", ")
                    ));
                }
            },
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Anchor::PowerOn => "power-on",
            Anchor::RejoinedBus => "rejoined-bus",
            Anchor::LeftBus => "left-bus",
            Anchor::BootLoader => "boot-loader",
            Anchor::Fault => "fault",
            Anchor::ControlOpened => "control-opened",
            Anchor::State(s) => s.name(),
        }
    }
}

/// Something the host does, as the module sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Act {
    /// Speaks on the control channel after the module joined the bus.
    OpensControl,
    /// Gets a client of this QMI service.
    AllocatesClient { service: String },
    /// Has a PIN accepted (QMI UIM or DMS, MBIM Basic Connect PIN).
    VerifiesPin,
    /// Has a data call started, on this APN if given.
    StartsNetwork { apn: Option<String> },
    /// Sends at least `count` IP packets on the data path.
    SendsPackets { count: u64 },
    /// Writes to the boot loader's download port.
    WritesBootLoader,
    /// Has exactly these technologies allowed (sorted names).
    SetsModePreference { modes: Vec<String> },
    /// Sends a request, this one ("service/message") if given.
    SendsRequest { request: Option<String> },
}

impl Act {
    pub const NAMES: [&'static str; 8] = [
        "opens-control",
        "allocates-client",
        "verifies-pin",
        "starts-network",
        "sends-packets",
        "writes-boot-loader",
        "sets-mode-preference",
        "sends-request",
    ];

    pub fn describe(&self) -> String {
        match self {
            Act::OpensControl => "opens the control channel".into(),
            Act::AllocatesClient { service } => {
                format!("allocates a {} client", service.to_uppercase())
            }
            Act::VerifiesPin => "verifies the PIN".into(),
            Act::StartsNetwork { apn: Some(a) } => format!("starts a network on APN {a}"),
            Act::StartsNetwork { apn: None } => "starts a network".into(),
            Act::SendsPackets { count: 1 } => "sends an IP packet".into(),
            Act::SendsPackets { count } => format!("sends {count} IP packets"),
            Act::WritesBootLoader => "writes to the boot loader's port".into(),
            Act::SetsModePreference { modes } => {
                format!("sets a {}-only preference", modes.join("+"))
            }
            Act::SendsRequest { request: Some(r) } => format!("sends {r}"),
            Act::SendsRequest { request: None } => "sends requests".into(),
        }
    }
}

/// What the expectation watches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Host(Act),
    /// The device enters this state (what the host's acts lead to).
    Reaches(DeviceState),
}

impl Target {
    pub fn describe(&self) -> String {
        match self {
            Target::Host(a) => format!("the host {}", a.describe()),
            Target::Reaches(s) => format!("the modem reaches {}", s.name()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// After every anchor, within this many ms.
    Within { ms: u64 },
    /// Never at or after the (first) anchor.
    Never,
    /// After every anchor, not before this event.
    NotBefore(Anchor),
    /// In no one-second window from the anchor on more than this many.
    AtMostPerSecond(u64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    pub name: String,
    pub after: Anchor,
    pub target: Target,
    pub form: Form,
    /// A known finding about the host: failing is its expected result.
    pub expected_failure: Option<String>,
}

impl Expectation {
    /// The expectation in words: "after rejoined-bus, within 30 s the
    /// host opens the control channel".
    pub fn describe(&self) -> String {
        let what = self.target.describe();
        let after = self.after.name();
        match self.form {
            Form::Within { ms } => format!("after {after}, within {} {what}", secs(ms)),
            Form::Never => match self.after {
                Anchor::PowerOn => format!("never: {what}"),
                _ => format!("after {after}, never: {what}"),
            },
            Form::NotBefore(b) => format!("after {after}, not before {}: {what}", b.name()),
            Form::AtMostPerSecond(r) => {
                format!("{what} at most {r} times a second (from {after})")
            }
        }
    }
}

/// Milliseconds as seconds for people: "30 s", "1.5 s".
pub fn secs(ms: u64) -> String {
    let s = format!("{:.3}", ms as f64 / 1000.0);
    format!("{} s", s.trim_end_matches('0').trim_end_matches('.'))
}
