//! Algorithms as registered extensions: what byzlab needs to know of an
//! agreement algorithm to run it, check it and sweep it, behind one trait.
//!
//! An [`Agreement`] is one algorithm's registration: its name, its rounds,
//! how its generals are built (a [`crate::protocol::Protocol`] per general,
//! assembled with [`crate::runtime::build_generals`]), what its theory predicts
//! for a placement of traitors, the messages it should send, and what a run
//! costs before it starts. [`Algorithm`] is a cheap, copyable handle on a
//! registration; the [`crate::registry::Registry`] finds one by name, and
//! everything that runs, plans, checks or draws a run asks the handle
//! instead of matching on a closed list. Each built-in is one file here
//! (and its state machine one file in `protocol/`):
//!
//! | name | file | paper |
//! |---|---|---|
//! | `om` | [`om`] (and OM(m, p) on a graph) | Lamport, Shostak, Pease 1982, sections 3 and 5 |
//! | `sm` | [`sm`] | the same paper, sections 4 and 5 |
//! | `dolev-strong` | [`dolev_strong`] | Dolev and Strong 1983 |
//! | `phase-king` | [`phase_king`] | Berman, Garay and Perry 1989 |
//!
//! A user's crate implements [`Agreement`] for its own type and registers
//! it with `Registry::with_algorithm` (see `examples/my_lab.rs`).

pub mod dolev_strong;
pub mod mmr;
pub mod om;
pub mod phase_king;
pub mod sm;

use crate::crypto::Signatures;
use crate::graph::{Graph, GraphError, GraphSpec};
use crate::memory::MemoryError;
use crate::names::{Entry, Table};
use crate::run::{Built, RunPlan};
use crate::runtime::Generals;
use crate::types::{GeneralId, Round};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// What the theory of an algorithm predicts for a cell or a placement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theory {
    /// IC1 and IC2 must hold in every run.
    Holds,
    /// Some traitor behaviour must break IC1 or IC2.
    Fails,
    /// No theorem speaks to this cell (arbitrary links, m > f with n <= 3m).
    Open,
}

impl Theory {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Theory::Holds => "holds",
            Theory::Fails => "fails",
            Theory::Open => "open",
        }
    }

    /// `Holds` when `ok`, `Fails` otherwise.
    pub fn iff(ok: bool) -> Theory {
        if ok { Theory::Holds } else { Theory::Fails }
    }
}

/// Fails if one prediction fails; holds if every one holds; open otherwise.
pub fn combine(each: impl Iterator<Item = Theory>) -> Theory {
    let mut all_hold = true;
    for t in each {
        match t {
            Theory::Fails => return Theory::Fails,
            Theory::Open => all_hold = false,
            Theory::Holds => {}
        }
    }
    if all_hold { Theory::Holds } else { Theory::Open }
}

/// C(n, k), saturating.
pub fn binomial(n: usize, k: usize) -> u64 {
    let k = k.min(n - k.min(n));
    (0..k).fold(1u64, |acc, i| acc.saturating_mul((n - i) as u64) / (i as u64 + 1))
}

/// The exhaustive searches byzlab can enumerate (`experiment/search.rs`):
/// an algorithm names the one whose space is complete for it, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exhaustive {
    /// Every value or silence of every message a traitor sends down OM's
    /// tree of relay paths (`traitor::enumerated`).
    OralTree,
    /// Every round in which the coalition first hands each loyal
    /// lieutenant each signed value (`traitor::enumerated_sm`).
    SignedChains,
}

/// How a series of an algorithm is drawn in plots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    /// A filled circle.
    Circle,
    /// A filled triangle.
    Triangle,
    /// A filled square.
    Square,
    /// A cross.
    Cross,
}

/// What a cell on an incomplete graph ran, for [`OnGraphs::theory`].
pub struct GraphCell<'a> {
    /// Generals.
    pub n: usize,
    /// The m its runs use.
    pub m: usize,
    /// Whether placements of both kinds (loyal and traitor commander) ran.
    pub commander_either: bool,
    /// The graph and what the algorithm fixed on it.
    pub built: &'a Built,
    /// The placements that ran, each sorted.
    pub placements: &'a BTreeSet<Vec<GeneralId>>,
}

