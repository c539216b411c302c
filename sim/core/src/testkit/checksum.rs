//! The Internet checksum (RFC 1071), over IPv4 headers and the pseudo
//! headers of ICMPv6 and UDP: written apart from the wire crate the
//! network uses, so that tests check its checksums against another
//! implementation.

/// Adds `data` to a running one's-complement sum.
pub fn add(mut sum: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum += u16::from_be_bytes([c[0], c[1]]) as u32;
    }
    if let [last] = chunks.remainder() {
        sum += (*last as u32) << 8;
    }
    sum
}

/// Folds a running sum into the final checksum.
pub fn finish(mut sum: u32) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

pub fn of(data: &[u8]) -> u16 {
    finish(add(0, data))
}

/// Sum of the IPv4 pseudo header for `proto` and `len` bytes of payload.
pub fn pseudo_v4(src: [u8; 4], dst: [u8; 4], proto: u8, len: usize) -> u32 {
    let s = add(add(0, &src), &dst);
    s + proto as u32 + len as u32
}

/// Sum of the IPv6 pseudo header.
pub fn pseudo_v6(src: &[u8; 16], dst: &[u8; 16], next: u8, len: usize) -> u32 {
    let s = add(add(0, src), dst);
    s + (len as u32 >> 16) + (len as u32 & 0xffff) + next as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // The worked example of RFC 1071 section 3: sum 0xddf2, checksum 0x220d.
        let d = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(of(&d), 0x220d);
    }

    #[test]
    fn a_valid_header_sums_to_zero() {
        // An IPv4 header with its checksum filled in.
        let h = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        assert_eq!(of(&h), 0);
    }
}
