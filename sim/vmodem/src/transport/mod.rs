//! Transports: thin adapters that carry the engine's frames to a host.

pub mod ffs;
pub mod pty;
