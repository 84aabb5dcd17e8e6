//! Runtimes: what executes the generals' state machines.
//!
//! * `direct`: an in-process loop; the reference and the performance
//!   baseline.
//! * [`actix`]: every general an actix actor, a network actor between them.
//!
//! Both build their generals through the run's algorithm
//! (`crate::algorithm`, assembled by `generals`), use the same generic node and network, and deliver
//! frames in the same order (sender by sender, receivers ascending), so a run
//! gives the same outcome and trace in either; `tests/it/determinism.rs` checks it.

pub mod actix;
pub(crate) mod audit;
pub(crate) mod clock;
pub(crate) mod direct;
pub(crate) mod general;
pub(crate) mod generals;
pub mod network;
pub(crate) mod node;
pub(crate) mod process;

use crate::run::{RunPlan, RuntimeKind};
use crate::types::{COMMANDER, Counters, GeneralId, Outcome, Value, check_conditions};
pub use general::Described;
pub(crate) use generals::build_signed;
pub use generals::{Exposed, Generals, build_generals};
pub use network::TraceSink;
use network::{Network, TraceEntry};
use process::{Agreement, Process};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A general's state at the end of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneralReport {
    /// The general.
    pub id: GeneralId,
    /// Loyal or traitor.
    pub loyal: bool,
    /// What its protocol decided (a traitor's is what it would have decided).
    pub decision: Value,
    /// SM: its set V, in arrival order.
    pub v: Option<Vec<Value>>,
    /// Its own counters (the network's and the audit's are in the outcome).
    pub counters: Counters,
    /// Virtual time at which it decided (its last deadline), if it did.
    pub decided_at: Option<crate::timing::Millis>,
    /// It failed benignly (crashed, recovered or omitted) during the run.
    pub failed: bool,
    /// A traitor commander: the values it sent each lieutenant in round 1
    /// (empty where it sent nothing); empty for everyone else.
    pub sent: BTreeMap<GeneralId, Vec<Value>>,
    /// An asynchronous algorithm: the round in which it decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_round: Option<crate::types::Round>,
    /// Why it decided (only in a plan made with [`crate::run::RunPlan::explaining`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explain: Option<crate::protocol::Explanation>,
}

/// Everything a run produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// Decisions, IC1/IC2 and counters.
    pub outcome: Outcome,
    /// Every general's end state.
    pub generals: Vec<GeneralReport>,
    /// Every message, in order (empty unless the plan asked for a trace).
    pub trace: Vec<TraceEntry>,
    /// What link layers recorded over virtual time (`--cwnd`: a window).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub series: Vec<crate::link::layer::Series>,
}

