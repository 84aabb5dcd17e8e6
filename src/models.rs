//! Which algorithm survives which system model (`byzlab models`): every
//! registered algorithm x timing model (sync, partial with GST, async) x
//! fault kind (Byzantine, crash) x scheduler (random, adversarial), a few
//! seeds each, at small n and f. A cell is **safe and live** (every run kept
//! IC1 and IC2 and every loyal lieutenant decided), **safety violated** (some
//! run broke IC1 or IC2) or **not terminated** (no violation, but some loyal
//! lieutenant was still undecided when the run ended). Beside the matrix:
//! the asynchronous agreement's rounds to decide, and FLP made visible (a
//! deterministic protocol under async with one crash, against the
//! adversarial scheduler, for every round timeout tried).
//!
//! The file it reads (`experiments/models.toml`) names the algorithms with
//! their n and f, the seeds, delta, GST and the Byzantine strategy; the
//! crash fault is general n - 1 crashing at time 0 (a lieutenant: a
//! crashed commander is a silent sender, which no asynchronous protocol can
//! wait out, and that is a different theorem).

use crate::finite::StudyError;
use crate::registry::Registry;
use crate::run::{NodeFault, RunSpec, RuntimeKind};
use crate::runtime::RunReport;
use crate::timing::{Millis, TimingModel};
use crate::types::{Algorithm, GeneralId, Outcome};
use plotters::prelude::*;
use serde::Deserialize;
use std::fmt::Write as _;
use std::path::Path;

/// One algorithm of the matrix, at its size.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlgorithmSize {
    /// Its registered name.
    pub name: String,
    /// Generals.
    pub n: usize,
    /// Faults tolerated and placed.
    pub f: usize,
}

/// The study's file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelsSpec {
    /// The folder's name under results/.
    pub name: String,
    /// What it shows.
    pub description: String,
    /// The algorithms, each with its n and f.
    pub algorithms: Vec<AlgorithmSize>,
    /// Seeds 1..=seeds per cell.
    pub seeds: u64,
    /// The delay bound, virtual ms.
    pub delta: Millis,
    /// GST of the partial model, virtual ms.
    pub gst: Millis,
    /// The Byzantine traitors' strategy.
    pub strategy: String,
    /// The round timeouts of the FLP table, virtual ms.
    pub flp_timeouts: Vec<Millis>,
}

/// The most runs a study may ask for (a few minutes on 2 cores at n <= 16).
const MAX_RUNS: u64 = 200_000;

/// The fault kinds of the matrix.
const FAULTS: [&str; 2] = ["byzantine", "crash"];
const SCHEDULERS: [&str; 2] = [crate::scheduler::RANDOM, crate::scheduler::ADVERSARIAL];
const TIMINGS: [TimingModel; 3] = [TimingModel::Sync, TimingModel::Partial, TimingModel::Async];

