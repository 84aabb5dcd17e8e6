//! Witnesses: a violating run, written so that anyone can run it again
//! (`byzlab replay FILE`). A witness is built from the plan's own description
//! of the run, not from the text of a CSV row, and its outcome is the one a
//! rerun gives now.

use super::ExperimentError;
use super::plan::ExperimentPlan;
use super::record::RunRecord;
use super::runner::run_spec;
use crate::link::LinkSpec;
use crate::registry::Registry;
use crate::run::{RunPlan, RunSpec};
use crate::runtime;
use crate::timing::Timing;
use crate::traitor::StrategyRef;
use crate::types::{GeneralId, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// A violation, with everything needed to run it again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Witness {
    /// The experiment's name (its file's `name`).
    pub experiment: String,
    /// Hash of the validated experiment the run came from.
    pub fingerprint: String,
    /// The cell's position in the plan.
    pub cell: usize,
    /// The row's `run_id` in runs.csv.
    pub run_id: String,
    /// The algorithm's registered name (`om`, `sm`, `phase-king`, ...).
    pub algorithm: String,
    /// Generals, commander included.
    pub n: usize,
    /// Traitors the cell is about.
    pub f: usize,
    /// The m of OM(m) or SM(m).
    pub m: usize,
    /// Traitor ids, ascending.
    pub traitors: Vec<GeneralId>,
    /// The traitors' strategy, with a script's full text or an enumerated
    /// search point's choices, so a replay needs no other file.
    pub strategy: StrategyRef,
    /// The commander's order.
    pub value: Value,
    /// The link model, adversary and rate included.
    pub link: LinkSpec,
    /// The router queue every frame crossed, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bottleneck: Option<crate::link::capacity::Queue>,
    /// The timing (left out when it is the default, synchronous rounds of
    /// delta = 10 ms).
    #[serde(default, skip_serializing_if = "is_default_timing")]
    pub timing: Timing,
    /// The communication graph (left out when complete), edges included,
    /// so a replay needs no graph file.
    #[serde(default, skip_serializing_if = "crate::graph::GraphSpec::is_complete")]
    pub graph: crate::graph::GraphSpec,
    /// Generals that failed benignly (left out when there are none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<(GeneralId, crate::run::NodeFault)>,
    /// The run's seed.
    pub seed: u64,
    /// The runtime that ran it (a replay uses the same).
    pub runtime: crate::run::RuntimeKind,
    /// SM's signature scheme (left out when ed25519).
    #[serde(default, skip_serializing_if = "crate::crypto::Signatures::is_default")]
    pub signatures: crate::crypto::Signatures,
    /// Who chose the delays (`random` when absent).
    #[serde(default = "random_scheduler", skip_serializing_if = "is_random")]
    pub scheduler: String,
    /// An asynchronous algorithm's budget of virtual time, in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_ms: Option<u64>,
    /// What the run decided.
    pub decisions: BTreeMap<GeneralId, Value>,
    /// IC1 as observed.
    pub agreement: bool,
    /// IC2 as observed.
    pub validity: bool,
}

fn is_default_timing(t: &Timing) -> bool {
    *t == Timing::default()
}

/// The witness of a violating row: the run as the plan describes it, run
/// again, with the outcome that rerun gives. A rerun that does not violate
/// what the row says is an error (it would mean a run is not deterministic).
pub fn witness_for(plan: &ExperimentPlan, r: &RunRecord) -> Result<Witness, ExperimentError> {
    let desc = plan
        .cells
        .get(r.cell)
        .and_then(|c| c.runs.get(r.index))
        .ok_or_else(|| ExperimentError::Mismatch(format!("run {} is not in the plan", r.run_id)))?;
    let cell = &plan.cells[r.cell];
    let report = run_spec(plan, r.cell, &desc, false)
        .and_then(|spec| super::runner::execute(None, spec))
        .map_err(|source| ExperimentError::Run {
            run_id: r.run_id.clone(),
            source,
        })?;
    let o = report.outcome;
    if (o.agreement, o.validity) != (r.agreement, r.validity) {
        return Err(ExperimentError::Witness(format!(
            "run {} gave IC1 {} IC2 {} when rerun, but its row says IC1 {} IC2 {}",
            r.run_id, o.agreement, o.validity, r.agreement, r.validity
        )));
    }
    Ok(Witness {
        experiment: plan.spec.name.clone(),
        fingerprint: plan.fingerprint.clone(),
        cell: cell.id,
        run_id: r.run_id.clone(),
        algorithm: cell.algorithm.to_string(),
        n: cell.n,
        f: cell.f,
        m: o.m,
        traitors: desc.traitors.clone(),
        strategy: desc.strategy.clone(),
        value: desc.value,
        link: cell.link.clone(),
        bottleneck: cell.bottleneck,
        timing: cell.timing,
        graph: cell.graph.clone(),
        faults: desc.faults.clone(),
        seed: desc.seed,
        runtime: plan.spec.runtime,
        signatures: plan.spec.signatures,
        scheduler: cell.scheduler.clone(),
        budget_ms: o.budget_ms,
        decisions: o.decisions,
        agreement: o.agreement,
        validity: o.validity,
    })
}

