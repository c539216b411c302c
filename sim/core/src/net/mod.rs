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
//! - in 802.3 mode, ARP for those IPv4 addresses, and DHCP for the
//!   bearer's settings (see [`dhcp`]).
//!
//! With the uplink enabled ([`PacketNetwork::set_uplink`]), what is bound
//! beyond the simulated network is handed out for forwarding, and what
//! comes back is delivered (see [`uplink`]). Otherwise, and for everything
//! the uplink does not take, packets are dropped and counted.
//!
//! Packets are read and written through smoltcp's checked views and
//! representations (`smoltcp::wire`): no accessor reads past a length
//! that `new_checked` has not verified.

pub mod dhcp;
pub mod dns;
mod echo;
mod ethernet;
mod ipv4;
mod ipv6;
pub mod ndisc;
mod udp;
pub mod uplink;

pub use ethernet::MODEM_MAC;

pub use crate::model::DataStats;
use crate::model::{Bearer, Device};
use crate::time::Instant;
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

/// A packet for the host, with the MBIM session (IPS stream) it belongs
/// to; QMI's bulk path has one stream and ignores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToHost {
    pub session: u8,
    pub packet: Vec<u8>,
}

/// The network side of the data path.
#[derive(Debug, Default)]
pub struct PacketNetwork {
    out: VecDeque<ToHost>,
    up: VecDeque<Vec<u8>>,
    uplink: bool,
    /// The host's MAC in 802.3 mode, learnt from what it sends: where
    /// packets from the uplink go.
    host_mac: Option<[u8; 6]>,
    /// The host's last transfer came as a bare IP datagram (an MBIM NTB's),
    /// whatever WDA says: downlink packets go out the same way.
    ip_datagrams: bool,
    dhcp: dhcp::DhcpServer,
    /// The time of the last `handle_timeout`.
    now: Instant,
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

