//! Experiment files: the raw TOML a user writes, and its validation into a
//! [`Spec`] in which every value is known to make sense. Errors name the file,
//! the field and, where the parser knows it, the line.
//!
//! Field by field documentation lives in `experiments/README.md`.

use crate::link::LinkSpec;
use crate::registry::Registry;
use crate::run::RuntimeKind;
use crate::timing::{Timing, TimingModel};
use crate::traitor::{StrategyRef, builtins};
use crate::types::{Algorithm, Value};
use serde::{Deserialize, Serialize};
use std::path::Path;
use toml::Spanned;

/// Largest plan a sweep accepts, in runs. A sweep keeps no row in memory
/// (they stream to runs.csv and into a per-cell tally) and a sampled cell
/// keeps its axes, not its runs, so a plan's size is bounded by disk (about
/// 0.35 KB of runs.csv a run) and time, not memory.
pub const MAX_TOTAL_RUNS: u64 = 100_000_000;

/// Most cells a plan holds, skipped ones included: the product of the axes
/// is counted against it before a cell is made (a cell that is not run
/// still costs its label, its reason and a row of every table).
pub const MAX_CELLS: u64 = 20_000;

/// Most runs a plan lists one by one: the exhaustive searches and the
/// benign-fault cells (about 0.2 KB a run), per cell and in all.
pub const MAX_LISTED_RUNS: u64 = 2_000_000;

/// A problem with an experiment file.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// The file could not be read.
    #[error("cannot read experiment {path}: {source}")]
    Io {
        /// File.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// Not valid TOML, or a field of the wrong type or unknown.
    #[error("{path}: {message}")]
    Parse {
        /// File.
        path: String,
        /// Parser message (with line and column).
        message: String,
    },
    /// A field whose value makes no sense.
    #[error("{path}:{line}: field `{field}`: {message}")]
    Field {
        /// File.
        path: String,
        /// Line of the field.
        line: usize,
        /// Field name.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The plan would be too big to run.
    #[error("{path}: the plan is too big: {message}")]
    TooBig {
        /// File.
        path: String,
        /// Estimate and limit.
        message: String,
    },
    /// The plan has no run at all.
    #[error("{path}: {message}")]
    Empty {
        /// File.
        path: String,
        /// Why, with a cell's reason.
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "a whole number >= 0, a list of them, or a range { from = A, to = B }"
)]
enum IntAxis {
    One(usize),
    List(Vec<usize>),
    Range { from: usize, to: usize },
}

#[derive(Deserialize)]
#[serde(untagged, expecting = "a whole number >= 0 or a rule such as \"f\" or \"f-1\"")]
enum MField {
    Fixed(usize),
    Rule(String),
}

#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "a whole number >= 0, a rule such as \"f\" or \"f-1\", or a list of them"
)]
enum MAxis {
    One(MField),
    List(Vec<MField>),
}

#[derive(Deserialize)]
#[serde(untagged, expecting = "a number of placements to sample, or \"all\"")]
enum PlacementField {
    Sample(usize),
    Word(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    name: Option<Spanned<String>>,
    description: Option<String>,
    algorithms: Spanned<Vec<String>>,
    n: Spanned<IntAxis>,
    f: Spanned<IntAxis>,
    m: Option<Spanned<MAxis>>,
    links: Option<Spanned<Vec<String>>>,
    strategies: Option<Spanned<Vec<String>>>,
    placements: Option<Spanned<PlacementField>>,
    commander: Option<Spanned<String>>,
    traitors: Option<Spanned<String>>,
    values: Option<Spanned<Vec<String>>>,
    seeds: Option<Spanned<u64>>,
    runtime: Option<Spanned<String>>,
    signatures: Option<Spanned<String>>,
    exhaustive: Option<bool>,
    exhaustive_limit: Option<Spanned<u64>>,
    stop_at_first_violation: Option<bool>,
    max_runs_per_cell: Option<Spanned<u64>>,
    timings: Option<Spanned<Vec<String>>>,
    deltas: Option<Spanned<Vec<u64>>>,
    gsts: Option<Spanned<Vec<u64>>>,
    timeouts: Option<Spanned<Vec<u64>>>,
    faults: Option<Spanned<Vec<String>>>,
    graphs: Option<Spanned<Vec<String>>>,
    bottlenecks: Option<Spanned<Vec<String>>>,
    schedulers: Option<Spanned<Vec<String>>>,
    shrink: Option<bool>,
}

/// How m follows f.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "lowercase")]
pub enum MRule {
    /// m = f + offset (offset may be negative).
    Offset(i64),
    /// m fixed.
    Fixed(usize),
    /// Theorem 4's m for SM on a graph: f + d - 1, d the largest diameter
    /// of the loyal generals' subgraph over the cell's placements (d = 1 on
    /// the complete graph, so m = f there). SM only: no OM cell is made.
    Diameter,
}

impl MRule {
    /// `m = f`, `m = f-1`, `m = 2`.
    pub fn label(self) -> String {
        match self {
            MRule::Offset(0) => "m = f".into(),
            MRule::Offset(d) => format!("m = f{d:+}"),
            MRule::Fixed(m) => format!("m = {m}"),
            MRule::Diameter => "m = f+d-1".into(),
        }
    }

