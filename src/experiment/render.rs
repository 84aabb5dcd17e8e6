//! Text renderings of a sweep's results: the verdict tables of summary.md
//! (Markdown) and of the terminal, both from one grid renderer, and the rest
//! of summary.md.

use super::cells::{CellResult, Check, Group, StrategyResult, groups};
use super::plan::{ExperimentPlan, Search};
use super::tally::Tally;
use std::fmt::Write as _;

/// The smallest n at which the paper proves a cell's algorithm works for
/// its f: n = 3f+1 (Theorem 1), or with a loyal commander n = 2f+m+1
/// (Lemma 1, f traitor lieutenants).
pub(crate) fn threshold_n(plan: &ExperimentPlan, cell: &super::plan::Cell) -> usize {
    if !cell.graph.is_complete() {
        return 0; // no such line on another graph (Theorem 3 speaks of p)
    }
    // An algorithm with a bound of its own (phase king: n > 4f).
    if let Some((n, _)) = cell.algorithm.table_bound(cell.f) {
        return n;
    }
    match (plan.spec.commander, cell.run_m()) {
        (super::spec::CommanderRule::Loyal, Some(m)) => cell.f.saturating_mul(2).saturating_add(m).saturating_add(1),
        _ => cell.f.saturating_mul(3).saturating_add(1),
    }
}

/// The threshold line's name in legends (and those of algorithms with a
/// bound of their own).
fn threshold_name(plan: &ExperimentPlan) -> String {
    let paper = match plan.spec.commander {
        super::spec::CommanderRule::Loyal => {
            "n = 2f+m+1 (Lemma 1: OM(m) keeps IC2 with more than 2k+m generals, k = f)"
        }
        _ => "n = 3f+1 (the smallest n for which OM(f) is proven to work)",
    };
    let own: Vec<&str> = plan
        .spec
        .algorithms
        .iter()
        .filter_map(|a| a.table_bound(1).map(|(_, name)| name))
        .collect();
    if own.is_empty() {
        paper.to_string()
    } else {
        format!("{paper}; {}", own.join("; "))
    }
}

/// The n x f grid of one group: rows n, columns f, each cell's text as
/// `text` renders it (given the cell and whether n is on its threshold
/// line, [`threshold_n`]); empty where the plan has no cell.
fn grid(
    group: &Group<'_>,
    plan: &ExperimentPlan,
    text: impl Fn(&CellResult, bool) -> String,
) -> Vec<(usize, Vec<String>)> {
    plan.spec
        .ns
        .iter()
        .map(|&n| {
            let row = plan
                .spec
                .fs
                .iter()
                .map(|&f| {
                    group
                        .cells
                        .iter()
                        .find(|c| c.cell.n == n && c.cell.f == f)
                        .map_or(String::new(), |c| text(c, n == threshold_n(plan, &c.cell)))
                })
                .collect();
            (n, row)
        })
        .collect()
}

/// The verdict tables of summary.md, one per group, as Markdown.
fn markdown_tables(s: &mut String, plan: &ExperimentPlan, results: &[CellResult], tally: &Tally) {
    for group in groups(results) {
        let _ = writeln!(s, "## {}\n", group.title());
        let fs = &plan.spec.fs;
        let _ = write!(s, "| n \\ f |");
        for f in fs {
            let _ = write!(s, " {f} |");
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "|---|{}", "---|".repeat(fs.len()));
        let rows = grid(&group, plan, |c, bold| {
            let mark = c.check().mark();
            let search = match c.cell.search {
                Search::Exhaustive => " E",
                Search::Sampled => " S",
                Search::None => "",
            };
            let k = match (c.worst_k, plan.spec.traitors) {
                (Some(k), super::spec::TraitorCount::AtMostF) => format!(" k={k}"),
                _ => String::new(),
            };
            let body = format!("{}{k}{search}{mark}", c.short());
            if bold { format!("**{body}**") } else { body }
        });
        for (n, row) in rows {
            let _ = write!(s, "| {n} |");
            for text in row {
                let _ = write!(s, " {text} |");
            }
            let _ = writeln!(s);
        }
        let _ = writeln!(s);
        group_notes(s, &group, tally);
    }
}

