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
use smoltcp::wire::{DnsFlags, DnsOpcode, DnsPacket, DnsRcode};
use std::net::Ipv4Addr;

const ZONE: &str = "vmodem.test";
const TTL: u32 = 60;
const TYPE_A: u16 = 1;
const TYPE_AAAA: u16 = 28;
const CLASS_IN: u16 = 1;
/// The fixed header: ID, flags and the four counts.
const HEADER_LEN: usize = 12;

/// The record data for `name` and `qtype`, if the zone has one.
fn lookup(s: &ApnProfile, name: &str, qtype: u16) -> Result<Option<Vec<u8>>, DnsRcode> {
    let Some(host) = name.strip_suffix(ZONE).map(|h| h.trim_end_matches('.')) else {
        return Err(DnsRcode::Refused);
    };
    let (v4, v6) = match host {
        "gateway" => (Some(s.ipv4_gateway), s.ipv6_gateway),
        "dns" => (s.ipv4_dns.first().copied(), s.ipv6_dns.first().copied()),
        "echo" => (Some(Ipv4Addr::new(192, 0, 2, 1)), None),
        _ => return Err(DnsRcode::NXDomain),
    };
    Ok(match qtype {
        TYPE_A => v4.map(|a| a.octets().to_vec()),
        TYPE_AAAA => v6.map(|a| a.octets().to_vec()),
        _ => None,
    })
}

/// The response to one DNS query message, or `None` if it is not a query.
pub fn answer(s: &ApnProfile, q: &[u8]) -> Option<Vec<u8>> {
    let p = DnsPacket::new_checked(q).ok()?;
    if p.flags().contains(DnsFlags::RESPONSE) {
        return None;
    }
    let reply = |rcode: DnsRcode, question: &[u8], answer: Option<&[u8]>, qdcount: u16| {
        let mut r = vec![0; HEADER_LEN];
        let mut h = DnsPacket::new_unchecked(&mut r[..]);
        h.set_transaction_id(p.transaction_id());
        h.set_opcode(p.opcode());
        // Authoritative; recursion desired copied, not available.
        h.set_flags(
            DnsFlags::RESPONSE
                | DnsFlags::AUTHORITATIVE
                | (p.flags() & DnsFlags::RECURSION_DESIRED),
        );
        h.set_question_count(qdcount);
        h.set_answer_record_count(u16::from(answer.is_some()));
        // The response code is the low nibble of the flags, which the view
        // has no setter for.
        r[3] |= u8::from(rcode) & 0x0f;
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
    if p.opcode() != DnsOpcode::Query {
        return Some(reply(DnsRcode::NotImp, &[], None, 0));
    }
    if p.question_count() != 1 {
        return Some(reply(DnsRcode::FormErr, &[], None, 0));
    }
    let body = p.payload();
    let Some((name, end)) = read_name(body) else {
        return Some(reply(DnsRcode::FormErr, &[], None, 0));
    };
    let Some(tail) = body.get(end..end + 4) else {
        return Some(reply(DnsRcode::FormErr, &[], None, 0));
    };
    let question = &body[..end + 4];
    let qtype = u16::from_be_bytes([tail[0], tail[1]]);
    let qclass = u16::from_be_bytes([tail[2], tail[3]]);
    if qclass != CLASS_IN {
        return Some(reply(DnsRcode::Refused, question, None, 1));
    }
    Some(match lookup(s, &name.to_ascii_lowercase(), qtype) {
        Ok(rdata) => reply(DnsRcode::NoError, question, rdata.as_deref(), 1),
        Err(rcode) => reply(rcode, question, None, 1),
    })
}

/// Reads the uncompressed name that starts `body`; returns it and the
/// offset after it.
fn read_name(body: &[u8]) -> Option<(String, usize)> {
    let mut at = 0;
    let mut name = String::new();
    loop {
        let len = *body.get(at)? as usize;
        at += 1;
        if len == 0 {
            return Some((name, at));
        }
        // Queries carry no compression pointers; longer labels are invalid.
        if len > 63 || name.len() + len > 253 {
            return None;
        }
        let label = body.get(at..at + len)?;
        if !name.is_empty() {
            name.push('.');
        }
        name.push_str(std::str::from_utf8(label).ok()?);
        at += len;
    }
}