/// A runtime failed (never because of what traitors or links did).
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// An actor stopped answering.
    #[error("actix runtime: {0}")]
    Actix(String),
    /// The plan's link cannot be built.
    #[error(transparent)]
    Link(#[from] crate::link::LinkError),
    /// The trace asked for could not be kept in memory.
    #[error(transparent)]
    Memory(#[from] crate::memory::MemoryError),
}

/// Why a run asked for did not produce a report.
#[derive(Debug, thiserror::Error)]
pub enum RunFailure {
    /// Its strategy could not be resolved.
    #[error(transparent)]
    Strategy(#[from] crate::traitor::StrategyError),
    /// Its spec does not validate.
    #[error(transparent)]
    Spec(#[from] crate::run::RunSpecError),
    /// The runtime failed.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

/// Runs a plan on the runtime it names; a plan with `trace` keeps every
/// line of its trace in the report (refused up front when that could not
/// fit in memory: [`execute_into`] streams it instead).
pub fn execute(plan: &RunPlan) -> Result<RunReport, RuntimeError> {
    execute_with(plan, kept_trace(plan)?)
}

/// Runs a plan with its trace going to `sink` a line at a time, as frames
/// travel, whatever the plan's `trace` says: the report's `trace` holds
/// what the sink kept (nothing, but for a `Vec`).
pub fn execute_into(plan: &RunPlan, sink: Box<dyn TraceSink>) -> Result<RunReport, RuntimeError> {
    execute_with(plan, Some(sink))
}

fn execute_with(plan: &RunPlan, sink: Option<Box<dyn TraceSink>>) -> Result<RunReport, RuntimeError> {
    match plan.runtime {
        RuntimeKind::Direct => {
            let (mut procs, mut net) = agreement(plan, sink)?;
            direct::drive(&mut procs, &mut net);
            let reports = procs.iter().map(Process::report).collect();
            let (counters, trace, series) = net.finish();
            Ok(assemble(plan, reports, counters, trace, series))
        }
        RuntimeKind::Actix => actix::ActixRunner::new().run_with(plan, sink),
    }
}

/// The sink of a plan that asks for its trace in the report: a `Vec`, once
/// the trace is known to fit ([`crate::memory::check_trace`]).
fn kept_trace(plan: &RunPlan) -> Result<Option<Box<dyn TraceSink>>, RuntimeError> {
    if !plan.trace {
        return Ok(None);
    }
    crate::memory::check_trace(plan.algorithm.trace_messages(plan.n, plan.m))?;
    Ok(Some(Box::new(Vec::new())))
}

/// The timed generals of a plan and the network between them, its trace
/// going to `sink`.
fn agreement(plan: &RunPlan, sink: Option<Box<dyn TraceSink>>) -> Result<(Vec<Agreement>, Network), RuntimeError> {
    let Generals { mut generals, audit } = plan.algorithm.build(plan, sink.is_some());
    if sink.as_ref().is_some_and(|s| s.wants_verdicts()) {
        for g in &mut generals {
            g.set_judging(true);
        }
    }
    let rounds = plan.rounds();
    let asynchronous = plan.algorithm.asynchronous();
    let procs = generals
        .into_iter()
        .enumerate()
        .map(|(id, g)| {
            let id = id as GeneralId;
            let fault = plan.faults.iter().find(|(f, _)| *f == id).map(|(_, fault)| *fault);
            let rng = crate::rng::stream(plan.seed, crate::rng::Purpose::Fault, u64::from(id));
            let general = Agreement::new(g, plan.timing, rounds, fault, rng);
            if asynchronous { general.asynchronous() } else { general }
        })
        .collect();
    let link = plan.link.build(
        &plan.adversaries,
        &plan.layers,
        plan.seed,
        plan.n,
        plan.algorithm.frame_limit(plan),
        plan.watch,
    )?;
    let scheduler = (plan.scheduler.name != crate::scheduler::RANDOM).then(|| (plan.scheduler.factory)(plan.n));
    let net = Network::new(
        link,
        plan.bottleneck,
        audit,
        plan.timing,
        plan.seed,
        !asynchronous,
        sink,
    )
    .scheduled(scheduler, plan.n)
    .until(asynchronous.then_some(plan.budget));
    Ok((procs, net))
}

/// Builds the report from every general's end state and the network's.
pub(crate) fn assemble(
    plan: &RunPlan,
    generals: Vec<GeneralReport>,
    net: Counters,
    trace: Vec<TraceEntry>,
    series: Vec<crate::link::layer::Series>,
) -> RunReport {
    let mut counters = net;
    for g in &generals {
        counters.add(&g.counters);
    }
    // IC1 and IC2 speak of the generals that never failed: neither traitors
    // nor failing generals (a failed commander's order binds nobody).
    let failed: Vec<GeneralId> = plan.faults.iter().map(|(g, _)| *g).collect();
    let commander_loyal = !plan.traitors.contains(&COMMANDER) && !failed.contains(&COMMANDER);
    let correct = |g: &&GeneralReport| g.loyal && !g.failed && g.id != COMMANDER;
    // A lock-step general decides at its last deadline; an asynchronous
    // one when it can, if ever.
    let asynchronous = plan.algorithm.asynchronous();
    let undecided: Vec<GeneralId> = generals
        .iter()
        .filter(correct)
        .filter(|g| asynchronous && g.decided_at.is_none())
        .map(|g| g.id)
        .collect();
    let decisions: BTreeMap<GeneralId, Value> = generals
        .iter()
        .filter(correct)
        .filter(|g| !undecided.contains(&g.id))
        .map(|g| (g.id, g.decision))
        .collect();
    let (agreement, validity) = check_conditions(&decisions, commander_loyal, plan.value);
    let rounds = if asynchronous {
        generals
            .iter()
            .filter(correct)
            .filter_map(|g| g.decided_round)
            .max()
            .unwrap_or(0)
    } else {
        plan.rounds()
    };
    let outcome = Outcome {
        algorithm: plan.algorithm,
        n: plan.n,
        f: plan.f,
        m: plan.m,
        traitors: plan.traitors.clone(),
        commander_loyal,
        value: plan.value,
        strategy: plan.strategy.name.clone(),
        link: plan.link.label(),
        bottleneck: plan.bottleneck.map(|q| q.label()).unwrap_or_default(),
        runtime: plan.runtime.as_str().to_string(),
        signatures: if plan.algorithm.signed() && !plan.signatures.is_default() {
            plan.signatures.to_string()
        } else {
            String::new()
        },
        decisions,
        agreement,
        validity,
        undecided,
        scheduler: if plan.scheduler.name == crate::scheduler::RANDOM {
            String::new()
        } else {
            plan.scheduler.name.clone()
        },
        budget_ms: asynchronous.then_some(plan.budget),
        rounds,
        graph: plan.graph.label(),
        timing: plan.timing.model,
        delta_ms: plan.timing.delta,
        gst_ms: plan.timing.gst,
        timeout_ms: plan.timing.timeout,
        decision_time_ms: generals
            .iter()
            .filter(correct)
            .filter_map(|g| g.decided_at)
            .max()
            .unwrap_or(0),
        commander_sent: generals
            .iter()
            .find(|g| g.id == COMMANDER && !g.loyal)
            .map(|g| g.sent.clone())
            .unwrap_or_default(),
        failed: plan
            .faults
            .iter()
            .map(|(g, fault)| format!("{g}:{}", fault.label()))
            .collect(),
        counters,
        seed: plan.seed,
    };
    RunReport {
        outcome,
        generals,
        trace,
        series,
    }
}