/// What the link adversary did and what signatures cost, for one group.
fn group_notes(s: &mut String, group: &Group<'_>, tally: &Tally) {
    let mut total = crate::types::Counters::default();
    for c in &group.cells {
        if let Some(t) = tally.cell(c.cell.id) {
            total.add(&t.counters);
        }
    }
    let sum = |f: fn(&crate::types::Counters) -> u64| f(&total);
    let tampered = sum(|c| c.link_tampered);
    if tampered + sum(|c| c.link_dropped) + sum(|c| c.link_injected) > 0 {
        let _ = writeln!(
            s,
            "Link adversary: {} frames altered (bytes changed or sender spoofed), and receivers took an altered value \
             from {} of them; {} frames dropped; {} old frames replayed. Receivers refused {} frames and {} signed orders.\n",
            tampered,
            sum(|c| c.tampered_accepted),
            sum(|c| c.link_dropped),
            sum(|c| c.link_injected),
            sum(|c| c.frames_rejected),
            sum(|c| c.orders_rejected),
        );
    }
    if group.algorithm.signed() {
        let _ = writeln!(
            s,
            "Signatures: {} made, {} verified; forged signatures accepted (audited against the run's signature ledger): {}.\n",
            sum(|c| c.signatures_made),
            sum(|c| c.signatures_verified),
            sum(|c| c.forgeries_accepted),
        );
    }
}

/// Each shrunk witness's cell: `N deviations -> K` (before and after).
pub(crate) type Shrunk = std::collections::BTreeMap<usize, String>;

