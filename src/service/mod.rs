//! The online book shop as a replicated service over a long virtual time:
//! availability in nines, faults against failures, single points of
//! failure (the lecture's last part; issue 23).
//!
//! Orders arrive at random (a Poisson process). Each is decided by one
//! agreement instance among `n` replicas, any algorithm, link, timing and
//! traitor strategy a run takes: the replica the client reaches is the
//! commander, its order is "dispatch" if the book is paid and "do not"
//! otherwise, and every loyal replica dispatches if and only if it decides
//! "dispatch" (the lecture's global view: dispatch iff paid). Replicas
//! crash and are repaired with exponentially distributed times to failure
//! (MTTF) and to repair (MTTR); up to f may be Byzantine for the whole run.
//!
//! **Faults and failures.** A fault is a part that stops working: a
//! replica down, a Byzantine replica, a dead link. A failure is the whole
//! service serving an order wrongly: a loyal replica dispatches an unpaid
//! order, or a paid order is dispatched by none of the loyal replicas that
//! took part (or by nobody before the client gives up). Faults within what
//! the algorithm tolerates cause no failure; every report counts both.
//!
//! **A client** sends its order to a replica (the commander policy picks
//! which: `fixed`, always replica 0; `rotate`, round robin per order;
//! `detector`, the next replica the failure detector does not suspect). An
//! attempt is confirmed when the commander is up until the agreement
//! decides and that takes at most the client's wait (`client_timeout`,
//! doubled at each retry); otherwise the client retries at another replica
//! after that wait, doubling it
//! each time (exponential backoff), until `give_up`. An order confirmed
//! within `deadline` of its arrival is served in time, later is late.
//!
//! **Availability** is time-weighted: the fraction of the run during which
//! an order arriving would be served correctly in time. The replicas' state
//! (who is down, who is suspected) changes only at crashes, repairs and
//! detections, so one pair of probe orders per state interval, paid and unpaid, from
//! each replica a client may start at, measures it exactly up to the
//! `deadline` before each change. [`predicted`] is what MTTF and MTTR
//! predict: MTTF / (MTTF + MTTR) for one replica, the binomial sum over at
//! most f down for n.

pub mod spof;
pub mod study;

use crate::algorithm::Algorithm;
use crate::graph::GraphSpec;
use crate::link::{Adversaries, Layers, LinkSpec};
use crate::rng::{Purpose, stream};
use crate::run::{NodeFault, RunSpec, RunSpecError, RuntimeKind, Signatures};
use crate::runtime::{RunFailure, RuntimeError};
use crate::timing::{Millis, TimingModel};
use crate::traitor::NamedStrategy;
use crate::types::{GeneralId, Value};
use rand::RngExt;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;

/// A virtual hour, in ms.
pub const HOUR: Millis = 3_600_000;
/// A virtual day, in ms.
pub const DAY: Millis = 24 * HOUR;
/// Longest service run: ten virtual years.
pub const MAX_DURATION: Millis = 3650 * DAY;
/// Most agreement runs one service run may make (orders, retries and
/// probes): about a minute of SM(1) among four on one core.
pub const MAX_RUNS: u64 = 400_000;

/// Who commands an order's agreement.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Commander {
    /// Always replica 0: a client's retry reaches another replica, which
    /// can only forward the order to it.
    #[default]
    Fixed,
    /// Order i's first attempt at replica i mod n, each retry at the next.
    Rotate,
    /// The next replica, from 0 and then from the last one tried, that the
    /// failure detector does not suspect.
    Detector,
}

impl Commander {
    /// Every policy.
    pub const ALL: [Commander; 3] = [Commander::Fixed, Commander::Rotate, Commander::Detector];

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Commander::Fixed => "fixed",
            Commander::Rotate => "rotate",
            Commander::Detector => "detector",
        }
    }
}

impl fmt::Display for Commander {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Commander {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "fixed" => Ok(Commander::Fixed),
            "rotate" => Ok(Commander::Rotate),
            "detector" => Ok(Commander::Detector),
            other => Err(format!("`{other}` is not fixed, rotate or detector")),
        }
    }
}

/// One part of the service that can fail on its own (`byzlab spof`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Component {
    /// A replica, crashed.
    Replica(GeneralId),
    /// The link between two replicas, dead both ways.
    Link(GeneralId, GeneralId),
    /// The replica that holds the commander's role when the service starts
    /// (replica 0 under every policy), crashed: under `fixed` it holds the
    /// role for good.
    CommanderRole,
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Component::Replica(r) => write!(f, "replica {r}"),
            Component::Link(a, b) => write!(f, "link {a}-{b}"),
            Component::CommanderRole => f.write_str("commander role"),
        }
    }
}

