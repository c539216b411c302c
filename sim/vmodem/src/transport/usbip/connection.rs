//! One USB/IP connection: the operation phase (a device list, or an
//! import the engine loop accepts or refuses), then URBs both ways.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};
use tracing::debug;
use vmodem_core::usbip::{Decoder, ExportedDevice, Op, Pdu};

/// What a connection task tells the engine loop.
pub(super) enum FromHost {
    /// A host wants the device; `accept` answers whether it gets it.
    Import {
        conn: u64,
        to_host: mpsc::UnboundedSender<Vec<u8>>,
        accept: oneshot::Sender<bool>,
    },
    Pdu(u64, Pdu),
    Closed(u64),
}

/// One TCP connection: the operation phase, then (if imported) URBs.
pub(super) async fn connection(
    conn: u64,
    mut stream: TcpStream,
    offer: watch::Receiver<Option<ExportedDevice>>,
    engine: mpsc::Sender<FromHost>,
) {
    let _ = stream.set_nodelay(true);
    if let Err(e) = serve_connection(conn, &mut stream, offer, &engine).await {
        debug!(conn, "USB/IP connection: {e:#}");
    }
    let _ = stream.shutdown().await;
    let _ = engine.send(FromHost::Closed(conn)).await;
}

async fn serve_connection(
    conn: u64,
    stream: &mut TcpStream,
    offer: watch::Receiver<Option<ExportedDevice>>,
    engine: &mpsc::Sender<FromHost>,
) -> anyhow::Result<()> {
    let mut dec = Decoder::new();
    let mut buf = vec![0u8; 64 * 1024];
    let op = loop {
        if let Some(op) = dec.next_op()? {
            break op;
        }
        let n = stream.read(&mut buf).await?;
        anyhow::ensure!(n > 0, "closed before a request");
        dec.push(&buf[..n]);
    };
    let busid = match op {
        Op::DevlistRequest => {
            let devs = offer.borrow().iter().cloned().collect();
            stream.write_all(&Op::DevlistReply(devs).emit()).await?;
            return Ok(());
        }
        Op::ImportRequest { busid } => busid,
        other => anyhow::bail!("unexpected operation {other:?}"),
    };
    let device = offer.borrow().clone().filter(|d| d.busid == busid);
    let (to_host, mut outgoing) = mpsc::unbounded_channel();
    let accepted = match device {
        Some(_) => {
            let (accept, answer) = oneshot::channel();
            engine
                .send(FromHost::Import {
                    conn,
                    to_host,
                    accept,
                })
                .await?;
            answer.await.unwrap_or(false)
        }
        None => false,
    };
    // A refusal is status 1 (the kernel's ST_NA: not available).
    let reply = Op::ImportReply {
        status: if accepted { 0 } else { 1 },
        device: device.filter(|_| accepted),
    };
    stream.write_all(&reply.emit()).await?;
    if !accepted {
        return Ok(());
    }
    loop {
        while let Some(pdu) = dec.next_pdu()? {
            engine.send(FromHost::Pdu(conn, pdu)).await?;
        }
        tokio::select! {
            r = stream.read(&mut buf) => {
                let n = r?;
                if n == 0 {
                    return Ok(());
                }
                dec.push(&buf[..n]);
            }
            out = outgoing.recv() => match out {
                Some(bytes) => stream.write_all(&bytes).await?,
                // The device left the bus.
                None => return Ok(()),
            },
        }
    }
}
