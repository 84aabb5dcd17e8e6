//! The direct runner: the generals' state machines in one loop, no actors.
//! Round by round, each sender in id order emits its frames, the network
//! carries them, and each receiver takes what arrives at once. A receiver
//! taking round-r frames before its own round-r emit is safe: round-r input
//! only ever feeds round r+1 output, in both algorithms.

use super::network::Network;
use super::node::build_nodes;
use super::{RunReport, assemble};
use crate::run::RunPlan;

/// Runs a plan in-process.
pub fn run(plan: &RunPlan) -> RunReport {
    let mut nodes = build_nodes(plan);
    let mut net = Network::new(plan);
    for round in 1..=plan.m as u32 + 1 {
        for s in 0..nodes.len() {
            let frames = nodes[s].emit(round);
            net.carry(round, s as u16, frames, |env| {
                if let Some(node) = nodes.get_mut(usize::from(env.to)) {
                    node.accept(round, &env);
                }
            });
        }
    }
    let reports = nodes.iter().map(|n| n.report()).collect();
    let (counters, trace) = net.finish();
    assemble(plan, reports, counters, trace)
}