/// A service run as asked for.
#[derive(Clone, Debug)]
pub struct ServiceSpec {
    /// The agreement each order runs.
    pub algorithm: Algorithm,
    /// Replicas.
    pub n: usize,
    /// Faults tolerated: the m of OM(m)/SM(m), and the bound of the
    /// predicted availability.
    pub f: usize,
    /// Byzantine replicas for the whole run (placed from the seed), at most f.
    pub byzantine: usize,
    /// What they do.
    pub strategy: NamedStrategy,
    /// Link between replicas.
    pub link: LinkSpec,
    /// Adversaries the link may name.
    pub adversaries: Adversaries,
    /// Layers the link may name.
    pub layers: Layers,
    /// Timing model of each agreement.
    pub timing: TimingModel,
    /// Delay bound, ms.
    pub delta: Millis,
    /// GST of each agreement (partial), ms.
    pub gst: Millis,
    /// Round timeout; `None`: the run's default.
    pub timeout: Option<Millis>,
    /// SM's signatures.
    pub signatures: Signatures,
    /// Runtime of each agreement.
    pub runtime: RuntimeKind,
    /// Mean orders per virtual hour.
    pub orders_per_hour: f64,
    /// Fraction of orders that are paid.
    pub paid: f64,
    /// Mean time to failure of a replica; `None`: replicas do not fail on
    /// their own (only `permanent` faults).
    pub mttf: Option<Millis>,
    /// Mean time to repair.
    pub mttr: Millis,
    /// Length of the run, virtual ms.
    pub duration: Millis,
    /// Who commands each order.
    pub commander: Commander,
    /// An order confirmed later than this after it arrived is late.
    pub deadline: Millis,
    /// How long a client waits for one attempt (doubling on each retry).
    pub client_timeout: Millis,
    /// A client stops retrying this long after its order arrived.
    pub give_up: Millis,
    /// How long the failure detector takes to suspect a crashed replica
    /// (a heartbeat detector's interval + timeout; see results/detector).
    pub detect_ms: Millis,
    /// Parts failed from the start to the end (`byzlab spof`).
    pub permanent: Vec<Component>,
    /// Seed of orders, crashes, repairs and every agreement.
    pub seed: u64,
}

impl ServiceSpec {
    /// A spec with the command line's defaults for `algorithm` among `n`
    /// tolerating `f`.
    pub fn new(algorithm: Algorithm, n: usize, f: usize) -> Result<ServiceSpec, crate::traitor::StrategyError> {
        Ok(ServiceSpec {
            algorithm,
            n,
            f,
            byzantine: 0,
            strategy: crate::traitor::resolve("split-brain")?,
            link: LinkSpec::Authenticated,
            adversaries: Adversaries::builtin(),
            layers: crate::link::layer::builtins(),
            timing: TimingModel::Sync,
            delta: crate::timing::DEFAULT_DELTA,
            gst: 0,
            timeout: None,
            signatures: Signatures::Ed25519,
            runtime: RuntimeKind::Direct,
            orders_per_hour: 10.0,
            paid: 0.9,
            mttf: Some(1000 * HOUR),
            mttr: HOUR,
            duration: 30 * DAY,
            commander: Commander::Fixed,
            deadline: 60_000,
            client_timeout: 5_000,
            give_up: DAY,
            // What `detection_time` measures under sync at the default delta.
            detect_ms: 100,
            permanent: Vec::new(),
            seed: 0,
        })
    }
}

/// A service run that cannot start or went wrong.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A setting out of range.
    #[error("{0}")]
    Setting(String),
    /// An agreement would not run.
    #[error("an order's agreement: {0}")]
    Run(#[from] RunFailure),
    /// Too much work.
    #[error(
        "this run would make about {runs} agreement runs (orders, retries and probes); the limit is {MAX_RUNS}: \
         lower --duration or --orders-per-hour, or raise --mttf"
    )]
    TooMany {
        /// Runs estimated.
        runs: u64,
    },
}

impl From<RunSpecError> for ServiceError {
    fn from(e: RunSpecError) -> Self {
        ServiceError::Run(RunFailure::Spec(e))
    }
}

impl From<RuntimeError> for ServiceError {
    fn from(e: RuntimeError) -> Self {
        ServiceError::Run(RunFailure::Runtime(e))
    }
}

