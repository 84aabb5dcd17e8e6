//! `dolev-strong`: Dolev and Strong's authenticated Byzantine agreement
//! (SIAM J. Comput. 1983), registered; the state machine is
//! `protocol::dolev_strong`.
//!
//! Its theory is SM(m)'s, for the same reasons: a loyal sender's signed
//! value cannot be forged (A4), f + 1 rounds defeat any f < n - 1 traitors,
//! and with more traitors than m a chain of m + 1 traitor signatures shown
//! to some loyal generals in the last round breaks it.

use super::Agreement;
use super::sm::{Sm, build_chains};
use super::{Marker, Theory};
use crate::crypto::{OwnKey, Signatures};
use crate::memory::MemoryError;
use crate::protocol::dolev_strong::DolevStrongGeneral;
use crate::protocol::sm::Orders;
use crate::run::RunPlan;
use crate::runtime::{Exposed, Generals};
use crate::traitor::{Strategy, TraitorCtx};
use crate::types::{GeneralId, Round};

/// Dolev-Strong's registration.
pub struct DolevStrong;

impl Agreement for DolevStrong {
    fn name(&self) -> &'static str {
        "dolev-strong"
    }

    fn about(&self) -> &'static str {
        "Dolev-Strong 1983: signature chains over f + 1 rounds, each general relays the first two values it extracts"
    }

    fn bound(&self) -> &'static str {
        "n >= m + 2, at most m traitors (any f < n - 1)"
    }

    fn label(&self, m: &str) -> String {
        format!("Dolev-Strong({m})")
    }

    fn signed(&self) -> bool {
        true
    }

    fn placement(&self, n: usize, m: usize, k: usize, commander_traitor: bool) -> Theory {
        Sm.placement(n, m, k, commander_traitor)
    }

    fn marker(&self) -> Marker {
        Marker::Square
    }

    // Its frames, signatures and costs are SM's: the same chains.
    fn check_memory(&self, n: usize, m: usize) -> Result<(), MemoryError> {
        Sm.check_memory(n, m)
    }

    fn trace_messages(&self, n: usize, m: usize) -> u128 {
        Sm.trace_messages(n, m)
    }

    fn cost(&self, signatures: Signatures, n: usize, m: usize) -> u64 {
        Sm.cost(signatures, n, m)
    }

    fn frame_limit(&self, plan: &RunPlan) -> usize {
        Sm.frame_limit(plan)
    }

    fn build(&self, plan: &RunPlan, trace: bool) -> Generals {
        let (n, m, value) = (plan.n(), plan.m(), plan.value());
        build_chains(plan, trace, self.frame_limit(plan), move |id, ring, own| {
            DolevStrongGeneral::new(n, m, id, value, ring, own)
        })
    }

    fn refusal(&self, bytes: &[u8], limit: usize) -> Option<String> {
        super::refusal::<Orders>(bytes, limit)
    }
}

/// As under SM: the strategy rewrites the signed orders, signing only with
/// the traitor's own key, and sees every order the traitor receives.
impl Exposed for DolevStrongGeneral {
    fn own_key(&self) -> Option<&OwnKey> {
        Some(self.key())
    }

    fn corrupt(&self, strategy: &mut dyn Strategy, ctx: &mut TraitorCtx<'_>, to: GeneralId, msg: &mut Orders) {
        strategy.orders(ctx, to, &mut msg.0);
    }

    fn observe(strategy: &mut dyn Strategy, round: Round, from: GeneralId, msg: &Orders) {
        for o in &msg.0 {
            strategy.observe_order(round, from, o);
        }
    }
}
