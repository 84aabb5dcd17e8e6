//! Agreement rounds of every registered algorithm side by side: one
//! criterion group per algorithm on one constant (n, f) grid, the direct
//! runner, no traitor, ed25519 where an algorithm signs. Throughput is
//! logical messages per second (OM's values, SM's and Dolev-Strong's signed
//! orders, phase king's votes), so `cargo bench --bench algorithms` compares
//! what each algorithm pays per run and per message.

use byzlab::registry::Registry;
use byzlab::run::RuntimeKind;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

mod common;

/// (n, f): one row for f = 1, 2, 3 at the smallest n phase king (n > 4f)
/// and every other algorithm here tolerates.
const GRID: &[(usize, usize)] = &[(5, 1), (9, 2), (13, 3)];

fn algorithms(c: &mut Criterion) {
    for entry in Registry::builtin().algorithms().entries() {
        let alg = *entry.make();
        let mut g = c.benchmark_group(format!("agreement_{}", alg.as_str()));
        g.sample_size(10);
        for &(n, f) in GRID {
            let plan = byzlab::perf::plan(alg, n, f, &[], "honest", RuntimeKind::Direct).expect("plan");
            g.throughput(Throughput::Elements(common::messages(&plan)));
            g.bench_with_input(BenchmarkId::new(format!("n{n}"), format!("f{f}")), &plan, |b, p| {
                b.iter(|| black_box(byzlab::runtime::execute(p).expect("run")))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, algorithms);
criterion_main!(benches);
