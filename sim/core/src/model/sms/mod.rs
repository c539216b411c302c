//! Messaging: the one message store every protocol reads (QMI WMS, MBIM
//! SMS, AT +CMG*), the routes saying where a new message goes, the SMSC
//! address, and the simulated SMS centre behind the radio.
//!
//! A store holds whole PDUs (SMSC address first), so each protocol hands
//! out the same bytes; what a host may subscribe to is a [`SmsEvent`].

mod centre;
mod store;

pub use centre::{
    check_delivery, Centre, ReportFault, SubmitError, MAX_PENDING_CONCAT, MAX_PENDING_REPORTS,
};
pub use store::{MessageStore, Stored, Tag};

use crate::model::ClockReading;
use crate::wire::sms::Timestamp;
use serde::Deserialize;

/// Where a message is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Storage {
    /// The SIM (QMI "UIM", AT "SM").
    Sim,
    /// The module's own memory (QMI "NV", AT "ME").
    Me,
}

impl Storage {
    pub fn from_qmi(v: u8) -> Option<Storage> {
        match v {
            0 => Some(Storage::Sim),
            1 => Some(Storage::Me),
            _ => None,
        }
    }
    pub fn qmi(self) -> u8 {
        match self {
            Storage::Sim => 0,
            Storage::Me => 1,
        }
    }
    /// AT +CPMS's name.
    pub fn at_name(self) -> &'static str {
        match self {
            Storage::Sim => "SM",
            Storage::Me => "ME",
        }
    }
    pub fn from_at(name: &str) -> Option<Storage> {
        match name {
            "SM" => Some(Storage::Sim),
            "ME" => Some(Storage::Me),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Storage::Sim => "sim",
            Storage::Me => "me",
        }
    }
}

/// What happens to a new message of one class (QMI WMS receipt action).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptAction {
    Discard = 0,
    StoreAndNotify = 1,
    TransferOnly = 2,
    TransferAndAck = 3,
}

impl ReceiptAction {
    pub fn from_qmi(v: u8) -> Option<ReceiptAction> {
        Some(match v {
            0 => ReceiptAction::Discard,
            1 => ReceiptAction::StoreAndNotify,
            2 => ReceiptAction::TransferOnly,
            3 => ReceiptAction::TransferAndAck,
            _ => return None,
        })
    }
}

/// Message class "none" in a route (QMI WMS numbering: 0..3, then none).
pub const CLASS_NONE: u8 = 4;

/// Where messages of one class go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// 0..=3, or [`CLASS_NONE`].
    pub class: u8,
    pub storage: Option<Storage>,
    pub action: ReceiptAction,
}

/// The `[sms]` section of a profile.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default, rename_all = "kebab-case")]
pub struct SmsProfile {
    /// The service centre's number, as the SIM holds it.
    pub smsc: String,
    /// Messages the SIM holds (EF-SMS records).
    pub sim_capacity: u32,
    /// Messages the module's own memory holds.
    pub me_capacity: u32,
}

impl Default for SmsProfile {
    fn default() -> Self {
        SmsProfile {
            smsc: "+15555550000".into(),
            sim_capacity: 30,
            me_capacity: 100,
        }
    }
}

/// Most slots a store may have: QMI lists a store in one message and AT
/// indexes fit three digits.
pub const MAX_CAPACITY: u32 = 255;

/// Something a host may be told about, or the event log shows.
#[derive(Debug, Clone, PartialEq)]
pub enum SmsEvent {
    /// A message from the network was stored.
    Stored { storage: Storage, index: u32 },
    /// A message from the network goes straight to the host, not stored
    /// (class 0, or a transfer route): the PDU, SMSC first.
    Transferred { pdu: Vec<u8>, class: Option<u8> },
    /// A message from the network found its store full and was refused.
    StoreFull { storage: Storage },
    /// The centre took a whole message from the host (parts joined).
    Sent {
        to: String,
        text: String,
        alphabet: &'static str,
        parts: u8,
        reference: u8,
    },
    /// The centre refused a submission.
    SubmitRejected { to: String, rp_cause: u8 },
    /// A message from the network (all its parts) arrived at the module.
    Received {
        from: String,
        text: String,
        alphabet: &'static str,
        parts: u8,
        class: Option<u8>,
    },
    /// A delivery report will never come (a fault lost it).
    ReportLost { reference: u8 },
    /// Parts of an outgoing concatenated message were given up on: more
    /// messages were half-sent at once than the centre tracks.
    PartsDropped { to: String, reference: u16 },
}

