//! One run: the raw spec a user gives, validated into a plan that can run.
//!
//! Validation happens once, up front, and every mistake gets one clear
//! message; only a [`RunPlan`] reaches a runtime (ARCHITECTURE.md: validation happens once).

use crate::algorithm::Algorithm;
pub use crate::crypto::Signatures;
use crate::graph::{Graph, GraphError, GraphSpec};
use crate::link::capacity::Queue;
use crate::link::{Adversaries, Layers, LinkError, LinkSpec};
use crate::memory::{self, MemoryError};
use crate::protocol::om_graph::Schedule;
use crate::rng::{Purpose, stream};
use crate::scheduler::NamedScheduler;
use crate::timing::{Millis, Timing, TimingError, TimingModel};
use crate::traitor::{NamedStrategy, StrategyError};
use crate::types::{GeneralId, Round, UnknownName, Value};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// Largest n a run accepts (ids are 16-bit; SM cost grows with n^2).
pub const MAX_GENERALS: usize = 4096;

/// Which runtime executes a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum RuntimeKind {
    /// Generals as actix actors (the default).
    #[default]
    Actix,
    /// The in-process reference runner.
    Direct,
}

impl RuntimeKind {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RuntimeKind::Actix => "actix",
            RuntimeKind::Direct => "direct",
        }
    }
}

impl fmt::Display for RuntimeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RuntimeKind {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "actix" => Ok(RuntimeKind::Actix),
            "direct" => Ok(RuntimeKind::Direct),
            other => Err(UnknownName {
                kind: "runtime",
                got: other.to_string(),
                expected: "actix or direct",
            }),
        }
    }
}

/// A run as asked for; see [`RunSpec::validate`].
#[derive(Clone, Debug)]
pub struct RunSpec {
    /// The algorithm, as registered (`crate::algorithm`).
    pub algorithm: Algorithm,
    /// Number of generals, commander included.
    pub n: usize,
    /// Traitors tolerated (and placed, when `traitors` is `None`).
    pub f: usize,
    /// Rounds of relaying; `None` means m = f.
    pub m: Option<usize>,
    /// Traitor ids; `None` draws f of them from the seed.
    pub traitors: Option<Vec<GeneralId>>,
    /// Strategy every traitor follows.
    pub strategy: NamedStrategy,
    /// The commander's order.
    pub value: Value,
    /// Link model.
    pub link: LinkSpec,
    /// The adversaries `link` may name (`arbitrary:NAME`): the built-in
    /// ones, or a registry's ([`crate::registry::Registry::adversaries`]).
    pub adversaries: Adversaries,
    /// The link layers `link` may name: the built-in ones, or a registry's
    /// ([`crate::registry::Registry::layers`]).
    pub layers: Layers,
    /// The one router queue every frame crosses (`--bottleneck`); `None`:
    /// an infinitely wide network.
    pub bottleneck: Option<Queue>,
    /// The link whose congestion window an `aimd` layer records
    /// (`--cwnd FROM:TO`).
    pub watch: Option<(GeneralId, GeneralId)>,
    /// Runtime.
    pub runtime: RuntimeKind,
    /// SM's signature scheme (OM signs nothing).
    pub signatures: Signatures,
    /// Seed of everything random in the run.
    pub seed: u64,
    /// Record every message.
    pub trace: bool,
    /// Timing model.
    pub timing: TimingModel,
    /// Delay bound delta, in virtual ms.
    pub delta: Millis,
    /// Global stabilisation time (partial synchrony), in virtual ms.
    pub gst: Millis,
    /// Round timeout, in virtual ms; `None`: delta, so that under `sync` no
    /// frame is late, or with a retransmitting link its
    /// [`LinkSpec::default_timeout`].
    pub timeout: Option<Millis>,
    /// Generals that fail benignly (crash, recover, omit), each counting
    /// toward f like a traitor.
    pub faults: Vec<(GeneralId, NodeFault)>,
    /// Who can send to whom (section 5); the complete graph by default.
    pub graph: GraphSpec,
    /// Run even where the graph breaks the algorithm's precondition
    /// (Theorem 3 or 4, Definition 1, Dolev's connectivity bound).
    pub force: bool,
    /// Who chooses each frame's delay within the timing model
    /// (`crate::scheduler`); `random` by default.
    pub scheduler: NamedScheduler,
    /// An asynchronous algorithm's budget of virtual time, in ms; `None`:
    /// [`DEFAULT_BUDGET`]. Refused for a lock-step algorithm (its run ends
    /// at its last deadline).
    pub budget: Option<Millis>,
}

