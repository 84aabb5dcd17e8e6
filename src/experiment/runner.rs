//! The sweep: runs a plan's cells in parallel on `jobs` worker threads (each
//! with its own actix `System` when the runtime is actix), appends rows to
//! `runs.csv` as chunks finish, shows progress, and can resume.
//!
//! Scheduling never reaches the results: workers take chunks of runs from a
//! shared counter, the rows are sorted by (cell, index) at the end, and
//! "stop at first violation" keeps exactly the runs up to the lowest-index
//! violation of each cell, whichever worker found what first.

use super::ExperimentError;
use super::plan::{ExperimentPlan, RunDesc};
use super::record::{self, RunRecord};
use super::spec::Spec;
use super::tally::Tally;
use crate::run::{RunSpec, RuntimeKind};
use crate::runtime::RunFailure;
use crate::runtime::actix::ActixRunner;
use crate::runtime::{self, RunReport};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Runs per unit of work handed to a worker.
const CHUNK: usize = 16;

/// Set (by the command line's Ctrl-C handler) to stop a sweep: workers
/// finish the run they are in, every finished row is kept, and the sweep
/// returns [`ExperimentError::Interrupted`].
pub static INTERRUPT: AtomicBool = AtomicBool::new(false);

/// Test hook: with `BYZLAB_PAUSE_AFTER_ROWS=N` in the environment, once at
/// least N rows are appended (and synced) the sweep says so on stderr, one
/// line, and holds still until it is killed or interrupted (Ctrl-C then
/// stops it as usual). A test that kills or interrupts a sweep mid-way waits
/// for that line instead of polling runs.csv against the clock, so it knows
/// exactly how the sweep stands when it strikes. `N,deaf` holds still
/// through Ctrl-C too, as a run that never ends would (it says, one line,
/// that it heard the first): only a kill or a second Ctrl-C (which abandons
/// the sweep) ends it.
fn pause_for_tests(file: &mut std::fs::File, executed: usize) {
    use std::sync::OnceLock;
    static AT: OnceLock<Option<(usize, bool)>> = OnceLock::new();
    static PAUSED: AtomicBool = AtomicBool::new(false);
    let Some((at, deaf)) = *AT.get_or_init(|| {
        let v = std::env::var("BYZLAB_PAUSE_AFTER_ROWS").ok()?;
        let (n, deaf) = v.strip_suffix(",deaf").map_or((v.as_str(), false), |n| (n, true));
        Some((n.parse().ok()?, deaf))
    }) else {
        return;
    };
    if executed < at || PAUSED.swap(true, Ordering::SeqCst) {
        return;
    }
    let _ = file.sync_data();
    eprintln!("byzlab test hook: paused after {executed} rows");
    let mut heard = false;
    while deaf || !INTERRUPT.load(Ordering::Relaxed) {
        // Deaf, it says once that it heard the first Ctrl-C, so a test sends
        // the second only then: two signals sent at once may arrive as one.
        if deaf && !heard && INTERRUPT.load(Ordering::Relaxed) {
            heard = true;
            eprintln!("byzlab test hook: interrupted, still holding");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// How often appended rows are forced to disk (fsync).
const SYNC_EVERY: Duration = Duration::from_secs(1);

/// How a sweep runs.
#[derive(Clone, Debug)]
pub struct SweepOptions {
    /// Output folder.
    pub out: PathBuf,
    /// Worker threads.
    pub jobs: usize,
    /// `Some((i, count))` runs shard i of count.
    pub shard: Option<(usize, usize)>,
    /// Continue a sweep interrupted in `out`.
    pub resume: bool,
    /// Show a progress bar (only drawn when stderr is a terminal).
    pub progress: bool,
    /// The command line, recorded in the results.
    pub command: String,
    /// A line for stderr once the folder is claimed and a resumed one
    /// checked (the command line's summary of the plan): an error before
    /// the start is then the only line.
    pub header: Option<String>,
}

/// What `plan.json` in an output folder records.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    /// Experiment name.
    pub name: String,
    /// Spec fingerprint.
    pub fingerprint: String,
    /// The validated spec (merges rebuild the plan from it).
    pub spec: Spec,
    /// Shard, if any.
    pub shard: Option<(usize, usize)>,
    /// Command that made the folder.
    pub command: String,
    /// byzlab version.
    pub version: String,
}

/// A finished sweep.
#[derive(Debug)]
pub struct SweepResult {
    /// Rows in the folder's runs.csv (resumed and new).
    pub rows: usize,
    /// What the report needs of them, per cell.
    pub tally: Tally,
    /// The results folder, still locked: the report goes into it.
    pub folder: crate::folder::Folder,
    /// Runs executed by this invocation.
    pub executed: usize,
    /// Runs found done on resume.
    pub resumed: usize,
    /// Wall time of this invocation.
    pub elapsed: Duration,
}

const OWNED: &[&str] = &[
    "runs.csv",
    "cells.csv",
    "strategies.csv",
    "summary.md",
    "index.html",
    "plan.json",
    "README.md",
];

/// Whether `name` is a plot a sweep writes.
fn is_our_plot(name: &str) -> bool {
    name.ends_with(".svg")
        && (name == "messages.svg"
            || name == "graphs.svg"
            || ["heatmap-", "timing-", "lossy-"].iter().any(|p| name.starts_with(p)))
}

/// A sweep folder written before `.byzlab-files` existed: a valid
/// `plan.json`; it owns the files a sweep writes that are there.
fn legacy_sweep(out: &Path) -> Option<Vec<String>> {
    let m = read_manifest(out).ok()?;
    if m.fingerprint.is_empty() {
        return None;
    }
    let mut owned = Vec::new();
    for e in std::fs::read_dir(out).ok()?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if e.file_type().is_ok_and(|t| t.is_file()) && (OWNED.contains(&name.as_str()) || is_our_plot(&name)) {
            owned.push(name);
        }
    }
    let w = out.join("witnesses");
    if std::fs::symlink_metadata(&w).is_ok_and(|m| m.is_dir())
        && let Ok(files) = std::fs::read_dir(&w)
    {
        for f in files.flatten() {
            let name = f.file_name().to_string_lossy().into_owned();
            if is_our_witness(&name) && f.file_type().is_ok_and(|t| t.is_file()) {
                owned.push(format!("witnesses/{name}"));
            }
        }
    }
    Some(owned)
}

/// Removes the temporary files a killed sweep left in `out` (`write_atomic`
/// writes `.NAME.tmp-PID` beside each file it replaces), and only those.
fn remove_stale_temps(out: &Path) {
    let stale = |dir: &Path, ours: &dyn Fn(&str) -> bool| {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let temp_of_ours = name
                .strip_prefix('.')
                .and_then(|n| n.split_once(".tmp-"))
                .is_some_and(|(file, pid)| ours(file) && pid.chars().all(|c| c.is_ascii_digit()));
            if temp_of_ours {
                let _ = std::fs::remove_file(e.path());
            }
        }
    };
    stale(out, &|f| OWNED.contains(&f) || is_our_plot(f));
    stale(&out.join("witnesses"), &is_our_witness);
}