/// Parses a duration with its unit: `500ms`, `90s`, `30m`, `1000h`, `30d`
/// (decimals allowed: `1.5h`), into virtual ms.
pub fn parse_duration(s: &str) -> Result<Millis, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("`{s}` has no unit: write it as 500ms, 90s, 30m, 1000h or 30d"))?;
    let (num, unit) = t.split_at(split);
    let unit_ms: f64 = match unit {
        "ms" => 1.0,
        "s" => 1e3,
        "m" | "min" => 6e4,
        "h" => HOUR as f64,
        "d" => DAY as f64,
        other => return Err(format!("`{other}` in `{s}` is not a unit: ms, s, m, h or d")),
    };
    let v: f64 = num.parse().map_err(|_| format!("`{num}` in `{s}` is not a number"))?;
    let ms = v * unit_ms;
    if !ms.is_finite() || ms > MAX_DURATION as f64 {
        return Err(format!("`{s}` is longer than ten years, the longest a service runs"));
    }
    Ok(ms.round() as Millis)
}

/// A duration as the lecture writes it: `4.32 min`, `1.5 h`, `30 d`.
pub fn show_duration(ms: f64) -> String {
    if ms >= DAY as f64 {
        format!("{:.2} d", ms / DAY as f64)
    } else if ms >= HOUR as f64 {
        format!("{:.2} h", ms / HOUR as f64)
    } else if ms >= 60_000.0 {
        format!("{:.2} min", ms / 60_000.0)
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

/// Nines of an availability: -log10(1 - A) (infinite at A = 1).
pub fn nines(availability: f64) -> f64 {
    (-(1.0 - availability).log10()).max(0.0)
}

/// Downtime in minutes per 30 days at an availability: the lecture's
/// (1 - A) x 30 x 24 x 60.
pub fn downtime_per_30_days_min(availability: f64) -> f64 {
    (1.0 - availability) * 30.0 * 24.0 * 60.0
}

/// What MTTF and MTTR predict: one replica is up MTTF / (MTTF + MTTR) of
/// the time; `n` independent replicas have at most `f` down with the
/// binomial sum over k = 0..=f of C(n, k) (1 - a)^k a^(n - k).
pub fn predicted(mttf: f64, mttr: f64, n: usize, f: usize) -> f64 {
    let a = mttf / (mttf + mttr);
    let mut sum = 0.0;
    for k in 0..=f.min(n) {
        sum += binomial(n, k) * (1.0 - a).powi(k as i32) * a.powi((n - k) as i32);
    }
    sum
}

/// What the model predicts for `policy`: with a fixed commander the
/// commander must be up and at most f of the others down; otherwise any
/// f of the n.
pub fn predicted_for(policy: Commander, mttf: f64, mttr: f64, n: usize, f: usize) -> f64 {
    match policy {
        Commander::Fixed => mttf / (mttf + mttr) * predicted(mttf, mttr, n - 1, f),
        _ => predicted(mttf, mttr, n, f),
    }
}

fn binomial(n: usize, k: usize) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

/// How the run's orders fared.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Orders {
    /// Orders that arrived.
    pub arrived: u64,
    /// Served correctly within the deadline.
    pub served: u64,
    /// Served correctly, after the deadline.
    pub late: u64,
    /// Failures: served wrongly, or never served before the client gave up.
    pub failed: u64,
    /// Of the failures: a loyal replica dispatched an unpaid order, or a
    /// paid one was dispatched by none of the loyal replicas that decided.
    pub failed_wrong: u64,
    /// Of the failures: no attempt confirmed before the client gave up.
    pub failed_unserved: u64,
    /// Attempts (agreements started), retries included.
    pub attempts: u64,
}

/// The faults a run injected.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Faults {
    /// Replica crashes (each followed by a repair, unless the run ended).
    pub crashes: u64,
    /// Virtual hours replicas spent down, summed over replicas.
    pub replica_down_hours: f64,
    /// Byzantine replicas, for the whole run.
    pub byzantine: Vec<GeneralId>,
    /// Parts failed for the whole run.
    pub permanent: Vec<String>,
}

/// One interval of constant replica state and whether an order arriving in
/// it would be served correctly in time (the share of the replicas a
/// client may start at from which a paid and an unpaid order both would).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Span {
    /// Start, virtual ms.
    pub from: Millis,
    /// End, virtual ms.
    pub to: Millis,
    /// Replicas down.
    pub down: Vec<GeneralId>,
    /// Share of probe orders served correctly in time, 0 to 1.
    pub available: f64,
}

