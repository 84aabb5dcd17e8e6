//! `random`: every value it sends is ATTACK, RETREAT or withheld, a third of
//! the time each, drawn from the traitor's seeded generator. Under SM a random
//! commander signs a random value (or none) per lieutenant, and a random
//! lieutenant relays or withholds each order at random.

use super::{Strategy, TraitorCtx, commander_sends};
use crate::protocol::sm::SignedOrder;
use crate::types::{GeneralId, Value};
use rand::RngExt;

/// Noise: the traitor that does not plan.
pub struct Random;

fn pick(ctx: &mut TraitorCtx<'_>) -> Option<Value> {
    match ctx.rng.random_range(0..3u8) {
        0 => Some(Value::Retreat),
        1 => Some(Value::Attack),
        _ => None,
    }
}

impl Strategy for Random {
    fn value(&mut self, ctx: &mut TraitorCtx<'_>, _: GeneralId, _: &[GeneralId], _: Value) -> Option<Value> {
        pick(ctx)
    }

    fn orders(&mut self, ctx: &mut TraitorCtx<'_>, _: GeneralId, orders: &mut Vec<SignedOrder>) {
        if ctx.is_commander() {
            let v = pick(ctx);
            commander_sends(ctx, orders, v);
        } else {
            orders.retain(|_| ctx.rng.random_bool(0.5));
        }
    }
}
