//! WDS (service 1): data calls, their settings, stored profiles and the
//! indications that report them.
//!
//! Calls belong to the clients that started them. A client that starts a
//! call already up on the data port (same IP family and APN) gets NoEffect
//! and shares it, as Qualcomm firmware reference-counts calls; the call is
//! torn down when its last owner stops it or releases its client ID. That
//! is why `qmicli --wds-start-network` needs `--client-no-release-cid`.
//!
//! Without QMAP mux there is one data port, so a query from a client that
//! owns no call reports the call of the client's IP family on that port.

mod call;
mod events;
mod profiles;
#[cfg(test)]
mod tests;

use super::table::{self, msg, Handler, Message, MessageName};
use super::{Ctx, Indication, Reply, Req, Service, Tlvs};
use crate::model::{Bearer, Device, DeviceEvent, IpFamily, Technology};
use crate::wire::{ProtocolError, ServiceId};
use std::collections::BTreeMap;

pub const RESET: u16 = 0x0000;
pub const SET_EVENT_REPORT: u16 = 0x0001;
/// Also the Event Report indication.
pub const EVENT_REPORT: u16 = 0x0001;
pub const INDICATION_REGISTER: u16 = 0x0003;
pub const START_NETWORK: u16 = 0x0020;
pub const STOP_NETWORK: u16 = 0x0021;
/// Also the Packet Service Status indication.
pub const GET_PACKET_SERVICE_STATUS: u16 = 0x0022;
pub const PACKET_SERVICE_STATUS: u16 = 0x0022;
pub const GET_CHANNEL_RATES: u16 = 0x0023;
pub const GET_PACKET_STATISTICS: u16 = 0x0024;
pub const CREATE_PROFILE: u16 = 0x0027;
pub const MODIFY_PROFILE: u16 = 0x0028;
pub const DELETE_PROFILE: u16 = 0x0029;
pub const GET_PROFILE_LIST: u16 = 0x002A;
pub const GET_PROFILE_SETTINGS: u16 = 0x002B;
pub const GET_DEFAULT_SETTINGS: u16 = 0x002C;
pub const GET_CURRENT_SETTINGS: u16 = 0x002D;
pub const GET_DORMANCY_STATUS: u16 = 0x0030;
pub const GET_AUTOCONNECT_SETTINGS: u16 = 0x0034;
pub const GET_DATA_BEARER_TECHNOLOGY: u16 = 0x0037;
pub const GET_CURRENT_DATA_BEARER_TECHNOLOGY: u16 = 0x0044;
pub const GET_DEFAULT_PROFILE_NUMBER: u16 = 0x0049;
pub const SET_DEFAULT_PROFILE_NUMBER: u16 = 0x004A;
pub const RESET_PROFILE_TO_DEFAULT: u16 = 0x004B;
pub const SET_IP_FAMILY: u16 = 0x004D;
pub const SET_AUTOCONNECT_SETTINGS: u16 = 0x0051;
pub const GET_LTE_ATTACH_PARAMETERS: u16 = 0x0085;
pub const BIND_DATA_PORT: u16 = 0x0089;
pub const GET_MAX_LTE_ATTACH_PDN_NUMBER: u16 = 0x0092;
pub const GET_LTE_ATTACH_PDN_LIST: u16 = 0x0094;