/// summary.md: what was run, the verdict tables, cells against the theory,
/// witnesses (and how far each shrank) and plots.
#[allow(clippy::too_many_arguments)]
pub(crate) fn summary_md(
    plan: &ExperimentPlan,
    results: &[CellResult],
    by_strategy: &[StrategyResult],
    tally: &Tally,
    command: &str,
    shard: Option<(usize, usize)>,
    svgs: &[String],
    shrunk: &Shrunk,
    explored: &std::collections::BTreeSet<String>,
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {}\n", plan.spec.name);
    if !plan.spec.description.is_empty() {
        let _ = writeln!(s, "{}\n", plan.spec.description.trim());
    }
    let _ = writeln!(
        s,
        "Made by `{command}` with byzlab {} (plan fingerprint `{}`): {} runs in {} cells{}{}.\n",
        env!("CARGO_PKG_VERSION"),
        plan.fingerprint,
        tally.rows,
        results.len(),
        // As the console counts them: every cell, those with no run named.
        match results.iter().filter(|c| c.runs == 0).count() {
            0 => String::new(),
            k => format!(" ({k} of them without a run: n/a or not run)"),
        },
        shard.map_or(String::new(), |(i, n)| format!(", shard {i} of {n}")),
    );
    if !plan.spec.signatures.is_default() && plan.spec.algorithms.iter().any(|a| a.signed()) {
        let _ = writeln!(
            s,
            "SM ran with **{} signatures**: unforgeable by construction, each checked against the run's ledger of \
             what every general signed (the paper's A4 without curve arithmetic; the same outcomes as ed25519).\n",
            plan.spec.signatures
        );
    }
    let quantifier = match plan.spec.traitors {
        super::spec::TraitorCount::AtMostF => {
            "**At most f traitors**, as the theorems say: a cell (n, f) runs every traitor count k = 0..f (up to n-2: \
             fewer than two loyal generals cannot disagree), every placement of each, and its verdict is the worst; \
             `k=K` after a violated cell is the count that broke it most often (`worst_k` in cells.csv, the fewest \
             that broke it `least_k`; every row's k is in runs.csv)."
        }
        super::spec::TraitorCount::ExactlyF => {
            "**Exactly f traitors** in every run (`traitors = \"exactly-f\"`): a cell where f traitors leave fewer \
             than two loyal generals is n/a."
        }
    };
    let commander = match plan.spec.commander {
        super::spec::CommanderRule::Either => "",
        super::spec::CommanderRule::Loyal => " The commander is always loyal, so only IC2 is at stake.",
        super::spec::CommanderRule::Traitor => " The commander is always a traitor, so only IC1 is at stake.",
    };
    let _ = writeln!(s, "{quantifier}{commander}\n");
    let _ = writeln!(
        s,
        "Each cell reads `holds (0/N)` when all N runs kept IC1 (agreement) and IC2 (validity), or `violated (v/N)` \
         when v runs broke one. Cells on the **{}** line are in bold. OM(m) and SM(m) with m > n-2 run as m = n-2 \
         (no chain of more than n-1 distinct generals exists). \
         ✓ = as the paper predicts, ✗ = against it (a bug to find), ? = inconclusive (the theory predicts a break that \
         the sampled strategies did not find: a weak portfolio, not a fault of the algorithm), no mark = no theorem \
         applies. The prediction uses the traitor placements the cell ran (see experiments/README.md, \"The theory \
         column\"). Search: E = exhaustive \
         over every traitor behaviour (OM: every value of every message; SM: every round in which the coalition first \
         hands each loyal lieutenant each value, which is all it can do to their decisions), S = sampled portfolio.\n",
        threshold_name(plan)
    );
    if plan.spec.graphs.iter().any(|g| !g.is_complete()) {
        graph_table(&mut s, plan);
    }
    if plan.spec.timings.len() > 1 {
        timing_tables(&mut s, plan, tally);
    }
    markdown_tables(&mut s, plan, results, tally);
    let against: Vec<&CellResult> = results.iter().filter(|c| c.agrees() == Some(false)).collect();
    if against.is_empty() {
        let _ = writeln!(s, "Every cell the paper speaks to agrees with it.\n");
    } else {
        let _ = writeln!(s, "**Cells against the theory:**\n");
        for c in against {
            let _ = writeln!(
                s,
                "- {}: {} (theory: {})",
                c.cell.label(),
                c.short(),
                c.cell.theory.as_str()
            );
        }
        let _ = writeln!(s);
    }
    let inconclusive: Vec<&CellResult> = results.iter().filter(|c| c.check() == Check::Inconclusive).collect();
    if !inconclusive.is_empty() {
        let _ = writeln!(
            s,
            "**Inconclusive cells** (the theory predicts a break; the sampled strategies found none: try more \
             placements, seeds or strategies, or an exhaustive search):\n"
        );
        for c in inconclusive {
            let _ = writeln!(s, "- {}: {}", c.cell.label(), c.short());
        }
        let _ = writeln!(s);
    }
    breakers(&mut s, results, by_strategy, shrunk, explored);
    let witnesses: Vec<&CellResult> = results.iter().filter(|c| c.witness.is_some()).collect();
    if !witnesses.is_empty() {
        let _ = writeln!(
            s,
            "Witnesses (rerun one with `byzlab replay FILE`): {} files in `witnesses/`.\n",
            witnesses.len()
        );
        if !shrunk.is_empty() {
            let _ = writeln!(
                s,
                "Each is also shrunk (`cell-K.shrunk.json`, `byzlab shrink FILE`): the same run with its traitors \
                 kept to a 1-minimal set of deviations that still violates (restore any one to honest and the \
                 violation is gone); \"N deviations -> K\" above counts the values sent other than honestly or \
                 withheld, the signed orders changed, forged or added to, and the frames an `arbitrary` link's \
                 adversary altered, before and after.\n"
            );
        }
    }
    for svg in svgs {
        let _ = writeln!(s, "![{svg}]({svg})\n");
    }
    s
}

