//! The `byzlab` command line, as a library function so that a user's crate
//! gets its own `byzlab` with its strategies and adversaries registered
//! ([`main_with`], [`crate::registry`]; see `examples/my_lab.rs`).
//! `anyhow` lives here only; the rest of the library speaks in typed
//! errors, and every error reaches the user as one line on stderr with a
//! non-zero exit, never a panic.

use crate::experiment::plan::{self, ExperimentPlan};
use crate::experiment::runner::{self, SweepOptions};
use crate::experiment::{merge, render, report, spec, witness};
use crate::graph::GraphSpec;
use crate::link::{LinkDefaults, LinkSpec};
use crate::registry::Registry;
use crate::run::NodeFault;
use crate::run::{RunSpec, RuntimeKind, Signatures};
use crate::runtime::{self, RunReport};
use crate::timing::TimingModel;
use crate::traitor;
use crate::types::{Algorithm, Counters, GeneralId, Value};
use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "byzlab",
    version,
    about = "A Byzantine agreement testbed: OM(m) and SM(m) generals as actix actors"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one agreement among n generals and report decisions, IC1 and IC2.
    Run(Box<RunArgs>),
    /// List the built-in traitor strategies and link adversaries.
    Strategies,
    /// Run an experiment file: every cell searched for violations, results written to a folder.
    Sweep(SweepArgs),
    /// Rerun a witness of a violation and print its message trace.
    Replay(ReplayArgs),
    /// Combine shard folders of one experiment into the outputs of one run.
    Merge(MergeArgs),
    /// Measure the performance targets and the scaling table (see scripts/perf.sh).
    Perf(PerfArgs),
    /// Run the heartbeat failure detector: who suspects whom, and when (virtual time).
    Detect(DetectArgs),
    /// Sweep the failure detector over timing models, timeouts and adaptivity (an experiment file).
    DetectSweep(DetectSweepArgs),
    /// The two generals over a fair-loss channel: how often exactly one attacks, after K acknowledgements.
    TwoGenerals(TwoGeneralsArgs),
    /// The online book shop: customer, shop and payment service agree with OM or SM, one possibly Byzantine.
    BookShop(BookShopArgs),
}

#[derive(clap::Args)]
struct TwoGeneralsArgs {
    /// Probability that a messenger is lost.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.2)]
    loss: f64,
    /// Rounds of acknowledgement after the first message.
    #[arg(long, allow_negative_numbers = true, default_value_t = 3)]
    acks: u32,
    /// Trials.
    #[arg(long, allow_negative_numbers = true, default_value_t = 10_000)]
    trials: u64,
    /// Seed of the losses.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0)]
    seed: u64,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// Instead: write the table for K = 0..10 at losses 0.1, 0.2, 0.4 (with its plot) into this folder.
    #[arg(long)]
    table: Option<PathBuf>,
}

#[derive(clap::Args)]
struct BookShopArgs {
    /// Algorithm: om or sm.
    #[arg(long, default_value = "om", value_parser = parse_from_str::<Algorithm>)]
    algorithm: Algorithm,
    /// The Byzantine party: customer, shop or payment [default: none].
    #[arg(long, value_parser = parse_party)]
    byzantine: Option<crate::scenarios::Party>,
    /// What the customer orders: buy or cancel.
    #[arg(long, default_value = "buy", value_parser = parse_order)]
    order: Value,
    /// Seed.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0)]
    seed: u64,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// Instead: write every algorithm x Byzantine party x order into this folder.
    #[arg(long)]
    table: Option<PathBuf>,
}

fn parse_party(s: &str) -> Result<crate::scenarios::Party, String> {
    use crate::scenarios::Party;
    match s {
        "customer" => Ok(Party::Customer),
        "shop" => Ok(Party::Shop),
        "payment" => Ok(Party::Payment),
        other => Err(format!("`{other}` is not customer, shop or payment")),
    }
}

fn parse_order(s: &str) -> Result<Value, String> {
    match s {
        "buy" => Ok(Value::Attack),
        "cancel" => Ok(Value::Retreat),
        other => Err(format!("`{other}` is not buy or cancel")),
    }
}

fn cmd_two_generals(args: TwoGeneralsArgs) -> Result<()> {
    if let Some(out) = &args.table {
        println!(
            "{}",
            crate::scenarios::two_generals_table(out, args.trials, args.seed, &command_line())?
        );
        return Ok(());
    }
    let r = crate::scenarios::two_generals(args.loss, args.acks, args.trials, args.seed)?;
    if args.json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        println!(
            "two generals, loss {} per messenger, {} acknowledgements, {} trials: exactly one attacked in {} ({:.4}; expected (1-loss)^K x loss = {:.4}); both in {}, neither in {}",
            r.loss, r.acks, r.trials, r.disasters, r.fraction, r.expected, r.both_attack, r.neither_attacks
        );
    }
    Ok(())
}