/// How long an asynchronous algorithm's run may last by default, in
/// virtual ms (10,000 s: thousands of the adversarial scheduler's holds).
pub const DEFAULT_BUDGET: Millis = 10_000_000;

/// A benign failure of a general that otherwise runs the protocol honestly
/// (the lecture's node models besides Byzantine).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum NodeFault {
    /// Crash-stop: silent and deaf from `at` (virtual ms) on.
    Crash {
        /// When it crashes.
        at: Millis,
    },
    /// Crash-recovery: down from `down` until `up`, then back with its
    /// memory lost (see `Protocol::reset`).
    Recover {
        /// When it goes down.
        down: Millis,
        /// When it is back.
        up: Millis,
    },
    /// Send omission: each frame it should send is lost with probability `p`.
    Omission {
        /// The probability.
        p: f64,
    },
}

impl NodeFault {
    /// `crash@MS`, `recover@MS:MS`, `omission:P`.
    pub fn label(&self) -> String {
        match self {
            NodeFault::Crash { at } => format!("crash@{at}"),
            NodeFault::Recover { down, up } => format!("recover@{down}:{up}"),
            NodeFault::Omission { p } => format!("omission:{p}"),
        }
    }
}

impl RunSpec {
    /// A spec with the CLI's defaults: m = f, ATTACK, authenticated links,
    /// actix, traitors from the seed, split-brain.
    pub fn new(algorithm: Algorithm, n: usize, f: usize) -> Result<RunSpec, StrategyError> {
        Ok(RunSpec {
            algorithm,
            n,
            f,
            m: None,
            traitors: None,
            strategy: crate::traitor::resolve("split-brain")?,
            value: Value::Attack,
            link: LinkSpec::Authenticated,
            adversaries: Adversaries::builtin(),
            layers: crate::link::layer::builtins(),
            bottleneck: None,
            watch: None,
            runtime: RuntimeKind::Actix,
            signatures: Signatures::Ed25519,
            seed: 0,
            trace: false,
            timing: TimingModel::Sync,
            delta: crate::timing::DEFAULT_DELTA,
            gst: 0,
            timeout: None,
            faults: Vec::new(),
            graph: GraphSpec::Complete,
            force: false,
            scheduler: NamedScheduler::default(),
            budget: None,
        })
    }
}

