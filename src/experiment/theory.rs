//! What the paper predicts for a cell, from the placements its runs use.
//!
//! The theorems are quantified: Theorem 1 speaks of *at most m* traitors
//! wherever they sit, the impossibility results say that *some* placement
//! and behaviour defeats every algorithm. A cell's prediction is therefore
//! built from the traitor placements that actually ran (a sampled cell may
//! place only loyal commanders), one placement at a time:
//!
//! Each algorithm states its own theory (`crate::algorithm::Agreement::
//! placement`, and for graphs `OnGraphs::theory`); this module combines
//! the placements of a cell and applies what holds for every algorithm
//! (links, timing, benign faults). OM's and SM's, in their files:
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
use crate::algorithm::{Algorithm, GraphCell};
pub use crate::algorithm::{Theory, binomial, combine};
use crate::graph::GraphSpec;
use crate::link::LinkSpec;
use crate::timing::{Timing, TimingModel};
use crate::types::{COMMANDER, GeneralId};
use std::collections::BTreeSet;

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
/// `alg` with parameter m among `n` generals: the algorithm's own theory.
pub fn placement(alg: Algorithm, n: usize, m: usize, k: usize, commander_traitor: bool) -> Theory {
    if k == 0 {
        return Theory::Holds;
    }
    alg.placement(n, m, k, commander_traitor)
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

/// Section 5: the algorithm's theory on an incomplete graph.
fn graph(cell: &CellFacts<'_>, placements: &BTreeSet<Vec<GeneralId>>) -> Theory {
    // What the runs themselves use (a schedule too big to plan, or an
    // algorithm without graphs: no prediction; its runs fail validation
    // with the reason).
    let Ok(built) = crate::run::built(cell.graph, cell.n, cell.algorithm, cell.m) else {
        return Theory::Open;
    };
    let Some(on) = cell.algorithm.on_graphs() else {
        return Theory::Open;
    };
    if !built.connected {
        return Theory::Open;
    }
    on.theory(&GraphCell {
        n: cell.n,
        m: cell.m,
        commander_either: cell.commander_either,
        built: &built,
        placements,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combining_placements() {
        use Theory::*;
        assert_eq!(combine([Holds, Holds].into_iter()), Holds);
        assert_eq!(combine([Holds, Open].into_iter()), Open);
        assert_eq!(combine([Open, Fails, Holds].into_iter()), Fails);
    }

    #[test]
    fn no_traitor_holds_for_every_algorithm() {
        for alg in crate::algorithm::Algorithms::builtin().entries() {
            assert_eq!(placement(*alg.make(), 4, 1, 0, true), Theory::Holds, "{}", alg.name);
        }
    }
}