/// Reruns a witness with a trace kept in the report, its strategy and link
/// adversary looked up in `registry`; errors if it does not show the
/// recorded outcome.
pub fn replay(path: &Path, registry: &Registry) -> Result<(Witness, runtime::RunReport), ExperimentError> {
    let text = crate::files::read_limited(path).map_err(|e| ExperimentError::io(path, e))?;
    let (w, plan) = load(&text, &path.display().to_string(), registry)?;
    let report = runtime::execute(&plan).map_err(|e| ExperimentError::Witness(e.to_string()))?;
    reproduces(&w, &report, path)?;
    Ok((w, report))
}

/// Errors unless `report` shows what witness `w` (read from `path`)
/// recorded: the same decisions and conditions.
pub fn reproduces(w: &Witness, report: &runtime::RunReport, path: &Path) -> Result<(), ExperimentError> {
    let o = &report.outcome;
    if o.decisions != w.decisions || o.agreement != w.agreement || o.validity != w.validity {
        return Err(ExperimentError::Witness(format!(
            "{path} did not reproduce: recorded decisions {:?} (IC1 {}, IC2 {}), got {:?} (IC1 {}, IC2 {})",
            w.decisions,
            w.agreement,
            w.validity,
            o.decisions,
            o.agreement,
            o.validity,
            path = path.display(),
        )));
    }
    Ok(())
}

fn random_scheduler() -> String {
    crate::scheduler::RANDOM.into()
}

fn is_random(s: &String) -> bool {
    s == crate::scheduler::RANDOM
}

/// Parses a witness (`source` names it in errors) and validates the run it
/// describes, with a trace, as `replay` will run it (names looked up in
/// `registry`).
pub fn load(text: &str, source: &str, registry: &Registry) -> Result<(Witness, RunPlan), ExperimentError> {
    let w: Witness = serde_json::from_str(text).map_err(|e| {
        ExperimentError::Witness(format!(
            "{source}: not a byzlab witness: {}",
            crate::files::plain_parse_error(&e.to_string())
        ))
    })?;
    let spec = RunSpec {
        algorithm: registry
            .algorithms()
            .find(&w.algorithm)
            .map_err(|e| ExperimentError::Witness(format!("{source}: {e}")))?,
        n: w.n,
        f: w.f,
        m: Some(w.m),
        traitors: Some(w.traitors.clone()),
        strategy: w
            .strategy
            .resolve(registry.strategies())
            .map_err(|e| ExperimentError::Witness(e.to_string()))?,
        value: w.value,
        link: w.link.clone(),
        // A shrunk link undoes the alterations its witness does not keep.
        adversaries: match w.strategy.link_keep() {
            Some(keep) => registry.adversaries().masked(keep, None),
            None => registry.adversaries().clone(),
        },
        layers: registry.layers().clone(),
        bottleneck: w.bottleneck,
        watch: None,
        runtime: w.runtime,
        signatures: w.signatures,
        seed: w.seed,
        trace: true,
        timing: w.timing.model,
        delta: w.timing.delta,
        gst: w.timing.gst,
        timeout: Some(w.timing.timeout),
        faults: w.faults.clone(),
        graph: w.graph.clone(),
        // It ran in a sweep, precondition or not; a replay runs it again.
        force: true,
        scheduler: crate::scheduler::resolve(registry.schedulers(), &w.scheduler)
            .map_err(|e| ExperimentError::Witness(format!("{source}: {e}")))?,
        budget: w.budget_ms,
    };
    let plan = spec
        .validate()
        .map_err(|e| ExperimentError::Witness(format!("{source}: {e}")))?;
    check_choices(&w, &plan).map_err(|e| ExperimentError::Witness(format!("{source}: {e}")))?;
    Ok((w, plan))
}

/// An OM search point's choices fit its run: one digit per message each
/// traitor sends (`enumerated::om_slots`), for traitors of the run only.
fn check_choices(w: &Witness, plan: &RunPlan) -> Result<(), String> {
    let StrategyRef::Enumerated { choices } = &w.strategy else {
        return Ok(());
    };
    if choices.starts_with(crate::traitor::enumerated_sm::PREFIX) || !plan.graph().is_complete() {
        return Ok(());
    }
    let table = crate::traitor::enumerated::decode(choices).map_err(|e| e.to_string())?;
    for (&t, digits) in &table {
        if !plan.traitors().contains(&t) {
            return Err(format!(
                "the enumerated choices name general {t}, no traitor of the run"
            ));
        }
        let want = crate::traitor::enumerated::om_slots(plan.n(), plan.m(), t);
        if digits.len() as u64 != want {
            return Err(format!(
                "the enumerated choices give traitor {t} {} digits; it sends {want} messages in OM({}) with n = {}",
                digits.len(),
                plan.m(),
                plan.n()
            ));
        }
    }
    Ok(())
}
