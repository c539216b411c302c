//! DHCPv4 messages (RFC 2131, options RFC 2132): the fixed BOOTP header
//! read through smoltcp's checked view (`smoltcp::wire::DhcpPacket`), and
//! an owned representation that keeps every option, known or not, in
//! order, so a message round-trips.

use smoltcp::wire::{DhcpMessageType, DhcpPacket, EthernetAddress};
use std::net::Ipv4Addr;

/// The fixed header up to and with the magic cookie.
const HEADER_LEN: usize = 240;
/// The smallest message a BOOTP relay or client must accept (RFC 1542
/// 2.1); replies are padded to it, as servers do.
const MIN_LEN: usize = 300;
const MAGIC: u32 = 0x6382_5363;
const HTYPE_ETHERNET: u8 = 1;

pub const OPT_PAD: u8 = 0;
pub const OPT_SUBNET_MASK: u8 = 1;
pub const OPT_ROUTER: u8 = 3;
pub const OPT_DNS: u8 = 6;
pub const OPT_MTU: u8 = 26;
pub const OPT_REQUESTED_IP: u8 = 50;
pub const OPT_LEASE_TIME: u8 = 51;
pub const OPT_MESSAGE_TYPE: u8 = 53;
pub const OPT_SERVER_ID: u8 = 54;
pub const OPT_RENEWAL_TIME: u8 = 58;
pub const OPT_REBINDING_TIME: u8 = 59;
pub const OPT_CLIENT_ID: u8 = 61;
pub const OPT_END: u8 = 255;

/// Why a message was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DhcpError {
    #[error("shorter than the 240-byte BOOTP header")]
    Truncated,
    #[error("hardware type or address length is not Ethernet's")]
    NotEthernet,
    #[error("no DHCP magic cookie")]
    NoMagic,
    #[error("an option runs past the end of the message")]
    OptionOverrun,
    #[error("no valid message type option")]
    NoMessageType,
    #[error("the message type does not go with the op code")]
    WrongOp,
}

/// One DHCP message, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhcpMessage {
    pub kind: DhcpMessageType,
    pub xid: u32,
    pub secs: u16,
    pub broadcast: bool,
    pub ciaddr: Ipv4Addr,
    pub yiaddr: Ipv4Addr,
    pub siaddr: Ipv4Addr,
    pub giaddr: Ipv4Addr,
    pub chaddr: [u8; 6],
    /// Every option but the message type and padding, in order.
    pub options: Vec<(u8, Vec<u8>)>,
}

/// Whether `kind` is one a client sends (BOOTREQUEST, op 1).
fn from_client(kind: DhcpMessageType) -> Option<bool> {
    use DhcpMessageType::*;
    match kind {
        Discover | Request | Decline | Release | Inform => Some(true),
        Offer | Ack | Nak => Some(false),
        Unknown(_) => None,
    }
}

impl DhcpMessage {
    /// A reply of `kind` to `req`: same transaction, client address and
    /// flags, no options yet.
    pub fn reply_to(req: &DhcpMessage, kind: DhcpMessageType) -> DhcpMessage {
        DhcpMessage {
            kind,
            xid: req.xid,
            secs: 0,
            broadcast: req.broadcast,
            ciaddr: Ipv4Addr::UNSPECIFIED,
            yiaddr: Ipv4Addr::UNSPECIFIED,
            siaddr: Ipv4Addr::UNSPECIFIED,
            giaddr: req.giaddr,
            chaddr: req.chaddr,
            options: Vec::new(),
        }
    }

