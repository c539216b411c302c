//! The USB/IP path without sockets: a host's CMD_SUBMIT bytes through the
//! stream decoder into the device core and the RET_SUBMIT bytes back, for
//! a 1500-byte bulk OUT and a pending bulk IN that a 1500-byte packet
//! completes. What the server adds per URB on top of the engine.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use vmodem_core::model::Profile;
use vmodem_core::usb::{PortRole, TransferKind, Urb, UsbDevice, UsbPersonality};
use vmodem_core::usbip::{Decoder, Pdu, RetSubmit};

fn submit(seqnum: u32, dir_in: bool, ep: u8, data: Vec<u8>, length: u32) -> Vec<u8> {
    vmodem_core::testkit::usbip::submit(seqnum, ep, dir_in, [0; 8], length, &data)
}

fn configured() -> UsbDevice {
    let mut d = UsbDevice::new(UsbPersonality::application_qmi(&Profile::default()), 4096);
    d.submit(Urb {
        id: 0,
        endpoint: 0,
        setup: [0, 9, 1, 0, 0, 0, 0, 0],
        length: 0,
        data: vec![],
    });
    while d.poll_completion().is_some() {}
    d
}

/// Decodes every PDU in `dec`, feeds the device, and encodes the replies.
fn pump(dec: &mut Decoder, dev: &mut UsbDevice, out: &mut Vec<u8>) {
    while let Ok(Some(Pdu::Submit(s))) = dec.next_pdu() {
        dev.submit(Urb {
            id: s.seqnum,
            endpoint: s.ep | if s.dir_in { 0x80 } else { 0 },
            setup: s.setup,
            length: s.transfer_buffer_length,
            data: s.data,
        });
    }
    while dev.poll_host().is_some() {}
    while let Some(c) = dev.poll_completion() {
        out.extend_from_slice(
            &Pdu::RetSubmit(RetSubmit {
                seqnum: c.id,
                status: 0,
                actual_length: c.actual_length,
                data: c.data,
                error_count: 0,
            })
            .emit(),
        );
    }
}

fn bench(c: &mut Criterion) {
    let packet = vec![0x45u8; 1500];
    let mut g = c.benchmark_group("usbip");
    g.throughput(Throughput::Bytes(packet.len() as u64));
    g.bench_function("bulk OUT 1500 B: decode, submit, RET_SUBMIT", |b| {
        let mut dev = configured();
        let mut dec = Decoder::new();
        let wire = submit(1, false, 4, packet.clone(), 1500);
        let mut out = Vec::new();
        b.iter(|| {
            dec.push(black_box(&wire));
            out.clear();
            pump(&mut dec, &mut dev, &mut out);
            black_box(out.len())
        })
    });
    g.bench_function("bulk IN 1500 B: pending URB completed by a packet", |b| {
        let mut dev = configured();
        let mut dec = Decoder::new();
        let wire = submit(2, true, 6, vec![], 2048);
        let mut out = Vec::new();
        b.iter(|| {
            dec.push(black_box(&wire));
            out.clear();
            pump(&mut dec, &mut dev, &mut out);
            dev.queue_in(PortRole::Qmi, TransferKind::Bulk, packet.clone());
            pump(&mut dec, &mut dev, &mut out);
            black_box(out.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
