//! NAS (service 3): registration, signal, network selection.
//!
//! Answers come from the model's registration, signal and selection state.
//! Indication subscriptions and signal thresholds are per client, as on
//! Qualcomm firmware.

mod cell;
mod prefs;
mod status;
mod subscriptions;
#[cfg(test)]
mod tests;
mod time;

use super::table::{self, msg, Handler, Message, MessageName};
use super::{Ctx, Indication, Reply, Req, Service, Tlvs};
use crate::model::{Device, DeviceEvent, Technology};
use crate::wire::ServiceId;
use std::collections::BTreeMap;
use subscriptions::ClientState;

pub const RESET: u16 = 0x0000;
pub const SET_EVENT_REPORT: u16 = 0x0002;
/// The Event Report indication shares the request's ID.
pub const EVENT_REPORT_IND: u16 = 0x0002;
pub const REGISTER_INDICATIONS: u16 = 0x0003;
pub const GET_SIGNAL_STRENGTH: u16 = 0x0020;
pub const NETWORK_SCAN: u16 = 0x0021;
pub const INITIATE_NETWORK_REGISTER: u16 = 0x0022;
pub const ATTACH_DETACH: u16 = 0x0023;
pub const GET_SERVING_SYSTEM: u16 = 0x0024;
pub const SERVING_SYSTEM_IND: u16 = 0x0024;
pub const GET_HOME_NETWORK: u16 = 0x0025;
pub const GET_PREFERRED_NETWORKS: u16 = 0x0026;
pub const SET_PREFERRED_NETWORKS: u16 = 0x0027;
pub const SET_TECHNOLOGY_PREFERENCE: u16 = 0x002A;
pub const GET_TECHNOLOGY_PREFERENCE: u16 = 0x002B;
pub const GET_RF_BAND_INFO: u16 = 0x0031;
pub const SET_SYSTEM_SELECTION_PREFERENCE: u16 = 0x0033;
pub const GET_SYSTEM_SELECTION_PREFERENCE: u16 = 0x0034;
pub const GET_OPERATOR_NAME: u16 = 0x0039;
pub const GET_CELL_LOCATION_INFO: u16 = 0x0043;
pub const GET_PLMN_NAME: u16 = 0x0044;
pub const GET_SYSTEM_INFO: u16 = 0x004D;
pub const SYSTEM_INFO_IND: u16 = 0x004E;
pub const GET_SIGNAL_INFO: u16 = 0x004F;
pub const CONFIG_SIGNAL_INFO: u16 = 0x0050;
pub const SIGNAL_INFO_IND: u16 = 0x0051;
pub const GET_TX_RX_INFO: u16 = 0x005A;
pub const NETWORK_TIME_IND: u16 = 0x004C;
pub const GET_NETWORK_TIME: u16 = 0x007D;
/// Sierra vendor message (the `!GSTATUS?` figures).
pub const SWI_GET_STATUS: u16 = 0x5556;

