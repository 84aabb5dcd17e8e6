//! A cell's results: its rows joined to the planned cell, its verdict, and
//! the tables cells are grouped into. Plots and reports both start here.

use super::plan::{Cell, ExperimentPlan, Theory};
use super::record::RunRecord;
use super::spec::MRule;
use super::tally::{CellTally, Counts, Tally};
use crate::timing::Timing;
use crate::types::Algorithm;

/// A cell's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellVerdict {
    /// Every run kept IC1 and IC2.
    Holds,
    /// Some run broke IC1 or IC2.
    Violated,
    /// No run broke IC1 or IC2, but some ended with a loyal lieutenant
    /// undecided (an asynchronous algorithm at its budget, or with nothing
    /// left to happen).
    Undecided,
    /// The cell cannot be run (see its reason).
    NotApplicable,
    /// No rows for the cell (another shard's, or not run yet).
    NotRun,
}

/// A cell and what its rows say.
#[derive(Clone, Debug)]
pub struct CellResult {
    /// The planned cell.
    pub cell: Cell,
    /// Rows found.
    pub runs: usize,
    /// Rows breaking IC1.
    pub ic1: usize,
    /// Rows breaking IC2.
    pub ic2: usize,
    /// Rows breaking either.
    pub violations: usize,
    /// Rows breaking neither, with a loyal lieutenant undecided.
    pub undecided: usize,
    /// First violating row among those with the fewest traitors.
    pub witness: Option<RunRecord>,
    /// The traitor count whose runs broke IC1 or IC2 most often (by share
    /// of its runs; the smaller k on a tie); `None` when none did.
    pub worst_k: Option<usize>,
    /// The fewest traitors that broke IC1 or IC2 in some run.
    pub least_k: Option<usize>,
    /// Verdict.
    pub verdict: CellVerdict,
}

/// How a cell's verdict compares with what the paper predicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// As predicted (✓).
    Agrees,
    /// Against the prediction (✗): a violation where the theory says
    /// holds, or an exhaustive search that found none where it says fails.
    Against,
    /// A sampled search found no violation where the theory predicts one:
    /// the portfolio missed the attack, which says nothing about the
    /// algorithm (?).
    Inconclusive,
    /// No theorem speaks, or the cell did not run.
    NoTheory,
}

impl Check {
    /// `true`, `false`, `inconclusive` or empty, as in cells.csv.
    pub fn as_str(self) -> &'static str {
        match self {
            Check::Agrees => "true",
            Check::Against => "false",
            Check::Inconclusive => "inconclusive",
            Check::NoTheory => "",
        }
    }

    /// The mark beside a cell in tables: ✓, ✗, ? or nothing.
    pub fn mark(self) -> &'static str {
        match self {
            Check::Agrees => " ✓",
            Check::Against => " ✗",
            Check::Inconclusive => " ?",
            Check::NoTheory => "",
        }
    }
}

impl CellResult {
    /// How the verdict compares with the paper's prediction.
    pub fn check(&self) -> Check {
        use super::plan::Search;
        match (self.cell.theory, self.verdict) {
            (Theory::Holds, CellVerdict::Holds) | (Theory::Fails, CellVerdict::Violated) => Check::Agrees,
            (Theory::Holds, CellVerdict::Violated) => Check::Against,
            // Only an exhaustive search that breaks nothing refutes a
            // predicted break.
            (Theory::Fails, CellVerdict::Holds) if self.cell.search == Search::Exhaustive => Check::Against,
            (Theory::Fails, CellVerdict::Holds) => Check::Inconclusive,
            _ => Check::NoTheory,
        }
    }

    /// Whether the verdict agrees with the paper (`None` where it says
    /// nothing, or where a sampled search is inconclusive).
    pub fn agrees(&self) -> Option<bool> {
        match self.check() {
            Check::Agrees => Some(true),
            Check::Against => Some(false),
            Check::Inconclusive | Check::NoTheory => None,
        }
    }

    /// `holds (0/N)`, `violated (k/N)`, `undecided (k/N)`, `n/a`, `not run`.
    pub fn short(&self) -> String {
        match self.verdict {
            CellVerdict::Holds => format!("holds (0/{})", self.runs),
            CellVerdict::Violated => format!("violated ({}/{})", self.violations, self.runs),
            CellVerdict::Undecided => format!("undecided ({}/{})", self.undecided, self.runs),
            CellVerdict::NotApplicable => "n/a".into(),
            CellVerdict::NotRun => "not run".into(),
        }
    }

    /// Witness file name, relative to the results folder.
    pub fn witness_file(&self) -> Option<String> {
        self.witness
            .as_ref()
            .map(|_| format!("witnesses/cell-{}.json", self.cell.id))
    }
}

