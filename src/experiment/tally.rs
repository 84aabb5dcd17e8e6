//! What a sweep keeps of its rows: per cell, the counts, sums and the one
//! witness that every table, plot and report needs. A row is folded in and
//! dropped, so a sweep's memory grows with its cells, not with its runs
//! (the rows themselves are on disk, in `runs.csv`).

use super::record::RunRecord;
use crate::types::Counters;
use std::collections::BTreeMap;

/// IC1, IC2 and violation counts over some runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Runs.
    pub runs: usize,
    /// Runs that broke IC1.
    pub ic1: usize,
    /// Runs that broke IC2.
    pub ic2: usize,
    /// Runs that broke either.
    pub violations: usize,
}

impl Counts {
    fn add(&mut self, r: &RunRecord) {
        self.runs += 1;
        self.ic1 += usize::from(!r.agreement);
        self.ic2 += usize::from(!r.validity);
        self.violations += usize::from(r.violation);
    }
}

/// One cell's rows, folded.
#[derive(Clone, Debug, Default)]
pub struct CellTally {
    /// IC1, IC2 and violations over the cell's rows.
    pub counts: Counts,
    /// The first violating row among those with the fewest traitors.
    pub witness: Option<RunRecord>,
    /// (violations, runs) per traitor count.
    pub per_k: BTreeMap<usize, (usize, usize)>,
    /// Counts per strategy (`none` for runs without a traitor).
    pub by_strategy: BTreeMap<String, Counts>,
    /// Every counter, summed over the rows.
    pub counters: Counters,
    /// The most messages a row sent.
    pub max_messages: u64,
    /// Summed virtual time of the last loyal decision.
    pub decision_time_ms: u64,
    /// Loyal decisions made, summed.
    pub decisions: u64,
}

/// Every cell's tally.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// By cell id.
    pub cells: BTreeMap<usize, CellTally>,
    /// Rows folded in.
    pub rows: usize,
}

impl Tally {
    /// Folds one row in.
    pub fn add(&mut self, r: &RunRecord) {
        self.rows += 1;
        let c = self.cells.entry(r.cell).or_default();
        c.counts.add(r);
        if r.violation && c.witness.as_ref().is_none_or(|w| (r.k, r.index) < (w.k, w.index)) {
            c.witness = Some(r.clone());
        }
        let k = c.per_k.entry(r.k).or_default();
        k.0 += usize::from(r.violation);
        k.1 += 1;
        let name = if r.traitors.is_empty() {
            "none"
        } else {
            r.strategy.as_str()
        };
        match c.by_strategy.get_mut(name) {
            Some(s) => s.add(r),
            None => {
                let mut s = Counts::default();
                s.add(r);
                c.by_strategy.insert(name.to_string(), s);
            }
        }
        c.counters.add(&r.counters);
        c.max_messages = c.max_messages.max(r.counters.messages);
        c.decision_time_ms += r.decision_time_ms;
        c.decisions += r.decisions.split(';').filter(|d| !d.is_empty()).count() as u64;
    }

    /// Folds another tally in (of other rows): as if its rows were added.
    pub fn merge(&mut self, other: Tally) {
        self.rows += other.rows;
        for (id, o) in other.cells {
            let c = self.cells.entry(id).or_default();
            let sum = |a: &mut Counts, b: &Counts| {
                a.runs += b.runs;
                a.ic1 += b.ic1;
                a.ic2 += b.ic2;
                a.violations += b.violations;
            };
            sum(&mut c.counts, &o.counts);
            if let Some(w) = o.witness
                && c.witness.as_ref().is_none_or(|x| (w.k, w.index) < (x.k, x.index))
            {
                c.witness = Some(w);
            }
            for (k, (v, t)) in o.per_k {
                let e = c.per_k.entry(k).or_default();
                e.0 += v;
                e.1 += t;
            }
            for (name, b) in o.by_strategy {
                sum(c.by_strategy.entry(name).or_default(), &b);
            }
            c.counters.add(&o.counters);
            c.max_messages = c.max_messages.max(o.max_messages);
            c.decision_time_ms += o.decision_time_ms;
            c.decisions += o.decisions;
        }
    }

    /// A tally of these rows.
    pub fn of<'a>(rows: impl IntoIterator<Item = &'a RunRecord>) -> Tally {
        let mut t = Tally::default();
        for r in rows {
            t.add(r);
        }
        t
    }

    /// Cell `id`'s tally, if it has rows.
    pub fn cell(&self, id: usize) -> Option<&CellTally> {
        self.cells.get(&id)
    }
}