/// What section 5's theorems need to know of each graph at each n: its
/// regularity p (Definition 1), its connectivity κ and its diameter.
fn graph_table(s: &mut String, plan: &ExperimentPlan) {
    let _ = writeln!(
        s,
        "**The graphs** (section 5). p: the largest p for which the graph is p-regular (every node has a regular set of \
         p neighbours, Definition 1; OM(m, p) needs p >= 3m, Theorem 3, and runs with p = P on `regular:P`); κ: \
         connectivity (Dolev's bound: with oral messages some placement of f traitors defeats every algorithm when κ <= 2f; with signatures, when κ <= f); d: diameter (with no \
         traitor; Theorem 4's d is that of the loyal generals' subgraph, per placement). OM(m, p)'s rounds are \
         m + the longest relay path.\n"
    );
    let _ = writeln!(s, "| graph | n | p | κ | d |");
    let _ = writeln!(s, "|---|---|---|---|---|");
    for g in plan.spec.graphs.iter().filter(|g| !g.is_complete()) {
        for &n in &plan.spec.ns {
            match g.build(n) {
                Ok(graph) => {
                    let all: Vec<crate::types::GeneralId> = (0..n as crate::types::GeneralId).collect();
                    let d = graph
                        .diameter_within(&all)
                        .map_or("disconnected".to_string(), |d| d.to_string());
                    let _ = writeln!(
                        s,
                        "| {} | {n} | {} | {} | {d} |",
                        g.label(),
                        graph.regularity(),
                        graph.connectivity()
                    );
                }
                Err(e) => {
                    let _ = writeln!(s, "| {} | {n} | n/a: {e} | | |", g.label());
                }
            }
        }
    }
    let _ = writeln!(s);
}

/// Which strategies broke each violated cell (from `strategies.csv`): one
/// line per cell, strategies with their share of violating runs, most
/// first; the cell's witness file at the end.
fn breakers(
    s: &mut String,
    results: &[CellResult],
    by_strategy: &[StrategyResult],
    shrunk: &Shrunk,
    explored: &std::collections::BTreeSet<String>,
) {
    let violated: Vec<&CellResult> = results.iter().filter(|c| c.violations > 0).collect();
    if violated.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "**Which strategies broke each violated cell** (violating runs / runs of that strategy; \
         all of them in `strategies.csv`):\n"
    );
    for c in violated {
        let mut hits: Vec<&StrategyResult> = by_strategy
            .iter()
            .filter(|x| x.cell == c.cell.id && x.violations > 0)
            .collect();
        hits.sort_by_key(|x| std::cmp::Reverse(x.violations));
        let list: Vec<String> = hits
            .iter()
            .map(|x| format!("{} {}/{}", x.strategy, x.violations, x.runs))
            .collect();
        let witness = c.witness_file().map_or(String::new(), |w| {
            let small = shrunk.get(&c.cell.id).map_or(String::new(), |headline| {
                let small = w.replace(".json", ".shrunk.json");
                let page = if explored.contains(&small) {
                    format!(", [its explorer]({})", w.replace(".json", ".shrunk.html"))
                } else {
                    String::new()
                };
                format!(
                    ", [shrunk: {headline}]({small}), [its diagram]({}){page}",
                    w.replace(".json", ".shrunk.svg")
                )
            });
            let page = if explored.contains(&w) {
                format!(", [explorer]({})", w.replace(".json", ".html"))
            } else {
                String::new()
            };
            format!(
                " ([witness]({w}), [diagram]({}){page}{small})",
                w.replace(".json", ".svg")
            )
        });
        let _ = writeln!(s, "- {}: {}{witness}", c.cell.label(), list.join(", "));
    }
    let _ = writeln!(s);
}