/// What a file or a run asked of the study that cannot be.
#[derive(Debug, thiserror::Error)]
pub enum ModelsError {
    /// The file.
    #[error("{0}")]
    Spec(String),
    /// Writing the folder or a run.
    #[error(transparent)]
    Study(#[from] StudyError),
}

impl From<crate::runtime::RunFailure> for ModelsError {
    fn from(e: crate::runtime::RunFailure) -> ModelsError {
        ModelsError::Study(e.into())
    }
}

impl From<crate::folder::FolderError> for ModelsError {
    fn from(e: crate::folder::FolderError) -> ModelsError {
        ModelsError::Study(e.into())
    }
}

/// Reads and checks a study file.
pub fn load(text: &str, source: &str, registry: &Registry) -> Result<(ModelsSpec, Vec<Algorithm>), ModelsError> {
    let spec: ModelsSpec = toml::from_str(text).map_err(|e| ModelsError::Spec(format!("{source}: {}", e.message())))?;
    if spec.algorithms.is_empty() {
        return Err(ModelsError::Spec(format!("{source}: `algorithms` is empty")));
    }
    if !(1..=1000).contains(&spec.seeds) {
        return Err(ModelsError::Spec(format!(
            "{source}: seeds = {} is outside 1..=1000",
            spec.seeds
        )));
    }
    if spec.flp_timeouts.is_empty() {
        return Err(ModelsError::Spec(format!("{source}: `flp_timeouts` is empty")));
    }
    // Costed before anything runs: every cell's seeds, and the FLP table's.
    let runs = spec.algorithms.len() as u64
        * (TIMINGS.len() * FAULTS.len() * SCHEDULERS.len() + spec.flp_timeouts.len()) as u64
        * spec.seeds;
    if runs > MAX_RUNS {
        return Err(ModelsError::Spec(format!(
            "{source}: {runs} runs (algorithms x 12 cells + FLP timeouts, x seeds); the study takes at most {MAX_RUNS}: \
             fewer seeds, algorithms or flp_timeouts"
        )));
    }
    let mut algs = Vec::new();
    for a in &spec.algorithms {
        let alg = registry
            .algorithms()
            .find(&a.name)
            .map_err(|e| ModelsError::Spec(format!("{source}: {e}")))?;
        if a.f == 0 || a.n > 16 || a.f >= a.n {
            return Err(ModelsError::Spec(format!(
                "{source}: {} at n = {}, f = {}: the matrix wants 1 <= f < n <= 16",
                a.name, a.n, a.f
            )));
        }
        algs.push(alg);
    }
    registry
        .strategies()
        .resolve(&spec.strategy)
        .map_err(|e| ModelsError::Spec(format!("{source}: {e}")))?;
    // Every run is validated once here, so a bad combination is one error
    // before anything is written.
    for (a, alg) in spec.algorithms.iter().zip(&algs) {
        for t in TIMINGS {
            for fault in FAULTS {
                for s in SCHEDULERS {
                    spec_for(&spec, registry, *alg, a, t, None, fault, s, 1)?
                        .validate()
                        .map_err(|e| ModelsError::Spec(format!("{source}: {} {t} {fault} {s}: {e}", a.name)))?;
                }
            }
        }
    }
    Ok((spec, algs))
}

#[allow(clippy::too_many_arguments)]
fn spec_for(
    spec: &ModelsSpec,
    registry: &Registry,
    alg: Algorithm,
    a: &AlgorithmSize,
    timing: TimingModel,
    timeout: Option<Millis>,
    fault: &str,
    scheduler: &str,
    seed: u64,
) -> Result<RunSpec, ModelsError> {
    let mut run = RunSpec::new(alg, a.n, a.f).map_err(|e| ModelsError::Spec(e.to_string()))?;
    run.runtime = RuntimeKind::Direct;
    run.signatures = crate::crypto::Signatures::Ideal;
    run.seed = seed;
    run.timing = timing;
    run.delta = spec.delta;
    run.gst = if timing == TimingModel::Partial { spec.gst } else { 0 };
    run.timeout = timeout;
    run.strategy = registry
        .strategies()
        .resolve(&spec.strategy)
        .map_err(|e| ModelsError::Spec(e.to_string()))?;
    run.scheduler =
        crate::scheduler::resolve(registry.schedulers(), scheduler).map_err(|e| ModelsError::Spec(e.to_string()))?;
    if fault == "crash" {
        run.traitors = Some(Vec::new());
        run.faults = vec![((a.n - 1) as GeneralId, NodeFault::Crash { at: 0 })];
    }
    Ok(run)
}

/// One run's row.
struct Row {
    alg: String,
    n: usize,
    f: usize,
    timing: TimingModel,
    fault: &'static str,
    scheduler: &'static str,
    timeout: Millis,
    outcome: Outcome,
}

impl Row {
    fn safe(&self) -> bool {
        self.outcome.agreement && self.outcome.validity
    }
    fn live(&self) -> bool {
        self.outcome.undecided.is_empty()
    }
}

/// A cell's verdict.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Verdict {
    SafeLive,
    Violated,
    Undecided,
}

impl Verdict {
    fn of(rows: &[&Row]) -> Verdict {
        if rows.iter().any(|r| !r.safe()) {
            Verdict::Violated
        } else if rows.iter().any(|r| !r.live()) {
            Verdict::Undecided
        } else {
            Verdict::SafeLive
        }
    }
    fn as_str(self) -> &'static str {
        match self {
            Verdict::SafeLive => "safe and live",
            Verdict::Violated => "safety violated",
            Verdict::Undecided => "not terminated",
        }
    }
    /// Told apart by readers with red-green colour blindness (blue,
    /// orange, grey: the Okabe-Ito palette).
    fn colour(self) -> RGBColor {
        match self {
            Verdict::SafeLive => RGBColor(86, 180, 233),
            Verdict::Violated => RGBColor(230, 159, 0),
            Verdict::Undecided => RGBColor(170, 170, 170),
        }
    }
}