fn cmd_book_shop(args: BookShopArgs) -> Result<()> {
    if let Some(out) = &args.table {
        println!("{}", crate::scenarios::book_shop_table(out, &command_line())?);
        return Ok(());
    }
    let r = crate::scenarios::book_shop(args.algorithm, args.byzantine, args.order, args.seed)?;
    if args.json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        let yes = |b: Option<bool>| b.map_or("(Byzantine)", |b| if b { "yes" } else { "no" });
        println!(
            "{}(1): customer orders {}, Byzantine: {}; shop dispatches: {}, payment charges: {}; {}",
            r.algorithm.as_str().to_uppercase(),
            if r.order == Value::Attack { "buy" } else { "cancel" },
            r.byzantine
                .map_or("none".to_string(), |p| format!("{p:?}").to_lowercase()),
            yes(r.dispatch),
            yes(r.charge),
            book_shop_verdict(&r)
        );
    }
    Ok(())
}

/// `consistent`, or which property failed, in the shop's terms: IC1 (the
/// honest parties disagree: dispatched but not charged, or charged but not
/// dispatched) and IC2 (an honest customer's order not followed).
fn book_shop_verdict(r: &crate::scenarios::BookShop) -> String {
    if r.consistent {
        return "consistent".into();
    }
    let mut failed = Vec::new();
    if let (Some(d), Some(c)) = (r.dispatch, r.charge)
        && d != c
    {
        failed.push(if d {
            "IC1 violated: the shop dispatches but the payment service does not charge"
        } else {
            "IC1 violated: the payment service charges but the shop does not dispatch"
        });
    }
    let ordered = r.order == Value::Attack;
    let honest_customer = r.byzantine != Some(crate::scenarios::Party::Customer);
    if honest_customer && [r.dispatch, r.charge].iter().flatten().any(|&x| x != ordered) {
        failed.push(if ordered {
            "IC2 violated: the customer bought, an honest party cancelled"
        } else {
            "IC2 violated: the customer cancelled, an honest party went ahead"
        });
    }
    format!("INCONSISTENT ({})", failed.join("; "))
}

#[derive(clap::Args)]
struct DetectArgs {
    /// Number of nodes.
    #[arg(long, allow_negative_numbers = true)]
    n: usize,
    /// A node that crashes, as ID@MS (virtual ms); repeat the flag for more.
    #[arg(long, value_parser = parse_crash)]
    crash: Vec<(GeneralId, u64)>,
    /// Heartbeat and check period, in virtual ms.
    #[arg(long, allow_negative_numbers = true, default_value_t = 50)]
    interval: u64,
    /// How old a peer's last heartbeat may be before it is suspected, in virtual ms.
    #[arg(long, allow_negative_numbers = true, default_value_t = 100)]
    timeout: u64,
    /// Double a peer's timeout after each false suspicion (eventually perfect under partial synchrony).
    #[arg(long)]
    adaptive: bool,
    #[command(flatten)]
    model: ModelArgs,
    /// How long the run lasts, in virtual ms.
    #[arg(long, allow_negative_numbers = true, default_value_t = 5000)]
    duration: u64,
    /// Seed of the delays.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0)]
    seed: u64,
    /// Runtime: actix (nodes as actors) or direct.
    #[arg(long, default_value = "actix", value_parser = parse_from_str::<RuntimeKind>)]
    runtime: RuntimeKind,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct DetectSweepArgs {
    /// The sweep file (see experiments/detector.toml).
    file: PathBuf,
    /// Output folder [default: results/<name>].
    #[arg(long)]
    out: Option<PathBuf>,
}

fn parse_crash(s: &str) -> Result<(GeneralId, u64), String> {
    crate::detector::sweep::parse_crash(s)
}

fn parse_recover(s: &str) -> Result<(GeneralId, u64, u64), String> {
    let (id, span) = s.split_once('@').ok_or_else(|| format!("`{s}` is not ID@MS:MS"))?;
    let (down, up) = span.split_once(':').ok_or_else(|| format!("`{s}` is not ID@MS:MS"))?;
    let num = |t: &str| {
        t.trim()
            .parse::<u64>()
            .map_err(|_| format!("`{t}` in `{s}` is not a time in ms"))
    };
    let id = id
        .trim()
        .parse()
        .map_err(|_| format!("`{id}` in `{s}` is not a general id"))?;
    Ok((id, num(down)?, num(up)?))
}

/// A probability, in [0, 1].
fn parse_probability(s: &str) -> Result<f64, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|p| (0.0..=1.0).contains(p))
        .ok_or_else(|| format!("`{s}` is not a probability in [0, 1]"))
}

fn parse_omission(s: &str) -> Result<(GeneralId, f64), String> {
    let (id, p) = s.split_once(':').ok_or_else(|| format!("`{s}` is not ID:P"))?;
    let id = id
        .trim()
        .parse()
        .map_err(|_| format!("`{id}` in `{s}` is not a general id"))?;
    let p = parse_probability(p).map_err(|e| format!("{e} in `{s}`"))?;
    Ok((id, p))
}

