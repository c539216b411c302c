//! Basic Connect CIDs and the enumerations of their fields (MBIM 1.0
//! section 10), with the model's values mapped onto them.

use crate::model::{Device, RegState, SimState, Technology};

/// Basic Connect CIDs.
pub mod cid {
    pub const DEVICE_CAPS: u32 = 1;
    pub const SUBSCRIBER_READY_STATUS: u32 = 2;
    pub const RADIO_STATE: u32 = 3;
    pub const PIN: u32 = 4;
    pub const PIN_LIST: u32 = 5;
    pub const HOME_PROVIDER: u32 = 6;
    pub const PREFERRED_PROVIDERS: u32 = 7;
    pub const VISIBLE_PROVIDERS: u32 = 8;
    pub const REGISTER_STATE: u32 = 9;
    pub const PACKET_SERVICE: u32 = 10;
    pub const SIGNAL_STATE: u32 = 11;
    pub const CONNECT: u32 = 12;
    pub const PROVISIONED_CONTEXTS: u32 = 13;
    pub const IP_CONFIGURATION: u32 = 15;
    pub const DEVICE_SERVICES: u32 = 16;
    pub const DEVICE_SERVICE_SUBSCRIBE_LIST: u32 = 19;
    pub const PACKET_STATISTICS: u32 = 20;
}

/// The CIDs this function serves, as Device Services lists them.
pub const SUPPORTED: &[u32] = &[
    cid::DEVICE_CAPS,
    cid::SUBSCRIBER_READY_STATUS,
    cid::RADIO_STATE,
    cid::PIN,
    cid::PIN_LIST,
    cid::HOME_PROVIDER,
    cid::PREFERRED_PROVIDERS,
    cid::VISIBLE_PROVIDERS,
    cid::REGISTER_STATE,
    cid::PACKET_SERVICE,
    cid::SIGNAL_STATE,
    cid::CONNECT,
    cid::PROVISIONED_CONTEXTS,
    cid::IP_CONFIGURATION,
    cid::DEVICE_SERVICES,
    cid::DEVICE_SERVICE_SUBSCRIBE_LIST,
    cid::PACKET_STATISTICS,
];

/// CIDs that have notifications, subscribed to by default.
pub const NOTIFYING: &[u32] = &[
    cid::SUBSCRIBER_READY_STATUS,
    cid::RADIO_STATE,
    cid::REGISTER_STATE,
    cid::PACKET_SERVICE,
    cid::SIGNAL_STATE,
    cid::CONNECT,
];

pub mod data_class {
    pub const GPRS: u32 = 1 << 0;
    pub const EDGE: u32 = 1 << 1;
    pub const UMTS: u32 = 1 << 2;
    pub const HSDPA: u32 = 1 << 3;
    pub const HSUPA: u32 = 1 << 4;
    pub const LTE: u32 = 1 << 5;
    /// What the EM7305's radio can do: GSM/EDGE, DC-HSPA+ and LTE.
    pub const EM7305: u32 = GPRS | EDGE | UMTS | HSDPA | HSUPA | LTE;
}

pub const CELLULAR_CLASS_GSM: u32 = 1;
pub const RSSI_UNKNOWN: u32 = 99;
pub const ERROR_RATE_UNKNOWN: u32 = 99;

pub mod ready_state {
    pub const INITIALIZED: u32 = 1;
    pub const SIM_NOT_INSERTED: u32 = 2;
    pub const BAD_SIM: u32 = 3;
    pub const DEVICE_LOCKED: u32 = 6;
}

pub mod pin_type {
    pub const NONE: u32 = 0;
    pub const PIN1: u32 = 2;
    pub const PUK1: u32 = 11;
}

pub mod pin_op {
    pub const ENTER: u32 = 0;
    pub const ENABLE: u32 = 1;
    pub const DISABLE: u32 = 2;
    pub const CHANGE: u32 = 3;
}

pub mod register_state {
    pub const DEREGISTERED: u32 = 1;
    pub const SEARCHING: u32 = 2;
    pub const HOME: u32 = 3;
    pub const ROAMING: u32 = 4;
    pub const DENIED: u32 = 6;
}

pub mod packet_state {
    pub const ATTACHED: u32 = 2;
    pub const DETACHED: u32 = 4;
}

pub mod activation {
    pub const ACTIVATED: u32 = 1;
    pub const DEACTIVATED: u32 = 3;
}

pub mod ip_type {
    pub const DEFAULT: u32 = 0;
    pub const IPV4: u32 = 1;
    pub const IPV6: u32 = 2;
    pub const IPV4V6: u32 = 3;
    pub const IPV4_AND_IPV6: u32 = 4;
}

pub mod provider_state {
    pub const HOME: u32 = 1 << 0;
    pub const PREFERRED: u32 = 1 << 2;
    pub const VISIBLE: u32 = 1 << 3;
    pub const REGISTERED: u32 = 1 << 4;
}

/// SubscriberReadyState of the card.
pub fn ready_state(s: SimState) -> u32 {
    match s {
        SimState::Absent => ready_state::SIM_NOT_INSERTED,
        SimState::PinRequired | SimState::PukRequired => ready_state::DEVICE_LOCKED,
        SimState::Blocked => ready_state::BAD_SIM,
        SimState::Ready => ready_state::INITIALIZED,
    }
}

/// Data classes of the technology registered on.
pub fn data_classes(t: Option<Technology>) -> u32 {
    match t {
        Some(Technology::Lte) => data_class::LTE,
        Some(Technology::Umts) => data_class::UMTS | data_class::HSDPA | data_class::HSUPA,
        None => 0,
    }
}

/// RegisterState as MBIM names it.
pub fn register_state(dev: &Device) -> u32 {
    match dev.registration.state {
        RegState::NotRegistered => register_state::DEREGISTERED,
        RegState::Searching => register_state::SEARCHING,
        RegState::Denied => register_state::DENIED,
        RegState::Registered if dev.roaming() => register_state::ROAMING,
        RegState::Registered => register_state::HOME,
    }
}

/// RSSI coded as 3GPP TS 27.007 +CSQ: 0 is -113 dBm or less, 31 is -51
/// dBm or more, 2 dB a step; 99 when not registered.
pub fn coded_rssi(dev: &Device) -> u32 {
    if !dev.registration.is_registered() {
        return RSSI_UNKNOWN;
    }
    ((dev.signal.rssi_dbm as i32 + 113) / 2).clamp(0, 31) as u32
}

/// The PLMN as a provider id: MCC then MNC digits.
pub fn provider_id(p: crate::model::Plmn) -> String {
    format!("{}{}", p.mcc_text(), p.mnc_text())
}
