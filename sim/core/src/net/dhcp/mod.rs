//! The DHCPv4 server on the network side of the data interface, in 802.3
//! mode only (a module in raw-IP mode answers no DHCP: the host takes the
//! settings from WDS Get Current Settings).
//!
//! It hands out exactly the settings of the connected IPv4 bearer (address,
//! prefix, gateway, DNS, MTU: what Get Current Settings reports), from the
//! gateway's address. A lease belongs to the bearer it was granted on: once
//! that bearer is gone (dropped by the network, stopped, or lost in a
//! reset) a renewal is NAKed, and so is a request for any other address,
//! so the client starts over with DISCOVER and gets the new bearer's.
//!
//! Malformed messages are dropped and counted. Faults (`DhcpFault`) make
//! the server silent, slow, or NAK requests.

pub mod message;
#[cfg(test)]
mod tests;

pub use message::{DhcpError, DhcpMessage};

use super::{ethernet, ipv4, udp};
use crate::fault::DhcpFault;
use crate::model::{Bearer, Device, IpFamily};
use crate::time::{Duration, Instant};
use message::*;
use smoltcp::wire::{
    DhcpMessageType as Kind, EthernetAddress, EthernetProtocol, IpProtocol, Ipv4Packet, UdpPacket,
    DHCP_CLIENT_PORT, DHCP_SERVER_PORT,
};
use std::collections::VecDeque;
use std::net::Ipv4Addr;

/// Lease time handed out, and the renewal (T1) and rebinding (T2) times at
/// RFC 2131's defaults of 1/2 and 7/8 of it.
pub const LEASE_SECS: u32 = 7200;
pub const RENEWAL_SECS: u32 = LEASE_SECS / 2;
pub const REBINDING_SECS: u32 = LEASE_SECS / 8 * 7;
/// Slow answers held at once; more push the oldest out (counted).
pub const MAX_HELD: usize = 64;

/// What the server counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DhcpStats {
    /// Messages to the server port that did not parse.
    pub malformed: u64,
    /// Messages with nothing to answer: no IPv4 bearer to offer, a client
    /// that chose another server, a reply-type message.
    pub unanswered: u64,
    pub offers: u64,
    pub acks: u64,
    pub naks: u64,
    pub releases: u64,
    pub declines: u64,
    /// Answers a fault swallowed, and held answers pushed out.
    pub faulted: u64,
}

#[derive(Debug, Clone, PartialEq)]
struct Lease {
    /// The bearer the lease belongs to.
    handle: u32,
    addr: Ipv4Addr,
    expires: Instant,
}

/// A fault in force: what happens to the next `left` answers.
#[derive(Debug, Clone, Copy, PartialEq)]
struct FaultInForce {
    fault: DhcpFault,
    left: u32,
}

#[derive(Debug, Default)]
pub struct DhcpServer {
    leases: Vec<Lease>,
    fault: Option<FaultInForce>,
    /// Answers held by a slow-answer fault: when they go, the frame.
    held: VecDeque<(Instant, Vec<u8>)>,
    stats: DhcpStats,
}

/// What became of one message to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// This frame goes to the host now.
    Answer(Vec<u8>),
    /// The answer is held by a slow-answer fault.
    Held,
    /// No answer (malformed, nothing to answer, or a silent fault).
    Dropped,
}

/// The IPv4 packet of an 802.3 frame if it is UDP to the DHCP server port.
pub fn is_dhcp(frame: &[u8]) -> bool {
    let Some(ip) = ethernet::ip_payload(frame) else {
        return false;
    };
    let Ok(p) = Ipv4Packet::new_checked(ip) else {
        return false;
    };
    p.next_header() == IpProtocol::Udp
        && UdpPacket::new_checked(p.payload()).is_ok_and(|u| u.dst_port() == DHCP_SERVER_PORT)
}

impl DhcpServer {
    pub fn stats(&self) -> DhcpStats {
        self.stats
    }

    /// Puts `fault` in force for the next `count` answers (NAK: the next
    /// `count` answers to a REQUEST).
    pub fn set_fault(&mut self, fault: DhcpFault, count: u32) {
        self.fault = Some(FaultInForce { fault, left: count });
    }

    /// The firmware restarted: leases and held answers are gone (a fault
    /// in force stays, as it is the scenario's, not the firmware's).
    pub fn clear(&mut self) {
        self.leases.clear();
        self.held.clear();
    }

    /// When a held answer is due.
    pub fn poll_at(&self) -> Option<Instant> {
        self.held.iter().map(|(t, _)| *t).min()
    }

