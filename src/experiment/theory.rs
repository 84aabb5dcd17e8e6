//! What the paper predicts for a cell, from the placements its runs use.
//!
//! The theorems are quantified: Theorem 1 speaks of *at most m* traitors
//! wherever they sit, the impossibility results say that *some* placement
//! and behaviour defeats every algorithm. A cell's prediction is therefore
//! built from the traitor placements that actually ran (a sampled cell may
//! place only loyal commanders), one placement at a time:
//!
//! * **Loyal commander, k traitors.** OM(m): Lemma 1 (IC2 holds with more
//!   than 2k + m generals); with n <= 2k + m byzlab predicts a break (the
//!   converse is byzlab's, checked in `results/lemma1`). SM(m): the
//!   commander's signed order reaches every lieutenant in round 1 and no
//!   traitor can forge another (A4): holds.
//! * **Traitor commander, k traitors.** OM(m): the induction of Theorem 1's
//!   proof. The lieutenants run OM(m - 1) among n - 1 generals, k - 1 of them
//!   traitors; every loyal lieutenant gets the same vector, hence the same
//!   majority, when OM(m - 1) keeps IC2 for each loyal sub-commander
//!   (Lemma 1: n - 1 > 2(k - 1) + m - 1) and IC1 for each traitor
//!   sub-commander (the same question one level down); OM(0) with a traitor
//!   commander and two loyal lieutenants breaks (it sends them different
//!   orders). Where that induction fails, the commander makes the loyal
//!   lieutenants' majorities tie and the sub-level's break decides: byzlab
//!   predicts a break (its own claim, checked by the exhaustive search in
//!   `tests/it/bounds_small.rs`). SM(m): Theorem 2 with k <= m; with
//!   k > m a chain of m + 1 traitor signatures revealed to one loyal
//!   lieutenant in the last round breaks it (`late-reveal`).
//! * **Section 5's graphs.** OM(m, p): Theorem 3 (p >= 3m, k <= m, every
//!   regular set of Definition 1 there); Dolev's bound (connectivity
//!   <= 2k) says that *some* placement of k traitors defeats every
//!   algorithm, so it predicts a break only for a cell that ran every
//!   placement of k traitors. SM on a graph: Theorem 4 (m >= k + d - 1, d
//!   the loyal subgraph's diameter); traitors that cut a loyal commander off
//!   a loyal lieutenant break IC2 by silence.
//!
//! A cell holds in theory when every placement it ran holds, fails when one
//! of them fails, and is open otherwise. Benign faults (crash, recovery,
//! omission) are behaviours a traitor could choose: what is proven against
//! traitors holds against them, and a lower bound says nothing about them.

use super::spec::FaultKind;
use crate::graph::GraphSpec;
use crate::link::LinkSpec;
use crate::timing::{Timing, TimingModel};
use crate::types::{Algorithm, COMMANDER, GeneralId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// What the paper predicts for a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theory {
    /// IC1 and IC2 must hold in every run.
    Holds,
    /// Some traitor behaviour must break IC1 or IC2.
    Fails,
    /// No theorem speaks to this cell (arbitrary links, m > f with n <= 3m).
    Open,
}

impl Theory {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Theory::Holds => "holds",
            Theory::Fails => "fails",
            Theory::Open => "open",
        }
    }
}

/// What a cell's prediction depends on, besides its placements.
pub struct CellFacts<'a> {
    /// Algorithm.
    pub algorithm: Algorithm,
    /// Link.
    pub link: &'a LinkSpec,
    /// Communication graph.
    pub graph: &'a GraphSpec,
    /// Timing.
    pub timing: &'a Timing,
    /// What the placed generals do.
    pub fault: FaultKind,
    /// Generals.
    pub n: usize,
    /// The m its runs use.
    pub m: usize,
    /// Whether placements of both kinds (loyal and traitor commander) run.
    pub commander_either: bool,
}

/// C(n, k), saturating.
pub fn binomial(n: usize, k: usize) -> u64 {
    let k = k.min(n - k.min(n));
    (0..k).fold(1u64, |acc, i| acc.saturating_mul((n - i) as u64) / (i as u64 + 1))
}

/// Whether the theorems' synchronous rounds hold: every loyal frame in
/// time. True under sync, or from time 0 under partial with GST = 0, when
/// the timeout covers delta.
pub fn synchronous(timing: &Timing) -> bool {
    timing.timeout >= timing.delta
        && match timing.model {
            TimingModel::Sync => true,
            TimingModel::Partial => timing.gst == 0,
            TimingModel::Async => false,
        }
}

/// The prediction for one placement of `k` traitors on the complete graph,
/// `commander_traitor` saying whether the commander is one of them, for
/// OM(m) or SM(m) among `n` generals.
pub fn placement(alg: Algorithm, n: usize, m: usize, k: usize, commander_traitor: bool) -> Theory {
    if k == 0 {
        return Theory::Holds;
    }
    match (alg, commander_traitor) {
        // Lemma 1 (and byzlab's converse).
        (Algorithm::Om, false) => {
            if n > 2 * k + m {
                Theory::Holds
            } else {
                Theory::Fails
            }
        }
        (Algorithm::Om, true) => {
            if om_traitor_commander_holds(n, k, m) {
                Theory::Holds
            } else {
                Theory::Fails
            }
        }
        // A4: a loyal commander's order cannot be forged.
        (Algorithm::Sm, false) => Theory::Holds,
        // Theorem 2; the late reveal with k > m.
        (Algorithm::Sm, true) => {
            if k <= m {
                Theory::Holds
            } else {
                Theory::Fails
            }
        }
    }
}

