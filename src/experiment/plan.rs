//! From a validated [`Spec`] to the list of cells and runs a sweep executes.
//!
//! A cell is one (algorithm, link, n, f, m). Inside it the runner searches
//! for a counterexample: either **exhaustively** (OM, when every traitor
//! placement x order x every choice of value-or-silence on every traitor
//! message fits in `exhaustive_limit` runs) or by **sampling** the strategy
//! portfolio x traitor placements (all, or a seeded sample) x orders x seeds.
//! The plan is a pure function of the spec, so shards, resumes and merges all
//! see the same cells and run ids.

use super::spec::FaultKind;
use super::spec::{CommanderRule, MRule, Placements, Spec, SpecError};
use super::theory::binomial;
use crate::algorithm::{Algorithm, Exhaustive};
use crate::graph::GraphSpec;
use crate::link::LinkSpec;
use crate::registry::Registry;
use crate::rng::{Purpose, stream};
use crate::timing::Timing;
use crate::traitor::StrategyRef;
use crate::types::{COMMANDER, GeneralId, Value};
use rand::RngExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// Most work a plan may ask for, by [`run_cost`]'s estimate: 100 hours of
/// one core (a sweep of millions of small runs takes minutes; this refuses
/// the plans that would take months).
pub const MAX_WORK_NS: u128 = 100 * 3_600 * 1_000_000_000;

/// What one run of `cell` is expected to cost, in rough nanoseconds: the
/// algorithm's own estimate (OM's values relayed, SM's frames and
/// signatures, where ed25519 checks dominate) and a fixed cost per run. The ETA weighs runs by
/// it (a sweep's cells differ in cost by orders of magnitude), and a plan
/// past [`MAX_WORK_NS`] is refused with it.
pub fn run_cost(signatures: crate::crypto::Signatures, cell: &Cell) -> u64 {
    let work = cell.algorithm.cost(signatures, cell.n, cell.run_m().unwrap_or(0));
    work.saturating_add(10_000)
}

pub use super::spec::{MAX_CELLS, MAX_LISTED_RUNS, MAX_TOTAL_RUNS};
pub use super::theory::Theory;

/// How a cell was searched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Search {
    /// Every placement, order and traitor choice.
    Exhaustive,
    /// The strategy portfolio over placements, orders and seeds.
    Sampled,
    /// Not run (see the cell's reason).
    None,
}

impl Search {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Search::Exhaustive => "exhaustive",
            Search::Sampled => "sampled",
            Search::None => "none",
        }
    }
}

/// One run of a cell.
#[derive(Clone, Debug, PartialEq)]
pub struct RunDesc {
    /// Position in the cell (the run id is `CELL-INDEX`).
    pub index: usize,
    /// Traitors, ascending.
    pub traitors: Vec<GeneralId>,
    /// Strategy.
    pub strategy: StrategyRef,
    /// The commander's order.
    pub value: Value,
    /// Seed.
    pub seed: u64,
    /// Generals that fail benignly instead of turning traitor.
    pub faults: Vec<(GeneralId, crate::run::NodeFault)>,
}

/// One cell of the sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    /// Position in the plan.
    pub id: usize,
    /// Algorithm.
    pub algorithm: Algorithm,
    /// Link.
    pub link: LinkSpec,
    /// Who can send to whom (section 5).
    pub graph: GraphSpec,
    /// The router queue every frame crosses (`None`: none).
    pub bottleneck: Option<crate::link::capacity::Queue>,
    /// Who chooses each frame's delay (`random`: the timing model's draws).
    pub scheduler: String,
    /// Generals.
    pub n: usize,
    /// Traitors.
    pub f: usize,
    /// The rule m came from.
    pub m_rule: MRule,
    /// Rounds of relaying (`None` when the m rule gives a negative m).
    pub m: Option<usize>,
    /// Timing model, delta, GST and round timeout.
    pub timing: Timing,
    /// What the placed generals do.
    pub fault: FaultKind,
    /// Why the cell is not run, if it is not.
    pub skip: Option<String>,
    /// The paper's prediction.
    pub theory: Theory,
    /// Search kind.
    pub search: Search,
    /// True when `max_runs_per_cell` cut the search down.
    pub capped: bool,
    /// Its runs, in order.
    pub runs: Runs,
}

/// A cell's runs: listed one by one (the exhaustive searches and benign
/// faults, bounded by their limits), or, for the sampled portfolio, the
/// axes they are drawn from, decoded one run at a time: a plan of 100
/// million runs holds its cells' axes, not its runs.
#[derive(Clone, Debug, PartialEq)]
pub enum Runs {
    /// Every run.
    Listed(Vec<RunDesc>),
    /// Placements x strategies x values x seeds (seed fastest), evenly
    /// strided down to `keep` runs when capped.
    Sampled(Sampled),
}

/// The sampled portfolio of a cell, as axes.
#[derive(Clone, Debug, PartialEq)]
pub struct Sampled {
    placements: Vec<Vec<GeneralId>>,
    strategies: Vec<StrategyRef>,
    values: Vec<Value>,
    seeds: u64,
    /// Runs of the full product.
    planned: u128,
    /// Runs kept (at most `max_runs_per_cell`).
    keep: u128,
}