    /// Held answers due at `now`, in order.
    pub fn due(&mut self, now: Instant) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(i) = self.held.iter().position(|(t, _)| *t <= now) {
            if let Some((_, f)) = self.held.remove(i) {
                out.push(f);
            }
        }
        out
    }

    /// One 802.3 frame carrying UDP to port 67.
    pub fn handle(&mut self, dev: &Device, frame: &[u8], now: Instant) -> Outcome {
        match self.message(dev, frame, now) {
            Some(Some(f)) => Outcome::Answer(f),
            Some(None) => Outcome::Held,
            None => Outcome::Dropped,
        }
    }

    /// `None`: nothing goes; `Some(None)`: held for later.
    fn message(&mut self, dev: &Device, frame: &[u8], now: Instant) -> Option<Option<Vec<u8>>> {
        let ip = ipv4::checked(ethernet::ip_payload(frame)?)?;
        if ip.more_frags() || ip.frag_offset() != 0 {
            return None;
        }
        let u = UdpPacket::new_checked(ip.payload()).ok()?;
        if !u.verify_checksum(&ip.src_addr().into(), &ip.dst_addr().into())
            || u.src_port() != DHCP_CLIENT_PORT
        {
            return None;
        }
        let req = match DhcpMessage::parse(u.payload()) {
            Ok(m) => m,
            Err(_) => {
                self.stats.malformed += 1;
                return None;
            }
        };
        self.leases
            .retain(|l| dev.bearers.iter().any(|b| b.handle == l.handle));
        let Some((reply, server)) = self.answer(dev, &req, now) else {
            self.stats.unanswered += 1;
            return None;
        };
        self.send(&req, reply, server, now)
    }

    /// The reply to `req` and the server address it comes from.
    fn answer(
        &mut self,
        dev: &Device,
        req: &DhcpMessage,
        now: Instant,
    ) -> Option<(DhcpMessage, Ipv4Addr)> {
        let bearer = v4_bearer(&dev.bearers, req.ciaddr);
        match req.kind {
            Kind::Discover => {
                let b = bearer?;
                let mut r = DhcpMessage::reply_to(req, Kind::Offer);
                r.yiaddr = b.settings.ipv4_address;
                settings(&mut r, b, true);
                Some((r, b.settings.ipv4_gateway))
            }
            Kind::Request => self.request(dev, req, bearer, now),
            Kind::Inform => {
                let b = bearer?;
                let mut r = DhcpMessage::reply_to(req, Kind::Ack);
                r.ciaddr = req.ciaddr;
                settings(&mut r, b, false);
                Some((r, b.settings.ipv4_gateway))
            }
            Kind::Release => {
                self.stats.releases += 1;
                self.leases.retain(|l| l.addr != req.ciaddr);
                None
            }
            Kind::Decline => {
                self.stats.declines += 1;
                if let Some(a) = req.requested_ip() {
                    self.leases.retain(|l| l.addr != a);
                }
                None
            }
            _ => None,
        }
    }

    /// REQUEST in each client state of RFC 2131 4.3.2.
    fn request(
        &mut self,
        dev: &Device,
        req: &DhcpMessage,
        bearer: Option<&Bearer>,
        now: Instant,
    ) -> Option<(DhcpMessage, Ipv4Addr)> {
        let nak = |server: Ipv4Addr| {
            let mut r = DhcpMessage::reply_to(req, Kind::Nak);
            // A NAK is broadcast whatever the client asked (4.1).
            r.broadcast = true;
            Some((r, server))
        };
        let wanted = match (req.server_id(), req.ciaddr.is_unspecified()) {
            // SELECTING: an answer to our OFFER, or to someone else's.
            (Some(sid), true) => {
                let b = bearer?;
                if sid != b.settings.ipv4_gateway {
                    return None;
                }
                req.requested_ip()?
            }
            // INIT-REBOOT: checking a remembered address.
            (None, true) => req.requested_ip()?,
            // RENEWING or REBINDING: only a lease of the same bearer.
            (_, false) => {
                let live = self.leases.iter().position(|l| {
                    l.addr == req.ciaddr
                        && l.expires > now
                        && bearer.is_some_and(|b| b.handle == l.handle)
                });
                return match (live, bearer) {
                    (Some(i), Some(b)) => {
                        self.leases[i].expires = now + Duration::from_secs(LEASE_SECS.into());
                        Some((ack(req, b), b.settings.ipv4_gateway))
                    }
                    _ => nak(server_for(dev, req.ciaddr)?),
                };
            }
        };
        match bearer {
            Some(b) if b.settings.ipv4_address == wanted => {
                self.leases.retain(|l| l.handle != b.handle);
                self.leases.push(Lease {
                    handle: b.handle,
                    addr: wanted,
                    expires: now + Duration::from_secs(LEASE_SECS.into()),
                });
                Some((ack(req, b), b.settings.ipv4_gateway))
            }
            _ => nak(server_for(dev, wanted)?),
        }
    }

    /// Applies a fault in force to `reply` and frames it, now or later.
    fn send(
        &mut self,
        req: &DhcpMessage,
        mut reply: DhcpMessage,
        server: Ipv4Addr,
        now: Instant,
    ) -> Option<Option<Vec<u8>>> {
        let mut hold = None;
        if let Some(f) = self.fault.as_mut() {
            let applies = !matches!(f.fault, DhcpFault::Nak) || req.kind == Kind::Request;
            if applies {
                f.left -= 1;
                let fault = f.fault;
                if f.left == 0 {
                    self.fault = None;
                }
                match fault {
                    DhcpFault::Silent => {
                        self.stats.faulted += 1;
                        return None;
                    }
                    DhcpFault::Nak => {
                        reply = DhcpMessage::reply_to(req, Kind::Nak);
                        reply.broadcast = true;
                    }
                    DhcpFault::Delay { by } => hold = Some(now + by),
                }
            }
        }
        if reply.kind == Kind::Nak {
            reply.push_addr(OPT_SERVER_ID, server);
        }
        match reply.kind {
            Kind::Offer => self.stats.offers += 1,
            Kind::Ack => self.stats.acks += 1,
            _ => self.stats.naks += 1,
        }
        let frame = frame(req, &reply, server);
        match hold {
            None => Some(Some(frame)),
            Some(at) => {
                if self.held.len() >= MAX_HELD {
                    self.held.pop_front();
                    self.stats.faulted += 1;
                }
                self.held.push_back((at, frame));
                Some(None)
            }
        }
    }
}

