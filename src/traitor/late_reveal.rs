//! `late-reveal`: the attack on too few rounds. The traitor commander signs
//! its order for the first traitor lieutenant only; each traitor lieutenant
//! passes it on to the next traitor only, one hop per round, and in the last
//! round, m+1, whoever holds it reveals it to the first group of loyal
//! lieutenants alone. They accept a chain of m+1
//! signatures but may not relay it any more, so the other group never hears
//! of it: IC1 fails. It takes the commander and m traitor lieutenants, so it
//! works exactly when f > m, the round lower bound (f+1 rounds are needed).
//! Under OM, which has no signatures to carry, it behaves like `split-brain`.

use super::{Strategy, TraitorCtx, commander_sends};
use crate::protocol::sm::SignedOrder;
use crate::types::{COMMANDER, GeneralId, Value};

/// Holds the order back until it is too late to relay.
pub struct LateReveal;

impl Strategy for LateReveal {
    fn applies_to(&self, algorithm: crate::types::Algorithm) -> Result<(), String> {
        super::needs_chains_or_paths(algorithm)
    }

    fn value(&mut self, ctx: &mut TraitorCtx<'_>, to: GeneralId, _: &[GeneralId], honest: Value) -> Option<Value> {
        Some(ctx.coalition.pushed_value(to).unwrap_or(honest))
    }

    fn orders(&mut self, ctx: &mut TraitorCtx<'_>, to: GeneralId, orders: &mut Vec<SignedOrder>) {
        // The relay chain: commander -> first traitor lieutenant -> second ...,
        // one hop per round, so the k-th holds a fresh order in round k+1.
        let chain: Vec<GeneralId> = ctx
            .coalition
            .traitors
            .iter()
            .copied()
            .filter(|&t| t != COMMANDER)
            .collect();
        let next_hop = match chain.iter().position(|&t| t == ctx.me) {
            Some(k) => chain.get(k + 1).copied(),
            None => chain.first().copied(), // the commander hands it to the first
        };
        let last_round = ctx.round as usize == ctx.m + 1;
        let reveal = last_round && ctx.coalition.pushed_value(to) == Some(ctx.coalition.order.flip());
        let pass = !last_round && next_hop == Some(to);
        if ctx.is_commander() {
            let order = ctx.coalition.order;
            commander_sends(ctx, orders, (pass || reveal).then_some(order));
        } else if !(pass || reveal) {
            orders.clear();
        }
    }
}
