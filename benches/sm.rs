//! SM(m) agreement in the direct runner over a constant (n, m) grid, with a
//! loyal commander and with a traitor commander that signs both orders
//! (split-brain): throughput is signed orders sent per second.

use byzlab::run::RuntimeKind;
use byzlab::types::Algorithm;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

mod common;

const GRID: &[(usize, usize)] = &[(4, 1), (7, 2), (16, 3), (32, 3), (64, 2)];

fn sm(c: &mut Criterion) {
    for (label, traitors) in [("loyal_commander", &[][..]), ("traitor_commander", &[0][..])] {
        let mut g = c.benchmark_group(format!("sm_direct_{label}"));
        g.sample_size(10);
        for &(n, m) in GRID {
            let plan =
                byzlab::perf::plan(Algorithm::Sm, n, m, traitors, "split-brain", RuntimeKind::Direct).expect("plan");
            g.throughput(Throughput::Elements(common::messages(&plan)));
            g.bench_with_input(BenchmarkId::new(format!("n{n}"), format!("m{m}")), &plan, |b, p| {
                b.iter(|| black_box(byzlab::runtime::execute(p).expect("run")))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, sm);
criterion_main!(benches);