/// What an algorithm that runs on section 5's incomplete graphs provides.
pub trait OnGraphs: Send + Sync {
    /// What it fixes on `graph` in advance, for every run of (graph, n, m):
    /// the vertex connectivity it needs (0 if none), the p it uses, and
    /// OM(m, p)'s schedule if it has one.
    fn fix(
        &self,
        graph: &Graph,
        spec: &GraphSpec,
        m: usize,
    ) -> Result<
        (
            usize,
            usize,
            Option<std::sync::Arc<crate::protocol::om_graph::Schedule>>,
        ),
        GraphError,
    >;

    /// Whether what [`OnGraphs::fix`] builds depends on m (cached per m).
    fn depends_on_m(&self) -> bool;

    /// Whether the m rule `f+d-1` (Theorem 4: m >= k + d - 1, d the loyal
    /// subgraph's diameter) applies to it.
    fn diameter_rule(&self) -> bool {
        false
    }

    /// The preconditions the graph breaks for a run with `bad` generals
    /// placed (traitors or failing), pushed onto `broken`, and what a
    /// theorem says that does not bind this run, onto `notes`.
    fn check(&self, built: &Built, label: &str, n: usize, m: usize, bad: &[GeneralId]) -> (Vec<String>, Vec<String>);

    /// The prediction for a cell on the graph.
    fn theory(&self, cell: &GraphCell<'_>) -> Theory;

    /// How a cell reads on a graph: " as OM(m, p) on the ring graph".
    fn describe(&self, graph_label: &str) -> String {
        format!(" on the {graph_label} graph")
    }

    /// Dolev's mark on a graph heatmap: connectivity at or under this
    /// defeats some placement of f traitors.
    fn connectivity_bound(&self, f: usize) -> usize;
}

/// One registered agreement algorithm. Every method but the first few has
/// a default; the defaults describe an unsigned algorithm of m + 1 rounds
/// with no theory (every cell open), no exhaustive search and no graphs.
pub trait Agreement: Send + Sync + 'static {
    /// The name on the command line, in experiment files, runs.csv and
    /// witnesses: 1 to 40 letters, digits, `-` or `_`.
    fn name(&self) -> &'static str;

    /// One line for `byzlab algorithms`.
    fn about(&self) -> &'static str;

    /// The bound it claims, as a reader would say it ("n > 3m").
    fn bound(&self) -> &'static str;

    /// How a run or a cell reads, given its m as text (`2`, or a rule
    /// such as `f`): `OM(2)`, `PhaseKing(f)`.
    fn label(&self, m: &str) -> String {
        format!("{}({m})", self.name().to_uppercase())
    }

    /// Rounds a run among `n` takes with parameter `m` (on the complete graph).
    fn rounds(&self, n: usize, m: usize) -> Round {
        let _ = n;
        m as Round + 1
    }

    /// The generals an honest `me` sends to in `round` on the complete graph
    /// (a diagram marks a traitor that sent one of them nothing).
    fn recipients(&self, n: usize, m: usize, me: GeneralId, round: Round) -> Vec<GeneralId> {
        crate::protocol::recipients(n, m, me, round)
    }

    /// Whether it is asynchronous: its generals react to each message as
    /// it arrives ([`crate::protocol::Protocol::outbox`]) with no round
    /// deadline, decide when they can ([`crate::protocol::Protocol::decided`])
    /// and may never do so: a run ends when nothing is left to happen or
    /// at its budget (`--budget`), and a loyal general that has not decided
    /// is reported `undecided`. Its `rounds` is then 1 (the start, when the
    /// commander sends its order). The default: lock-step rounds.
    fn asynchronous(&self) -> bool {
        false
    }

    /// Whether its messages carry signed orders (`--signatures` matters,
    /// strategies' `orders` hook is called).
    fn signed(&self) -> bool {
        false
    }

    /// Whether each value it sends stands for a relay path `0:...:me`
    /// (scripts' `path` rules can fire).
    fn paths(&self) -> bool {
        false
    }

    /// The prediction for one placement of `k` traitors on the complete
    /// graph under synchronous rounds and reliable authenticated links,
    /// `commander_traitor` saying whether the commander is one of them.
    fn placement(&self, n: usize, m: usize, k: usize, commander_traitor: bool) -> Theory {
        let _ = (n, m, commander_traitor);
        if k == 0 { Theory::Holds } else { Theory::Open }
    }

