//! The checked view of one NTB.

use super::{le16, le32, Error, Format, Stream, MAX_NDPS};

/// A zero-copy view of an NTB in a transfer.
///
/// What `new_checked` accepts (NCM 1.0 section 3, MBIM 1.0 section 7):
/// an NTH of either format with its own wHeaderLength; a wBlockLength
/// that fits the transfer, 0 meaning "the whole transfer"; a chain of at
/// most [`MAX_NDPS`] NDPs, each at a multiple of 4 past the NTH, with an
/// IPS or DSS signature of the block's format, a wLength of whole entries
/// holding at least one datagram and the null entry, inside the block;
/// every datagram past the NTH and inside the block. Bytes after the
/// block are padding and ignored. Datagram alignment and wSequence are
/// not checked: they are the sender's business.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    pub fn new_unchecked(buffer: T) -> Packet<T> {
        Packet { buffer }
    }

    /// Wraps `buffer` after checking all of it (see the type's comment).
    pub fn new_checked(buffer: T) -> Result<Packet<T>, Error> {
        let p = Packet::new_unchecked(buffer);
        p.check()?;
        Ok(p)
    }

    /// The format, from the NTH signature.
    pub fn check_nth(&self) -> Result<Format, Error> {
        let b = self.buffer.as_ref();
        let short = Error::ShortTransfer { len: b.len() };
        if b.len() < Format::Ntb16.nth_len() {
            return Err(short);
        }
        let sig = le32(b, 0).ok_or(short)?;
        let format = Format::detect(sig).ok_or(Error::NthSignature(sig))?;
        if b.len() < format.nth_len() {
            return Err(short);
        }
        let header = le16(b, 4).ok_or(short)?;
        if header as usize != format.nth_len() {
            return Err(Error::HeaderLength(header));
        }
        Ok(format)
    }

    pub fn check(&self) -> Result<(), Error> {
        let format = self.check_nth()?;
        let b = self.buffer.as_ref();
        let block = self.block_len();
        let min = format.nth_len() + format.ndp_min_len();
        if block < min {
            return Err(Error::BlockTooShort(block as u32));
        }
        if block > b.len() {
            return Err(Error::BlockPastTransfer {
                block: block as u32,
                transfer: b.len(),
            });
        }
        let block = &b[..block];
        let mut visited = [0u32; MAX_NDPS];
        let mut next = self.ndp_index();
        if next == 0 {
            return Err(Error::NoNdp);
        }
        let mut n = 0;
        while next != 0 {
            if visited[..n].contains(&next) {
                return Err(Error::NdpLoop(next));
            }
            if n == MAX_NDPS {
                return Err(Error::TooManyNdps);
            }
            visited[n] = next;
            n += 1;
            next = check_ndp(format, block, next)?;
        }
        Ok(())
    }

    /// The format its signature names (NTB16 for an unknown one).
    pub fn format(&self) -> Format {
        le32(self.buffer.as_ref(), 0)
            .and_then(Format::detect)
            .unwrap_or(Format::Ntb16)
    }
    /// wSequence.
    pub fn sequence(&self) -> u16 {
        le16(self.buffer.as_ref(), 6).unwrap_or(0)
    }
    /// The wBlockLength field as sent.
    pub fn block_len_field(&self) -> u32 {
        self.format()
            .block_len_field(self.buffer.as_ref())
            .unwrap_or(0)
    }
    /// The block's length: wBlockLength, or the transfer's when it is 0.
    pub fn block_len(&self) -> usize {
        match self.block_len_field() {
            0 => self.buffer.as_ref().len(),
            n => n as usize,
        }
    }
    /// wNdpIndex: where the first NDP is.
    pub fn ndp_index(&self) -> u32 {
        self.format()
            .first_ndp_field(self.buffer.as_ref())
            .unwrap_or(0)
    }
    /// The block's bytes (the transfer without trailing padding).
    pub fn block(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        &b[..self.block_len().min(b.len())]
    }
    /// The NDPs in chain order.
    pub fn ndps(&self) -> Ndps<'_> {
        Ndps {
            block: self.block(),
            format: self.format(),
            next: self.ndp_index(),
            seen: 0,
        }
    }
    /// Every datagram, NDP by NDP in chain order.
    pub fn datagrams(&self) -> Datagrams<'_> {
        Datagrams {
            ndps: self.ndps(),
            current: None,
            entry: 0,
        }
    }
    pub fn into_inner(self) -> T {
        self.buffer
    }
}