    pub fn parse(buf: &[u8]) -> Result<DhcpMessage, DhcpError> {
        let p = DhcpPacket::new_checked(buf).map_err(|_| DhcpError::Truncated)?;
        if buf[1] != HTYPE_ETHERNET || p.hardware_len() != 6 {
            return Err(DhcpError::NotEthernet);
        }
        if p.magic_number() != MAGIC {
            return Err(DhcpError::NoMagic);
        }
        let mut kind = None;
        let mut options = Vec::new();
        let mut rest = &buf[HEADER_LEN..];
        while let Some((&code, tail)) = rest.split_first() {
            match code {
                OPT_PAD => {
                    rest = tail;
                    continue;
                }
                OPT_END => break,
                _ => {}
            }
            let (&len, tail) = tail.split_first().ok_or(DhcpError::OptionOverrun)?;
            let data = tail.get(..len as usize).ok_or(DhcpError::OptionOverrun)?;
            rest = &tail[len as usize..];
            match (code, data) {
                (OPT_MESSAGE_TYPE, &[t]) if kind.is_none() => kind = Some(t),
                (OPT_MESSAGE_TYPE, _) => return Err(DhcpError::NoMessageType),
                _ => options.push((code, data.to_vec())),
            }
        }
        let kind = DhcpMessageType::from(kind.ok_or(DhcpError::NoMessageType)?);
        let client = from_client(kind).ok_or(DhcpError::NoMessageType)?;
        if (buf[0] == 1) != client || !matches!(buf[0], 1 | 2) {
            return Err(DhcpError::WrongOp);
        }
        Ok(DhcpMessage {
            kind,
            xid: p.transaction_id(),
            secs: p.secs(),
            broadcast: p.flags().contains(smoltcp::wire::DhcpFlags::BROADCAST),
            ciaddr: p.client_ip(),
            yiaddr: p.your_ip(),
            siaddr: p.server_ip(),
            giaddr: p.relay_agent_ip(),
            chaddr: p.client_hardware_address().0,
            options,
        })
    }

    /// The message on the wire, padded to the BOOTP minimum. Options whose
    /// data exceeds 255 bytes are cut there (an option's length is a byte).
    pub fn emit(&self) -> Vec<u8> {
        let mut b = vec![0u8; HEADER_LEN];
        b[0] = if from_client(self.kind) == Some(true) {
            1
        } else {
            2
        };
        b[1] = HTYPE_ETHERNET;
        b[2] = 6;
        b[4..8].copy_from_slice(&self.xid.to_be_bytes());
        b[8..10].copy_from_slice(&self.secs.to_be_bytes());
        if self.broadcast {
            b[10] = 0x80;
        }
        b[12..16].copy_from_slice(&self.ciaddr.octets());
        b[16..20].copy_from_slice(&self.yiaddr.octets());
        b[20..24].copy_from_slice(&self.siaddr.octets());
        b[24..28].copy_from_slice(&self.giaddr.octets());
        b[28..34].copy_from_slice(&self.chaddr);
        b[236..240].copy_from_slice(&MAGIC.to_be_bytes());
        b.extend_from_slice(&[OPT_MESSAGE_TYPE, 1, u8::from(self.kind)]);
        for (code, data) in &self.options {
            let data = &data[..data.len().min(255)];
            b.extend_from_slice(&[*code, data.len() as u8]);
            b.extend_from_slice(data);
        }
        b.push(OPT_END);
        if b.len() < MIN_LEN {
            b.resize(MIN_LEN, OPT_PAD);
        }
        b
    }

    /// The data of the first option `code`.
    pub fn option(&self, code: u8) -> Option<&[u8]> {
        self.options
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, d)| &d[..])
    }

    /// An option holding one IPv4 address.
    pub fn option_addr(&self, code: u8) -> Option<Ipv4Addr> {
        let d: [u8; 4] = self.option(code)?.try_into().ok()?;
        Some(Ipv4Addr::from(d))
    }

    pub fn requested_ip(&self) -> Option<Ipv4Addr> {
        self.option_addr(OPT_REQUESTED_IP)
    }

    pub fn server_id(&self) -> Option<Ipv4Addr> {
        self.option_addr(OPT_SERVER_ID)
    }

    /// Who the client is: its client identifier, else its hardware address
    /// (RFC 2131 4.2).
    pub fn client_key(&self) -> Vec<u8> {
        match self.option(OPT_CLIENT_ID) {
            Some(id) if !id.is_empty() => id.to_vec(),
            _ => self.chaddr.to_vec(),
        }
    }

    pub fn chaddr(&self) -> EthernetAddress {
        EthernetAddress(self.chaddr)
    }

    pub fn push_addr(&mut self, code: u8, a: Ipv4Addr) {
        self.options.push((code, a.octets().to_vec()));
    }

    pub fn push_u32(&mut self, code: u8, v: u32) {
        self.options.push((code, v.to_be_bytes().to_vec()));
    }
}
