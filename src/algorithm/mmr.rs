//! `mmr`: an asynchronous Byzantine agreement, the commander's order by
//! Bracha's reliable broadcast (1987) and the lieutenants' binary agreement
//! of Mostefaoui, Moumen and Raynal (PODC 2014) with a common coin,
//! registered; the state machine is `protocol::mmr`.
//!
//! Its theory: with n > 3f agreement and validity hold under every timing
//! model and every scheduler, since no step waits for a clock; every loyal
//! general decides with probability 1 when the commander sends its order
//! to the loyal generals (a commander that sends nothing leaves them
//! waiting: asynchronous broadcast cannot tell it from a slow one).

use super::{Agreement, Marker, Theory};
use crate::crypto::Signatures;
use crate::protocol::mmr::{Kind, MmrGeneral, Steps};
use crate::run::RunPlan;
use crate::runtime::{Exposed, Generals, build_generals};
use crate::traitor::{Strategy, TraitorCtx};
use crate::types::{GeneralId, Round, Value};

/// The asynchronous agreement's registration.
pub struct Mmr;

/// Items a general sends in a run with no traitor, about: the order's
/// broadcast (n echoes and n readies each), est, aux and decide, over a
/// few rounds.
fn items(n: usize) -> u128 {
    (n as u128).saturating_mul(n as u128).saturating_mul(24)
}

impl Agreement for Mmr {
    fn name(&self) -> &'static str {
        "mmr"
    }

    fn about(&self) -> &'static str {
        "asynchronous agreement: the order by Bracha's reliable broadcast, then Mostefaoui-Moumen-Raynal 2014 binary agreement with a common coin; no clock, decides with probability 1"
    }

    fn bound(&self) -> &'static str {
        "n > 3f, any timing"
    }

    fn label(&self, _: &str) -> String {
        "MMR".into()
    }

    fn asynchronous(&self) -> bool {
        true
    }

    fn rounds(&self, _: usize, _: usize) -> Round {
        1
    }

    fn recipients(&self, n: usize, _: usize, me: GeneralId, round: Round) -> Vec<GeneralId> {
        if round == 1 && me == crate::types::COMMANDER {
            (1..n as GeneralId).collect()
        } else {
            Vec::new()
        }
    }

    /// Safety and termination with n > 3f, whatever the timing; nothing
    /// claimed beyond.
    fn placement(&self, n: usize, m: usize, k: usize, _: bool) -> Theory {
        if k == 0 || (n > 3 * m && k <= m) {
            Theory::Holds
        } else {
            Theory::Open
        }
    }

    fn first_holding_n(&self, _: usize, m: usize, _: bool) -> Option<usize> {
        Some(m.saturating_mul(3).saturating_add(1))
    }

    fn marker(&self) -> Marker {
        Marker::Square
    }

    fn trace_messages(&self, n: usize, _: usize) -> u128 {
        items(n)
    }

    fn cost(&self, _: Signatures, n: usize, _: usize) -> u64 {
        u64::try_from(items(n).saturating_mul(150)).unwrap_or(u64::MAX)
    }

    /// Every item a general may send at one instant: a frame holds one
    /// instant's items (a handful per round it catches up on).
    fn frame_limit(&self, _: &RunPlan) -> usize {
        64 * 1024
    }

    fn build(&self, plan: &RunPlan, trace: bool) -> Generals {
        let (n, f, value, seed) = (plan.n(), plan.f(), plan.value(), plan.seed());
        let limit = self.frame_limit(plan);
        build_generals(plan, trace, limit, |id| MmrGeneral::new(n, f, id, value, seed))
    }

    fn refusal(&self, bytes: &[u8], limit: usize) -> Option<String> {
        super::refusal::<Steps>(bytes, limit)
    }
}

/// Every item a traitor sends (its order, echoes, readies, estimates, aux,
/// decision) goes to the strategy's `value` hook with the sender alone as
/// its path; `None` withholds the item, except the commander's order: a
/// withheld order is sent as RETREAT, the paper's reading of an absent
/// order (A3). An asynchronous general can never tell an order withheld
/// from one delayed, so withholding it would leave the lieutenants waiting
/// for ever (no protocol can do better: a commander that crashes before it
/// sends leaves them undecided); a traitor commander still tells each
/// lieutenant what it likes.
impl Exposed for MmrGeneral {
    fn corrupt(&self, strategy: &mut dyn Strategy, ctx: &mut TraitorCtx<'_>, to: GeneralId, msg: &mut Steps) {
        let me = ctx.me;
        msg.items.retain_mut(|it| {
            let order = it.kind == Kind::Order;
            match strategy.value(ctx, to, &[me], it.value) {
                Some(v) => {
                    it.value = v;
                    true
                }
                None if order => {
                    it.value = Value::Retreat;
                    true
                }
                None => false,
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::mmr::Item;

    #[test]
    fn hostile_frames_are_refused_not_panicked_on() {
        let good = crate::wire::encode(
            1,
            &Steps {
                items: vec![Item {
                    kind: Kind::Est,
                    round: 2,
                    value: Value::Attack,
                }],
            },
        );
        assert_eq!(Mmr.refusal(&good, 1 << 16), None);
        let bad_kind = crate::wire::encode(
            1,
            &Steps {
                items: vec![Item {
                    kind: Kind::Decide,
                    round: 2,
                    value: Value::Attack,
                }],
            },
        );
        // Kind 5 is the last; past it, and a cut frame, are refused.
        let mut past = bad_kind.clone();
        if let Some(b) = past.iter_mut().rev().nth(2) {
            *b = 9;
        }
        for bytes in [vec![0xff; 16], good[..good.len() - 1].to_vec(), past] {
            assert!(Mmr.refusal(&bytes, 1 << 16).is_some(), "{bytes:?}");
        }
    }
}
