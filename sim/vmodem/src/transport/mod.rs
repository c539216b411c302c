//! Transports: thin adapters that carry the engine's frames to a host.

pub mod capture;
pub mod ffs;
mod gadget;
mod link;
pub mod pty;
pub mod tun;
pub mod usbip;

/// Sleeps until `wake`, or forever when nothing is scheduled.
pub async fn sleep_until(wake: Option<tokio::time::Instant>) {
    match wake {
        Some(w) => tokio::time::sleep_until(w).await,
        None => std::future::pending().await,
    }
}
