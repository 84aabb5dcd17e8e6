//! SM(m) agreement in the direct runner over a constant (n, m) grid, with a
//! loyal commander and with a traitor commander that signs both orders
//! (split-brain): throughput is signed orders sent per second. Then SM(3)
//! at n = 128 with ed25519 and with ideal signatures, side by side.

use byzlab::run::{RuntimeKind, Signatures};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

mod common;

const GRID: &[(usize, usize)] = &[(4, 1), (7, 2), (16, 3), (32, 3), (64, 2)];

fn sm(c: &mut Criterion) {
    for (label, traitors) in [("loyal_commander", &[][..]), ("traitor_commander", &[0][..])] {
        let mut g = c.benchmark_group(format!("sm_direct_{label}"));
        g.sample_size(10);
        for &(n, m) in GRID {
            let plan = byzlab::perf::plan(
                byzlab::algorithm::SM,
                n,
                m,
                traitors,
                "split-brain",
                RuntimeKind::Direct,
            )
            .expect("plan");
            g.throughput(Throughput::Elements(common::messages(&plan)));
            g.bench_with_input(BenchmarkId::new(format!("n{n}"), format!("m{m}")), &plan, |b, p| {
                b.iter(|| black_box(byzlab::runtime::execute(p).expect("run")))
            });
        }
        g.finish();
    }
}

/// The same SM(3) run at n = 128 under both signature schemes.
fn signatures(c: &mut Criterion) {
    for (label, traitors, strategy) in [("forging_commander", &[0][..], "forge"), ("loyal", &[][..], "honest")] {
        let mut g = c.benchmark_group(format!("sm3_n128_signatures_{label}"));
        g.sample_size(10);
        let ed =
            byzlab::perf::plan(byzlab::algorithm::SM, 128, 3, traitors, strategy, RuntimeKind::Direct).expect("plan");
        g.throughput(Throughput::Elements(common::messages(&ed)));
        for scheme in [Signatures::Ed25519, Signatures::Ideal] {
            let plan = ed.vary(|s| s.signatures = scheme).unwrap();
            g.bench_with_input(BenchmarkId::from_parameter(scheme), &plan, |b, p| {
                b.iter(|| black_box(byzlab::runtime::execute(p).expect("run")))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, sm, signatures);
criterion_main!(benches);
