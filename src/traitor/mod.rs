//! Traitor strategies.
//!
//! A traitor runs the honest protocol and a [`Strategy`] rewrites what it
//! sends: it may change values, withhold them, or (under SM) add orders it
//! signs with its own key, which is the only key it holds. Every method of
//! [`Strategy`] has an honest default, so a new attack overrides only the hook
//! it needs. Strategies draw randomness from the run's seeded generator in
//! [`TraitorCtx::rng`] and may collude through the shared [`Coalition`].
//!
//! Strategies are found by name in the [`registry`]; a path ending in `.toml`
//! names a [`scripted`] strategy.

pub mod enumerated;
pub mod enumerated_sm;
pub mod flip;
pub mod flood;
pub mod forge;
pub mod honest;
pub mod late_reveal;
pub mod random;
pub mod registry;
pub mod scripted;
pub mod shrunk;
pub mod silent;
pub mod split_brain;
pub mod two_faced;

use crate::crypto::OwnKey;
use crate::protocol::sm::sign_extend;
use crate::protocol::sm::{ChainLink, SignedOrder};
use crate::rng::RunRng;
use crate::types::{Algorithm, COMMANDER, GeneralId, Round, Value};

pub use registry::{
    NamedStrategy, Strategies, StrategyError, StrategyFactory, StrategyInfo, StrategyRef, builtins, resolve,
};

/// What every traitor knows about the plot: who is in it, who is not, and
/// what the commander ordered.
#[derive(Clone, Debug)]
pub struct Coalition {
    /// Traitor ids, ascending.
    pub traitors: Vec<GeneralId>,
    /// Loyal lieutenants, ascending.
    pub loyal_lieutenants: Vec<GeneralId>,
    /// Whether the commander is loyal.
    pub commander_loyal: bool,
    /// The commander's order (a loyal commander sends it to every traitor in
    /// round 1 anyway; a traitor commander shares it with its coalition).
    pub order: Value,
}

impl Coalition {
    /// The coalition of `traitors` among `n` generals.
    pub fn new(n: usize, traitors: &[GeneralId], order: Value) -> Coalition {
        let loyal_lieutenants = (1..n as GeneralId).filter(|g| !traitors.contains(g)).collect();
        Coalition {
            traitors: traitors.to_vec(),
            loyal_lieutenants,
            commander_loyal: !traitors.contains(&COMMANDER),
            order,
        }
    }

    /// Whether `g` is a traitor.
    pub fn is_traitor(&self, g: GeneralId) -> bool {
        self.traitors.contains(&g)
    }

    /// Whether loyal lieutenant `g` is in the first half of the agreed
    /// split ("group a"; the rest is "group b"); `None` for a traitor or the
    /// commander.
    pub fn in_group_a(&self, g: GeneralId) -> Option<bool> {
        let pos = self.loyal_lieutenants.iter().position(|&l| l == g)?;
        Some(pos < self.loyal_lieutenants.len().div_ceil(2))
    }

    /// The split every colluding traitor agrees on, by position among the
    /// loyal lieutenants: the first half (rounded up) and the rest. Under a
    /// traitor commander the first half is pushed toward ATTACK and the rest
    /// toward RETREAT (an IC1 attack). Under a loyal commander the first half
    /// is pushed toward the opposite of its order and the rest toward the
    /// order, so a lone loyal lieutenant is lied to (the IC2 attack of Fig. 1)
    /// and larger groups are split. `None` for a traitor or the commander.
    pub fn pushed_value(&self, g: GeneralId) -> Option<Value> {
        let first = self.in_group_a(g)?;
        let (first_push, rest_push) = if self.commander_loyal {
            (self.order.flip(), self.order)
        } else {
            (Value::Attack, Value::Retreat)
        };
        Some(if first { first_push } else { rest_push })
    }
}

/// Everything a strategy may use when it decides what to send.
pub struct TraitorCtx<'a> {
    /// The traitor.
    pub me: GeneralId,
    /// Number of generals.
    pub n: usize,
    /// The algorithm's parameter m (OM(m), SM(m), m + 1 phases of phase king).
    pub m: usize,
    /// Current round (1 = the commander's).
    pub round: Round,
    /// Algorithm being attacked.
    pub algorithm: Algorithm,
    /// The traitor's own seeded generator.
    pub rng: &'a mut RunRng,
    /// The shared plot.
    pub coalition: &'a Coalition,
    key: Option<&'a OwnKey>,
    signatures: &'a mut u64,
}

impl<'a> TraitorCtx<'a> {
    /// Builds a context; runtimes call this, strategies receive it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        me: GeneralId,
        n: usize,
        m: usize,
        round: Round,
        algorithm: Algorithm,
        rng: &'a mut RunRng,
        coalition: &'a Coalition,
        key: Option<&'a OwnKey>,
        signatures: &'a mut u64,
    ) -> TraitorCtx<'a> {
        TraitorCtx {
            me,
            n,
            m,
            round,
            algorithm,
            rng,
            coalition,
            key,
            signatures,
        }
    }

    /// Whether this traitor is the commander.
    pub fn is_commander(&self) -> bool {
        self.me == COMMANDER
    }

    /// Signs `value` after `prefix` with this traitor's own key (signing
    /// algorithms only; `None` under OM, which has no signatures). The result verifies only if
    /// `prefix` is a genuine chain for `value`.
    pub fn sign(&mut self, value: Value, prefix: &[ChainLink]) -> Option<SignedOrder> {
        let key = self.key?;
        *self.signatures += 1;
        Some(sign_extend(value, prefix, key))
    }
}