    /// The smallest n at which it holds against `f` traitors with parameter
    /// `m` (drawn as a line on heatmaps); `None` if it has no such line.
    fn first_holding_n(&self, f: usize, m: usize, loyal_commander: bool) -> Option<usize> {
        let _ = (f, m, loyal_commander);
        None
    }

    /// The label of the line [`Agreement::first_holding_n`] draws on a
    /// heatmap (`n = 3m+1`), or `None` for no line.
    fn bound_line(&self, loyal_commander: bool) -> Option<&'static str> {
        let _ = loyal_commander;
        None
    }

    /// The row a verdict table marks in bold for `f` traitors, with the
    /// line's name, where the algorithm has a bound of its own other than
    /// the paper's n = 3f + 1 (which tables mark by default).
    fn table_bound(&self, f: usize) -> Option<(usize, &'static str)> {
        let _ = f;
        None
    }

    /// Messages a run with no traitor sends, by its formula, if it has one.
    fn messages(&self, n: usize, m: usize) -> Option<u64> {
        let _ = (n, m);
        None
    }

    /// The formula of [`Agreement::messages`], for a plot's legend.
    fn formula(&self, m: usize) -> Option<String> {
        let _ = m;
        None
    }

    /// How its series are drawn.
    fn marker(&self) -> Marker {
        Marker::Circle
    }

    /// Its support for section 5's incomplete graphs, if any.
    fn on_graphs(&self) -> Option<&dyn OnGraphs> {
        None
    }

    /// Its exhaustive search, if byzlab can enumerate one for it.
    fn exhaustive(&self) -> Option<Exhaustive> {
        None
    }

    /// Refuses a run that would not fit in memory or time.
    fn check_memory(&self, n: usize, m: usize) -> Result<(), MemoryError> {
        let _ = (n, m);
        Ok(())
    }

    /// Bytes of state a run keeps besides frames (OM's trees), for the
    /// sweep's memory budget.
    fn state_bytes(&self, n: usize, m: usize) -> u64 {
        let _ = (n, m);
        0
    }

    /// Most logical messages a run may send (retransmissions aside), for
    /// the trace limit.
    fn trace_messages(&self, n: usize, m: usize) -> u128 {
        (n as u128)
            .saturating_mul(n as u128)
            .saturating_mul(u128::from(self.rounds(n, m)))
    }

    /// Estimated work of one run in nanoseconds, for a plan's budget and
    /// the sweep's ETA.
    fn cost(&self, signatures: Signatures, n: usize, m: usize) -> u64 {
        let _ = signatures;
        100u64
            .saturating_mul(n as u64)
            .saturating_mul(n as u64)
            .saturating_mul(u64::from(self.rounds(n, m)))
    }

    /// The largest frame a general of `plan` decodes, in bytes.
    fn frame_limit(&self, plan: &RunPlan) -> usize;

    /// Every general of `plan`, recording what it sends when `trace`, and
    /// the run's audit: usually one call to [`crate::runtime::build_generals`].
    fn build(&self, plan: &RunPlan, trace: bool) -> Generals;

    /// Why `bytes` would be refused as a frame of this algorithm under
    /// `limit`, or `None` if they decode (the fuzz targets' oracle).
    fn refusal(&self, bytes: &[u8], limit: usize) -> Option<String>;
}

/// Why `bytes` would be refused as a frame of message type `M` under
/// `limit` bytes (`None`: they decode): what [`Agreement::refusal`]
/// usually returns, with the decoder a live run uses.
pub fn refusal<M: crate::protocol::Message>(bytes: &[u8], limit: usize) -> Option<String> {
    crate::wire::decode::<M>(bytes, limit).err().map(|e| e.to_string())
}

/// A registered algorithm: a copyable handle compared by name.
#[derive(Clone, Copy)]
pub struct Algorithm(&'static dyn Agreement);

impl Algorithm {
    /// A handle on a built-in registration (a `'static` value).
    pub const fn of(a: &'static dyn Agreement) -> Algorithm {
        Algorithm(a)
    }

    /// A handle on a user's registration: leaked once, when the registry
    /// is built, so that handles stay `Copy` (a registration is a few
    /// bytes and lives as long as the process anyway).
    pub fn leak(a: impl Agreement) -> Algorithm {
        Algorithm(Box::leak(Box::new(a)))
    }

    /// The registered name.
    pub fn as_str(self) -> &'static str {
        self.0.name()
    }

    /// The registration.
    pub fn get(self) -> &'static dyn Agreement {
        self.0
    }
}

