//! The same instance in the actix runtime and the direct runner, side by
//! side: what the actor adapter costs, on mid-sized runs and on the small
//! runs exhaustive cells are made of (one reused `ActixRunner`, as a sweep
//! worker has).

use byzlab::run::RuntimeKind;
use byzlab::runtime::actix::ActixRunner;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

mod common;

fn runtimes(c: &mut Criterion) {
    let runner = ActixRunner::new();
    for (alg, n, m) in [(byzlab::algorithm::OM, 16, 4), (byzlab::algorithm::SM, 32, 3)] {
        let mut g = c.benchmark_group(format!("{alg}{m}_n{n}_runtime"));
        g.sample_size(10);
        let direct = byzlab::perf::plan(alg, n, m, &[], "honest", RuntimeKind::Direct).expect("plan");
        let actix = direct.vary(|s| s.runtime = RuntimeKind::Actix).unwrap();
        g.throughput(Throughput::Elements(common::messages(&direct)));
        g.bench_with_input(BenchmarkId::from_parameter("direct"), &direct, |b, p| {
            b.iter(|| black_box(byzlab::runtime::execute(p)))
        });
        g.bench_with_input(BenchmarkId::from_parameter("actix"), &actix, |b, p| {
            b.iter(|| black_box(runner.run(p).expect("actix run")))
        });
        g.finish();
    }
}

fn small_runs(c: &mut Criterion) {
    let runner = ActixRunner::new();
    for alg in [byzlab::algorithm::OM, byzlab::algorithm::SM] {
        let mut g = c.benchmark_group(format!("{alg}1_n4_small_runs"));
        let direct = byzlab::perf::plan(alg, 4, 1, &[], "honest", RuntimeKind::Direct).expect("plan");
        let actix = direct.vary(|s| s.runtime = RuntimeKind::Actix).unwrap();
        g.bench_with_input(BenchmarkId::from_parameter("direct"), &direct, |b, p| {
            b.iter(|| black_box(byzlab::runtime::execute(p)))
        });
        g.bench_with_input(BenchmarkId::from_parameter("actix"), &actix, |b, p| {
            b.iter(|| black_box(runner.run(p).expect("actix run")))
        });
        g.finish();
    }
}

criterion_group!(benches, runtimes, small_runs);
criterion_main!(benches);
