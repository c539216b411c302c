//! Counters of the packet data path. The network side counts; every
//! protocol (WDS Get Packet Statistics, MBIM) reports the same figures.

/// Counters of the data path.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DataStats {
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
    /// Packets the network had no answer for, or that were malformed.
    pub dropped: u64,
    /// Packets for the host or the uplink lost because nobody read them.
    pub overflow: u64,
    /// Packets from the host handed to the uplink, and their bytes (IP).
    pub uplink_packets: u64,
    pub uplink_bytes: u64,
    /// Packets from the uplink delivered to the host, and their bytes (IP).
    pub downlink_packets: u64,
    pub downlink_bytes: u64,
    /// Packets from the uplink with no connected bearer to go to, with an
    /// expiring TTL, malformed, or arriving while the uplink is off.
    pub downlink_dropped: u64,
    /// Datagrams from the host in an MBIM session that is not activated
    /// (IPS<n> with no CONNECT behind it), dropped before the network.
    pub inactive_session: u64,
}
