//! Who may use the dashboard. On loopback: requests naming this server as
//! their Host (so a web page elsewhere cannot reach it by DNS rebinding).
//! Elsewhere: the token printed at start, on every API request. Either
//! way a state-changing request is a POST whose Origin, when the browser
//! sends one (browsers always do on a POST), is this server's own, so a
//! page on another site cannot fire faults through a visitor's browser.

use axum::http::{header, HeaderMap};
use std::net::SocketAddr;

/// The header (or `token` query parameter, for `EventSource`) that carries
/// the token.
pub const TOKEN_HEADER: &str = "x-vmodem-token";

#[derive(Debug, Clone)]
pub struct Guard {
    /// Required off loopback.
    token: Option<String>,
    /// `Host` values accepted on loopback; empty: any (a token guards).
    hosts: Vec<String>,
}

impl Guard {
    /// The rules for a server bound at `addr`; `token` is required when
    /// the address is not loopback.
    pub fn new(addr: SocketAddr, token: Option<String>) -> Guard {
        let port = addr.port();
        let hosts = if addr.ip().is_loopback() {
            let mut h = vec![
                format!("localhost:{port}"),
                format!("127.0.0.1:{port}"),
                format!("[::1]:{port}"),
            ];
            let own = addr.to_string();
            if !h.contains(&own) {
                h.push(own);
            }
            h
        } else {
            Vec::new()
        };
        Guard { token, hosts }
    }

    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// A GET of the API (status, events): the host and the token.
    pub fn read(&self, headers: &HeaderMap, query_token: Option<&str>) -> Result<(), String> {
        if !self.hosts.is_empty() {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("");
            if !self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
                return Err(format!("Host `{host}` is not this dashboard's"));
            }
        }
        if let Some(want) = &self.token {
            let given = headers
                .get(TOKEN_HEADER)
                .and_then(|h| h.to_str().ok())
                .or(query_token)
                .unwrap_or("");
            if !same(given.as_bytes(), want.as_bytes()) {
                return Err("missing or wrong token (see the URL vmodem printed at start)".into());
            }
        }
        Ok(())
    }

    /// A POST: everything `read` checks (the token from the header only),
    /// and an Origin, if sent, that is this server's own.
    pub fn write(&self, headers: &HeaderMap) -> Result<(), String> {
        self.read(headers, None)?;
        let Some(origin) = headers.get(header::ORIGIN) else {
            return Ok(());
        };
        let origin = origin.to_str().unwrap_or("");
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let own = origin
            .strip_prefix("http://")
            .is_some_and(|o| !host.is_empty() && o.eq_ignore_ascii_case(host));
        if own {
            Ok(())
        } else {
            Err(format!("Origin `{origin}` is not this dashboard's"))
        }
    }
}

/// Compares without stopping at the first difference, so the time taken
/// says nothing about how much of a guess was right.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// A fresh token: 128 bits from the operating system's generator. Not a
/// simulated choice, so no seed: a token anyone could replay guards nothing.
pub fn new_token() -> std::io::Result<String> {
    use std::io::Read;
    let mut b = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut b)?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn loopback_accepts_its_own_host_and_origin_only() {
        let g = Guard::new("127.0.0.1:8080".parse().unwrap(), None);
        assert!(g
            .read(&headers(&[("host", "127.0.0.1:8080")]), None)
            .is_ok());
        assert!(g
            .read(&headers(&[("host", "localhost:8080")]), None)
            .is_ok());
        // DNS rebinding: another name resolving to 127.0.0.1.
        assert!(g
            .read(&headers(&[("host", "evil.example:8080")]), None)
            .is_err());
        let own = [
            ("host", "localhost:8080"),
            ("origin", "http://localhost:8080"),
        ];
        assert!(g.write(&headers(&own)).is_ok());
        assert!(g.write(&headers(&[("host", "localhost:8080")])).is_ok());
        let cross = [
            ("host", "localhost:8080"),
            ("origin", "http://evil.example"),
        ];
        assert!(g.write(&headers(&cross)).unwrap_err().contains("Origin"));
        let null = [("host", "localhost:8080"), ("origin", "null")];
        assert!(g.write(&headers(&null)).is_err());
    }

    #[test]
    fn elsewhere_the_token_is_required_and_the_origin_checked() {
        let g = Guard::new("0.0.0.0:8080".parse().unwrap(), Some("abc123".into()));
        let host = ("host", "192.0.2.7:8080");
        assert!(g.read(&headers(&[host]), None).is_err());
        assert!(g.read(&headers(&[host]), Some("abc124")).is_err());
        assert!(g.read(&headers(&[host]), Some("abc123")).is_ok());
        assert!(g
            .read(&headers(&[host, (TOKEN_HEADER, "abc123")]), None)
            .is_ok());
        let own = ("origin", "http://192.0.2.7:8080");
        assert!(g.write(&headers(&[host, own])).is_err());
        assert!(g
            .write(&headers(&[host, own, (TOKEN_HEADER, "abc123")]))
            .is_ok());
        let evil = ("origin", "http://evil.example");
        assert!(g
            .write(&headers(&[host, evil, (TOKEN_HEADER, "abc123")]))
            .is_err());
    }

    #[test]
    fn tokens_are_fresh() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
}
