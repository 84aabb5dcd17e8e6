//! `split-brain`: the coalition's attack. All traitors agree on one split of
//! the loyal lieutenants ([`super::Coalition::pushed_value`]) and every one of
//! them, commander or lieutenant, tells each group its pushed value on every
//! message: ATTACK to one group and RETREAT to the other under a traitor
//! commander; the opposite of a loyal commander's order to the first group. With n <= 3f this breaks OM(f): the loyal
//! sub-commanders' values no longer reach a majority in the recursion (the
//! induction of the paper's Lemma 1 needs n > 2k + m), so the groups decide
//! apart, or a loyal commander's order is lost. Under SM a traitor commander
//! signs both orders, but the loyal lieutenants relay what they got to each
//! other and end with the same V.

use super::{Strategy, TraitorCtx, commander_sends};
use crate::protocol::sm::SignedOrder;
use crate::types::{GeneralId, Value};

/// The coordinated two-group push.
pub struct SplitBrain;

impl Strategy for SplitBrain {
    fn value(&mut self, ctx: &mut TraitorCtx<'_>, to: GeneralId, _: &[GeneralId], honest: Value) -> Option<Value> {
        Some(ctx.coalition.pushed_value(to).unwrap_or(honest))
    }

    fn orders(&mut self, ctx: &mut TraitorCtx<'_>, to: GeneralId, orders: &mut Vec<SignedOrder>) {
        let Some(push) = ctx.coalition.pushed_value(to) else {
            return;
        };
        if ctx.is_commander() {
            commander_sends(ctx, orders, Some(push));
        } else {
            orders.retain(|o| o.value == push);
        }
    }
}