fn run(spec: RunSpec) -> Result<RunReport, ModelsError> {
    let plan = spec.validate().map_err(crate::runtime::RunFailure::from)?;
    Ok(crate::runtime::execute(&plan).map_err(crate::runtime::RunFailure::from)?)
}

/// Runs the study of `spec` into `out`; returns the summary.
pub fn study(
    spec: &ModelsSpec,
    algs: &[Algorithm],
    registry: &Registry,
    out: &Path,
    command: &str,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<String, ModelsError> {
    let mut folder = crate::folder::Folder::claim(out, "models", None)?;
    let mut rows: Vec<Row> = Vec::new();
    let total = algs.len() * TIMINGS.len() * FAULTS.len() * SCHEDULERS.len() * spec.seeds as usize
        + algs.len() * spec.flp_timeouts.len() * spec.seeds as usize;
    let mut done = 0;
    for (a, &alg) in spec.algorithms.iter().zip(algs) {
        for t in TIMINGS {
            for fault in FAULTS {
                for s in SCHEDULERS {
                    for seed in 1..=spec.seeds {
                        let report = run(spec_for(spec, registry, alg, a, t, None, fault, s, seed)?)?;
                        rows.push(Row {
                            alg: a.name.clone(),
                            n: a.n,
                            f: a.f,
                            timing: t,
                            fault,
                            scheduler: s,
                            timeout: report.outcome.timeout_ms,
                            outcome: report.outcome,
                        });
                        done += 1;
                        progress(done, total);
                    }
                }
            }
        }
    }
    // FLP: async, one crash, the adversarial scheduler, every timeout.
    let mut flp: Vec<Row> = Vec::new();
    for (a, &alg) in spec.algorithms.iter().zip(algs) {
        let timeouts: Vec<Option<Millis>> = if alg.asynchronous() {
            vec![None]
        } else {
            spec.flp_timeouts.iter().map(|&t| Some(t)).collect()
        };
        for timeout in timeouts {
            for seed in 1..=spec.seeds {
                let report = run(spec_for(
                    spec,
                    registry,
                    alg,
                    a,
                    TimingModel::Async,
                    timeout,
                    "crash",
                    crate::scheduler::ADVERSARIAL,
                    seed,
                )?)?;
                flp.push(Row {
                    alg: a.name.clone(),
                    n: a.n,
                    f: a.f,
                    timing: TimingModel::Async,
                    fault: "crash",
                    scheduler: crate::scheduler::ADVERSARIAL,
                    timeout: report.outcome.timeout_ms,
                    outcome: report.outcome,
                });
                done += 1;
                progress(done, total);
            }
        }
    }
    let mut runs = String::from(
        "table,algorithm,n,f,timing,fault,scheduler,timeout_ms,seed,traitors,agreement,validity,undecided,rounds,decision_time_ms,messages\n",
    );
    for (table, list) in [("matrix", &rows), ("flp", &flp)] {
        for r in list.iter() {
            let o = &r.outcome;
            let traitors: Vec<String> = o.traitors.iter().map(|t| t.to_string()).collect();
            let _ = writeln!(
                runs,
                "{table},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                r.alg,
                r.n,
                r.f,
                r.timing,
                r.fault,
                r.scheduler,
                r.timeout,
                o.seed,
                traitors.join(" "),
                o.agreement,
                o.validity,
                o.undecided.len(),
                o.rounds,
                o.decision_time_ms,
                o.counters.messages
            );
        }
    }
    let mut cells = String::from(
        "algorithm,n,f,timing,fault,scheduler,runs,safety_violations,not_terminated,verdict,mean_rounds,mean_decision_time_ms\n",
    );
    let mut matrix: Vec<Cell<'_>> = Vec::new();
    for a in &spec.algorithms {
        for t in TIMINGS {
            for fault in FAULTS {
                for s in SCHEDULERS {
                    let cell: Vec<&Row> = rows
                        .iter()
                        .filter(|r| r.alg == a.name && r.timing == t && r.fault == fault && r.scheduler == s)
                        .collect();
                    let bad = cell.iter().filter(|r| !r.safe()).count();
                    let stuck = cell.iter().filter(|r| r.safe() && !r.live()).count();
                    let v = Verdict::of(&cell);
                    let rounds = mean(cell.iter().map(|r| f64::from(r.outcome.rounds)));
                    let time = mean(cell.iter().map(|r| r.outcome.decision_time_ms as f64));
                    let _ = writeln!(
                        cells,
                        "{},{},{},{t},{fault},{s},{},{bad},{stuck},{},{rounds:.2},{time:.1}",
                        a.name,
                        a.n,
                        a.f,
                        cell.len(),
                        v.as_str()
                    );
                    matrix.push(Cell {
                        alg: a.name.clone(),
                        timing: t,
                        fault,
                        scheduler: s,
                        verdict: v,
                        bad,
                        stuck,
                        runs: cell.len(),
                    });
                }
            }
        }
    }
    // The summary.
    let mut md = format!(
        "# {}\n\nMade by `{command}` with byzlab {}.\n\n{}\n\n",
        spec.name,
        env!("CARGO_PKG_VERSION"),
        spec.description.trim()
    );
    let _ = writeln!(
        md,
        "Each cell: {} seeds (1..={}), delta = {} ms, GST = {} ms under partial, the round timeout = delta \
         (lock-step algorithms), signatures ideal. Byzantine: f traitors drawn from the seed, strategy `{}`; crash: \
         general n - 1 crashes at time 0, no traitor. A cell says `safe and live N/N`, `violated k/N` (k runs broke \
         IC1 or IC2) or `undecided k/N` (k runs kept them but left a loyal lieutenant undecided).\n",
        spec.seeds, spec.seeds, spec.delta, spec.gst, spec.strategy
    );
    let _ = writeln!(md, "## The matrix\n");
    let mut header = String::from("| algorithm | fault | scheduler |");
    let mut rule = String::from("|---|---|---|");
    for t in TIMINGS {
        let _ = write!(header, " {t} |");
        rule.push_str("---|");
    }
    let _ = writeln!(md, "{header}\n{rule}");
    for a in &spec.algorithms {
        for fault in FAULTS {
            for s in SCHEDULERS {
                let _ = write!(md, "| {} (n = {}, f = {}) | {fault} | {s} |", a.name, a.n, a.f);
                for t in TIMINGS {
                    let c = matrix
                        .iter()
                        .find(|m| m.is(&a.name, t, fault, s))
                        .expect("every cell ran");
                    let _ = write!(md, " {} |", cell_text(c));
                }
                md.push('\n');
            }
        }
    }
    // What the matrix says, with its numbers.
    let count = |pred: &dyn Fn(&Cell<'_>) -> bool| matrix.iter().filter(|m| pred(m)).count();
    let lockstep: Vec<&str> = spec
        .algorithms
        .iter()
        .zip(algs)
        .filter(|(_, a)| !a.asynchronous())
        .map(|(s, _)| s.name.as_str())
        .collect();
    let randomized: Vec<&str> = spec
        .algorithms
        .iter()
        .zip(algs)
        .filter(|(_, a)| a.asynchronous())
        .map(|(s, _)| s.name.as_str())
        .collect();
    let sync_ok = count(&|m| {
        lockstep.contains(&m.alg.as_str()) && m.timing == TimingModel::Sync && m.verdict == Verdict::SafeLive
    });
    let sync_all = count(&|m| lockstep.contains(&m.alg.as_str()) && m.timing == TimingModel::Sync);
    let adv_async_bad = count(&|m| {
        lockstep.contains(&m.alg.as_str())
            && m.timing == TimingModel::Async
            && m.scheduler == crate::scheduler::ADVERSARIAL
            && m.verdict != Verdict::SafeLive
    });
    let adv_async_all = count(&|m| {
        lockstep.contains(&m.alg.as_str())
            && m.timing == TimingModel::Async
            && m.scheduler == crate::scheduler::ADVERSARIAL
    });
    let rand_safe = count(&|m| randomized.contains(&m.alg.as_str()) && m.verdict != Verdict::Violated);
    let rand_all = count(&|m| randomized.contains(&m.alg.as_str()));
    let rand_live = count(&|m| randomized.contains(&m.alg.as_str()) && m.verdict == Verdict::SafeLive);
    let _ = writeln!(
        md,
        "\n## What it says\n\nAlgorithms are designed following system models. The lock-step algorithms ({}) are \
         safe and live in {sync_ok} of their {sync_all} synchronous cells (their model), and fail in {adv_async_bad} \
         of their {adv_async_all} asynchronous cells against the adversarial scheduler, which needs no traitor: it \
         holds the frames between two halves of the generals past every round deadline, so each half decides on \
         what it saw alone. The asynchronous agreement ({}) never waits for a clock: it keeps IC1 and IC2 in \
         {rand_safe} of its {rand_all} cells and every loyal lieutenant decides in {rand_live} of them, under every \
         timing model and both schedulers; the adversary only delays it (rounds and virtual time below).\n",
        lockstep.join(", "),
        randomized.join(", ")
    );
    // Rounds to decide of the asynchronous agreement.
    let mut hist: Vec<(String, Vec<(u32, usize)>)> = Vec::new();
    if !randomized.is_empty() {
        let _ = writeln!(
            md,
            "## Rounds to decide (the asynchronous agreement, timing async)\n\n| algorithm | fault | scheduler | runs | \
             mean rounds | max rounds | rounds 1 / 2 / 3 / 4+ | mean virtual time to decide (ms) |\n|---|---|---|---|---|---|---|---|"
        );
        for name in &randomized {
            for s in SCHEDULERS {
                let mut dist: Vec<(u32, usize)> = Vec::new();
                for fault in FAULTS {
                    let cell: Vec<&Row> = rows
                        .iter()
                        .filter(|r| {
                            r.alg == *name
                                && r.timing == TimingModel::Async
                                && r.fault == fault
                                && r.scheduler == s
                                && r.live()
                        })
                        .collect();
                    let by = |k: u32| cell.iter().filter(|r| r.outcome.rounds == k).count();
                    let more = cell.iter().filter(|r| r.outcome.rounds >= 4).count();
                    let _ = writeln!(
                        md,
                        "| {name} | {fault} | {s} | {} | {:.2} | {} | {} / {} / {} / {more} | {:.0} |",
                        cell.len(),
                        mean(cell.iter().map(|r| f64::from(r.outcome.rounds))),
                        cell.iter().map(|r| r.outcome.rounds).max().unwrap_or(0),
                        by(1),
                        by(2),
                        by(3),
                        mean(cell.iter().map(|r| r.outcome.decision_time_ms as f64)),
                    );
                    for r in &cell {
                        match dist.iter_mut().find(|(k, _)| *k == r.outcome.rounds) {
                            Some((_, c)) => *c += 1,
                            None => dist.push((r.outcome.rounds, 1)),
                        }
                    }
                }
                dist.sort_unstable();
                hist.push((format!("{name}, {s} scheduler"), dist));
            }
        }
    }
    if !randomized.is_empty() {
        let _ = writeln!(
            md,
            "\nA round decides when the common coin shows the value the loyal generals' estimates agree on \
             (probability 1/2 a round), whatever the delays: the seeds deal the same coins to every cell, so the \
             rounds repeat across schedulers, and the adversary stretches only the virtual time (each hold costs \
             100 x delta)."
        );
    }
    // FLP.
    let _ = writeln!(
        md,
        "\n## FLP made visible\n\nFischer, Lynch and Paterson (1985): no deterministic protocol reaches consensus in an \
         asynchronous system with even one crash. Below, timing async, general n - 1 crashed at time 0, no traitor, \
         the adversarial scheduler (which may hold a frame any finite time; here 100 x the longer of delta and the \
         timeout), each deterministic protocol with every round timeout tried: however long it waits, the \
         scheduler waits longer, and the protocol decides wrongly or not at all. The randomized agreement has no \
         timeout; it keeps IC1 and IC2 and decides, in the rounds shown.\n\n| algorithm | timeout (ms) | runs | \
         IC1 or IC2 broken | undecided | decided correctly | mean rounds |\n|---|---|---|---|---|---|---|"
    );
    for a in &spec.algorithms {
        let mut timeouts: Vec<Millis> = flp.iter().filter(|r| r.alg == a.name).map(|r| r.timeout).collect();
        timeouts.dedup();
        for t in timeouts {
            let cell: Vec<&Row> = flp.iter().filter(|r| r.alg == a.name && r.timeout == t).collect();
            let bad = cell.iter().filter(|r| !r.safe()).count();
            let stuck = cell.iter().filter(|r| r.safe() && !r.live()).count();
            let asynchronous = algs
                .iter()
                .zip(&spec.algorithms)
                .any(|(alg, s)| s.name == a.name && alg.asynchronous());
            let _ = writeln!(
                md,
                "| {} | {} | {} | {bad} | {stuck} | {} | {} |",
                a.name,
                if asynchronous {
                    "none".to_string()
                } else {
                    t.to_string()
                },
                cell.len(),
                cell.len() - bad - stuck,
                if asynchronous {
                    format!("{:.2}", mean(cell.iter().map(|r| f64::from(r.outcome.rounds))))
                } else {
                    "-".into()
                }
            );
        }
    }
    let _ = writeln!(
        md,
        "\n## How to read it\n\nA scheduler chooses each frame's delay within what the timing model allows: exactly \
         delta under sync (so `adversarial` changes nothing there), at most delta after GST and arrival by GST + \
         delta before it under partial, any finite delay under async. `random` is the model's seeded draws. \
         Figures: `overview.svg` (every algorithm), one `ALGORITHM.svg` each, `rounds.svg` (the asynchronous \
         agreement's rounds to decide). Colours: blue safe and live, orange safety violated, grey not terminated \
         (told apart without red and green).\n"
    );
    // Figures.
    let overview = folder.file("overview.svg")?;
    matrix_svg(
        &overview,
        "Which algorithm survives which model (all cells)",
        &spec.algorithms,
        &matrix,
    )
    .map_err(crate::finite::plotted(&overview))
    .map_err(ModelsError::Study)?;
    let mut figures = vec!["overview.svg".to_string()];
    for a in &spec.algorithms {
        let name = format!("{}.svg", a.name);
        let path = folder.file(&name)?;
        matrix_svg(
            &path,
            &format!("{} (n = {}, f = {})", a.name, a.n, a.f),
            std::slice::from_ref(a),
            &matrix,
        )
        .map_err(crate::finite::plotted(&path))
        .map_err(ModelsError::Study)?;
        figures.push(name);
    }
    if !hist.is_empty() {
        let path = folder.file("rounds.svg")?;
        rounds_svg(&path, &hist)
            .map_err(crate::finite::plotted(&path))
            .map_err(ModelsError::Study)?;
        figures.push("rounds.svg".into());
    }
    folder.write("runs.csv", &runs)?;
    folder.write("cells.csv", &cells)?;
    folder.write("summary.md", &md)?;
    folder.write(
        "README.md",
        format!(
            "# results/{}\n\nProduced by the committed code with:\n\n    {command}\n\nDo not edit by hand: rerun the \
             command. Files: summary.md (the matrix, rounds to decide, FLP), cells.csv (one row per cell), runs.csv \
             (one row per run; `table` says matrix or flp), {}.\n",
            spec.name,
            figures.join(", ")
        ),
    )?;
    Ok(md)
}

fn mean(xs: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = xs.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 { 0.0 } else { sum / n as f64 }
}

/// One cell's verdict and counts.
struct Cell<'a> {
    alg: String,
    timing: TimingModel,
    fault: &'a str,
    scheduler: &'a str,
    verdict: Verdict,
    /// Runs that broke IC1 or IC2.
    bad: usize,
    /// Runs that kept them but left a loyal lieutenant undecided.
    stuck: usize,
    runs: usize,
}

impl Cell<'_> {
    fn is(&self, alg: &str, timing: TimingModel, fault: &str, scheduler: &str) -> bool {
        self.alg == alg && self.timing == timing && self.fault == fault && self.scheduler == scheduler
    }
}

