//! Transports: thin adapters that carry the engine's frames to a host.

pub mod capture;
pub mod composition;
mod core_queues;
pub mod ffs;
mod gadget;
pub mod gadgetfs;
mod link;
mod outq;
pub mod pty;
pub mod tun;
pub mod usbip;

/// wMaxCommand that qmi_wwan registers for cdc-wdm: the USB transports'
/// control channel.
pub const QMI_MAX_COMMAND: usize = 4096;

/// Sleeps until `wake`, or forever when nothing is scheduled.
pub async fn sleep_until(wake: Option<tokio::time::Instant>) {
    match wake {
        Some(w) => tokio::time::sleep_until(w).await,
        None => std::future::pending().await,
    }
}

/// Completes on Ctrl-C or SIGTERM (registered now, so neither is missed),
/// or once `after` has passed when given.
pub fn shutdown_signal(
    after: Option<std::time::Duration>,
) -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
            _ = sleep_for(after) => {}
        }
    })
}

/// Sleeps for `d`, or forever without one.
pub async fn sleep_for(d: Option<std::time::Duration>) {
    match d {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}
