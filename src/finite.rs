//! Studies of the finite network (issue 22): how much of a network OM and
//! SM need, and what queue sizes do to agreement. Each writes a results
//! folder (summary.md, a CSV, an SVG, README.md with the command) from one
//! command; all are deterministic (seeded runs, virtual time).
//!
//! * [`explosion`]: for n = 4..16 and m = 1..3, the smallest bottleneck
//!   rate at which OM(m) and SM(m) still reach agreement with no traitor
//!   within their default timeouts, in frames and in bytes per virtual ms:
//!   OM's message explosion on a finite network.
//! * [`congestion`]: offered load rising past one bottleneck's capacity
//!   under fixed, exponential and AIMD retransmission: goodput and
//!   agreements decided in time.
//! * [`bufferbloat`]: one bottleneck of fixed rate, its queue from 1 to
//!   10,000 frames, OM and SM over a reliable link with no traitor: frame
//!   latency, tail drops, retransmissions, late frames and violations
//!   against queue size.

use crate::link::capacity::{MAX_QUEUE, Queue};
use crate::run::{RunSpec, RuntimeKind};
use crate::runtime::{RunFailure, RunReport};
use crate::types::Algorithm;
use std::fmt::Write as _;
use std::path::Path;

/// A study that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    /// A run failed.
    #[error(transparent)]
    Run(#[from] RunFailure),
    /// A service run failed (`crate::service::study`).
    #[error(transparent)]
    Service(#[from] crate::service::ServiceError),
    /// The folder.
    #[error(transparent)]
    Folder(#[from] crate::folder::FolderError),
    /// The plot.
    #[error("{file}: {message}")]
    Plot {
        /// The SVG.
        file: String,
        /// Why.
        message: String,
    },
}

/// The error of a plot that could not be drawn into `path`.
pub(crate) fn plotted(path: &Path) -> impl FnOnce(Box<dyn std::error::Error>) -> StudyError + '_ {
    move |e| StudyError::Plot {
        file: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Writes a study's summary.md, NAME.csv and README.md (the command that
/// made the folder and what each file is).
pub(crate) fn write_folder(
    folder: &mut crate::folder::Folder,
    name: &str,
    md: &str,
    csv: &str,
    command: &str,
    files: &str,
) -> Result<(), StudyError> {
    folder.write("summary.md", md)?;
    folder.write(&format!("{name}.csv"), csv)?;
    folder.write(
        "README.md",
        format!(
            "# results/{name}\n\nProduced by the committed code with:\n\n    {command}\n\nDo not edit by hand: rerun \
             the command. Files: {files}\n"
        ),
    )?;
    Ok(())
}

/// Whether a trace line's frame reached its receiver (not lost, dropped
/// or tail-dropped).
fn reached(e: &crate::runtime::network::TraceEntry) -> bool {
    !matches!(
        e.link,
        crate::link::LinkAction::TailDrop | crate::link::LinkAction::Lost | crate::link::LinkAction::Dropped
    )
}

/// One run with no traitor, on the direct runner.
struct Setup<'a> {
    alg: Algorithm,
    n: usize,
    m: usize,
    link: &'a str,
    timeout: Option<u64>,
    /// The link whose `aimd` window to record.
    watch: Option<(crate::types::GeneralId, crate::types::GeneralId)>,
}

fn run_with(s: &Setup<'_>, bottleneck: Option<Queue>, seed: u64, trace: bool) -> Result<RunReport, RunFailure> {
    let mut spec = RunSpec::new(s.alg, s.n, s.m)?;
    spec.m = Some(s.m);
    spec.traitors = Some(Vec::new());
    spec.link = s
        .link
        .parse()
        .map_err(|e: crate::link::LinkError| RunFailure::from(crate::run::RunSpecError::from(e)))?;
    spec.timeout = s.timeout;
    spec.watch = s.watch;
    spec.bottleneck = bottleneck;
    spec.seed = seed;
    spec.trace = trace;
    spec.runtime = RuntimeKind::Direct;
    let plan = spec.validate().map_err(RunFailure::from)?;
    Ok(crate::runtime::execute(&plan)?)
}

fn holds(r: &RunReport) -> bool {
    r.outcome.agreement && r.outcome.validity
}

/// The smallest rate (3 significant digits, rounded up) at which `ok`
/// holds, by bisection on a log scale between `lo` (fails) and `hi`
/// (holds); `None` if `hi` does not hold.
fn threshold(lo: f64, hi: f64, mut ok: impl FnMut(f64) -> Result<bool, RunFailure>) -> Result<Option<f64>, RunFailure> {
    if !ok(hi)? {
        return Ok(None);
    }
    if ok(lo)? {
        return Ok(Some(lo));
    }
    let (mut lo, mut hi) = (lo, hi);
    for _ in 0..40 {
        let mid = (lo * hi).sqrt();
        if ok(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
        if hi / lo < 1.0005 {
            break;
        }
    }
    // Rounded up to 3 significant digits, and checked again.
    let scale = 10f64.powi(hi.log10().floor() as i32 - 2);
    let mut r = (hi / scale).ceil() * scale;
    while !ok(r)? {
        r += scale;
    }
    Ok(Some(r))
}

/// One row of the explosion table.
struct Need {
    alg: Algorithm,
    m: usize,
    n: usize,
    messages: u64,
    frames: u64,
    bytes: u64,
    frames_per_ms: Option<f64>,
    bytes_per_ms: Option<f64>,
}

/// `v` to 3 significant digits, as written in tables.
fn sig3(v: f64) -> String {
    let decimals = (2 - v.abs().log10().floor() as i32).max(0) as usize;
    format!("{v:.decimals$}")
}

/// How many times OM(3)'s (or SM(3)'s) byte rate grows from its smallest n
/// to n = 16.
fn growth(rows: &[Need], alg: Algorithm) -> f64 {
    let of: Vec<f64> = rows
        .iter()
        .filter(|r| r.alg == alg && r.m == 3)
        .filter_map(|r| r.bytes_per_ms)
        .collect();
    match (of.first(), of.last()) {
        (Some(a), Some(b)) if *a > 0.0 => b / a,
        _ => 0.0,
    }
}

/// Generals the explosion table covers.
pub const EXPLOSION_NS: std::ops::RangeInclusive<usize> = 4..=16;

/// The explosion table into `out`; returns a line saying what it wrote.
pub fn explosion(out: &Path, command: &str) -> Result<String, StudyError> {
    let mut folder = crate::folder::Folder::claim(out, "explosion --table", None)?;
    let mut rows = Vec::new();
    for alg in [crate::algorithm::OM, crate::algorithm::SM] {
        for m in 1..=3usize {
            for n in EXPLOSION_NS.filter(|&n| n >= m + 2) {
                let setup = Setup {
                    alg,
                    n,
                    m,
                    link: "authenticated",
                    timeout: None,
                    watch: None,
                };
                let c = run_with(&setup, None, 1, false)?.outcome.counters;
                let q = |rate: f64, bytes: bool| Queue {
                    rate,
                    queue: MAX_QUEUE,
                    bytes,
                };
                let frames_per_ms = threshold(0.01, c.frames as f64 + 1.0, |r| {
                    Ok(holds(&run_with(&setup, Some(q(r, false)), 1, false)?))
                })?;
                let bytes_per_ms = threshold(1.0, c.bytes as f64 + 1.0, |r| {
                    Ok(holds(&run_with(&setup, Some(q(r, true)), 1, false)?))
                })?;
                rows.push(Need {
                    alg,
                    m,
                    n,
                    messages: c.messages,
                    frames: c.frames,
                    bytes: c.bytes,
                    frames_per_ms,
                    bytes_per_ms,
                });
            }
        }
    }
    let show = |v: Option<f64>| v.map_or("none".to_string(), sig3);
    let mut csv = String::from("algorithm,m,n,messages,frames,bytes,min_frames_per_ms,min_bytes_per_ms\n");
    for r in &rows {
        let _ = writeln!(
            csv,
            "{},{},{},{},{},{},{},{}",
            r.alg,
            r.m,
            r.n,
            r.messages,
            r.frames,
            r.bytes,
            show(r.frames_per_ms),
            show(r.bytes_per_ms)
        );
    }
    let mut md = format!(
        "# explosion\n\nMade by `{command}` with byzlab {}.\n\n\
         OM's message explosion on a finite network: for each algorithm, m and n, the smallest rate of one \
         bottleneck (`--bottleneck RATE/QUEUE`, a queue every frame crosses, here never full) at which OM(m) or \
         SM(m) still reaches agreement and validity with no traitor, within its default timeout (sync, delta = 10 \
         ms, rounds of delta: a frame may wait less than 1 ms in the queue), found by bisection and rounded up to 3 \
         significant digits (each value checked to hold; seed 1). Two units: frames per virtual ms (each frame \
         carries all of a sender's values for one receiver in its round, so OM's frame count grows as about m n^2) \
         and bytes per virtual ms (`RATEB/QUEUE`: a frame of b bytes takes b / RATE ms), which shows the \
         explosion: OM(m) sends (n-1) + (n-1)(n-2) + ... + (n-1)...(n-m-1) values, SM with a loyal commander \
         relays each signed order once. What must arrive in time is what each decision needs: OM a majority of \
         each vote (a value missing counts as RETREAT), so about half of its busiest round's traffic within one ms; \
         SM one signed order per lieutenant, so about the commander's n - 1 orders within one ms (later rounds relay \
         what was not on time). Bisection assumes that a faster queue never breaks a run that a slower one let \
         agree (every frame leaves no later); each value shown was run and holds.\n\n\
         | algorithm | m | n | messages | frames | bytes | min frames / ms | min bytes / ms |\n\
         |---|---|---|---|---|---|---|---|\n",
        env!("CARGO_PKG_VERSION")
    );
    for r in &rows {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            r.alg.label(&r.m.to_string()),
            r.m,
            r.n,
            r.messages,
            r.frames,
            r.bytes,
            show(r.frames_per_ms),
            show(r.bytes_per_ms)
        );
    }
    let at16 = |alg: Algorithm, m: usize| rows.iter().find(|r| r.alg == alg && r.m == m && r.n == 16);
    if let (Some(om), Some(sm)) = (at16(crate::algorithm::OM, 3), at16(crate::algorithm::SM, 3))
        && let (Some(ob), Some(sb)) = (om.bytes_per_ms, sm.bytes_per_ms)
    {
        let _ = write!(
            md,
            "\nAt n = 16, m = 3: OM needs {} bytes per ms, SM {}, {:.1} times less; in frames, OM {} and SM {}. \
             From its smallest n to n = 16, OM(3)'s need in bytes grows {:.0} times, SM(3)'s {:.0} times.\n",
            sig3(ob),
            sig3(sb),
            ob / sb,
            show(om.frames_per_ms),
            show(sm.frames_per_ms),
            growth(&rows, crate::algorithm::OM),
            growth(&rows, crate::algorithm::SM),
        );
    }
    md.push_str("\n![bytes.svg](bytes.svg)\n\n![frames.svg](frames.svg)\n");
    for (file, unit, pick) in [
        (
            "bytes.svg",
            "bytes",
            (|r: &Need| r.bytes_per_ms) as fn(&Need) -> Option<f64>,
        ),
        ("frames.svg", "frames", |r: &Need| r.frames_per_ms),
    ] {
        let mut series = Vec::new();
        for alg in [crate::algorithm::OM, crate::algorithm::SM] {
            for m in 1..=3 {
                let pts: Vec<(f64, f64)> = rows
                    .iter()
                    .filter(|r| r.alg == alg && r.m == m)
                    .filter_map(|r| pick(r).map(|v| (r.n as f64, v)))
                    .collect();
                series.push((alg.label(&m.to_string()), pts));
            }
        }
        let path = folder.file(file)?;
        crate::experiment::plots::log_lines(
            &path,
            &format!("Smallest bottleneck rate for agreement with no traitor, {unit} per ms"),
            ("n (generals)", &format!("{unit} per virtual ms")),
            &series,
        )
        .map_err(plotted(&path))?;
    }
    write_folder(
        &mut folder,
        "explosion",
        &md,
        &csv,
        command,
        "`summary.md` (the table), `explosion.csv` (one row per algorithm, m and n), \
             `bytes.svg` and `frames.svg` (the smallest rate against n).",
    )?;
    Ok(format!("{} rows; results in {}", rows.len(), out.display()))
}

/// Queue sizes of the bufferbloat study, in frames.
pub const QUEUES: [u64; 13] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000];

/// The bufferbloat study's fixed parts: the bottleneck's rate (frames per
/// virtual ms), the link, the round timeout (ms), generals, m and seeds.
pub const BLOAT_RATE: f64 = 1.0;
/// The link: reliable with no loss of its own (drops are the queue's).
pub const BLOAT_LINK: &str = "fair-loss:0+stubborn:20/fixed+dedup";
/// Round timeout, in virtual ms.
pub const BLOAT_TIMEOUT: u64 = 500;
/// Seeds per algorithm and queue size.
pub const BLOAT_SEEDS: u64 = 5;

/// One row of the bufferbloat table: an algorithm at one queue size, over
/// its seeds.
struct Bloat {
    alg: Algorithm,
    queue: u64,
    runs: u64,
    violations: u64,
    latency_p50: u64,
    latency_p99: u64,
    latency_max: u64,
    drops: u64,
    retransmissions: u64,
    late: u64,
    max_queue: u64,
}

/// The `q`-th quantile of sorted `v` (nearest rank).
fn quantile(v: &[u64], q: f64) -> u64 {
    if v.is_empty() {
        return 0;
    }
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

/// The bufferbloat table into `out`; returns a line saying what it wrote.
pub fn bufferbloat(out: &Path, command: &str) -> Result<String, StudyError> {
    let mut folder = crate::folder::Folder::claim(out, "bufferbloat --table", None)?;
    let (n, m) = (10, 2);
    let mut rows = Vec::new();
    for alg in [crate::algorithm::OM, crate::algorithm::SM] {
        let setup = Setup {
            alg,
            n,
            m,
            link: BLOAT_LINK,
            timeout: Some(BLOAT_TIMEOUT),
            watch: None,
        };
        for queue in QUEUES {
            let bottleneck = Queue {
                rate: BLOAT_RATE,
                queue,
                bytes: false,
            };
            let mut latencies = Vec::new();
            let mut row = Bloat {
                alg,
                queue,
                runs: 0,
                violations: 0,
                latency_p50: 0,
                latency_p99: 0,
                latency_max: 0,
                drops: 0,
                retransmissions: 0,
                late: 0,
                max_queue: 0,
            };
            for seed in 1..=BLOAT_SEEDS {
                let r = run_with(&setup, Some(bottleneck), seed, true)?;
                let c = r.outcome.counters;
                row.runs += 1;
                row.violations += u64::from(!holds(&r));
                row.drops += c.queue_drops;
                row.retransmissions += c.retransmissions;
                row.late += c.late_frames;
                row.max_queue = row.max_queue.max(c.max_queue);
                // A frame's latency: sent to delivered, each transmission
                // that arrived (the trace has a line per message: one per
                // frame kept).
                let mut seen = std::collections::BTreeSet::new();
                for e in &r.trace {
                    let arrived = reached(e);
                    if arrived && seen.insert((e.round, e.from, e.to, e.sent, e.attempt)) {
                        latencies.push(e.t - e.sent);
                    }
                }
            }
            latencies.sort_unstable();
            row.latency_p50 = quantile(&latencies, 0.5);
            row.latency_p99 = quantile(&latencies, 0.99);
            row.latency_max = latencies.last().copied().unwrap_or(0);
            rows.push(row);
        }
    }
    let mut csv = String::from(
        "algorithm,n,m,rate_frames_per_ms,queue,timeout_ms,runs,violations,latency_p50_ms,latency_p99_ms,latency_max_ms,queue_drops,retransmissions,late_frames,max_queue\n",
    );
    for r in &rows {
        let _ = writeln!(
            csv,
            "{},{n},{m},{BLOAT_RATE},{},{BLOAT_TIMEOUT},{},{},{},{},{},{},{},{},{}",
            r.alg,
            r.queue,
            r.runs,
            r.violations,
            r.latency_p50,
            r.latency_p99,
            r.latency_max,
            r.drops,
            r.retransmissions,
            r.late,
            r.max_queue
        );
    }
    let mut md = format!(
        "# bufferbloat\n\nMade by `{command}` with byzlab {}.\n\n\
         Queues smooth bursts, drop at their tail when full, and delay when too long. One bottleneck \
         (`--bottleneck {BLOAT_RATE}/QUEUE`: {BLOAT_RATE} frame per virtual ms, every frame and acknowledgement \
         crosses it) with its queue from 1 to 10,000 frames; OM({m}) and SM({m}) among n = {n} with no traitor over \
         `{BLOAT_LINK}` (a reliable link whose only losses are the queue's: `stubborn` resends from 20 ms, doubling), \
         rounds of {BLOAT_TIMEOUT} virtual ms (delta = 10), {BLOAT_SEEDS} seeds each. Latency is per transmission \
         that arrived, sent to delivered (queueing plus delta). Small queues drop (and `stubborn` resends: \
         retransmissions); long queues hold every frame, and `stubborn`, waiting 20 ms for an acknowledgement that \
         sits in the same queue, resends frames that were never lost, which lengthens the queue further: latency \
         grows with the queue until frames miss their round (late, absent: A3) and agreement is lost.\n\n\
         | algorithm | queue | runs violated | latency p50 (ms) | p99 | max | tail drops | retransmissions | late frames | largest backlog |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
        env!("CARGO_PKG_VERSION")
    );
    for r in &rows {
        let _ = writeln!(
            md,
            "| {} | {} | {}/{} | {} | {} | {} | {} | {} | {} | {} |",
            r.alg.label(&m.to_string()),
            r.queue,
            r.violations,
            r.runs,
            r.latency_p50,
            r.latency_p99,
            r.latency_max,
            r.drops,
            r.retransmissions,
            r.late,
            r.max_queue
        );
    }
    md.push('\n');
    for alg in [crate::algorithm::OM, crate::algorithm::SM] {
        let broke: Vec<String> = rows
            .iter()
            .filter(|r| r.alg == alg && r.violations > 0)
            .map(|r| r.queue.to_string())
            .collect();
        let held: Vec<String> = rows
            .iter()
            .filter(|r| r.alg == alg && r.violations == 0)
            .map(|r| r.queue.to_string())
            .collect();
        let list = |v: &[String]| if v.is_empty() { "none".to_string() } else { v.join(", ") };
        let _ = writeln!(
            md,
            "{}: every run holds at queue sizes {}; some run breaks IC1 or IC2 at {}.",
            alg.label(&m.to_string()),
            list(&held),
            list(&broke)
        );
    }
    md.push_str(
        "\nAt the small end, the queue drops so much that some frame is lost for good within its round (its \
         retransmissions dropped too); at the large end nothing is dropped but acknowledgements wait behind \
         retransmissions of frames that were never lost (a fixed 20 ms timeout, shorter than the queueing delay), \
         the backlog grows to thousands and frames miss their round. SM needs one signed order per lieutenant, so \
         it survives both ends here.\n\n![bufferbloat.svg](bufferbloat.svg)\n",
    );
    let series: Vec<crate::experiment::plots::PanelSeries> = [crate::algorithm::OM, crate::algorithm::SM]
        .into_iter()
        .flat_map(|alg| {
            let of = |pick: fn(&Bloat) -> f64, what: &str| {
                (
                    format!("{} {what}", alg.label(&m.to_string())),
                    rows.iter()
                        .filter(|r| r.alg == alg)
                        .map(|r| (r.queue as f64, pick(r), r.violations as f64 / r.runs as f64))
                        .collect::<Vec<_>>(),
                )
            };
            [
                of(|r| r.latency_p99 as f64, "latency p99"),
                of(|r| r.latency_p50 as f64, "latency p50"),
            ]
        })
        .collect();
    let path = folder.file("bufferbloat.svg")?;
    crate::experiment::plots::two_panels(
        &path,
        &format!("Bufferbloat: one bottleneck of {BLOAT_RATE} frame/ms, OM({m}) and SM({m}), n = {n}, no traitor"),
        "queue size (frames)",
        ("frame latency (virtual ms)", false),
        ("runs that broke IC1 or IC2", true),
        &series,
        plotters::prelude::SeriesLabelPosition::UpperLeft,
    )
    .map_err(plotted(&path))?;
    write_folder(
        &mut folder,
        "bufferbloat",
        &md,
        &csv,
        command,
        "`summary.md` (the table), `bufferbloat.csv` (one row per algorithm and queue \
             size), `bufferbloat.svg` (latency and violations against queue size).",
    )?;
    Ok(format!("{} rows; results in {}", rows.len(), out.display()))
}

/// Background frames per agreement frame (`load:B`): the offered load.
pub const CONGESTION_LOADS: [u64; 10] = [5, 10, 20, 40, 60, 80, 120, 160, 320, 640];
/// Retransmission of the congestion study: name and layers (between the
/// channel and `dedup+load:B`).
pub const CONGESTION_LINKS: [(&str, &str); 3] = [
    ("fixed", "stubborn:80/fixed"),
    ("exponential", "stubborn:80"),
    ("aimd", "stubborn:80+aimd"),
];
/// The congestion study's bottleneck: 1 frame per ms, 200 waiting.
pub const CONGESTION_QUEUE: &str = "1/200";
/// Its round timeout, in virtual ms.
pub const CONGESTION_TIMEOUT: u64 = 1000;

/// One row of the congestion table.
struct Congestion {
    policy: &'static str,
    load: u64,
    runs: u64,
    decided: u64,
    offered: f64,
    goodput: f64,
    sent: u64,
    drops: u64,
    retransmissions: u64,
}

/// The congestion-collapse table into `out`; returns a line saying what
/// it wrote.
pub fn congestion(out: &Path, command: &str) -> Result<String, StudyError> {
    let mut folder = crate::folder::Folder::claim(out, "congestion --table", None)?;
    let bottleneck = Queue::parse(CONGESTION_QUEUE).map_err(|message| StudyError::Plot {
        file: String::new(),
        message,
    })?;
    let (n, m) = (4, 1);
    let mut rows = Vec::new();
    for (policy, layers) in CONGESTION_LINKS {
        for load in CONGESTION_LOADS {
            let link = format!("fair-loss:0+{layers}+dedup+load:{load}");
            let setup = Setup {
                alg: crate::algorithm::OM,
                n,
                m,
                link: &link,
                timeout: Some(CONGESTION_TIMEOUT),
                watch: None,
            };
            let mut row = Congestion {
                policy,
                load,
                runs: 0,
                decided: 0,
                offered: 0.0,
                goodput: 0.0,
                sent: 0,
                drops: 0,
                retransmissions: 0,
            };
            for seed in 1..=BLOAT_SEEDS {
                let r = run_with(&setup, Some(bottleneck), seed, true)?;
                let c = r.outcome.counters;
                let span = f64::from(r.outcome.rounds) * CONGESTION_TIMEOUT as f64;
                let mut first = std::collections::BTreeSet::new();
                for e in &r.trace {
                    let arrived = reached(e);
                    if arrived && !e.late {
                        first.insert((e.round, e.from, e.to));
                    }
                }
                row.runs += 1;
                row.decided += u64::from(holds(&r));
                row.offered += (c.frames + c.background_sent) as f64 / span;
                row.goodput += (first.len() as u64 + c.background_delivered) as f64 / span;
                row.sent += c.frames_sent;
                row.drops += c.queue_drops;
                row.retransmissions += c.retransmissions;
            }
            row.offered /= row.runs as f64;
            row.goodput /= row.runs as f64;
            rows.push(row);
        }
    }
    let mut csv = String::from(
        "retransmission,load,runs,decided_in_time,offered_frames_per_ms,goodput_frames_per_ms,frames_sent,queue_drops,retransmissions\n",
    );
    for r in &rows {
        let _ = writeln!(
            csv,
            "{},{},{},{},{:.4},{:.4},{},{},{}",
            r.policy, r.load, r.runs, r.decided, r.offered, r.goodput, r.sent, r.drops, r.retransmissions
        );
    }
    let mut md = format!(
        "# congestion\n\nMade by `{command}` with byzlab {}.\n\n\
         The lecture's gridlock and AIMD. One shared bottleneck (`--bottleneck {CONGESTION_QUEUE}`: 1 frame per \
         virtual ms, 200 waiting, tail drop; acknowledgements cross it too), OM(1) among {n} generals with no \
         traitor, rounds of {CONGESTION_TIMEOUT} ms, {BLOAT_SEEDS} seeds each, over \
         `fair-loss:0+RETRANSMISSION+dedup+load:B`: the `load` layer sends B background frames on each link behind \
         every frame of the agreement (other users of a shared network), through the same layers. The offered \
         load (frames handed to the network per ms of the run) rises with B. Goodput: frames (the agreement's and \
         the background's) delivered for the first time within their round, per ms; since every data frame also \
         needs an acknowledgement through the same queue, about 0.5 frames per ms is the most there is. \
         Retransmission from 80 ms: `fixed` (every 80 ms), `exponential` (doubling) and `aimd` (exponential under \
         a congestion window per link: slow start from 2, +1 per round trip, halved on a timeout).\n\n\
         | retransmission | load B | offered (frames/ms) | goodput (frames/ms) | agreements in time | frames sent | tail drops | retransmissions |\n\
         |---|---|---|---|---|---|---|---|\n",
        env!("CARGO_PKG_VERSION")
    );
    for r in &rows {
        let _ = writeln!(
            md,
            "| {} | {} | {:.3} | {:.3} | {}/{} | {} | {} | {} |",
            r.policy, r.load, r.offered, r.goodput, r.decided, r.runs, r.sent, r.drops, r.retransmissions
        );
    }
    let peak = |policy: &str| {
        rows.iter()
            .filter(|r| r.policy == policy)
            .max_by(|a, b| a.goodput.total_cmp(&b.goodput))
            .map_or((0, 0.0), |r| (r.load, r.goodput))
    };
    let last = |policy: &str| rows.iter().rfind(|r| r.policy == policy).map_or(0.0, |r| r.goodput);
    let lost = |policy: &str| {
        rows.iter()
            .find(|r| r.policy == policy && r.decided < r.runs)
            .map_or("never".to_string(), |r| format!("from B = {} on", r.load))
    };
    let top = CONGESTION_LOADS[CONGESTION_LOADS.len() - 1];
    for policy in ["fixed", "exponential", "aimd"] {
        let (at, best) = peak(policy);
        let _ = writeln!(
            md,
            "\n`{policy}`: goodput peaks at {best:.3} frames/ms (B = {at}) and is {:.3} at B = {top}; agreements \
             lost {}.",
            last(policy),
            lost(policy)
        );
    }
    md.push_str(
        "\nPast capacity, `fixed` resends every frame that has waited 80 ms for its acknowledgement, though \
         most were never lost: copies of delivered frames crowd the queue, goodput falls from its peak while the \
         wire stays busy, and the agreement's own frames miss their round: the lecture's gridlock. `exponential` \
         backs off and keeps the wire useful, but nothing holds the background back, and the agreement's frames \
         wait behind it until they are late. `aimd` lets each link have only its window in flight, halving it on a \
         timeout: it drops a fraction of what the others drop, its goodput stays near the bottleneck's capacity \
         (its line above, against about 0.5), and every agreement is decided in time; `exponential` pushes a little \
         more background through and loses the agreements.\n",
    );
    md.push_str("\n![goodput.svg](goodput.svg)\n");
    let series: Vec<crate::experiment::plots::PanelSeries> = CONGESTION_LINKS
        .iter()
        .map(|(policy, _)| {
            (
                policy.to_string(),
                rows.iter()
                    .filter(|r| r.policy == *policy)
                    .map(|r| (r.offered, r.goodput, r.decided as f64 / r.runs as f64))
                    .collect(),
            )
        })
        .collect();
    let path = folder.file("goodput.svg")?;
    crate::experiment::plots::two_panels(
        &path,
        "Congestion: goodput against offered load at one bottleneck of 1 frame/ms (OM(1) n = 4, background load)",
        "offered load (frames per virtual ms)",
        ("goodput (first deliveries in time per ms)", false),
        ("agreements decided in time", true),
        &series,
        plotters::prelude::SeriesLabelPosition::UpperLeft,
    )
    .map_err(plotted(&path))?;
    // The saw-tooth: one link's window under the heaviest load.
    let heavy = CONGESTION_LOADS[CONGESTION_LOADS.len() - 1];
    let link = format!("fair-loss:0+{}+dedup+load:{heavy}", CONGESTION_LINKS[2].1);
    let watched = run_with(
        &Setup {
            alg: crate::algorithm::OM,
            n,
            m,
            link: &link,
            timeout: Some(CONGESTION_TIMEOUT),
            watch: Some((0, 1)),
        },
        Some(bottleneck),
        1,
        false,
    )?;
    let window: Vec<(f64, f64)> = watched
        .series
        .first()
        .map(|s| s.points.iter().map(|&(t, w)| (t as f64, w)).collect())
        .unwrap_or_default();
    let path = folder.file("cwnd.svg")?;
    crate::experiment::plots::step_chart(
        &path,
        &format!("AIMD's saw-tooth: the window of link 0 -> 1, load B = {heavy}, seed 1"),
        ("virtual time (ms)", "congestion window (frames)"),
        &window,
    )
    .map_err(plotted(&path))?;
    let halvings = window.windows(2).filter(|w| w[1].1 < w[0].1).count();
    let _ = write!(
        md,
        "\n![cwnd.svg](cwnd.svg)\n\nThe saw-tooth (`byzlab run --algorithm om --n 4 --f 1 --traitors none --link \
         {link} --bottleneck {CONGESTION_QUEUE} --timeout {CONGESTION_TIMEOUT} --seed 1 --cwnd 0:1 --cwnd-out w.csv`): \
         link 0 -> 1's window opens by one frame per acknowledgement from 2 (slow start), then by one per round \
         trip, and is halved {halvings} times on a timeout, reaching at most {:.0} frames.\n",
        window.iter().map(|p| p.1).fold(0.0, f64::max)
    );
    write_folder(
        &mut folder,
        "congestion",
        &md,
        &csv,
        command,
        "`summary.md`, `congestion.csv`, `goodput.svg` (goodput and agreements \
             against offered load), `cwnd.svg` (one link's AIMD window over time).",
    )?;
    Ok(format!("{} rows; results in {}", rows.len(), out.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bisection finds the step of a monotone predicate to 3 significant
    /// digits, rounded up, and says when even the top fails.
    #[test]
    fn threshold_finds_the_step() {
        let at = |step: f64| threshold(0.01, 1000.0, |r| Ok(r >= step)).unwrap().map(sig3);
        assert_eq!(at(37.25), Some("37.3".to_string()));
        assert_eq!(at(0.005), Some("0.0100".to_string()), "the bottom already holds");
        assert_eq!(at(5000.0), None, "the top fails");
        assert_eq!(
            (sig3(2.0100000000000002), sig3(3740.0), sig3(0.273)),
            ("2.01".into(), "3740".into(), "0.273".into())
        );
        assert_eq!(quantile(&[1, 2, 3, 4, 100], 0.5), 3);
        assert_eq!(quantile(&[1, 2, 3, 4, 100], 0.99), 100);
    }
}
