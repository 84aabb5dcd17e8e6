//! OM(m) agreement in the direct runner over a constant (n, m) grid, no
//! traitors: throughput is values relayed per second.

use byzlab::run::RuntimeKind;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

mod common;

const GRID: &[(usize, usize)] = &[(4, 1), (7, 2), (10, 3), (13, 4), (16, 4)];

fn om(c: &mut Criterion) {
    let mut g = c.benchmark_group("om_direct");
    g.sample_size(10);
    for &(n, m) in GRID {
        let plan = byzlab::perf::plan(byzlab::algorithm::OM, n, m, &[], "honest", RuntimeKind::Direct).expect("plan");
        g.throughput(Throughput::Elements(common::messages(&plan)));
        g.bench_with_input(BenchmarkId::new(format!("n{n}"), format!("m{m}")), &plan, |b, p| {
            b.iter(|| black_box(byzlab::runtime::execute(p).expect("run")))
        });
    }
    g.finish();
}

criterion_group!(benches, om);
criterion_main!(benches);
