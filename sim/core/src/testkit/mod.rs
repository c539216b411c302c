//! What tests and benches build as a host would (cargo feature `testkit`,
//! never in the binary): USB/IP URBs and the completions that answer them
//! ([`usbip`]), IP packets with valid checksums ([`packet`]), the
//! checksum itself ([`checksum`]) and a connected modem ([`modem`]). One
//! builder each, so that every test and bench sends the same bytes a real
//! host would.

pub mod checksum;
pub mod modem;
pub mod packet;
pub mod usbip;
