//! Per-client indication state: Register Indications, Set Event Report and
//! Config Signal Info, and the indications they lead to.

use super::cell::{ecio_half_db, signal_info};
use super::{radio_of, serving, Req, Tlvs};
use super::{EVENT_REPORT_IND, SERVING_SYSTEM_IND, SIGNAL_INFO_IND, SYSTEM_INFO_IND};
use crate::model::{Device, Technology};
use crate::qmi::{Indication, Reply};
use crate::wire::tlv::Reader;
use crate::wire::{self, ProtocolError};

/// Thresholds one client may set per figure; more is refused.
const MAX_THRESHOLDS: usize = 16;

/// The figures thresholds and deltas apply to, as last reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Figures {
    rat: Technology,
    rssi: i16,
    /// Ec/Io in dB (negative).
    ecio: i16,
    rsrq: i16,
    rsrp: i16,
    /// Tenths of a dB.
    snr: i16,
}

impl Figures {
    fn now(dev: &Device) -> Option<Figures> {
        let s = serving(dev)?;
        let g = &dev.signal;
        Some(Figures {
            rat: s.rat,
            rssi: g.rssi_dbm as i16,
            ecio: g.ecio_db as i16,
            rsrq: g.rsrq_db as i16,
            rsrp: g.rsrp_dbm,
            snr: g.snr_tenth_db,
        })
    }
}

/// Whether moving from `a` to `b` crosses any of `thresholds`.
fn crosses(thresholds: &[i32], a: i32, b: i32) -> bool {
    thresholds.iter().any(|&t| (a < t) != (b < t))
}

/// Config Signal Info (v1) thresholds, in the units of the request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct SignalThresholds {
    rssi: Vec<i32>,
    /// -0.5 dB steps, as sent.
    ecio: Vec<i32>,
    /// Tenths of a dB.
    lte_snr: Vec<i32>,
    rsrq: Vec<i32>,
    rsrp: Vec<i32>,
}

impl SignalThresholds {
    fn crossed(&self, a: &Figures, b: &Figures) -> bool {
        let ecio = |f: &Figures| -(f.ecio as i32) * 2;
        crosses(&self.rssi, a.rssi.into(), b.rssi.into())
            || crosses(&self.ecio, ecio(a), ecio(b))
            || (b.rat == Technology::Lte
                && (crosses(&self.lte_snr, a.snr.into(), b.snr.into())
                    || crosses(&self.rsrq, a.rsrq.into(), b.rsrq.into())
                    || crosses(&self.rsrp, a.rsrp.into(), b.rsrp.into())))
    }
}

/// Set Event Report settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct EventReport {
    /// Report signal strength crossing these dBm values (TLV 0x10).
    strength: Option<Vec<i32>>,
    /// Report RSSI moving by this many dB (0x13).
    rssi_delta: Option<u8>,
    /// Report LTE SNR moving by this many tenths of a dB (0x1B).
    snr_delta: Option<u8>,
    /// Report LTE RSRP moving by this many dB (0x1C).
    rsrp_delta: Option<u8>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct ClientState {
    serving_system: bool,
    system_info: bool,
    signal_info: bool,
    /// Network Time indications (NITZ), off until registered for.
    pub(super) network_time: bool,
    thresholds: SignalThresholds,
    events: EventReport,
    /// Figures the last Signal Info / Event Report indication was based on.
    last_signal_info: Option<Figures>,
    last_event_report: Option<Figures>,
    /// Bodies last sent, so unchanged status is not repeated.
    last_serving: Option<Tlvs>,
    last_info: Option<Tlvs>,
}

impl Default for ClientState {
    /// Qualcomm firmware sends Serving System and System Info indications
    /// until told otherwise; signal reports must be asked for.
    fn default() -> Self {
        ClientState {
            serving_system: true,
            system_info: true,
            signal_info: false,
            network_time: false,
            thresholds: SignalThresholds::default(),
            events: EventReport::default(),
            last_signal_info: None,
            last_event_report: None,
            last_serving: None,
            last_info: None,
        }
    }
}

fn list<'a, T>(
    r: &mut Reader<'a>,
    read: impl Fn(&mut Reader<'a>) -> wire::Result<T>,
) -> wire::Result<Vec<T>> {
    let n = r.u8("count")? as usize;
    (0..n).map(|_| read(r)).collect()
}

