//! The InformationBuffer of COMMAND, COMMAND_DONE and INDICATE_STATUS.
//!
//! A buffer has a fixed part (integers, UUIDs, and for variable data an
//! offset/size pair or a bare offset) followed by a variable part holding
//! the data, each item padded to 4 bytes. Offsets count from the start of
//! the buffer, or, inside a structure reached through an offset/size pair,
//! from the start of that structure. Strings are UTF-16LE without a NUL.

use super::{le32, Error, Result, Uuid};

/// A bounds-checked reader over a buffer (or a structure within one).
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }
    pub fn len(&self) -> usize {
        self.buf.len()
    }
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    fn slice(&self, at: usize, n: usize, what: &'static str) -> Result<&'a [u8]> {
        at.checked_add(n)
            .and_then(|end| self.buf.get(at..end))
            .ok_or(Error::Truncated(what))
    }

    pub fn u32(&self, at: usize) -> Result<u32> {
        self.slice(at, 4, "MBIM u32 field").map(|b| le32(b, 0))
    }

    pub fn uuid(&self, at: usize) -> Result<Uuid> {
        let b = self.slice(at, 16, "MBIM UUID field")?;
        Ok(Uuid::from_slice(b).expect("16 bytes"))
    }

    /// The data an offset/size pair at `at` points to; an empty slice when
    /// the size is zero (the offset is then ignored, as hosts send 0).
    pub fn ol(&self, at: usize) -> Result<&'a [u8]> {
        let offset = self.u32(at)? as usize;
        let size = self.u32(at + 4)? as usize;
        if size == 0 {
            return Ok(&[]);
        }
        self.slice(offset, size, "MBIM offset/size pair")
    }

    /// A UTF-16LE string through the offset/size pair at `at`.
    pub fn string(&self, at: usize) -> Result<String> {
        let data = self.ol(at)?;
        if data.len() % 2 != 0 {
            return Err(Error::BadLength("MBIM string of odd size"));
        }
        let units = data
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]));
        char::decode_utf16(units)
            .collect::<core::result::Result<String, _>>()
            .map_err(|_| Error::BadValue("MBIM string is not UTF-16"))
    }

    /// The structure an offset/size pair at `at` points to, as a reader
    /// whose offsets count from the structure's start.
    pub fn structure(&self, at: usize) -> Result<Reader<'a>> {
        let offset = self.u32(at)? as usize;
        self.ol(at)?;
        Ok(Reader {
            buf: self.buf.get(offset..).unwrap_or(&[]),
        })
    }
}

/// Builds a buffer: fixed fields in order, variable data appended after.
#[derive(Debug, Clone, Default)]
pub struct Writer {
    fixed: Vec<u8>,
    var: Vec<u8>,
    /// Places in `fixed` holding an offset into `var`, to be made relative
    /// to the buffer start once the fixed part's length is known.
    fixups: Vec<usize>,
}

impl Writer {
    pub fn new() -> Self {
        Writer::default()
    }

    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.fixed.extend_from_slice(&v.to_le_bytes());
        self
    }

    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.fixed.extend_from_slice(&v.to_le_bytes());
        self
    }

    pub fn uuid(&mut self, u: &Uuid) -> &mut Self {
        self.fixed.extend_from_slice(&u.0);
        self
    }

    /// Bytes in the fixed part (an embedded structure, an address).
    pub fn inline(&mut self, b: &[u8]) -> &mut Self {
        self.fixed.extend_from_slice(b);
        self
    }

    /// Appends `data` to the variable part; returns its offset there.
    fn push_var(&mut self, data: &[u8]) -> u32 {
        let at = self.var.len();
        self.var.extend_from_slice(data);
        self.var.resize(self.var.len().next_multiple_of(4), 0);
        at as u32
    }

    fn offset_field(&mut self, data: &[u8]) {
        if data.is_empty() {
            self.u32(0);
        } else {
            let at = self.push_var(data);
            self.fixups.push(self.fixed.len());
            self.u32(at);
        }
    }

    /// An offset/size pair to `data` (zero/zero when empty).
    pub fn ol(&mut self, data: &[u8]) -> &mut Self {
        self.offset_field(data);
        self.u32(data.len() as u32)
    }

    /// A bare offset to `data` (0 when empty): arrays whose count is a
    /// field of its own, and optional addresses.
    pub fn offset(&mut self, data: &[u8]) -> &mut Self {
        self.offset_field(data);
        self
    }

    /// A UTF-16LE string through an offset/size pair.
    pub fn string(&mut self, s: &str) -> &mut Self {
        let data: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
        self.ol(&data)
    }

    pub fn finish(mut self) -> Vec<u8> {
        let base = self.fixed.len() as u32;
        for at in self.fixups {
            let v = le32(&self.fixed, at) + base;
            self.fixed[at..at + 4].copy_from_slice(&v.to_le_bytes());
        }
        self.fixed.extend_from_slice(&self.var);
        self.fixed
    }
}

/// UTF-16LE bytes of `s`, for tests and callers building buffers by hand.
pub fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}