/// The verdict table printed at the end of a sweep.
pub fn verdict_table(results: &[CellResult], plan: &ExperimentPlan) -> String {
    let mut s = String::new();
    for group in groups(results) {
        let line = match plan.spec.commander {
            super::spec::CommanderRule::Loyal => "n = 2f+m+1",
            _ => "n = 3f+1",
        };
        let _ = writeln!(s, "{}  (rows n, columns f; * marks {line})", group.title());
        let _ = write!(s, "{:>6}", "n\\f");
        for f in &plan.spec.fs {
            let _ = write!(s, " {:>20}", f);
        }
        let _ = writeln!(s);
        let rows = grid(&group, plan, |c, star| {
            let mark = match c.check() {
                Check::Against => "!",
                Check::Inconclusive => "?",
                _ => "",
            };
            format!("{}{}{mark}", if star { "*" } else { "" }, c.short())
        });
        for (n, row) in rows {
            let _ = write!(s, "{n:>6}");
            for text in row {
                let _ = write!(s, " {text:>20}");
            }
            let _ = writeln!(s);
        }
        let _ = writeln!(s);
    }
    let against = results.iter().filter(|c| c.check() == Check::Against).count();
    let inconclusive = results.iter().filter(|c| c.check() == Check::Inconclusive).count();
    let _ = writeln!(
        s,
        "{} cells against the theory{}{}",
        against,
        if against > 0 { " (marked !): see summary.md" } else { "" },
        if inconclusive > 0 {
            format!("; {inconclusive} inconclusive (marked ?: a predicted break the sampled strategies did not find)")
        } else {
            String::new()
        }
    );
    s
}

/// With several timings: per algorithm, a table of timeout (rows) by timing
/// model (columns): violating runs and the mean time of the last loyal
/// decision, over every cell of that timing (the numbers behind the
/// timing plots).
fn timing_tables(s: &mut String, plan: &ExperimentPlan, tally: &Tally) {
    use crate::timing::TimingModel;
    let label = |t: &crate::timing::Timing| match t.model {
        TimingModel::Partial => format!("partial, GST {} ms", t.gst),
        other => format!("{other}, delta {} ms", t.delta),
    };
    for &alg in &plan.spec.algorithms {
        // (cell, its tally) of this algorithm's cells that have rows.
        let rows: Vec<(&super::plan::Cell, &super::tally::CellTally)> = plan
            .cells
            .iter()
            .filter(|c| c.algorithm == alg)
            .filter_map(|c| tally.cell(c.id).map(|t| (c, t)))
            .collect();
        let mut columns: Vec<String> = Vec::new();
        let mut timeouts: Vec<u64> = Vec::new();
        for (c, _) in &rows {
            if !columns.contains(&label(&c.timing)) {
                columns.push(label(&c.timing));
            }
            if !timeouts.contains(&c.timing.timeout) {
                timeouts.push(c.timing.timeout);
            }
        }
        timeouts.sort_unstable();
        let _ = writeln!(
            s,
            "## {}: the timeout trade-off\n\nPer timeout and timing model, over every cell: runs that broke IC1 or IC2, \
             and the mean virtual time of the last loyal decision.\n",
            alg.as_str().to_uppercase()
        );
        let _ = writeln!(s, "| timeout (ms) | {} |", columns.join(" | "));
        let _ = writeln!(s, "|---|{}", "---|".repeat(columns.len()));
        for t in timeouts {
            let _ = write!(s, "| {t} |");
            for c in &columns {
                let (mut runs, mut bad, mut time) = (0usize, 0usize, 0u64);
                for (cell, t) in rows
                    .iter()
                    .filter(|(cell, _)| cell.timing.timeout == t && label(&cell.timing) == *c)
                {
                    let _ = cell;
                    runs += t.counts.runs;
                    bad += t.counts.violations;
                    time += t.decision_time_ms;
                }
                let time = time / runs.max(1) as u64;
                let _ = write!(s, " {bad}/{runs} violated, {time} ms |");
            }
            let _ = writeln!(s);
        }
        let _ = writeln!(s, "\n![timing-{alg}.svg](timing-{alg}.svg)\n");
    }
}