    /// m for a given f, or `None` when the offset makes it negative (for
    /// [`MRule::Diameter`], its least value f: the plan adds d - 1).
    pub fn m_for(self, f: usize) -> Option<usize> {
        match self {
            MRule::Fixed(m) => Some(m),
            MRule::Diameter => Some(f),
            MRule::Offset(d) => usize::try_from(f as i64 + d).ok(),
        }
    }
}

/// Which traitor placements a cell tries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "lowercase")]
pub enum Placements {
    /// Every set of f generals.
    All,
    /// At most this many, drawn from the seed (half with the commander among
    /// the traitors when `commander = "either"`).
    Sample(usize),
}

/// Whether the commander may be a traitor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CommanderRule {
    /// Both kinds of placement.
    Either,
    /// Only placements with a loyal commander.
    Loyal,
    /// Only placements with a traitor commander.
    Traitor,
}

/// How many traitors a cell (n, f) places: the paper's theorems speak of
/// *at most* f traitors, so by default a cell searches every count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum TraitorCount {
    /// Every k = 0..=f (k = n-1 and more left out: fewer than two loyal
    /// generals cannot disagree); the cell's verdict is its worst k.
    #[default]
    AtMostF,
    /// Exactly f traitors in every run.
    ExactlyF,
}

impl TraitorCount {
    /// `at-most-f` or `exactly-f`, as experiment files spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            TraitorCount::AtMostF => "at-most-f",
            TraitorCount::ExactlyF => "exactly-f",
        }
    }

    /// The traitor counts a cell (n, f) runs: at most f, or exactly f, and
    /// never more than n - 2 (below two loyal generals nothing can break).
    pub fn counts(self, n: usize, f: usize) -> std::ops::RangeInclusive<usize> {
        let most = f.min(n.saturating_sub(2));
        match self {
            TraitorCount::AtMostF => 0..=most,
            TraitorCount::ExactlyF if f == most => f..=f,
            // Empty: exactly f traitors leave fewer than two loyal generals.
            #[allow(clippy::reversed_empty_ranges)]
            TraitorCount::ExactlyF => 1..=0,
        }
    }
}

/// A validated experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spec {
    /// Name; names the default output folder.
    pub name: String,
    /// What the experiment asks.
    pub description: String,
    /// Algorithms.
    pub algorithms: Vec<Algorithm>,
    /// Values of n, ascending.
    pub ns: Vec<usize>,
    /// Values of f, ascending.
    pub fs: Vec<usize>,
    /// m as a function of f: one rule per table (e.g. `f-1` and `f`).
    pub m: Vec<MRule>,
    /// Links.
    pub links: Vec<LinkSpec>,
    /// Strategy portfolio.
    pub strategies: Vec<StrategyRef>,
    /// Placements per cell.
    pub placements: Placements,
    /// Commander rule.
    pub commander: CommanderRule,
    /// At most f traitors per run (the theorems' quantifier), or exactly f.
    #[serde(default)]
    pub traitors: TraitorCount,
    /// Commander orders.
    pub values: Vec<Value>,
    /// Seeds per (placement, strategy, value).
    pub seeds: u64,
    /// Runtime.
    pub runtime: RuntimeKind,
    /// SM's signature scheme; left out of the fingerprint when ed25519.
    #[serde(default, skip_serializing_if = "crate::crypto::Signatures::is_default")]
    pub signatures: crate::crypto::Signatures,
    /// Enumerate every OM traitor behaviour where it fits.
    pub exhaustive: bool,
    /// Largest number of runs an exhaustive cell may take.
    pub exhaustive_limit: u64,
    /// Stop a cell at its first violation.
    pub stop_at_first_violation: bool,
    /// Cap on runs per cell.
    pub max_runs_per_cell: u64,
    /// Timings to sweep: every combination of the `timings`, `deltas`,
    /// `gsts` (partial synchrony only) and `timeouts` axes. Left out of the
    /// plan's fingerprint when it is the default, so that plans written
    /// before timing existed keep theirs.
    #[serde(default = "default_timings", skip_serializing_if = "is_default_timings")]
    pub timings: Vec<Timing>,
    /// What the f placed generals do: turn traitor, or fail benignly.
    /// Left out of the fingerprint when it is the default, traitors only.
    #[serde(default = "default_faults", skip_serializing_if = "is_default_faults")]
    pub faults: Vec<FaultKind>,
    /// The `timeouts` axis was left out: a link with a `stubborn` layer
    /// then gets its [`LinkSpec::default_timeout`](crate::link::LinkSpec::default_timeout),
    /// the others delta. Serialized only when it matters (a stubborn link
    /// in the file), so other plans keep their fingerprints.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub link_timeouts: bool,
    /// Communication graphs (section 5); left out of the fingerprint when
    /// it is the default, the complete graph only.
    #[serde(default = "default_graphs", skip_serializing_if = "is_default_graphs")]
    pub graphs: Vec<crate::graph::GraphSpec>,
    /// The router queue every frame crosses, per cell (`None`: an
    /// infinitely wide network, the default); left out of the fingerprint
    /// when it is the default.
    #[serde(default = "default_bottlenecks", skip_serializing_if = "is_default_bottlenecks")]
    pub bottlenecks: Vec<Option<crate::link::capacity::Queue>>,
    /// Who chooses each frame's delay within the timing model, per cell
    /// (`crate::scheduler`); left out of the fingerprint when it is the
    /// default, `random` only.
    #[serde(default = "default_schedulers", skip_serializing_if = "is_default_schedulers")]
    pub schedulers: Vec<String>,
    /// Shrink each witness to the deviations its violation needs
    /// (`witnesses/cell-K.shrunk.json`, `crate::experiment::shrink`); on by
    /// default, and then left out of the fingerprint.
    #[serde(default = "yes", skip_serializing_if = "is_yes")]
    pub shrink: bool,
}