/// What a 9x15 answers, one entry per request. Bind Mux Data Port
/// (0x00A2), Go Dormant/Active and the 3GPP2-only messages are absent: they
/// get InvalidQmiCommand.
pub(crate) const MESSAGES: &[Message<Handler<Wds>>] = &[
    msg(RESET, "reset", |s, _, c| s.reset_client(c.client)),
    msg(SET_EVENT_REPORT, "set-event-report", Wds::set_event_report),
    msg(
        INDICATION_REGISTER,
        "indication-register",
        Wds::indication_register,
    ),
    msg(START_NETWORK, "start-network", Wds::start_network),
    msg(STOP_NETWORK, "stop-network", Wds::stop_network),
    msg(
        GET_PACKET_SERVICE_STATUS,
        "get-packet-service-status",
        |s, _, c| s.packet_service_status(c),
    ),
    msg(GET_CHANNEL_RATES, "get-channel-rates", |s, _, c| {
        s.channel_rates(c)
    }),
    msg(
        GET_PACKET_STATISTICS,
        "get-packet-statistics",
        Wds::packet_statistics,
    ),
    msg(CREATE_PROFILE, "create-profile", |_, r, c| {
        profiles::create(r, c)
    }),
    msg(MODIFY_PROFILE, "modify-profile", |_, r, c| {
        profiles::modify(r, c)
    }),
    msg(DELETE_PROFILE, "delete-profile", |_, r, c| {
        profiles::delete(r, c)
    }),
    msg(GET_PROFILE_LIST, "get-profile-list", |_, r, c| {
        profiles::list(r, c)
    }),
    msg(GET_PROFILE_SETTINGS, "get-profile-settings", |_, r, c| {
        profiles::settings(r, c)
    }),
    msg(GET_DEFAULT_SETTINGS, "get-default-settings", |_, r, c| {
        profiles::default_settings(r, c)
    }),
    msg(
        GET_CURRENT_SETTINGS,
        "get-current-settings",
        Wds::current_settings,
    ),
    msg(GET_DORMANCY_STATUS, "get-dormancy-status", |s, _, c| {
        s.dormancy_status(c)
    }),
    msg(
        GET_AUTOCONNECT_SETTINGS,
        "get-autoconnect-settings",
        |s, _, _| s.autoconnect_settings(),
    ),
    msg(
        GET_DATA_BEARER_TECHNOLOGY,
        "get-data-bearer-technology",
        |s, _, c| s.data_bearer_technology(c),
    ),
    msg(
        GET_CURRENT_DATA_BEARER_TECHNOLOGY,
        "get-current-data-bearer-technology",
        |s, _, c| s.current_data_bearer_technology(c),
    ),
    msg(
        GET_DEFAULT_PROFILE_NUMBER,
        "get-default-profile-number",
        |_, r, c| profiles::default_number(r, c),
    ),
    msg(
        SET_DEFAULT_PROFILE_NUMBER,
        "set-default-profile-number",
        |_, r, c| profiles::set_default_number(r, c),
    ),
    msg(
        RESET_PROFILE_TO_DEFAULT,
        "reset-profile-to-default",
        |_, r, c| profiles::reset_to_default(r, c),
    ),
    msg(SET_IP_FAMILY, "set-ip-family", Wds::set_ip_family),
    msg(
        SET_AUTOCONNECT_SETTINGS,
        "set-autoconnect-settings",
        |s, r, _| s.set_autoconnect_settings(r),
    ),
    msg(
        GET_LTE_ATTACH_PARAMETERS,
        "get-lte-attach-parameters",
        |_, _, c| profiles::lte_attach_parameters(c),
    ),
    msg(BIND_DATA_PORT, "bind-data-port", Wds::bind_data_port),
    msg(
        GET_MAX_LTE_ATTACH_PDN_NUMBER,
        "get-max-lte-attach-pdn-number",
        |_, _, _| profiles::max_lte_attach_pdns(),
    ),
    msg(
        GET_LTE_ATTACH_PDN_LIST,
        "get-lte-attach-pdn-list",
        |_, _, c| profiles::lte_attach_pdn_list(c),
    ),
];

/// The handle that names "this client's call" (MM uses it after NoEffect).
pub const GLOBAL_HANDLE: u32 = 0xFFFF_FFFF;

/// Protocol errors WDS uses that the shared table does not name.
const EXTENDED_INTERNAL: ProtocolError = ProtocolError(81);

/// A call a client holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Call {
    handle: u32,
    family: IpFamily,
    /// The stored profile the call was started from.
    profile: Option<u8>,
}

/// Handles of ended calls a client still remembers, so that a late Stop
/// Network gets NoEffect rather than InvalidHandle.
const ENDED_MEMORY: usize = 8;

/// Per-client state.
#[derive(Debug, Clone, Default)]
struct Client {
    /// Set IP Family; `None` is unspecified (IPv4 for calls).
    ip_family: Option<IpFamily>,
    calls: Vec<Call>,
    ended: Vec<u32>,
    reports: events::Reports,
    /// Indication Register: Extended IP Config changes.
    ext_ip_config: bool,
    /// Bind Data Port.
    data_port: Option<u16>,
    /// The data system this client was last told about.
    data_system_sent: Option<Option<Technology>>,
}

impl Client {
    fn holds(&self, handle: u32) -> bool {
        self.calls.iter().any(|c| c.handle == handle)
    }
    fn forget(&mut self, handle: u32) {
        self.calls.retain(|c| c.handle != handle);
        if self.ended.len() == ENDED_MEMORY {
            self.ended.remove(0);
        }
        self.ended.push(handle);
    }
}

/// Autoconnect setting values (QMI WDS).
pub const AUTOCONNECT_DISABLED: u8 = 0;
pub const AUTOCONNECT_ENABLED: u8 = 1;
pub const AUTOCONNECT_PAUSED: u8 = 2;

#[derive(Debug, Default)]
pub struct Wds {
    clients: BTreeMap<u8, Client>,
    /// Families of the calls up now, kept until their end is reported.
    live: BTreeMap<u32, IpFamily>,
    /// Calls whose last owner released its client ID; `settle` ends them.
    orphans: Vec<u32>,
    /// Calls being ended at a host's request (reported as client end).
    ending: Vec<u32>,
    /// Autoconnect status and roaming setting. Firmware keeps these in
    /// NV for the whole device, not per client. Stored only: vmodem does
    /// not dial by itself.
    autoconnect: (u8, u8),
    /// Technology of the last call, for the "last" bearer TLVs.
    last_tech: Option<Technology>,
}

