//! The direct runner: the generals' state machines in one loop, no actors.
//! Round by round, each sender in id order sends its frames, the network
//! carries them, and each receiver takes what arrives at once. A receiver
//! taking round-r frames before its own round-r sends is safe: round-r input
//! only ever feeds round r+1 output, in both algorithms.

use super::network::Network;
use super::{RunReport, RuntimeError, algorithms, assemble};
use crate::run::RunPlan;

/// Runs a plan in-process.
pub(crate) fn run(plan: &RunPlan) -> Result<RunReport, RuntimeError> {
    let (mut generals, audit) = algorithms::build(plan);
    let mut net = Network::new(plan, audit)?;
    let mut arrived = Vec::new();
    for round in 1..=plan.m as u32 + 1 {
        for s in 0..generals.len() {
            let frames = generals[s].on_round(round);
            net.carry(round, s as u16, frames, |env| arrived.push(env));
            for env in arrived.drain(..) {
                if let Some(g) = generals.get_mut(usize::from(env.to))
                    && let Some(taken) = g.accept(&env)
                {
                    net.audit(&env, &taken);
                }
            }
        }
    }
    let reports = generals.iter().map(|g| g.report()).collect();
    let (counters, trace) = net.finish();
    Ok(assemble(plan, reports, counters, trace))
}