/// Theorem 1's induction for a traitor commander among `n` generals, `k`
/// traitors in all (the commander one of them), OM(m): do the loyal
/// lieutenants agree whatever the traitors do?
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

/// A cell's prediction from the placements its runs use (each the
/// generals placed as traitors or, for benign faults, as failing).
pub fn cell(facts: &CellFacts<'_>, placements: impl Iterator<Item = Vec<GeneralId>>) -> Theory {
    if *facts.link != LinkSpec::Authenticated || !synchronous(facts.timing) {
        return Theory::Open;
    }
    let placements: BTreeSet<Vec<GeneralId>> = placements
        .map(|mut p| {
            p.sort_unstable();
            p
        })
        .collect();
    let theory = if facts.graph.is_complete() {
        combine(
            placements
                .iter()
                .map(|p| placement(facts.algorithm, facts.n, facts.m, p.len(), p.contains(&COMMANDER))),
        )
    } else {
        graph(facts, &placements)
    };
    // A lower bound against traitors says nothing about benign faults.
    if facts.fault != FaultKind::Byzantine && theory == Theory::Fails {
        Theory::Open
    } else {
        theory
    }
}

/// Fails if one placement fails; holds if every one holds; open otherwise.
fn combine(each: impl Iterator<Item = Theory>) -> Theory {
    let mut all_hold = true;
    for t in each {
        match t {
            Theory::Fails => return Theory::Fails,
            Theory::Open => all_hold = false,
            Theory::Holds => {}
        }
    }
    if all_hold { Theory::Holds } else { Theory::Open }
}

/// Section 5: OM(m, p) and SM(m) on an incomplete graph.
fn graph(cell: &CellFacts<'_>, placements: &BTreeSet<Vec<GeneralId>>) -> Theory {
    let m = cell.m;
    // What the runs themselves use (a schedule too big to plan: no
    // prediction; its runs fail validation with the numbers).
    let Ok(built) = crate::run::built(cell.graph, cell.n, cell.algorithm, m) else {
        return Theory::Open;
    };
    if !built.connected {
        return Theory::Open;
    }
    let g = &built.graph;
    match cell.algorithm {
        Algorithm::Om => {
            // Dolev: some placement of k traitors defeats every algorithm
            // when connectivity <= 2k; only a cell that ran every placement
            // of k traitors (either kind of commander) must contain it.
            let n = cell.n;
            let dolev = (1..=n.saturating_sub(2)).any(|k| {
                built.connectivity <= 2 * k && cell.commander_either && {
                    let ran = placements.iter().filter(|p| p.len() == k).count() as u64;
                    ran == binomial(n, k)
                }
            });
            if dolev {
                return Theory::Fails;
            }
            let complete = built.schedule.as_ref().is_some_and(|s| s.gaps().is_empty());
            let p = built.p;
            combine(placements.iter().map(|t| {
                if complete && (t.is_empty() || (p >= 3 * m && m >= t.len())) {
                    Theory::Holds
                } else {
                    Theory::Open
                }
            }))
        }
        Algorithm::Sm => combine(placements.iter().map(|t| {
            let loyal: Vec<GeneralId> = (0..cell.n as GeneralId).filter(|g| !t.contains(g)).collect();
            match g.diameter_within(&loyal) {
                // A loyal commander cut off a loyal lieutenant: silence
                // breaks IC2.
                None if !t.contains(&COMMANDER) => Theory::Fails,
                None => Theory::Open,
                Some(d) if m + 1 >= t.len() + d => Theory::Holds,
                Some(_) => Theory::Open,
            }
        })),
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
                    assert_eq!(
                        placement(Algorithm::Om, n, m, k, true),
                        Theory::Holds,
                        "n={n} m={m} k={k}"
                    );
                    assert_eq!(
                        placement(Algorithm::Om, n, m, k, false),
                        Theory::Holds,
                        "n={n} m={m} k={k}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_issue_reproducers_predict_holds_for_a_traitor_commander() {
        // commander = "traitor", exactly f: n=3 f=1, n=5 f=2, n=6 f=2.
        assert_eq!(placement(Algorithm::Om, 3, 1, 1, true), Theory::Holds);
        assert_eq!(placement(Algorithm::Om, 5, 2, 2, true), Theory::Holds);
        assert_eq!(placement(Algorithm::Om, 6, 2, 2, true), Theory::Holds);
        // ... and two loyal lieutenants of three with OM(1): 7 generals,
        // a traitor commander and a traitor lieutenant can tie them.
        assert_eq!(placement(Algorithm::Om, 7, 1, 2, true), Theory::Fails);
        // SM: a loyal commander holds whatever m; the late reveal needs k > m.
        assert_eq!(placement(Algorithm::Sm, 5, 0, 1, false), Theory::Holds);
        assert_eq!(placement(Algorithm::Sm, 5, 0, 1, true), Theory::Fails);
    }

    #[test]
    fn combining_placements() {
        use Theory::*;
        assert_eq!(combine([Holds, Holds].into_iter()), Holds);
        assert_eq!(combine([Holds, Open].into_iter()), Open);
        assert_eq!(combine([Open, Fails, Holds].into_iter()), Fails);
    }
}
