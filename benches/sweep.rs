//! A whole sweep of a small experiment file (experiments/small.toml) on one
//! and on two worker threads: throughput is messages per second summed over
//! every run of the plan.

use byzlab::experiment::plan;
use byzlab::experiment::runner::{SweepOptions, sweep};
use byzlab::experiment::spec;
use byzlab::registry::Registry;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::path::Path;

fn sweeps(c: &mut Criterion) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/small.toml");
    let spec = spec::load(&file, &Registry::builtin()).expect("experiments/small.toml");
    let plan = plan::build(&spec, "small.toml", &Registry::builtin()).expect("plan");
    let out = std::env::temp_dir().join(format!("byzlab-bench-sweep-{}", std::process::id()));
    let opts = |jobs| SweepOptions {
        out: out.clone(),
        jobs,
        shard: None,
        resume: false,
        progress: false,
        command: "bench".into(),
        header: None,
    };
    let messages: u64 = sweep(&plan, &opts(1))
        .expect("sweep")
        .tally
        .cells
        .values()
        .map(|t| t.counters.messages)
        .sum();
    let mut g = c.benchmark_group("sweep_small");
    g.sample_size(10);
    g.throughput(Throughput::Elements(messages));
    for jobs in [1, 2] {
        g.bench_with_input(BenchmarkId::new("jobs", jobs), &jobs, |b, &jobs| {
            b.iter(|| sweep(&plan, &opts(jobs)).expect("sweep"))
        });
    }
    g.finish();
    let _ = std::fs::remove_dir_all(&out);
}

criterion_group!(benches, sweeps);
criterion_main!(benches);
