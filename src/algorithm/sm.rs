//! `sm`: Algorithm SM(m), signed messages (Lamport, Shostak and Pease 1982,
//! section 4), and SM on an incomplete graph (section 5), registered.
//!
//! The state machine is `protocol::sm`; this file gives SM's theory
//! (Theorem 2, A4, the late reveal with more traitors than m, Theorem 4 on
//! graphs), its cost (bounded by signature checks, not memory), its
//! exhaustive search and how a traitor's strategy reaches its signed orders.

use super::{Agreement, Exhaustive, GraphCell, Marker, OnGraphs, Theory, combine};
use crate::crypto::{Keyring, OwnKey, SignatureLedger, Signatures, run_keys};
use crate::graph::{Graph, GraphError, GraphSpec};
use crate::memory::{self, MemoryError};
use crate::protocol::om_graph::Schedule;
use crate::protocol::sm::{self, Orders, SmGeneral};
use crate::run::{Built, RunPlan};
use crate::runtime::{Exposed, Generals, build_signed};
use crate::traitor::{Strategy, TraitorCtx};
use crate::types::{COMMANDER, GeneralId, Round};
use std::sync::Arc;

/// SM(m)'s registration.
pub struct Sm;

impl Agreement for Sm {
    fn name(&self) -> &'static str {
        "sm"
    }

    fn about(&self) -> &'static str {
        "signed messages SM(m) (LSP 1982, section 4): ed25519 chains, m + 1 rounds, relays each new value"
    }

    fn bound(&self) -> &'static str {
        "n >= m + 2, at most m traitors (Theorem 2)"
    }

    fn signed(&self) -> bool {
        true
    }

    /// A loyal commander's order cannot be forged (A4): holds. A traitor
    /// commander: Theorem 2 with k <= m; with k > m a chain of m + 1
    /// traitor signatures revealed to some loyal lieutenants in the last
    /// round breaks it (`late-reveal`).
    fn placement(&self, _: usize, m: usize, k: usize, commander_traitor: bool) -> Theory {
        if k == 0 || !commander_traitor {
            return Theory::Holds;
        }
        Theory::iff(k <= m)
    }

    fn marker(&self) -> Marker {
        Marker::Triangle
    }

    fn on_graphs(&self) -> Option<&dyn OnGraphs> {
        Some(self)
    }

    fn exhaustive(&self) -> Option<Exhaustive> {
        Some(Exhaustive::SignedChains)
    }

    fn check_memory(&self, n: usize, m: usize) -> Result<(), MemoryError> {
        memory::check_sm(n, m)
    }

    /// Two orders a frame at worst.
    fn trace_messages(&self, n: usize, m: usize) -> u128 {
        memory::sm_worst(n, m).0.saturating_mul(2)
    }

    /// Frames at about 100 ns, signatures at 50 us (ed25519) or 0.5 us
    /// (ideal), two per order at most.
    fn cost(&self, signatures: Signatures, n: usize, m: usize) -> u64 {
        signed_cost(signatures, n, m)
    }

    fn frame_limit(&self, plan: &RunPlan) -> usize {
        sm::max_frame_bytes(plan.m())
    }

    fn build(&self, plan: &RunPlan, trace: bool) -> Generals {
        let (n, m, value) = (plan.n(), plan.m(), plan.value());
        let graph = plan.topology().map(|t| t.graph.clone());
        build_chains(plan, trace, self.frame_limit(plan), move |id, ring, own| {
            let general = SmGeneral::new(n, m, id, value, ring, own);
            match &graph {
                Some(g) => general.on_graph(g.clone()),
                None => general,
            }
        })
    }

    fn refusal(&self, bytes: &[u8], limit: usize) -> Option<String> {
        super::refusal::<Orders>(bytes, limit)
    }
}