/// Messaging state of one module.
#[derive(Debug, Clone)]
pub struct Messaging {
    pub sim: MessageStore,
    pub me: MessageStore,
    /// The SMSC address, "+" and digits.
    pub smsc: String,
    pub routes: Vec<Route>,
    /// Status reports are transferred to the host rather than stored.
    pub transfer_status_reports: bool,
    /// The domain mobile-originated messages go over (WMS Get/Set Domain
    /// Preference; oFono sets it at start-up): 0 CS preferred, the
    /// module's default, 1 PS preferred, 2 CS only, 3 PS only. Messages
    /// are carried the same way whichever it is.
    pub domain_preference: u8,
    /// A fault: the stores refuse new messages as if full.
    pub store_full_forced: bool,
    pub centre: Centre,
}

impl Messaging {
    pub fn new(p: &SmsProfile) -> Messaging {
        Messaging {
            sim: MessageStore::new(p.sim_capacity as usize),
            me: MessageStore::new(p.me_capacity as usize),
            smsc: p.smsc.clone(),
            routes: default_routes(),
            transfer_status_reports: false,
            domain_preference: 0,
            store_full_forced: false,
            centre: Centre::default(),
        }
    }

    pub fn store(&self, s: Storage) -> &MessageStore {
        match s {
            Storage::Sim => &self.sim,
            Storage::Me => &self.me,
        }
    }

    pub fn store_mut(&mut self, s: Storage) -> &mut MessageStore {
        match s {
            Storage::Sim => &mut self.sim,
            Storage::Me => &mut self.me,
        }
    }

    /// The route for a message of `class` (None: no class).
    pub fn route(&self, class: Option<u8>) -> Route {
        let c = class.unwrap_or(CLASS_NONE);
        self.routes
            .iter()
            .copied()
            .find(|r| r.class == c)
            .unwrap_or(Route {
                class: c,
                storage: Some(Storage::Sim),
                action: ReceiptAction::StoreAndNotify,
            })
    }

    /// Where new class-less messages are stored: MBIM's one message store.
    pub fn preferred_storage(&self) -> Storage {
        self.route(None).storage.unwrap_or(Storage::Sim)
    }
}

/// The firmware's routes: class 0 shown to the host and not stored
/// (TS 23.038), everything else stored on the SIM.
fn default_routes() -> Vec<Route> {
    (0..=CLASS_NONE)
        .map(|class| Route {
            class,
            storage: (class != 0).then_some(Storage::Sim),
            action: if class == 0 {
                ReceiptAction::TransferOnly
            } else {
                ReceiptAction::StoreAndNotify
            },
        })
        .collect()
}

/// A service centre time stamp from the network's clock: the local time
/// of the zone the network announces, and that zone (TS 23.040 §9.2.3.11).
pub fn network_timestamp(clock: ClockReading) -> Timestamp {
    let t = clock.local();
    Timestamp::new(
        [
            (t.year.rem_euclid(100)) as u8,
            t.month as u8,
            t.day as u8,
            t.hour as u8,
            t.minute as u8,
            t.second as u8,
        ],
        (clock.offset_minutes / 15) as i8,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Instant;

    /// Time stamps read the network's clock: the profile's start, in its
    /// zone, moving with simulated time.
    #[test]
    fn timestamps_read_the_network_clock() {
        let mut time = crate::model::TimeProfile::default();
        let t = Instant::from_millis((59 * 86_400 + 3661) * 1000);
        let utc = ClockReading::at(t, &time).utc();
        let ts = network_timestamp(ClockReading::at(t, &time)).fields();
        assert_eq!(
            ts.0,
            [
                (utc.year % 100) as u8,
                utc.month as u8,
                utc.day as u8,
                utc.hour as u8,
                utc.minute as u8,
                utc.second as u8
            ]
        );
        time.utc_at_start = crate::model::calendar::DateTime::parse("2030-06-15T12:00:00Z")
            .unwrap()
            .to_unix();
        time.utc_offset_minutes = 120;
        let ts = network_timestamp(ClockReading::at(Instant::from_millis(61_000), &time));
        assert_eq!(ts.fields(), ([30, 6, 15, 14, 1, 1], 8));
    }

    #[test]
    fn class_zero_is_transferred_by_default() {
        let m = Messaging::new(&SmsProfile::default());
        assert_eq!(m.route(Some(0)).action, ReceiptAction::TransferOnly);
        assert_eq!(m.route(None).storage, Some(Storage::Sim));
        assert_eq!(m.sim.capacity(), 30);
    }
}
