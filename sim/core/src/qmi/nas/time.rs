//! Network time: the Network Time indication (0x004C) when NITZ arrives
//! and Get Network Time (0x007D), both from the module clock the network
//! set (`model::clock`). TLV layouts as libqmi's qmi-service-nas.json has
//! them: a Universal Time sequence (year u16, month, day, hour, minute,
//! second, day of week 0 = Monday), the zone in quarter hours (DST
//! included, as NITZ carries it), the DST adjustment in hours and the
//! radio interface the time came on.

use super::{radio_of, Reply, Tlvs};
use crate::model::{ClockReading, Device};
use crate::time::Instant;
use crate::wire::tlv::Writer;
use crate::wire::ProtocolError;

fn universal_time(w: &mut Writer, c: ClockReading) {
    let t = c.utc();
    w.u16(t.year as u16)
        .u8(t.month as u8)
        .u8(t.day as u8)
        .u8(t.hour as u8)
        .u8(t.minute as u8)
        .u8(t.second as u8)
        .u8(t.weekday as u8);
}

fn radio(dev: &Device) -> u8 {
    dev.registration
        .rat
        .map(radio_of)
        .unwrap_or(super::radio_if::NONE)
}

/// The Network Time indication for NITZ received at `at`.
pub(super) fn indication(dev: &Device, at: Instant) -> Tlvs {
    let c = dev.clock(at);
    let mut r = Tlvs::new();
    r.with(0x01, |w| universal_time(w, c))
        .u8(0x10, c.zone_quarters() as u8)
        .u8(0x11, c.dst_hours)
        .u8(0x12, radio(dev));
    r
}

/// Get Network Time: the 3GPP time (TLV 0x11) once NITZ has come since
/// power-on; before that the module has none to give. The EM7305 has no
/// CDMA radio, so there is never a 3GPP2 time (0x10).
pub(super) fn get(dev: &Device, now: Instant) -> Reply {
    if dev.nitz_at.is_none() {
        return Err(ProtocolError::InformationUnavailable.into());
    }
    let c = dev.clock(now);
    let mut r = Tlvs::new();
    r.with(0x11, |w| {
        universal_time(w, c);
        w.u8(c.zone_quarters() as u8).u8(c.dst_hours).u8(radio(dev));
    });
    Ok(r)
}