impl Sampled {
    /// Run `j` of the kept as (placement, strategy, value, seed) indices:
    /// run j x planned / keep of the product, decoded.
    fn indices(&self, j: u128) -> (usize, usize, usize, u64) {
        let mut k = if self.keep < self.planned {
            j * self.planned / self.keep
        } else {
            j
        };
        let s = (k % u128::from(self.seeds)) as u64;
        k /= u128::from(self.seeds);
        let v = (k % self.values.len() as u128) as usize;
        k /= self.values.len() as u128;
        let st = (k % self.strategies.len() as u128) as usize;
        let p = (k / self.strategies.len() as u128) as usize;
        (p, st, v, s)
    }
}

impl Default for Runs {
    fn default() -> Runs {
        Runs::Listed(Vec::new())
    }
}

impl Runs {
    /// How many.
    pub fn len(&self) -> usize {
        match self {
            Runs::Listed(v) => v.len(),
            Runs::Sampled(s) => s.keep as usize,
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Run `i`.
    pub fn get(&self, i: usize) -> Option<RunDesc> {
        match self {
            Runs::Listed(v) => v.get(i).cloned(),
            Runs::Sampled(s) if (i as u128) < s.keep => {
                let (p, st, v, seed) = s.indices(i as u128);
                Some(RunDesc {
                    index: i,
                    traitors: s.placements[p].clone(),
                    strategy: s.strategies[st].clone(),
                    value: s.values[v],
                    seed,
                    faults: Vec::new(),
                })
            }
            Runs::Sampled(_) => None,
        }
    }

    /// Runs `lo..hi`.
    pub fn range(&self, lo: usize, hi: usize) -> impl Iterator<Item = RunDesc> + '_ {
        (lo..hi.min(self.len())).filter_map(|i| self.get(i))
    }

    /// Every run, in order.
    pub fn iter(&self) -> impl Iterator<Item = RunDesc> + '_ {
        self.range(0, self.len())
    }

    /// The distinct traitor placements of the runs that use `strategy`
    /// (every run with `None`), without decoding a sampled cell run by run
    /// unless it is capped.
    pub fn placements(&self, strategy: Option<&StrategyRef>) -> BTreeSet<Vec<GeneralId>> {
        match self {
            Runs::Listed(v) => v
                .iter()
                .filter(|r| strategy.is_none_or(|s| &r.strategy == s))
                .map(|r| r.traitors.clone())
                .collect(),
            Runs::Sampled(s) => {
                let wanted = |st: usize| strategy.is_none_or(|x| &s.strategies[st] == x);
                if s.keep == s.planned {
                    if (0..s.strategies.len()).any(wanted) {
                        s.placements.iter().cloned().collect()
                    } else {
                        BTreeSet::new()
                    }
                } else {
                    let mut seen = vec![false; s.placements.len()];
                    for j in 0..s.keep {
                        let (p, st, _, _) = s.indices(j);
                        seen[p] |= wanted(st);
                    }
                    s.placements
                        .iter()
                        .zip(seen)
                        .filter(|(_, hit)| *hit)
                        .map(|(p, _)| p.clone())
                        .collect()
                }
            }
        }
    }
}

impl Cell {
    /// Appends a run, numbered after the cell's last.
    fn push_run(
        &mut self,
        traitors: Vec<GeneralId>,
        strategy: StrategyRef,
        value: Value,
        seed: u64,
        faults: Vec<(GeneralId, crate::run::NodeFault)>,
    ) {
        if !matches!(self.runs, Runs::Listed(_)) {
            self.runs = Runs::Listed(Vec::new());
        }
        let Runs::Listed(runs) = &mut self.runs else { return };
        runs.push(RunDesc {
            index: runs.len(),
            traitors,
            strategy,
            value,
            seed,
            faults,
        });
    }

    /// The m its runs use: OM(m) and SM(m) with m > n - 2 are OM(n - 2)
    /// and SM(n - 2), since no chain of more than n - 1 distinct generals
    /// exists to carry a further round (`None` when the m rule gives a
    /// negative m).
    pub fn run_m(&self) -> Option<usize> {
        self.m.map(|m| m.min(self.n.saturating_sub(2)))
    }

    /// `om n=4 f=1 m=1 authenticated`.
    pub fn label(&self) -> String {
        let m = self.m.map_or("-".into(), |m| m.to_string());
        let timing = if self.timing == Timing::default() {
            String::new()
        } else {
            format!(" {}", timing_label(&self.timing))
        };
        let fault = match self.fault {
            FaultKind::Byzantine => String::new(),
            other => format!(" {}", other.as_str()),
        };
        let graph = if self.graph.is_complete() {
            String::new()
        } else {
            format!(" graph={}", self.graph.label())
        };
        format!(
            "{} n={} f={} m={} {}{graph}{timing}{fault}",
            self.algorithm,
            self.n,
            self.f,
            m,
            self.link_label()
        )
    }

    /// The link as runs.csv and cells.csv name it: its label, and the
    /// bottleneck it crosses, if any (`authenticated via bottleneck(0.5/20)`).
    /// A scheduler other than `random` is named after it (`authenticated
    /// under adversarial`), as the delays are the network's.
    pub fn link_label(&self) -> String {
        let link = match self.bottleneck {
            None => self.link.label(),
            Some(q) => format!("{} via bottleneck({q})", self.link.label()),
        };
        if self.scheduler == crate::scheduler::RANDOM {
            link
        } else {
            format!("{link} under {}", self.scheduler)
        }
    }
}

/// A sweep's full plan.
#[derive(Clone, Debug)]
pub struct ExperimentPlan {
    /// The spec it came from.
    pub spec: Spec,
    /// Hash of the spec: shards and resumes must match it.
    pub fingerprint: String,
    /// Cells, in id order.
    pub cells: Vec<Cell>,
    /// Where the runs' strategies and link adversaries are looked up.
    pub registry: Registry,
}

