//! Request accessors and response builders shared by the services.

use crate::wire::qmi::Message;
use crate::wire::tlv::{Reader, Tlv, Writer};
use crate::wire::{self, ProtocolError};
use std::net::{Ipv4Addr, Ipv6Addr};

/// Response TLVs, built in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tlvs(pub Vec<Tlv>);

impl Tlvs {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn push(&mut self, ty: u8, value: impl Into<Vec<u8>>) -> &mut Self {
        self.0.push(Tlv::new(ty, value));
        self
    }
    pub fn u8(&mut self, ty: u8, v: u8) -> &mut Self {
        self.push(ty, [v])
    }
    pub fn u16(&mut self, ty: u8, v: u16) -> &mut Self {
        self.push(ty, v.to_le_bytes())
    }
    pub fn u32(&mut self, ty: u8, v: u32) -> &mut Self {
        self.push(ty, v.to_le_bytes())
    }
    pub fn u64(&mut self, ty: u8, v: u64) -> &mut Self {
        self.push(ty, v.to_le_bytes())
    }
    /// A string that fills its TLV (no length prefix).
    pub fn str(&mut self, ty: u8, s: &str) -> &mut Self {
        self.push(ty, s.as_bytes())
    }
    /// QMI carries IPv4 addresses as a little-endian u32.
    pub fn ipv4(&mut self, ty: u8, a: Ipv4Addr) -> &mut Self {
        self.u32(ty, u32::from(a))
    }
    /// An IPv6 address followed by its prefix length.
    pub fn ipv6(&mut self, ty: u8, a: Ipv6Addr, prefix: u8) -> &mut Self {
        let mut v = a.octets().to_vec();
        v.push(prefix);
        self.push(ty, v)
    }
    /// A TLV whose value is built field by field.
    pub fn with(&mut self, ty: u8, f: impl FnOnce(&mut Writer)) -> &mut Self {
        let mut w = Writer::new();
        f(&mut w);
        self.push(ty, w.into_vec())
    }
    pub fn get(&self, ty: u8) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|t| t.ty == ty)
            .map(|t| t.value.as_slice())
    }
    pub fn take(&mut self) -> Tlvs {
        core::mem::take(self)
    }
}

/// A refused request: the QMI error and any TLVs that explain it (retries
/// left, call end reason...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub error: ProtocolError,
    pub tlvs: Tlvs,
}

impl Failure {
    pub fn new(error: ProtocolError) -> Self {
        Failure {
            error,
            tlvs: Tlvs::new(),
        }
    }
    pub fn with_tlvs(error: ProtocolError, tlvs: Tlvs) -> Self {
        Failure { error, tlvs }
    }
}

impl From<ProtocolError> for Failure {
    fn from(e: ProtocolError) -> Self {
        Failure::new(e)
    }
}

/// A TLV value that did not parse is a malformed message.
impl From<wire::Error> for Failure {
    fn from(_: wire::Error) -> Self {
        Failure::new(ProtocolError::MalformedMessage)
    }
}

pub type Reply = Result<Tlvs, Failure>;

/// A request as a service sees it.
#[derive(Debug, Clone, Copy)]
pub struct Req<'a> {
    pub msg: &'a Message,
}

impl<'a> Req<'a> {
    pub fn new(msg: &'a Message) -> Self {
        Req { msg }
    }
    pub fn id(&self) -> u16 {
        self.msg.id.0
    }
    pub fn tlv(&self, ty: u8) -> Option<&'a [u8]> {
        self.msg.tlv(ty)
    }
    /// A mandatory TLV: absent means MissingArgument.
    pub fn need(&self, ty: u8) -> Result<&'a [u8], Failure> {
        self.tlv(ty)
            .ok_or_else(|| Failure::new(ProtocolError::MissingArgument))
    }
    /// Parses an optional TLV with `f`, which must consume it whole.
    pub fn parse<T>(
        &self,
        ty: u8,
        f: impl FnOnce(&mut Reader<'a>) -> wire::Result<T>,
    ) -> Result<Option<T>, Failure> {
        match self.tlv(ty) {
            None => Ok(None),
            Some(v) => {
                let mut r = Reader::new(v);
                let t = f(&mut r)?;
                r.finish("TLV")?;
                Ok(Some(t))
            }
        }
    }
    /// Parses a mandatory TLV with `f`.
    pub fn parse_need<T>(
        &self,
        ty: u8,
        f: impl FnOnce(&mut Reader<'a>) -> wire::Result<T>,
    ) -> Result<T, Failure> {
        self.parse(ty, f)?
            .ok_or_else(|| Failure::new(ProtocolError::MissingArgument))
    }
    pub fn u8(&self, ty: u8) -> Result<Option<u8>, Failure> {
        self.parse(ty, |r| r.u8("u8"))
    }
    pub fn u16(&self, ty: u8) -> Result<Option<u16>, Failure> {
        self.parse(ty, |r| r.u16("u16"))
    }
    pub fn u32(&self, ty: u8) -> Result<Option<u32>, Failure> {
        self.parse(ty, |r| r.u32("u32"))
    }
    pub fn u64(&self, ty: u8) -> Result<Option<u64>, Failure> {
        self.parse(ty, |r| r.u64("u64"))
    }
    /// A string TLV (no length prefix), lossily decoded.
    pub fn string(&self, ty: u8) -> Option<String> {
        self.tlv(ty).map(|v| {
            String::from_utf8_lossy(v)
                .trim_end_matches('\0')
                .to_string()
        })
    }
}
