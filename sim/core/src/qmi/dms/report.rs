//! Set Event Report and the Event Report indication.

use super::sim::{pin1_status, uim_state};
use super::{Dms, EVENT_REPORT};
use crate::model::{Device, DeviceEvent};
use crate::qmi::{Indication, Reply, Req, Tlvs};
use crate::wire::ProtocolError;

/// The Event Report items one client enabled. Power state, activation,
/// wireless disable and PRL init never change on this unit, so they are
/// accepted and kept but never reported.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reporting {
    pub power_state: bool,
    pub battery_limits: Option<(u8, u8)>,
    pub pin_state: bool,
    pub activation_state: bool,
    pub operating_mode: bool,
    pub uim_state: bool,
    pub wireless_disable: bool,
    pub prl_init: bool,
}

impl Dms {
    pub(super) fn set_event_report(&mut self, req: &Req<'_>, client: u8) -> Reply {
        let bool_tlv =
            |ty| -> Result<Option<bool>, crate::qmi::Failure> { Ok(req.u8(ty)?.map(|v| v != 0)) };
        let power = bool_tlv(0x10)?;
        let limits = req.parse(0x11, |r| Ok((r.u8("lower")?, r.u8("upper")?)))?;
        let pin = bool_tlv(0x12)?;
        let activation = bool_tlv(0x13)?;
        let mode = bool_tlv(0x14)?;
        let uim = bool_tlv(0x15)?;
        let wireless = bool_tlv(0x16)?;
        let prl = bool_tlv(0x17)?;
        let asked = [power, pin, activation, mode, uim, wireless, prl];
        if limits.is_none() && asked.iter().all(Option::is_none) {
            return Err(ProtocolError::MissingArgument.into());
        }
        let r = self.reporting.entry(client).or_default();
        let set = |field: &mut bool, v: Option<bool>| {
            if let Some(v) = v {
                *field = v;
            }
        };
        set(&mut r.power_state, power);
        set(&mut r.pin_state, pin);
        set(&mut r.activation_state, activation);
        set(&mut r.operating_mode, mode);
        set(&mut r.uim_state, uim);
        set(&mut r.wireless_disable, wireless);
        set(&mut r.prl_init, prl);
        if limits.is_some() {
            r.battery_limits = limits;
        }
        Ok(Tlvs::new())
    }

    /// One indication per subscribed client, holding only the items it
    /// enabled that `ev` changed.
    pub(super) fn event_report(&self, ev: &DeviceEvent, dev: &Device, out: &mut Vec<Indication>) {
        for (&client, r) in &self.reporting {
            let mut t = Tlvs::new();
            match ev {
                DeviceEvent::OperatingMode(m) if r.operating_mode => {
                    t.u8(0x14, *m as u8);
                }
                DeviceEvent::SimState(_) => {
                    if r.pin_state {
                        if let Some(s) = pin1_status(&dev.sim) {
                            t.push(0x11, s);
                        }
                    }
                    if r.uim_state {
                        t.u8(0x15, uim_state(&dev.sim));
                    }
                }
                _ => {}
            }
            if !t.0.is_empty() {
                out.push(Indication {
                    client,
                    id: EVENT_REPORT,
                    tlvs: t,
                });
            }
        }
    }
}