/// Whether `name` is a witness a sweep writes.
fn is_our_witness(name: &str) -> bool {
    name.starts_with("cell-") && (name.ends_with(".json") || name.ends_with(".svg"))
}

/// Reads `plan.json` from a results folder.
pub fn read_manifest(dir: &Path) -> Result<Manifest, ExperimentError> {
    let p = dir.join("plan.json");
    let text = crate::files::read_limited(&p).map_err(|e| ExperimentError::io(&p, e))?;
    serde_json::from_str(&text).map_err(|e| {
        let e = crate::files::plain_parse_error(&e.to_string());
        ExperimentError::io(&p, format!("not a byzlab plan.json: {e}"))
    })
}

/// Builds the run of `desc` in `cell`.
pub fn run_spec(plan: &ExperimentPlan, cell_id: usize, desc: &RunDesc, trace: bool) -> Result<RunSpec, RunFailure> {
    let cell = &plan.cells[cell_id];
    Ok(RunSpec {
        algorithm: cell.algorithm,
        n: cell.n,
        f: cell.f,
        m: cell.run_m(),
        traitors: Some(desc.traitors.clone()),
        strategy: desc.strategy.resolve(plan.registry.strategies())?,
        value: desc.value,
        link: cell.link.clone(),
        adversaries: plan.registry.adversaries().clone(),
        layers: plan.registry.layers().clone(),
        bottleneck: cell.bottleneck,
        watch: None,
        runtime: plan.spec.runtime,
        signatures: plan.spec.signatures,
        seed: desc.seed,
        trace,
        timing: cell.timing.model,
        delta: cell.timing.delta,
        gst: cell.timing.gst,
        timeout: Some(cell.timing.timeout),
        faults: desc.faults.clone(),
        graph: cell.graph.clone(),
        // The cell's theory says what the paper predicts; a sweep runs
        // where a precondition fails too, to show what happens there.
        force: true,
        // Names were checked when the plan was made.
        scheduler: crate::scheduler::resolve(plan.registry.schedulers(), &cell.scheduler)
            .map_err(|e| RunFailure::Spec(crate::run::RunSpecError::Scheduler(e)))?,
        budget: None,
    })
}

