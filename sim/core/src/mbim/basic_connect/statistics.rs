//! PACKET_STATISTICS: the data path's counters (`model::DataStats`), the
//! figures QMI WDS Get Packet Statistics reports too.

use super::super::Done;
use crate::model::Device;
use crate::wire::mbim::ib::Writer;

/// MBIM counts from the function's side: "in" is what reached the host,
/// "out" what the host sent. Packets the host sent that the network could
/// not take (no answer, malformed, or in a session that is not
/// activated) are out-discards; packets for a host that did not read
/// them are in-discards. The simulated radio link has no errors.
pub(super) fn packet_statistics(dev: &Device) -> Done {
    let s = dev.data_stats;
    let u32_of = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    let mut w = Writer::new();
    w.u32(u32_of(s.overflow))
        .u32(0)
        .u64(s.tx_bytes)
        .u64(s.tx_packets)
        .u64(s.rx_bytes)
        .u64(s.rx_packets)
        .u32(0)
        .u32(u32_of(s.dropped.saturating_add(s.inactive_session)));
    Done::ok(w.finish())
}
