//! Runtimes: what executes the generals' state machines.
//!
//! * `direct`: an in-process loop; the reference and the performance
//!   baseline.
//! * [`actix`]: every general an actix actor, a network actor between them.
//!
//! Both build their generals from the registry of algorithms
//! (`algorithms`), use the same generic node and network, and deliver
//! frames in the same order (sender by sender, receivers ascending), so a run
//! gives the same outcome and trace in either; `tests/determinism.rs` checks it.

pub mod actix;
pub(crate) mod algorithms;
pub(crate) mod audit;
pub(crate) mod direct;
pub mod network;
pub(crate) mod node;

use crate::run::{RunPlan, RuntimeKind};
use crate::types::{COMMANDER, Counters, GeneralId, Outcome, Value, check_conditions};
use network::TraceEntry;
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
}

/// Runs a plan on the runtime it names.
pub fn execute(plan: &RunPlan) -> Result<RunReport, RuntimeError> {
    match plan.runtime {
        RuntimeKind::Direct => direct::run(plan),
        RuntimeKind::Actix => actix::run(plan),
    }
}

/// Builds the report from every general's end state and the network's.
pub(crate) fn assemble(
    plan: &RunPlan,
    generals: Vec<GeneralReport>,
    net: Counters,
    trace: Vec<TraceEntry>,
) -> RunReport {
    let mut counters = net;
    for g in &generals {
        counters.add(&g.counters);
    }
    let commander_loyal = !plan.traitors.contains(&COMMANDER);
    let decisions: BTreeMap<GeneralId, Value> = generals
        .iter()
        .filter(|g| g.loyal && g.id != COMMANDER)
        .map(|g| (g.id, g.decision))
        .collect();
    let (agreement, validity) = check_conditions(&decisions, commander_loyal, plan.value);
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
        runtime: plan.runtime.as_str().to_string(),
        decisions,
        agreement,
        validity,
        rounds: plan.m as u32 + 1,
        counters,
        seed: plan.seed,
    };
    RunReport {
        outcome,
        generals,
        trace,
    }
}
