//! The measurements behind `results/perf/`: the performance targets, each as
//! a ratio measured in one process, and the scaling table. `byzlab perf`
//! runs them; `scripts/perf.sh` adds the profiles and is the one command
//! that regenerates the folder. A measurement harness, not part of a run:
//! this module measures, [`report`] writes the files.

use crate::algorithm::{DOLEV_STRONG, OM, PHASE_KING, SM};
use crate::crypto::{ChainHasher, OwnKey, Signatures, keys_for};
use crate::experiment::ExperimentError;
use crate::run::{RunPlan, RunSpec, RuntimeKind};
use crate::runtime::RunFailure;
use crate::runtime::actix::ActixRunner;
use crate::runtime::{self, RunReport};
use crate::types::{Algorithm, GeneralId, Value};
use ed25519_dalek::Signature;
use std::time::{Duration, Instant};

/// Why a measurement could not be taken or written.
#[derive(Debug, thiserror::Error)]
pub enum PerfError {
    /// A measured run failed.
    #[error(transparent)]
    Run(#[from] RunFailure),
    /// The measured sweep failed.
    #[error(transparent)]
    Sweep(#[from] Box<ExperimentError>),
    /// A measured child process failed.
    #[error("{what}: {message}")]
    Child {
        /// The run it was.
        what: String,
        /// What went wrong.
        message: String,
    },
    /// The output folder is not byzlab's, or another byzlab writes it.
    #[error(transparent)]
    Folder(#[from] crate::folder::FolderError),
    /// Writing a CSV table failed.
    #[error(transparent)]
    Csv(#[from] csv::Error),
    /// Drawing the scaling plot failed.
    #[error(transparent)]
    Plot(#[from] crate::experiment::plots::PlotError),
}

/// Peak resident memory of this process so far, in KiB (Linux `VmHWM`).
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// A plan with explicit traitors following `strategy`, m given.
pub fn plan(
    alg: Algorithm,
    n: usize,
    m: usize,
    traitors: &[GeneralId],
    strategy: &str,
    runtime: RuntimeKind,
) -> Result<RunPlan, RunFailure> {
    let mut spec = RunSpec::new(alg, n, m.max(traitors.len()))?;
    spec.m = Some(m);
    spec.traitors = Some(traitors.to_vec());
    spec.strategy = crate::traitor::resolve(strategy)?;
    spec.value = Value::Attack;
    spec.runtime = runtime;
    Ok(spec.validate()?)
}

/// Median wall time of `reps` runs of a plan (after one warm-up run), and
/// the last report. Actix runs reuse one `System`, as a sweep worker does.
pub fn time_plan(plan: &RunPlan, reps: usize) -> Result<(Duration, RunReport), RunFailure> {
    let actix = (plan.runtime == RuntimeKind::Actix).then(ActixRunner::new);
    let once = || -> Result<RunReport, RunFailure> {
        Ok(match &actix {
            Some(a) => a.run(plan)?,
            None => runtime::execute(plan)?,
        })
    };
    let mut last = once()?;
    let mut times = Vec::with_capacity(reps);
    for _ in 0..reps.max(1) {
        let t = Instant::now();
        last = once()?;
        times.push(t.elapsed());
    }
    Ok((median(times), last))
}

/// Runs two measurements alternately `reps` times and returns the median of
/// the per-pair ratios a/b with the median a and b: alternating cancels the
/// drift of a shared machine (frequency, neighbours) that separate batches
/// would fold into the ratio.
pub fn interleaved(
    reps: usize,
    mut a: impl FnMut() -> Result<f64, PerfError>,
    mut b: impl FnMut() -> Result<f64, PerfError>,
) -> Result<(f64, f64, f64), PerfError> {
    let (mut ra, mut rb, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    a()?;
    b()?;
    for _ in 0..reps.max(1) {
        let x = a()?;
        let y = b()?;
        ra.push(x);
        rb.push(y);
        ratios.push(x / y);
    }
    let med = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    Ok((med(ratios), med(ra), med(rb)))
}

/// Seconds one call of `f` takes.
fn seconds<T>(f: impl FnOnce() -> T) -> f64 {
    let t = Instant::now();
    std::hint::black_box(f());
    t.elapsed().as_secs_f64()
}

/// Cost of one ed25519 signature and one `verify_strict` check over a
/// 32-byte chain digest, as a run of `n` generals makes them: each operation
/// by the next general's key in turn (a run signs and checks with many keys,
/// not one hot key). Medians of batches measured in this process.
pub fn crypto_unit_costs(n: usize, samples: usize) -> (Duration, Duration) {
    let n = n.max(1);
    let keys = keys_for(0xC0FFEE, n);
    let ring = keys.ring();
    let own: Vec<OwnKey> = (0..n as GeneralId).filter_map(|i| keys.own(i)).collect();
    let digests: Vec<[u8; 32]> = (0..samples)
        .map(|i| {
            let mut h = ChainHasher::new(Value::Attack);
            h.push(i as u16, &[i as u8; 64]);
            h.digest_for((i % n) as GeneralId)
        })
        .collect();
    let batch = 50.min(samples.max(1));
    let mut sign_t = Vec::new();
    let mut sigs = Vec::with_capacity(samples);
    for (c, chunk) in digests.chunks(batch).enumerate() {
        let t = Instant::now();
        for (k, d) in chunk.iter().enumerate() {
            sigs.push(own[(c * batch + k) % own.len()].sign(d));
        }
        sign_t.push(t.elapsed() / chunk.len() as u32);
    }
    let mut verify_t = Vec::new();
    for (c, (ds, ss)) in digests.chunks(batch).zip(sigs.chunks(batch)).enumerate() {
        let t = Instant::now();
        for (k, (d, sig)) in ds.iter().zip(ss).enumerate() {
            if let Some(vk) = ring.get(((c * batch + k) % n) as GeneralId) {
                std::hint::black_box(vk.verify_strict(d, &Signature::from_bytes(sig)).is_ok());
            }
        }
        verify_t.push(t.elapsed() / ds.len() as u32);
    }
    (median(sign_t), median(verify_t))
}

/// What `byzlab perf` is asked to do.
#[derive(Clone, Debug)]
pub struct PerfOptions {
    /// Output folder.
    pub out: std::path::PathBuf,
    /// Timed repetitions per measurement (the median is reported).
    pub reps: usize,
    /// The `byzlab` binary, run as a child for peak-memory measurements.
    pub exe: std::path::PathBuf,
    /// Experiment file for the jobs-scaling target (`None` skips it).
    pub sweep_file: Option<std::path::PathBuf>,
    /// A byzlab binary of an older commit to time OM(5) n=20 against
    /// (`None` reports the target as not measured).
    pub baseline: Option<std::path::PathBuf>,
    /// Command line, for the README.
    pub command: String,
}

/// One target: what was measured against what limit.
#[derive(Clone, Debug)]
pub struct Target {
    /// What is measured.
    pub name: String,
    /// Measured value, in words.
    pub measured: String,
    /// The limit, in words.
    pub limit: String,
    /// The ratio the target is judged on.
    pub ratio: f64,
    /// Whether the target is met.
    pub met: bool,
}

/// One row of the scaling table.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ScalingRow {
    /// Algorithm.
    pub algorithm: Algorithm,
    /// Generals.
    pub n: usize,
    /// Rounds of relaying.
    pub m: usize,
    /// Messages sent.
    pub messages: u64,
    /// OM's formula (empty for SM).
    pub formula: Option<u64>,
    /// Bytes on the wire.
    pub bytes: u64,
    /// Wall time of the run, ms.
    pub wall_ms: f64,
    /// Peak resident memory of the whole process, KiB.
    pub peak_rss_kib: Option<u64>,
}

/// Runs `byzlab run ... --json --measure` as a child process, so its peak
/// memory is its own.
pub fn child_run(
    exe: &std::path::Path,
    alg: Algorithm,
    n: usize,
    m: usize,
    traitors: &str,
    strategy: &str,
) -> Result<serde_json::Value, PerfError> {
    child_run_with(exe, alg, n, m, traitors, strategy, &[])
}

/// [`child_run`] with more arguments.
fn child_run_with(
    exe: &std::path::Path,
    alg: Algorithm,
    n: usize,
    m: usize,
    traitors: &str,
    strategy: &str,
    more: &[&str],
) -> Result<serde_json::Value, PerfError> {
    let what = format!("{alg} n={n} m={m}");
    let out = std::process::Command::new(exe)
        .args([
            "run",
            "--algorithm",
            alg.as_str(),
            "--n",
            &n.to_string(),
            "--f",
            &m.to_string(),
            "--m",
            &m.to_string(),
        ])
        .args([
            "--traitors",
            traitors,
            "--strategy",
            strategy,
            "--runtime",
            "direct",
            "--json",
            "--measure",
        ])
        .args(more)
        .output()
        .map_err(|e| PerfError::Child {
            what: what.clone(),
            message: format!("cannot run {}: {e}", exe.display()),
        })?;
    if !out.status.success() {
        return Err(PerfError::Child {
            what,
            message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    serde_json::from_slice(&out.stdout).map_err(|e| PerfError::Child {
        what,
        message: format!("bad JSON: {e}"),
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn target(name: &str, measured: String, limit: String, ratio: f64, met: bool) -> Target {
    Target {
        name: name.into(),
        measured,
        limit,
        ratio,
        met,
    }
}

/// The same honest plan on a reused actix runner and on the direct runner,
/// alternately, `batch` runs per sample: (median ratio, actix and direct
/// seconds a run).
fn actix_vs_direct(alg: Algorithm, n: usize, m: usize, batch: u32, reps: usize) -> Result<(f64, f64, f64), PerfError> {
    let direct = plan(alg, n, m, &[], "honest", RuntimeKind::Direct)?;
    let actix = direct
        .vary(|s| s.runtime = RuntimeKind::Actix)
        .map_err(RunFailure::from)?;
    let runner = ActixRunner::new();
    let per_run = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        for _ in 0..batch {
            f();
        }
        t.elapsed().as_secs_f64() / f64::from(batch)
    };
    interleaved(
        reps,
        || Ok(per_run(&mut || drop(std::hint::black_box(runner.run(&actix))))),
        || Ok(per_run(&mut || drop(std::hint::black_box(runtime::execute(&direct))))),
    )
}

/// The SM(3) n = 128 runs measured against their floor and across
/// signature schemes: (label, traitors, strategy).
const SM128_CASES: [(&str, &[GeneralId], &str); 2] = [
    ("forging traitor commander", &[0], "forge"),
    ("loyal commander", &[], "honest"),
];

/// Keeps a measured target and prints it at once (a run takes minutes).
fn add(out: &mut Vec<Target>, t: Target) {
    eprintln!(
        "{:<62} {:>10.3}  {}",
        t.name,
        t.ratio,
        if t.met { "met" } else { "MISSED" }
    );
    out.push(t);
}

/// A throughput target: `plan` timed over `reps` runs, its messages (`what`)
/// per second against `floor`; and the messages of one run.
fn throughput(plan: &RunPlan, reps: usize, name: &str, what: &str, floor: f64) -> Result<(Target, u64), PerfError> {
    let (t, rep) = time_plan(plan, reps)?;
    let msgs = rep.outcome.counters.messages;
    let rate = msgs as f64 / t.as_secs_f64();
    let measured = format!("{:.1} M/s ({msgs} {what} in {:.0} ms)", rate / 1e6, ms(t));
    let limit = format!(">= 1 ({:.0} M {what}/s)", floor / 1e6);
    Ok((target(name, measured, limit, rate / floor, rate >= floor), msgs))
}

/// Measures every target of the performance issue, printing each as it goes.
pub fn targets(opts: &PerfOptions) -> Result<Vec<Target>, PerfError> {
    let mut out = Vec::new();

    // OM(5), n = 20, direct runner: throughput and peak memory.
    let om = plan(OM, 20, 5, &[], "honest", RuntimeKind::Direct)?;
    let (t, msgs) = throughput(
        &om,
        opts.reps,
        "OM(5) n=20 direct: values relayed per second",
        "values",
        50e6,
    )?;
    add(&mut out, t);
    let child = child_run(&opts.exe, OM, 20, 5, "none", "honest")?;
    let peak = child["peak_rss_kib"].as_u64().unwrap_or(0) as f64 / 1024.0;
    let budget = 64.0 + 2.0 * msgs as f64 / (1024.0 * 1024.0);
    add(
        &mut out,
        target(
            "OM(5) n=20 direct: peak memory of the whole process",
            format!("{peak:.1} MiB"),
            format!("<= 1 (64 MiB + 2 B x {msgs} = {budget:.1} MiB)"),
            peak / budget,
            peak <= budget,
        ),
    );

    // The other registered algorithms (issue 21): phase king's votes per
    // second (oral messages, polynomial) beside OM's values per second, and
    // Dolev-Strong against SM(3) on the same run, alternately (the same
    // signature chains: the same work, so the ratio shows what its own
    // state machine costs).
    // A vote is a frame of its own (OM packs thousands of values into
    // one), so its floor is the frame path's: 200 ns a frame.
    let pk = plan(PHASE_KING, 64, 15, &[], "honest", RuntimeKind::Direct)?;
    let (t, _) = throughput(
        &pk,
        opts.reps,
        "phase king n=64 f=15 direct: votes per second",
        "votes",
        5e6,
    )?;
    add(&mut out, t);
    let ds = plan(DOLEV_STRONG, 32, 3, &[], "honest", RuntimeKind::Direct)?;
    let sm = plan(SM, 32, 3, &[], "honest", RuntimeKind::Direct)?;
    let orders = time_plan(&ds, 1)?.1.outcome.counters.messages;
    let (r, t_ds, t_sm) = interleaved(
        opts.reps.max(9),
        || Ok(seconds(|| runtime::execute(&ds))),
        || Ok(seconds(|| runtime::execute(&sm))),
    )?;
    add(
        &mut out,
        target(
            "Dolev-Strong n=32 f=3 direct: time / SM(3)'s on the same run",
            format!(
                "{:.2} ms / {:.2} ms ({orders} signed orders, {:.2} M/s)",
                t_ds * 1e3,
                t_sm * 1e3,
                orders as f64 / t_ds / 1e6
            ),
            "<= 1.1".into(),
            r,
            r <= 1.1,
        ),
    );

    // The actix adapter against the direct runner, alternating.
    for (alg, n, m) in [(OM, 16, 4), (SM, 32, 3)] {
        let (r, ta, td) = actix_vs_direct(alg, n, m, 1, opts.reps.max(9))?;
        add(
            &mut out,
            target(
                &format!("{}({m}) n={n}: actix time / direct time", alg.as_str().to_uppercase()),
                format!("{:.2} ms / {:.2} ms", ta * 1e3, td * 1e3),
                "<= 1.3".into(),
                r,
                r <= 1.3,
            ),
        );
    }

    // SM against its cryptographic floor: each run alternates with a fresh
    // measurement of the unit costs.
    for (label, traitors, strategy) in SM128_CASES {
        let p = plan(SM, 128, 3, traitors, strategy, RuntimeKind::Direct)?;
        let (_, rep) = time_plan(&p, 1)?;
        let c = rep.outcome.counters;
        let mut last_units = (Duration::ZERO, Duration::ZERO);
        let (r, t, floor) = interleaved(
            opts.reps.max(9),
            || Ok(seconds(|| runtime::execute(&p))),
            || {
                let (sign, verify) = crypto_unit_costs(128, 256);
                last_units = (sign, verify);
                Ok((sign * c.signatures_made as u32 + verify * c.signatures_verified as u32).as_secs_f64())
            },
        )?;
        let (sign, verify) = last_units;
        add(
            &mut out,
            target(
                &format!("SM(3) n=128, {label}: run time / crypto floor"),
                format!(
                    "{:.2} ms / ({} signs x {:.1} us + {} checks x {:.1} us = {:.2} ms)",
                    t * 1e3,
                    c.signatures_made,
                    sign.as_secs_f64() * 1e6,
                    c.signatures_verified,
                    verify.as_secs_f64() * 1e6,
                    floor * 1e3
                ),
                "<= 1.3".into(),
                r,
                r <= 1.3,
            ),
        );
        if strategy == "forge" {
            add(
                &mut out,
                target(
                    "SM(3) n=128, forging traitor commander: wall time",
                    format!("{:.1} ms", t * 1e3),
                    "<= 1 (2 s)".into(),
                    t / 2.0,
                    t <= 2.0,
                ),
            );
        }
    }

    // Small runs: what the actor adapter costs where a run is a few frames
    // (an exhaustive cell is thousands of them). Batches of runs, alternately.
    for alg in [OM, SM] {
        let batch = if alg.signed() { 100 } else { 2000 };
        let (r, ta, td) = actix_vs_direct(alg, 4, 1, batch, opts.reps.max(9))?;
        add(
            &mut out,
            target(
                &format!(
                    "{}(1) n=4, small runs: actix time / direct time",
                    alg.as_str().to_uppercase()
                ),
                format!("{:.2} us / {:.2} us (batches of {batch})", ta * 1e6, td * 1e6),
                "<= 2".into(),
                r,
                r <= 2.0,
            ),
        );
    }

    // Ideal signatures against ed25519 on the same run.
    for (label, traitors, strategy) in SM128_CASES {
        let ed = plan(SM, 128, 3, traitors, strategy, RuntimeKind::Direct)?;
        let ideal = ed
            .vary(|s| s.signatures = Signatures::Ideal)
            .map_err(RunFailure::from)?;
        let (ri, re) = (time_plan(&ideal, 1)?.1, time_plan(&ed, 1)?.1);
        let same = ri.outcome.decisions == re.outcome.decisions && ri.outcome.counters == re.outcome.counters;
        let (r, ti, te) = interleaved(
            opts.reps.max(9),
            || Ok(seconds(|| runtime::execute(&ideal))),
            || Ok(seconds(|| runtime::execute(&ed))),
        )?;
        let frames = ri.outcome.counters.frames;
        add(
            &mut out,
            target(
                &format!("SM(3) n=128, {label}: ideal signatures time / ed25519 time"),
                format!(
                    "{:.2} ms / {:.2} ms ({frames} frames, {:.0} ns a frame with ideal signatures; outcome and counters {})",
                    ti * 1e3,
                    te * 1e3,
                    ti * 1e9 / frames as f64,
                    if same { "identical" } else { "DIFFER" }
                ),
                "<= 0.05 (1/20)".into(),
                r,
                r <= 0.05 && same,
            ),
        );
    }

    // OM(5) n=20 against an older build, alternately, each in a child.
    if let Some(old) = &opts.baseline {
        let args = |exe: &std::path::Path| -> Result<(f64, f64), PerfError> {
            let v = child_run_with(exe, OM, 20, 5, "none", "honest", &["--repeat", "5"])?;
            let wall = v["wall_ms"].as_f64().unwrap_or(f64::NAN);
            let peak = v["peak_rss_kib"].as_f64().unwrap_or(f64::NAN) / 1024.0;
            Ok((wall, peak))
        };
        let mut peaks = (0.0f64, 0.0f64);
        let (r, t_old, t_new) = interleaved(
            opts.reps.max(5),
            || {
                let (w, p) = args(old)?;
                peaks.0 = peaks.0.max(p);
                Ok(w)
            },
            || {
                let (w, p) = args(&opts.exe)?;
                peaks.1 = peaks.1.max(p);
                Ok(w)
            },
        )?;
        add(
            &mut out,
            target(
                "OM(5) n=20 direct: speed-up over commit daf5fb2",
                format!("{t_old:.0} ms there / {t_new:.0} ms here (mean of 5 runs each, in children)"),
                ">= 1.5".into(),
                r,
                r >= 1.5,
            ),
        );
        add(
            &mut out,
            target(
                "OM(5) n=20 direct: peak memory here / at commit daf5fb2",
                format!("{:.1} MiB / {:.1} MiB", peaks.1, peaks.0),
                "<= 1".into(),
                peaks.1 / peaks.0,
                peaks.1 <= peaks.0,
            ),
        );
    }

    // Sweeps on 1 and 2 workers.
    if let Some(file) = &opts.sweep_file {
        let registry = crate::registry::Registry::builtin();
        let spec = crate::experiment::spec::load(file, &registry).map_err(|e| Box::new(ExperimentError::from(e)))?;
        let xplan = crate::experiment::plan::build(&spec, &file.display().to_string(), &registry)
            .map_err(|e| Box::new(ExperimentError::from(e)))?;
        let sweep_once = |jobs: usize| -> Result<f64, PerfError> {
            let dir = std::env::temp_dir().join(format!("byzlab-perf-sweep-{}-{jobs}", std::process::id()));
            let o = crate::experiment::runner::SweepOptions {
                out: dir.clone(),
                jobs,
                shard: None,
                resume: false,
                progress: false,
                command: "byzlab perf".into(),
                header: None,
            };
            let t = Instant::now();
            crate::experiment::runner::sweep(&xplan, &o).map_err(Box::new)?;
            let secs = t.elapsed().as_secs_f64();
            let _ = std::fs::remove_dir_all(&dir);
            Ok(secs)
        };
        // Sweeps are long: three alternating pairs (after a warm-up pair).
        let (r, t1, t2) = interleaved(3, || sweep_once(1), || sweep_once(2))?;
        let times = [Duration::from_secs_f64(t1), Duration::from_secs_f64(t2)];
        add(
            &mut out,
            target(
                &format!("sweep {}: --jobs 1 time / --jobs 2 time", file.display()),
                format!(
                    "{:.1} s / {:.1} s ({} runs)",
                    times[0].as_secs_f64(),
                    times[1].as_secs_f64(),
                    xplan.total_runs()
                ),
                ">= 1.8".into(),
                r,
                r >= 1.8,
            ),
        );
    }
    Ok(out)
}

/// The scaling grid: OM(m) for m = 1..5 and n = 3m+1..20; SM(m) for m = 1..3
/// and n = 4..256 (powers of two), no traitors, each run in a child process.
pub fn scaling(opts: &PerfOptions) -> Result<Vec<ScalingRow>, PerfError> {
    let mut grid = Vec::new();
    for m in 1..=5 {
        for n in 3 * m + 1..=20 {
            grid.push((OM, n, m));
        }
    }
    for m in 1..=3 {
        for n in [4usize, 8, 16, 32, 64, 128, 256] {
            if n >= m + 2 {
                grid.push((SM, n, m));
            }
        }
    }
    let mut rows = Vec::new();
    for (alg, n, m) in grid {
        let v = child_run(&opts.exe, alg, n, m, "none", "honest")?;
        rows.push(ScalingRow {
            algorithm: alg,
            n,
            m,
            messages: v["messages"].as_u64().unwrap_or(0),
            formula: alg.messages(n, m),
            bytes: v["bytes"].as_u64().unwrap_or(0),
            wall_ms: v["wall_ms"].as_f64().unwrap_or(0.0),
            peak_rss_kib: v["peak_rss_kib"].as_u64(),
        });
    }
    Ok(rows)
}

mod report;
pub use report::{claim, write};
