//! The simulated mobile network behind a connected bearer.
//!
//! What the host sends on the QMI interface's bulk OUT endpoint comes here:
//! one IP packet per transfer in raw-IP mode, one Ethernet frame in 802.3
//! mode. The network answers, entirely inside vmodem:
//!
//! - ICMP and ICMPv6 echo, from the gateway, the DNS servers, every other
//!   address of the bearer's prefix, and the echo hosts of 192.0.2.0/24;
//! - UDP echo on port 7 at those addresses;
//! - DNS on port 53 at the bearer's DNS servers, for names under
//!   `vmodem.test` (see [`dns`]);
//! - IPv6 router and neighbour solicitations (see [`ndisc`]);
//! - in 802.3 mode, ARP for those IPv4 addresses.
//!
//! With the uplink enabled ([`PacketNetwork::set_uplink`]), what is bound
//! beyond the simulated network is handed out for forwarding, and what
//! comes back is delivered (see [`uplink`]). Otherwise, and for everything
//! the uplink does not take, packets are dropped and counted.
//!
//! Packets are read and written through smoltcp's checked views and
//! representations (`smoltcp::wire`): no accessor reads past a length
//! that `new_checked` has not verified.

pub mod dns;
mod ethernet;
mod ipv4;
mod ipv6;
pub mod ndisc;
mod udp;
pub mod uplink;

pub use ethernet::MODEM_MAC;

pub use crate::model::DataStats;
use crate::model::{Bearer, Device};
use smoltcp::wire::IpVersion;
use std::collections::VecDeque;
use std::net::Ipv4Addr;

/// IPv4 echo hosts "on the internet": TEST-NET-1 (RFC 5737).
pub const ECHO_NET_V4: (Ipv4Addr, u8) = (Ipv4Addr::new(192, 0, 2, 0), 24);
/// UDP echo port (RFC 862).
pub const UDP_ECHO_PORT: u16 = 7;
pub const DNS_PORT: u16 = 53;
/// Packets waiting for a host that does not read; more are dropped.
pub const MAX_PENDING: usize = 1024;

/// How packets are framed on the bulk endpoints (WDA link layer protocol).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    Ethernet,
    RawIp,
}

impl Framing {
    /// From the WDA/CTL link layer protocol value: 1 = 802.3, 2 = raw IP.
    pub fn from_link_layer(v: u32) -> Framing {
        if v == 2 {
            Framing::RawIp
        } else {
            Framing::Ethernet
        }
    }
}

/// The network side of the data path.
#[derive(Debug, Default)]
pub struct PacketNetwork {
    out: VecDeque<Vec<u8>>,
    up: VecDeque<Vec<u8>>,
    uplink: bool,
    /// The host's MAC in 802.3 mode, learnt from what it sends: where
    /// packets from the uplink go.
    host_mac: Option<[u8; 6]>,
    /// The host's last transfer came as a bare IP datagram (an MBIM NTB's),
    /// whatever WDA says: downlink packets go out the same way.
    ip_datagrams: bool,
    stats: DataStats,
}

impl PacketNetwork {
    pub fn stats(&self) -> DataStats {
        self.stats
    }

    /// Lets packets bound beyond the simulated network out (off by default).
    pub fn set_uplink(&mut self, on: bool) {
        self.uplink = on;
        if !on {
            self.up.clear();
        }
    }

    /// One transfer from the host.
    pub fn handle(&mut self, dev: &Device, frame: &[u8]) {
        self.ip_datagrams = false;
        let framing = Framing::from_link_layer(dev.data_format.link_layer);
        self.handle_framed(dev, frame, framing);
    }

    /// One IP datagram from the host, out of an MBIM NTB: MBIM carries
    /// bare IP whatever the QMI data format.
    pub fn handle_ip(&mut self, dev: &Device, datagram: &[u8]) {
        self.ip_datagrams = true;
        self.handle_framed(dev, datagram, Framing::RawIp);
    }

    fn handle_framed(&mut self, dev: &Device, frame: &[u8], framing: Framing) {
        self.stats.rx_packets += 1;
        self.stats.rx_bytes += frame.len() as u64;
        let (reply, ip) = match framing {
            Framing::RawIp => (answer_ip(&dev.bearers, frame, framing), Some(frame)),
            Framing::Ethernet => {
                if let Some(mac) = ethernet::host_mac(frame) {
                    self.host_mac = Some(mac);
                }
                (
                    ethernet::answer(&dev.bearers, frame),
                    ethernet::ip_payload(frame),
                )
            }
        };
        if let Some(r) = reply {
            return self.push(r);
        }
        let up = match ip {
            Some(ip) if self.uplink => uplink::outbound(&dev.bearers, ip),
            _ => None,
        };
        match up {
            Some(p) => {
                self.stats.uplink_packets += 1;
                self.stats.uplink_bytes += p.len() as u64;
                if self.up.len() >= MAX_PENDING {
                    self.up.pop_front();
                    self.stats.overflow += 1;
                }
                self.up.push_back(p);
            }
            None => self.stats.dropped += 1,
        }
    }

    /// One IP packet to forward through the uplink.
    pub fn poll_uplink(&mut self) -> Option<Vec<u8>> {
        self.up.pop_front()
    }

    /// One IP packet from the uplink, delivered to the host in the current
    /// framing if it is for a connected bearer.
    pub fn handle_downlink(&mut self, dev: &Device, pkt: &[u8]) {
        let p = match uplink::inbound(&dev.bearers, pkt) {
            Some(p) if self.uplink => p,
            _ => {
                self.stats.downlink_dropped += 1;
                return;
            }
        };
        self.stats.downlink_packets += 1;
        self.stats.downlink_bytes += p.len() as u64;
        match Framing::from_link_layer(dev.data_format.link_layer) {
            _ if self.ip_datagrams => self.push(p),
            Framing::RawIp => self.push(p),
            Framing::Ethernet => self.push(ethernet::downlink(self.host_mac, &p)),
        }
    }

    fn push(&mut self, r: Vec<u8>) {
        if self.out.len() >= MAX_PENDING {
            self.out.pop_front();
            self.stats.overflow += 1;
        }
        self.stats.tx_packets += 1;
        self.stats.tx_bytes += r.len() as u64;
        self.out.push_back(r);
    }

    /// One transfer for the host.
    pub fn poll(&mut self) -> Option<Vec<u8>> {
        self.out.pop_front()
    }

    /// Packets waiting for the host.
    pub fn pending(&self) -> usize {
        self.out.len()
    }

    /// Drops what is waiting: the bearer or the device went away.
    pub fn clear(&mut self) {
        self.out.clear();
        self.up.clear();
        self.host_mac = None;
    }
}

/// Answers one bare IP packet, if the network has an answer; `framing`
/// says whether neighbour discovery carries link-layer addresses.
pub(crate) fn answer_ip(bearers: &[Bearer], pkt: &[u8], framing: Framing) -> Option<Vec<u8>> {
    match ip_version(pkt)? {
        IpVersion::Ipv4 => ipv4::answer(bearers, pkt),
        IpVersion::Ipv6 => ipv6::answer(bearers, pkt, framing),
    }
}

/// The IP version of a packet, from its first nibble.
fn ip_version(pkt: &[u8]) -> Option<IpVersion> {
    pkt.first()?;
    IpVersion::of_packet(pkt).ok()
}

#[cfg(test)]
mod tests;
