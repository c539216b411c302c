//! Set Event Report, Indication Register, and the indications the model's
//! events cause: Packet Service Status to the clients holding the call,
//! Event Report to the clients that asked for each report.

use super::call::{cer, verbose};
use super::call::{flag, network_end, CONNECTED, DISCONNECTED};
use super::*;

/// What a client asked Set Event Report for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Reports {
    channel_rate: bool,
    /// (interval in s, statistics mask); not sent: there is no traffic.
    transfer_statistics: Option<(u8, u32)>,
    data_bearer_technology: bool,
    dormancy_status: bool,
    mip_status: bool,
    current_data_bearer_technology: bool,
    data_call_status: bool,
    preferred_data_system: bool,
    evdo_pm_change: bool,
    data_systems: bool,
    uplink_flow_control: bool,
    limited_data_system_status: bool,
    pdn_filter_removals: bool,
    extended_data_bearer_technology: bool,
}

/// Preferred Data System values.
fn preferred_data_system(t: Option<Technology>) -> u32 {
    match t {
        Some(Technology::Lte) => 5,
        Some(Technology::Umts) => 4,
        None => 0,
    }
}

/// Extended Data Bearer Technology: (RAT, 3GPP service mask).
fn extended_tech(t: Option<Technology>) -> (u32, u16) {
    match t {
        Some(Technology::Lte) => (3, 0x1000),
        Some(Technology::Umts) => (1, 0x40),
        None => (0, 0),
    }
}

impl Wds {
    /// Absent TLVs leave a report as it was; every TLV present must parse.
    pub(super) fn set_event_report(&mut self, req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
        let stats = req.parse(0x11, |r| Ok((r.u8("interval")?, r.u32("mask")?)))?;
        let mut r = self.client(ctx.client).reports;
        let set = |ty: u8, field: &mut bool| -> Result<(), crate::qmi::Failure> {
            if let Some(v) = flag(req, ty)? {
                *field = v;
            }
            Ok(())
        };
        set(0x10, &mut r.channel_rate)?;
        set(0x12, &mut r.data_bearer_technology)?;
        set(0x13, &mut r.dormancy_status)?;
        set(0x14, &mut r.mip_status)?;
        set(0x15, &mut r.current_data_bearer_technology)?;
        set(0x17, &mut r.data_call_status)?;
        set(0x18, &mut r.preferred_data_system)?;
        set(0x19, &mut r.evdo_pm_change)?;
        set(0x1A, &mut r.data_systems)?;
        set(0x1B, &mut r.uplink_flow_control)?;
        set(0x1C, &mut r.limited_data_system_status)?;
        set(0x1D, &mut r.pdn_filter_removals)?;
        set(0x1E, &mut r.extended_data_bearer_technology)?;
        if let Some((interval, mask)) = stats {
            r.transfer_statistics = (interval != 0 && mask != 0).then_some((interval, mask));
        }
        self.client(ctx.client).reports = r;
        Ok(Tlvs::new())
    }

    pub(super) fn indication_register(&mut self, req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
        // Other registrations a 9x15 knows are accepted and not reported.
        for ty in [0x10, 0x11, 0x13, 0x14, 0x15, 0x16, 0x17] {
            flag(req, ty)?;
        }
        if let Some(v) = flag(req, 0x12)? {
            self.client(ctx.client).ext_ip_config = v;
        }
        Ok(Tlvs::new())
    }

    pub(super) fn on_event(&mut self, ev: &DeviceEvent, dev: &Device, out: &mut Vec<Indication>) {
        match *ev {
            DeviceEvent::PacketService { handle, connected } => {
                self.on_packet_service(handle, connected, dev, out)
            }
            DeviceEvent::Registration => self.on_registration(dev, out),
            _ => {}
        }
    }

    fn on_packet_service(
        &mut self,
        handle: u32,
        connected: bool,
        dev: &Device,
        out: &mut Vec<Indication>,
    ) {
        let family = if connected {
            self.live.get(&handle).copied()
        } else {
            self.live.remove(&handle)
        };
        let Some(family) = family else {
            // A call WDS did not start (another protocol's): not ours.
            return;
        };
        let by_host = match self.ending.iter().position(|&h| h == handle) {
            Some(i) => {
                self.ending.swap_remove(i);
                true
            }
            None => false,
        };
        let (reason, vtype, vreason) = if by_host {
            (cer::CLIENT_END, verbose::CM, verbose::CM_CLIENT_END)
        } else {
            network_end(dev)
        };
        for (&cid, c) in self.clients.iter_mut() {
            if !c.holds(handle) {
                continue;
            }
            let mut t = Tlvs::new();
            if connected {
                t.push(0x01, [CONNECTED, 0]);
            } else {
                c.forget(handle);
                t.push(0x01, [DISCONNECTED, 0])
                    .u16(0x10, reason)
                    .with(0x11, |w| {
                        w.u16(vtype).i16(vreason);
                    });
            }
            t.u8(0x12, family_value(family));
            out.push(Indication {
                client: cid,
                id: PACKET_SERVICE_STATUS,
                tlvs: t,
            });
        }
        let tech = if connected { call_tech(dev) } else { None };
        for (&cid, c) in self.clients.iter() {
            let r = c.reports;
            let mut t = Tlvs::new();
            if r.channel_rate && connected {
                let (tx, rx) = max_rates(tech);
                t.with(0x16, |w| {
                    w.u32(tx).u32(rx);
                });
            }
            if r.data_bearer_technology && connected {
                t.push(0x17, [bearer_tech(tech) as u8]);
            }
            if r.dormancy_status && connected {
                t.u8(0x18, 2);
            }
            if r.current_data_bearer_technology && connected {
                t.with(0x1D, |w| {
                    w.u8(2).u32(rat_mask(tech)).u32(0);
                });
            }
            if r.data_call_status {
                t.u8(0x1F, if connected { 1 } else { 2 });
                t.u32(0x28, family_value(family) as u32);
            }
            if r.extended_data_bearer_technology && connected {
                let (rat, so) = extended_tech(tech);
                t.with(0x2A, |w| {
                    w.u32(0).u32(rat).u16(so).u8(0).u16(0).u8(0).u8(0).u8(0);
                });
            }
            if !t.0.is_empty() {
                out.push(Indication {
                    client: cid,
                    id: EVENT_REPORT,
                    tlvs: t,
                });
            }
        }
    }

    /// Data Systems and Preferred Data System follow registration; each
    /// subscriber hears of a change once.
    fn on_registration(&mut self, dev: &Device, out: &mut Vec<Indication>) {
        let now = call_tech(dev);
        for (&cid, c) in self.clients.iter_mut() {
            let r = c.reports;
            if !(r.preferred_data_system || r.data_systems) || c.data_system_sent == Some(now) {
                continue;
            }
            c.data_system_sent = Some(now);
            let mut t = Tlvs::new();
            if r.preferred_data_system {
                t.u32(0x20, preferred_data_system(now));
            }
            if r.data_systems {
                // An EM7305 is 3GPP only: the preferred network stays 3GPP.
                t.with(0x24, |w| {
                    w.u8(0).u8(1).u8(0).u32(rat_mask(now)).u32(0);
                });
            }
            out.push(Indication {
                client: cid,
                id: EVENT_REPORT,
                tlvs: t,
            });
        }
    }
}
