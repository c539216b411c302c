//! The Basic Connect service: each CID answers from the model.

mod connect;
mod device;
mod network;
mod provisioned;
mod services;
mod statistics;

use super::values::{cid, NOTIFYING};
use super::Done;
use crate::model::{Device, DeviceEvent};
use crate::time::Instant;
use crate::wire::mbim::ib::Reader;
use crate::wire::mbim::{Status, Uuid};
use std::collections::BTreeMap;

/// One MBIM data session (SessionId) and the model bearers behind it: one
/// per IP family.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Session {
    handles: Vec<u32>,
    ip_type: u32,
    context_type: Uuid,
}

/// What the host set with SIGNAL_STATE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct SignalConfig {
    interval: u32,
    rssi_threshold: u32,
    error_rate_threshold: u32,
}

#[derive(Debug, Default)]
pub(super) struct BasicConnect {
    sessions: BTreeMap<u32, Session>,
    signal: SignalConfig,
    /// The RSSI last reported in an indication.
    last_rssi: Option<u32>,
    /// The services and CIDs the host subscribed to; `None` until it sets
    /// a list, when every notification is on.
    subscribed: Option<Vec<(Uuid, Vec<u32>)>>,
}

/// A command's information buffer, with the status a malformed one gets.
pub(super) struct Cmd<'a> {
    pub set: bool,
    pub info: Reader<'a>,
}

impl Cmd<'_> {
    pub fn u32(&self, at: usize) -> Result<u32, Done> {
        self.info
            .u32(at)
            .map_err(|_| Status::INVALID_PARAMETERS.into())
    }
    pub fn string(&self, at: usize) -> Result<String, Done> {
        self.info
            .string(at)
            .map_err(|_| Status::INVALID_PARAMETERS.into())
    }
}

impl BasicConnect {
    /// The host closed the channel: subscriptions go. Sessions stay up, as
    /// the bearers do on a real modem.
    pub fn close(&mut self) {
        self.subscribed = None;
        self.last_rssi = None;
        self.signal = SignalConfig::default();
    }

    /// The model bearers of an activated session; empty when it is not.
    pub fn session_bearers(&self, session: u32) -> &[u32] {
        self.sessions
            .get(&session)
            .map(|s| s.handles.as_slice())
            .unwrap_or(&[])
    }

    /// The session a model bearer belongs to.
    pub fn session_of(&self, handle: u32) -> Option<u32> {
        self.sessions
            .iter()
            .find(|(_, s)| s.handles.contains(&handle))
            .map(|(&id, _)| id)
    }

    pub fn command(
        &mut self,
        id: u32,
        set: bool,
        info: &[u8],
        dev: &mut Device,
        now: Instant,
    ) -> Done {
        let c = Cmd {
            set,
            info: Reader::new(info),
        };
        let r = match (id, set) {
            (cid::DEVICE_CAPS, false) => Ok(device::caps(dev)),
            (cid::SUBSCRIBER_READY_STATUS, false) => Ok(device::subscriber_ready(dev)),
            (cid::RADIO_STATE, _) => device::radio_state(&c, dev, now),
            (cid::PIN, _) => device::pin(&c, dev, now),
            (cid::PIN_LIST, false) => Ok(device::pin_list(dev)),
            (cid::HOME_PROVIDER, false) => network::home_provider(dev),
            (cid::PREFERRED_PROVIDERS, false) => network::preferred_providers(dev),
            (cid::VISIBLE_PROVIDERS, false) => network::visible_providers(dev),
            (cid::REGISTER_STATE, _) => network::register_state(&c, dev, now),
            (cid::PACKET_SERVICE, _) => network::packet_service(&c, dev),
            (cid::SIGNAL_STATE, _) => self.signal_state(&c, dev),
            (cid::CONNECT, _) => self.connect(&c, dev),
            (cid::PROVISIONED_CONTEXTS, false) => Ok(provisioned::list(dev)),
            (cid::PROVISIONED_CONTEXTS, true) => provisioned::set(&c, dev),
            (cid::IP_CONFIGURATION, false) => self.ip_configuration(&c, dev),
            (cid::PACKET_STATISTICS, false) => Ok(statistics::packet_statistics(dev)),
            (cid::DEVICE_SERVICES, false) => Ok(services::device_services(dev)),
            (cid::DEVICE_SERVICE_SUBSCRIBE_LIST, true) => self.subscribe_list(&c),
            _ => Err(Status::NO_DEVICE_SUPPORT.into()),
        };
        r.unwrap_or_else(|d| d)
    }

    fn wants(&self, id: u32) -> bool {
        match &self.subscribed {
            None => NOTIFYING.contains(&id),
            Some(_) => self.subscribed_to(&Uuid::BASIC_CONNECT, id),
        }
    }

    /// Whether the host wants `service`'s notifications for `cid`: yes
    /// before it sets any list, else if its list names them.
    pub fn subscribed_to(&self, service: &Uuid, id: u32) -> bool {
        match &self.subscribed {
            None => true,
            Some(list) => list.iter().any(|(s, c)| s == service && c.contains(&id)),
        }
    }

    /// The notifications (CID, buffer) a model change calls for.
    pub fn indications(&mut self, ev: &DeviceEvent, dev: &Device) -> Vec<(u32, Vec<u8>)> {
        let mut out = Vec::new();
        match ev {
            DeviceEvent::OperatingMode(_) => {
                out.push((cid::RADIO_STATE, device::radio_info(dev)));
            }
            DeviceEvent::SimState(_) => {
                out.push((
                    cid::SUBSCRIBER_READY_STATUS,
                    device::subscriber_ready(dev).info,
                ));
            }
            DeviceEvent::Registration => {
                out.push((cid::REGISTER_STATE, network::register_info(dev)));
                out.push((cid::PACKET_SERVICE, network::packet_info(dev)));
            }
            DeviceEvent::Signal => {
                if let Some(info) = self.signal_indication(dev) {
                    out.push((cid::SIGNAL_STATE, info));
                }
            }
            DeviceEvent::PacketService {
                handle,
                connected: false,
            } => {
                if let Some(info) = self.bearer_lost(*handle) {
                    out.push((cid::CONNECT, info));
                }
            }
            DeviceEvent::PacketService { .. }
            | DeviceEvent::NetworkTime
            | DeviceEvent::GnssEpoch(_)
            | DeviceEvent::Sms(_) => {}
        }
        out.retain(|(id, _)| self.wants(*id));
        out
    }
}