impl Wds {
    fn client(&mut self, cid: u8) -> &mut Client {
        self.clients.entry(cid).or_default()
    }

    /// The call a client's queries are about: its own, else the one of its
    /// IP family on the data port.
    fn call_for<'d>(&self, cid: u8, dev: &'d Device) -> Option<&'d Bearer> {
        let c = self.clients.get(&cid);
        if let Some(b) = c.and_then(|c| c.calls.iter().find_map(|k| dev.bearer(k.handle))) {
            return Some(b);
        }
        let family = c.and_then(|c| c.ip_family).unwrap_or(IpFamily::V4);
        dev.bearers.iter().find(|b| b.family == family)
    }

    /// The profile a call was started from, whoever holds it.
    fn call_profile(&self, handle: u32) -> Option<u8> {
        self.clients
            .values()
            .flat_map(|c| c.calls.iter())
            .find(|k| k.handle == handle)
            .and_then(|k| k.profile)
    }

    /// `cid` lets go of `handle`; the last owner's release ends the call.
    fn let_go(&mut self, cid: u8, handle: u32, dev: &mut Device) {
        let shared = self
            .clients
            .iter()
            .any(|(&other, c)| other != cid && c.holds(handle));
        if shared || dev.bearer(handle).is_none() {
            self.client(cid).forget(handle);
            return;
        }
        // The model's event reports the end and updates the owner.
        self.ending.push(handle);
        dev.stop_network(handle);
    }

    fn reset_client(&mut self, cid: u8) -> Reply {
        let c = self.client(cid);
        c.ip_family = None;
        c.reports = events::Reports::default();
        c.ext_ip_config = false;
        Ok(Tlvs::new())
    }
}

/// The technology a call runs on: the registered RAT.
fn call_tech(dev: &Device) -> Option<Technology> {
    dev.registration
        .is_registered()
        .then_some(dev.registration.rat)
        .flatten()
}

/// Data Bearer Technology value (i8).
fn bearer_tech(t: Option<Technology>) -> i8 {
    match t {
        Some(Technology::Lte) => 10,
        // HSDPA+HSUPA: what a 9x15 reports on a UMTS/HSPA cell.
        Some(Technology::Umts) => 9,
        None => -1,
    }
}

/// 3GPP RAT mask of Current Data Bearer Technology / Data Systems.
fn rat_mask(t: Option<Technology>) -> u32 {
    match t {
        Some(Technology::Lte) => 0x20,
        Some(Technology::Umts) => 0x01 | 0x04 | 0x08,
        None => 0x8000,
    }
}

/// Channel rates (TX, RX) in bit/s: the technology's peak rates from the
/// model, or QMI's "unknown" without one.
fn max_rates(t: Option<Technology>) -> (u32, u32) {
    match t.map(crate::model::hardware::max_rates) {
        Some(r) => (r.tx_bps, r.rx_bps),
        None => (u32::MAX, u32::MAX),
    }
}

fn family_value(f: IpFamily) -> u8 {
    match f {
        IpFamily::V4 => 4,
        IpFamily::V6 => 6,
    }
}

impl Service for Wds {
    fn id(&self) -> ServiceId {
        ServiceId::Wds
    }
    fn version(&self) -> (u16, u16) {
        (1, 12)
    }
    fn name(&self) -> &'static str {
        "wds"
    }
    fn messages(&self) -> Vec<MessageName> {
        table::names(MESSAGES)
    }
    fn handle(&mut self, req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
        // Every event was reported before this request: what is left of a
        // call without a bearer went with a reset.
        let dev = &*ctx.dev;
        self.live.retain(|h, _| dev.bearer(*h).is_some());
        self.ending.retain(|h| dev.bearer(*h).is_some());
        table::dispatch(MESSAGES, self, req, ctx)
    }
    fn client_added(&mut self, client: u8) {
        self.clients.insert(client, Client::default());
    }
    /// A released client's calls end unless another client shares them,
    /// as on real firmware.
    fn client_removed(&mut self, client: u8) {
        let Some(c) = self.clients.remove(&client) else {
            return;
        };
        for k in c.calls {
            if !self.clients.values().any(|o| o.holds(k.handle)) {
                self.orphans.push(k.handle);
            }
        }
    }
    fn settle(&mut self, dev: &mut Device) {
        for h in core::mem::take(&mut self.orphans) {
            if dev.bearer(h).is_some() {
                self.ending.push(h);
                dev.stop_network(h);
            }
        }
    }
    fn indications(&mut self, ev: &DeviceEvent, dev: &Device, out: &mut Vec<Indication>) {
        self.on_event(ev, dev, out);
    }
}
