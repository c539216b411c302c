//! Providers, REGISTER_STATE, PACKET_SERVICE and SIGNAL_STATE.

use super::super::values::{
    self, packet_state, provider_state, CELLULAR_CLASS_GSM, ERROR_RATE_UNKNOWN, RSSI_UNKNOWN,
};
use super::super::Done;
use super::{BasicConnect, Cmd, SignalConfig};
use crate::model::{Device, SimState};
use crate::time::Instant;
use crate::wire::mbim::ib::Writer;
use crate::wire::mbim::Status;

const REGISTER_AUTOMATIC: u32 = 0;
const REGISTER_MANUAL: u32 = 1;
const MODE_AUTOMATIC: u32 = 1;
const MODE_MANUAL: u32 = 2;
const FLAG_AUTOMATIC_ATTACH: u32 = 1 << 1;
const ATTACH: u32 = 0;
const DETACH: u32 = 1;

/// An MbimProvider structure (offsets relative to its own start).
fn provider(id: &str, state: u32, name: &str, rssi: u32) -> Vec<u8> {
    let mut w = Writer::new();
    w.string(id)
        .u32(state)
        .string(name)
        .u32(CELLULAR_CLASS_GSM)
        .u32(rssi)
        .u32(ERROR_RATE_UNKNOWN);
    w.finish()
}

/// The SIM's files are readable only once it is unlocked.
fn sim_readable(dev: &Device) -> Result<(), Done> {
    match dev.sim.state {
        SimState::Ready => Ok(()),
        SimState::Absent => Err(Status::SIM_NOT_INSERTED.into()),
        SimState::Blocked => Err(Status::BAD_SIM.into()),
        SimState::PinRequired | SimState::PukRequired => Err(Status::PIN_REQUIRED.into()),
    }
}

pub(super) fn home_provider(dev: &Device) -> Result<Done, Done> {
    sim_readable(dev)?;
    let id = values::provider_id(dev.home_plmn());
    let p = provider(
        &id,
        provider_state::HOME,
        &dev.profile.sim.spn,
        RSSI_UNKNOWN,
    );
    Ok(Done::ok(p))
}

/// A list of providers: a count, then an offset/size pair to each.
fn provider_list(list: &[Vec<u8>]) -> Done {
    let mut w = Writer::new();
    w.u32(list.len() as u32);
    for p in list {
        w.ol(p);
    }
    Done::ok(w.finish())
}

pub(super) fn preferred_providers(dev: &Device) -> Result<Done, Done> {
    sim_readable(dev)?;
    let list: Vec<Vec<u8>> = dev
        .selection
        .preferred_networks
        .iter()
        .map(|n| {
            let plmn = crate::model::Plmn {
                mcc: n.mcc,
                mnc: n.mnc,
                mnc_three_digits: n.mnc_three_digits,
            };
            provider(
                &values::provider_id(plmn),
                provider_state::PREFERRED,
                "",
                RSSI_UNKNOWN,
            )
        })
        .collect();
    Ok(provider_list(&list))
}

pub(super) fn visible_providers(dev: &Device) -> Result<Done, Done> {
    if !dev.mode.radio_on() {
        return Err(Status::RADIO_POWER_OFF.into());
    }
    let mut state = provider_state::VISIBLE;
    if !dev.roaming() {
        state |= provider_state::HOME;
    }
    if dev.registration.is_registered() {
        state |= provider_state::REGISTERED;
    }
    let net = &dev.profile.network;
    let p = provider(
        &values::provider_id(dev.network_plmn()),
        state,
        &net.operator_name,
        ((net.rssi_dbm as i32 + 113) / 2).clamp(0, 31) as u32,
    );
    Ok(provider_list(&[p]))
}

pub(super) fn register_info(dev: &Device) -> Vec<u8> {
    let registered = dev.registration.is_registered();
    let mode = match dev.selection.manual_plmn {
        Some(_) => MODE_MANUAL,
        None => MODE_AUTOMATIC,
    };
    let (id, name) = if registered {
        (
            values::provider_id(dev.network_plmn()),
            dev.profile.network.operator_name.clone(),
        )
    } else {
        (String::new(), String::new())
    };
    let flags = if dev.selection.ps_attached {
        FLAG_AUTOMATIC_ATTACH
    } else {
        0
    };
    let mut w = Writer::new();
    w.u32(0)
        .u32(values::register_state(dev))
        .u32(mode)
        .u32(if registered {
            values::data_classes(dev.registration.rat)
        } else {
            0
        })
        .u32(CELLULAR_CLASS_GSM)
        .string(&id)
        .string(&name)
        .string("")
        .u32(flags);
    w.finish()
}

