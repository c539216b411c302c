//! Bounds on connections that have not imported a modem yet.
//!
//! An imported connection is a modem's bus: there are at most `--modems`
//! of them, since a modem refuses a second import. Before that, a
//! connection is only a promise of one operation, so it gets a deadline
//! (`OP_DEADLINE`) and a place among at most `MAX_PENDING` others. When
//! the places are full, or the process runs out of file descriptors, the
//! connection that has waited longest is closed to make room: a real
//! client sends its request the moment it connects, so the oldest silent
//! one is the likeliest to be idle (docs/usbip.md, "Limits").

use crate::accept::Throttled;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// Connections waiting for their operation at once. `usbip attach` and
/// `usbip list` each hold one for a round trip on loopback (well under a
/// millisecond), so 256 covers a host attaching a whole fleet at once
/// while keeping far below the usual 1024-descriptor limit.
pub const MAX_PENDING: usize = 256;

/// How long a connection may take to send its operation and read the
/// reply. The usbip tools send theirs as soon as they connect; five
/// seconds leaves room for a slow link, and bounds how long an idle
/// connection holds a descriptor.
pub const OP_DEADLINE: Duration = Duration::from_secs(5);

/// The connections in their operation phase, oldest first.
#[derive(Clone)]
pub struct Pending(Arc<Mutex<Inner>>);

struct Inner {
    waiting: BTreeMap<u64, oneshot::Sender<()>>,
    log: Throttled,
}

/// A connection's place; it leaves when dropped.
pub struct Place {
    conn: u64,
    pending: Pending,
    /// Completes when the connection was closed to make room.
    pub evicted: oneshot::Receiver<()>,
}

impl Pending {
    pub fn new() -> Pending {
        Pending(Arc::new(Mutex::new(Inner {
            waiting: BTreeMap::new(),
            log: Throttled::new("USB/IP"),
        })))
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic cannot leave the map half-updated: recover it.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A place for connection `conn` (ids grow), evicting the oldest
    /// waiting one if every place is taken.
    pub fn admit(&self, conn: u64) -> Place {
        let (tx, evicted) = oneshot::channel();
        let mut inner = self.inner();
        if inner.waiting.len() >= MAX_PENDING {
            evict_oldest(&mut inner, "every place for a new connection is taken");
        }
        inner.waiting.insert(conn, tx);
        Place {
            conn,
            pending: self.clone(),
            evicted,
        }
    }

    /// Closes the oldest waiting connection to free its descriptor.
    pub fn evict_oldest(&self, why: &str) -> bool {
        evict_oldest(&mut self.inner(), why)
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.inner().waiting.len()
    }
}

fn evict_oldest(inner: &mut Inner, why: &str) -> bool {
    match inner.waiting.pop_first() {
        Some((conn, tx)) => {
            let _ = tx.send(());
            inner.log.warn(&format_args!(
                "{why}: closed connection {conn}, which had sent no operation"
            ));
            true
        }
        None => false,
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        self.pending.inner().waiting.remove(&self.conn);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_waiting_connection_makes_room() {
        let pending = Pending::new();
        let mut places: Vec<Place> = (0..MAX_PENDING as u64).map(|c| pending.admit(c)).collect();
        assert_eq!(pending.len(), MAX_PENDING);
        let newest = pending.admit(MAX_PENDING as u64);
        assert_eq!(pending.len(), MAX_PENDING);
        assert!(places[0].evicted.try_recv().is_ok(), "connection 0 closed");
        assert!(places[1].evicted.try_recv().is_err(), "connection 1 kept");
        drop(places);
        assert_eq!(pending.len(), 1);
        drop(newest);
        assert_eq!(pending.len(), 0);
    }

    #[test]
    fn a_descriptor_shortage_closes_the_oldest() {
        let pending = Pending::new();
        let mut a = pending.admit(7);
        let mut b = pending.admit(9);
        assert!(pending.evict_oldest("test"));
        assert!(a.evicted.try_recv().is_ok());
        assert!(b.evicted.try_recv().is_err());
        drop(a);
        assert_eq!(pending.len(), 1);
        assert!(pending.evict_oldest("test"));
        assert!(!pending.evict_oldest("test"));
    }
}