/// What a service run measured.
#[derive(Clone, Debug, Serialize)]
pub struct ServiceReport {
    /// Algorithm, as `OM(1)`.
    pub algorithm: String,
    /// Replicas.
    pub n: usize,
    /// Faults tolerated.
    pub f: usize,
    /// Commander policy.
    pub commander: Commander,
    /// Link.
    pub link: String,
    /// Timing model.
    pub timing: TimingModel,
    /// Mean time to failure, hours (absent: none).
    pub mttf_h: Option<f64>,
    /// Mean time to repair, hours.
    pub mttr_h: f64,
    /// Duration, days.
    pub duration_d: f64,
    /// Seed.
    pub seed: u64,
    /// Time-weighted availability.
    pub availability: f64,
    /// -log10(1 - availability); absent when the service never failed.
    pub nines: Option<f64>,
    /// Downtime per 30 days at that availability, in minutes.
    pub downtime_per_30_days_min: f64,
    /// What MTTF and MTTR predict for this policy (absent without MTTF).
    pub predicted_availability: Option<f64>,
    /// One replica's: MTTF / (MTTF + MTTR).
    pub predicted_one_replica: Option<f64>,
    /// Orders served correctly in time.
    pub orders_served: u64,
    /// Orders served wrongly or never (failures).
    pub orders_failed: u64,
    /// Every count of the orders.
    pub orders: Orders,
    /// The faults injected (faults, not failures).
    pub faults: Faults,
    /// Whether the service failed at all: some order failed, or some time
    /// an arriving order would not have been served correctly in time.
    pub failed: bool,
    /// What the settings did that a user would want to know (an agreement
    /// longer than the client's first wait).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The state intervals (only with [`ServiceReport::spans`] kept).
    #[serde(skip)]
    pub spans: Vec<Span>,
    /// Each replica's down intervals, virtual ms.
    #[serde(skip)]
    pub downs: Vec<(GeneralId, Millis, Millis)>,
}

/// Each replica's down intervals `[from, to)` over the run: alternating
/// exponential times to failure and to repair, from the seed.
fn schedule(spec: &ServiceSpec) -> Vec<Vec<(Millis, Millis)>> {
    let forever = spec.duration.saturating_add(spec.give_up).saturating_add(1);
    (0..spec.n)
        .map(|r| {
            let mut downs = Vec::new();
            let g = r as GeneralId;
            if spec.permanent.contains(&Component::Replica(g))
                || (r == 0 && spec.permanent.contains(&Component::CommanderRole))
            {
                downs.push((0, forever));
                return downs;
            }
            let Some(mttf) = spec.mttf else { return downs };
            let mut rng = stream(spec.seed, Purpose::Service, 1 + r as u64);
            let mut t = 0u64;
            while t < spec.duration {
                let up = exponential(&mut rng, mttf as f64);
                let down = exponential(&mut rng, spec.mttr as f64).max(1);
                let from = t.saturating_add(up);
                if from >= spec.duration {
                    break;
                }
                let to = from.saturating_add(down);
                downs.push((from, to));
                t = to;
            }
            downs
        })
        .collect()
}

/// An exponentially distributed time of mean `mean`, whole ms.
fn exponential(rng: &mut crate::rng::RunRng, mean: f64) -> Millis {
    let u: f64 = rng.random::<f64>();
    (-(1.0 - u).ln() * mean).round() as Millis
}

/// The run's world: who is down when, who is Byzantine, and the agreement
/// runs already made for a probe.
struct World<'a> {
    spec: &'a ServiceSpec,
    downs: Vec<Vec<(Millis, Millis)>>,
    byzantine: Vec<GeneralId>,
    dead_links: Vec<(GeneralId, GeneralId)>,
    /// Probe attempts by what decides them.
    memo: HashMap<ProbeKey, Option<Attempt>>,
    runs: u64,
}

/// What decides a probe's attempt: its commander, the crashes it meets
/// (replica, ms after the attempt) and whether the order is paid.
type ProbeKey = (GeneralId, Vec<(GeneralId, Millis)>, bool);

/// What one attempt's agreement decided.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Attempt {
    /// Some loyal replica that took part decided wrongly.
    wrong: bool,
    /// Some loyal replica dispatched an unpaid order (a failure whether
    /// or not the client hears of it).
    dispatched_unpaid: bool,
    /// Virtual ms from the attempt to the decision.
    took: Millis,
    /// The commander was up until the decision, so it can confirm.
    confirms: bool,
}

