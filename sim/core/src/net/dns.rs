//! A tiny authoritative DNS server for the simulated network.
//!
//! Names under `vmodem.test` (RFC 6761 reserves `.test`):
//!
//! | Name | A | AAAA |
//! |---|---|---|
//! | `gateway.vmodem.test` | the bearer's IPv4 gateway | its IPv6 gateway |
//! | `dns.vmodem.test` | the first IPv4 DNS server | the first IPv6 DNS server |
//! | `echo.vmodem.test` | 192.0.2.1 | — |
//!
//! Other names under `vmodem.test` get NXDOMAIN; names elsewhere get
//! REFUSED (the server is not recursive). A query it cannot parse gets
//! FORMERR when it has at least a header, and no answer otherwise.

use crate::model::ApnProfile;
use std::net::Ipv4Addr;

const ZONE: &str = "vmodem.test";
const TTL: u32 = 60;
const TYPE_A: u16 = 1;
const TYPE_AAAA: u16 = 28;
const CLASS_IN: u16 = 1;

const NOERROR: u8 = 0;
const FORMERR: u8 = 1;
const NXDOMAIN: u8 = 3;
const NOTIMP: u8 = 4;
const REFUSED: u8 = 5;

/// The record data for `name` and `qtype`, if the zone has one.
fn lookup(s: &ApnProfile, name: &str, qtype: u16) -> Result<Option<Vec<u8>>, u8> {
    let Some(host) = name.strip_suffix(ZONE).map(|h| h.trim_end_matches('.')) else {
        return Err(REFUSED);
    };
    let (v4, v6) = match host {
        "gateway" => (Some(s.ipv4_gateway), s.ipv6_gateway),
        "dns" => (s.ipv4_dns.first().copied(), s.ipv6_dns.first().copied()),
        "echo" => (Some(Ipv4Addr::new(192, 0, 2, 1)), None),
        _ => return Err(NXDOMAIN),
    };
    Ok(match qtype {
        TYPE_A => v4.map(|a| a.octets().to_vec()),
        TYPE_AAAA => v6.map(|a| a.octets().to_vec()),
        _ => None,
    })
}

/// The response to one DNS query message, or `None` if it is not a query.
pub fn answer(s: &ApnProfile, q: &[u8]) -> Option<Vec<u8>> {
    if q.len() < 12 || q[2] & 0x80 != 0 {
        return None;
    }
    let reply = |rcode: u8, question: &[u8], answer: Option<&[u8]>, qdcount: u16| {
        let mut r = Vec::with_capacity(12 + question.len() + 32);
        r.extend_from_slice(&q[0..2]);
        // QR, opcode copied, AA; RD copied; RA clear; rcode.
        r.push(0x84 | (q[2] & 0x79));
        r.push(rcode);
        r.extend_from_slice(&qdcount.to_be_bytes());
        r.extend_from_slice(&(answer.is_some() as u16).to_be_bytes());
        r.extend_from_slice(&[0, 0, 0, 0]);
        r.extend_from_slice(question);
        if let Some(rdata) = answer {
            // The answer's name points back at the question (offset 12).
            r.extend_from_slice(&[0xc0, 0x0c]);
            r.extend_from_slice(&question[question.len() - 4..]);
            r.extend_from_slice(&TTL.to_be_bytes());
            r.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
            r.extend_from_slice(rdata);
        }
        r
    };
    let opcode = (q[2] >> 3) & 0x0f;
    let qdcount = u16::from_be_bytes([q[4], q[5]]);
    if opcode != 0 {
        return Some(reply(NOTIMP, &[], None, 0));
    }
    if qdcount != 1 {
        return Some(reply(FORMERR, &[], None, 0));
    }
    let Some((name, end)) = read_name(q, 12) else {
        return Some(reply(FORMERR, &[], None, 0));
    };
    if q.len() < end + 4 {
        return Some(reply(FORMERR, &[], None, 0));
    }
    let question = &q[12..end + 4];
    let qtype = u16::from_be_bytes([q[end], q[end + 1]]);
    let qclass = u16::from_be_bytes([q[end + 2], q[end + 3]]);
    if qclass != CLASS_IN {
        return Some(reply(REFUSED, question, None, 1));
    }
    Some(match lookup(s, &name.to_ascii_lowercase(), qtype) {
        Ok(rdata) => reply(NOERROR, question, rdata.as_deref(), 1),
        Err(rcode) => reply(rcode, question, None, 1),
    })
}

/// Reads an uncompressed name at `at`; returns it and the offset after it.
fn read_name(q: &[u8], mut at: usize) -> Option<(String, usize)> {
    let mut name = String::new();
    loop {
        let len = *q.get(at)? as usize;
        at += 1;
        if len == 0 {
            return Some((name, at));
        }
        // Queries carry no compression pointers; longer labels are invalid.
        if len > 63 || name.len() + len > 253 {
            return None;
        }
        let label = q.get(at..at + len)?;
        if !name.is_empty() {
            name.push('.');
        }
        name.push_str(std::str::from_utf8(label).ok()?);
        at += len;
    }
}