fn yes() -> bool {
    true
}

fn is_yes(b: &bool) -> bool {
    *b
}

fn default_schedulers() -> Vec<String> {
    vec![crate::scheduler::RANDOM.to_string()]
}

fn is_default_schedulers(s: &[String]) -> bool {
    s == [crate::scheduler::RANDOM]
}

/// `schedulers`: names the registry knows, each a cell apart.
fn schedulers(
    src: &Source<'_>,
    raw: Option<Spanned<Vec<String>>>,
    registry: &Registry,
) -> Result<Vec<String>, SpecError> {
    let Some(raw) = raw else {
        return Ok(default_schedulers());
    };
    let span = raw.span();
    let list = raw.into_inner();
    if list.is_empty() {
        return Err(src.field(
            "schedulers",
            span,
            "give at least one (`random`: the timing model's own delays)".into(),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for name in list {
        crate::scheduler::resolve(registry.schedulers(), &name)
            .map_err(|e| src.field("schedulers", span.clone(), e.to_string()))?;
        if out.contains(&name) {
            return Err(src.field("schedulers", span, format!("`{name}` is listed twice")));
        }
        out.push(name);
    }
    Ok(out)
}

fn default_bottlenecks() -> Vec<Option<crate::link::capacity::Queue>> {
    vec![None]
}

fn is_default_bottlenecks(b: &[Option<crate::link::capacity::Queue>]) -> bool {
    b == [None]
}

/// `bottlenecks`: `none` or `RATE/QUEUE`, each a cell apart.
fn bottlenecks(
    src: &Source<'_>,
    raw: Option<Spanned<Vec<String>>>,
) -> Result<Vec<Option<crate::link::capacity::Queue>>, SpecError> {
    let Some(raw) = raw else {
        return Ok(default_bottlenecks());
    };
    let span = raw.span();
    let list = raw.into_inner();
    if list.is_empty() {
        return Err(src.field("bottlenecks", span, "give at least one (`none`: no bottleneck)".into()));
    }
    let mut out = Vec::new();
    for b in list {
        let q = match b.trim() {
            "none" => None,
            t => Some(
                crate::link::capacity::Queue::parse(t)
                    .map_err(|e| src.field("bottlenecks", span.clone(), format!("{e} (or `none`)")))?,
            ),
        };
        if out.contains(&q) {
            return Err(src.field("bottlenecks", span, format!("`{b}` is listed twice")));
        }
        out.push(q);
    }
    Ok(out)
}

fn default_graphs() -> Vec<crate::graph::GraphSpec> {
    vec![crate::graph::GraphSpec::Complete]
}

fn is_default_graphs(g: &[crate::graph::GraphSpec]) -> bool {
    g == [crate::graph::GraphSpec::Complete]
}

/// What the f generals placed in a cell do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultKind {
    /// Turn traitor and follow the strategies (Byzantine).
    Byzantine,
    /// Crash-stop at a time drawn from the run's seed.
    Crash,
    /// Go down for one round at a time drawn from the seed, then come back
    /// with their memory lost.
    Recover,
    /// Lose each frame they send with probability 1/2.
    Omission,
}

impl FaultKind {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::Byzantine => "byzantine",
            FaultKind::Crash => "crash",
            FaultKind::Recover => "recover",
            FaultKind::Omission => "omission",
        }
    }
}

fn default_faults() -> Vec<FaultKind> {
    vec![FaultKind::Byzantine]
}

fn is_default_faults(f: &[FaultKind]) -> bool {
    f == [FaultKind::Byzantine]
}

fn default_timings() -> Vec<Timing> {
    vec![Timing::default()]
}

fn is_default_timings(t: &[Timing]) -> bool {
    t == [Timing::default()]
}

/// Where a field's error points: the file, and the line from the field's
/// span in its text.
struct Source<'a> {
    text: &'a str,
    path: &'a str,
}

type Span = std::ops::Range<usize>;

impl Source<'_> {
    fn field(&self, field: &'static str, span: Span, message: String) -> SpecError {
        SpecError::Field {
            path: self.path.to_string(),
            line: self.text[..span.start.min(self.text.len())].matches('\n').count() + 1,
            field,
            message,
        }
    }
}

