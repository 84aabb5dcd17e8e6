//! `om`: Algorithm OM(m), oral messages (Lamport, Shostak and Pease 1982,
//! section 3), and OM(m, p) on a p-regular graph (section 5), registered.
//!
//! The state machines are `protocol::om` and `protocol::om_graph`; this
//! file says what byzlab needs besides them: OM's theory (Theorem 1, Lemma
//! 1 and its induction, Theorem 3 and Dolev's bound on graphs), its message
//! count, its memory (the exponential trees), its exhaustive search, and
//! how a traitor's strategy reaches each value it sends.

use super::{Agreement, Exhaustive, GraphCell, Marker, OnGraphs, Theory, binomial, combine};
use crate::crypto::Signatures;
use crate::graph::{Graph, GraphError, GraphSpec};
use crate::memory::{self, MemoryError};
use crate::protocol::om::{self, OmGeneral, Relays, for_each_relay};
use crate::protocol::om_graph::{OmGraphGeneral, Schedule};
use crate::run::{Built, RunPlan};
use crate::runtime::{Exposed, Generals, build_generals};
use crate::traitor::{Strategy, TraitorCtx};
use crate::types::{COMMANDER, GeneralId, Value};
use std::sync::Arc;

/// OM(m)'s registration.
pub struct Om;

/// OM(m, p)'s schedule, when the run has one (OM on an incomplete graph).
fn schedule(plan: &RunPlan) -> Option<&Arc<Schedule>> {
    plan.topology().and_then(|t| t.schedule.as_ref())
}

impl Agreement for Om {
    fn name(&self) -> &'static str {
        "om"
    }

    fn about(&self) -> &'static str {
        "oral messages OM(m) (LSP 1982, section 3; OM(m, p) on graphs, section 5): m + 1 rounds, exponential messages"
    }

    fn bound(&self) -> &'static str {
        "n > 3m, at most m traitors (Theorem 1)"
    }

    fn paths(&self) -> bool {
        true
    }

    /// A loyal commander: Lemma 1 (IC2 with more than 2k + m generals) and
    /// byzlab's converse; a traitor commander: Theorem 1's induction
    /// ([`om_traitor_commander_holds`]).
    fn placement(&self, n: usize, m: usize, k: usize, commander_traitor: bool) -> Theory {
        if k == 0 {
            return Theory::Holds;
        }
        if commander_traitor {
            Theory::iff(om_traitor_commander_holds(n, k, m))
        } else {
            Theory::iff(n > 2 * k + m)
        }
    }

    /// Theorem 1's n = 3m + 1; with a loyal commander Lemma 1's 2k + m + 1.
    fn first_holding_n(&self, f: usize, m: usize, loyal_commander: bool) -> Option<usize> {
        Some(if loyal_commander {
            f.saturating_mul(2).saturating_add(m).saturating_add(1)
        } else {
            m.saturating_mul(3).saturating_add(1)
        })
    }

    fn bound_line(&self, loyal_commander: bool) -> Option<&'static str> {
        Some(if loyal_commander { "n = 2k+m+1" } else { "n = 3m+1" })
    }

    fn messages(&self, n: usize, m: usize) -> Option<u64> {
        Some(om::message_count(n, m))
    }

    fn formula(&self, m: usize) -> Option<String> {
        Some(format!("OM({m}) formula: sum of (n-1)...(n-1-k)"))
    }

    fn marker(&self) -> Marker {
        Marker::Circle
    }

    fn on_graphs(&self) -> Option<&dyn OnGraphs> {
        Some(self)
    }

    fn exhaustive(&self) -> Option<Exhaustive> {
        Some(Exhaustive::OralTree)
    }

    fn check_memory(&self, n: usize, m: usize) -> Result<(), MemoryError> {
        memory::check_om(n, m)
    }

    fn state_bytes(&self, n: usize, m: usize) -> u64 {
        memory::om_tree_bytes(n, m)
    }

    fn trace_messages(&self, n: usize, m: usize) -> u128 {
        memory::om_messages_exact(n, m)
    }

    /// About 5 ns a value (measured: OM(5) n = 20 at 200-275 M values/s).
    fn cost(&self, _: Signatures, n: usize, m: usize) -> u64 {
        5 * om::message_count(n, m)
    }

    fn frame_limit(&self, plan: &RunPlan) -> usize {
        match schedule(plan) {
            Some(s) => s.max_frame_values().div_ceil(4).saturating_add(64),
            None => om::max_frame_bytes(plan.n(), plan.m()),
        }
    }

    fn build(&self, plan: &RunPlan, trace: bool) -> Generals {
        let (n, m, value) = (plan.n(), plan.m(), plan.value());
        let limit = self.frame_limit(plan);
        match schedule(plan) {
            // Section 5: OM(m, p) on the run's graph.
            Some(s) => build_generals(plan, trace, limit, |id| OmGraphGeneral::new(s.clone(), id, value)),
            None => build_generals(plan, trace, limit, |id| match id {
                COMMANDER => OmGeneral::commander(n, m, value),
                _ => OmGeneral::lieutenant(n, m, id),
            }),
        }
    }

    fn refusal(&self, bytes: &[u8], limit: usize) -> Option<String> {
        super::refusal::<Relays>(bytes, limit)
    }
}

