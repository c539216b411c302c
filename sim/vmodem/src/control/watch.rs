//! A `watch` client's queue: bounded, so that a client that never reads
//! costs at most `WATCH_QUEUE` records, and honest, so that a client that
//! fell behind reads `{"event":"lagged","skipped":N}` where N records
//! were left out, in the place they would have been.

use tokio::sync::mpsc;

/// Records queued for one watcher. An event record is about 100 bytes, so
/// a stuck watcher holds some 25 KiB here (plus what the kernel's socket
/// buffer took); a reading one is never close, since a burst of faults
/// makes a few dozen records.
pub const WATCH_QUEUE: usize = 256;

/// The event loop's end of one watcher.
pub struct Watcher {
    tx: mpsc::Sender<String>,
    /// Records left out since the last one queued.
    skipped: u64,
}

impl Watcher {
    pub fn channel() -> (Watcher, mpsc::Receiver<String>) {
        let (tx, rx) = mpsc::channel(WATCH_QUEUE);
        (Watcher { tx, skipped: 0 }, rx)
    }

    /// Queues one record line; false once the client has gone.
    pub fn send(&mut self, line: &str) -> bool {
        use mpsc::error::TrySendError;
        if self.skipped > 0 {
            match self.tx.try_send(lagged(self.skipped)) {
                Ok(()) => self.skipped = 0,
                Err(TrySendError::Full(_)) => {
                    self.skipped += 1;
                    return true;
                }
                Err(TrySendError::Closed(_)) => return false,
            }
        }
        match self.tx.try_send(line.to_string()) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                self.skipped += 1;
                true
            }
            Err(TrySendError::Closed(_)) => false,
        }
    }
}

/// The record that stands for `n` records a watcher did not get.
fn lagged(n: u64) -> String {
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    serde_json::json!({"event": "lagged", "skipped": n, "wall-ms": wall}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_watcher_that_lags_reads_how_many_records_it_missed() {
        let (mut w, mut rx) = Watcher::channel();
        for i in 0..WATCH_QUEUE + 10 {
            assert!(w.send(&format!("{{\"n\":{i}}}")));
        }
        // The client reads everything queued, then two more records come.
        let mut got = Vec::new();
        while let Ok(l) = rx.try_recv() {
            got.push(l);
        }
        assert_eq!(got.len(), WATCH_QUEUE);
        assert!(w.send("{\"n\":\"late\"}"));
        let marker: serde_json::Value = serde_json::from_str(&rx.try_recv().unwrap()).unwrap();
        assert_eq!(marker["event"], "lagged");
        assert_eq!(marker["skipped"], 10);
        assert_eq!(rx.try_recv().unwrap(), "{\"n\":\"late\"}");
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn a_gone_watcher_is_dropped() {
        let (mut w, rx) = Watcher::channel();
        drop(rx);
        assert!(!w.send("{}"));
    }
}