/// Reads and validates an experiment file, its strategy and adversary names
/// looked up in `registry`. Scripted strategies are read relative to the
/// experiment file's folder, then the current folder.
pub fn load(path: &Path, registry: &Registry) -> Result<Spec, SpecError> {
    let display = path.display().to_string();
    let text = crate::files::read_limited(path).map_err(|source| SpecError::Io {
        path: display.clone(),
        source,
    })?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "experiment".into());
    parse(&text, &display, &stem, path.parent(), registry)
}

/// Validates the text of an experiment file; `path` names it in errors,
/// names are looked up in `registry`.
pub fn parse(
    text: &str,
    path: &str,
    default_name: &str,
    base: Option<&Path>,
    registry: &Registry,
) -> Result<Spec, SpecError> {
    let raw: Raw = toml::from_str(text).map_err(|e| SpecError::Parse {
        path: path.to_string(),
        message: crate::files::plain_parse_error(&e.to_string()),
    })?;
    let src = Source { text, path };
    let ns = int_axis(&src, "n", raw.n, 2)?;
    if let Some(&big) = ns.iter().find(|&&n| n > crate::run::MAX_GENERALS) {
        return Err(SpecError::TooBig {
            path: path.into(),
            message: format!("n = {big} exceeds {} generals", crate::run::MAX_GENERALS),
        });
    }
    let links = links(&src, raw.links, registry)?;
    let m_span = raw.m.as_ref().map_or(0..0, |m| m.span());
    let m = m_rules(&src, raw.m)?;
    // m > n - 2 runs as n - 2 (no longer chain exists); a fixed m beyond
    // every n of the plan is a mistake, not a request.
    let largest = ns.last().copied().unwrap_or(2);
    if let Some(MRule::Fixed(big)) = m
        .iter()
        .find(|r| matches!(r, MRule::Fixed(x) if x.saturating_add(2) > largest))
    {
        return Err(src.field(
            "m",
            m_span,
            format!("m = {big} needs n >= m + 2, and the largest n of the plan is {largest}"),
        ));
    }
    Ok(Spec {
        name: name(&src, raw.name, default_name)?,
        description: raw.description.unwrap_or_default(),
        algorithms: algorithms(&src, raw.algorithms, registry)?,
        ns,
        fs: int_axis(&src, "f", raw.f, 0)?,
        m,
        link_timeouts: raw.timeouts.is_none() && links.iter().any(|l| l.default_timeout(0).is_some()),
        links,
        strategies: strategies(&src, raw.strategies, base, registry)?,
        placements: placements(&src, raw.placements)?,
        commander: commander(&src, raw.commander)?,
        traitors: traitor_count(&src, raw.traitors)?,
        values: values(&src, raw.values)?,
        seeds: positive(&src, "seeds", raw.seeds, 1)?,
        runtime: runtime(&src, raw.runtime)?,
        signatures: signatures(&src, raw.signatures)?,
        exhaustive: raw.exhaustive.unwrap_or(true),
        exhaustive_limit: positive(&src, "exhaustive_limit", raw.exhaustive_limit, 20_000)?,
        stop_at_first_violation: raw.stop_at_first_violation.unwrap_or(false),
        max_runs_per_cell: positive(&src, "max_runs_per_cell", raw.max_runs_per_cell, 100_000)?,
        timings: timings(&src, raw.timings, raw.deltas, raw.gsts, raw.timeouts)?,
        faults: fault_kinds(&src, raw.faults)?,
        graphs: graphs(&src, raw.graphs, base)?,
        bottlenecks: bottlenecks(&src, raw.bottlenecks)?,
        schedulers: schedulers(&src, raw.schedulers, registry)?,
        shrink: raw.shrink.unwrap_or(true),
    })
}

/// `graphs`: `complete`, `ring`, `regular:P`, or `.toml` edge lists
/// (relative to the experiment file); each is built for every n of the
/// plan when the plan is.
fn graphs(
    src: &Source<'_>,
    raw: Option<Spanned<Vec<String>>>,
    base: Option<&Path>,
) -> Result<Vec<crate::graph::GraphSpec>, SpecError> {
    let Some(v) = raw else {
        return Ok(default_graphs());
    };
    let span = v.span();
    let mut out = Vec::new();
    for text in once(v.into_inner()) {
        let g = crate::graph::GraphSpec::parse(&text, base)
            .map_err(|e| src.field("graphs", span.clone(), e.to_string()))?;
        if !out.contains(&g) {
            out.push(g);
        }
    }
    if out.is_empty() {
        return Err(src.field("graphs", span, "give at least one graph".into()));
    }
    Ok(out)
}

/// The entries of a list, each once, in the order first given: linear
/// time (a file may repeat an entry tens of thousands of times), so that
/// each graph file and script is read once, and no axis multiplies cells
/// by repeats.
fn once<T: Clone + Eq + std::hash::Hash>(v: Vec<T>) -> Vec<T> {
    let mut seen = std::collections::HashSet::with_capacity(v.len());
    v.into_iter().filter(|x| seen.insert(x.clone())).collect()
}

