//! What the host asks of the modem, counted for the dashboard: requests
//! per service and client, and the data path's bytes. Counters only; the
//! dashboard turns two readings into rates.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use vmodem_core::wire::ServiceId;

/// Distinct (service, client) pairs kept; a host that opens more is
/// counted under one "other" row, so a hostile one cannot grow memory.
pub const MAX_PAIRS: usize = 256;

#[derive(Debug, Default)]
pub struct Activity {
    requests: BTreeMap<(String, u8), u64>,
    other: u64,
}

impl Activity {
    /// One QMUX frame from the host (its header read, nothing trusted).
    pub fn qmi(&mut self, frame: &[u8]) {
        // QMUX: marker, length (2), flags, service, client.
        match frame {
            [0x01, _, _, _, service, client, ..] => {
                let name = match ServiceId(*service).name() {
                    Some(n) => n.to_lowercase(),
                    None => format!("0x{service:02x}"),
                };
                self.count(name, *client);
            }
            _ => self.other += 1,
        }
    }

    /// One MBIM control message: MBIM has one function and no clients.
    pub fn mbim(&mut self) {
        self.count("mbim".into(), 0);
    }

    fn count(&mut self, service: String, client: u8) {
        let full = self.requests.len() >= MAX_PAIRS;
        match self.requests.get_mut(&(service.clone(), client)) {
            Some(n) => *n += 1,
            None if full => self.other += 1,
            None => {
                self.requests.insert((service, client), 1);
            }
        }
    }

    /// The counters as JSON, with the data path's from `stats`.
    pub fn report(&self, t_ms: u64, stats: &vmodem_core::model::DataStats) -> Value {
        let requests: Vec<Value> = self
            .requests
            .iter()
            .map(|((s, c), n)| json!({"service": s, "client": c, "count": n}))
            .collect();
        json!({
            "t-ms": t_ms,
            "requests": requests,
            "other-requests": self.other,
            "data": {
                "rx-bytes": stats.rx_bytes,
                "tx-bytes": stats.tx_bytes,
                "rx-packets": stats.rx_packets,
                "tx-packets": stats.tx_packets,
                "dropped": stats.dropped,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_service_and_client_and_bounds_the_pairs() {
        let mut a = Activity::default();
        a.qmi(&[0x01, 12, 0, 0, 0x03, 2, 0]);
        a.qmi(&[0x01, 12, 0, 0, 0x03, 2, 0]);
        a.qmi(&[0x01, 12, 0, 0, 0x02, 1, 0]);
        a.qmi(&[0x07]);
        let r = a.report(5, &Default::default());
        let reqs = r["requests"].as_array().unwrap();
        assert!(reqs.contains(&json!({"service": "nas", "client": 2, "count": 2})));
        assert!(reqs.contains(&json!({"service": "dms", "client": 1, "count": 1})));
        assert_eq!(r["other-requests"], 1);
        for s in 0..=255u8 {
            for c in 0..4u8 {
                a.qmi(&[0x01, 12, 0, 0, s, c, 0]);
            }
        }
        assert_eq!(a.requests.len(), MAX_PAIRS);
        assert!(a.report(6, &Default::default())["other-requests"].as_u64() > Some(700));
    }
}
