//! What a sweep leaves behind, derived from its rows: `cells.csv`,
//! `summary.md`, `README.md`, witnesses and plots.

use super::ExperimentError;
use super::cells::{CellResult, CellVerdict, cell_results, strategy_results};
use super::plan::ExperimentPlan;
use super::plots;
use super::render::summary_md;
use super::tally::Tally;
use super::witness::witness_for;
use std::collections::BTreeMap;

/// The most messages (as the algorithm bounds a run's trace) a witness may
/// send for a sweep to write its explorer page (`cell-K.html`, about 100
/// bytes a message); past it, `byzlab replay W --explore FILE` makes one.
pub const EXPLORE_MAX: usize = 20_000;

/// Writes `cells.csv`, `summary.md`, `README.md`, witnesses and plots into
/// `out`; returns the per-cell results.
pub fn write_all(
    out: &mut crate::folder::Folder,
    plan: &ExperimentPlan,
    tally: &Tally,
    command: &str,
    shard: Option<(usize, usize)>,
) -> Result<Vec<CellResult>, ExperimentError> {
    let results = cell_results(plan, tally);
    // Each witness first, before any file: making one reruns its run and
    // refuses a row the run does not reproduce (an edited runs.csv), and
    // then nothing here may have been rewritten from that row.
    let wdir = out.root().join("witnesses");
    let mut witnesses = Vec::new();
    let mut shrunk = BTreeMap::new();
    for c in &results {
        if let (Some(r), Some(file)) = (&c.witness, c.witness_file()) {
            let w = witness_for(plan, r)?;
            let json = serde_json::to_string_pretty(&w).map_err(|e| ExperimentError::io(&wdir, e))?;
            if plan.spec.shrink {
                // The same run kept to the deviations its violation needs.
                let (_, run) = super::witness::load(&json, &file, &plan.registry)?;
                let s = super::shrink::shrink(&w, &run)?;
                let small = serde_json::to_string_pretty(&s.witness).map_err(|e| ExperimentError::io(&wdir, e))? + "\n";
                shrunk.insert(c.cell.id, s.headline());
                witnesses.push((file.replace(".json", ".shrunk.json"), small));
            }
            witnesses.push((file, json + "\n"));
        }
    }

    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "cell",
        "algorithm",
        "link",
        "graph",
        "n",
        "f",
        "m",
        "timing",
        "delta_ms",
        "gst_ms",
        "timeout_ms",
        "faults",
        "theory",
        "search",
        "capped",
        "planned_runs",
        "runs",
        "ic1_violations",
        "ic2_violations",
        "violations",
        "worst_k",
        "least_k",
        "verdict",
        "agrees_with_theory",
        "witness",
        "note",
    ]);
    for c in &results {
        let verdict = match c.verdict {
            CellVerdict::Holds => "holds",
            CellVerdict::Violated => "violated",
            CellVerdict::Undecided => "undecided",
            CellVerdict::NotApplicable => "n/a",
            CellVerdict::NotRun => "not run",
        };
        let agrees = c.check().as_str().to_string();
        let _ = w.write_record([
            c.cell.id.to_string(),
            c.cell.algorithm.to_string(),
            c.cell.link_label(),
            c.cell.graph.label(),
            c.cell.n.to_string(),
            c.cell.f.to_string(),
            c.cell.m.map_or(String::new(), |m| m.to_string()),
            c.cell.timing.model.to_string(),
            c.cell.timing.delta.to_string(),
            c.cell.timing.gst.to_string(),
            c.cell.timing.timeout.to_string(),
            c.cell.fault.as_str().into(),
            c.cell.theory.as_str().into(),
            c.cell.search.as_str().into(),
            c.cell.capped.to_string(),
            c.cell.runs.len().to_string(),
            c.runs.to_string(),
            c.ic1.to_string(),
            c.ic2.to_string(),
            c.violations.to_string(),
            c.worst_k.map_or(String::new(), |k| k.to_string()),
            c.least_k.map_or(String::new(), |k| k.to_string()),
            verdict.into(),
            agrees,
            c.witness_file().unwrap_or_default(),
            c.cell.skip.clone().unwrap_or_default(),
        ]);
    }
    out.write("cells.csv", w.into_inner().unwrap_or_default())?;

    // Which attack broke what: one row per (cell, strategy).
    let by_strategy = strategy_results(tally);
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "cell",
        "algorithm",
        "link",
        "n",
        "f",
        "m",
        "strategy",
        "runs",
        "ic1_violations",
        "ic2_violations",
        "violations",
    ]);
    for s in &by_strategy {
        let Some(cell) = plan.cells.get(s.cell) else { continue };
        let _ = w.write_record([
            s.cell.to_string(),
            cell.algorithm.to_string(),
            cell.link_label(),
            cell.n.to_string(),
            cell.f.to_string(),
            cell.m.map_or(String::new(), |m| m.to_string()),
            s.strategy.clone(),
            s.runs.to_string(),
            s.ic1.to_string(),
            s.ic2.to_string(),
            s.violations.to_string(),
        ]);
    }
    out.write("strategies.csv", w.into_inner().unwrap_or_default())?;

    let mut explored = std::collections::BTreeSet::new();
    for (file, json) in witnesses {
        // Its space-time diagram beside it: the run again, traced.
        // Sketched as it runs: a witness of millions of messages is never
        // held whole.
        let (_, traced) = super::witness::load(&json, &file, &plan.registry)?;
        let sketch = super::diagram::SharedSketch::for_plan(&traced);
        let report = crate::runtime::execute_into(&traced, Box::new(sketch.clone()))
            .map_err(|e| ExperimentError::Witness(e.to_string()))?;
        let svg = out.file(&file.replace(".json", ".svg"))?;
        super::diagram::draw_sketch(&svg, &report.outcome, &sketch.take()).map_err(|e| ExperimentError::io(&svg, e))?;
        // Its explorer page, where the run is small enough for a results
        // folder (the page holds every message).
        if traced.algorithm().trace_messages(traced.n(), traced.m()) <= EXPLORE_MAX as u128 {
            let page = crate::cli::explorer_page(&traced).map_err(|e| ExperimentError::Witness(e.to_string()))?;
            let html = file.replace(".json", ".html");
            out.write(&html, page)?;
            explored.insert(file.clone());
        }
        out.write(&file, json)?;
    }

    let svgs = plots::write_plots(out, plan, &results, tally)?;
    out.write(
        "summary.md",
        summary_md(
            plan,
            &results,
            &by_strategy,
            tally,
            command,
            shard,
            &svgs,
            &shrunk,
            &explored,
        ),
    )?;
    out.write(
        "README.md",
        format!(
            "# results/{name}\n\nProduced by the committed code with:\n\n    {command}\n\nwith byzlab {v} (plan fingerprint {fp}). Do not edit by hand: rerun the command.\n\n\
             Files: `runs.csv` (one row per run), `cells.csv` (one row per cell), `strategies.csv` (one row per cell and \
             strategy: which attack broke what), `summary.md` (verdict tables), \
             `witnesses/` (first violation of each cell, `cell-K.json`, its diagram `cell-K.svg`, its explorer page `cell-K.html` \
             (runs of at most 20,000 messages; open it in a browser), and the same run shrunk to the \
             traitor deviations the violation needs, `cell-K.shrunk.json`; rerun any with `byzlab replay FILE`), `*.svg` (plots), `plan.json` (the validated plan).\n",
            name = plan.spec.name,
            v = env!("CARGO_PKG_VERSION"),
            fp = plan.fingerprint,
        ),
    )?;
    Ok(results)
}