/// Runs a spec, on this worker's actix system when it has one.
pub(crate) fn execute(actix: Option<&ActixRunner>, spec: RunSpec) -> Result<RunReport, RunFailure> {
    let plan = spec.validate()?;
    Ok(match (plan.runtime, actix) {
        (RuntimeKind::Actix, Some(runner)) => runner.run(&plan)?,
        _ => runtime::execute(&plan)?,
    })
}

struct Unit {
    cell: usize,
    lo: usize,
    hi: usize,
}

/// A unit's finished rows and their CSV lines (serialized by the worker
/// with one writer, so the thread that writes the file only copies bytes):
/// row i's line is `text[ends[i-1]..ends[i]]`.
/// Without `stop_at_first_violation` nothing is cut, and the worker folds
/// its rows into `tally` itself (`rows` stays empty).
#[derive(Default)]
struct Rows {
    rows: Vec<RunRecord>,
    ends: Vec<usize>,
    text: Vec<u8>,
    tally: Tally,
}

enum Msg {
    /// The rows of units[unit] (fewer than its runs when some were done
    /// or skipped).
    Rows {
        unit: usize,
        rows: Rows,
        runs: usize,
        cost: u64,
    },
    Failed(ExperimentError),
}

/// Which runs of each cell are in `runs.csv`: a bit per run, so that a
/// resume of 100 million runs keeps 12 MB, not their ids.
struct Done(Vec<Vec<u64>>);

impl Done {
    fn new(plan: &ExperimentPlan) -> Done {
        Done(plan.cells.iter().map(|c| vec![0; c.runs.len().div_ceil(64)]).collect())
    }
    fn has(&self, cell: usize, index: usize) -> bool {
        self.0[cell][index / 64] >> (index % 64) & 1 == 1
    }
    /// Marks a run; false if it was marked already.
    fn mark(&mut self, cell: usize, index: usize) -> bool {
        let had = self.has(cell, index);
        self.0[cell][index / 64] |= 1 << (index % 64);
        !had
    }
}

/// How many units may be finished ahead of the first unwritten one: rows
/// are written in plan order, and a worker that runs too far ahead waits,
/// so memory holds at most this many units' rows.
const AHEAD: usize = 256;