/// How one order ended.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Served {
    /// Confirmed at this time after arrival; wrongly or not.
    At { after: Millis, wrong: bool, attempts: u64 },
    /// The client gave up.
    Never { attempts: u64 },
}

impl World<'_> {
    fn down_at(&self, r: usize, t: Millis) -> bool {
        self.downs[r].iter().any(|&(a, b)| a <= t && t < b)
    }

    /// The detector suspects `r` at `t`: it crashed at least `detect_ms`
    /// ago and is not back (a repaired replica's heartbeats resume at once).
    fn suspected(&self, r: usize, t: Millis) -> bool {
        self.downs[r]
            .iter()
            .any(|&(a, b)| a.saturating_add(self.spec.detect_ms) <= t && t < b)
    }

    /// Commander of attempt `k` of an order whose first try goes to
    /// `start`, given the replicas tried so far.
    fn commander(&self, start: usize, k: u64, t: Millis, tried: &[usize]) -> usize {
        let n = self.spec.n;
        match self.spec.commander {
            Commander::Fixed => 0,
            Commander::Rotate => (start + k as usize) % n,
            Commander::Detector => {
                let from = tried.last().map_or(0, |&c| c + 1);
                (0..n)
                    .map(|i| (from + i) % n)
                    .find(|&r| !(self.suspected(r, t) || tried.contains(&r) && tried.len() < n))
                    .unwrap_or(from % n)
            }
        }
    }

    /// The faults an attempt at `t` meets: replicas down at `t`, or going
    /// down before the client stops waiting (`wait` ms), as crash times
    /// from `t`.
    fn crashes(&self, t: Millis, wait: Millis) -> Vec<(GeneralId, Millis)> {
        let end = t.saturating_add(wait);
        (0..self.spec.n)
            .filter_map(|r| {
                self.downs[r]
                    .iter()
                    .find(|&&(a, b)| a < end && b > t)
                    .map(|&(a, _)| (r as GeneralId, a.saturating_sub(t)))
            })
            .collect()
    }

    /// One agreement for an order at `t` commanded by replica `c`, with the
    /// client waiting `wait` ms; `None` if `c` is down (nothing runs).
    fn attempt(
        &mut self,
        t: Millis,
        c: usize,
        paid: bool,
        (seed, wait): (u64, Millis),
        probe: bool,
    ) -> Result<Option<Attempt>, ServiceError> {
        if self.down_at(c, t) {
            return Ok(None);
        }
        let crashes = self.crashes(t, wait);
        if probe && let Some(hit) = self.memo.get(&(c as GeneralId, crashes.clone(), paid)) {
            return Ok(*hit);
        }
        let result = Some(self.agree(c, &crashes, paid, seed)?);
        if probe {
            self.memo.insert((c as GeneralId, crashes, paid), result);
        }
        Ok(result)
    }

    fn agree(
        &mut self,
        c: usize,
        crashes: &[(GeneralId, Millis)],
        paid: bool,
        seed: u64,
    ) -> Result<Attempt, ServiceError> {
        let spec = self.spec;
        let n = spec.n;
        // Replica r is general (r - c) mod n: the commander is general 0.
        let general = |r: GeneralId| ((usize::from(r) + n - c) % n) as GeneralId;
        let faults: Vec<(GeneralId, NodeFault)> = crashes
            .iter()
            .map(|&(r, at)| (general(r), NodeFault::Crash { at }))
            .collect();
        let traitors: Vec<GeneralId> = self
            .byzantine
            .iter()
            .filter(|&&b| !crashes.iter().any(|&(r, _)| r == b))
            .map(|&b| general(b))
            .collect();
        let mut run = RunSpec::new(spec.algorithm, n, spec.f).map_err(RunFailure::from)?;
        run.f = spec.f.max(traitors.len() + faults.len());
        run.m = Some(spec.f);
        run.traitors = Some(traitors);
        run.strategy = spec.strategy.clone();
        run.value = if paid { Value::Attack } else { Value::Retreat };
        run.link = spec.link.clone();
        run.adversaries = spec.adversaries.clone();
        run.layers = spec.layers.clone();
        run.runtime = spec.runtime;
        run.signatures = spec.signatures;
        run.seed = seed;
        run.timing = spec.timing;
        run.delta = spec.delta;
        run.gst = spec.gst;
        run.timeout = spec.timeout;
        run.faults = faults;
        if !self.dead_links.is_empty() {
            let dead: Vec<(GeneralId, GeneralId)> =
                self.dead_links.iter().map(|&(a, b)| (general(a), general(b))).collect();
            let mut edges = Vec::new();
            for a in 0..n as GeneralId {
                for b in a + 1..n as GeneralId {
                    if !dead.contains(&(a, b)) && !dead.contains(&(b, a)) {
                        edges.push((a, b));
                    }
                }
            }
            run.graph = GraphSpec::Edges {
                name: "service".into(),
                edges,
            };
            run.force = true;
        }
        let plan = run.validate()?;
        let report = crate::runtime::execute(&plan)?;
        self.runs += 1;
        let o = &report.outcome;
        let took = o.decision_time_ms;
        // The client hears the commander's confirmation if it is up until
        // the agreement decided (and the client still waits: `serve`).
        let commander_down = crashes.iter().any(|&(r, at)| usize::from(r) == c && at <= took);
        let want = if paid { Value::Attack } else { Value::Retreat };
        // A loyal commander dispatches by its own order; loyal lieutenants
        // by their decisions (crashed ones are out).
        Ok(Attempt {
            wrong: o.decisions.values().any(|&v| v != want),
            dispatched_unpaid: !paid && o.decisions.values().any(|&v| v == Value::Attack),
            took,
            confirms: !commander_down,
        })
    }

    /// Serves one order from its arrival to confirmation or giving up.
    fn serve(
        &mut self,
        arrival: Millis,
        start: usize,
        paid: bool,
        seed: u64,
        probe: bool,
    ) -> Result<Served, ServiceError> {
        let mut t = arrival;
        let mut tried: Vec<usize> = Vec::new();
        let mut wait = self.spec.client_timeout;
        let mut k = 0u64;
        // An attempt the client gave up on may still have dispatched.
        let mut unpaid_dispatched = false;
        loop {
            if t > arrival.saturating_add(self.spec.give_up) {
                return Ok(Served::Never { attempts: k });
            }
            let c = self.commander(start, k, t, &tried);
            tried.push(c);
            let run_seed = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(k);
            k += 1;
            if let Some(a) = self.attempt(t, c, paid, (run_seed, wait), probe)? {
                unpaid_dispatched |= a.dispatched_unpaid;
                if a.confirms && a.took <= wait {
                    return Ok(Served::At {
                        after: t - arrival + a.took,
                        wrong: a.wrong || unpaid_dispatched,
                        attempts: k,
                    });
                }
            }
            t = t.saturating_add(wait);
            wait = wait.saturating_mul(2).min(self.spec.give_up.max(1));
        }
    }
}