pub(super) fn register_state(c: &Cmd<'_>, dev: &mut Device, now: Instant) -> Result<Done, Done> {
    if c.set {
        let id = c.string(0)?;
        let manual = match c.u32(8)? {
            REGISTER_AUTOMATIC => None,
            REGISTER_MANUAL => {
                let digits = id.len() == 5 || id.len() == 6;
                if !digits || !id.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(Status::INVALID_PARAMETERS.into());
                }
                let (mcc, mnc) = id.split_at(3);
                let (mcc, mnc) = (mcc.parse().unwrap_or(0), mnc.parse().unwrap_or(0));
                if !dev.network_plmn().same_network(mcc, mnc) {
                    return Err(Status::PROVIDER_NOT_VISIBLE.into());
                }
                Some((mcc, mnc))
            }
            _ => return Err(Status::INVALID_PARAMETERS.into()),
        };
        c.u32(12)?;
        if !dev.mode.radio_on() {
            return Err(Status::RADIO_POWER_OFF.into());
        }
        dev.set_network_selection(manual, now);
    }
    Ok(Done::ok(register_info(dev)))
}

pub(super) fn packet_info(dev: &Device) -> Vec<u8> {
    let attached = dev.registration.is_registered() && dev.selection.ps_attached;
    let (state, class, (up, down)) = if attached {
        let rat = dev.registration.rat;
        let r = rat.map(crate::model::hardware::max_rates);
        (
            packet_state::ATTACHED,
            values::data_classes(rat),
            r.map_or((0, 0), |r| (r.tx_bps as u64, r.rx_bps as u64)),
        )
    } else {
        (packet_state::DETACHED, 0, (0, 0))
    };
    let mut w = Writer::new();
    w.u32(0).u32(state).u32(class).u64(up).u64(down);
    w.finish()
}

pub(super) fn packet_service(c: &Cmd<'_>, dev: &mut Device) -> Result<Done, Done> {
    if c.set {
        let attach = match c.u32(0)? {
            ATTACH => true,
            DETACH => false,
            _ => return Err(Status::INVALID_PARAMETERS.into()),
        };
        if !dev.mode.radio_on() {
            return Err(Status::RADIO_POWER_OFF.into());
        }
        if attach && !dev.registration.is_registered() {
            return Err(Status::NOT_REGISTERED.into());
        }
        dev.set_ps_attached(attach);
    }
    Ok(Done::ok(packet_info(dev)))
}

impl BasicConnect {
    fn signal_info(&self, rssi: u32) -> Vec<u8> {
        let s = self.signal;
        let mut w = Writer::new();
        w.u32(rssi)
            .u32(ERROR_RATE_UNKNOWN)
            .u32(s.interval)
            .u32(s.rssi_threshold)
            .u32(s.error_rate_threshold);
        w.finish()
    }

    pub(super) fn signal_state(&mut self, c: &Cmd<'_>, dev: &Device) -> Result<Done, Done> {
        if c.set {
            self.signal = SignalConfig {
                interval: c.u32(0)?,
                rssi_threshold: c.u32(4)?,
                error_rate_threshold: c.u32(8)?,
            };
        }
        Ok(Done::ok(self.signal_info(values::coded_rssi(dev))))
    }

    /// A SIGNAL_STATE notification when the coded RSSI moved by at least
    /// the host's threshold (one step when it set none).
    pub(super) fn signal_indication(&mut self, dev: &Device) -> Option<Vec<u8>> {
        let rssi = values::coded_rssi(dev);
        let step = self.signal.rssi_threshold.clamp(1, 31);
        let moved = match self.last_rssi {
            None => true,
            Some(last) => last.abs_diff(rssi) >= step,
        };
        if !moved {
            return None;
        }
        self.last_rssi = Some(rssi);
        Some(self.signal_info(rssi))
    }
}