/// A validated run: made only by [`RunSpec::validate`], so every plan a
/// runtime is handed was checked. Read it through its accessors; to vary a
/// run, change its spec ([`RunPlan::to_spec`]) and validate again.
#[derive(Clone, Debug)]
pub struct RunPlan {
    /// OM or SM.
    pub(crate) algorithm: Algorithm,
    /// Number of generals.
    pub(crate) n: usize,
    /// Traitors tolerated.
    pub(crate) f: usize,
    /// Rounds of relaying.
    pub(crate) m: usize,
    /// Traitor ids, ascending, distinct, at most f.
    pub(crate) traitors: Vec<GeneralId>,
    /// Strategy.
    pub(crate) strategy: NamedStrategy,
    /// The commander's order.
    pub(crate) value: Value,
    /// Link model.
    pub(crate) link: LinkSpec,
    /// What the link's adversary is made from.
    pub(crate) adversaries: Adversaries,
    /// What the link's layers are made from.
    pub(crate) layers: Layers,
    /// The one router queue every frame crosses, if any.
    pub(crate) bottleneck: Option<Queue>,
    /// The link whose window an `aimd` layer records.
    pub(crate) watch: Option<(GeneralId, GeneralId)>,
    /// Runtime.
    pub(crate) runtime: RuntimeKind,
    /// SM's signature scheme.
    pub(crate) signatures: Signatures,
    /// Seed.
    pub(crate) seed: u64,
    /// Record every message.
    pub(crate) trace: bool,
    /// Each general reports why it decided ([`RunPlan::explaining`]).
    pub(crate) explain: bool,
    /// Timing: model, delta, GST and the round timeout.
    pub(crate) timing: Timing,
    /// Generals that fail benignly, ascending by id; none is a traitor.
    pub(crate) faults: Vec<(GeneralId, NodeFault)>,
    /// The graph as asked for.
    pub(crate) graph: GraphSpec,
    /// The graph and what the algorithm fixed on it; `None` for the
    /// complete graph (the paper's sections 3 and 4).
    pub(crate) topology: Option<Arc<Topology>>,
    /// Validated with `force` (a broken precondition allowed).
    pub(crate) force: bool,
    /// Who chooses each frame's delay.
    pub(crate) scheduler: NamedScheduler,
    /// An asynchronous algorithm's budget of virtual time, in ms.
    pub(crate) budget: Millis,
}

impl RunPlan {
    /// OM or SM.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Number of generals.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Traitors tolerated.
    pub fn f(&self) -> usize {
        self.f
    }

    /// Rounds of relaying.
    pub fn m(&self) -> usize {
        self.m
    }

    /// Traitor ids, ascending, distinct, at most f.
    pub fn traitors(&self) -> &[GeneralId] {
        &self.traitors
    }

    /// Strategy.
    pub fn strategy(&self) -> &NamedStrategy {
        &self.strategy
    }

    /// The commander's order.
    pub fn value(&self) -> Value {
        self.value
    }

    /// Link model.
    pub fn link(&self) -> &LinkSpec {
        &self.link
    }

    /// What the link's adversary is made from.
    pub fn adversaries(&self) -> &Adversaries {
        &self.adversaries
    }

    /// What the link's layers are made from.
    pub fn layers(&self) -> &Layers {
        &self.layers
    }

    /// The bottleneck every frame crosses, if any.
    pub fn bottleneck(&self) -> Option<Queue> {
        self.bottleneck
    }

    /// Runtime.
    pub fn runtime(&self) -> RuntimeKind {
        self.runtime
    }

    /// SM's signature scheme.
    pub fn signatures(&self) -> Signatures {
        self.signatures
    }

    /// Seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Record every message.
    pub fn trace(&self) -> bool {
        self.trace
    }

    /// Timing: model, delta, GST and the round timeout.
    pub fn timing(&self) -> &Timing {
        &self.timing
    }

    /// Generals that fail benignly, ascending by id; none is a traitor.
    pub fn faults(&self) -> &[(GeneralId, NodeFault)] {
        &self.faults
    }

    /// The graph as asked for.
    pub fn graph(&self) -> &GraphSpec {
        &self.graph
    }

    /// The graph and what the algorithm fixed on it; `None` for the
    /// complete graph (the paper's sections 3 and 4).
    pub fn topology(&self) -> Option<&Topology> {
        self.topology.as_deref()
    }

    /// This run with `change` made to its spec, validated again: the one
    /// way to vary a plan (another seed, runtime or timing).
    pub fn vary(&self, change: impl FnOnce(&mut RunSpec)) -> Result<RunPlan, RunSpecError> {
        let mut spec = self.to_spec();
        change(&mut spec);
        spec.validate()
    }

    /// The same plan, each general reporting why it decided
    /// ([`crate::runtime::GeneralReport::explain`]; `--explain`).
    pub fn explaining(mut self) -> RunPlan {
        self.explain = true;
        self
    }

