//! `two-faced`: tells one half of the loyal generals ATTACK and the other half
//! RETREAT, whatever it is relaying (the paper's Fig. 2 and Fig. 4 commander).
//! Each two-faced traitor draws its own halves from its seeded generator, so
//! several of them do not coordinate; compare `split-brain`. Messages to
//! fellow traitors are honest. Under SM the commander signs both orders; a
//! lieutenant relays to each loyal general only the orders of its half.

use super::{Strategy, TraitorCtx, commander_sends};
use crate::protocol::sm::SignedOrder;
use crate::types::{GeneralId, Value};
use rand::seq::SliceRandom;

/// The lone two-faced liar.
#[derive(Default)]
pub struct TwoFaced {
    attack_half: Option<Vec<GeneralId>>,
}

impl TwoFaced {
    fn face(&mut self, ctx: &mut TraitorCtx<'_>, to: GeneralId) -> Option<Value> {
        if ctx.coalition.is_traitor(to) {
            return None;
        }
        let half = self.attack_half.get_or_insert_with(|| {
            let mut loyal = ctx.coalition.loyal_lieutenants.clone();
            loyal.shuffle(ctx.rng);
            loyal.truncate(loyal.len().div_ceil(2));
            loyal
        });
        Some(if half.contains(&to) {
            Value::Attack
        } else {
            Value::Retreat
        })
    }
}

impl Strategy for TwoFaced {
    fn value(&mut self, ctx: &mut TraitorCtx<'_>, to: GeneralId, _: &[GeneralId], honest: Value) -> Option<Value> {
        Some(self.face(ctx, to).unwrap_or(honest))
    }

    fn orders(&mut self, ctx: &mut TraitorCtx<'_>, to: GeneralId, orders: &mut Vec<SignedOrder>) {
        let Some(face) = self.face(ctx, to) else {
            return;
        };
        if ctx.is_commander() {
            commander_sends(ctx, orders, Some(face));
        } else {
            orders.retain(|o| o.value == face);
        }
    }
}