/// How long the heartbeat failure detector (`byzlab detect` at its
/// defaults: a heartbeat every 50 ms, a timeout of 100 ms) takes among `n`
/// replicas under `timing` and `delta` until every correct replica
/// suspects a crashed one for good: measured by running it, the
/// `--commander detector` policy's detection time unless given.
pub fn detection_time(n: usize, timing: TimingModel, delta: Millis) -> Result<Millis, ServiceError> {
    if !(2..=64).contains(&n) {
        return Err(ServiceError::Setting(format!(
            "--n {n}: a service has 2 to 64 replicas"
        )));
    }
    let crash = 1000;
    let spec = crate::detector::DetectSpec {
        method: crate::detector::Method::Heartbeat,
        n: n.max(2),
        crashes: vec![(1, crash)],
        interval: 50,
        timeout: 100,
        adaptive: timing != TimingModel::Sync,
        timing,
        delta,
        gst: 0,
        duration: 5000,
        seed: 0,
        runtime: RuntimeKind::Direct,
    };
    let r = crate::detector::detect(&spec).map_err(|e| ServiceError::Setting(format!("the failure detector: {e}")))?;
    // Never for good (a heavy tail): the detector's interval and timeout.
    Ok(r.detections
        .first()
        .and_then(|d| d.last_ms)
        .map_or(150, |t| t.saturating_sub(crash)))
}