    /// The spec this plan validates: change a field and validate it again
    /// to vary the run (`to_spec().validate()` gives this plan back).
    pub fn to_spec(&self) -> RunSpec {
        RunSpec {
            algorithm: self.algorithm,
            n: self.n,
            f: self.f,
            m: Some(self.m),
            traitors: Some(self.traitors.clone()),
            strategy: self.strategy.clone(),
            value: self.value,
            link: self.link.clone(),
            adversaries: self.adversaries.clone(),
            layers: self.layers.clone(),
            bottleneck: self.bottleneck,
            watch: self.watch,
            runtime: self.runtime,
            signatures: self.signatures,
            seed: self.seed,
            trace: self.trace,
            timing: self.timing.model,
            delta: self.timing.delta,
            gst: self.timing.gst,
            timeout: Some(self.timing.timeout),
            faults: self.faults.clone(),
            graph: self.graph.clone(),
            force: self.force,
            scheduler: self.scheduler.clone(),
            budget: self.algorithm.asynchronous().then_some(self.budget),
        }
    }
}

/// A run's graph other than the complete one, and what its algorithm fixed
/// in advance on it.
#[derive(Debug)]
pub struct Topology {
    /// The graph.
    pub graph: Arc<Graph>,
    /// OM(m, p)'s schedule (regular sets and paths); `None` under SM.
    pub schedule: Option<Arc<Schedule>>,
    /// Preconditions the graph breaks (the run was forced).
    pub broken: Vec<String>,
    /// What a theorem says of the graph that does not bind this run (Dolev's
    /// bound speaks of some placement, not necessarily this one).
    pub notes: Vec<String>,
}

impl RunPlan {
    /// Rounds the run takes: its algorithm's (m + 1 for OM(m) and SM(m)),
    /// or under OM(m, p) m + the longest path.
    pub fn rounds(&self) -> Round {
        match self.topology.as_ref().and_then(|t| t.schedule.as_ref()) {
            Some(s) => s.rounds(),
            None => self.algorithm.rounds(self.n, self.m),
        }
    }
}

