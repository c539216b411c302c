//! The engine's per-packet cost on the QMI bulk path, without Criterion:
//! each case runs rounds of N packets in and their replies out, and the
//! median time per packet is printed. Under valgrind's callgrind the same
//! binary gives instructions per packet, which a loaded machine does not
//! disturb: run it with N and 2N and divide the difference by N.
//!
//!     cargo bench -p vmodem-core --bench packet_cost [-- [CASE] [N]]
//!
//! N defaults to 20000 under `cargo bench`, 20 in test mode.

use std::hint::black_box;
use std::time::Instant as Clock;
use vmodem_core::testkit::modem::connected;
use vmodem_core::testkit::packet::{ping_gateway, udp_to, GATEWAY_V4};
use vmodem_core::time::Instant;

const ROUNDS: usize = 15;

/// `ip` in an Ethernet frame from the host to the modem.
fn ethernet(ip: &[u8]) -> Vec<u8> {
    let mut f = vec![0x02, 0x11, 0x99, 0x73, 0x05, 0x01];
    f.extend_from_slice(&[0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00]);
    f.extend_from_slice(ip);
    f
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing
    // and gets a short run that checks the bench still works.
    let default_n = if args.iter().any(|a| a == "--bench") {
        20_000
    } else {
        20
    };
    let n: usize = args
        .iter()
        .find_map(|a| a.parse().ok())
        .unwrap_or(default_n);
    let filter = args
        .iter()
        .find(|a| !a.starts_with('-') && a.parse::<usize>().is_err());
    let cases: [(&str, u32, Vec<u8>); 3] = [
        ("raw_ip_udp_echo_1400", 2, udp_to(GATEWAY_V4, 7, 1400)),
        ("raw_ip_icmp_echo_1500", 2, ping_gateway(1500)),
        (
            "ethernet_udp_echo_1400",
            1,
            ethernet(&udp_to(GATEWAY_V4, 7, 1400)),
        ),
    ];
    for (name, link_layer, pkt) in cases {
        if filter.is_some_and(|f| !name.contains(f.as_str())) {
            continue;
        }
        let mut m = connected(link_layer);
        let now = Instant::from_millis(5_000);
        m.handle_data(&pkt, now);
        assert!(m.poll_data().is_some(), "{name}: the network answers");
        let mut per_packet = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            let t = Clock::now();
            for _ in 0..n {
                m.handle_data(black_box(&pkt), now);
                black_box(m.poll_data());
            }
            per_packet.push(t.elapsed().as_nanos() as f64 / n as f64);
        }
        per_packet.sort_by(f64::total_cmp);
        println!(
            "packet_cost {name}: median {:.0} ns per packet in and reply out ({ROUNDS} rounds of {n})",
            per_packet[ROUNDS / 2]
        );
    }
}
