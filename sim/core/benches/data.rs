//! The engine's packet path alone: 1500-byte raw-IP ICMP echo requests in,
//! echo replies out, on one core.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use vmodem_core::model::{IpFamily, Profile};
use vmodem_core::net::checksum;
use vmodem_core::time::Instant;
use vmodem_core::Modem;

/// An ICMP echo request from the bearer's address to the gateway, `len` bytes long.
fn echo_request(len: usize) -> Vec<u8> {
    let mut icmp = vec![8, 0, 0, 0, 0, 1, 0, 1];
    icmp.resize(len - 20, 0xa5);
    let c = checksum::of(&icmp);
    icmp[2..4].copy_from_slice(&c.to_be_bytes());
    let mut p = vec![
        0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 1, 0, 0, 10, 64, 0, 2, 10, 64, 0, 1,
    ];
    p[2..4].copy_from_slice(&(len as u16).to_be_bytes());
    let c = checksum::of(&p);
    p[10..12].copy_from_slice(&c.to_be_bytes());
    p.extend_from_slice(&icmp);
    p
}

fn bench(c: &mut Criterion) {
    let mut m = Modem::new(Profile::default(), 1, Instant::ZERO);
    m.device_mut()
        .with_sim(Instant::ZERO, |s| s.verify_pin("1234"))
        .unwrap();
    m.handle_timeout(Instant::from_millis(5_000));
    m.device_mut()
        .start_network("internet", IpFamily::V4)
        .unwrap();
    m.device_mut().data_format.link_layer = 2;
    let pkt = echo_request(1500);
    m.handle_data(&pkt, Instant::from_millis(5_000));
    assert!(m.poll_data().is_some(), "the gateway answers");
    let mut g = c.benchmark_group("data");
    // Bytes in and out per iteration.
    g.throughput(Throughput::Bytes(2 * pkt.len() as u64));
    g.bench_function("raw_ip_echo_1500", |b| {
        b.iter(|| {
            m.handle_data(black_box(&pkt), Instant::from_millis(5_000));
            black_box(m.poll_data());
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
