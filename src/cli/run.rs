//! `byzlab run`: one agreement, its console summary, trace and diagram.

use super::*;
use crate::experiment::diagram::SharedSketch;
use crate::runtime::network::{Tee, TraceEntry, TraceSink};
use std::io::Write;

/// Checks a `--diagram` file before the run: its folder exists, and it is
/// new or a diagram byzlab drew (a witness, a user's file, a device or a
/// link is never written over).
pub(super) fn check_diagram(file: &Path) -> Result<()> {
    let dir = existing_folder("--diagram", file)?;
    crate::folder::check_new_or_ours_svg(file).with_context(|| format!("--diagram {}", file.display()))?;
    // A folder byzlab may not write in is said before the run, not after.
    let probe = dir.join(format!(".byzlab-probe-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .and_then(|_| std::fs::remove_file(&probe))
        .with_context(|| format!("--diagram {}: cannot write in {}", file.display(), dir.display()))
}

#[derive(clap::Args)]
pub(super) struct RunArgs {
    /// Algorithm: om (oral messages), sm (signed messages), dolev-strong, phase-king, mmr (asynchronous), or one a lab registered (see `byzlab algorithms`).
    #[arg(long)]
    pub(super) algorithm: String,
    /// Number of generals, the commander (general 0) included.
    #[arg(long, allow_negative_numbers = true)]
    pub(super) n: usize,
    /// Number of traitors to tolerate (and to place, unless --traitors is given).
    #[arg(long, allow_negative_numbers = true)]
    pub(super) f: usize,
    /// Rounds of relaying, the m of OM(m)/SM(m) [default: f].
    #[arg(long, allow_negative_numbers = true)]
    pub(super) m: Option<usize>,
    /// Traitor ids, comma separated (e.g. 0,3); "none" for no traitors [default: f ids drawn from the seed].
    #[arg(long)]
    pub(super) traitors: Option<String>,
    /// Traitor strategy: a built-in name (see `byzlab strategies`) or a .toml script [default: split-brain].
    #[arg(long)]
    pub(super) strategy: Option<String>,
    /// The commander's order.
    #[arg(long, default_value = "attack", value_parser = parse_from_str::<Value>)]
    pub(super) value: Value,
    /// Link: authenticated, or a channel (arbitrary, fair-loss) with layers
    /// on it, bottom first, joined by + (stubborn, dedup, auth); presets
    /// reliable = fair-loss+stubborn+dedup, secure =
    /// arbitrary+auth+stubborn+dedup. With stubborn and no --timeout, rounds
    /// last long enough for 20 tries of a frame (6385 ms at the defaults).
    #[arg(long, default_value = "authenticated")]
    pub(super) link: String,
    /// Adversary of an arbitrary channel (see `byzlab strategies`) [default: chaos].
    #[arg(long)]
    pub(super) adversary: Option<String>,
    /// Fraction of frames the arbitrary channel's adversary acts on [default: 0.25].
    #[arg(long, allow_negative_numbers = true, value_parser = parse_probability)]
    pub(super) link_rate: Option<f64>,
    /// Probability that a fair-loss channel loses a frame [default: 0.1].
    #[arg(long, allow_negative_numbers = true, value_parser = parse_probability)]
    pub(super) loss: Option<f64>,
    /// Probability that a fair-loss channel delivers a frame twice [default: 0].
    #[arg(long, allow_negative_numbers = true, value_parser = parse_probability)]
    pub(super) dup: Option<f64>,
    /// First retransmission timeout of a stubborn layer, in virtual ms (doubles, capped at 16x) [default: 20].
    #[arg(long, allow_negative_numbers = true)]
    pub(super) rto: Option<u64>,
    /// One router queue every frame of the run crosses, as RATE/QUEUE: at most RATE frames per virtual ms
    /// (0.25: one every 4 ms), at most QUEUE waiting, tail drop beyond. Its wait adds to each frame's delay.
    #[arg(long, value_parser = parse_queue)]
    pub(super) bottleneck: Option<crate::link::capacity::Queue>,
    /// Record the congestion window of the link FROM:TO of an aimd layer over virtual time (with --cwnd-out).
    #[arg(long, value_parser = parse_link_pair, requires = "cwnd_out")]
    pub(super) cwnd: Option<(GeneralId, GeneralId)>,
    /// CSV file for --cwnd's window: columns t_ms, cwnd (one row per change).
    #[arg(long, requires = "cwnd")]
    pub(super) cwnd_out: Option<PathBuf>,
    /// A general that crashes (crash-stop) at a virtual time, as ID@MS; repeat for more.
    #[arg(long, value_parser = parse_crash)]
    pub(super) crash: Vec<(GeneralId, u64)>,
    /// A general that is down from one time to another and loses its memory (crash-recovery), as ID@MS:MS; repeatable.
    #[arg(long, value_parser = parse_recover)]
    pub(super) recover: Vec<(GeneralId, u64, u64)>,
    /// A general that drops each frame it should send with probability P (send omission), as ID:P; repeatable.
    #[arg(long, value_parser = parse_omission)]
    pub(super) omission: Vec<(GeneralId, f64)>,
    /// Runtime: actix (generals as actors) or direct (in-process reference).
    #[arg(long, default_value = "actix", value_parser = parse_from_str::<RuntimeKind>)]
    pub(super) runtime: RuntimeKind,
    /// SM's signatures: ed25519, or ideal (unforgeable by construction, checked against the run's ledger; same outcomes, no curve arithmetic).
    #[arg(long, default_value = "ed25519", value_parser = parse_from_str::<Signatures>)]
    pub(super) signatures: Signatures,
    /// Seed for keys, traitor placement and choices, link faults and delays.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0)]
    pub(super) seed: u64,
    #[command(flatten)]
    pub(super) timing: TimingArgs,
    /// Who chooses each frame's delay within what the timing model allows: random (the model's seeded draws)
    /// or adversarial (holds frames between two halves of the generals as long as allowed: until GST + delta
    /// under partial, 100 x max(delta, timeout) under async; powerless under sync), or one a lab registered.
    #[arg(long, default_value = "random")]
    pub(super) scheduler: String,
    /// An asynchronous algorithm's (mmr's) budget of virtual time, in ms: the run stops then, and a loyal
    /// general that has not decided is reported undecided [default: 10000000].
    #[arg(long)]
    pub(super) budget: Option<u64>,
    /// Who can send to whom (section 5): complete, ring, regular:P (a circulant graph checked to be P-regular
    /// in the paper's sense, Definition 1), or FILE.toml with `edges = [[0, 1], ...]`. On another graph than
    /// the complete one OM runs as OM(m, p) (Theorem 3) and SM sends to neighbours only (Theorem 4).
    #[arg(long, default_value = "complete", value_parser = parse_graph)]
    pub(super) graph: GraphSpec,
    /// Run even where the graph breaks the algorithm's precondition (Theorem 3 or 4, Definition 1, Dolev's bound).
    #[arg(long)]
    pub(super) force: bool,
    /// Print one JSON object instead of a summary.
    #[arg(long)]
    pub(super) json: bool,
    /// Say, for each loyal lieutenant, why it decided: OM's majority votes level by level (outvoted values and
    /// traitors marked), SM's set V with the chain behind each value, phase king's phases, mmr's rounds. With
    /// --json, an `explain` object.
    #[arg(long)]
    pub(super) explain: bool,
    /// Print every message in order (round, from, to, path or chain, value, link action, t = virtual ms of delivery, late).
    #[arg(long)]
    pub(super) trace: bool,
    /// Draw the run's space-time (Lamport) diagram into this SVG file: a lane per general, an arrow per message.
    #[arg(long)]
    pub(super) diagram: Option<PathBuf>,
    /// Write the run as one self-contained HTML page to step through in a browser: the diagram, each general's
    /// state at each delivery, the traitors' deviations, the decisions with their explanations.
    #[arg(long, value_name = "FILE.html")]
    pub(super) explore: Option<PathBuf>,
    /// Also report the run's wall time and the process's peak memory (wall_ms, peak_rss_kib).
    #[arg(long)]
    pub(super) measure: bool,
    /// Run the same plan this many times (1 to 10000) and report the last (for profiling; wall_ms is the mean).
    #[arg(long, allow_negative_numbers = true, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub(super) repeat: u32,
}

/// `RATE/QUEUE` of `--bottleneck`.
fn parse_queue(s: &str) -> Result<crate::link::capacity::Queue, String> {
    crate::link::capacity::Queue::parse(s)
}

/// `FROM:TO` of `--cwnd`.
fn parse_link_pair(s: &str) -> Result<(GeneralId, GeneralId), String> {
    let bad = || format!("`{s}` is not FROM:TO, two general ids (e.g. 0:1)");
    let (a, b) = s.split_once(':').ok_or_else(bad)?;
    Ok((
        a.trim().parse().map_err(|_| bad())?,
        b.trim().parse().map_err(|_| bad())?,
    ))
}

/// Writes a layer's series (`--cwnd-out`): `t_ms,cwnd`, a row per change.
fn write_series(file: &std::path::Path, series: &[crate::link::layer::Series]) -> anyhow::Result<()> {
    let mut text = String::from("t_ms,cwnd\n");
    for s in series {
        for (t, v) in &s.points {
            text.push_str(&format!("{t},{v}\n"));
        }
    }
    crate::files::write_atomic(file, text.as_bytes()).with_context(|| format!("--cwnd-out {}", file.display()))
}

/// One line per flag given that the run's link does not use: a flag with no
/// effect is a mistake to point out, not to ignore silently.
pub(super) fn unused_link_flags(args: &RunArgs, link: &LinkSpec) -> Vec<String> {
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

/// One line per other flag the run does not use, or uses otherwise than
/// its name suggests.
fn unused_run_flags(args: &RunArgs, algorithm: Algorithm) -> Vec<String> {
    let mut out = Vec::new();
    if args.signatures == Signatures::Ideal && !algorithm.signed() {
        out.push(format!(
            "--signatures ideal has no effect: {} signs nothing",
            algorithm.label("m")
        ));
    }
    if args.timing.model.gst != 0 && args.timing.model.timing != TimingModel::Partial {
        out.push(format!(
            "--gst has no effect: --timing {} has no stabilisation time (only partial does)",
            args.timing.model.timing
        ));
    }
    if args.f >= args.n {
        out.push(format!(
            "--f {} is not below --n {}: f here only bounds the traitors and failed generals{}",
            args.f,
            args.n,
            if args.m.is_none() { " and sets m" } else { "" }
        ));
    }
    out
}

/// Failures that come after the run decided: they change no message, yet
/// leave the general out of IC1 and IC2 as a failed one.
fn late_faults(plan: &crate::run::RunPlan, decided: u64) -> Vec<String> {
    plan.faults()
        .iter()
        .filter_map(|&(g, fault)| {
            let at = match fault {
                NodeFault::Crash { at } => at,
                NodeFault::Recover { down, .. } => down,
                NodeFault::Omission { .. } => return None,
            };
            (at > decided).then(|| {
                format!(
                    "general {g} fails at t={at}, after the run decided at t={decided}: it ran correctly throughout, \
                     yet counts as failed (left out of IC1 and IC2)"
                )
            })
        })
        .collect()
}

pub(super) fn cmd_run(args: RunArgs, registry: &Registry) -> Result<()> {
    if let Some(file) = &args.diagram {
        check_diagram(file)?;
    }
    if let Some(file) = &args.explore {
        check_explore(file)?;
    }
    if args.repeat > 1 && (args.trace || args.diagram.is_some() || args.explore.is_some()) {
        anyhow::bail!("--repeat times many runs; --trace, --diagram and --explore show one: drop one of them");
    }
    let algorithm = registry.algorithms().find(&args.algorithm)?;
    let strategy = registry
        .strategies()
        .resolve(args.strategy.as_deref().unwrap_or("split-brain"))?;
    let defaults = LinkDefaults {
        loss: args.loss.unwrap_or(0.1),
        dup: args.dup.unwrap_or(0.0),
        rto: args.rto.unwrap_or(20),
        adversary: args.adversary.clone().unwrap_or_else(|| "chaos".into()),
        rate: args.link_rate.unwrap_or(0.25),
    };
    let link = LinkSpec::parse_with(&args.link, &defaults).with_context(|| format!("--link {}", args.link))?;
    let unused: Vec<String> = unused_link_flags(&args, &link)
        .into_iter()
        .chain(unused_run_flags(&args, algorithm))
        .collect();
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
        algorithm,
        n: args.n,
        f: args.f,
        m: args.m,
        traitors,
        strategy,
        value: args.value,
        link,
        adversaries: registry.adversaries().clone(),
        layers: registry.layers().clone(),
        bottleneck: args.bottleneck,
        watch: args.cwnd,
        runtime: args.runtime,
        signatures: args.signatures,
        seed: args.seed,
        // A trace asked for is streamed to its printer and the diagram's
        // sketch as the run goes, never kept whole.
        trace: false,
        timing: args.timing.model.timing,
        delta: args.timing.model.delta,
        gst: args.timing.model.gst,
        timeout: args.timing.timeout,
        faults,
        graph: args.graph.clone(),
        force: args.force,
        scheduler: crate::scheduler::resolve(registry.schedulers(), &args.scheduler)?,
        budget: args.budget,
    };
    if args.cwnd.is_some() && !spec.link.has_layer("aimd") {
        anyhow::bail!(
            "--cwnd records an aimd layer's window, and --link {} has none (e.g. fair-loss:0.2+stubborn+aimd)",
            args.link
        );
    }
    let raised = spec.timeout.is_none() && spec.link.default_timeout(spec.delta).is_some();
    let plan = spec.validate()?;
    let plan = if args.explain { plan.explaining() } else { plan };
    // Said once the run is known to be valid: an error is then the only line.
    for warning in unused {
        eprintln!("warning: {warning}");
    }
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
        for warning in script.check_run(plan.algorithm, plan.n, plan.m, &coalition, source)? {
            eprintln!("warning: {warning}");
        }
    }
    // Repeated under actix, the runs share one system and its actors, as a
    // sweep's do (a system a run would time its own start-up).
    let actix = (args.repeat > 1 && plan.runtime == crate::run::RuntimeKind::Actix)
        .then(crate::runtime::actix::ActixRunner::new);
    let execute = || match &actix {
        Some(runner) => runner.run(&plan),
        None => runtime::execute(&plan),
    };
    let sketch = args.diagram.as_ref().map(|_| SharedSketch::for_plan(&plan));
    let printer = args.trace.then(|| TracePrinter::new(args.json));
    let sinks: Vec<Box<dyn TraceSink>> = [
        sketch.clone().map(|s| Box::new(s) as Box<dyn TraceSink>),
        printer.clone().map(|p| Box::new(p) as Box<dyn TraceSink>),
    ]
    .into_iter()
    .flatten()
    .collect();
    let started = std::time::Instant::now();
    let mut report = if sinks.is_empty() {
        execute()?
    } else {
        runtime::execute_into(&plan, Box::new(Tee(sinks)))?
    };
    for _ in 1..args.repeat {
        report = execute()?;
    }
    let wall_ms = started.elapsed().as_secs_f64() * 1e3 / f64::from(args.repeat);
    let peak = crate::perf::peak_rss_kib();
    for warning in late_faults(&plan, report.outcome.decision_time_ms) {
        eprintln!("warning: {warning}");
    }
    // Drawn before anything is printed: a diagram that cannot be written
    // (a full disk) is the command's one error, not one after its verdict.
    if let (Some(file), Some(sketch)) = (&args.diagram, &sketch) {
        crate::experiment::diagram::draw_sketch(file, &report.outcome, &sketch.take())?;
    }
    if let Some(file) = &args.cwnd_out {
        write_series(file, &report.series)?;
    }
    if let Some(file) = &args.explore {
        write_explorer(file, &plan)?;
    }
    let drawn = args
        .diagram
        .as_ref()
        .map(|file| format!("diagram of the run in {}", file.display()));
    if args.json {
        let mut json = serde_json::to_value(&report.outcome)?;
        if let Some(obj) = json.as_object_mut() {
            // Faults (traitors and benign failures, listed above as
            // `traitors` and `failed`) against the system's failure.
            let o = &report.outcome;
            obj.insert(
                "faults_injected".into(),
                serde_json::json!(o.traitors.len() + o.failed.len()),
            );
            obj.insert("system_failed".into(), serde_json::json!(system_failed(o)));
            if args.explain {
                obj.insert("explain".into(), explain_json(&report));
            }
        }
        if args.measure
            && let Some(obj) = json.as_object_mut()
        {
            obj.insert("wall_ms".into(), serde_json::json!(wall_ms));
            obj.insert("peak_rss_kib".into(), serde_json::json!(peak));
        }
        match &printer {
            // The trace went out first, as the run made it.
            Some(p) => p.finish_json(&json)?,
            None => println!("{}", serde_json::to_string(&json)?),
        }
    } else {
        if let Some(p) = &printer {
            p.finish_text()?;
        }
        print_summary(&report, raised);
        if args.explain {
            print!("{}", explain_text(&report));
        }
        if args.measure {
            let peak = peak.map_or("unknown".to_string(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
            println!("wall time {wall_ms:.2} ms, peak memory {peak}");
        }
    }
    if let Some(line) = drawn {
        eprintln!("{line}");
    }
    Ok(())
}

/// A run's trace on stdout as the run makes it: a line per message, or
/// with `--json` the `trace` array of the one JSON object, opened before
/// the run and closed with the outcome's other fields after it. A write
/// that fails (a closed pipe, a full disk) is kept and reported at the end.
#[derive(Clone)]
pub(super) struct TracePrinter(std::sync::Arc<std::sync::Mutex<PrinterState>>);

pub(super) struct PrinterState {
    out: std::io::BufWriter<std::io::Stdout>,
    json: bool,
    lines: u64,
    error: Option<std::io::Error>,
}

impl TracePrinter {
    pub(super) fn new(json: bool) -> TracePrinter {
        let mut state = PrinterState {
            out: std::io::BufWriter::new(std::io::stdout()),
            json,
            lines: 0,
            error: None,
        };
        if json {
            // One object per message: round, t, sent, late, attempt, from,
            // to, path (OM path or SM chain signers), value, link, claimed.
            state.write(|w| w.write_all(b"{\"trace\":["));
        }
        TracePrinter(std::sync::Arc::new(std::sync::Mutex::new(state)))
    }

    fn with<T>(&self, f: impl FnOnce(&mut PrinterState) -> T) -> Result<T> {
        let mut state = self.0.lock().map_err(|_| anyhow::anyhow!("the trace printer failed"))?;
        Ok(f(&mut state))
    }

    /// The end of a line-per-message trace.
    pub(super) fn finish_text(&self) -> Result<()> {
        self.with(PrinterState::flush)?
    }

    /// Closes the trace array and writes `outcome`'s fields after it.
    pub(super) fn finish_json(&self, outcome: &serde_json::Value) -> Result<()> {
        let rest = serde_json::to_string(outcome)?;
        let rest = rest.strip_prefix('{').unwrap_or(&rest);
        self.with(|s| {
            s.write(|w| writeln!(w, "],{rest}"));
            s.flush()
        })?
    }
}

impl PrinterState {
    fn write(&mut self, f: impl FnOnce(&mut std::io::BufWriter<std::io::Stdout>) -> std::io::Result<()>) {
        if self.error.is_none()
            && let Err(e) = f(&mut self.out)
        {
            self.error = Some(e);
        }
    }

    fn flush(&mut self) -> Result<()> {
        self.write(std::io::Write::flush);
        match self.error.take() {
            Some(e) => Err(anyhow::Error::from(e).context("cannot write the trace to stdout")),
            None => Ok(()),
        }
    }
}

impl TraceSink for TracePrinter {
    fn push(&mut self, entry: TraceEntry) {
        if let Ok(mut s) = self.0.lock() {
            let first = s.lines == 0;
            s.lines += 1;
            if s.json {
                s.write(|w| {
                    if !first {
                        w.write_all(b",")?;
                    }
                    serde_json::to_writer(&mut *w, &entry).map_err(std::io::Error::other)
                });
            } else {
                s.write(|w| writeln!(w, "{entry}"));
            }
        }
    }

    /// Text traces only: the JSON trace keeps one kind of object.
    fn verdict(&mut self, judged: &crate::runtime::network::Judged) {
        if let Ok(mut s) = self.0.lock()
            && !s.json
        {
            s.write(|w| writeln!(w, "{judged}"));
        }
    }

    fn wants_verdicts(&self) -> bool {
        self.0.lock().is_ok_and(|s| !s.json)
    }
}

pub(super) fn holds(b: bool) -> &'static str {
    if b { "holds" } else { "VIOLATED" }
}

/// The console summary of a run; `raised` says the round timeout is the
/// link's default (a `stubborn` stack's room for retransmissions).
/// The loyal lieutenants that decided (not failed), with their explanations.
fn explained(r: &RunReport) -> impl Iterator<Item = (&crate::runtime::GeneralReport, &crate::protocol::Explanation)> {
    r.generals
        .iter()
        .filter(|g| g.id != 0 && g.loyal && !g.failed)
        .filter_map(|g| g.explain.as_ref().map(|e| (g, e)))
}

/// `--explain --json`: per loyal lieutenant, its explanation.
fn explain_json(r: &RunReport) -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = explained(r)
        .map(|(g, e)| (g.id.to_string(), serde_json::to_value(e).unwrap_or_default()))
        .collect();
    serde_json::Value::Object(map)
}

/// `--explain`: a block per loyal lieutenant, a line per vote, indented by
/// level, each value that lost to the majority marked, and every traitor on
/// a path named.
pub(super) fn explain_text(r: &RunReport) -> String {
    let traitors = &r.outcome.traitors;
    let mut out = String::new();
    let any = explained(r).next().is_some();
    if !any {
        out.push_str("explain   this algorithm does not explain its decisions\n");
    }
    for (g, e) in explained(r) {
        out.push_str(&format!(
            "explain   lieutenant {} decided {}: {}\n",
            g.id, e.decision, e.rule
        ));
        let signed = r.outcome.algorithm.signed();
        for v in &e.votes {
            vote_lines(&mut out, v, e.decision, traitors, 1, signed);
        }
    }
    out
}

fn vote_lines(
    out: &mut String,
    v: &crate::protocol::Vote,
    counted_against: Value,
    traitors: &[GeneralId],
    depth: usize,
    signed: bool,
) {
    let path: Vec<String> = v.path.iter().map(|p| p.to_string()).collect();
    let path = path.join(if signed { "," } else { ":" });
    // Who handed this value over: the path's last general (OM's sender,
    // SM's last signer).
    let from_traitor = v.path.last().filter(|p| traitors.contains(p));
    let who = if signed {
        format!("signed by {path}")
    } else if v.path.len() == 1 {
        "from the commander".to_string()
    } else {
        format!("relayed by {}", v.path.last().map_or(0, |&l| l))
    };
    let received = match v.received {
        Some(x) if x == v.value => String::new(),
        Some(x) => format!(", received {x}, resolved from {} below", v.below.len()),
        None => ", nothing received (RETREAT)".to_string(),
    };
    let mut notes = Vec::new();
    if let Some(t) = from_traitor {
        notes.push(format!("from traitor {t}"));
    }
    // SM's choice is no vote: the rule line says what both values give.
    if v.value != counted_against && !signed {
        notes.push("outvoted".to_string());
    }
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!("  [{}]", notes.join("; "))
    };
    let label = if signed { "" } else { path.as_str() };
    out.push_str(&format!(
        "{}{label:<8} {:<8} ({who}{received}){notes}\n",
        "          ".to_string() + &"  ".repeat(depth - 1),
        v.value.as_str()
    ));
    for b in &v.below {
        vote_lines(out, b, v.value, traitors, depth + 1, signed);
    }
}

