//! QMI round trips through the kernel, without libqmi: CTL Sync requests
//! written to a cdc-wdm device one at a time, each answer read back.
//! Prints the median and 90th percentile.
//!
//!     cargo run --release --example qmi_rtt -- /dev/cdc-wdm0 [COUNT]

use std::io::{Read, Write};
use std::time::Instant;
use vmodem_core::wire::qmi::{Message, MessageKind};
use vmodem_core::wire::qmux::Sender;
use vmodem_core::wire::{MessageId, ServiceId};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "/dev/cdc-wdm0".into());
    let count: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(500);
    let mut dev = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)?;
    let mut buf = vec![0u8; 4096];
    let mut rtts = Vec::with_capacity(count);
    for i in 0..count {
        let txn = (i % 255 + 1) as u16;
        let req = Message {
            sender: Sender::Host,
            service: ServiceId::Ctl,
            client: 0,
            kind: MessageKind::Request,
            txn,
            id: MessageId(0x0027),
            tlvs: vec![],
        }
        .to_bytes();
        let t0 = Instant::now();
        dev.write_all(&req)?;
        // cdc-wdm hands over one message per read; skip the Sync indication.
        loop {
            let n = dev.read(&mut buf)?;
            let Ok(m) = Message::parse(&buf[..n]) else {
                continue;
            };
            if m.kind == MessageKind::Response && m.txn == txn {
                break;
            }
        }
        rtts.push(t0.elapsed());
    }
    rtts.sort();
    let q = |p: usize| rtts[(rtts.len() * p / 100).min(rtts.len() - 1)];
    println!(
        "qmi_rtt: {path}: {count} CTL Sync round trips, median {:?}, p90 {:?}, min {:?}",
        q(50),
        q(90),
        rtts[0]
    );
    Ok(())
}
