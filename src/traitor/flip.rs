//! `flip`: inverts every value it sends. Under OM this is the lying
//! lieutenant of the paper's Fig. 1; under SM a flipping commander simply
//! orders the opposite, while a flipping lieutenant must re-sign a chain whose
//! earlier signatures cover the original value, so loyal receivers reject it.

use super::{Strategy, TraitorCtx, commander_sends, relay_as};
use crate::protocol::sm::SignedOrder;
use crate::types::{GeneralId, Value};

/// Sends the opposite of every honest value.
pub struct Flip;

impl Strategy for Flip {
    fn value(&mut self, _: &mut TraitorCtx<'_>, _: GeneralId, _: &[GeneralId], honest: Value) -> Option<Value> {
        Some(honest.flip())
    }

    fn orders(&mut self, ctx: &mut TraitorCtx<'_>, _: GeneralId, orders: &mut Vec<SignedOrder>) {
        if ctx.is_commander() {
            let flipped = ctx.coalition.order.flip();
            commander_sends(ctx, orders, Some(flipped));
            return;
        }
        let honest = std::mem::take(orders);
        for o in &honest {
            if let Some(f) = relay_as(ctx, o, o.value.flip()) {
                orders.push(f);
            }
        }
    }
}