/// Runs the plan (or its shard) into `opts.out`.
///
/// Rows are appended to `runs.csv` in plan order (cell, then index) as the
/// units that hold them finish, so the file is the plan's order whatever
/// the scheduling, and only a small window of finished units waits in
/// memory. What the report needs is folded into a [`Tally`] as rows are
/// written; no row is kept. A resumed sweep reads its rows back once at the
/// end (the same order, the same tally).
pub fn sweep(plan: &ExperimentPlan, opts: &SweepOptions) -> Result<SweepResult, ExperimentError> {
    let start = Instant::now();
    let out = &opts.out;
    let mut folder = crate::folder::Folder::claim(out, "sweep", Some(&legacy_sweep))?;
    let runs_path = folder.file("runs.csv")?;
    let mut done = Done::new(plan);
    let manifest = Manifest {
        name: plan.spec.name.clone(),
        fingerprint: plan.fingerprint.clone(),
        spec: plan.spec.clone(),
        shard: opts.shard,
        command: opts.command.clone(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    };
    remove_stale_temps(out);
    let manifest_path = folder.file("plan.json")?;
    let manifest_json = serde_json::to_string_pretty(&manifest).map_err(|e| ExperimentError::io(&manifest_path, e))?;
    let mut resumed = 0usize;
    // Each cell's first violating index on disk (stop_at_first_violation).
    let mut resumed_violation: Vec<usize> = vec![usize::MAX; plan.cells.len()];
    if opts.resume && runs_path.exists() {
        let m = match read_manifest(out) {
            Ok(m) => m,
            // Killed between writing the header and plan.json (older
            // versions wrote them in that order): nothing ran yet.
            Err(_) if record::read_runs(&runs_path).is_ok_and(|r| r.is_empty()) => manifest.clone(),
            Err(e) => return Err(e),
        };
        if m.fingerprint != plan.fingerprint {
            return Err(ExperimentError::Mismatch(format!(
                "{} holds results of a different plan (fingerprint {} vs {}); sweep into another --out, or drop --resume to start over",
                out.display(),
                m.fingerprint,
                plan.fingerprint
            )));
        }
        if m.shard != opts.shard {
            return Err(ExperimentError::Mismatch(format!(
                "{} holds shard {:?}, this sweep is shard {:?}",
                out.display(),
                m.shard,
                opts.shard
            )));
        }
        // Which runs are done; a row the plan does not have (an edited
        // file, another plan's row) would index past the plan: refuse it.
        let complete = record::for_each_run(&runs_path, |r| {
            if let Some(what) = r.foreign_to(plan) {
                return Err(record::RecordError::Row {
                    path: runs_path.display().to_string(),
                    row: 0,
                    message: format!(
                        "{} is not a run of this plan ({what}); sweep into another --out, or drop --resume to start over",
                        r.run_id
                    ),
                });
            }
            resumed += usize::from(done.mark(r.cell, r.index));
            if r.violation {
                resumed_violation[r.cell] = resumed_violation[r.cell].min(r.index);
            }
            Ok(())
        })
        .map_err(|e| match e {
            record::RecordError::Row { path, message, row: 0 } => {
                ExperimentError::Mismatch(format!("{path}: row {message}"))
            }
            e => e.into(),
        })?;
        // Cut a last line a kill left short before appending.
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&runs_path)
            .map_err(|e| ExperimentError::io(&runs_path, e))?;
        if complete == 0 {
            drop(f);
            super::write_atomic(&runs_path, &record::to_csv(&[], true, plan.finite_network()))?;
        } else {
            f.set_len(complete)
                .and_then(|()| f.sync_all())
                .map_err(|e| ExperimentError::io(&runs_path, e))?;
        }
        super::write_atomic(&manifest_path, manifest_json.as_bytes())?;
    } else {
        // What an earlier sweep wrote here goes; nothing else.
        folder.remove_ours(|_| false)?;
        let (runs, plan_json) = (folder.file("runs.csv")?, folder.file("plan.json")?);
        debug_assert!(runs == runs_path && plan_json == manifest_path);
        // plan.json first: a folder with a runs.csv always says which plan.
        super::write_atomic(&manifest_path, manifest_json.as_bytes())?;
        super::write_atomic(&runs_path, &record::to_csv(&[], true, plan.finite_network()))?;
    }
    // The folder is ours and what it held checked: the sweep starts.
    if let Some(line) = &opts.header {
        eprintln!("{line}");
    }

    let mut units = Vec::new();
    let mut todo = 0usize;
    let mut todo_cost = 0u64;
    for cell in plan.cells.iter().filter(|c| ExperimentPlan::in_shard(c.id, opts.shard)) {
        // About a millisecond of work a unit (at least CHUNK runs): a unit
        // is a message to the writer and a write, and small runs take a
        // few microseconds.
        let chunk = CHUNK.max((1_000_000 / run_cost(plan, cell).max(1)) as usize).min(4096);
        for lo in (0..cell.runs.len()).step_by(chunk) {
            let hi = (lo + chunk).min(cell.runs.len());
            let pending = (lo..hi).filter(|&i| !done.has(cell.id, i)).count();
            if pending > 0 {
                units.push(Unit { cell: cell.id, lo, hi });
                todo += pending;
                todo_cost += pending as u64 * run_cost(plan, cell);
            }
        }
    }
    let mut progress = Progress::new(opts.progress, todo, todo_cost);
    let next = AtomicUsize::new(0);
    // Units written so far (all units before it are on disk).
    let written = AtomicUsize::new(0);
    let abort = AtomicBool::new(false);
    // Resumed violations count for stop-at-first-violation too.
    let first_violation: Vec<AtomicUsize> = resumed_violation.iter().map(|&i| AtomicUsize::new(i)).collect();
    let stop_first = plan.spec.stop_at_first_violation;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&runs_path)
        .map_err(|e| ExperimentError::io(&runs_path, e))?;
    let mut executed = 0usize;
    let mut failure = None;
    let mut tally = Tally::default();
    // Cells cut at their first violation (stop_at_first_violation): the
    // first violating index written for each.
    let mut cut: Vec<Option<usize>> = vec![None; plan.cells.len()];
    let done = &done;
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<Msg>();
        for _ in 0..opts.jobs.max(1) {
            let tx = tx.clone();
            let (units, next, written, abort, first_violation) = (&units, &next, &written, &abort, &first_violation);
            scope.spawn(move || {
                let actix = (plan.spec.runtime == RuntimeKind::Actix).then(ActixRunner::new);
                while !abort.load(Ordering::Relaxed) && !INTERRUPT.load(Ordering::Relaxed) {
                    let u = next.fetch_add(1, Ordering::Relaxed);
                    let Some(unit) = units.get(u) else { break };
                    // Not too far ahead of what is written.
                    while u >= written.load(Ordering::Relaxed) + AHEAD
                        && !abort.load(Ordering::Relaxed)
                        && !INTERRUPT.load(Ordering::Relaxed)
                    {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    let cell = &plan.cells[unit.cell];
                    let mut rows = Rows::default();
                    let mut lines = record::Lines::new(plan.finite_network());
                    let mut runs = 0;
                    for desc in cell.runs.range(unit.lo, unit.hi) {
                        let desc = &desc;
                        if INTERRUPT.load(Ordering::Relaxed) {
                            break;
                        }
                        if done.has(cell.id, desc.index) {
                            continue;
                        }
                        runs += 1;
                        if stop_first && first_violation[cell.id].load(Ordering::Relaxed) < desc.index {
                            continue;
                        }
                        let report = run_spec(plan, cell.id, desc, false).and_then(|s| execute(actix.as_ref(), s));
                        match report {
                            Ok(report) => {
                                let row = RunRecord::new(cell, desc, &report);
                                if row.violation {
                                    first_violation[cell.id].fetch_min(desc.index, Ordering::Relaxed);
                                }
                                rows.ends.push(lines.push(&row));
                                if stop_first {
                                    rows.rows.push(row);
                                } else {
                                    rows.tally.add(&row);
                                }
                            }
                            Err(source) => {
                                abort.store(true, Ordering::Relaxed);
                                let _ = tx.send(Msg::Failed(ExperimentError::Run {
                                    run_id: format!("{}-{}", cell.id, desc.index),
                                    source,
                                }));
                                return;
                            }
                        }
                    }
                    rows.text = lines.into_bytes();
                    let cost = runs as u64 * run_cost(plan, cell);
                    if tx
                        .send(Msg::Rows {
                            unit: u,
                            rows,
                            runs,
                            cost,
                        })
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
        drop(tx);
        let mut synced = Instant::now();
        // Finished units waiting for the ones before them.
        let mut waiting: BTreeMap<usize, Rows> = BTreeMap::new();
        let mut next_unit = 0usize;
        for msg in rx {
            match msg {
                Msg::Rows { unit, rows, runs, cost } => {
                    progress.advance(runs, cost);
                    waiting.insert(unit, rows);
                    let mut chunk: Vec<u8> = Vec::new();
                    while let Some(unit_rows) = waiting.remove(&next_unit) {
                        let Rows {
                            rows,
                            ends,
                            text,
                            tally: folded,
                        } = unit_rows;
                        if !stop_first {
                            executed += folded.rows;
                            tally.merge(folded);
                            chunk.extend_from_slice(&text);
                            next_unit += 1;
                            continue;
                        }
                        for (i, row) in rows.into_iter().enumerate() {
                            let line = &text[if i == 0 { 0 } else { ends[i - 1] }..ends[i]];
                            // Cut at the cell's first violation, in plan order.
                            if stop_first && cut[row.cell].is_some_and(|i| row.index > i) {
                                continue;
                            }
                            if stop_first && row.violation && cut[row.cell].is_none() {
                                cut[row.cell] = Some(row.index);
                            }
                            executed += 1;
                            tally.add(&row);
                            chunk.extend_from_slice(line);
                        }
                        next_unit += 1;
                    }
                    if chunk.is_empty() && failure.is_some() {
                        continue;
                    }
                    // Appended, never truncated; forced to disk once a second.
                    let mut w = crate::files::write_out(&mut file, &chunk).and_then(|()| file.flush());
                    if w.is_ok() && synced.elapsed() >= SYNC_EVERY {
                        w = file.sync_data();
                        synced = Instant::now();
                    }
                    if let Err(e) = w {
                        abort.store(true, Ordering::Relaxed);
                        failure.get_or_insert(ExperimentError::io(&runs_path, e));
                    }
                    written.store(next_unit, Ordering::Relaxed);
                    if failure.is_none() {
                        pause_for_tests(&mut file, executed);
                    }
                }
                Msg::Failed(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        // (After an interruption, units finished past a gap are dropped:
        // the file stays in plan order, and a resume runs them again.)
    });
    progress.finish();
    let synced = file.sync_data().map_err(|e| ExperimentError::io(&runs_path, e));
    if let Some(e) = failure {
        return Err(e);
    }
    synced?;
    if INTERRUPT.load(Ordering::Relaxed) {
        return Err(ExperimentError::Interrupted {
            kept: resumed + executed,
            total: resumed + todo,
            runs: runs_path.display().to_string(),
        });
    }
    // A resumed folder: its rows read back once, in order, cut and
    // counted; a fresh sweep's file is final as written.
    if resumed > 0 {
        tally = finish_resumed(&runs_path, stop_first)?;
    }
    Ok(SweepResult {
        rows: tally.rows,
        tally,
        folder,
        executed,
        resumed,
        elapsed: start.elapsed(),
    })
}

/// The final form of a resumed sweep's `runs.csv`: every row once, in plan
/// order, cut at each cell's first violation when asked, whatever order the
/// rows were written in; rewritten crash-safely; and its tally.
fn finish_resumed(path: &Path, stop_first: bool) -> Result<Tally, ExperimentError> {
    let tmp = path.with_file_name(format!(".runs.csv.tmp-{}", std::process::id()));
    let tally = match super::tally::rewrite_in_plan_order(&[path.to_path_buf()], &tmp, stop_first) {
        Ok(t) => t,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    std::fs::rename(&tmp, path).map_err(|e| ExperimentError::io(path, e))?;
    Ok(tally)
}

fn run_cost(plan: &ExperimentPlan, cell: &super::plan::Cell) -> u64 {
    super::plan::run_cost(plan.spec.signatures, cell)
}

/// How a sweep shows its progress: a bar on a terminal, a plain line every
/// few seconds elsewhere (Slurm, CI, a pipe), nothing with `--quiet`. The
/// ETA weighs runs by [`run_cost`].
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    lines: bool,
    runs: (usize, usize),
    cost: (u64, u64),
    started: Instant,
    said: Instant,
}

/// How often the plain progress line is printed.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

impl Progress {
    fn new(enabled: bool, runs: usize, cost: u64) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        let bar = (enabled && terminal).then(|| {
            let bar = indicatif::ProgressBar::new(cost.max(1));
            let style = indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {msg}  ETA {eta} (weighted by run cost)",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_message(format!("0/{runs} runs"));
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress {
            bar,
            lines: enabled && !terminal,
            runs: (0, runs),
            cost: (0, cost.max(1)),
            started: Instant::now(),
            said: Instant::now(),
        }
    }

    fn advance(&mut self, runs: usize, cost: u64) {
        self.runs.0 += runs;
        self.cost.0 = (self.cost.0 + cost).min(self.cost.1);
        if let Some(bar) = &self.bar {
            bar.set_position(self.cost.0);
            bar.set_message(format!("{}/{} runs", self.runs.0, self.runs.1));
        }
        if self.lines && self.said.elapsed() >= PROGRESS_EVERY {
            self.said = Instant::now();
            let elapsed = self.started.elapsed().as_secs_f64();
            let share = self.cost.0 as f64 / self.cost.1 as f64;
            let eta = if share > 0.0 {
                elapsed * (1.0 - share) / share
            } else {
                f64::NAN
            };
            eprintln!(
                "progress: {}/{} runs, {:.0}% of the estimated work, {:.0} s elapsed, about {:.0} s left",
                self.runs.0,
                self.runs.1,
                100.0 * share,
                elapsed,
                eta
            );
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