/// Checks a service run before it starts.
fn check(spec: &ServiceSpec) -> Result<(), ServiceError> {
    let bad = |m: String| Err(ServiceError::Setting(m));
    if !(2..=64).contains(&spec.n) {
        return bad(format!("--n {}: a service has 2 to 64 replicas", spec.n));
    }
    if spec.byzantine > spec.f {
        return bad(format!(
            "--byzantine {} is more than --f {}: the service tolerates at most f faults",
            spec.byzantine, spec.f
        ));
    }
    if !(spec.orders_per_hour > 0.0 && spec.orders_per_hour <= 1e6) {
        return bad(format!(
            "--orders-per-hour {} must be above 0 and at most 1000000",
            spec.orders_per_hour
        ));
    }
    if !(0.0..=1.0).contains(&spec.paid) {
        return bad(format!("--paid {} is not a probability", spec.paid));
    }
    if spec.mttf == Some(0) || spec.mttr == 0 {
        return bad("--mttf and --mttr must be longer than 0".into());
    }
    if spec.duration == 0 || spec.duration > MAX_DURATION {
        return bad("--duration must be above 0 and at most 3650d".into());
    }
    if spec.client_timeout == 0 || spec.deadline == 0 {
        return bad("--client-timeout and --deadline must be longer than 0".into());
    }
    for c in &spec.permanent {
        let ok = match *c {
            Component::Replica(r) => usize::from(r) < spec.n,
            Component::Link(a, b) => a != b && usize::from(a.max(b)) < spec.n,
            Component::CommanderRole => true,
        };
        if !ok {
            return bad(format!("{c} does not exist among {} replicas", spec.n));
        }
    }
    // The cost before the work: orders and their retries, and the probes.
    let orders = spec.orders_per_hour * spec.duration as f64 / HOUR as f64;
    let changes = spec.mttf.map_or(0.0, |m| {
        2.0 * spec.n as f64 * spec.duration as f64 / (m as f64 + spec.mttr as f64)
    });
    let runs = (orders * 1.2 + changes * 4.0 * spec.n as f64) as u64;
    if runs > MAX_RUNS {
        return Err(ServiceError::TooMany { runs });
    }
    Ok(())
}