/// `faults`: byzantine, crash, recover, omission.
fn fault_kinds(src: &Source<'_>, raw: Option<Spanned<Vec<String>>>) -> Result<Vec<FaultKind>, SpecError> {
    let Some(v) = raw else {
        return Ok(default_faults());
    };
    let span = v.span();
    let mut out = Vec::new();
    for name in once(v.into_inner()) {
        let kind = match name.as_str() {
            "byzantine" => FaultKind::Byzantine,
            "crash" => FaultKind::Crash,
            "recover" => FaultKind::Recover,
            "omission" => FaultKind::Omission,
            other => {
                return Err(src.field(
                    "faults",
                    span,
                    format!("`{other}` is not byzantine, crash, recover or omission"),
                ));
            }
        };
        if !out.contains(&kind) {
            out.push(kind);
        }
    }
    if out.is_empty() {
        return Err(src.field("faults", span, "give at least one kind".into()));
    }
    Ok(out)
}

/// `timings`, `deltas`, `gsts`, `timeouts`: every combination, GST only
/// for partial synchrony; a missing timeout is delta.
fn timings(
    src: &Source<'_>,
    models: Option<Spanned<Vec<String>>>,
    deltas: Option<Spanned<Vec<u64>>>,
    gsts: Option<Spanned<Vec<u64>>>,
    timeouts: Option<Spanned<Vec<u64>>>,
) -> Result<Vec<Timing>, SpecError> {
    let list = |name: &'static str, v: Option<Spanned<Vec<u64>>>, default: Vec<Option<u64>>| match v {
        None => Ok((default, 0..0)),
        Some(s) => {
            let span = s.span();
            let v = s.into_inner();
            if v.is_empty() {
                return Err(src.field(name, span, "give at least one value".into()));
            }
            Ok((once(v).into_iter().map(Some).collect(), span))
        }
    };
    let (models, model_span) = match models {
        None => (vec![TimingModel::Sync], 0..0),
        Some(s) => {
            let span = s.span();
            let v = once(s.into_inner())
                .iter()
                .map(|m| m.parse::<TimingModel>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| src.field("timings", span.clone(), e.to_string()))?;
            if v.is_empty() {
                return Err(src.field("timings", span, "give at least one of sync, partial, async".into()));
            }
            (v, span)
        }
    };
    let (deltas, delta_span) = list("deltas", deltas, vec![Some(crate::timing::DEFAULT_DELTA)])?;
    let (gsts, gst_span) = list("gsts", gsts, vec![Some(0)])?;
    let (timeouts, timeout_span) = list("timeouts", timeouts, vec![None])?;
    // Counted before expanded: at most MAX_CELLS timings (a plan holds no
    // more cells than that anyway).
    let partial = usize::from(models.contains(&TimingModel::Partial));
    let product = deltas.len() as u128
        * ((models.len() - partial) as u128 + partial as u128 * gsts.len() as u128)
        * timeouts.len() as u128;
    if product > MAX_CELLS as u128 {
        // Blame the longest axis given.
        let (field, span) = [
            ("deltas", deltas.len(), delta_span.clone()),
            ("gsts", gsts.len(), gst_span.clone()),
            ("timeouts", timeouts.len(), timeout_span.clone()),
            ("timings", models.len(), model_span.clone()),
        ]
        .into_iter()
        .max_by_key(|(_, len, _)| *len)
        .map(|(f, _, s)| (f, s))
        .unwrap_or(("timings", model_span));
        return Err(src.field(
            field,
            span,
            format!(
                "timings x deltas x gsts x timeouts make {product} timings; a plan holds at most {} cells",
                MAX_CELLS
            ),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<Timing> = Vec::new();
    for &model in &models {
        for &delta in &deltas {
            let gst_axis = if model == TimingModel::Partial {
                gsts.clone()
            } else {
                vec![Some(0)]
            };
            for &gst in &gst_axis {
                for &timeout in &timeouts {
                    let t = Timing::new(model, delta.unwrap_or_default(), gst.unwrap_or_default(), timeout).map_err(
                        |e| {
                            let (field, span) = match e {
                                crate::timing::TimingError::Zero("delta") => ("deltas", delta_span.clone()),
                                crate::timing::TimingError::TooLong { what: "gst", .. } => ("gsts", gst_span.clone()),
                                crate::timing::TimingError::TooLong { what: "delta", .. } => {
                                    ("deltas", delta_span.clone())
                                }
                                _ => ("timeouts", timeout_span.clone()),
                            };
                            src.field(field, span, e.to_string())
                        },
                    )?;
                    if seen.insert((t.model, t.delta, t.gst, t.timeout)) {
                        out.push(t);
                    }
                }
            }
        }
    }
    Ok(out)
}

/// `name`: letters, digits, - and _, since it names a folder.
fn name(src: &Source<'_>, raw: Option<Spanned<String>>, default: &str) -> Result<String, SpecError> {
    let Some(n) = raw else {
        return Ok(default.to_string());
    };
    let span = n.span();
    let v = n.into_inner();
    if v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(src.field(
            "name",
            span,
            format!("`{v}` must be letters, digits, - or _ (it names a folder)"),
        ));
    }
    Ok(v)
}

/// `algorithms`: one or more registered names (om, sm, dolev-strong,
/// phase-king, and a user's).
fn algorithms(src: &Source<'_>, raw: Spanned<Vec<String>>, registry: &Registry) -> Result<Vec<Algorithm>, SpecError> {
    let span = raw.span();
    let algorithms = raw
        .into_inner()
        .iter()
        .map(|a| registry.algorithms().find(a))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| src.field("algorithms", span.clone(), e.to_string()))?;
    if algorithms.is_empty() {
        return Err(src.field(
            "algorithms",
            span,
            format!("give at least one of {}", registry.algorithms().names()),
        ));
    }
    Ok(algorithms)
}