/// A cell as a table and a figure say it: the verdict and its counts.
fn cell_text(c: &Cell<'_>) -> String {
    let (bad, stuck, runs) = (c.bad, c.stuck, c.runs);
    match c.verdict {
        Verdict::SafeLive => format!("safe and live {runs}/{runs}"),
        Verdict::Violated if stuck > 0 => format!("violated {bad}/{runs}, undecided {stuck}"),
        Verdict::Violated => format!("violated {bad}/{runs}"),
        Verdict::Undecided => format!("undecided {stuck}/{runs}"),
    }
}

/// A grid: a row per algorithm x fault x scheduler, a column per timing
/// model, each cell coloured by its verdict and labelled with its counts.
fn matrix_svg(
    path: &Path,
    title: &str,
    algs: &[AlgorithmSize],
    matrix: &[Cell<'_>],
) -> Result<(), Box<dyn std::error::Error>> {
    let rows: Vec<(&AlgorithmSize, &str, &str)> = algs
        .iter()
        .flat_map(|a| {
            FAULTS
                .iter()
                .flat_map(move |f| SCHEDULERS.iter().map(move |s| (a, *f, *s)))
        })
        .collect();
    let (left, top, cw, ch) = (300i32, 70i32, 150i32, 30i32);
    let width = (left + cw * TIMINGS.len() as i32 + 20) as u32;
    let height = (top + ch * rows.len() as i32 + 110) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE)?;
        root.draw(&Text::new(title.to_string(), (12, 14), ("sans-serif", 17)))?;
        for (j, t) in TIMINGS.iter().enumerate() {
            let x = left + cw * j as i32;
            root.draw(&Text::new(
                format!("timing {t}"),
                (x + 30, top - 22),
                ("sans-serif", 14),
            ))?;
        }
        for (i, (a, fault, s)) in rows.iter().enumerate() {
            let y = top + ch * i as i32;
            root.draw(&Text::new(
                format!("{} n={} f={}, {fault}, {s}", a.name, a.n, a.f),
                (10, y + 9),
                ("sans-serif", 13),
            ))?;
            for (j, t) in TIMINGS.iter().enumerate() {
                let x = left + cw * j as i32;
                let Some(c) = matrix.iter().find(|m| m.is(&a.name, *t, fault, s)) else {
                    continue;
                };
                root.draw(&Rectangle::new(
                    [(x + 2, y + 2), (x + cw - 2, y + ch - 2)],
                    c.verdict.colour().filled(),
                ))?;
                root.draw(&Text::new(cell_text(c), (x + 8, y + 9), ("sans-serif", 12)))?;
            }
        }
        let y = top + ch * rows.len() as i32 + 20;
        for (k, v) in [Verdict::SafeLive, Verdict::Violated, Verdict::Undecided]
            .iter()
            .enumerate()
        {
            let x = 12 + 190 * k as i32;
            root.draw(&Rectangle::new([(x, y), (x + 16, y + 16)], v.colour().filled()))?;
            root.draw(&Text::new(v.as_str(), (x + 22, y + 2), ("sans-serif", 13)))?;
        }
        root.draw(&Text::new(
            "counts: runs that broke IC1/IC2, or left a loyal lieutenant undecided, of the cell's runs",
            (12, y + 30),
            ("sans-serif", 12),
        ))?;
        root.present()?;
    }
    crate::files::write_atomic(path, svg)?;
    Ok(())
}

