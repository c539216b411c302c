//! Echo replies written over a copy of the request, without recomputing
//! a checksum over the payload.
//!
//! A UDP echo swaps the ports: the checksum's pseudo-header sums the same
//! two addresses and the datagram the same words, so the one's complement
//! sum, and the checksum, stay as they were. An ICMP or ICMPv6 echo reply
//! changes only the type, so its checksum is adjusted for that one word
//! (RFC 1624, eqn. 3).

/// A UDP echo reply over `r`, a copy of the request datagram.
pub fn udp(r: &mut [u8], req: &[u8]) {
    r.copy_from_slice(req);
    r[0..2].copy_from_slice(&req[2..4]);
    r[2..4].copy_from_slice(&req[0..2]);
}

/// Sets the type of the ICMP or ICMPv6 message in `r` (at least its
/// 4-byte header) and adjusts its checksum for the change.
pub fn set_icmp_type(r: &mut [u8], ty: u8) {
    let old = u16::from_be_bytes([r[0], r[1]]);
    r[0] = ty;
    let new = u16::from_be_bytes([r[0], r[1]]);
    let sum = u16::from_be_bytes([r[2], r[3]]);
    r[2..4].copy_from_slice(&adjust(sum, old, new).to_be_bytes());
}

/// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), in one's complement.
fn adjust(checksum: u16, old: u16, new: u16) -> u16 {
    let mut s = u32::from(!checksum) + u32::from(!old) + u32::from(new);
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::checksum;

    #[test]
    fn an_adjusted_icmp_checksum_is_the_recomputed_one() {
        for data in [&b""[..], b"a", b"vmodem echo", &[0xff; 64], &[0; 64]] {
            let mut m = vec![8, 0, 0, 0, 0x12, 0x34, 0, 1];
            m.extend_from_slice(data);
            let c = checksum::of(&m);
            m[2..4].copy_from_slice(&c.to_be_bytes());
            set_icmp_type(&mut m, 0);
            assert_eq!(checksum::of(&m), 0, "reply verifies for {data:?}");
        }
    }

    #[test]
    fn a_udp_echo_swaps_the_ports_only() {
        let req = [0x12, 0x34, 0x00, 0x07, 0, 11, 0xab, 0xcd, b'h', b'i', b'!'];
        let mut r = [0; 11];
        udp(&mut r, &req);
        assert_eq!(r[..4], [0x00, 0x07, 0x12, 0x34]);
        assert_eq!(r[4..], req[4..]);
    }
}