    /// Time passes: slow DHCP answers that are due go to the host.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = self.now.max(now);
        for f in self.dhcp.due(self.now) {
            self.push(0, f);
        }
    }

    /// When [`PacketNetwork::handle_timeout`] next has work.
    pub fn poll_at(&self) -> Option<Instant> {
        self.dhcp.poll_at()
    }

    /// The DHCP server, for its counters.
    pub fn dhcp(&self) -> &dhcp::DhcpServer {
        &self.dhcp
    }

    /// Puts a DHCP fault in force for the next `count` answers.
    pub fn set_dhcp_fault(&mut self, fault: crate::fault::DhcpFault, count: u32) {
        self.dhcp.set_fault(fault, count);
    }

    /// One transfer from the host.
    pub fn handle(&mut self, dev: &Device, frame: &[u8]) {
        self.ip_datagrams = false;
        let framing = Framing::from_link_layer(dev.data_format.link_layer);
        if framing == Framing::Ethernet && dhcp::is_dhcp(frame) {
            return self.handle_dhcp(dev, frame);
        }
        self.handle_framed(&dev.bearers, 0, frame, framing);
    }

    /// An 802.3 frame to the DHCP server port (only QMI's bulk path has
    /// 802.3 framing).
    fn handle_dhcp(&mut self, dev: &Device, frame: &[u8]) {
        self.stats.rx_packets += 1;
        self.stats.rx_bytes += frame.len() as u64;
        if let Some(mac) = ethernet::host_mac(frame) {
            self.host_mac = Some(mac);
        }
        match self.dhcp.handle(dev, frame, self.now) {
            dhcp::Outcome::Answer(r) => self.push(0, r),
            dhcp::Outcome::Held => {}
            dhcp::Outcome::Dropped => self.stats.dropped += 1,
        }
    }

    /// One IP datagram from the host in MBIM session `session`, out of an
    /// NTB: MBIM carries bare IP whatever the QMI data format. Only the
    /// session's own bearers answer it, and the replies go out in the
    /// same session.
    pub fn handle_ip(&mut self, session: u8, bearers: &[Bearer], datagram: &[u8]) {
        self.ip_datagrams = true;
        self.handle_framed(bearers, session, datagram, Framing::RawIp);
    }

    /// A datagram in an MBIM session that is not activated: dropped
    /// before the network sees it, as no PDN is behind the stream.
    pub fn drop_inactive_session(&mut self) {
        self.stats.inactive_session += 1;
    }

    fn handle_framed(&mut self, bearers: &[Bearer], session: u8, frame: &[u8], framing: Framing) {
        self.stats.rx_packets += 1;
        self.stats.rx_bytes += frame.len() as u64;
        let (reply, ip) = match framing {
            Framing::RawIp => {
                // One allocation, sized for the echo of this packet.
                let mut r = Vec::with_capacity(frame.len());
                (
                    answer_ip(bearers, frame, framing, &mut r).map(|()| r),
                    Some(frame),
                )
            }
            Framing::Ethernet => {
                if let Some(mac) = ethernet::host_mac(frame) {
                    self.host_mac = Some(mac);
                }
                (
                    ethernet::answer(bearers, frame),
                    ethernet::ip_payload(frame),
                )
            }
        };
        if let Some(r) = reply {
            return self.push(session, r);
        }
        let up = match ip {
            Some(ip) if self.uplink => uplink::outbound(bearers, ip),
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
    /// framing if it is for a connected bearer, every bearer in session 0.
    pub fn handle_downlink(&mut self, dev: &Device, pkt: &[u8]) {
        self.handle_downlink_routed(dev, pkt, |_| Some(0));
    }

    /// As [`PacketNetwork::handle_downlink`]; while the host speaks MBIM,
    /// `session_of` names the session of the bearer (by handle) the packet
    /// is for: a bearer in no session has no stream to go out in.
    pub fn handle_downlink_routed(
        &mut self,
        dev: &Device,
        pkt: &[u8],
        session_of: impl Fn(u32) -> Option<u8>,
    ) {
        let routed = match uplink::inbound(&dev.bearers, pkt) {
            Some((_, p)) if self.uplink && !self.ip_datagrams => Some((0, p)),
            Some((handle, p)) if self.uplink => session_of(handle).map(|s| (s, p)),
            _ => None,
        };
        let Some((session, p)) = routed else {
            self.stats.downlink_dropped += 1;
            return;
        };
        self.stats.downlink_packets += 1;
        self.stats.downlink_bytes += p.len() as u64;
        match Framing::from_link_layer(dev.data_format.link_layer) {
            _ if self.ip_datagrams => self.push(session, p),
            Framing::RawIp => self.push(session, p),
            Framing::Ethernet => self.push(session, ethernet::downlink(self.host_mac, &p)),
        }
    }

    fn push(&mut self, session: u8, packet: Vec<u8>) {
        if self.out.len() >= MAX_PENDING {
            self.out.pop_front();
            self.stats.overflow += 1;
        }
        self.stats.tx_packets += 1;
        self.stats.tx_bytes += packet.len() as u64;
        self.out.push_back(ToHost { session, packet });
    }

    /// One transfer for the host.
    pub fn poll(&mut self) -> Option<Vec<u8>> {
        self.poll_to_host().map(|t| t.packet)
    }

    /// One transfer for the host, with the MBIM session it belongs to.
    pub fn poll_to_host(&mut self) -> Option<ToHost> {
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
        self.dhcp.clear();
    }
}

/// Appends the answer to one bare IP packet to `out`, if the network
/// has one; `framing` says whether neighbour discovery carries link-layer
/// addresses.
pub(crate) fn answer_ip(
    bearers: &[Bearer],
    pkt: &[u8],
    framing: Framing,
    out: &mut Vec<u8>,
) -> Option<()> {
    match ip_version(pkt)? {
        IpVersion::Ipv4 => ipv4::answer(bearers, pkt, out),
        IpVersion::Ipv6 => ipv6::answer(bearers, pkt, framing, out),
    }
}

/// The IP version of a packet, from its first nibble.
fn ip_version(pkt: &[u8]) -> Option<IpVersion> {
    pkt.first()?;
    IpVersion::of_packet(pkt).ok()
}

#[cfg(test)]
mod tests;