/// Largest range an axis may span: far more than any plan can run, small
/// enough to list before the plan's own limits are checked.
const MAX_AXIS_VALUES: usize = 100_000;

/// `n` and `f`: a number, a list, or `{ from, to }`; sorted, distinct.
fn int_axis(src: &Source<'_>, name: &'static str, a: Spanned<IntAxis>, min: usize) -> Result<Vec<usize>, SpecError> {
    let span = a.span();
    let mut v = match a.into_inner() {
        IntAxis::One(x) => vec![x],
        IntAxis::List(v) => v,
        IntAxis::Range { from, to } => {
            if from > to {
                return Err(src.field(name, span, format!("range from {from} to {to} is empty")));
            }
            if to - from >= MAX_AXIS_VALUES {
                return Err(src.field(
                    name,
                    span,
                    format!("range from {from} to {to} has more than {MAX_AXIS_VALUES} values"),
                ));
            }
            (from..=to).collect()
        }
    };
    v.sort_unstable();
    v.dedup();
    if v.is_empty() {
        return Err(src.field(name, span, "give at least one value".into()));
    }
    if let Some(bad) = v.iter().find(|&&x| x < min) {
        return Err(src.field(name, span, format!("{bad} is below the minimum {min}")));
    }
    Ok(v)
}

/// K of "f-K" or "f+K": a whole number written in digits, at most a
/// million (m beyond n - 2 runs as n - 2 anyway).
fn digits(d: &str) -> Option<i64> {
    if d.is_empty() || d.len() > 7 || !d.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    d.parse::<i64>().ok().filter(|&k| k <= 1_000_000)
}

/// `m`: a number, "f", "f-K", "f+K", or a list of them (one table each).
fn m_rules(src: &Source<'_>, raw: Option<Spanned<MAxis>>) -> Result<Vec<MRule>, SpecError> {
    let Some(s) = raw else {
        return Ok(vec![MRule::Offset(0)]);
    };
    let span = s.span();
    let fields = match s.into_inner() {
        MAxis::One(x) => vec![x],
        MAxis::List(v) => v,
    };
    let mut rules = Vec::new();
    for fld in fields {
        let rule = match fld {
            MField::Fixed(m) => MRule::Fixed(m),
            MField::Rule(r) => {
                let r: String = r.chars().filter(|c| !c.is_whitespace()).collect();
                if r == "f+d-1" {
                    if !rules.contains(&MRule::Diameter) {
                        rules.push(MRule::Diameter);
                    }
                    continue;
                }
                let offset = if r == "f" {
                    Some(0)
                } else if let Some(d) = r.strip_prefix("f-") {
                    // Digits only: "f--5" is no rule (it once ran as f+5).
                    digits(d).map(|d| -d)
                } else if let Some(d) = r.strip_prefix("f+") {
                    digits(d)
                } else {
                    None
                };
                MRule::Offset(offset.ok_or_else(|| {
                    src.field(
                        "m",
                        span.clone(),
                        match r.strip_prefix("f+").or_else(|| r.strip_prefix("f-")) {
                            Some(k) if !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()) => {
                                format!("`{r}`: K = {k} is more than 1000000 (m past n - 2 runs as n - 2 anyway)")
                            }
                            _ => format!("`{r}` is not a number, \"f\", \"f-K\", \"f+K\" or \"f+d-1\""),
                        },
                    )
                })?)
            }
        };
        if !rules.contains(&rule) {
            rules.push(rule);
        }
    }
    if rules.is_empty() {
        return Err(src.field("m", span, "give at least one rule".into()));
    }
    Ok(rules)
}

/// `links`: in the grammar of [`LinkSpec`]'s `FromStr`.
fn links(src: &Source<'_>, raw: Option<Spanned<Vec<String>>>, registry: &Registry) -> Result<Vec<LinkSpec>, SpecError> {
    let Some(l) = raw else {
        return Ok(vec![LinkSpec::Authenticated]);
    };
    let span = l.span();
    let v = l.into_inner();
    if v.is_empty() {
        return Err(src.field("links", span, "give at least one link".into()));
    }
    once(v)
        .iter()
        .map(|s| {
            let link = s.parse::<LinkSpec>()?;
            link.check_names(registry.adversaries(), registry.layers())?;
            Ok(link)
        })
        .collect::<Result<Vec<_>, crate::link::LinkError>>()
        .map_err(|e| src.field("links", span, e.to_string()))
}