fn cmd_detect(args: DetectArgs) -> Result<()> {
    let spec = crate::detector::DetectSpec {
        n: args.n,
        crashes: args.crash,
        interval: args.interval,
        timeout: args.timeout,
        adaptive: args.adaptive,
        timing: args.model.timing,
        delta: args.model.delta,
        gst: args.model.gst,
        duration: args.duration,
        seed: args.seed,
        runtime: args.runtime,
    };
    let r = crate::detector::detect(&spec)?;
    if args.json {
        let mut v = serde_json::to_value(&r)?;
        // detection_ms: the first and the last correct node to suspect the
        // (first) crashed node for good.
        if let (Some(obj), Some(d)) = (v.as_object_mut(), r.detections.first()) {
            obj.insert(
                "detection_ms".into(),
                serde_json::json!({ "first": d.first_ms, "last": d.last_ms }),
            );
        }
        println!("{}", serde_json::to_string(&v)?);
        return Ok(());
    }
    // GST exists only under partial synchrony.
    let partial = r.timing == TimingModel::Partial;
    let gst = if partial {
        format!(" gst={}", r.gst_ms)
    } else {
        String::new()
    };
    println!(
        "heartbeat detector  n={}  interval={} ms  timeout={} ms{}  timing={} delta={}{gst}  {} ms  runtime={}",
        r.n,
        r.interval_ms,
        r.timeout_ms,
        if r.adaptive { " (adaptive)" } else { "" },
        r.timing,
        r.delta_ms,
        r.duration_ms,
        r.runtime
    );
    for d in &r.detections {
        let t = |v: Option<u64>| v.map_or("never".to_string(), |t| format!("t={t}"));
        println!(
            "node {} crashed at t={}: first suspected for good {}, by every correct node {}",
            d.node,
            d.crashed_ms,
            t(d.first_ms),
            t(d.last_ms)
        );
    }
    let after = if partial {
        format!(" ({} after GST)", r.suspicions_after_gst)
    } else {
        String::new()
    };
    println!(
        "false suspicions {}{after}, heartbeats {}, largest timeout {} ms",
        r.false_suspicions, r.heartbeats, r.max_timeout_ms
    );
    Ok(())
}

fn cmd_detect_sweep(args: DetectSweepArgs) -> Result<()> {
    let stem = args
        .file
        .file_stem()
        .map_or("detector".to_string(), |s| s.to_string_lossy().into_owned());
    let out = args.out.unwrap_or_else(|| PathBuf::from("results").join(stem));
    println!("{}", crate::detector::sweep::run(&args.file, &out, &command_line())?);
    Ok(())
}

#[derive(clap::Args)]
struct PerfArgs {
    /// Output folder.
    #[arg(long, default_value = "results/perf")]
    out: PathBuf,
    /// Timed repetitions per measurement (1 to 1000); the median is reported.
    #[arg(long, allow_negative_numbers = true, default_value_t = 7, value_parser = clap::value_parser!(u16).range(1..=1000))]
    reps: u16,
    /// Experiment swept with --jobs 1 and --jobs 2 for the parallel-speedup target.
    #[arg(long, default_value = "experiments/bound.toml")]
    sweep: PathBuf,
    /// Skip the sweep target (it takes about half a minute).
    #[arg(long)]
    no_sweep: bool,
    /// A byzlab binary built from an older commit (scripts/perf.sh builds
    /// daf5fb2): OM(5) n=20 is then timed against it, alternately.
    #[arg(long)]
    baseline: Option<PathBuf>,
}

#[derive(clap::Args)]
struct SweepArgs {
    /// Experiment file (TOML; see experiments/README.md).
    file: PathBuf,
    /// Output folder [default: results/<experiment name>, or results/<name>-shard-I-of-N].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Worker threads, each with its own actix System [default: all cores].
    #[arg(long, allow_negative_numbers = true)]
    jobs: Option<usize>,
    /// Run only shard I of N (cells dealt round-robin), e.g. 0/4.
    #[arg(long, value_parser = parse_shard)]
    shard: Option<(usize, usize)>,
    /// Continue an interrupted sweep in the output folder instead of starting over.
    #[arg(long)]
    resume: bool,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

#[derive(clap::Args)]
struct ReplayArgs {
    /// Witness file written by a sweep (results/NAME/witnesses/cell-K.json).
    witness: PathBuf,
    /// Also draw the run's space-time diagram into this SVG file.
    #[arg(long)]
    diagram: Option<PathBuf>,
}

#[derive(clap::Args)]
struct MergeArgs {
    /// Shard folders of the same experiment.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Output folder [default: results/<experiment name>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Merge even if shards are missing or unfinished (the summary then
    /// counts only the runs found).
    #[arg(long)]
    allow_partial: bool,
}

fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| format!("`{s}` is not I/N (e.g. 0/4)"))?;
    let i: usize = i.trim().parse().map_err(|_| format!("`{i}` is not a shard index"))?;
    let n: usize = n.trim().parse().map_err(|_| format!("`{n}` is not a shard count"))?;
    if n == 0 || i >= n {
        return Err(format!("shard {i}/{n}: need 0 <= I < N"));
    }
    Ok((i, n))
}