/// Theorem 1's induction for a traitor commander among `n` generals, `k`
/// traitors in all (the commander one of them), OM(m): do the loyal
/// lieutenants agree whatever the traitors do?
///
/// The lieutenants run OM(m - 1) among n - 1 generals, k - 1 of them
/// traitors; every loyal lieutenant gets the same vector, hence the same
/// majority, when OM(m - 1) keeps IC2 for each loyal sub-commander (Lemma
/// 1: n - 1 > 2(k - 1) + m - 1) and IC1 for each traitor sub-commander (the
/// same question one level down); OM(0) with a traitor commander and two
/// loyal lieutenants breaks (it sends them different orders). Where the
/// induction fails, the commander makes the loyal lieutenants' majorities
/// tie and the sub-level's break decides: byzlab predicts a break (its own
/// claim, checked by the exhaustive search in `tests/it/bounds_small.rs`).
pub fn om_traitor_commander_holds(n: usize, k: usize, m: usize) -> bool {
    let loyal = n.saturating_sub(k);
    if loyal <= 1 {
        // One loyal lieutenant or none: nobody to disagree with.
        return true;
    }
    if m == 0 {
        // OM(0) step 2: each lieutenant uses what the commander sent.
        return false;
    }
    // Step 2 runs OM(m - 1) among n - 1 with k - 1 traitors: IC2 for each
    // loyal sub-commander (Lemma 1), IC1 for each traitor one.
    let (n1, k1, m1) = (n - 1, k - 1, m - 1);
    // (Lemma 1 with no traitor: IC2 always.)
    let loyal_sub = k1 == 0 || n1 > 2 * k1 + m1;
    let traitor_sub = k1 == 0 || om_traitor_commander_holds(n1, k1, m1);
    loyal_sub && traitor_sub
}

/// Section 5: OM(m, p) on a p-regular graph.
impl OnGraphs for Om {
    fn fix(&self, g: &Graph, spec: &GraphSpec, m: usize) -> Result<(usize, usize, Option<Arc<Schedule>>), GraphError> {
        let p = match spec {
            GraphSpec::Regular { p } => *p,
            _ => g.regularity(),
        };
        Ok((g.connectivity(), p, Some(Arc::new(Schedule::build(g, m, p)?))))
    }

    fn depends_on_m(&self) -> bool {
        true
    }

    fn check(&self, built: &Built, label: &str, n: usize, m: usize, bad: &[GeneralId]) -> (Vec<String>, Vec<String>) {
        let (mut broken, mut notes) = (Vec::new(), Vec::new());
        let k = bad.len();
        let p = built.p;
        if p < 3 * m {
            broken.push(format!(
                "OM({m}, p) needs a p-regular graph with p >= 3m = {} (Theorem 3); {label} is only {p}-regular",
                3 * m
            ));
        }
        // Dolev: with connectivity <= 2k *some* placement of k traitors
        // defeats every algorithm. This placement is refused only where
        // it cuts the loyal generals apart (then it is that placement).
        let kappa = built.connectivity;
        if k >= 1 && kappa <= 2 * k {
            let loyal: Vec<GeneralId> = (0..n as GeneralId).filter(|g| !bad.contains(g)).collect();
            if built.graph.diameter_within(&loyal).is_none() {
                broken.push(format!(
                    "the generals placed as traitors or failing ({}) cut the loyal generals of {label} apart \
                     (connectivity {kappa} <= 2k = {}: Dolev's bound, section 5)",
                    bad.iter().map(|g| g.to_string()).collect::<Vec<_>>().join(", "),
                    2 * k
                ));
            } else {
                notes.push(format!(
                    "{label} has connectivity {kappa} <= 2k = {}: by Dolev's bound some placement of {k} \
                     traitors defeats every algorithm on it; this one does not cut the loyal generals apart, so \
                     no theorem says whether it does",
                    2 * k
                ));
            }
        }
        if let Some(s) = &built.schedule
            && let Some(gap) = s.gaps().first()
        {
            broken.push(format!(
                "{label} is not {p}-regular down the recursion of OM({m}, {p}) (Definition 1): {gap}{}",
                match s.gaps().len() {
                    1 => String::new(),
                    more => format!(" and {} more", more - 1),
                }
            ));
        }
        (broken, notes)
    }

