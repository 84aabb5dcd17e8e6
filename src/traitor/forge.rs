//! `forge`: the SM attacker. It tries every way a traitor might slip a false
//! order past assumption A4, and SM must reject them all:
//!
//! * forged loyal signatures: a chain for the opposite order whose commander
//!   and loyal links are random bytes, topped with its own genuine signature;
//! * spliced chains: a genuine chain it received, with the value changed and
//!   its own signature on top;
//! * replayed chains: a genuine order it received, resent unchanged in a later
//!   round;
//! * as commander, its own conflicting signed orders: ATTACK to one group of
//!   lieutenants and RETREAT to the other (the coalition's split). These are
//!   genuine, and SM's relaying is what defeats them.
//!
//! Alongside one forgery per frame it relays honestly only the orders that
//! match the receiver's group. Under OM, which has no signatures, a forgery is
//! just a lie: a forge commander splits like `split-brain` and a forge
//! lieutenant relays the opposite of every value.

use super::{Strategy, TraitorCtx, commander_sends};
use crate::crypto::SIG_LEN;
use crate::protocol::sm::{ChainLink, SignedOrder};
use crate::types::{COMMANDER, GeneralId, Round, Value};
use rand::Rng;

/// How many received orders it keeps for splicing and replay.
const KEEP: usize = 16;

/// The forger.
#[derive(Default)]
pub struct Forge {
    seen: Vec<(Round, SignedOrder)>,
    next: usize,
}

impl Forge {
    fn forged_chain(&self, ctx: &mut TraitorCtx<'_>, to: GeneralId, value: Value) -> Option<SignedOrder> {
        // A chain of round-1 links claimed by the commander and loyal
        // lieutenants, all with random signatures, then our own real one.
        let want = ctx.round as usize - 1;
        let mut signers = vec![COMMANDER];
        signers.extend(
            ctx.coalition
                .loyal_lieutenants
                .iter()
                .copied()
                .filter(|&g| g != to && g != ctx.me)
                .take(want.saturating_sub(1)),
        );
        if signers.len() != want {
            return None;
        }
        let prefix: Vec<ChainLink> = signers
            .into_iter()
            .map(|signer| {
                let mut sig = [0u8; SIG_LEN];
                ctx.rng.fill_bytes(&mut sig);
                ChainLink { signer, sig }
            })
            .collect();
        ctx.sign(value, &prefix)
    }

    fn spliced(&self, ctx: &mut TraitorCtx<'_>, to: GeneralId) -> Option<SignedOrder> {
        let (_, o) = self
            .seen
            .iter()
            .rev()
            .find(|(_, o)| !o.chain.iter().any(|l| l.signer == to || l.signer == ctx.me))?;
        ctx.sign(o.value.flip(), &o.chain)
    }

    fn replayed(&self, ctx: &TraitorCtx<'_>) -> Option<SignedOrder> {
        self.seen.iter().find(|(r, _)| *r < ctx.round).map(|(_, o)| o.clone())
    }
}

impl Strategy for Forge {
    fn applies_to(&self, algorithm: crate::types::Algorithm) -> Result<(), String> {
        super::needs_chains_or_paths(algorithm)
    }

    fn value(&mut self, ctx: &mut TraitorCtx<'_>, to: GeneralId, _: &[GeneralId], honest: Value) -> Option<Value> {
        if ctx.is_commander() {
            Some(ctx.coalition.pushed_value(to).unwrap_or(honest))
        } else {
            Some(honest.flip())
        }
    }

    fn observe_order(&mut self, round: Round, _: GeneralId, order: &SignedOrder) {
        if self.seen.len() < KEEP {
            self.seen.push((round, order.clone()));
        }
    }

    fn orders(&mut self, ctx: &mut TraitorCtx<'_>, to: GeneralId, orders: &mut Vec<SignedOrder>) {
        let push = ctx.coalition.pushed_value(to);
        if ctx.is_commander() {
            let v = push.unwrap_or(ctx.coalition.order);
            commander_sends(ctx, orders, Some(v));
            return;
        }
        let Some(push) = push else {
            return; // fellow traitors get the honest relay
        };
        orders.retain(|o| o.value == push);
        orders.truncate(1);
        // One forgery per frame, cycling through the kinds; an honest frame
        // holds at most two orders and a larger one would be refused whole.
        self.next += 1;
        // The lie worth forging: the opposite of a loyal commander's order, or
        // the receiver's side of the split under a traitor commander.
        let lie = if ctx.coalition.commander_loyal {
            ctx.coalition.order.flip()
        } else {
            push
        };
        let forged = match self.next % 3 {
            0 => self.forged_chain(ctx, to, lie),
            1 => self.spliced(ctx, to),
            _ => self.replayed(ctx),
        };
        orders.extend(forged.or_else(|| self.forged_chain(ctx, to, lie)));
    }
}
