//! The dashboard's listener: at most `MAX_CONNECTIONS` connections at
//! once (the next waits in the kernel's backlog until one closes), and a
//! failed accept is survived as the other listeners survive it.

use crate::accept::{self, Throttled};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Browser tabs keep a few connections each (the page, the event stream).
pub const MAX_CONNECTIONS: usize = 64;

pub struct Bounded {
    inner: TcpListener,
    permits: Arc<Semaphore>,
    errors: Throttled,
}

impl Bounded {
    pub fn new(inner: TcpListener) -> Bounded {
        Bounded {
            inner,
            permits: Arc::new(Semaphore::new(MAX_CONNECTIONS)),
            errors: Throttled::new("dashboard accept"),
        }
    }
}

/// A connection and its place among the `MAX_CONNECTIONS`.
pub struct Counted {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
}

impl axum::serve::Listener for Bounded {
    type Io = Counted;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Counted, Self::Addr) {
        // The semaphore is never closed.
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore open");
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    return (
                        Counted {
                            stream,
                            _permit: permit,
                        },
                        addr,
                    )
                }
                Err(e) => {
                    let (_, wait) = accept::failed(&mut self.errors, &e);
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