/// The IPv4 bearer a client at `ciaddr` is on: the one owning that
/// address, else the first (one data port without QMAP: one link).
fn v4_bearer(bearers: &[Bearer], ciaddr: Ipv4Addr) -> Option<&Bearer> {
    let v4 = || bearers.iter().filter(|b| b.family == IpFamily::V4);
    v4().find(|b| b.settings.ipv4_address == ciaddr)
        .or_else(|| v4().next())
}

/// The server that speaks for `addr` when there is no bearer to answer
/// for it: the gateway of the APN it belongs to, else of the live bearer,
/// else of the first APN.
fn server_for(dev: &Device, addr: Ipv4Addr) -> Option<Ipv4Addr> {
    let apns = &dev.profile.network.apn;
    apns.iter()
        .find(|a| a.ipv4_address == addr)
        .map(|a| a.ipv4_gateway)
        .or_else(|| v4_bearer(&dev.bearers, addr).map(|b| b.settings.ipv4_gateway))
        .or_else(|| apns.first().map(|a| a.ipv4_gateway))
}

fn ack(req: &DhcpMessage, b: &Bearer) -> DhcpMessage {
    let mut r = DhcpMessage::reply_to(req, Kind::Ack);
    r.ciaddr = req.ciaddr;
    r.yiaddr = b.settings.ipv4_address;
    settings(&mut r, b, true);
    r
}

/// The bearer's settings as options; `lease` adds the lease times (not in
/// an answer to INFORM, RFC 2131 3.4).
fn settings(r: &mut DhcpMessage, b: &Bearer, lease: bool) {
    let s = &b.settings;
    r.push_addr(OPT_SERVER_ID, s.ipv4_gateway);
    if lease {
        r.push_u32(OPT_LEASE_TIME, LEASE_SECS);
        r.push_u32(OPT_RENEWAL_TIME, RENEWAL_SECS);
        r.push_u32(OPT_REBINDING_TIME, REBINDING_SECS);
    }
    let mask = u32::MAX
        .checked_shl(32 - u32::from(s.ipv4_prefix.min(32)))
        .unwrap_or(0);
    r.push_u32(OPT_SUBNET_MASK, mask);
    r.push_addr(OPT_ROUTER, s.ipv4_gateway);
    if !s.ipv4_dns.is_empty() {
        let dns: Vec<u8> = s
            .ipv4_dns
            .iter()
            .take(63)
            .flat_map(|a| a.octets())
            .collect();
        r.options.push((OPT_DNS, dns));
    }
    // RFC 2132 5.1: the smallest MTU is 68.
    if let Ok(mtu) = u16::try_from(s.mtu) {
        if mtu >= 68 {
            r.options.push((OPT_MTU, mtu.to_be_bytes().to_vec()));
        }
    }
}

/// The 802.3 frame carrying `reply` from `server`, addressed as RFC 2131
/// 4.1 says: to the client's address if it has one, broadcast if it asked
/// (or for a NAK), else to the offered address at its hardware address.
fn frame(req: &DhcpMessage, reply: &DhcpMessage, server: Ipv4Addr) -> Vec<u8> {
    let (ip, mac) = if reply.kind == Kind::Nak || (req.ciaddr.is_unspecified() && reply.broadcast) {
        (Ipv4Addr::BROADCAST, EthernetAddress::BROADCAST)
    } else if !req.ciaddr.is_unspecified() {
        (req.ciaddr, req.chaddr())
    } else {
        (reply.yiaddr, req.chaddr())
    };
    let body = reply.emit();
    let datagram = udp::datagram(
        server.into(),
        ip.into(),
        DHCP_SERVER_PORT,
        DHCP_CLIENT_PORT,
        &body,
    );
    let packet = ipv4::build(server, ip, IpProtocol::Udp, &datagram);
    ethernet::frame_to(mac, EthernetProtocol::Ipv4, &packet)
}