/// A run that cannot start, and why.
#[derive(Debug, thiserror::Error)]
pub enum RunSpecError {
    /// A budget that cannot apply.
    #[error("{0}")]
    Budget(String),
    /// A scheduler nobody registered.
    #[error(transparent)]
    Scheduler(#[from] crate::scheduler::UnknownScheduler),
    /// Fewer than two generals.
    #[error("n = {0}: a run needs at least 2 generals (a commander and a lieutenant)")]
    TooFewGenerals(usize),
    /// More generals than supported.
    #[error("n = {0}: at most {MAX_GENERALS} generals are supported")]
    TooManyGenerals(usize),
    /// f not below n.
    #[error("f = {f} must be less than n = {n}")]
    FaultsTooMany {
        /// f given.
        f: usize,
        /// n given.
        n: usize,
    },
    /// m too large for n.
    #[error("m = {m} needs n >= m + 2 generals (a chain of m+1 distinct senders and a receiver), got n = {n}")]
    RoundsTooMany {
        /// m given.
        m: usize,
        /// n given.
        n: usize,
    },
    /// A traitor id out of range.
    #[error("traitor {id} is not a general (ids are 0..{})", n - 1)]
    TraitorOutOfRange {
        /// Offending id.
        id: usize,
        /// n.
        n: usize,
    },
    /// A traitor id given twice.
    #[error("traitor {0} is listed twice")]
    TraitorRepeated(GeneralId),
    /// More traitors than f.
    #[error("{count} traitors listed but f = {f}")]
    TooManyTraitors {
        /// Traitors listed.
        count: usize,
        /// f.
        f: usize,
    },
    /// The run would not fit in memory.
    #[error(transparent)]
    Memory(#[from] MemoryError),
    /// Bad link settings.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// Bad timing settings.
    #[error(transparent)]
    Timing(#[from] TimingError),
    /// A `load` layer would put more frames on the network than a run may take.
    #[error(
        "a load layer would put up to {frames} frames on the network in this run; a run may take at most \
         {MAX_RESENDS}: lower load:B or n"
    )]
    Load {
        /// Frames, background included.
        frames: u128,
    },
    /// `--cwnd FROM:TO` names no link of the run.
    #[error("--cwnd {from}:{to} is no link: FROM and TO must be two different generals of 0..{}", n - 1)]
    Watch {
        /// Sender.
        from: GeneralId,
        /// Receiver.
        to: GeneralId,
        /// Generals.
        n: usize,
    },
    /// A stubborn link could resend more frames than a run may take.
    #[error(
        "a stubborn link could resend up to {events} frames and acknowledgements in this run (rounds of {timeout} \
         ms, retransmission timeout {rto} ms); a run may take at most {MAX_RESENDS}: lower --timeout, raise --rto or lower a load:B"
    )]
    Resends {
        /// The estimate.
        events: u128,
        /// The round timeout.
        timeout: u64,
        /// The retransmission timeout.
        rto: u64,
    },
    /// A fault of a general that does not exist.
    #[error("{fault} of general {id}: there is no such general (ids are 0..{})", n - 1)]
    FaultyOutOfRange {
        /// The general.
        id: GeneralId,
        /// The fault.
        fault: String,
        /// n.
        n: usize,
    },
    /// A general given two faults, or a fault and a traitor's role.
    #[error("general {0} is given two faults, or a fault and a traitor's role")]
    FaultRepeated(GeneralId),
    /// A fault that makes no sense.
    #[error("{0}")]
    BadFault(String),
    /// More failed generals and traitors than f.
    #[error("{traitors} traitors and {faulty} failing generals, but f = {f}: every failing general counts toward f")]
    TooManyFaults {
        /// Traitors.
        traitors: usize,
        /// Failing generals.
        faulty: usize,
        /// f.
        f: usize,
    },
    /// The strategy does not fit this run.
    #[error(transparent)]
    Strategy(#[from] StrategyError),
    /// The strategy attacks what the algorithm does not have.
    #[error("strategy `{strategy}` does not apply to {algorithm}: {why}")]
    NotApplicable {
        /// The strategy.
        strategy: String,
        /// The algorithm.
        algorithm: String,
        /// The strategy's reason.
        why: String,
    },
    /// The graph cannot be built, or breaks the algorithm's precondition.
    #[error(transparent)]
    Graph(#[from] GraphError),
}

impl RunSpec {
    /// Checks everything and fixes the defaults; the only way to a plan.
    pub fn validate(self) -> Result<RunPlan, RunSpecError> {
        let n = self.n;
        if n < 2 {
            return Err(RunSpecError::TooFewGenerals(n));
        }
        if n > MAX_GENERALS {
            return Err(RunSpecError::TooManyGenerals(n));
        }
        // f only bounds the traitors when they are listed (a cell of at
        // most f traitors may tolerate more than it places); drawn from the
        // seed, f of them are placed, and at least one general stays loyal.
        if self.f >= n && self.traitors.is_none() {
            return Err(RunSpecError::FaultsTooMany { f: self.f, n });
        }
        let m = self.m.unwrap_or(self.f);
        // n >= 2 here; written so that no m, however large, wraps around.
        if m > n - 2 {
            return Err(RunSpecError::RoundsTooMany { m, n });
        }
        check_memory(self.algorithm, n, m)?;
        let mut faults = self.faults.clone();
        faults.sort_by_key(|(g, _)| *g);
        for (i, (g, fault)) in faults.iter().enumerate() {
            if usize::from(*g) >= n {
                return Err(RunSpecError::FaultyOutOfRange {
                    id: *g,
                    fault: fault.label(),
                    n,
                });
            }
            if i > 0 && faults[i - 1].0 == *g {
                return Err(RunSpecError::FaultRepeated(*g));
            }
            match *fault {
                NodeFault::Omission { p } if !(0.0..=1.0).contains(&p) => {
                    return Err(RunSpecError::BadFault(format!(
                        "omission probability {p} of general {g} is outside [0, 1]"
                    )));
                }
                NodeFault::Recover { down, up } if down >= up => {
                    return Err(RunSpecError::BadFault(format!(
                        "general {g} recovers at {up} ms, not after it goes down at {down} ms"
                    )));
                }
                _ => {}
            }
        }
        let faulty: Vec<GeneralId> = faults.iter().map(|(g, _)| *g).collect();
        if faulty.len() > self.f {
            return Err(RunSpecError::TooManyFaults {
                traitors: 0,
                faulty: faulty.len(),
                f: self.f,
            });
        }
        let traitors = match self.traitors.clone() {
            Some(list) => {
                let mut sorted: Vec<GeneralId> = Vec::with_capacity(list.len());
                for &id in &list {
                    if usize::from(id) >= n {
                        return Err(RunSpecError::TraitorOutOfRange { id: id.into(), n });
                    }
                    if sorted.contains(&id) {
                        return Err(RunSpecError::TraitorRepeated(id));
                    }
                    sorted.push(id);
                }
                if sorted.len() > self.f {
                    return Err(RunSpecError::TooManyTraitors {
                        count: sorted.len(),
                        f: self.f,
                    });
                }
                sorted.sort_unstable();
                sorted
            }
            // The f slots the failing generals leave, among the others.
            None => place_traitors_among(self.seed, n, self.f - faulty.len(), &faulty),
        };
        if let Some(&g) = traitors.iter().find(|g| faulty.contains(g)) {
            return Err(RunSpecError::FaultRepeated(g));
        }
        if traitors.len() + faulty.len() > self.f {
            return Err(RunSpecError::TooManyFaults {
                traitors: traitors.len(),
                faulty: faulty.len(),
                f: self.f,
            });
        }
        if !traitors.is_empty()
            && let Err(why) = (self.strategy.factory)().applies_to(self.algorithm)
        {
            return Err(RunSpecError::NotApplicable {
                strategy: self.strategy.name.clone(),
                algorithm: self.algorithm.to_string(),
                why,
            });
        }
        self.link.validate()?;
        self.link.check_names(&self.adversaries, &self.layers)?;
        if let Some((from, to)) = self.watch
            && (usize::from(from) >= n || usize::from(to) >= n || from == to)
        {
            return Err(RunSpecError::Watch { from, to, n });
        }
        let timeout = self.timeout.or_else(|| self.link.default_timeout(self.delta));
        let timing = Timing::new(self.timing, self.delta, self.gst, timeout)?;
        let budget = match self.budget {
            Some(_) if !self.algorithm.asynchronous() => {
                return Err(RunSpecError::Budget(format!(
                    "a budget bounds an asynchronous algorithm's run; {}'s ends at its last deadline",
                    self.algorithm
                )));
            }
            Some(0) => return Err(RunSpecError::Budget("the budget must be at least 1 ms".into())),
            Some(b) if b > crate::timing::MAX_MILLIS => {
                return Err(RunSpecError::Budget(format!(
                    "budget = {b} ms exceeds the largest setting, {} ms",
                    crate::timing::MAX_MILLIS
                )));
            }
            Some(b) => b,
            None => DEFAULT_BUDGET,
        };
        // Retransmissions, bounded before the run: a stubborn link resends a
        // frame until its round's deadline, at most as often as its policy
        // waits (every rto at the most); every frame of every round may
        // need them all.
        // A `load` layer multiplies the frames by 1 + B.
        let frames = (n as u128) * (n as u128 - 1) * u128::from(self.algorithm.rounds(n, m));
        let per = u128::from(self.link.background_per_frame());
        if per > 0 && frames * (1 + per) > MAX_RESENDS {
            return Err(RunSpecError::Load {
                frames: frames * (1 + per),
            });
        }
        if let Some(rto) = self.link.stubborn_rto() {
            let tries = self.link.max_tries(timing.timeout);
            let events = 2 * frames * (1 + per) * tries;
            if events > MAX_RESENDS {
                return Err(RunSpecError::Resends {
                    events,
                    timeout: timing.timeout,
                    rto,
                });
            }
        }
        let topology = topology(&self, m, &traitors, &faulty)?;
        // A script's rules are checked against the run by its caller: every
        // rule must fire in `byzlab run` (`Script::check_run`), some run of
        // an experiment's plan (`Script::check_plan`); a witness replays a
        // run whatever its rules did.
        Ok(RunPlan {
            algorithm: self.algorithm,
            n,
            f: self.f,
            m,
            traitors,
            strategy: self.strategy,
            value: self.value,
            link: self.link,
            adversaries: self.adversaries,
            layers: self.layers,
            bottleneck: self.bottleneck,
            watch: self.watch,
            runtime: self.runtime,
            signatures: self.signatures,
            seed: self.seed,
            trace: self.trace,
            explain: false,
            timing,
            faults,
            graph: self.graph,
            topology,
            force: self.force,
            scheduler: self.scheduler,
            budget,
        })
    }
}

/// Refuses a run of `algorithm` among `n` with parameter `m` that would
/// not fit in memory or time: the algorithm's own limits, then the frames
/// every run keeps.
pub(crate) fn check_memory(algorithm: Algorithm, n: usize, m: usize) -> Result<(), MemoryError> {
    algorithm.check_memory(n, m)?;
    memory::check_frames(n)
}

/// What a run's graph and algorithm fix whatever the traitors: built once
/// per (graph, n, algorithm, m) in a process (m only where the algorithm's
/// fix depends on it), since a sweep plans every cell and validates every
/// run, and OM(m, p)'s regular sets and paths take milliseconds to find.
pub struct Built {
    /// The graph.
    pub graph: Arc<Graph>,
    /// Whether it is connected.
    pub connected: bool,
    /// Vertex connectivity (where the algorithm needs it; 0 otherwise).
    pub connectivity: usize,
    /// The p of OM(m, p): the one named, or the graph's regularity.
    pub p: usize,
    /// OM(m, p)'s schedule, if the algorithm has one.
    pub schedule: Option<Arc<Schedule>>,
}

type BuiltKey = (GraphSpec, usize, Algorithm, usize);

/// What `algorithm` fixes on `graph` among `n` with parameter `m`
/// (section 5), memoised; an algorithm that does not run on incomplete
/// graphs is refused with the reason.
pub(crate) fn built(graph: &GraphSpec, n: usize, algorithm: Algorithm, m: usize) -> Result<Arc<Built>, GraphError> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static MEMO: OnceLock<Mutex<HashMap<BuiltKey, Arc<Built>>>> = OnceLock::new();
    let Some(on) = algorithm.on_graphs() else {
        return Err(GraphError::Spec(format!(
            "{} runs on the complete graph only (it has no form for section 5's graphs)",
            algorithm
        )));
    };
    let m = if on.depends_on_m() { m } else { 0 };
    let key = (graph.clone(), n, algorithm, m);
    let memo = MEMO.get_or_init(Default::default);
    if let Some(b) = memo.lock().ok().and_then(|map| map.get(&key).cloned()) {
        return Ok(b);
    }
    let g = Arc::new(graph.build(n)?);
    let (connectivity, p, schedule) = on.fix(&g, graph, m)?;
    let b = Arc::new(Built {
        connected: g.is_connected(),
        graph: g,
        connectivity,
        p,
        schedule,
    });
    if let Ok(mut map) = memo.lock() {
        if map.len() >= 256 {
            map.clear(); // a bound, not a policy: sweeps use a handful
        }
        map.insert(key, b.clone());
    }
    Ok(b)
}