impl ExperimentPlan {
    /// Runs in the plan.
    pub fn total_runs(&self) -> usize {
        self.cells.iter().map(|c| c.runs.len()).sum()
    }

    /// Whether a run of the plan crosses a finite network (a `capacity` or
    /// `aimd` layer, or a bottleneck): its runs.csv then has the finite
    /// network's counters.
    pub fn finite_network(&self) -> bool {
        self.cells
            .iter()
            .any(|c| c.bottleneck.is_some() || ["capacity", "aimd", "load"].iter().any(|l| c.link.has_layer(l)))
    }

    /// Whether cell `id` belongs to shard `i` of `count` (cells are dealt
    /// round-robin, so every shard gets a spread of sizes).
    pub fn in_shard(id: usize, shard: Option<(usize, usize)>) -> bool {
        shard.is_none_or(|(i, count)| id % count == i)
    }
}

/// `sync delta=10 timeout=10`, `partial delta=10 gst=500 timeout=20`.
pub fn timing_label(t: &Timing) -> String {
    let gst = if t.model == crate::timing::TimingModel::Partial {
        format!(" gst={}", t.gst)
    } else {
        String::new()
    };
    format!("{} delta={}{gst} timeout={}", t.model, t.delta, t.timeout)
}

/// The spec's fingerprint.
pub fn fingerprint(spec: &Spec) -> String {
    let json = serde_json::to_vec(spec).unwrap_or_default();
    let digest = Sha256::digest(&json);
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Theorem 4's m = k + d - 1 for SM on `graph`: the largest, over the
/// traitor placements of a cell (n, f), of the traitor count plus the
/// diameter of the loyal generals' subgraph, minus one. A placement that
/// cuts the loyal generals apart needs every round there is (n - 2, the
/// corollary's SM(n - 2)). The complete graph: m = f.
fn diameter_m(spec: &Spec, alg: Algorithm, link: &LinkSpec, graph: &GraphSpec, n: usize, f: usize) -> Option<usize> {
    if graph.is_complete() {
        return Some(f);
    }
    let Ok(built) = crate::run::built(graph, n, alg, 0) else {
        return Some(f);
    };
    let g = &built.graph;
    let limit = match spec.placements {
        Placements::All => None,
        Placements::Sample(k) => Some(k),
    };
    let seed = cell_seed(alg, link, graph, n, f);
    let placements = placements_for(n, spec.traitors.counts(n, f), spec.commander, limit, seed).ok()?;
    let mut m = f;
    for t in placements {
        let loyal: Vec<GeneralId> = (0..n as GeneralId).filter(|x| !t.contains(x)).collect();
        m = m.max(match g.diameter_within(&loyal) {
            Some(d) => (t.len() + d).saturating_sub(1),
            None => n.saturating_sub(2),
        });
    }
    Some(m)
}

/// Whether the m rule `r` makes cells for `alg`: Theorem 4's `f+d-1` only
/// for an algorithm that says it applies (SM); every other rule for all.
fn m_rule_applies(r: MRule, alg: Algorithm) -> bool {
    r != MRule::Diameter || alg.on_graphs().is_some_and(|g| g.diameter_rule())
}

fn combinations(pool: &[GeneralId], k: usize, out: &mut Vec<Vec<GeneralId>>) {
    fn go(pool: &[GeneralId], k: usize, start: usize, cur: &mut Vec<GeneralId>, out: &mut Vec<Vec<GeneralId>>) {
        if cur.len() == k {
            out.push(cur.clone());
            return;
        }
        for i in start..pool.len() {
            if pool.len() - i < k - cur.len() {
                break;
            }
            cur.push(pool[i]);
            go(pool, k, i + 1, cur, out);
            cur.pop();
        }
    }
    go(pool, k, 0, &mut Vec::new(), out);
}

fn cell_seed(alg: Algorithm, link: &LinkSpec, graph: &GraphSpec, n: usize, f: usize) -> u64 {
    // The complete graph keeps the seeds cells had before graphs existed.
    let graph = if graph.is_complete() {
        String::new()
    } else {
        format!("|{}", graph.label())
    };
    let d = Sha256::digest(format!("{alg}|{}|{n}|{f}{graph}", link.label()).as_bytes());
    u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

/// Traitor sets for a cell: for each count k of `counts`, the sets of k
/// generals allowed by the commander rule, all of them or a seeded sample
/// of at most `limit` (per k).
fn placements_for(
    n: usize,
    counts: std::ops::RangeInclusive<usize>,
    rule: CommanderRule,
    limit: Option<usize>,
    seed: u64,
) -> Result<Vec<Vec<GeneralId>>, String> {
    let mut out = Vec::new();
    for k in counts {
        out.extend(placements_of(n, k, rule, limit, seed)?);
    }
    Ok(out)
}

/// Traitor sets of size f among n for one commander rule: all of them, or a
/// seeded sample of at most `limit`.
fn placements_of(
    n: usize,
    f: usize,
    rule: CommanderRule,
    limit: Option<usize>,
    seed: u64,
) -> Result<Vec<Vec<GeneralId>>, String> {
    let lieutenants: Vec<GeneralId> = (1..n as GeneralId).collect();
    // (commander among traitors?, how many lieutenants to pick)
    let mut groups: Vec<(bool, usize)> = Vec::new();
    if rule != CommanderRule::Traitor {
        groups.push((false, f));
    }
    if rule != CommanderRule::Loyal && f >= 1 {
        groups.push((true, f - 1));
    }
    let mut out = Vec::new();
    let group_count = groups.len();
    for (gi, (with_commander, k)) in groups.into_iter().enumerate() {
        if k > lieutenants.len() {
            continue;
        }
        let total = binomial(lieutenants.len(), k);
        // Split a sample evenly between the two kinds of placement.
        let want = limit.map(|l| (l / group_count + usize::from(gi < l % group_count)) as u64);
        let mut picked: Vec<Vec<GeneralId>> = match want {
            Some(w) if w < total => {
                // One stream per (traitor count, kind of placement).
                let mut rng = stream(seed, Purpose::Placement, (2 * f + gi) as u64 + 1);
                let mut set = BTreeSet::new();
                let mut tries = 0;
                while (set.len() as u64) < w && tries < w * 50 {
                    let mut pick: Vec<GeneralId> = rand::seq::index::sample(&mut rng, lieutenants.len(), k)
                        .into_iter()
                        .map(|i| lieutenants[i])
                        .collect();
                    pick.sort_unstable();
                    set.insert(pick);
                    tries += 1;
                }
                set.into_iter().collect()
            }
            _ => {
                if total > 1_000_000 {
                    return Err(format!(
                        "placements = \"all\" means C({}, {k}) = {total} placements in one cell; use placements = K to sample",
                        lieutenants.len()
                    ));
                }
                let mut all = Vec::new();
                combinations(&lieutenants, k, &mut all);
                all
            }
        };
        if with_commander {
            for p in &mut picked {
                p.insert(0, COMMANDER);
            }
        }
        out.extend(picked);
    }
    Ok(out)
}

/// Builds the plan of a spec; refuses plans of more than [`MAX_TOTAL_RUNS`].
pub fn build(spec: &Spec, source: &str, registry: &Registry) -> Result<ExperimentPlan, SpecError> {
    build_within(spec, source, MAX_TOTAL_RUNS, registry)
}

/// Builds the plan of a spec; refuses plans of more than `limit` runs
/// before it holds them: no cell is built past what the limit leaves.
pub fn build_within(spec: &Spec, source: &str, limit: u64, registry: &Registry) -> Result<ExperimentPlan, SpecError> {
    let too_big = |message: String| SpecError::TooBig {
        path: source.to_string(),
        message,
    };
    // A spec read back from plan.json (resume, merge) was checked against
    // the registry of the binary that wrote it: check it against this one.
    let unknown = |field: &str, message: String| SpecError::Parse {
        path: source.to_string(),
        message: format!("{field}: {message}"),
    };
    for s in &spec.strategies {
        s.resolve(registry.strategies())
            .map_err(|e| unknown("strategies", e.to_string()))?;
    }
    for l in &spec.links {
        l.check_names(registry.adversaries(), registry.layers())
            .map_err(|e| unknown("links", e.to_string()))?;
    }
    let m_rules = |a: Algorithm| spec.m.iter().filter(|&&r| m_rule_applies(r, a)).count() as u128;
    let cell_count: u128 = spec.algorithms.iter().map(|&a| m_rules(a)).sum::<u128>()
        * spec.links.len() as u128
        * spec.bottlenecks.len() as u128
        * spec.schedulers.len() as u128
        * spec.graphs.len() as u128
        * spec.timings.len() as u128
        * spec.faults.len() as u128
        * spec.ns.len() as u128
        * spec.fs.len() as u128;
    if cell_count > u128::from(MAX_CELLS) {
        return Err(too_big(format!(
            "the plan has {cell_count} cells (algorithms and m rules x links x schedulers x graphs x timings x faults x n \
             x f); a \
             plan holds at most {MAX_CELLS}, skipped cells included: narrow an axis or split the file"
        )));
    }
    let mut cells = Vec::new();
    let mut total: u64 = 0;
    let mut listed: u64 = 0;
    for &algorithm in &spec.algorithms {
        // The strategies that apply to this algorithm (a strategy named in
        // the file that does not is refused; the portfolio's are left out).
        let for_algorithm = strategies_for(spec, algorithm, registry).map_err(|m| unknown("strategies", m))?;
        let spec = &for_algorithm;
        let links = spec
            .links
            .iter()
            .flat_map(|l| spec.bottlenecks.iter().map(move |b| (l, *b)))
            .flat_map(|(l, b)| spec.schedulers.iter().map(move |s| (l, b, s)));
        for ((link, bottleneck, scheduler), graph) in links.flat_map(|l| spec.graphs.iter().map(move |g| (l, g))) {
            // Theorem 4's rule is SM's: no cell of another algorithm is
            // made for it.
            for &m_rule in spec.m.iter().filter(|&&r| m_rule_applies(r, algorithm)) {
                for (timing, &fault) in spec
                    .timings
                    .iter()
                    .flat_map(|t| spec.faults.iter().map(move |k| (t, k)))
                {
                    for &n in &spec.ns {
                        for &f in &spec.fs {
                            let mut timing = *timing;
                            if spec.link_timeouts {
                                timing.timeout = link.default_timeout(timing.delta).unwrap_or(timing.timeout);
                            }
                            let at = (algorithm, link, graph, m_rule, timing, fault, n, f);
                            let left = limit - total;
                            let mut cell = make_cell(spec, cells.len(), at, left).map_err(&too_big)?;
                            // The theorems assume a network that carries
                            // every frame in delta: behind a bottleneck
                            // nothing is predicted. Seeds are the link's,
                            // so bottlenecks compare like with like.
                            if bottleneck.is_some() {
                                cell.bottleneck = bottleneck;
                                cell.theory = Theory::Open;
                            }
                            // An enemy choosing delays is not the theorems'
                            // network either, but under sync it chooses
                            // nothing (every frame takes delta).
                            if *scheduler != crate::scheduler::RANDOM {
                                cell.scheduler = scheduler.clone();
                                if cell.timing.model != crate::timing::TimingModel::Sync {
                                    cell.theory = Theory::Open;
                                }
                            }
                            total += cell.runs.len() as u64;
                            if let Runs::Listed(v) = &cell.runs {
                                listed += v.len() as u64;
                                if listed > MAX_LISTED_RUNS {
                                    return Err(too_big(format!(
                                        "exhaustive searches and benign-fault cells list their runs, at most \
                                         {MAX_LISTED_RUNS} in a plan (reached at {}): lower exhaustive_limit, seeds or \
                                         max_runs_per_cell",
                                        cell.label()
                                    )));
                                }
                            }
                            if total > limit {
                                return Err(too_big(format!("more than {limit} runs (reached at {})", cell.label())));
                            }
                            cells.push(cell);
                        }
                    }
                }
            }
        }
    }
    let work: u128 = cells
        .iter()
        .map(|c| c.runs.len() as u128 * u128::from(run_cost(spec.signatures, c)))
        .sum();
    if work > MAX_WORK_NS {
        return Err(too_big(format!(
            "the plan's {total} runs would take about {:.0} hours of one core by byzlab's estimate; a plan may ask for \
             at most {} hours: lower seeds, placements, n or m, or split the file",
            work as f64 / 3.6e12,
            MAX_WORK_NS / 3_600_000_000_000
        )));
    }
    check_scripts(spec, &cells, source)?;
    if total == 0 {
        let why = cells
            .iter()
            .find_map(|c| c.skip.as_ref().map(|s| format!(" (as {}: {s})", c.label())))
            .or_else(|| {
                // No cell at all: every m rule was SM's alone.
                (cells.is_empty() && spec.m.iter().all(|&r| r == MRule::Diameter)).then(|| {
                    " (m = \"f+d-1\" is Theorem 4's rule, SM's on a graph: it makes no OM cell; give OM a number, \"f\" or \"f+K\")"
                        .to_string()
                })
            })
            .unwrap_or_default();
        return Err(SpecError::Empty {
            path: source.to_string(),
            message: format!("the plan has no run: no cell of it applies{why}"),
        });
    }
    Ok(ExperimentPlan {
        spec: spec.clone(),
        fingerprint: fingerprint(spec),
        cells,
        registry: registry.clone(),
    })
}

/// `spec` with only the strategies that apply to `algorithm`
/// ([`crate::traitor::Strategy::applies_to`]): where the file asks for the
/// portfolio, its strategies that do not apply are left out; any other
/// that does not is an error with the strategy's reason.
fn strategies_for(spec: &Spec, algorithm: Algorithm, registry: &Registry) -> Result<Spec, String> {
    let portfolio = super::spec::portfolio();
    let whole_portfolio = portfolio.iter().all(|p| spec.strategies.contains(p));
    let mut keep = Vec::new();
    for s in &spec.strategies {
        let named = s.resolve(registry.strategies()).map_err(|e| e.to_string())?;
        match (named.factory)().applies_to(algorithm) {
            Ok(()) => keep.push(s.clone()),
            Err(_) if whole_portfolio && portfolio.contains(s) => {}
            Err(why) => {
                return Err(format!("`{}` does not apply to {}: {why}", named.name, algorithm));
            }
        }
    }
    if keep.is_empty() {
        return Err(format!("no strategy of the file applies to {algorithm}"));
    }
    let mut out = spec.clone();
    out.strategies = keep;
    Ok(out)
}

/// Checks every strategy script of the spec against every run of the plan
/// that uses it, before any run: a rule that fires in none of them is an
/// error (a rule naming a general or round some cells lack just does not
/// apply there).
fn check_scripts(spec: &Spec, cells: &[Cell], source: &str) -> Result<(), SpecError> {
    use crate::traitor::Coalition;
    for strategy in &spec.strategies {
        let StrategyRef::Script { path, text } = strategy else {
            continue;
        };
        let script = crate::traitor::scripted::Script::parse(text, path).map_err(|e| SpecError::Empty {
            path: source.to_string(),
            message: e.to_string(),
        })?;
        // Distinct (algorithm, n, m, traitors) of the runs that use it.
        let mut runs = std::collections::BTreeSet::new();
        for c in cells {
            let Some(m) = c.run_m() else { continue };
            for t in c.runs.placements(Some(strategy)) {
                runs.insert((c.algorithm, c.n, m, t));
            }
        }
        let coalitions: Vec<(Algorithm, usize, usize, Coalition)> = runs
            .into_iter()
            .map(|(a, n, m, t)| (a, n, m, Coalition::new(n, &t, Value::Attack)))
            .collect();
        if coalitions.is_empty() {
            continue;
        }
        script
            .check_plan(
                coalitions.iter().map(|(a, n, m, c)| (*a, *n, *m, c)),
                path,
                "this experiment",
            )
            .map_err(|e| SpecError::Empty {
                path: source.to_string(),
                message: e.to_string(),
            })?;
    }
    Ok(())
}

/// Where a cell sits: algorithm, link, graph, m rule, timing, n and f.
type CellAt<'a> = (
    Algorithm,
    &'a LinkSpec,
    &'a GraphSpec,
    MRule,
    Timing,
    FaultKind,
    usize,
    usize,
);

fn make_cell(spec: &Spec, id: usize, at: CellAt<'_>, left: u64) -> Result<Cell, String> {
    let (algorithm, link, graph, m_rule, timing, fault, n, f) = at;
    let m = match m_rule {
        MRule::Diameter => diameter_m(spec, algorithm, link, graph, n, f),
        rule => rule.m_for(f),
    };
    let mut cell = Cell {
        id,
        algorithm,
        link: link.clone(),
        graph: graph.clone(),
        bottleneck: None,
        scheduler: crate::scheduler::RANDOM.to_string(),
        n,
        f,
        m_rule,
        m,
        timing,
        fault,
        skip: None,
        theory: Theory::Open,
        search: Search::None,
        capped: false,
        runs: Runs::default(),
    };
    match cell.run_m() {
        None => cell.skip = Some(format!("{} is negative", m_rule.label())),
        Some(_) if spec.traitors.counts(n, f).is_empty() => {
            cell.skip = Some(format!(
                "exactly {f} traitors leave fewer than two loyal generals: nothing can disagree"
            ))
        }
        Some(_) if !graph.is_complete() && algorithm.on_graphs().is_none() => {
            cell.skip = Some(format!("{} runs on the complete graph only", algorithm.label("m")));
        }
        Some(_) if let Some(e) = (!graph.is_complete()).then(|| graph.build(n).err()).flatten() => {
            cell.skip = Some(e.to_string());
        }
        Some(m) => {
            crate::run::check_memory(algorithm, n, m).map_err(|e| format!("{}: {e}", cell.label()))?;
            fill_runs(spec, &mut cell, m, left).map_err(|e| format!("{}: {e}", cell.label()))?;
            // The theorems speak of the placements the cell runs.
            let placements: Vec<Vec<GeneralId>> = match cell.fault {
                FaultKind::Byzantine => cell.runs.placements(None).into_iter().collect(),
                _ => cell
                    .runs
                    .iter()
                    .map(|r| r.faults.iter().map(|(g, _)| *g).collect())
                    .collect(),
            };
            let placements = placements.into_iter();
            let facts = super::theory::CellFacts {
                algorithm,
                link: &cell.link,
                graph: &cell.graph,
                timing: &cell.timing,
                fault,
                n,
                m,
                commander_either: spec.commander == CommanderRule::Either,
            };
            cell.theory = super::theory::cell(&facts, placements);
        }
    }
    Ok(cell)
}

/// Fills a cell with its runs: at most `left` + 1 of them (one more than
/// the plan has room for is enough to refuse it).
fn fill_runs(spec: &Spec, cell: &mut Cell, m: usize, left: u64) -> Result<(), String> {
    let (n, f) = (cell.n, cell.f);
    let seed = cell_seed(cell.algorithm, &cell.link, &cell.graph, n, f);
    let link_seeds = if cell.link == LinkSpec::Authenticated {
        1
    } else {
        spec.seeds
    };
    // Exhaustive first: OM only, every placement.
    if cell.fault != FaultKind::Byzantine {
        return fill_faulty_runs(spec, cell, m, seed, left);
    }
    // (OM(m) on the complete graph: the enumeration follows its tree.)
    let search = cell.algorithm.exhaustive();
    if spec.exhaustive && search == Some(Exhaustive::OralTree) && cell.graph.is_complete() {
        let all = placements_for(n, spec.traitors.counts(n, f), spec.commander, None, seed)?;
        // The search must also fit the plan's own limit, whatever the
        // file's limits say (a saturated count never passes).
        let fits = |count: u64| count <= spec.exhaustive_limit && count <= spec.max_runs_per_cell && count <= left;
        if let Some(runs) = super::search::om(&all, n, m, &spec.values, link_seeds, fits) {
            for (p, strategy, value, s) in runs {
                cell.push_run(p, strategy, value, s, Vec::new());
            }
            cell.search = Search::Exhaustive;
            return Ok(());
        }
    }
    if spec.exhaustive && search == Some(Exhaustive::SignedChains) && fill_sm_search(spec, cell, m, seed, left)? {
        return Ok(());
    }
    let limit = match spec.placements {
        Placements::All => None,
        Placements::Sample(k) => Some(k),
    };
    let placements = placements_for(n, spec.traitors.counts(n, f), spec.commander, limit, seed)?;
    // Runs in the order placement, strategy, value, seed (seed fastest);
    // counted in u128, so that no number of seeds can wrap the count.
    let (n_strategies, n_values) = (spec.strategies.len() as u128, spec.values.len() as u128);
    let planned = placements.len() as u128 * n_strategies * n_values * u128::from(spec.seeds);
    // Even striding keeps every placement kind represented when capped.
    let keep = planned.min(u128::from(spec.max_runs_per_cell));
    if keep > u128::from(left) {
        return Err(format!(
            "{keep} runs in one cell ({planned} planned) where the plan has room for {left} more (a plan holds at \
             most {MAX_TOTAL_RUNS}): lower seeds or max_runs_per_cell"
        ));
    }
    cell.capped = keep < planned;
    // Kept as axes; run j of the kept is run j x planned / keep of the
    // product (even striding keeps every placement kind represented).
    cell.runs = Runs::Sampled(Sampled {
        placements,
        strategies: spec.strategies.clone(),
        values: spec.values.clone(),
        seeds: spec.seeds,
        planned,
        keep,
    });
    cell.search = Search::Sampled;
    Ok(())
}

/// SM's exhaustive search (`search::sm`), where its argument holds:
/// authenticated links, synchronous rounds, the complete graph. Returns
/// whether the cell was filled (false: the search does not apply or does
/// not fit, sample instead).
fn fill_sm_search(spec: &Spec, cell: &mut Cell, m: usize, seed: u64, left: u64) -> Result<bool, String> {
    let synchronous = cell.timing.model == crate::timing::TimingModel::Sync && cell.timing.timeout >= cell.timing.delta;
    if cell.link != LinkSpec::Authenticated || !synchronous || !cell.graph.is_complete() {
        return Ok(false);
    }
    let (n, f) = (cell.n, cell.f);
    // Every placement is at least one run: too many placements, no search
    // (and no list of them built).
    let placements: u64 = spec
        .traitors
        .counts(n, f)
        .map(|k| binomial(n - 1, k).saturating_add(if k >= 1 { binomial(n - 1, k - 1) } else { 0 }))
        .fold(0u64, u64::saturating_add);
    if placements > spec.exhaustive_limit {
        return Ok(false);
    }
    let all = placements_for(n, spec.traitors.counts(n, f), spec.commander, None, seed)?;
    let fits = |count: u64| count <= spec.exhaustive_limit && count <= spec.max_runs_per_cell && count <= left;
    let Some(runs) = super::search::sm(&all, n, m, &spec.values, fits) else {
        return Ok(false);
    };
    for (p, strategy, value, s) in runs {
        cell.push_run(p, strategy, value, s, Vec::new());
    }
    cell.search = Search::Exhaustive;
    Ok(true)
}

/// A cell whose placed generals fail benignly: every placement x value x
/// seed, the failing generals running the protocol honestly until their
/// fault strikes, when it strikes drawn from the run.
fn fill_faulty_runs(spec: &Spec, cell: &mut Cell, m: usize, seed: u64, left: u64) -> Result<(), String> {
    let limit = match spec.placements {
        Placements::All => None,
        Placements::Sample(k) => Some(k),
    };
    let placements = placements_for(
        cell.n,
        spec.traitors.counts(cell.n, cell.f),
        spec.commander,
        limit,
        seed,
    )?;
    let run_end = cell.timing.deadline(m as u32 + 1).max(1);
    let round = cell.timing.timeout;
    let honest = StrategyRef::Builtin { name: "honest".into() };
    for p in &placements {
        for &value in &spec.values {
            for s in 0..spec.seeds {
                if cell.runs.len() as u64 >= spec.max_runs_per_cell.min(MAX_LISTED_RUNS) {
                    cell.capped = true;
                    break;
                }
                if cell.runs.len() as u64 > left {
                    return Err(format!("more runs than the plan has room for ({left} more)"));
                }
                let mut rng = stream(seed ^ s, Purpose::Fault, cell.runs.len() as u64);
                let faults = p
                    .iter()
                    .map(|&g| {
                        let fault = match cell.fault {
                            FaultKind::Crash => crate::run::NodeFault::Crash {
                                at: rng.random_range(0..run_end),
                            },
                            FaultKind::Recover => {
                                let down = rng.random_range(0..run_end);
                                crate::run::NodeFault::Recover { down, up: down + round }
                            }
                            _ => crate::run::NodeFault::Omission { p: 0.5 },
                        };
                        (g, fault)
                    })
                    .collect();
                cell.push_run(Vec::new(), honest.clone(), value, s, faults);
            }
        }
    }
    cell.search = Search::Sampled;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::spec::parse;
    use super::*;

    fn plan(text: &str) -> ExperimentPlan {
        let spec = parse(text, "t.toml", "t", None, &Registry::builtin()).unwrap();
        build(&spec, "t.toml", &Registry::builtin()).unwrap()
    }

    /// The error of a spec that parses but makes no plan.
    fn refused(text: &str) -> String {
        let spec = parse(text, "t.toml", "t", None, &Registry::builtin()).unwrap();
        build(&spec, "t.toml", &Registry::builtin()).unwrap_err().to_string()
    }

    #[test]
    fn small_om_cells_are_exhaustive() {
        let p = plan("algorithms=[\"om\"]\nn=[3,4]\nf=1\ntraitors=\"exactly-f\"\n");
        let c3 = &p.cells[0];
        assert_eq!(c3.search, Search::Exhaustive);
        // commander traitor: 3^2; lieutenant 1 or 2: 3^1 each; two orders
        assert_eq!(c3.runs.len(), (9 + 3 + 3) * 2);
        let c4 = &p.cells[1];
        assert_eq!(c4.search, Search::Exhaustive);
        assert_eq!(c4.runs.len(), (27 + 9 * 3) * 2);
        assert_eq!(c4.theory, Theory::Holds);
        assert_eq!(c3.theory, Theory::Fails);
    }

    /// The theorems quantify over at most f traitors: a cell searches every
    /// count k = 0..f, so OM(2) at n = 3 is a cell (it fails with one
    /// traitor, Lemma 1) where exactly two traitors would leave one loyal
    /// general and nothing to decide.
    #[test]
    fn cells_search_every_traitor_count_up_to_f() {
        let p = plan("algorithms=[\"om\",\"sm\"]\nn=[3,5]\nf=2\nexhaustive=false\n");
        let om3 = &p.cells[0];
        assert!(om3.skip.is_none());
        assert_eq!(om3.run_m(), Some(1), "OM(2) at n = 3 runs as OM(1)");
        assert_eq!(om3.theory, Theory::Fails);
        let counts: BTreeSet<usize> = om3.runs.iter().map(|r| r.traitors.len()).collect();
        assert_eq!(counts, BTreeSet::from([0, 1]), "k = 2 leaves one loyal general");
        let om5 = &p.cells[1];
        let counts: BTreeSet<usize> = om5.runs.iter().map(|r| r.traitors.len()).collect();
        assert_eq!(counts, BTreeSet::from([0, 1, 2]));
        // Every placement of every count: 1 + C(5,1) + C(5,2) = 16.
        let placements: BTreeSet<_> = om5.runs.iter().map(|r| r.traitors.clone()).collect();
        assert_eq!(placements.len(), 16);
        let sm3 = &p.cells[2];
        assert_eq!(sm3.theory, Theory::Holds, "SM(1) with at most one traitor at n = 3");
        // Exactly f: the old cell, n/a at n = 3.
        let exact = plan("algorithms=[\"om\"]\nn=[3,5]\nf=2\ntraitors=\"exactly-f\"\n");
        assert!(exact.cells[0].skip.as_deref().unwrap().contains("exactly 2 traitors"));
        assert!(exact.cells[1].runs.iter().all(|r| r.traitors.len() == 2));
    }

    /// With a loyal commander only IC2 is at stake: OM(m) is predicted by
    /// Lemma 1 (n > 2k + m), SM always holds.
    #[test]
    fn loyal_commander_cells_follow_lemma_1() {
        let p = plan("algorithms=[\"om\",\"sm\"]\nn=[5,6]\nf=2\nm=1\ncommander=\"loyal\"\ntraitors=\"exactly-f\"\n");
        let theories: Vec<Theory> = p.cells.iter().map(|c| c.theory).collect();
        assert_eq!(theories, [Theory::Fails, Theory::Holds, Theory::Holds, Theory::Holds]);
        assert!(
            p.cells
                .iter()
                .flat_map(|c| c.runs.iter())
                .all(|r| !r.traitors.contains(&COMMANDER))
        );
    }

    #[test]
    fn sampled_cells_cover_the_portfolio() {
        let p = plan("algorithms=[\"sm\"]\nn=5\nf=2\nseeds=2\ntraitors=\"exactly-f\"\nexhaustive=false\n");
        let c = &p.cells[0];
        assert_eq!(c.search, Search::Sampled);
        let strategies = super::super::spec::portfolio().len();
        assert_eq!(c.runs.len(), 10 * strategies * 2 * 2); // C(5,2) placements
        assert!(c.runs.iter().any(|r| r.traitors.contains(&0)));
        assert!(c.runs.iter().any(|r| !r.traitors.contains(&0)));
    }

    #[test]
    fn caps_and_samples_are_respected() {
        let p = plan("algorithms=[\"om\"]\nn=10\nf=3\nplacements=6\nmax_runs_per_cell=50\ntraitors=\"exactly-f\"\n");
        let c = &p.cells[0];
        assert_eq!(c.runs.len(), 50);
        assert!(c.capped);
        let kinds: BTreeSet<bool> = c.runs.iter().map(|r| r.traitors.contains(&0)).collect();
        assert_eq!(kinds.len(), 2, "both commander kinds kept");
        let distinct: BTreeSet<_> = c.runs.iter().map(|r| r.traitors.clone()).collect();
        assert_eq!(distinct.len(), 6);
    }

    #[test]
    fn inapplicable_cells_say_why() {
        // Axes are sorted: cells (3,0), (3,1), (3,2), (4,0), ...
        let p = plan("algorithms=[\"om\"]\nn=[3,4]\nf=[0,2,1]\nm=\"f-1\"\ntraitors=\"exactly-f\"\n");
        assert!(p.cells[0].skip.as_deref().unwrap().contains("negative"));
        assert!(p.cells[1].skip.is_none());
        assert!(p.cells[2].skip.as_deref().unwrap().contains("loyal"));
        // A plan with no run at all is an error that says why.
        let e = refused("algorithms=[\"om\"]\nn=3\nf=[0,2]\nm=\"f-1\"\ntraitors=\"exactly-f\"\n");
        assert!(e.contains("the plan has no run") && e.contains("negative"), "{e}");
    }

    /// A stubborn link without a `timeouts` axis gets room for its
    /// retransmissions; an explicit axis, or a link that does not
    /// retransmit, keeps the timeout given (delta by default), and only the
    /// first kind of file records the choice in its fingerprint.
    #[test]
    fn retransmitting_links_get_room_by_default() {
        let timeouts = |text: &str| -> Vec<u64> { plan(text).cells.iter().map(|c| c.timing.timeout).collect() };
        let both = "algorithms=[\"om\"]\nn=4\nf=1\nlinks=[\"reliable\", \"fair-loss\"]\n";
        assert_eq!(timeouts(both), vec![6385, 10]);
        assert_eq!(timeouts(&format!("{both}timeouts=[40]\n")), vec![40, 40]);
        let json = |text: &str| serde_json::to_string(&plan(text).spec).unwrap();
        assert!(json(both).contains("link_timeouts"));
        assert!(!json("algorithms=[\"om\"]\nn=4\nf=1\n").contains("link_timeouts"));
    }

    #[test]
    fn plans_are_deterministic() {
        let text = "algorithms=[\"om\",\"sm\"]\nn={from=4,to=8}\nf=[1,2]\nplacements=5\n";
        let (a, b) = (plan(text), plan(text));
        assert_eq!(a.fingerprint, b.fingerprint);
        assert_eq!(a.cells, b.cells);
    }

    #[test]
    fn huge_plans_are_refused_with_an_estimate() {
        let e = refused("algorithms=[\"om\"]\nn=60\nf=25\nm=2\n");
        assert!(e.contains("too big") && e.contains("placements"), "{e}");
    }
}