/// Whether the system failed: IC1 or IC2 broken among the loyal generals
/// that did not fail benignly (a fault is not a failure).
fn system_failed(o: &crate::types::Outcome) -> bool {
    !(o.agreement && o.validity && o.undecided.is_empty())
}

/// The faults a run injected: its traitors and its benign failures (crash,
/// recovery, omission), which IC1 and IC2 leave out.
fn faults_line(o: &crate::types::Outcome) -> String {
    let mut parts = Vec::new();
    if !o.traitors.is_empty() {
        let ids: Vec<String> = o.traitors.iter().map(|t| t.to_string()).collect();
        parts.push(format!("Byzantine {} ({})", ids.join(","), o.strategy));
    }
    if !o.failed.is_empty() {
        parts.push(format!("benign {} (not counted in IC1/IC2)", o.failed.join(" ")));
    }
    if parts.is_empty() {
        "none injected".into()
    } else {
        parts.join("; ")
    }
}

pub(super) fn print_summary(r: &RunReport, raised: bool) {
    let o = &r.outcome;
    let alg = o.algorithm.label(&o.m.to_string());
    let traitors = if o.traitors.is_empty() {
        "none".to_string()
    } else {
        o.traitors.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(",")
    };
    // A traitor commander's order is what it sent, not --value.
    let crashed = o.failed.iter().find_map(|f| f.strip_prefix("0:"));
    let order = if o.commander_loyal {
        format!("commander loyal  order={}", o.value)
    } else if let Some(how) = crashed {
        // A benign failure: it ran the protocol, with --value, until it failed.
        format!("commander faulty ({how})  order={}", o.value)
    } else if o.commander_sent.is_empty() {
        "commander traitor  sent nothing".to_string()
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
    let bottleneck = if o.bottleneck.is_empty() {
        String::new()
    } else {
        format!("  bottleneck={}", o.bottleneck)
    };
    println!(
        "link={}{bottleneck}{graph}  runtime={}{signatures}  seed={}",
        o.link, o.runtime, o.seed
    );
    let gst = if o.timing == TimingModel::Partial {
        format!(" gst={}", o.gst_ms)
    } else {
        String::new()
    };
    let raised = if raised { " (raised for stubborn)" } else { "" };
    let scheduler = if o.scheduler.is_empty() {
        String::new()
    } else {
        format!("  scheduler={}", o.scheduler)
    };
    // An asynchronous algorithm has no round timeout: its budget instead.
    let timeout = match o.budget_ms {
        Some(b) => format!("budget={b}"),
        None => format!("timeout={}{raised}", o.timeout_ms),
    };
    println!(
        "timing={} delta={}{gst} {timeout} (virtual ms){scheduler}  decided at t={}",
        o.timing, o.delta_ms, o.decision_time_ms
    );
    // Faults (what was injected) and failure (whether the system failed)
    // apart, as the lecture tells them apart.
    println!("faults    {}", faults_line(o));
    let mut decisions: Vec<String> = o.decisions.iter().map(|(g, v)| format!("{g}:{v}")).collect();
    decisions.extend(o.undecided.iter().map(|g| format!("{g}:undecided")));
    println!(
        "decisions  {}",
        if decisions.is_empty() {
            "(no loyal lieutenants)".into()
        } else {
            decisions.join(" ")
        }
    );
    if !o.undecided.is_empty() {
        println!(
            "undecided {} loyal lieutenant(s) had not decided when the run ended (nothing left to happen, or the budget spent)",
            o.undecided.len()
        );
    }
    // IC2 speaks of a loyal commander only.
    let ic2 = if o.commander_loyal {
        format!("IC2 validity {}", holds(o.validity))
    } else {
        "IC2 not applicable (traitor commander)".into()
    };
    println!("IC1 agreement {}   {ic2}", holds(o.agreement));
    println!(
        "failure   {}",
        if !(o.agreement && o.validity) {
            "yes: the loyal generals broke IC1 or IC2"
        } else if system_failed(o) {
            "yes: IC1 and IC2 held among those that decided, but a loyal lieutenant never decided"
        } else {
            "none: the loyal generals kept IC1 and IC2"
        }
    );
    // Every counter of the table that is not zero; messages and bytes always.
    let counters: Vec<String> = Counters::NAMES
        .iter()
        .zip(o.counters.values())
        .filter(|(name, v)| *v != 0 || matches!(**name, "messages" | "bytes"))
        .map(|(name, v)| format!("{name}={v}"))
        .collect();
    println!("rounds={} {}", o.rounds, counters.join(" "));
}

/// Checks an `--explore` file before the run: its folder exists, and it is
/// new or a page byzlab wrote (never another file overwritten).
pub(super) fn check_explore(file: &Path) -> Result<()> {
    existing_folder("--explore", file)?;
    if file.extension().and_then(|e| e.to_str()) != Some("html") {
        anyhow::bail!("--explore {}: give a file name ending in .html", file.display());
    }
    if let Ok(m) = std::fs::symlink_metadata(file) {
        // The mark is in the page's head: its first 4 KiB say.
        let head = || -> std::io::Result<String> {
            let mut buf = vec![0; 4096];
            let got = std::io::Read::read(&mut std::fs::File::open(file)?, &mut buf)?;
            Ok(String::from_utf8_lossy(&buf[..got]).into_owned())
        };
        let ours = m.is_file() && head().is_ok_and(|t| t.contains(crate::explore::MARK));
        if !ours {
            anyhow::bail!(
                "--explore {}: a file is there that is not a byzlab explorer page; give a new name",
                file.display()
            );
        }
    }
    Ok(())
}

/// Writes the explorer page of `plan`'s run into `file`.
pub(super) fn write_explorer(file: &Path, plan: &crate::run::RunPlan) -> Result<()> {
    let page = explorer_page(plan)?;
    crate::files::write_atomic(file, page).with_context(|| format!("--explore {}: cannot write it", file.display()))?;
    eprintln!("explorer page of the run in {} (open it in a browser)", file.display());
    Ok(())
}

/// The explorer page of `plan`'s run (`--explore`, and one beside each
/// witness a sweep writes).
pub(crate) fn explorer_page(plan: &crate::run::RunPlan) -> Result<String, crate::explore::ExploreError> {
    let title = format!(
        "{} n={} f={} traitors={} ({}), order {}, link {}, seed {}",
        plan.algorithm().label(&plan.m().to_string()),
        plan.n(),
        plan.f(),
        if plan.traitors().is_empty() {
            "none".to_string()
        } else {
            plan.traitors()
                .iter()
                .map(|g| g.to_string())
                .collect::<Vec<_>>()
                .join(",")
        },
        plan.strategy().name,
        plan.value(),
        plan.link().label(),
        plan.seed()
    );
    crate::explore::explore(plan, &title, &explain_by_general)
}

/// Each loyal lieutenant's explanation, as `--explain` prints it, in lines.
fn explain_by_general(r: &RunReport) -> std::collections::BTreeMap<GeneralId, Vec<String>> {
    let signed = r.outcome.algorithm.signed();
    explained(r)
        .map(|(g, e)| {
            let mut text = format!("decided {}: {}\n", e.decision, e.rule);
            for v in &e.votes {
                vote_lines(&mut text, v, e.decision, &r.outcome.traitors, 1, signed);
            }
            (
                g.id,
                text.lines()
                    .map(|l| l.trim_start_matches("explain   ").to_string())
                    .collect(),
            )
        })
        .collect()
}

/// The folder `file` (given to `flag`) is to be written in, which must exist.
fn existing_folder<'a>(flag: &str, file: &'a Path) -> Result<&'a Path> {
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        anyhow::bail!("{flag} {}: the folder {} does not exist", file.display(), dir.display());
    }
    Ok(dir)
}

/// The conditions a run broke, as `IC1 (agreement) and IC2 (validity)`.
pub(super) fn broken(agreement: bool, validity: bool) -> String {
    [
        (!agreement).then_some("IC1 (agreement)"),
        (!validity).then_some("IC2 (validity)"),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" and ")
}
