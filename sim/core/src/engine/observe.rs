//! What the host does, as the module sees it, for the event log: the
//! control channel opened, each request by name, clients allocated, the
//! APN of a data call, a mode preference, IP packets on the bearer and
//! writes to the boot loader's download port. A test suite
//! (`crate::suite`) judges the host from these records alone.

use super::lifecycle::Happening;
use super::Modem;
use crate::qmi::{self, Req};
use crate::time::{Duration, Instant};
use crate::wire::qmi::Message;
use crate::wire::ServiceId;

/// Packets and boot-loader bytes are counted over this window and logged
/// once per window, so a busy data path costs one record a second.
pub const COUNT_WINDOW: Duration = Duration::from_millis(1000);

/// A count that opens a window at its first unit and is logged when the
/// window closes, stamped at the window's start.
#[derive(Debug, Default, Clone, Copy)]
struct Window {
    since: Option<Instant>,
    units: u64,
    bytes: u64,
}

impl Window {
    fn add(&mut self, now: Instant, units: u64, bytes: u64) {
        self.since.get_or_insert(now);
        self.units += units;
        self.bytes += bytes;
    }
    fn due(&self) -> Option<Instant> {
        self.since.map(|s| s + COUNT_WINDOW)
    }
    /// The window's start and counts, if it has closed by `now` (or
    /// `force`); the window is empty after.
    fn take(&mut self, now: Instant, force: bool) -> Option<(Instant, u64, u64)> {
        let since = self.since?;
        if !force && now < since + COUNT_WINDOW {
            return None;
        }
        let out = (since, self.units, self.bytes);
        *self = Window::default();
        Some(out)
    }
}

#[derive(Debug, Default)]
pub(super) struct HostObserver {
    /// The host has spoken on the control channel since the module last
    /// joined the bus.
    opened: bool,
    data: Window,
    /// Boot loader writes: logged at the first write of a second, with
    /// the bytes held since the last record, so the boot loader keeps no
    /// timer of its own.
    download_logged: Option<Instant>,
    download_held: u64,
}

impl HostObserver {
    /// The module (re)joined the bus: the host must open the channel anew.
    pub fn rejoined(&mut self) {
        self.opened = false;
    }
    pub fn deadline(&self) -> Option<Instant> {
        self.data.due()
    }
}

/// NAS Set System Selection Preference and its mode preference TLV.
const NAS_SET_SYSTEM_SELECTION_PREFERENCE: u16 = 0x0033;
const WDS_START_NETWORK: u16 = 0x0020;

/// The names of the radio technologies in a QMI mode preference mask.
pub fn mode_names(mask: u16) -> Vec<&'static str> {
    use crate::model::mode_pref::{GSM, LTE, UMTS};
    [(GSM, "gsm"), (UMTS, "umts"), (LTE, "lte")]
        .into_iter()
        .filter(|(bit, _)| mask & bit != 0)
        .map(|(_, n)| n)
        .collect()
}

impl Modem {
    fn observe(&mut self, now: Instant, what: Happening) {
        self.faults.record(now, what);
    }

    fn channel_used(&mut self, via: &'static str, now: Instant) {
        if !self.observer.opened {
            self.observer.opened = true;
            self.observe(now, Happening::ControlOpened { via });
        }
    }

    /// Names a QMI service as its message table does, or by number.
    fn service_name(&self, id: ServiceId) -> String {
        if id == ServiceId::Ctl {
            return "ctl".into();
        }
        self.services
            .iter()
            .find(|s| s.id() == id)
            .map(|s| s.name().to_string())
            .unwrap_or_else(|| format!("0x{:02x}", id.0))
    }

    fn message_name(&self, service: ServiceId, id: u16) -> String {
        let list = if service == ServiceId::Ctl {
            qmi::ctl::messages()
        } else {
            self.services
                .iter()
                .find(|s| s.id() == service)
                .map(|s| s.messages())
                .unwrap_or_default()
        };
        if id == qmi::GET_SUPPORTED_MESSAGES {
            return "get-supported-messages".into();
        }
        list.iter()
            .find(|m| m.id == id)
            .map(|m| m.name.to_string())
            .unwrap_or_else(|| format!("0x{id:04x}"))
    }

    /// A well-formed QMI request and whether it succeeded.
    pub(super) fn observe_qmi(&mut self, msg: &Message, ok: bool, now: Instant) {
        self.channel_used("qmi", now);
        let service = self.service_name(msg.service);
        let message = self.message_name(msg.service, msg.id.0);
        self.observe(
            now,
            Happening::Request {
                via: "qmi",
                service,
                message,
                ok,
            },
        );
        let req = Req::new(msg);
        match (msg.service, msg.id.0) {
            (ServiceId::Ctl, qmi::ctl::ALLOCATE_CID) if ok => {
                if let Some(&[svc, ..]) = req.tlv(0x01) {
                    let service = self.service_name(ServiceId(svc));
                    self.observe(now, Happening::ClientAllocated { service });
                }
            }
            (ServiceId::Wds, WDS_START_NETWORK) => {
                let apn = self.device.call_apn(req.string(0x14).as_deref(), None);
                self.observe(
                    now,
                    Happening::StartNetwork {
                        via: "qmi",
                        apn,
                        ok,
                    },
                );
            }
            (ServiceId::Nas, NAS_SET_SYSTEM_SELECTION_PREFERENCE) => {
                if let Some(&[lo, hi]) = req.tlv(0x11) {
                    let modes = mode_names(u16::from_le_bytes([lo, hi]));
                    self.observe(now, Happening::ModePreference { modes, ok });
                }
            }
            _ => {}
        }
    }