/// Builds a run's graph and checks the algorithm's precondition on it
/// (section 5); the complete graph needs nothing.
fn topology(
    spec: &RunSpec,
    m: usize,
    traitors: &[GeneralId],
    faulty: &[GeneralId],
) -> Result<Option<Arc<Topology>>, RunSpecError> {
    if spec.graph.is_complete() {
        return Ok(None);
    }
    let label = spec.graph.label();
    let built = built(&spec.graph, spec.n, spec.algorithm, m)?;
    let mut broken = Vec::new();
    if !built.connected {
        broken.push(format!("{label} is not connected"));
    }
    let bad: Vec<GeneralId> = traitors.iter().chain(faulty).copied().collect();
    // (`built` refused an algorithm without graphs.)
    let (more, notes) = match spec.algorithm.on_graphs() {
        Some(on) => on.check(&built, &label, spec.n, m, &bad),
        None => (Vec::new(), Vec::new()),
    };
    broken.extend(more);
    if !broken.is_empty() && !spec.force {
        return Err(RunSpecError::Graph(GraphError::Precondition(broken.join("; "))));
    }
    Ok(Some(Arc::new(Topology {
        graph: built.graph.clone(),
        schedule: built.schedule.clone(),
        broken,
        notes,
    })))
}

/// Most frames and acknowledgements a stubborn link may send in one run, as
/// estimated before it starts (tens of seconds of events).
pub const MAX_RESENDS: u128 = 50_000_000;

