//! QMI TLVs: `u8 type, u16le length, value`.

use super::{Error, Result};

/// Length of a TLV header.
pub const HEADER_LEN: usize = 3;

/// A checked zero-copy view of one TLV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlvPacket<'a> {
    ty: u8,
    value: &'a [u8],
}

impl<'a> TlvPacket<'a> {
    pub fn ty(&self) -> u8 {
        self.ty
    }
    pub fn value(&self) -> &'a [u8] {
        self.value
    }
    pub fn to_owned(&self) -> Tlv {
        Tlv::new(self.ty, self.value.to_vec())
    }
}

/// Iterates over the TLVs of a QMI message body; yields an error, then stops,
/// if a TLV header or value runs past the end.
#[derive(Debug, Clone)]
pub struct TlvIter<'a> {
    rest: &'a [u8],
}

impl<'a> TlvIter<'a> {
    pub fn new(body: &'a [u8]) -> Self {
        TlvIter { rest: body }
    }
}

impl<'a> Iterator for TlvIter<'a> {
    type Item = Result<TlvPacket<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        if self.rest.len() < HEADER_LEN {
            self.rest = &[];
            return Some(Err(Error::Truncated("TLV header")));
        }
        let ty = self.rest[0];
        let len = u16::from_le_bytes([self.rest[1], self.rest[2]]) as usize;
        if self.rest.len() < HEADER_LEN + len {
            self.rest = &[];
            return Some(Err(Error::BadLength("TLV value runs past the message")));
        }
        let value = &self.rest[HEADER_LEN..HEADER_LEN + len];
        self.rest = &self.rest[HEADER_LEN + len..];
        Some(Ok(TlvPacket { ty, value }))
    }
}

/// An owned TLV. Unknown types are kept as they are.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tlv {
    pub ty: u8,
    pub value: Vec<u8>,
}

impl Tlv {
    pub fn new(ty: u8, value: impl Into<Vec<u8>>) -> Self {
        Tlv {
            ty,
            value: value.into(),
        }
    }
    /// Bytes this TLV takes on the wire.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.value.len()
    }
    /// The length field, or `TooLong` for a value over 65535 bytes.
    pub fn encoded_len(&self) -> Result<u16> {
        u16::try_from(self.value.len()).map_err(|_| Error::TooLong("TLV value over 65535 bytes"))
    }
    /// Writes the TLV into `buf`, which must be `buffer_len()` bytes or more.
    /// A value too long for the 16-bit length is an error; nothing is
    /// written then.
    pub fn emit(&self, buf: &mut [u8]) -> Result<()> {
        let len = self.encoded_len()?;
        buf[0] = self.ty;
        buf[1..3].copy_from_slice(&len.to_le_bytes());
        buf[3..3 + self.value.len()].copy_from_slice(&self.value);
        Ok(())
    }
}

/// Parses a whole TLV body into owned TLVs.
pub fn parse_all(body: &[u8]) -> Result<Vec<Tlv>> {
    TlvIter::new(body)
        .map(|t| t.map(|t| t.to_owned()))
        .collect()
}

/// A cursor over one TLV value, for the fixed-layout fields inside it.
/// Every read checks bounds and names what was missing.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(value: &'a [u8]) -> Self {
        Reader { rest: value }
    }
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8]> {
        if self.rest.len() < n {
            return Err(Error::Truncated(what));
        }
        let (a, b) = self.rest.split_at(n);
        self.rest = b;
        Ok(a)
    }
    pub fn u8(&mut self, what: &'static str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }
    pub fn u16(&mut self, what: &'static str) -> Result<u16> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    pub fn u32(&mut self, what: &'static str) -> Result<u32> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub fn u64(&mut self, what: &'static str) -> Result<u64> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    /// A string with a `u8` length prefix (the form strings take inside structs).
    pub fn str_u8(&mut self, what: &'static str) -> Result<&'a [u8]> {
        let n = self.u8(what)? as usize;
        self.take(n, what)
    }
    /// Everything left (the form a string takes when it is the whole TLV).
    pub fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.rest)
    }
    /// Fails if anything is left over.
    pub fn finish(&self, what: &'static str) -> Result<()> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(Error::TrailingData(what))
        }
    }
}

/// Builds a TLV value field by field, little-endian.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn i8(&mut self, v: i8) -> &mut Self {
        self.u8(v as u8)
    }
    pub fn i16(&mut self, v: i16) -> &mut Self {
        self.u16(v as u16)
    }
    pub fn i32(&mut self, v: i32) -> &mut Self {
        self.u32(v as u32)
    }
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(v);
        self
    }
    /// A string with a `u8` length prefix. The profile checker keeps such
    /// strings within 255 bytes; a longer one is cut at the last whole
    /// character that fits, so the prefix always counts what follows.
    pub fn str_u8(&mut self, s: &str) -> &mut Self {
        let mut end = s.len().min(255);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        let b = &s.as_bytes()[..end];
        self.u8(end as u8).bytes(b)
    }
    pub fn len(&self) -> usize {
        self.buf.len()
    }
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
    pub fn into_vec(self) -> Vec<u8> {
        self.buf
    }
    pub fn take(&mut self) -> Vec<u8> {
        core::mem::take(&mut self.buf)
    }
}

impl From<Writer> for Vec<u8> {
    fn from(w: Writer) -> Vec<u8> {
        w.buf
    }
}
impl From<&mut Writer> for Vec<u8> {
    fn from(w: &mut Writer) -> Vec<u8> {
        w.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterates_and_rejects_overrun() {
        let body = [0x01, 0x01, 0x00, 0xAA, 0x10, 0x05, 0x00, 1, 2];
        let mut it = TlvIter::new(&body);
        let first = it.next().unwrap().unwrap();
        assert_eq!((first.ty(), first.value()), (0x01, &[0xAA][..]));
        assert_eq!(
            it.next().unwrap(),
            Err(Error::BadLength("TLV value runs past the message"))
        );
        assert!(it.next().is_none());
    }

    #[test]
    fn a_value_too_long_for_its_length_field_is_an_error() {
        let t = Tlv::new(1, vec![0u8; 65536]);
        let mut buf = vec![0u8; t.buffer_len()];
        assert_eq!(
            t.emit(&mut buf),
            Err(Error::TooLong("TLV value over 65535 bytes"))
        );
        assert!(buf.iter().all(|&b| b == 0), "nothing written");
        let t = Tlv::new(1, vec![7u8; 65535]);
        let mut buf = vec![0u8; t.buffer_len()];
        assert_eq!(t.emit(&mut buf), Ok(()));
        assert_eq!(&buf[1..3], &[0xff, 0xff]);
    }

    #[test]
    fn reader_names_what_is_missing() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.u16("pin id").unwrap(), 0x0201);
        assert_eq!(r.u16("retries"), Err(Error::Truncated("retries")));
    }
}