/// Joins the rows' tally to the cells.
pub fn cell_results(plan: &ExperimentPlan, tally: &Tally) -> Vec<CellResult> {
    plan.cells
        .iter()
        .map(|cell| {
            let empty = CellTally::default();
            let t = tally.cell(cell.id).unwrap_or(&empty);
            let Counts {
                runs,
                ic1,
                ic2,
                violations,
                undecided,
            } = t.counts;
            let witness = t.witness.clone();
            // Largest share v/t first (compared as v * t' against v' * t),
            // then the smaller k.
            let worst_k = t
                .per_k
                .iter()
                .filter(|(_, (v, _))| *v > 0)
                .max_by(|(ka, (va, ta)), (kb, (vb, tb))| (va * tb).cmp(&(vb * ta)).then(kb.cmp(ka)))
                .map(|(k, _)| *k);
            let least_k = witness.as_ref().map(|w| w.k);
            let verdict = if cell.skip.is_some() {
                CellVerdict::NotApplicable
            } else if runs == 0 {
                CellVerdict::NotRun
            } else if violations > 0 {
                CellVerdict::Violated
            } else if undecided > 0 {
                CellVerdict::Undecided
            } else {
                CellVerdict::Holds
            };
            CellResult {
                cell: cell.clone(),
                runs,
                ic1,
                ic2,
                violations,
                undecided,
                witness,
                worst_k,
                least_k,
                verdict,
            }
        })
        .collect()
}

/// One strategy's runs in one cell: the rows of `strategies.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StrategyResult {
    /// The cell's id.
    pub cell: usize,
    /// The strategy as `runs.csv` names it (`split-brain`, `scripted:NAME`,
    /// `enumerated`, or `none` for runs without traitors).
    pub strategy: String,
    /// Its runs in the cell.
    pub runs: usize,
    /// Runs that broke IC1.
    pub ic1: usize,
    /// Runs that broke IC2.
    pub ic2: usize,
    /// Runs that broke either.
    pub violations: usize,
}

/// Rows per (cell, strategy), cells in plan order, strategies by name.
pub fn strategy_results(tally: &Tally) -> Vec<StrategyResult> {
    let mut out = Vec::new();
    for (&cell, t) in &tally.cells {
        for (name, c) in &t.by_strategy {
            out.push(StrategyResult {
                cell,
                strategy: name.clone(),
                runs: c.runs,
                ic1: c.ic1,
                ic2: c.ic2,
                violations: c.violations,
            });
        }
    }
    out
}

/// Cells grouped into tables: one per (algorithm, link, graph, m rule, timing), in
/// plan order.
pub fn groups(results: &[CellResult]) -> Vec<Group<'_>> {
    let mut out: Vec<Group<'_>> = Vec::new();
    for c in results {
        let link = c.cell.link_label();
        let same = |g: &&mut Group<'_>| {
            g.algorithm == c.cell.algorithm
                && g.link == link
                && g.graph == c.cell.graph
                && g.m_rule == c.cell.m_rule
                && g.timing == c.cell.timing
                && g.fault == c.cell.fault
        };
        match out.iter_mut().find(same) {
            Some(g) => g.cells.push(c),
            None => out.push(Group {
                algorithm: c.cell.algorithm,
                link,
                graph: c.cell.graph.clone(),
                m_rule: c.cell.m_rule,
                timing: c.cell.timing,
                fault: c.cell.fault,
                cells: vec![c],
            }),
        }
    }
    out
}

/// One verdict table: the cells of one algorithm, link, m rule and timing.
pub struct Group<'a> {
    /// OM or SM.
    pub algorithm: Algorithm,
    /// The link, as its label.
    pub link: String,
    /// The communication graph.
    pub graph: crate::graph::GraphSpec,
    /// How m follows f.
    pub m_rule: MRule,
    /// The timing.
    pub timing: Timing,
    /// What the placed generals do.
    pub fault: super::spec::FaultKind,
    /// Its cells, in plan order.
    pub cells: Vec<&'a CellResult>,
}

impl Group<'_> {
    /// `OM(m = f), authenticated links`.
    pub fn title(&self) -> String {
        let timing = if self.timing == Timing::default() {
            String::new()
        } else {
            format!(", {}", super::plan::timing_label(&self.timing))
        };
        let fault = match self.fault {
            super::spec::FaultKind::Byzantine => String::new(),
            other => format!(", {} failures instead of traitors", other.as_str()),
        };
        let graph = match (&self.graph, self.algorithm.on_graphs()) {
            (g, _) if g.is_complete() => String::new(),
            (g, Some(on)) => on.describe(&g.label()),
            (g, None) => format!(" on the {} graph", g.label()),
        };
        format!(
            "{}{graph}, {} links{timing}{fault}",
            self.algorithm.label(&self.m_rule.label()),
            self.link
        )
    }
}
