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

use super::{Ctx, Indication, Reply, Req, Service, Tlvs};
use crate::model::{Device, DeviceEvent, Technology};
use crate::wire::{ProtocolError, ServiceId};
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
/// Sierra vendor message (the `!GSTATUS?` figures).
pub const SWI_GET_STATUS: u16 = 0x5556;

/// What SWI9X15 firmware answers. Config Signal Info v2 (0x6C), Get DRX
/// (0x89) and Get LTE Cphy CA Info (0xAC) came with later chipsets (the
/// EM7305 has no carrier aggregation), so they get InvalidQmiCommand and
/// ModemManager falls back to v1 where it can. There is no DSD service.
const SUPPORTED: &[u16] = &[
    RESET,
    SET_EVENT_REPORT,
    REGISTER_INDICATIONS,
    GET_SIGNAL_STRENGTH,
    NETWORK_SCAN,
    INITIATE_NETWORK_REGISTER,
    ATTACH_DETACH,
    GET_SERVING_SYSTEM,
    GET_HOME_NETWORK,
    GET_PREFERRED_NETWORKS,
    SET_PREFERRED_NETWORKS,
    SET_TECHNOLOGY_PREFERENCE,
    GET_TECHNOLOGY_PREFERENCE,
    GET_RF_BAND_INFO,
    SET_SYSTEM_SELECTION_PREFERENCE,
    GET_SYSTEM_SELECTION_PREFERENCE,
    GET_OPERATOR_NAME,
    GET_CELL_LOCATION_INFO,
    GET_PLMN_NAME,
    GET_SYSTEM_INFO,
    GET_SIGNAL_INFO,
    CONFIG_SIGNAL_INFO,
    GET_TX_RX_INFO,
    SWI_GET_STATUS,
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
}

impl Service for Nas {
    fn id(&self) -> ServiceId {
        ServiceId::Nas
    }
    fn version(&self) -> (u16, u16) {
        // NAS version of SWI9X15C firmware (inferred).
        (1, 25)
    }
    fn supported(&self) -> &'static [u16] {
        SUPPORTED
    }
    fn client_added(&mut self, client: u8) {
        self.clients.insert(client, ClientState::default());
    }
    fn client_removed(&mut self, client: u8) {
        self.clients.remove(&client);
    }

    fn handle(&mut self, req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
        let dev = &*ctx.dev;
        match req.id() {
            RESET => {
                *self.client(ctx.client) = ClientState::default();
                Ok(Tlvs::new())
            }
            SET_EVENT_REPORT => self.client(ctx.client).set_event_report(req, dev),
            REGISTER_INDICATIONS => self.client(ctx.client).register_indications(req, dev),
            CONFIG_SIGNAL_INFO => self.client(ctx.client).config_signal_info(req, dev),
            GET_SIGNAL_STRENGTH => cell::signal_strength(req, dev),
            GET_SIGNAL_INFO => Ok(cell::signal_info(dev)),
            GET_CELL_LOCATION_INFO => Ok(cell::cell_location(dev)),
            GET_RF_BAND_INFO => cell::rf_band_info(dev),
            GET_TX_RX_INFO => cell::tx_rx_info(req, dev),
            SWI_GET_STATUS => Ok(cell::swi_status(dev)),
            GET_SERVING_SYSTEM => Ok(status::serving_system(dev, false)),
            GET_SYSTEM_INFO => Ok(status::system_info(dev, false)),
            GET_HOME_NETWORK => status::home_network(dev),
            GET_PLMN_NAME => status::plmn_name(req, dev),
            GET_OPERATOR_NAME => Ok(status::operator_name(dev)),
            NETWORK_SCAN => prefs::network_scan(req, dev),
            GET_SYSTEM_SELECTION_PREFERENCE => Ok(prefs::get_ssp(dev)),
            SET_SYSTEM_SELECTION_PREFERENCE => prefs::set_ssp(req, ctx),
            GET_TECHNOLOGY_PREFERENCE => Ok(prefs::get_tp(dev)),
            SET_TECHNOLOGY_PREFERENCE => prefs::set_tp(req, ctx),
            INITIATE_NETWORK_REGISTER => prefs::initiate_register(req, ctx),
            ATTACH_DETACH => prefs::attach_detach(req, ctx),
            GET_PREFERRED_NETWORKS => prefs::get_preferred(dev),
            SET_PREFERRED_NETWORKS => prefs::set_preferred(req, ctx),
            _ => Err(ProtocolError::InvalidQmiCommand.into()),
        }
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
            _ => {}
        }
    }
}