    /// One MBIM control transfer: OPEN opens the channel; a command is a
    /// request (fragments of a longer command are not named).
    pub(super) fn observe_mbim(&mut self, transfer: &[u8], now: Instant) {
        use crate::wire::mbim::{CommandType, Message as Mbim, Uuid};
        match Mbim::parse(transfer) {
            Ok(Mbim::Open { .. }) => {
                self.observer.opened = false;
                self.channel_used("mbim", now);
            }
            Ok(Mbim::Command {
                service,
                cid,
                command_type,
                ..
            }) => {
                self.channel_used("mbim", now);
                // mbimcli's verbs: a query reads, a set changes.
                let verb = if command_type == CommandType::QUERY {
                    "query"
                } else {
                    "set"
                };
                let (service, message) = if service == Uuid::BASIC_CONNECT {
                    ("basic-connect".to_string(), basic_connect_name(cid))
                } else {
                    (service.to_string(), format!("{cid}"))
                };
                let message = format!("{verb}-{message}");
                self.observe(
                    now,
                    Happening::Request {
                        via: "mbim",
                        service,
                        message,
                        ok: true,
                    },
                );
            }
            _ => {}
        }
    }

    /// IP packets (or frames) from the host on the data path.
    pub(super) fn observe_data(&mut self, bytes: usize, now: Instant) {
        self.observer.data.add(now, 1, bytes as u64);
    }

    /// Bytes the host wrote to the boot loader's download port.
    pub(super) fn observe_download(&mut self, bytes: usize, now: Instant) {
        let o = &mut self.observer;
        o.download_held += bytes as u64;
        if o.download_logged.is_none_or(|t| now >= t + COUNT_WINDOW) {
            let bytes = std::mem::take(&mut o.download_held);
            o.download_logged = Some(now);
            self.observe(now, Happening::BootLoaderWrite { bytes });
        }
    }

    /// Logs the counting windows that closed by `now` (all of them with
    /// `force`, before the module leaves the bus).
    pub(super) fn observe_windows(&mut self, now: Instant, force: bool) {
        if let Some((at, packets, bytes)) = self.observer.data.take(now, force) {
            self.observe(at, Happening::DataFromHost { packets, bytes });
        }
    }

    pub(super) fn observer_rejoined(&mut self) {
        self.observer.rejoined();
    }
}

/// Basic Connect command names, as mbimcli spells them.
fn basic_connect_name(cid: u32) -> String {
    use crate::mbim::values::cid;
    match cid {
        cid::DEVICE_CAPS => "device-caps",
        cid::SUBSCRIBER_READY_STATUS => "subscriber-ready-status",
        cid::RADIO_STATE => "radio-state",
        cid::PIN => "pin",
        cid::PIN_LIST => "pin-list",
        cid::HOME_PROVIDER => "home-provider",
        cid::PREFERRED_PROVIDERS => "preferred-providers",
        cid::VISIBLE_PROVIDERS => "visible-providers",
        cid::REGISTER_STATE => "register-state",
        cid::PACKET_SERVICE => "packet-service",
        cid::SIGNAL_STATE => "signal-state",
        cid::CONNECT => "connect",
        cid::IP_CONFIGURATION => "ip-configuration",
        cid::DEVICE_SERVICES => "device-services",
        cid::DEVICE_SERVICE_SUBSCRIBE_LIST => "device-service-subscribe-list",
        other => return format!("{other}"),
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_is_logged_once_when_it_closes_at_its_start() {
        let t0 = Instant::from_millis(100);
        let mut w = Window::default();
        assert!(w.take(t0, true).is_none());
        w.add(t0, 1, 60);
        w.add(t0 + Duration::from_millis(500), 1, 40);
        assert_eq!(w.due(), Some(t0 + COUNT_WINDOW));
        assert!(w.take(t0 + Duration::from_millis(999), false).is_none());
        assert_eq!(w.take(t0 + COUNT_WINDOW, false), Some((t0, 2, 100)));
        assert!(w.due().is_none());
    }

    #[test]
    fn mode_masks_are_named() {
        use crate::model::mode_pref::{LTE, UMTS};
        assert_eq!(mode_names(UMTS), ["umts"]);
        assert_eq!(mode_names(UMTS | LTE), ["umts", "lte"]);
        assert!(mode_names(0).is_empty());
    }
}