fn bool_tlv(req: &Req<'_>, ty: u8) -> Result<Option<bool>, crate::qmi::Failure> {
    Ok(req.u8(ty)?.map(|v| v != 0))
}

impl ClientState {
    /// Register Indications. Unknown switches are accepted and ignored.
    pub(super) fn register_indications(&mut self, req: &Req<'_>, dev: &Device) -> Reply {
        for ty in [
            0x10, 0x12, 0x14, 0x15, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F, 0x20,
        ] {
            bool_tlv(req, ty)?;
        }
        let serving = bool_tlv(req, 0x13)?;
        let info = bool_tlv(req, 0x18)?;
        let signal = bool_tlv(req, 0x19)?;
        let network_time = bool_tlv(req, 0x17)?;
        // Network Reject indications are accepted but never happen here:
        // the simulated network does not reject.
        req.parse(0x21, |r| Ok((r.u8("enable")?, r.u8("suppress")?)))?;
        if let Some(v) = network_time {
            self.network_time = v;
        }
        if let Some(v) = serving {
            self.serving_system = v;
            self.last_serving = None;
        }
        if let Some(v) = info {
            self.system_info = v;
            self.last_info = None;
        }
        if let Some(v) = signal {
            self.signal_info = v;
            self.last_signal_info = Figures::now(dev);
        }
        Ok(Tlvs::new())
    }

    /// Set Event Report: signal strength thresholds and deltas.
    pub(super) fn set_event_report(&mut self, req: &Req<'_>, dev: &Device) -> Reply {
        let strength = req.parse(0x10, |r| {
            let on = r.u8("report")? != 0;
            let t = list(r, |r| r.u8("threshold").map(|v| v as i8 as i32))?;
            Ok((on, t))
        })?;
        let delta = |ty| req.parse(ty, |r| Ok((r.u8("report")? != 0, r.u8("delta")?)));
        let rssi = delta(0x13)?;
        for ty in [0x14, 0x15, 0x16] {
            delta(ty)?;
        }
        let snr = delta(0x1B)?;
        let rsrp = delta(0x1C)?;
        for ty in [0x11, 0x12, 0x17] {
            req.u8(ty)?;
        }
        req.parse(0x19, |r| {
            r.u8("report")?;
            list(r, |r| r.u16("ecio"))
        })?;
        req.parse(0x1A, |r| {
            r.u8("report")?;
            list(r, |r| r.u8("sinr"))
        })?;
        if strength
            .as_ref()
            .is_some_and(|(_, t)| t.len() > MAX_THRESHOLDS)
        {
            return Err(ProtocolError::InvalidArgument.into());
        }
        let on = |d: Option<(bool, u8)>, old: Option<u8>| match d {
            Some((true, v)) => Some(v.max(1)),
            Some((false, _)) => None,
            None => old,
        };
        let e = &mut self.events;
        if let Some((report, t)) = strength {
            e.strength = report.then_some(t);
        }
        e.rssi_delta = on(rssi, e.rssi_delta);
        e.snr_delta = on(snr, e.snr_delta);
        e.rsrp_delta = on(rsrp, e.rsrp_delta);
        self.last_event_report = Figures::now(dev);
        Ok(Tlvs::new())
    }

    /// Config Signal Info (v1): thresholds for Signal Info indications.
    pub(super) fn config_signal_info(&mut self, req: &Req<'_>, dev: &Device) -> Reply {
        let i8s = |ty| req.parse(ty, |r| list(r, |r| r.u8("t").map(|v| v as i8 as i32)));
        let i16s = |ty| req.parse(ty, |r| list(r, |r| r.u16("t").map(|v| v as i16 as i32)));
        let rssi = i8s(0x10)?;
        let ecio = i16s(0x11)?;
        req.parse(0x12, |r| list(r, |r| r.u8("sinr")))?;
        let snr = i16s(0x13)?;
        req.parse(0x14, |r| list(r, |r| r.u32("io")))?;
        let rsrq = i8s(0x15)?;
        let rsrp = i16s(0x16)?;
        req.parse(0x17, |r| Ok((r.u8("rate")?, r.u8("period")?)))?;
        i8s(0x18)?;
        let lists = [&rssi, &ecio, &snr, &rsrq, &rsrp];
        if lists
            .iter()
            .any(|l| l.as_ref().is_some_and(|l| l.len() > MAX_THRESHOLDS))
        {
            return Err(ProtocolError::InvalidArgument.into());
        }
        let t = &mut self.thresholds;
        let set = |dst: &mut Vec<i32>, v: Option<Vec<i32>>| {
            if let Some(v) = v {
                *dst = v;
            }
        };
        set(&mut t.rssi, rssi);
        set(&mut t.ecio, ecio);
        set(&mut t.lte_snr, snr);
        set(&mut t.rsrq, rsrq);
        set(&mut t.rsrp, rsrp);
        self.last_signal_info = Figures::now(dev);
        Ok(Tlvs::new())
    }