    /// Theorem 3 (p >= 3m, k <= m, every regular set of Definition 1 there);
    /// Dolev's bound (connectivity <= 2k) says that *some* placement of k
    /// traitors defeats every algorithm, so it predicts a break only for a
    /// cell that ran every placement of k traitors.
    fn theory(&self, cell: &GraphCell<'_>) -> Theory {
        let (n, m, built) = (cell.n, cell.m, cell.built);
        let dolev = (1..=n.saturating_sub(2)).any(|k| {
            built.connectivity <= 2 * k && cell.commander_either && {
                let ran = cell.placements.iter().filter(|p| p.len() == k).count() as u64;
                ran == binomial(n, k)
            }
        });
        if dolev {
            return Theory::Fails;
        }
        let complete = built.schedule.as_ref().is_some_and(|s| s.gaps().is_empty());
        let p = built.p;
        combine(cell.placements.iter().map(|t| {
            if complete && (t.is_empty() || (p >= 3 * m && m >= t.len())) {
                Theory::Holds
            } else {
                Theory::Open
            }
        }))
    }

    fn describe(&self, graph_label: &str) -> String {
        format!(" as OM(m, p) on the {graph_label} graph")
    }

    fn connectivity_bound(&self, f: usize) -> usize {
        2 * f
    }
}

/// OM: the strategy picks each relayed value, path by path, in the frame's
/// canonical order; `None` withholds it.
impl Exposed for OmGeneral {
    fn corrupt(&self, strategy: &mut dyn Strategy, ctx: &mut TraitorCtx<'_>, to: GeneralId, msg: &mut Relays) {
        let (n, round, me) = (ctx.n, ctx.round, ctx.me);
        let mut k = 0;
        for_each_relay(n, round, me, to, |path, _, _| {
            // An honest general has a value for every path (absent = RETREAT).
            let honest = msg.get(k).unwrap_or(Value::Retreat);
            let sent = strategy.value(ctx, to, path, honest);
            msg.set(k, sent);
            k += 1;
        });
    }
}

/// OM(m, p): as under OM, value by value in frame order, each with the
/// path it stands for: on a direct send the chain ending at the traitor
/// (`0:...:me`), on a hop of step 2(A) the chain ending at the path's
/// origin, addressed to the path's end (so a traitor relaying someone
/// else's value decides it as it decides its own).
impl Exposed for OmGraphGeneral {
    fn corrupt(&self, strategy: &mut dyn Strategy, ctx: &mut TraitorCtx<'_>, to: GeneralId, msg: &mut Relays) {
        let (round, me) = (ctx.round, ctx.me);
        let meanings = self.schedule().meanings(round, me, to);
        // A receiver the honest general sends nothing: as many slots, all
        // withheld, for the strategy to fill.
        if msg.len() != meanings.len() {
            *msg = Relays::filled(meanings.len(), None);
        }
        for (k, (path, dest)) in meanings.into_iter().enumerate() {
            let honest = msg.get(k).unwrap_or(Value::Retreat);
            let sent = strategy.value(ctx, dest, path, honest);
            msg.set(k, sent);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_traitor_commander_never_breaks_om_with_a_round() {
        for n in 3..12 {
            for m in 1..4.min(n - 1) {
                assert!(om_traitor_commander_holds(n, 1, m), "n={n} m={m}");
            }
            assert!(!om_traitor_commander_holds(n, 1, 0), "OM(0) n={n}");
        }
    }

    #[test]
    fn theorem_1_implies_the_induction() {
        // n > 3m and k <= m: every placement holds.
        for m in 0..4usize {
            for n in (3 * m + 1)..(3 * m + 6) {
                for k in 0..=m.min(n.saturating_sub(2)) {
                    assert_eq!(Om.placement(n, m, k, true), Theory::Holds, "n={n} m={m} k={k}");
                    assert_eq!(Om.placement(n, m, k, false), Theory::Holds, "n={n} m={m} k={k}");
                }
            }
        }
    }

    #[test]
    fn the_issue_reproducers_predict_holds_for_a_traitor_commander() {
        // commander = "traitor", exactly f: n=3 f=1, n=5 f=2, n=6 f=2.
        assert_eq!(Om.placement(3, 1, 1, true), Theory::Holds);
        assert_eq!(Om.placement(5, 2, 2, true), Theory::Holds);
        assert_eq!(Om.placement(6, 2, 2, true), Theory::Holds);
        // ... and two loyal lieutenants of three with OM(1): 7 generals,
        // a traitor commander and a traitor lieutenant can tie them.
        assert_eq!(Om.placement(7, 1, 2, true), Theory::Fails);
        // Lemma 1: a loyal commander, k = 2, m = 1 needs n > 5.
        assert_eq!(Om.placement(5, 1, 2, false), Theory::Fails);
        assert_eq!(Om.placement(6, 1, 2, false), Theory::Holds);
    }
}
