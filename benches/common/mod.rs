//! Plans shared by the benches (included with `#[path]`, not a bench itself).
#![allow(dead_code)]

use byzlab::run::{RunPlan, RunSpec, RuntimeKind};
use byzlab::types::{Algorithm, GeneralId, Value};

/// A plan with `traitors` following `strategy` (m = f = traitors.len() unless `m` given).
pub fn plan(
    alg: Algorithm,
    n: usize,
    m: usize,
    traitors: &[GeneralId],
    strategy: &str,
    runtime: RuntimeKind,
) -> RunPlan {
    let mut spec = RunSpec::new(alg, n, m).expect("spec");
    spec.m = Some(m);
    spec.traitors = Some(traitors.to_vec());
    spec.strategy = byzlab::traitor::resolve(strategy).expect("strategy");
    spec.value = Value::Attack;
    spec.runtime = runtime;
    spec.validate().expect("plan")
}

/// Messages a plan sends (one run), for `Throughput::Elements`.
pub fn messages(plan: &RunPlan) -> u64 {
    byzlab::runtime::execute(plan).expect("run").outcome.messages
}