    /// Registration or radio changed: status indications, and fresh signal
    /// figures for the new serving cell.
    pub(super) fn registration_changed(
        &mut self,
        client: u8,
        dev: &Device,
        serving_body: &Tlvs,
        info_body: &Tlvs,
        out: &mut Vec<Indication>,
    ) {
        let mut send = |id: u16, tlvs: Tlvs| out.push(Indication { client, id, tlvs });
        if self.serving_system && self.last_serving.as_ref() != Some(serving_body) {
            self.last_serving = Some(serving_body.clone());
            send(SERVING_SYSTEM_IND, serving_body.clone());
        }
        if self.system_info && self.last_info.as_ref() != Some(info_body) {
            self.last_info = Some(info_body.clone());
            send(SYSTEM_INFO_IND, info_body.clone());
        }
        let now = Figures::now(dev);
        let rat_changed = now.map(|f| f.rat) != self.last_signal_info.map(|f| f.rat);
        if self.signal_info && rat_changed {
            self.last_signal_info = now;
            if now.is_some() {
                send(SIGNAL_INFO_IND, signal_info(dev));
            }
        }
        if now.map(|f| f.rat) != self.last_event_report.map(|f| f.rat) {
            self.last_event_report = now;
        }
    }

    /// The signal moved: report what crossed a threshold or moved past a delta.
    pub(super) fn signal_moved(&mut self, client: u8, dev: &Device, out: &mut Vec<Indication>) {
        let Some(now) = Figures::now(dev) else {
            return;
        };
        if self.signal_info {
            match self.last_signal_info {
                Some(last) if last.rat == now.rat && !self.thresholds.crossed(&last, &now) => {}
                _ => {
                    self.last_signal_info = Some(now);
                    out.push(Indication {
                        client,
                        id: SIGNAL_INFO_IND,
                        tlvs: signal_info(dev),
                    });
                }
            }
        }
        if let Some(tlvs) = self.event_report(dev, now) {
            self.last_event_report = Some(now);
            out.push(Indication {
                client,
                id: EVENT_REPORT_IND,
                tlvs,
            });
        }
    }

    fn event_report(&self, dev: &Device, now: Figures) -> Option<Tlvs> {
        let e = &self.events;
        let last = self.last_event_report.unwrap_or(now);
        let radio = radio_of(now.rat);
        let moved = |d: Option<u8>, a: i16, b: i16| d.is_some_and(|d| (a - b).abs() >= d as i16);
        let mut t = Tlvs::new();
        if e.strength
            .as_ref()
            .is_some_and(|th| crosses(th, last.rssi.into(), now.rssi.into()))
        {
            t.with(0x10, |w| {
                w.i8(now.rssi as i8).u8(radio);
            });
        }
        if moved(e.rssi_delta, last.rssi, now.rssi) {
            t.with(0x13, |w| {
                w.u8(now.rssi.unsigned_abs() as u8).u8(radio);
            });
        }
        if now.rat == Technology::Lte {
            if moved(e.snr_delta, last.snr, now.snr) {
                t.with(0x19, |w| {
                    w.i16(now.snr);
                });
            }
            if moved(e.rsrp_delta, last.rsrp, now.rsrp) {
                t.with(0x1A, |w| {
                    w.i16(now.rsrp);
                });
            }
        } else if moved(e.rssi_delta, last.rssi, now.rssi) {
            t.with(0x14, |w| {
                w.u8(ecio_half_db(dev.signal.ecio_db)).u8(radio);
            });
        }
        (!t.0.is_empty()).then_some(t)
    }
}
