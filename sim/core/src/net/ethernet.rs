//! 802.3 framing: what qmi_wwan sends when raw IP is off, and ARP.

use super::{answer_ip, ipv4, Framing};
use crate::model::{Bearer, IpFamily};
use smoltcp::wire::{
    ArpOperation, ArpPacket, ArpRepr, EthernetAddress, EthernetFrame, EthernetProtocol,
    EthernetRepr, ETHERNET_HEADER_LEN,
};

/// The modem's MAC on the data interface: locally administered, and not
/// one of the addresses qmi_wwan replaces (02:50:f3:xx:xx:xx and
/// 00:a0:c6:00:00:00).
pub const MODEM_MAC: [u8; 6] = [0x02, 0x11, 0x99, 0x73, 0x05, 0x01];

pub fn answer(bearers: &[Bearer], f: &[u8]) -> Option<Vec<u8>> {
    let frame = EthernetFrame::new_checked(f).ok()?;
    let to = frame.src_addr();
    match frame.ethertype() {
        t @ (EthernetProtocol::Ipv4 | EthernetProtocol::Ipv6) => {
            // The IP answer goes straight behind room for the header.
            let mut r = Vec::with_capacity(ETHERNET_HEADER_LEN + f.len());
            r.resize(ETHERNET_HEADER_LEN, 0);
            answer_ip(bearers, frame.payload(), Framing::Ethernet, &mut r)?;
            header(&mut r, to, t);
            Some(r)
        }
        EthernetProtocol::Arp => Some(frame_to(
            to,
            EthernetProtocol::Arp,
            &arp(bearers, frame.payload())?,
        )),
        _ => None,
    }
}

/// The bare IP packet in a frame from the host, for the uplink.
pub fn ip_payload(f: &[u8]) -> Option<&[u8]> {
    let frame = EthernetFrame::new_checked(f).ok()?;
    matches!(
        frame.ethertype(),
        EthernetProtocol::Ipv4 | EthernetProtocol::Ipv6
    )
    .then(|| frame.payload())
}

/// The source MAC of a frame from the host.
pub fn host_mac(f: &[u8]) -> Option<[u8; 6]> {
    Some(EthernetFrame::new_checked(f).ok()?.src_addr().0)
}

/// A frame for the host carrying IP packet `pkt` from the uplink, to the
/// host's MAC if it has sent anything yet, else to everyone.
pub fn downlink(host_mac: Option<[u8; 6]>, pkt: &[u8]) -> Vec<u8> {
    let ethertype = match pkt.first().map(|b| b >> 4) {
        Some(6) => EthernetProtocol::Ipv6,
        _ => EthernetProtocol::Ipv4,
    };
    let to = host_mac.map_or(EthernetAddress::BROADCAST, EthernetAddress);
    frame_to(to, ethertype, pkt)
}

/// A frame from the modem to `to`.
pub fn frame_to(to: EthernetAddress, ethertype: EthernetProtocol, payload: &[u8]) -> Vec<u8> {
    let mut r = vec![0; ETHERNET_HEADER_LEN + payload.len()];
    header(&mut r, to, ethertype);
    r[ETHERNET_HEADER_LEN..].copy_from_slice(payload);
    r
}

/// Writes the header of a frame from the modem to `to` at the start of `r`.
fn header(r: &mut [u8], to: EthernetAddress, ethertype: EthernetProtocol) {
    let repr = EthernetRepr {
        src_addr: EthernetAddress(MODEM_MAC),
        dst_addr: to,
        ethertype,
    };
    repr.emit(&mut EthernetFrame::new_unchecked(r));
}

fn arp(bearers: &[Bearer], a: &[u8]) -> Option<Vec<u8>> {
    let ArpRepr::EthernetIpv4 {
        operation: ArpOperation::Request,
        source_hardware_addr: sender_mac,
        source_protocol_addr: sender_ip,
        target_protocol_addr: target_ip,
        ..
    } = ArpRepr::parse(&ArpPacket::new_checked(a).ok()?).ok()?
    else {
        return None;
    };
    let b = bearers
        .iter()
        .find(|b| b.family == IpFamily::V4 && b.settings.ipv4_address == sender_ip)?;
    if !ipv4::reachable(b, target_ip) {
        return None;
    }
    let reply = ArpRepr::EthernetIpv4 {
        operation: ArpOperation::Reply,
        source_hardware_addr: EthernetAddress(MODEM_MAC),
        source_protocol_addr: target_ip,
        target_hardware_addr: sender_mac,
        target_protocol_addr: sender_ip,
    };
    let mut r = vec![0; reply.buffer_len()];
    reply.emit(&mut ArpPacket::new_unchecked(&mut r[..]));
    Some(r)
}
