//! Fragmentation (MBIM 1.0 section 9.2): a COMMAND, COMMAND_DONE or
//! INDICATE_STATUS larger than the negotiated MaxControlTransfer travels as
//! several transfers, each with its own header and a fragment header; the
//! bytes after the fragment header concatenate to the whole message's.

use super::{emit_header, FragmentHeader, MessageType, Packet, ProtocolError, HEADER_LEN};
use crate::time::{Duration, Instant};

const PREFIX: usize = HEADER_LEN + FragmentHeader::LEN;

/// The smallest MaxControlTransfer that still carries a fragment's headers
/// and some payload; the spec's floor is 64.
pub const MIN_CONTROL_TRANSFER: usize = 64;

/// Splits one whole encoded message into transfers of at most `max` bytes.
/// Messages that fit, or that cannot be fragmented, come back as they are.
pub fn split(whole: &[u8], max: usize) -> Vec<Vec<u8>> {
    let Ok(p) = Packet::new_checked(whole) else {
        return vec![whole.to_vec()];
    };
    let ty = p.message_type();
    if whole.len() <= max || !ty.is_fragmentable() || max <= PREFIX {
        return vec![whole.to_vec()];
    }
    let payload = &whole[PREFIX..];
    let chunk = max - PREFIX;
    let total = payload.len().div_ceil(chunk) as u32;
    payload
        .chunks(chunk)
        .enumerate()
        .map(|(i, c)| {
            let mut out = Vec::with_capacity(PREFIX + c.len());
            let frag = FragmentHeader {
                total,
                current: i as u32,
            };
            emit_header(
                &mut out,
                ty,
                PREFIX + c.len(),
                p.transaction_id(),
                Some(frag),
            );
            out.extend_from_slice(c);
            out
        })
        .collect()
}

/// How long the function waits for the next fragment of a message.
pub const FRAGMENT_TIMEOUT: Duration = Duration::from_millis(1250);

/// The largest message the function will reassemble.
pub const MAX_REASSEMBLED: usize = 64 * 1024;

/// A fragment the function cannot accept: answer FUNCTION_ERROR `error`
/// on transaction `txn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejected {
    pub txn: u32,
    pub error: ProtocolError,
}

#[derive(Debug, Clone)]
struct Partial {
    ty: MessageType,
    txn: u32,
    total: u32,
    next: u32,
    payload: Vec<u8>,
    last: Instant,
}

/// Collects host fragments into whole messages.
#[derive(Debug, Clone, Default)]
pub struct Reassembler {
    partial: Option<Partial>,
}

/// What one fragment produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reassembly {
    /// A whole message, encoded as one fragment.
    Whole(Vec<u8>),
    /// More fragments are needed.
    Pending,
}

impl Reassembler {
    /// True while a message is half received.
    pub fn in_progress(&self) -> bool {
        self.partial.is_some()
    }

    pub fn clear(&mut self) {
        self.partial = None;
    }

    /// A message in progress whose next fragment is overdue at `now`:
    /// it is dropped and its transaction must get TIMEOUT_FRAGMENT.
    pub fn expire(&mut self, now: Instant) -> Option<Rejected> {
        let p = self.partial.as_ref()?;
        if now < p.last + FRAGMENT_TIMEOUT {
            return None;
        }
        let txn = p.txn;
        self.partial = None;
        Some(Rejected {
            txn,
            error: ProtocolError::TIMEOUT_FRAGMENT,
        })
    }

    /// Takes one checked, fragmentable transfer.
    pub fn push(&mut self, p: &Packet<&[u8]>, now: Instant) -> Result<Reassembly, Rejected> {
        let txn = p.transaction_id();
        let reject = |error| Err(Rejected { txn, error });
        let Some(f) = p.fragment() else {
            return reject(ProtocolError::LENGTH_MISMATCH);
        };
        if f.total == 0 || f.current >= f.total {
            self.partial = None;
            return reject(ProtocolError::FRAGMENT_OUT_OF_SEQUENCE);
        }
        match &mut self.partial {
            None if f.current != 0 => reject(ProtocolError::FRAGMENT_OUT_OF_SEQUENCE),
            None if f.total == 1 => Ok(Reassembly::Whole(p.clone().into_inner().to_vec())),
            None => {
                self.partial = Some(Partial {
                    ty: p.message_type(),
                    txn,
                    total: f.total,
                    next: 1,
                    payload: p.body().to_vec(),
                    last: now,
                });
                Ok(Reassembly::Pending)
            }
            Some(q) => {
                let in_order = q.txn == txn
                    && q.ty == p.message_type()
                    && q.total == f.total
                    && q.next == f.current;
                if !in_order {
                    // The message in progress is lost as well: the host
                    // must start it again.
                    self.partial = None;
                    return reject(ProtocolError::FRAGMENT_OUT_OF_SEQUENCE);
                }
                if q.payload.len() + p.body().len() + PREFIX > MAX_REASSEMBLED {
                    self.partial = None;
                    return reject(ProtocolError::MAX_TRANSFER);
                }
                q.payload.extend_from_slice(p.body());
                q.next += 1;
                q.last = now;
                if q.next < q.total {
                    return Ok(Reassembly::Pending);
                }
                let q = self.partial.take().expect("in progress");
                let mut out = Vec::with_capacity(PREFIX + q.payload.len());
                emit_header(
                    &mut out,
                    q.ty,
                    PREFIX + q.payload.len(),
                    q.txn,
                    Some(FragmentHeader::WHOLE),
                );
                out.extend_from_slice(&q.payload);
                Ok(Reassembly::Whole(out))
            }
        }
    }
}