/// The generals of a signature-chain algorithm (SM, Dolev-Strong): `make`
/// gets each id's own key, derived from the run's seed and signing into
/// the run's ledger, and the keyring to check the others' with.
pub(crate) fn build_chains<P: Exposed>(
    plan: &RunPlan,
    trace: bool,
    frame_limit: usize,
    make: impl Fn(GeneralId, Arc<Keyring>, OwnKey) -> P,
) -> Generals {
    let ledger = SignatureLedger::default();
    let keys = run_keys(plan.seed(), plan.n(), plan.signatures());
    let signing = ledger.clone();
    build_signed(plan, trace, ledger, frame_limit, move |id| {
        // run_keys derives exactly n keys, so every id has one.
        let own = keys.own(id).unwrap_or_else(|| OwnKey::derive(plan.seed(), id));
        make(id, keys.ring(), own.with_ledger(signing.clone()))
    })
}

/// The estimated work of a run of signature chains (SM, Dolev-Strong), in
/// nanoseconds: frames at about 100 ns, signatures at 50 us (ed25519) or
/// 0.5 us (ideal).
pub fn signed_cost(signatures: Signatures, n: usize, m: usize) -> u64 {
    let (n, m) = (n as u64, m as u64);
    let frames = 100 * (m + 1).min(2) * n * n.saturating_sub(1);
    let signature = match signatures {
        Signatures::Ed25519 => 50_000,
        Signatures::Ideal => 500,
    };
    frames.saturating_add(2 * (m + 1) * n * signature)
}

/// Section 5: SM sends to neighbours only (Theorem 4).
impl OnGraphs for Sm {
    fn fix(&self, _: &Graph, _: &GraphSpec, _: usize) -> Result<(usize, usize, Option<Arc<Schedule>>), GraphError> {
        Ok((0, 0, None))
    }

    fn depends_on_m(&self) -> bool {
        false
    }

    fn diameter_rule(&self) -> bool {
        true
    }

    fn check(&self, built: &Built, label: &str, n: usize, m: usize, bad: &[GeneralId]) -> (Vec<String>, Vec<String>) {
        let mut broken = Vec::new();
        let k = bad.len();
        let loyal: Vec<GeneralId> = (0..n as GeneralId).filter(|g| !bad.contains(g)).collect();
        match built.graph.diameter_within(&loyal) {
            // (Disconnected with nobody placed: said by the caller.)
            None if bad.is_empty() => {}
            None => broken.push(format!(
                "the generals placed as traitors or failing ({}) cut the loyal generals of {label} apart",
                bad.iter().map(|g| g.to_string()).collect::<Vec<_>>().join(", ")
            )),
            Some(d) if m + 1 < k + d => broken.push(format!(
                "SM(m) on {label} needs m >= k + d - 1 = {} (Theorem 4: k = {k} traitors, the loyal generals' \
                 subgraph has diameter d = {d}); m = {m}",
                (k + d).saturating_sub(1)
            )),
            Some(_) => {}
        }
        (broken, Vec::new())
    }

    /// Theorem 4 (m >= k + d - 1, d the loyal subgraph's diameter);
    /// traitors that cut a loyal commander off a loyal lieutenant break
    /// IC2 by silence.
    fn theory(&self, cell: &GraphCell<'_>) -> Theory {
        let g = &cell.built.graph;
        combine(cell.placements.iter().map(|t| {
            let loyal: Vec<GeneralId> = (0..cell.n as GeneralId).filter(|g| !t.contains(g)).collect();
            match g.diameter_within(&loyal) {
                // A loyal commander cut off a loyal lieutenant: silence
                // breaks IC2.
                None if !t.contains(&COMMANDER) => Theory::Fails,
                None => Theory::Open,
                Some(d) if cell.m + 1 >= t.len() + d => Theory::Holds,
                Some(_) => Theory::Open,
            }
        }))
    }

    fn connectivity_bound(&self, f: usize) -> usize {
        f
    }
}

/// SM: the strategy rewrites the list of signed orders, signing only with the
/// traitor's own key, and sees every order the traitor receives.
impl Exposed for SmGeneral {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loyal_commander_holds_and_a_late_reveal_needs_more_traitors_than_m() {
        assert_eq!(Sm.placement(5, 0, 1, false), Theory::Holds);
        assert_eq!(Sm.placement(5, 0, 1, true), Theory::Fails);
        assert_eq!(Sm.placement(5, 2, 2, true), Theory::Holds);
        assert_eq!(Sm.placement(5, 2, 3, true), Theory::Fails);
    }
}