/// `strategies`: built-in names, "portfolio", or script files (read relative
/// to the experiment's folder first).
fn strategies(
    src: &Source<'_>,
    raw: Option<Spanned<Vec<String>>>,
    base: Option<&Path>,
    registry: &Registry,
) -> Result<Vec<StrategyRef>, SpecError> {
    let Some(s) = raw else {
        return Ok(portfolio());
    };
    let span = s.span();
    let mut out = Vec::new();
    for name in once(s.into_inner()) {
        if name == "portfolio" {
            out.extend(portfolio());
            continue;
        }
        let resolved = match base {
            Some(dir) if name.ends_with(".toml") && dir.join(&name).exists() => {
                StrategyRef::from_spec(&dir.join(&name).to_string_lossy(), registry.strategies())
            }
            _ => StrategyRef::from_spec(&name, registry.strategies()),
        };
        out.push(resolved.map_err(|e| src.field("strategies", span.clone(), e.to_string()))?);
    }
    // (The portfolio and a name may give the same strategy twice.)
    let mut seen = std::collections::HashSet::new();
    out.retain(|s| seen.insert(serde_json::to_string(s).unwrap_or_default()));
    if out.is_empty() {
        return Err(src.field("strategies", span, "give at least one strategy".into()));
    }
    Ok(out)
}

/// `placements`: "all", or how many to sample.
fn placements(src: &Source<'_>, raw: Option<Spanned<PlacementField>>) -> Result<Placements, SpecError> {
    let Some(p) = raw else {
        return Ok(Placements::All);
    };
    let span = p.span();
    match p.into_inner() {
        PlacementField::Word(w) if w == "all" => Ok(Placements::All),
        PlacementField::Sample(k) if k > 0 => Ok(Placements::Sample(k)),
        PlacementField::Sample(_) => Err(src.field("placements", span, "a sample needs at least 1".into())),
        PlacementField::Word(w) => Err(src.field(
            "placements",
            span,
            format!("`{w}` is not \"all\" or a number to sample"),
        )),
    }
}

/// `commander`: either, loyal or traitor.
/// `traitors`: "at-most-f" (the default) or "exactly-f".
fn traitor_count(src: &Source<'_>, raw: Option<Spanned<String>>) -> Result<TraitorCount, SpecError> {
    let Some(t) = raw else {
        return Ok(TraitorCount::AtMostF);
    };
    let span = t.span();
    match t.into_inner().as_str() {
        "at-most-f" => Ok(TraitorCount::AtMostF),
        "exactly-f" => Ok(TraitorCount::ExactlyF),
        other => Err(src.field("traitors", span, format!("`{other}` is not at-most-f or exactly-f"))),
    }
}

fn commander(src: &Source<'_>, raw: Option<Spanned<String>>) -> Result<CommanderRule, SpecError> {
    let Some(c) = raw else {
        return Ok(CommanderRule::Either);
    };
    let span = c.span();
    match c.into_inner().as_str() {
        "either" => Ok(CommanderRule::Either),
        "loyal" => Ok(CommanderRule::Loyal),
        "traitor" => Ok(CommanderRule::Traitor),
        other => Err(src.field("commander", span, format!("`{other}` is not either, loyal or traitor"))),
    }
}

/// `values`: the commander's orders to try.
fn values(src: &Source<'_>, raw: Option<Spanned<Vec<String>>>) -> Result<Vec<Value>, SpecError> {
    let Some(v) = raw else {
        return Ok(Value::ALL.to_vec());
    };
    let span = v.span();
    let mut vals = v
        .into_inner()
        .iter()
        .map(|s| s.parse::<Value>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| src.field("values", span.clone(), e.to_string()))?;
    vals.sort();
    vals.dedup();
    if vals.is_empty() {
        return Err(src.field("values", span, "give at least one of attack, retreat".into()));
    }
    Ok(vals)
}

/// `runtime`: actix or direct.
fn runtime(src: &Source<'_>, raw: Option<Spanned<String>>) -> Result<RuntimeKind, SpecError> {
    let Some(r) = raw else {
        return Ok(RuntimeKind::Actix);
    };
    let span = r.span();
    r.into_inner()
        .parse()
        .map_err(|e: crate::types::UnknownName| src.field("runtime", span, e.to_string()))
}

/// `signatures`: ed25519 or ideal.
fn signatures(src: &Source<'_>, raw: Option<Spanned<String>>) -> Result<crate::crypto::Signatures, SpecError> {
    let Some(r) = raw else {
        return Ok(crate::crypto::Signatures::Ed25519);
    };
    let span = r.span();
    r.into_inner()
        .parse()
        .map_err(|e: crate::types::UnknownName| src.field("signatures", span, e.to_string()))
}