/// Runs the service. With `keep_spans`, the report keeps every state
/// interval and down time (for a figure).
pub fn run(spec: &ServiceSpec, keep_spans: bool) -> Result<ServiceReport, ServiceError> {
    check(spec)?;
    let n = spec.n;
    let byzantine = crate::run::place_traitors(spec.seed, n, spec.byzantine);
    let dead_links: Vec<(GeneralId, GeneralId)> = spec
        .permanent
        .iter()
        .filter_map(|c| match *c {
            Component::Link(a, b) => Some((a, b)),
            _ => None,
        })
        .collect();
    let mut world = World {
        spec,
        downs: schedule(spec),
        byzantine: byzantine.clone(),
        dead_links,
        memo: HashMap::new(),
        runs: 0,
    };
    // One agreement before the month: a spec the runs refuse is said now.
    let dry = world.agree(0, &[], true, spec.seed)?;
    let mut notes = Vec::new();
    if dry.took > spec.client_timeout {
        notes.push(format!(
            "an agreement takes {} ms here, longer than --client-timeout {} ms: a client's first attempts time out \
             and only its doubled waits see a confirmation (raise --client-timeout)",
            dry.took, spec.client_timeout
        ));
    }
    // Orders.
    let mut orders = Orders::default();
    let mut rng = stream(spec.seed, Purpose::Service, 0);
    let mean_gap = HOUR as f64 / spec.orders_per_hour;
    let mut t = exponential(&mut rng, mean_gap);
    let mut index = 0u64;
    while t < spec.duration {
        let paid = rng.random::<f64>() < spec.paid;
        let start = index as usize % n;
        orders.arrived += 1;
        let seed = crate::rng::stream(spec.seed, Purpose::Service, 1_000_000 + index).random::<u64>();
        match world.serve(t, start, paid, seed, false)? {
            Served::At { after, wrong, attempts } => {
                orders.attempts += attempts;
                if wrong {
                    orders.failed += 1;
                    orders.failed_wrong += 1;
                } else if after <= spec.deadline {
                    orders.served += 1;
                } else {
                    orders.late += 1;
                }
            }
            Served::Never { attempts } => {
                orders.attempts += attempts;
                orders.failed += 1;
                orders.failed_unserved += 1;
            }
        }
        index += 1;
        t = t.saturating_add(exponential(&mut rng, mean_gap).max(1));
    }
    // Availability: a probe per interval of constant state.
    let mut cuts: Vec<Millis> = vec![0, spec.duration];
    for d in &world.downs {
        for &(a, b) in d {
            for c in [a, b, a.saturating_add(spec.detect_ms)] {
                if c < spec.duration {
                    cuts.push(c);
                }
            }
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    let starts: Vec<usize> = match spec.commander {
        Commander::Rotate => (0..n).collect(),
        _ => vec![0],
    };
    let mut up_time = 0.0;
    let mut spans = Vec::new();
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let mut ok = 0;
        let mut probes = 0;
        for &s in &starts {
            probes += 1;
            // The service is up for this client if an order would be served
            // correctly in time whether it is paid or not.
            let mut both = true;
            for paid in [true, false] {
                let seed = spec.seed ^ (s as u64) << 1 ^ u64::from(paid);
                let served = world.serve(a, s, paid, seed, true)?;
                both &= matches!(served, Served::At { after, wrong: false, .. } if after <= spec.deadline);
            }
            ok += u32::from(both);
        }
        let share = f64::from(ok) / f64::from(probes);
        up_time += share * (b - a) as f64;
        if keep_spans {
            spans.push(Span {
                from: a,
                to: b,
                down: (0..n)
                    .filter(|&r| world.down_at(r, a))
                    .map(|r| r as GeneralId)
                    .collect(),
                available: share,
            });
        }
    }
    let availability = up_time / spec.duration as f64;
    let mut faults = Faults {
        byzantine,
        permanent: spec.permanent.iter().map(|c| c.to_string()).collect(),
        ..Faults::default()
    };
    let mut downs = Vec::new();
    for (r, d) in world.downs.iter().enumerate() {
        for &(a, b) in d {
            let b = b.min(spec.duration);
            faults.crashes += 1;
            faults.replica_down_hours += (b - a) as f64 / HOUR as f64;
            downs.push((r as GeneralId, a, b));
        }
    }
    let f_left = spec.f - spec.byzantine;
    let predicted_availability = spec
        .mttf
        .map(|m| predicted_for(spec.commander, m as f64, spec.mttr as f64, n, f_left));
    Ok(ServiceReport {
        algorithm: spec.algorithm.label(&spec.f.to_string()),
        n,
        f: spec.f,
        commander: spec.commander,
        link: spec.link.label(),
        timing: spec.timing,
        mttf_h: spec.mttf.map(|m| m as f64 / HOUR as f64),
        mttr_h: spec.mttr as f64 / HOUR as f64,
        duration_d: spec.duration as f64 / DAY as f64,
        seed: spec.seed,
        availability,
        nines: (availability < 1.0).then(|| nines(availability)),
        downtime_per_30_days_min: downtime_per_30_days_min(availability),
        predicted_availability,
        predicted_one_replica: spec.mttf.map(|m| m as f64 / (m + spec.mttr) as f64),
        orders_served: orders.served,
        orders_failed: orders.failed,
        failed: orders.failed > 0 || availability < 1.0,
        notes,
        orders,
        faults,
        spans,
        downs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lectures_example_four_nines_are_4_32_minutes_a_month() {
        let d = downtime_per_30_days_min(0.9999);
        assert!((d - 4.32).abs() < 1e-9, "{d}");
        assert!((nines(0.9999) - 4.0).abs() < 1e-9);
        assert!((nines(0.99) - 2.0).abs() < 1e-9);
    }

    #[test]
    fn durations_need_units() {
        assert_eq!(parse_duration("90s"), Ok(90_000));
        assert_eq!(parse_duration("30m"), Ok(1_800_000));
        assert_eq!(parse_duration("1000h"), Ok(1000 * HOUR));
        assert_eq!(parse_duration("30d"), Ok(30 * DAY));
        assert_eq!(parse_duration("1.5h"), Ok(HOUR * 3 / 2));
        assert!(parse_duration("30").unwrap_err().contains("no unit"));
        assert!(parse_duration("30y").unwrap_err().contains("not a unit"));
        assert!(parse_duration("99999d").unwrap_err().contains("ten years"));
    }

    #[test]
    fn prediction_is_the_binomial_sum() {
        // One replica: MTTF / (MTTF + MTTR).
        assert!((predicted(99.0, 1.0, 1, 0) - 0.99).abs() < 1e-12);
        // Four of which at most one down: a^4 + 4 (1 - a) a^3.
        let a: f64 = 0.99;
        let want = a.powi(4) + 4.0 * (1.0 - a) * a.powi(3);
        assert!((predicted(99.0, 1.0, 4, 1) - want).abs() < 1e-12);
        // All may be down: certain.
        assert!((predicted(1.0, 1.0, 3, 3) - 1.0).abs() < 1e-12);
        // A fixed commander must be up itself.
        assert!(predicted_for(Commander::Fixed, 99.0, 1.0, 4, 1) < predicted_for(Commander::Rotate, 99.0, 1.0, 4, 1));
    }
}