/// The command line as a user would type it, for the results' provenance.
fn command_line() -> String {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    args.insert(0, "byzlab".into());
    args.join(" ")
}

fn cmd_sweep(args: SweepArgs) -> Result<()> {
    let spec = spec::load(&args.file)?;
    let plan = plan::build(&spec, &args.file.display().to_string())?;
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if jobs == 0 {
        anyhow::bail!("--jobs must be at least 1");
    }
    let largest = plan
        .cells
        .iter()
        .filter(|c| !c.runs.is_empty())
        .filter_map(|c| c.run_m().map(|m| (c.algorithm, c.n, m)));
    crate::memory::check_sweep(largest, jobs)
        .with_context(|| format!("{}: the plan is too big", args.file.display()))?;
    let out = args.out.unwrap_or_else(|| match args.shard {
        None => PathBuf::from("results").join(&spec.name),
        Some((i, n)) => PathBuf::from("results").join(format!("{}-shard-{i}-of-{n}", spec.name)),
    });
    let in_shard: Vec<_> = plan
        .cells
        .iter()
        .filter(|c| ExperimentPlan::in_shard(c.id, args.shard))
        .collect();
    eprintln!(
        "{}: {} cells, {} runs, {jobs} jobs -> {}",
        spec.name,
        in_shard.len(),
        in_shard.iter().map(|c| c.runs.len()).sum::<usize>(),
        out.display()
    );
    // The results are those of the command without --resume: record that.
    let command = command_line().replace(" --resume", "");
    // Ctrl-C: the workers stop after their current run and every finished
    // row is kept; a second Ctrl-C exits at once (rows on disk stay).
    let _ = ctrlc::set_handler(|| {
        if runner::INTERRUPT.swap(true, std::sync::atomic::Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    let opts = SweepOptions {
        out: out.clone(),
        jobs,
        shard: args.shard,
        resume: args.resume,
        progress: !args.quiet,
        command: command.clone(),
    };
    let mut result = match runner::sweep(&plan, &opts) {
        Err(crate::experiment::ExperimentError::Interrupted { kept, total, runs }) => {
            eprintln!("interrupted: {kept} of {total} runs kept in {runs}; to finish, run:\n  {command} --resume");
            std::process::exit(130);
        }
        r => r?,
    };
    let cells = report::write_all(&mut result.folder, &plan, &result.tally, &command, args.shard)?;
    print!("{}", render::verdict_table(&cells, &plan));
    println!(
        "{} runs ({} now, {} resumed) in {:.1} s; results in {}",
        result.rows,
        result.executed,
        result.resumed,
        result.elapsed.as_secs_f64(),
        out.display()
    );
    Ok(())
}

/// Checks a `--diagram` file before the run: its folder exists, and it is
/// new or a diagram byzlab drew (a witness, a user's file, a device or a
/// link is never written over).
fn check_diagram(file: &Path) -> Result<()> {
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        anyhow::bail!(
            "--diagram {}: the folder {} does not exist",
            file.display(),
            dir.display()
        );
    }
    crate::folder::check_new_or_ours_svg(file).with_context(|| format!("--diagram {}", file.display()))
}

fn cmd_replay(args: ReplayArgs) -> Result<()> {
    if let Some(file) = &args.diagram {
        check_diagram(file)?;
    }
    let (w, report) = witness::replay(&args.witness)?;
    if let Some(file) = &args.diagram {
        crate::experiment::diagram::draw(file, &report)?;
        eprintln!("diagram of the run in {}", file.display());
    }
    for t in &report.trace {
        println!("{t}");
    }
    let o = &report.outcome;
    let broken: Vec<&str> = [
        (!o.agreement).then_some("IC1 (agreement)"),
        (!o.validity).then_some("IC2 (validity)"),
    ]
    .into_iter()
    .flatten()
    .collect();
    print_summary(&report, false);
    // A point of the exhaustive search: what each traitor chose, message by message.
    if let crate::traitor::StrategyRef::Enumerated { choices } = &w.strategy
        && let Ok(plan) = crate::traitor::enumerated_sm::decode(choices)
    {
        println!("choices of the exhaustive search (when the coalition first hands each loyal lieutenant each value):");
        for line in crate::traitor::enumerated_sm::describe(&plan) {
            println!("  {line}");
        }
    } else if let crate::traitor::StrategyRef::Enumerated { choices } = &w.strategy
        && let Ok(choices) = crate::traitor::enumerated::decode(choices)
    {
        println!("choices of the exhaustive search (what each traitor sent, path=value):");
        for line in crate::traitor::enumerated::describe(w.n, w.m, &choices) {
            println!("  {line}");
        }
    }
    println!(
        "reproduced {} of experiment {}: {}",
        w.run_id,
        w.experiment,
        if broken.is_empty() {
            "no violation (the witness recorded none)".to_string()
        } else {
            format!("{} violated", broken.join(" and "))
        }
    );
    Ok(())
}

fn cmd_merge(args: MergeArgs) -> Result<()> {
    let first = args.dirs.first().context("merge needs at least one folder")?;
    let name = runner::read_manifest(first)?.name;
    let out = args.out.unwrap_or_else(|| PathBuf::from("results").join(name));
    let (plan, rows, cells) = merge::merge(&args.dirs, &out, &command_line(), args.allow_partial)?;
    print!("{}", render::verdict_table(&cells, &plan));
    println!(
        "{} runs merged from {} folders into {}",
        rows,
        args.dirs.len(),
        out.display()
    );
    Ok(())
}

#[derive(clap::Args)]
struct RunArgs {
    /// Algorithm: om (oral messages) or sm (signed messages).
    #[arg(long, value_parser = parse_from_str::<Algorithm>)]
    algorithm: Algorithm,
    /// Number of generals, the commander (general 0) included.
    #[arg(long, allow_negative_numbers = true)]
    n: usize,
    /// Number of traitors to tolerate (and to place, unless --traitors is given).
    #[arg(long, allow_negative_numbers = true)]
    f: usize,
    /// Rounds of relaying, the m of OM(m)/SM(m) [default: f].
    #[arg(long, allow_negative_numbers = true)]
    m: Option<usize>,
    /// Traitor ids, comma separated (e.g. 0,3); "none" for no traitors [default: f ids drawn from the seed].
    #[arg(long)]
    traitors: Option<String>,
    /// Traitor strategy: a built-in name (see `byzlab strategies`) or a .toml script [default: split-brain].
    #[arg(long)]
    strategy: Option<String>,
    /// The commander's order.
    #[arg(long, default_value = "attack", value_parser = parse_from_str::<Value>)]
    value: Value,
    /// Link: authenticated, or a channel (arbitrary, fair-loss) with layers
    /// on it, bottom first, joined by + (stubborn, dedup, auth); presets
    /// reliable = fair-loss+stubborn+dedup, secure =
    /// arbitrary+auth+stubborn+dedup. With stubborn and no --timeout, rounds
    /// last long enough for 20 tries of a frame (6385 ms at the defaults).
    #[arg(long, default_value = "authenticated")]
    link: String,
    /// Adversary of an arbitrary channel (see `byzlab strategies`) [default: chaos].
    #[arg(long)]
    adversary: Option<String>,
    /// Fraction of frames the arbitrary channel's adversary acts on [default: 0.25].
    #[arg(long, allow_negative_numbers = true, value_parser = parse_probability)]
    link_rate: Option<f64>,
    /// Probability that a fair-loss channel loses a frame [default: 0.1].
    #[arg(long, allow_negative_numbers = true, value_parser = parse_probability)]
    loss: Option<f64>,
    /// Probability that a fair-loss channel delivers a frame twice [default: 0].
    #[arg(long, allow_negative_numbers = true, value_parser = parse_probability)]
    dup: Option<f64>,
    /// First retransmission timeout of a stubborn layer, in virtual ms (doubles, capped at 16x) [default: 20].
    #[arg(long, allow_negative_numbers = true)]
    rto: Option<u64>,
    /// A general that crashes (crash-stop) at a virtual time, as ID@MS; repeat for more.
    #[arg(long, value_parser = parse_crash)]
    crash: Vec<(GeneralId, u64)>,
    /// A general that is down from one time to another and loses its memory (crash-recovery), as ID@MS:MS; repeatable.
    #[arg(long, value_parser = parse_recover)]
    recover: Vec<(GeneralId, u64, u64)>,
    /// A general that drops each frame it should send with probability P (send omission), as ID:P; repeatable.
    #[arg(long, value_parser = parse_omission)]
    omission: Vec<(GeneralId, f64)>,
    /// Runtime: actix (generals as actors) or direct (in-process reference).
    #[arg(long, default_value = "actix", value_parser = parse_from_str::<RuntimeKind>)]
    runtime: RuntimeKind,
    /// SM's signatures: ed25519, or ideal (unforgeable by construction, checked against the run's ledger; same outcomes, no curve arithmetic).
    #[arg(long, default_value = "ed25519", value_parser = parse_from_str::<Signatures>)]
    signatures: Signatures,
    /// Seed for keys, traitor placement and choices, link faults and delays.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0)]
    seed: u64,
    #[command(flatten)]
    timing: TimingArgs,
    /// Who can send to whom (section 5): complete, ring, regular:P (a circulant graph checked to be P-regular
    /// in the paper's sense, Definition 1), or FILE.toml with `edges = [[0, 1], ...]`. On another graph than
    /// the complete one OM runs as OM(m, p) (Theorem 3) and SM sends to neighbours only (Theorem 4).
    #[arg(long, default_value = "complete", value_parser = parse_graph)]
    graph: GraphSpec,
    /// Run even where the graph breaks the algorithm's precondition (Theorem 3 or 4, Definition 1, Dolev's bound).
    #[arg(long)]
    force: bool,
    /// Print one JSON object instead of a summary.
    #[arg(long)]
    json: bool,
    /// Print every message in order (round, from, to, path or chain, value, link action, t = virtual ms of delivery, late).
    #[arg(long)]
    trace: bool,
    /// Draw the run's space-time (Lamport) diagram into this SVG file: a lane per general, an arrow per message.
    #[arg(long)]
    diagram: Option<PathBuf>,
    /// Also report the run's wall time and the process's peak memory (wall_ms, peak_rss_kib).
    #[arg(long)]
    measure: bool,
    /// Run the same plan this many times (1 to 10000) and report the last (for profiling; wall_ms is the mean).
    #[arg(long, allow_negative_numbers = true, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    repeat: u32,
}

/// The timing model, all of it in virtual milliseconds.
#[derive(clap::Args, Debug)]
struct ModelArgs {
    /// Timing model: sync (every delay within delta), partial (unbounded
    /// before --gst, within delta after it) or async (unbounded).
    #[arg(long, default_value = "sync", value_parser = parse_from_str::<TimingModel>)]
    timing: TimingModel,
    /// The bound on a delay (sync, and partial after GST), in virtual ms.
    #[arg(long, allow_negative_numbers = true, default_value_t = crate::timing::DEFAULT_DELTA)]
    delta: u64,
    /// Global stabilisation time for --timing partial, in virtual ms.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0)]
    gst: u64,
}

/// Time for an agreement run: the model and the round timeout.
#[derive(clap::Args, Debug)]
struct TimingArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// How long a general waits for a round, in virtual ms [default: delta,
    /// so that under sync no frame is ever late].
    #[arg(long, allow_negative_numbers = true)]
    timeout: Option<u64>,
}

fn parse_from_str<T: std::str::FromStr<Err = crate::types::UnknownName>>(s: &str) -> Result<T, String> {
    s.parse().map_err(|e: crate::types::UnknownName| e.to_string())
}

fn parse_traitors(s: &str) -> Result<Vec<GeneralId>> {
    let s = s.trim();
    if s.is_empty() || s == "none" {
        return Ok(Vec::new());
    }
    s.split(',')
        .map(|part| {
            let part = part.trim();
            part.parse::<GeneralId>()
                .with_context(|| format!("--traitors: `{part}` is not a general id (expected e.g. 0,3)"))
        })
        .collect()
}

/// One line per flag given that the run's link does not use: a flag with no
/// effect is a mistake to point out, not to ignore silently.
fn unused_link_flags(args: &RunArgs, link: &LinkSpec) -> Vec<String> {
    use crate::link::Layer;
    let layers: &[Layer] = match link {
        LinkSpec::Stack { layers } => layers,
        _ => &[],
    };
    let has = |f: fn(&Layer) -> bool| layers.iter().any(f);
    let arbitrary = matches!(link, LinkSpec::Arbitrary { .. }) || has(|l| matches!(l, Layer::Arbitrary { .. }));
    let lossy = has(|l| matches!(l, Layer::FairLoss { .. }));
    let stubborn = has(|l| matches!(l, Layer::Stubborn { .. }));
    let mut out = Vec::new();
    let mut flag = |given: bool, used: bool, name: &str, needs: &str| {
        if given && !used {
            out.push(format!("{name} has no effect: --link {} has no {needs}", args.link));
        }
    };
    flag(args.adversary.is_some(), arbitrary, "--adversary", "arbitrary channel");
    flag(args.link_rate.is_some(), arbitrary, "--link-rate", "arbitrary channel");
    flag(args.loss.is_some(), lossy, "--loss", "fair-loss channel");
    flag(args.dup.is_some(), lossy, "--dup", "fair-loss channel");
    flag(args.rto.is_some(), stubborn, "--rto", "stubborn layer");
    out
}

fn parse_graph(text: &str) -> Result<GraphSpec, String> {
    GraphSpec::parse(text, None).map_err(|e| e.to_string())
}

fn cmd_run(args: RunArgs) -> Result<()> {
    if let Some(file) = &args.diagram {
        check_diagram(file)?;
    }
    let strategy = traitor::resolve(args.strategy.as_deref().unwrap_or("split-brain"))?;
    let defaults = LinkDefaults {
        loss: args.loss.unwrap_or(0.1),
        dup: args.dup.unwrap_or(0.0),
        rto: args.rto.unwrap_or(20),
        adversary: args.adversary.clone().unwrap_or_else(|| "chaos".into()),
        rate: args.link_rate.unwrap_or(0.25),
    };
    let link = LinkSpec::parse_with(&args.link, &defaults).with_context(|| format!("--link {}", args.link))?;
    for warning in unused_link_flags(&args, &link) {
        eprintln!("warning: {warning}");
    }
    let mut faults: Vec<(GeneralId, NodeFault)> = Vec::new();
    faults.extend(args.crash.iter().map(|&(g, at)| (g, NodeFault::Crash { at })));
    faults.extend(
        args.recover
            .iter()
            .map(|&(g, down, up)| (g, NodeFault::Recover { down, up })),
    );
    faults.extend(args.omission.iter().map(|&(g, p)| (g, NodeFault::Omission { p })));
    let traitors = args.traitors.as_deref().map(parse_traitors).transpose()?;
    let spec = RunSpec {
        algorithm: args.algorithm,
        n: args.n,
        f: args.f,
        m: args.m,
        traitors,
        strategy,
        value: args.value,
        link,
        runtime: args.runtime,
        signatures: args.signatures,
        seed: args.seed,
        trace: args.trace || args.diagram.is_some(),
        timing: args.timing.model.timing,
        delta: args.timing.model.delta,
        gst: args.timing.model.gst,
        timeout: args.timing.timeout,
        faults,
        graph: args.graph.clone(),
        force: args.force,
    };
    let raised = spec.timeout.is_none() && spec.link.default_timeout(spec.delta).is_some();
    let plan = spec.validate()?;
    if let Some(t) = &plan.topology {
        for broken in &t.broken {
            eprintln!("warning (--force): {broken}");
        }
        for note in &t.notes {
            eprintln!("note: {note}");
        }
    }
    if plan.traitors.is_empty()
        && let Some(s) = &args.strategy
    {
        eprintln!("warning: --strategy {s} has no effect: the run has no traitor");
    }
    if let Some((script, source)) = &plan.strategy.script {
        let coalition = traitor::Coalition::new(plan.n, &plan.traitors, plan.value);
        script.check_run(plan.algorithm, plan.n, plan.m, &coalition, source)?;
    }
    let started = std::time::Instant::now();
    let mut report = runtime::execute(&plan)?;
    for _ in 1..args.repeat {
        report = runtime::execute(&plan)?;
    }
    let wall_ms = started.elapsed().as_secs_f64() * 1e3 / f64::from(args.repeat);
    let peak = crate::perf::peak_rss_kib();
    if args.json {
        let mut json = serde_json::to_value(&report.outcome)?;
        if args.measure
            && let Some(obj) = json.as_object_mut()
        {
            obj.insert("wall_ms".into(), serde_json::json!(wall_ms));
            obj.insert("peak_rss_kib".into(), serde_json::json!(peak));
        }
        if args.trace
            && let Some(obj) = json.as_object_mut()
        {
            // One object per message: round, t, late, attempt, from, to,
            // path (OM path or SM chain signers), value, link, claimed.
            obj.insert("trace".into(), serde_json::to_value(&report.trace)?);
        }
        println!("{}", serde_json::to_string(&json)?);
    } else {
        if args.trace {
            for t in &report.trace {
                println!("{t}");
            }
        }
        print_summary(&report, raised);
        if args.measure {
            let peak = peak.map_or("unknown".to_string(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
            println!("wall time {wall_ms:.2} ms, peak memory {peak}");
        }
    }
    if let Some(file) = &args.diagram {
        crate::experiment::diagram::draw(file, &report)?;
        eprintln!("diagram of the run in {}", file.display());
    }
    Ok(())
}

fn cmd_perf(args: PerfArgs) -> Result<()> {
    let opts = crate::perf::PerfOptions {
        out: args.out.clone(),
        reps: usize::from(args.reps),
        exe: std::env::current_exe().context("cannot find the byzlab binary for child runs")?,
        sweep_file: (!args.no_sweep).then(|| args.sweep.clone()),
        baseline: args.baseline.clone(),
        command: command_line(),
    };
    // The output folder before seconds of measuring.
    let mut folder = crate::perf::claim(&opts.out)?;
    let targets = crate::perf::targets(&opts)?;
    eprintln!("scaling table ...");
    let rows = crate::perf::scaling(&opts)?;
    crate::perf::write(&mut folder, &opts, &targets, &rows)?;
    let missed = targets.iter().filter(|t| !t.met).count();
    println!(
        "{} targets, {missed} missed; results in {}",
        targets.len(),
        args.out.display()
    );
    Ok(())
}

fn holds(b: bool) -> &'static str {
    if b { "holds" } else { "VIOLATED" }
}

/// The console summary of a run; `raised` says the round timeout is the
/// link's default (a `stubborn` stack's room for retransmissions).
fn print_summary(r: &RunReport, raised: bool) {
    let o = &r.outcome;
    let alg = format!("{}({})", o.algorithm.as_str().to_uppercase(), o.m);
    let traitors = if o.traitors.is_empty() {
        "none".to_string()
    } else {
        o.traitors.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(",")
    };
    // A traitor commander's order is what it sent, not --value.
    let order = if o.commander_loyal {
        format!("commander loyal  order={}", o.value)
    } else {
        let sent: Vec<String> = o
            .commander_sent
            .iter()
            .map(|(g, vs)| {
                let vs: Vec<&str> = vs.iter().map(|v| v.as_str()).collect();
                format!("{g}:{}", if vs.is_empty() { "nothing".into() } else { vs.join("+") })
            })
            .collect();
        format!("commander traitor  sent {}", sent.join(" "))
    };
    // No traitor, no strategy to name.
    let strategy = if o.traitors.is_empty() {
        String::new()
    } else {
        format!(" ({})", o.strategy)
    };
    println!("{alg}  n={} f={}  traitors={traitors}{strategy}  {order}", o.n, o.f);
    let signatures = if o.signatures.is_empty() {
        String::new()
    } else {
        format!("  signatures={}", o.signatures)
    };
    let graph = if o.graph == "complete" {
        String::new()
    } else {
        format!("  graph={}", o.graph)
    };
    println!(
        "link={}{graph}  runtime={}{signatures}  seed={}",
        o.link, o.runtime, o.seed
    );
    let gst = if o.timing == TimingModel::Partial {
        format!(" gst={}", o.gst_ms)
    } else {
        String::new()
    };
    let raised = if raised { " (raised for stubborn)" } else { "" };
    println!(
        "timing={} delta={}{gst} timeout={}{raised} (virtual ms)  decided at t={}",
        o.timing, o.delta_ms, o.timeout_ms, o.decision_time_ms
    );
    // Benign failures, which IC1 and IC2 leave out.
    if !o.failed.is_empty() {
        println!("failed  {} (not counted in IC1/IC2)", o.failed.join(" "));
    }
    let decisions: Vec<String> = o.decisions.iter().map(|(g, v)| format!("{g}:{v}")).collect();
    println!(
        "decisions  {}",
        if decisions.is_empty() {
            "(no loyal lieutenants)".into()
        } else {
            decisions.join(" ")
        }
    );
    // IC2 speaks of a loyal commander only.
    let ic2 = if o.commander_loyal {
        format!("IC2 validity {}", holds(o.validity))
    } else {
        "IC2 not applicable (traitor commander)".into()
    };
    println!("IC1 agreement {}   {ic2}", holds(o.agreement));
    // Every counter of the table that is not zero; messages and bytes always.
    let counters: Vec<String> = Counters::NAMES
        .iter()
        .zip(o.counters.values())
        .filter(|(name, v)| *v != 0 || matches!(**name, "messages" | "bytes"))
        .map(|(name, v)| format!("{name}={v}"))
        .collect();
    println!("rounds={} {}", o.rounds, counters.join(" "));
}

fn cmd_strategies() {
    let registry = crate::registry::current();
    let mark = |builtin: bool| if builtin { "" } else { "  (registered)" };
    println!("traitor strategies (--strategy NAME, or a path to a .toml script):");
    for s in registry.strategies() {
        println!("  {:<12} {}{}", s.name, s.about, mark(s.builtin));
    }
    println!("  FILE.toml    scripted: rules matching sender, receiver, round and path (see README)");
    println!();
    println!("link adversaries (--link arbitrary --adversary NAME):");
    for a in registry.adversaries() {
        println!("  {:<12} {}{}", a.name, a.about, mark(a.builtin));
    }
}

/// A usage error on one line: clap's message with its indented details
/// joined in, without the usage block and the hint (said once instead).
fn one_line(rendered: &str) -> String {
    let message: Vec<&str> = rendered
        .lines()
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    format!("{} (see --help)", message.join(" "))
}

/// An error and its causes on one line, each cause once: a cause whose
/// text the line already holds (an error that quotes its source) is not
/// repeated.
fn error_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !line.contains(&text) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&text);
        }
    }
    line
}

