//! What a sweep keeps of its rows: per cell, the counts, sums and the one
//! witness that every table, plot and report needs. A row is folded in and
//! dropped, so a sweep's memory grows with its cells, not with its runs
//! (the rows themselves are on disk, in `runs.csv`).

use super::ExperimentError;
use super::record::{self, RunRecord};
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
    /// Runs that broke neither but ended with a loyal lieutenant undecided
    /// (asynchronous algorithms: non-termination, counted apart from
    /// safety).
    pub undecided: usize,
}

impl Counts {
    fn add(&mut self, r: &RunRecord) {
        self.runs += 1;
        self.ic1 += usize::from(!r.agreement);
        self.ic2 += usize::from(!r.validity);
        self.violations += usize::from(r.violation);
        self.undecided += usize::from(!r.violation && r.undecided());
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
    /// Counts per commander's order (absence reads as retreat, so an
    /// order of retreat keeps IC2 where a lost attack breaks it: a share
    /// over both orders hides that).
    pub by_order: BTreeMap<crate::types::Value, Counts>,
    /// Every counter, summed over the rows.
    pub counters: Counters,
    /// The most messages a row sent.
    pub max_messages: u64,
    /// The most rounds a row took.
    pub max_rounds: u32,
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
        c.by_order.entry(r.value).or_default().add(r);
        c.counters.add(&r.counters);
        c.max_messages = c.max_messages.max(r.counters.messages);
        c.max_rounds = c.max_rounds.max(r.rounds);
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
                a.undecided += b.undecided;
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
            for (value, b) in o.by_order {
                sum(c.by_order.entry(value).or_default(), &b);
            }
            c.counters.add(&o.counters);
            c.max_messages = c.max_messages.max(o.max_messages);
            c.max_rounds = c.max_rounds.max(o.max_rounds);
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

/// Writes the rows of `inputs` (each a runs.csv) into `out` as one file in
/// plan order, each run once (a run found twice must be the same row), and
/// cut at each cell's first violation when `cut`; returns their tally.
/// Files already in plan order (all this version writes) are merged as
/// streams; if one is not (an older byzlab appended rows as they finished,
/// at most 2,000,000 of them), all are sorted in memory. Used by a resumed
/// sweep (one input) and by `merge` (its shards).
pub fn rewrite_in_plan_order(
    inputs: &[std::path::PathBuf],
    out: &std::path::Path,
    cut: bool,
) -> Result<Tally, ExperimentError> {
    use std::io::Write;
    let mut in_order = true;
    // Rows keep the width their inputs have (a plan's, see
    // `record::header`).
    let mut wide = false;
    for p in inputs {
        wide |= record::RunReader::open(p)?.wide;
        let mut last: Option<(usize, usize)> = None;
        record::for_each_run(p, |r| {
            in_order &= last.is_none_or(|l| l < (r.cell, r.index));
            last = Some((r.cell, r.index));
            Ok(())
        })?;
    }
    let io = |e: std::io::Error| ExperimentError::io(out, e);
    let mut w = std::io::BufWriter::new(std::fs::File::create(out).map_err(io)?);
    w.write_all(&record::to_csv(&[], true, wide)).map_err(io)?;
    let mut tally = Tally::default();
    let mut lines = record::Lines::new(wide);
    let mut last: Option<RunRecord> = None;
    // Each cell's first violating index, once seen (when cutting).
    let mut first_violation: BTreeMap<usize, usize> = BTreeMap::new();
    let mut emit = |r: RunRecord, w: &mut std::io::BufWriter<std::fs::File>| -> Result<(), ExperimentError> {
        if let Some(prev) = &last
            && (prev.cell, prev.index) == (r.cell, r.index)
        {
            if *prev != r {
                return Err(ExperimentError::Mismatch(format!(
                    "run {} is in two different rows",
                    r.run_id
                )));
            }
            return Ok(());
        }
        if cut {
            if first_violation.get(&r.cell).is_some_and(|&i| r.index > i) {
                return Ok(());
            }
            if r.violation {
                first_violation.entry(r.cell).or_insert(r.index);
            }
        }
        tally.add(&r);
        if lines.push(&r) > 1 << 20 {
            w.write_all(&std::mem::replace(&mut lines, record::Lines::new(wide)).into_bytes())
                .map_err(io)?;
        }
        last = Some(r);
        Ok(())
    };
    if in_order {
        let mut readers = inputs
            .iter()
            .map(|p| record::RunReader::open(p))
            .collect::<Result<Vec<_>, _>>()?;
        let mut heads: Vec<Option<RunRecord>> = readers.iter_mut().map(|r| r.next_row()).collect::<Result<_, _>>()?;
        while let Some(i) = (0..heads.len())
            .filter(|&i| heads[i].is_some())
            .min_by_key(|&i| heads[i].as_ref().map(|r| (r.cell, r.index)))
        {
            let Some(row) = heads[i].take() else { break };
            heads[i] = readers[i].next_row()?;
            emit(row, &mut w)?;
        }
    } else {
        let mut rows: BTreeMap<(usize, usize), Vec<RunRecord>> = BTreeMap::new();
        for p in inputs {
            record::for_each_run(p, |r| {
                rows.entry((r.cell, r.index)).or_default().push(r);
                Ok(())
            })?;
        }
        for same in rows.into_values() {
            for r in same {
                emit(r, &mut w)?;
            }
        }
    }
    w.write_all(&lines.into_bytes()).map_err(io)?;
    let f = w.into_inner().map_err(|e| io(e.into_error()))?;
    f.sync_all().map_err(io)?;
    Ok(tally)
}