/// Checks the NDP at `index` and its pointers; gives wNextNdpIndex.
fn check_ndp(format: Format, block: &[u8], index: u32) -> Result<u32, Error> {
    if index % 4 != 0 {
        return Err(Error::NdpMisaligned(index));
    }
    let at = index as usize;
    let nth = format.nth_len();
    let header = format.ndp_header_len();
    if at < nth || at.saturating_add(header) > block.len() {
        return Err(Error::NdpOutOfRange(index));
    }
    let out_of_range = Error::NdpOutOfRange(index);
    let sig = le32(block, at).ok_or(out_of_range)?;
    Stream::from_signature(sig, format).ok_or(Error::NdpSignature(sig))?;
    let len = le16(block, at + 4).ok_or(out_of_range)?;
    if (len as usize) < format.ndp_min_len() {
        return Err(Error::NdpTooShort(len));
    }
    if len as usize % format.ndp_len_multiple() != 0 {
        return Err(Error::NdpLengthMisaligned(len));
    }
    if at + len as usize > block.len() {
        return Err(Error::NdpPastBlock { index, len });
    }
    let entries = (len as usize - header) / format.entry_len();
    let mut terminated = false;
    for e in 0..entries {
        let (di, dl) = format
            .entry_at(block, at + header + e * format.entry_len())
            .ok_or(out_of_range)?;
        if di == 0 || dl == 0 {
            if e == 0 {
                return Err(Error::EmptyNdp(index));
            }
            terminated = true;
            break;
        }
        if (di as usize) < nth || di as u64 + dl as u64 > block.len() as u64 {
            return Err(Error::DatagramOutOfRange { index: di, len: dl });
        }
    }
    if !terminated {
        return Err(Error::NdpUnterminated(index));
    }
    format.next_ndp_field(block, at).ok_or(out_of_range)
}

/// One NDP as found in the block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ndp {
    /// Its offset in the block.
    pub index: u32,
    /// Its signature, `None` when it names no MBIM stream (only in an
    /// unchecked packet).
    pub stream: Option<Stream>,
    /// wLength.
    pub len: u16,
}

/// The NDP chain, bounded by [`MAX_NDPS`] and the block's bytes even on
/// an unchecked packet.
#[derive(Debug, Clone)]
pub struct Ndps<'a> {
    block: &'a [u8],
    format: Format,
    next: u32,
    seen: usize,
}

impl Iterator for Ndps<'_> {
    type Item = Ndp;
    fn next(&mut self) -> Option<Ndp> {
        if self.next == 0 || self.seen == MAX_NDPS {
            return None;
        }
        self.seen += 1;
        let index = self.next;
        let at = index as usize;
        let (Some(sig), Some(len), Some(next)) = (
            le32(self.block, at),
            le16(self.block, at + 4),
            self.format.next_ndp_field(self.block, at),
        ) else {
            self.next = 0;
            return None;
        };
        self.next = next;
        Some(Ndp {
            index,
            stream: Stream::from_signature(sig, self.format),
            len,
        })
    }
}

/// One datagram and the stream its NDP names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Datagram<'a> {
    pub stream: Stream,
    pub payload: &'a [u8],
}

/// The datagrams of a packet. On a checked packet it yields exactly what
/// the pointers describe; on an unchecked one it stops at the first thing
/// that does not fit, without panicking.
#[derive(Debug, Clone)]
pub struct Datagrams<'a> {
    ndps: Ndps<'a>,
    current: Option<Ndp>,
    entry: usize,
}

impl<'a> Iterator for Datagrams<'a> {
    type Item = Datagram<'a>;
    fn next(&mut self) -> Option<Datagram<'a>> {
        loop {
            let ndp = match self.current {
                Some(n) => n,
                None => {
                    self.current = Some(self.ndps.next()?);
                    self.entry = 0;
                    continue;
                }
            };
            let format = self.ndps.format;
            let block = self.ndps.block;
            let at = ndp.index as usize + format.ndp_header_len() + self.entry * format.entry_len();
            let in_table = at + format.entry_len() <= ndp.index as usize + ndp.len as usize;
            let entry = if in_table {
                format.entry_at(block, at)
            } else {
                None
            };
            let (stream, (di, dl)) = match (ndp.stream, entry) {
                (Some(s), Some(e)) if e.0 != 0 && e.1 != 0 => (s, e),
                _ => {
                    self.current = None;
                    continue;
                }
            };
            self.entry += 1;
            let end = (di as usize).saturating_add(dl as usize);
            let Some(payload) = block.get(di as usize..end) else {
                self.current = None;
                continue;
            };
            return Some(Datagram { stream, payload });
        }
    }
}
