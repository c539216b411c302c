//! One USB/IP connection: the operation phase (the device list, or an
//! import the named modem accepts or refuses), then URBs both ways
//! between the host and that modem. The operation phase has a deadline
//! and a place among a bounded number (`admission.rs`).

use super::admission::{Place, OP_DEADLINE};
use super::modem::ModemPort;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tracing::debug;
use vmodem_core::usbip::{Decoder, Op, Pdu};

/// Bytes read from the socket at once. A larger PDU (up to
/// `usbip::MAX_TRANSFER`) is assembled by the decoder; this only sets how
/// much one idle connection keeps allocated.
const READ_CHUNK: usize = 16 * 1024;

/// What a connection task tells the modem it imports.
pub(super) enum FromHost {
    /// A host wants the modem; `accept` answers whether it gets it.
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
    fleet: Arc<[ModemPort]>,
    place: Place,
) {
    let _ = stream.set_nodelay(true);
    // The modem asked for an import, once there is one: it hears the close.
    let mut modem = None;
    if let Err(e) = serve_connection(conn, &mut stream, &fleet, &mut modem, place).await {
        debug!(conn, "USB/IP connection: {e:#}");
    }
    let _ = stream.shutdown().await;
    if let Some(m) = modem {
        let _ = m.send(FromHost::Closed(conn)).await;
    }
}

async fn serve_connection(
    conn: u64,
    stream: &mut TcpStream,
    fleet: &[ModemPort],
    modem: &mut Option<mpsc::Sender<FromHost>>,
    mut place: Place,
) -> anyhow::Result<()> {
    let mut dec = Decoder::new();
    let mut buf = vec![0u8; READ_CHUNK];
    let phase = tokio::time::timeout(
        OP_DEADLINE,
        operation(conn, stream, fleet, modem, &mut dec, &mut buf),
    );
    let imported = tokio::select! {
        r = phase => match r {
            Ok(r) => r?,
            Err(_) => anyhow::bail!("no operation within {OP_DEADLINE:?}"),
        },
        _ = &mut place.evicted => anyhow::bail!("closed to make room"),
    };
    // An imported connection is the modem's bus: it leaves the queue.
    drop(place);
    let Some(mut outgoing) = imported else {
        return Ok(());
    };
    let Some(engine) = modem else {
        return Ok(());
    };
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
                Some(mut bytes) => {
                    // Completions of one turn of the modem go in one write.
                    while let Ok(more) = outgoing.try_recv() {
                        bytes.extend_from_slice(&more);
                    }
                    stream.write_all(&bytes).await?
                }
                // The device left the bus.
                None => return Ok(()),
            },
        }
    }
}

/// The operation phase: a device list (then `None`: the connection ends)
/// or an import, answered; accepted, the modem's completions for the host.
async fn operation(
    conn: u64,
    stream: &mut TcpStream,
    fleet: &[ModemPort],
    modem: &mut Option<mpsc::Sender<FromHost>>,
    dec: &mut Decoder,
    buf: &mut [u8],
) -> anyhow::Result<Option<mpsc::UnboundedReceiver<Vec<u8>>>> {
    let op = loop {
        if let Some(op) = dec.next_op()? {
            break op;
        }
        let n = stream.read(buf).await?;
        anyhow::ensure!(n > 0, "closed before a request");
        dec.push(&buf[..n]);
    };
    let busid = match op {
        Op::DevlistRequest => {
            // Modems off the bus (resetting) are not listed.
            let devs = fleet
                .iter()
                .filter_map(|m| m.offer.borrow().clone())
                .collect();
            stream.write_all(&Op::DevlistReply(devs).emit()).await?;
            return Ok(None);
        }
        Op::ImportRequest { busid } => busid,
        other => anyhow::bail!("unexpected operation {other:?}"),
    };
    let port = fleet.iter().find(|m| m.busid == busid);
    let device = port.and_then(|m| m.offer.borrow().clone());
    let (to_host, outgoing) = mpsc::unbounded_channel();
    let accepted = match (port, &device) {
        (Some(port), Some(_)) => {
            let engine = modem.insert(port.to_modem.clone());
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
        _ => false,
    };
    // A refusal is status 1 (the kernel's ST_NA: not available).
    let reply = Op::ImportReply {
        status: if accepted { 0 } else { 1 },
        device: device.filter(|_| accepted),
    };
    stream.write_all(&reply.emit()).await?;
    Ok(accepted.then_some(outgoing))
}