impl std::ops::Deref for Algorithm {
    type Target = dyn Agreement;
    fn deref(&self) -> &(dyn Agreement + 'static) {
        self.0
    }
}

impl PartialEq for Algorithm {
    fn eq(&self, other: &Algorithm) -> bool {
        self.0.name() == other.0.name()
    }
}

impl Eq for Algorithm {}

impl std::hash::Hash for Algorithm {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.name().hash(state);
    }
}

impl PartialOrd for Algorithm {
    fn partial_cmp(&self, other: &Algorithm) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Algorithm {
    fn cmp(&self, other: &Algorithm) -> std::cmp::Ordering {
        self.0.name().cmp(other.0.name())
    }
}

impl fmt::Debug for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name())
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name())
    }
}

impl Serialize for Algorithm {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.name())
    }
}

/// Algorithms registered in this process by name, so that a file that
/// names one (a results folder's plan.json, read back to resume or merge)
/// can be read without a registry at hand. A pure cache of what
/// `Registry::with_algorithm` saw: the first registration of a name is
/// kept (ARCHITECTURE.md, process-wide state).
static REGISTERED: std::sync::Mutex<Vec<Algorithm>> = std::sync::Mutex::new(Vec::new());

/// Remembers a user's registration for [`Algorithm`]'s deserialisation.
pub(crate) fn intern(a: Algorithm) {
    if let Ok(mut all) = REGISTERED.lock()
        && !all.iter().any(|x| x == &a)
    {
        all.push(a);
    }
}

impl<'de> Deserialize<'de> for Algorithm {
    /// A built-in name, or one registered in this process.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Algorithm, D::Error> {
        let name = String::deserialize(d)?;
        let builtin = Algorithms::builtin();
        if let Ok(a) = builtin.find(&name) {
            return Ok(a);
        }
        let registered = REGISTERED
            .lock()
            .ok()
            .and_then(|all| all.iter().find(|a| a.as_str() == name).copied());
        registered.ok_or_else(|| {
            serde::de::Error::custom(UnknownAlgorithm {
                got: name,
                expected: builtin.names(),
            })
        })
    }
}

/// OM(m), oral messages (and OM(m, p) on a graph).
pub const OM: Algorithm = Algorithm::of(&om::Om);
/// SM(m), signed messages.
pub const SM: Algorithm = Algorithm::of(&sm::Sm);
/// Dolev-Strong authenticated broadcast.
pub const DOLEV_STRONG: Algorithm = Algorithm::of(&dolev_strong::DolevStrong);
/// Phase king.
pub const PHASE_KING: Algorithm = Algorithm::of(&phase_king::PhaseKing);
/// The asynchronous agreement (Bracha's broadcast, MMR 2014's binary agreement).
pub const MMR: Algorithm = Algorithm::of(&mmr::Mmr);

/// An algorithm name nobody registered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown algorithm `{got}` (expected {expected})")]
pub struct UnknownAlgorithm {
    /// The name given.
    pub got: String,
    /// The names registered.
    pub expected: String,
}

/// Algorithms by name, built-ins first, in registration order.
pub type Algorithms = Table<Algorithm>;

impl Algorithms {
    /// The built-in algorithms.
    pub fn builtin() -> Algorithms {
        Table::new(
            [OM, SM, DOLEV_STRONG, PHASE_KING, MMR]
                .into_iter()
                .map(|a| Entry::new(a.name(), a.about(), true, a))
                .collect(),
        )
    }

    /// The algorithm named `name` (case-insensitive, as `om` and `OM`).
    pub fn find(&self, name: &str) -> Result<Algorithm, UnknownAlgorithm> {
        let lower = name.to_ascii_lowercase();
        let entry = self.get(name).or_else(|| self.get(&lower));
        entry.map(|e| *e.make()).ok_or_else(|| UnknownAlgorithm {
            got: name.to_string(),
            expected: self.names(),
        })
    }
}
