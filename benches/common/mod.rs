//! Helpers shared by the benches.

use byzlab::run::RunPlan;

/// Messages a plan sends (one run), for `Throughput::Elements`.
pub fn messages(plan: &RunPlan) -> u64 {
    byzlab::runtime::execute(plan).expect("run").outcome.counters.messages
}
