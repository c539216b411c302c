//! What tests and benches build as a host would (cargo feature `testkit`,
//! never in the binary): USB/IP URBs and the completions that answer them
//! ([`usbip`]), IP packets with valid checksums ([`packet`]) and the
//! checksum itself ([`checksum`]). One
//! builder each, so that every test and bench sends the same bytes a real
//! host would.

pub mod checksum;
pub mod packet;
pub mod usbip;