/// A traitor's behaviour. Defaults are honest; override what the attack needs.
///
/// The hooks are algorithm-neutral: every unsigned value any algorithm
/// sends (OM's relayed values, phase king's orders, votes and kings'
/// values, a user's algorithm's) goes through [`Strategy::value`], every
/// signed order (SM, Dolev-Strong) through [`Strategy::orders`]. A
/// strategy that only makes sense for some algorithms says so in
/// [`Strategy::applies_to`]; a run or sweep that pairs it with another is
/// refused with its reason.
pub trait Strategy {
    /// The value this traitor sends to `to`, given the honest value. `None`
    /// withholds it (the receiver then reads RETREAT, A3). `path` is what
    /// the value stands for: under OM the message's path (`0:...:me`);
    /// under an algorithm whose values are not relay paths (phase king),
    /// the sender alone (`[me]`). Under OM(m, p) on an incomplete graph
    /// (section 5) it is also asked for every value the traitor relays along
    /// a path of step 2(A): `path` is then the chain ending at the path's
    /// origin (not at `me`) and `to` the path's end, the general the value
    /// is for.
    fn value(&mut self, ctx: &mut TraitorCtx<'_>, to: GeneralId, path: &[GeneralId], honest: Value) -> Option<Value> {
        let _ = (ctx, to, path);
        Some(honest)
    }

    /// Signed orders (SM, Dolev-Strong): rewrite, drop or add to the orders
    /// going to `to` this round. The vector starts with what an honest
    /// general would send.
    fn orders(&mut self, ctx: &mut TraitorCtx<'_>, to: GeneralId, orders: &mut Vec<SignedOrder>) {
        let _ = (ctx, to, orders);
    }

    /// Signed orders: sees every order this traitor receives, before
    /// validation (useful for replaying or splicing chains).
    fn observe_order(&mut self, round: Round, from: GeneralId, order: &SignedOrder) {
        let _ = (round, from, order);
    }

    /// Rewrites the encoded frame for `to` (its wire bytes, after the
    /// message hooks above): for attacks on the decoder rather than on the
    /// protocol, such as `flood`'s frames of the wrong length. `ctx` cannot
    /// sign here. Most strategies leave the bytes alone.
    /// The bytes may be shared with other frames: change them through
    /// `Arc::make_mut`, which copies them first.
    fn frame(&mut self, ctx: &mut TraitorCtx<'_>, to: GeneralId, bytes: &mut std::sync::Arc<Vec<u8>>) {
        let _ = (ctx, to, bytes);
    }

    /// Whether this strategy means anything against `algorithm`: `Err`
    /// with the reason if not (a run or sweep pairing them is refused, and
    /// the portfolio leaves it out). Every algorithm by default.
    fn applies_to(&self, algorithm: Algorithm) -> Result<(), String> {
        let _ = algorithm;
        Ok(())
    }
}

/// What `forge` and `late-reveal` need: signed orders to forge, splice or
/// hold back, or relay paths along which a lie stands for a chain (under
/// OM their fallbacks are the paper's lies). Phase king's votes are
/// neither: its own portfolio (flip, split-brain, ...) covers what they
/// would do there.
pub fn needs_chains_or_paths(algorithm: Algorithm) -> Result<(), String> {
    if algorithm.signed() || algorithm.paths() {
        Ok(())
    } else {
        Err(format!(
            "it attacks signature chains and relay paths, and {} has neither",
            algorithm.label("m")
        ))
    }
}

/// Replaces `orders` with one order for `value` signed by a traitor commander
/// (SM); used by strategies whose commander sends a chosen value.
pub fn commander_sends(ctx: &mut TraitorCtx<'_>, orders: &mut Vec<SignedOrder>, value: Option<Value>) {
    orders.clear();
    if let Some(v) = value
        && let Some(o) = ctx.sign(v, &[])
    {
        orders.push(o);
    }
}

/// Re-signs an order this traitor relays with `value` in place of the honest
/// one: receivers will reject it, since the earlier signatures cover the
/// original value.
pub fn relay_as(ctx: &mut TraitorCtx<'_>, order: &SignedOrder, value: Value) -> Option<SignedOrder> {
    let prefix = &order.chain[..order.chain.len().saturating_sub(1)];
    ctx.sign(value, prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coalition_split_is_consistent() {
        let c = Coalition::new(7, &[0, 3], Value::Attack);
        assert_eq!(c.loyal_lieutenants, vec![1, 2, 4, 5, 6]);
        assert!(!c.commander_loyal);
        let pushed: Vec<_> = c.loyal_lieutenants.iter().map(|&g| c.pushed_value(g)).collect();
        use Value::{Attack as A, Retreat as R};
        assert_eq!(pushed, vec![Some(A), Some(A), Some(A), Some(R), Some(R)]);
        assert_eq!(c.pushed_value(3), None);
        assert_eq!(c.pushed_value(0), None);
        // loyal commander: the first half hears the opposite of the order
        let loyal = Coalition::new(4, &[3], Value::Retreat);
        assert_eq!(loyal.pushed_value(1), Some(A));
        assert_eq!(loyal.pushed_value(2), Some(R));
        let lone = Coalition::new(3, &[2], Value::Attack);
        assert_eq!(lone.pushed_value(1), Some(R));
    }
}
