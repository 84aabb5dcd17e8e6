//! Helpers shared by the integration tests.
#![allow(dead_code)]

use byzlab::run::{RunPlan, RunSpec, RuntimeKind};
use byzlab::runtime::{self, RunReport};
use byzlab::traitor::scripted::Script;
use byzlab::traitor::{self, NamedStrategy};
use byzlab::types::{Algorithm, GeneralId, Value};

/// A plan with explicit traitors; m = f unless changed afterwards.
pub fn plan(algorithm: Algorithm, n: usize, f: usize, traitors: &[GeneralId], strategy: &str, value: Value) -> RunPlan {
    plan_with(
        algorithm,
        n,
        f,
        traitors,
        traitor::resolve(strategy).expect("built-in strategy"),
        value,
    )
}

/// Same, with any strategy.
pub fn plan_with(
    algorithm: Algorithm,
    n: usize,
    f: usize,
    traitors: &[GeneralId],
    strategy: NamedStrategy,
    value: Value,
) -> RunPlan {
    let mut spec = RunSpec::new(algorithm, n, f).expect("spec");
    spec.traitors = Some(traitors.to_vec());
    spec.strategy = strategy;
    spec.value = value;
    spec.runtime = RuntimeKind::Direct;
    spec.validate().expect("valid plan")
}

/// A scripted strategy from TOML text.
pub fn script(text: &str) -> NamedStrategy {
    NamedStrategy::scripted(Script::parse(text, "test.toml").expect("script parses"), "test.toml")
}

/// Runs a plan, failing the test on a runtime error.
pub fn run(plan: &RunPlan) -> RunReport {
    runtime::execute(plan).expect("run completes")
}
