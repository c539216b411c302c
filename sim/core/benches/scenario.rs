//! `vmodem scenario check` on large files: parsing and checking a scenario
//! must be linear in its steps. The figure for 100,000 steps is the one
//! docs/scenarios.md quotes; 10,000 steps beside it show the slope.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use vmodem_core::scenario::Scenario;

/// `n` steps of the kinds real scenarios use: timed, on a state, on a
/// request, with delays, probabilities and limits.
fn scenario(n: usize) -> String {
    let mut s = String::from("seed = 7\n\n[power]\ncable-ohms = 0.3\n\n");
    for i in 0..n {
        let step = match i % 4 {
            0 => format!("[[step]]\nat-ms = {}\ninject = {{ fault = \"crash\" }}\n", i * 10),
            1 => "[[step]]\non = \"registered\"\nafter-ms = [100, 900]\nprobability = 0.5\ninject = { fault = \"signal-loss\", duration-ms = 2000 }\n".to_string(),
            2 => "[[step]]\non-request = \"wds/start-network\"\nnth = 2\nrepeat = true\nlimit = 3\ninject = { fault = \"responses\", mangle = \"drop\", count = 1 }\n".to_string(),
            _ => "[[step]]\nat-ms = 5000\nevery-ms = 1000\ninject = { fault = \"power\", cable-ohms = 1.5 }\n".to_string(),
        };
        s.push_str(&step);
        s.push('\n');
    }
    s
}

fn check(c: &mut Criterion) {
    let mut g = c.benchmark_group("scenario_check");
    g.sample_size(10);
    for n in [10_000usize, 100_000] {
        let text = scenario(n);
        assert_eq!(Scenario::from_toml(&text, "bench").unwrap().steps.len(), n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &text, |b, t| {
            b.iter(|| Scenario::from_toml(black_box(t), "bench").unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, check);
criterion_main!(benches);
