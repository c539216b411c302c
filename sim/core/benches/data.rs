//! The engine's packet path alone: 1500-byte raw-IP ICMP echo requests in,
//! echo replies out, on one core.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use vmodem_core::testkit::modem::connected;
use vmodem_core::testkit::packet::ping_gateway;
use vmodem_core::time::Instant;

fn bench(c: &mut Criterion) {
    let mut m = connected(2);
    let pkt = ping_gateway(1500);
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
