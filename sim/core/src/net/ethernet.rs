//! 802.3 framing: what qmi_wwan sends when raw IP is off, and ARP.

use super::{answer_ip, ipv4, Framing};
use crate::model::{Bearer, IpFamily};
use std::net::Ipv4Addr;

/// The modem's MAC on the data interface: locally administered, and not
/// one of the addresses qmi_wwan replaces (02:50:f3:xx:xx:xx and
/// 00:a0:c6:00:00:00).
pub const MODEM_MAC: [u8; 6] = [0x02, 0x11, 0x99, 0x73, 0x05, 0x01];

const ETH_IPV4: u16 = 0x0800;
const ETH_ARP: u16 = 0x0806;
const ETH_IPV6: u16 = 0x86dd;
const BROADCAST: [u8; 6] = [0xff; 6];

pub fn answer(bearers: &[Bearer], f: &[u8]) -> Option<Vec<u8>> {
    if f.len() < 14 {
        return None;
    }
    let host_mac = &f[6..12];
    let ethertype = u16::from_be_bytes([f[12], f[13]]);
    let (ethertype, payload) = match ethertype {
        ETH_IPV4 | ETH_IPV6 => (ethertype, answer_ip(bearers, &f[14..], Framing::Ethernet)?),
        ETH_ARP => (ETH_ARP, arp(bearers, &f[14..])?),
        _ => return None,
    };
    Some(frame(host_mac, ethertype, &payload))
}

/// The bare IP packet in a frame from the host, for the uplink.
pub fn ip_payload(f: &[u8]) -> Option<&[u8]> {
    let ethertype = u16::from_be_bytes([*f.get(12)?, *f.get(13)?]);
    matches!(ethertype, ETH_IPV4 | ETH_IPV6).then(|| &f[14..])
}

/// The source MAC of a frame from the host.
pub fn host_mac(f: &[u8]) -> Option<[u8; 6]> {
    f.get(6..12)?.try_into().ok()
}

/// A frame for the host carrying IP packet `pkt` from the uplink, to the
/// host's MAC if it has sent anything yet, else to everyone.
pub fn downlink(host_mac: Option<[u8; 6]>, pkt: &[u8]) -> Vec<u8> {
    let ethertype = if pkt[0] >> 4 == 6 { ETH_IPV6 } else { ETH_IPV4 };
    frame(&host_mac.unwrap_or(BROADCAST), ethertype, pkt)
}

fn frame(to: &[u8], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut r = Vec::with_capacity(14 + payload.len());
    r.extend_from_slice(to);
    r.extend_from_slice(&MODEM_MAC);
    r.extend_from_slice(&ethertype.to_be_bytes());
    r.extend_from_slice(payload);
    r
}

/// An ARP reply for a simulated IPv4 host, on behalf of the network.
fn arp(bearers: &[Bearer], a: &[u8]) -> Option<Vec<u8>> {
    // Ethernet/IPv4 ARP request: htype 1, ptype 0x0800, hlen 6, plen 4, op 1.
    if a.len() < 28 || a[0..8] != [0, 1, 8, 0, 6, 4, 0, 1] {
        return None;
    }
    let sender_mac = &a[8..14];
    let sender_ip = Ipv4Addr::new(a[14], a[15], a[16], a[17]);
    let target_ip = Ipv4Addr::new(a[24], a[25], a[26], a[27]);
    let b = bearers
        .iter()
        .find(|b| b.family == IpFamily::V4 && b.settings.ipv4_address == sender_ip)?;
    if !ipv4::reachable(b, target_ip) {
        return None;
    }
    let mut r = Vec::with_capacity(28);
    r.extend_from_slice(&[0, 1, 8, 0, 6, 4, 0, 2]);
    r.extend_from_slice(&MODEM_MAC);
    r.extend_from_slice(&target_ip.octets());
    r.extend_from_slice(sender_mac);
    r.extend_from_slice(&sender_ip.octets());
    Some(r)
}
