//! UDP replies of the simulated hosts (echo and DNS), over either IP.

use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{IpAddress, UdpPacket, UdpRepr, UDP_HEADER_LEN};

/// The datagram answering `req` with `data`, from `src` to `dst` (the
/// request's destination and source), checksum filled in.
pub fn reply(src: IpAddress, dst: IpAddress, req: &UdpPacket<&[u8]>, data: &[u8]) -> Vec<u8> {
    datagram(src, dst, req.dst_port(), req.src_port(), data)
}

/// A datagram from `src`:`src_port` to `dst`:`dst_port`, checksum filled in.
pub fn datagram(
    src: IpAddress,
    dst: IpAddress,
    src_port: u16,
    dst_port: u16,
    data: &[u8],
) -> Vec<u8> {
    let repr = UdpRepr { src_port, dst_port };
    let mut r = vec![0; UDP_HEADER_LEN + data.len()];
    repr.emit(
        &mut UdpPacket::new_unchecked(&mut r[..]),
        &src,
        &dst,
        data.len(),
        |p| p.copy_from_slice(data),
        &ChecksumCapabilities::default(),
    );
    r
}