/// Runs the `byzlab` command line with `registry`'s strategies and link
/// adversaries known to every command: the whole of a `byzlab` binary.
///
/// ```no_run
/// use byzlab::registry::Registry;
/// fn main() -> std::process::ExitCode {
///     byzlab::cli::main_with(Registry::builtin())
/// }
/// ```
pub fn main_with(registry: Registry) -> ExitCode {
    main_with_args(registry, std::env::args_os())
}

/// [`main_with`] on the given arguments (the first is the program name), as
/// a test calls it.
pub fn main_with_args<I, T>(registry: Registry, args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    if let Err(e) = registry.install() {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            // --help and --version are not errors.
            if !e.use_stderr() {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            eprintln!("{}", one_line(&e.render().to_string()));
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Run(args) => cmd_run(*args),
        Command::Strategies => {
            cmd_strategies();
            Ok(())
        }
        Command::Sweep(args) => cmd_sweep(args),
        Command::Replay(args) => cmd_replay(args),
        Command::Merge(args) => cmd_merge(args),
        Command::Perf(args) => cmd_perf(args),
        Command::Detect(args) => cmd_detect(args),
        Command::DetectSweep(args) => cmd_detect_sweep(args),
        Command::TwoGenerals(args) => cmd_two_generals(args),
        Command::BookShop(args) => cmd_book_shop(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", error_line(&e));
            ExitCode::from(2)
        }
    }
}
