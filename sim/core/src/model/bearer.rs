//! Packet data bearers: what WDS Start Network sets up.

use super::profile::ApnProfile;
use std::net::{Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpFamily {
    V4,
    V6,
}

/// One connected bearer.
#[derive(Debug, Clone, PartialEq)]
pub struct Bearer {
    /// The packet data handle given to the host.
    pub handle: u32,
    pub apn: String,
    pub family: IpFamily,
    pub settings: ApnProfile,
}

impl Bearer {
    pub fn ipv4(&self) -> (Ipv4Addr, u8, Ipv4Addr) {
        let s = &self.settings;
        (s.ipv4_address, s.ipv4_prefix, s.ipv4_gateway)
    }
    pub fn ipv6(&self) -> Option<(Ipv6Addr, u8, Option<Ipv6Addr>)> {
        let s = &self.settings;
        s.ipv6_address.map(|a| (a, s.ipv6_prefix, s.ipv6_gateway))
    }
}

/// Why a bearer could not be set up, in 3GPP terms (TS 24.008 10.5.6.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallEnd {
    /// Not registered: no service.
    NoService,
    /// Cause 27: missing or unknown APN.
    UnknownApn,
    /// Cause 50/51: the PDN does not offer this IP family.
    FamilyNotAllowed,
    /// The SIM is not ready.
    SimNotReady,
}

impl CallEnd {
    /// The 3GPP ESM/SM cause, where one applies.
    pub fn cause_3gpp(self) -> Option<u16> {
        match self {
            CallEnd::UnknownApn => Some(27),
            CallEnd::FamilyNotAllowed => Some(51),
            _ => None,
        }
    }
}