/// What SWI9X15 firmware answers, one entry per request. Config Signal
/// Info v2 (0x6C), Get DRX (0x89) and Get LTE Cphy CA Info (0xAC) came with
/// later chipsets (the EM7305 has no carrier aggregation), so they get
/// InvalidQmiCommand and ModemManager falls back to v1 where it can. There
/// is no DSD service.
pub(crate) const MESSAGES: &[Message<Handler<Nas>>] = &[
    msg(RESET, "reset", |s, _, c| s.reset_client(c.client)),
    msg(SET_EVENT_REPORT, "set-event-report", |s, r, c| {
        s.client(c.client).set_event_report(r, c.dev)
    }),
    msg(REGISTER_INDICATIONS, "register-indications", |s, r, c| {
        s.client(c.client).register_indications(r, c.dev)
    }),
    msg(GET_SIGNAL_STRENGTH, "get-signal-strength", |_, r, c| {
        cell::signal_strength(r, c.dev)
    }),
    msg(NETWORK_SCAN, "network-scan", |_, r, c| {
        prefs::network_scan(r, c.dev)
    }),
    msg(
        INITIATE_NETWORK_REGISTER,
        "initiate-network-register",
        |_, r, c| prefs::initiate_register(r, c),
    ),
    msg(ATTACH_DETACH, "attach-detach", |_, r, c| {
        prefs::attach_detach(r, c)
    }),
    msg(GET_SERVING_SYSTEM, "get-serving-system", |_, _, c| {
        Ok(status::serving_system(c.dev, false))
    }),
    msg(GET_HOME_NETWORK, "get-home-network", |_, _, c| {
        status::home_network(c.dev)
    }),
    msg(
        GET_PREFERRED_NETWORKS,
        "get-preferred-networks",
        |_, _, c| prefs::get_preferred(c.dev),
    ),
    msg(
        SET_PREFERRED_NETWORKS,
        "set-preferred-networks",
        |_, r, c| prefs::set_preferred(r, c),
    ),
    msg(
        SET_TECHNOLOGY_PREFERENCE,
        "set-technology-preference",
        |_, r, c| prefs::set_tp(r, c),
    ),
    msg(
        GET_TECHNOLOGY_PREFERENCE,
        "get-technology-preference",
        |_, _, c| Ok(prefs::get_tp(c.dev)),
    ),
    msg(GET_RF_BAND_INFO, "get-rf-band-info", |_, _, c| {
        cell::rf_band_info(c.dev)
    }),
    msg(
        SET_SYSTEM_SELECTION_PREFERENCE,
        "set-system-selection-preference",
        |_, r, c| prefs::set_ssp(r, c),
    ),
    msg(
        GET_SYSTEM_SELECTION_PREFERENCE,
        "get-system-selection-preference",
        |_, _, c| Ok(prefs::get_ssp(c.dev)),
    ),
    msg(GET_OPERATOR_NAME, "get-operator-name", |_, _, c| {
        Ok(status::operator_name(c.dev))
    }),
    msg(
        GET_CELL_LOCATION_INFO,
        "get-cell-location-info",
        |_, _, c| Ok(cell::cell_location(c.dev)),
    ),
    msg(GET_PLMN_NAME, "get-plmn-name", |_, r, c| {
        status::plmn_name(r, c.dev)
    }),
    msg(GET_SYSTEM_INFO, "get-system-info", |_, _, c| {
        Ok(status::system_info(c.dev, false))
    }),
    msg(GET_SIGNAL_INFO, "get-signal-info", |_, _, c| {
        Ok(cell::signal_info(c.dev))
    }),
    msg(CONFIG_SIGNAL_INFO, "config-signal-info", |s, r, c| {
        s.client(c.client).config_signal_info(r, c.dev)
    }),
    msg(GET_TX_RX_INFO, "get-tx-rx-info", |_, r, c| {
        cell::tx_rx_info(r, c.dev)
    }),
    msg(GET_NETWORK_TIME, "get-network-time", |_, _, c| {
        time::get(c.dev, c.now)
    }),
    msg(SWI_GET_STATUS, "swi-get-status", |_, _, c| {
        Ok(cell::swi_status(c.dev))
    }),
];

/// QMI NAS radio interface values.
pub mod radio_if {
    pub const NONE: u8 = 0;
    pub const GSM: u8 = 4;
    pub const UMTS: u8 = 5;
    pub const LTE: u8 = 8;
    pub const UNKNOWN: u8 = 0xFF;
}

fn radio_of(t: Technology) -> u8 {
    match t {
        Technology::Lte => radio_if::LTE,
        Technology::Umts => radio_if::UMTS,
    }
}

/// The network we are registered on, if any.
#[derive(Debug, Clone, Copy)]
struct Serving {
    rat: Technology,
}

fn serving(dev: &Device) -> Option<Serving> {
    match (dev.registration.is_registered(), dev.registration.rat) {
        (true, Some(rat)) => Some(Serving { rat }),
        _ => None,
    }
}

#[derive(Debug, Default)]
pub struct Nas {
    clients: BTreeMap<u8, ClientState>,
}

impl Nas {
    fn client(&mut self, id: u8) -> &mut ClientState {
        self.clients.entry(id).or_default()
    }
    fn reset_client(&mut self, id: u8) -> Reply {
        *self.client(id) = ClientState::default();
        Ok(Tlvs::new())
    }
}

impl Service for Nas {
    fn id(&self) -> ServiceId {
        ServiceId::Nas
    }
    fn version(&self) -> (u16, u16) {
        // NAS version of SWI9X15C firmware (inferred).
        (1, 25)
    }
    fn name(&self) -> &'static str {
        "nas"
    }
    fn messages(&self) -> Vec<MessageName> {
        table::names(MESSAGES)
    }
    fn client_added(&mut self, client: u8) {
        self.clients.insert(client, ClientState::default());
    }
    fn client_removed(&mut self, client: u8) {
        self.clients.remove(&client);
    }

    fn handle(&mut self, req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
        table::dispatch(MESSAGES, self, req, ctx)
    }

    fn indications(&mut self, ev: &DeviceEvent, dev: &Device, out: &mut Vec<Indication>) {
        match ev {
            DeviceEvent::Registration | DeviceEvent::OperatingMode(_) => {
                let serving = status::serving_system(dev, true);
                let info = status::system_info(dev, true);
                for (&client, st) in self.clients.iter_mut() {
                    st.registration_changed(client, dev, &serving, &info, out);
                }
            }
            DeviceEvent::Signal => {
                for (&client, st) in self.clients.iter_mut() {
                    st.signal_moved(client, dev, out);
                }
            }
            DeviceEvent::NetworkTime => {
                let Some(at) = dev.nitz_at else { return };
                let body = time::indication(dev, at);
                for (&client, st) in self.clients.iter() {
                    if st.network_time {
                        out.push(Indication {
                            client,
                            id: NETWORK_TIME_IND,
                            tlvs: body.clone(),
                        });
                    }
                }
            }
            _ => {}
        }
    }
}