/// A count of runs or seeds: at least 1, and at most a whole plan's limit
/// (a larger count could never be run, only mistaken for one that was);
/// an exhaustive search lists its runs, so at most
/// [`MAX_LISTED_RUNS`] of them.
fn positive(src: &Source<'_>, name: &'static str, v: Option<Spanned<u64>>, default: u64) -> Result<u64, SpecError> {
    let (most, what) = if name == "exhaustive_limit" {
        (MAX_LISTED_RUNS, "the most runs a search may list")
    } else {
        (MAX_TOTAL_RUNS, "the most runs a plan may hold")
    };
    match v {
        None => Ok(default),
        Some(s) if *s.get_ref() == 0 => Err(src.field(name, s.span(), "must be at least 1".into())),
        Some(s) if *s.get_ref() > most => {
            Err(src.field(name, s.span(), format!("{} exceeds {most}, {what}", s.get_ref())))
        }
        Some(s) => Ok(s.into_inner()),
    }
}

/// Every built-in strategy but `honest`: the search portfolio.
pub fn portfolio() -> Vec<StrategyRef> {
    builtins()
        .iter()
        // honest attacks nothing; flood is silent to the protocol (it
        // attacks the decoder) and breaks nothing silent does not.
        .filter(|s| s.name != "honest" && s.name != "flood")
        .map(|s| StrategyRef::Builtin {
            name: s.name.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Spec {
        parse(text, "t.toml", "t", None, &Registry::builtin()).unwrap()
    }

    fn err(text: &str) -> String {
        parse(text, "t.toml", "t", None, &Registry::builtin())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn minimal_file_gets_defaults() {
        let s = ok("algorithms = [\"om\"]\nn = { from = 3, to = 5 }\nf = 1\n");
        assert_eq!(s.name, "t");
        assert_eq!(s.ns, vec![3, 4, 5]);
        assert_eq!(s.fs, vec![1]);
        assert_eq!(s.m, vec![MRule::Offset(0)]);
        assert_eq!(s.links, vec![LinkSpec::Authenticated]);
        // Every built-in but honest and flood (see `portfolio`).
        assert_eq!(s.strategies.len(), builtins().len() - 2);
        assert_eq!(s.values, vec![Value::Retreat, Value::Attack]);
        assert_eq!(s.runtime, RuntimeKind::Actix);
        assert!(s.exhaustive);
    }

    #[test]
    fn m_rules_and_links_parse() {
        let s =
            ok("algorithms=[\"sm\"]\nn=[4,7]\nf=[2]\nm=\"f-1\"\nlinks=[\"arbitrary:spoof@0.5\",\"authenticated\"]\n");
        assert_eq!(s.m[0].m_for(2), Some(1));
        assert_eq!(s.m[0].m_for(0), None);
        assert_eq!(
            s.links[0],
            LinkSpec::Arbitrary {
                adversary: "spoof".into(),
                rate: 0.5
            }
        );
        assert_eq!(ok("algorithms=[\"sm\"]\nn=[4,5]\nf=1\nm=3\n").m, vec![MRule::Fixed(3)]);
        assert!(err("algorithms=[\"sm\"]\nn=4\nf=1\nm=3\n").contains("largest n of the plan is 4"));
        assert_eq!(
            ok("algorithms=[\"sm\"]\nn=4\nf=1\nm=[\"f\", \"f+d-1\"]\n").m,
            vec![MRule::Offset(0), MRule::Diameter]
        );
        assert_eq!(
            ok("algorithms=[\"sm\"]\nn=4\nf=1\nm=[\"f-1\",\"f\"]\n").m,
            vec![MRule::Offset(-1), MRule::Offset(0)]
        );
    }

    #[test]
    fn mistakes_name_the_field_and_line() {
        let cases = [
            ("algorithms=[\"om\"]\nn=3\nf=1\nm=\"g\"\n", "t.toml:4: field `m`"),
            ("algorithms=[\"xm\"]\nn=3\nf=1\n", "field `algorithms`"),
            (
                "algorithms=[\"om\"]\nn={from=5,to=3}\nf=1\n",
                "t.toml:2: field `n`: range",
            ),
            ("algorithms=[\"om\"]\nn=1\nf=1\n", "below the minimum 2"),
            (
                "algorithms=[\"om\"]\nn=4\nf=1\nlinks=[\"carrier-pigeon\"]\n",
                "field `links`",
            ),
            (
                "algorithms=[\"om\"]\nn=4\nf=1\nstrategies=[\"nope\"]\n",
                "unknown strategy",
            ),
            (
                "algorithms=[\"om\"]\nn=4\nf=1\nplacements=\"some\"\n",
                "field `placements`",
            ),
            (
                "algorithms=[\"om\"]\nn=4\nf=1\ncommander=\"maybe\"\n",
                "field `commander`",
            ),
            ("algorithms=[\"om\"]\nn=4\nf=1\nseeds=0\n", "field `seeds`"),
            ("algorithms=[\"om\"]\nn=4\nf=1\nruntime=\"tokio\"\n", "field `runtime`"),
            ("algorithms=[\"om\"]\nn=4\nf=1\nspeed=3\n", "unknown field"),
            ("algorithms=[\"om\"]\nn=4\n", "missing field `f`"),
            ("algorithms=[\"om\"\nn=4\n", "line 2"),
            ("name=\"a b\"\nalgorithms=[\"om\"]\nn=4\nf=1\n", "field `name`"),
        ];
        for (text, want) in cases {
            let e = err(text);
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }
}