/// Bars: how many runs decided in each round, per series.
fn rounds_svg(path: &Path, hist: &[(String, Vec<(u32, usize)>)]) -> Result<(), Box<dyn std::error::Error>> {
    let max_round = hist
        .iter()
        .flat_map(|(_, d)| d.iter().map(|(k, _)| *k))
        .max()
        .unwrap_or(1)
        .max(1);
    let max_count = hist
        .iter()
        .flat_map(|(_, d)| d.iter().map(|(_, c)| *c))
        .max()
        .unwrap_or(1)
        .max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 420)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "Rounds to decide, asynchronous agreement under async timing",
                ("sans-serif", 16),
            )
            .margin(14)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0.5f64..max_round as f64 + 0.5, 0f64..max_count as f64 * 1.15)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc("round in which the last loyal lieutenant decided")
            .y_desc("runs")
            .y_label_formatter(&|v| format!("{}", v.round() as i64))
            .x_labels(max_round as usize)
            .x_label_formatter(&|v| format!("{}", v.round() as i64))
            .draw()?;
        let colours = [
            RGBColor(0, 114, 178),
            RGBColor(230, 159, 0),
            RGBColor(0, 158, 115),
            RGBColor(204, 121, 167),
        ];
        let width = 0.8 / hist.len() as f64;
        for (i, (label, dist)) in hist.iter().enumerate() {
            let colour = colours[i % colours.len()];
            let offset = -0.4 + width * i as f64;
            chart
                .draw_series(dist.iter().map(|&(k, c)| {
                    let x = f64::from(k) + offset;
                    Rectangle::new([(x, 0.0), (x + width, c as f64)], colour.filled())
                }))?
                .label(label.clone())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled()));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()?;
        root.present()?;
    }
    crate::files::write_atomic(path, svg)?;
    Ok(())
}