/// f distinct traitors among `0..n` drawn from the seed, ascending.
pub fn place_traitors(seed: u64, n: usize, f: usize) -> Vec<GeneralId> {
    place_traitors_among(seed, n, f, &[])
}

/// f distinct traitors among `0..n` but `taken`, drawn from the seed,
/// ascending (with nothing taken, exactly [`place_traitors`]).
fn place_traitors_among(seed: u64, n: usize, f: usize, taken: &[GeneralId]) -> Vec<GeneralId> {
    let pool: Vec<GeneralId> = (0..n as GeneralId).filter(|g| !taken.contains(g)).collect();
    let mut rng = stream(seed, Purpose::Placement, 0);
    let mut ids: Vec<GeneralId> = rand::seq::index::sample(&mut rng, pool.len(), f.min(pool.len()))
        .into_iter()
        .map(|i| pool[i])
        .collect();
    ids.sort_unstable();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(n: usize, f: usize) -> RunSpec {
        RunSpec::new(crate::algorithm::OM, n, f).unwrap()
    }

    #[test]
    fn bad_specs_are_refused_with_reasons() {
        let cases: Vec<(RunSpec, &str)> = vec![
            (spec(1, 0), "at least 2"),
            (spec(4, 4), "less than n"),
            (
                RunSpec {
                    m: Some(3),
                    ..spec(4, 1)
                },
                "n >= m + 2",
            ),
            (
                RunSpec {
                    traitors: Some(vec![4]),
                    ..spec(4, 1)
                },
                "not a general",
            ),
            (
                RunSpec {
                    traitors: Some(vec![1, 1]),
                    ..spec(4, 2)
                },
                "twice",
            ),
            (
                RunSpec {
                    traitors: Some(vec![1, 2]),
                    ..spec(4, 1)
                },
                "f = 1",
            ),
            (
                RunSpec {
                    m: Some(10),
                    ..spec(40, 10)
                },
                "MiB",
            ),
            (
                RunSpec {
                    link: LinkSpec::Arbitrary {
                        adversary: "gremlin".into(),
                        rate: 0.5,
                    },
                    ..spec(4, 1)
                },
                "gremlin",
            ),
        ];
        for (s, want) in cases {
            let err = s.validate().unwrap_err().to_string();
            assert!(err.contains(want), "{err} should mention {want}");
        }
    }

    #[test]
    fn placement_is_seeded_and_sized() {
        let a = place_traitors(11, 10, 3);
        assert_eq!(a, place_traitors(11, 10, 3));
        assert_eq!(a.len(), 3);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        let differs = (0..20).any(|s| place_traitors(s, 10, 3) != a);
        assert!(differs);
        let plan = spec(7, 2).validate().unwrap();
        assert_eq!(plan.m, 2);
        assert_eq!(plan.traitors.len(), 2);
    }
}
