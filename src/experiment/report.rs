//! What a sweep leaves behind, derived from its rows alone: `cells.csv`,
//! `summary.md`, `witnesses/`, the plots and the verdict table. Merging
//! shards and replaying witnesses live here too, since both start from rows.

use super::ExperimentError;
use super::plan::{Cell, ExperimentPlan, Search, Theory};
use super::plots;
use super::record::{self, RunRecord};
use super::runner::{Manifest, read_manifest};
use crate::link::LinkSpec;
use crate::run::RunSpec;
use crate::runtime;
use crate::traitor::StrategyRef;
use crate::types::{Algorithm, GeneralId, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A cell's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every run kept IC1 and IC2.
    Holds,
    /// Some run broke IC1 or IC2.
    Violated,
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
    /// First violating row.
    pub witness: Option<RunRecord>,
    /// Verdict.
    pub verdict: Verdict,
}

impl CellResult {
    /// Whether the verdict agrees with the paper (`None` where it says nothing).
    pub fn agrees(&self) -> Option<bool> {
        match (self.cell.theory, self.verdict) {
            (Theory::Holds, Verdict::Holds) | (Theory::Fails, Verdict::Violated) => Some(true),
            (Theory::Holds, Verdict::Violated) | (Theory::Fails, Verdict::Holds) => Some(false),
            _ => None,
        }
    }

    /// `holds (0/N)`, `violated (k/N)`, `n/a`, `not run`.
    pub fn short(&self) -> String {
        match self.verdict {
            Verdict::Holds => format!("holds (0/{})", self.runs),
            Verdict::Violated => format!("violated ({}/{})", self.violations, self.runs),
            Verdict::NotApplicable => "n/a".into(),
            Verdict::NotRun => "not run".into(),
        }
    }

    /// Witness file name, relative to the results folder.
    pub fn witness_file(&self) -> Option<String> {
        self.witness
            .as_ref()
            .map(|_| format!("witnesses/cell-{}.json", self.cell.id))
    }
}

/// Joins rows to cells.
pub fn cell_results(plan: &ExperimentPlan, records: &[RunRecord]) -> Vec<CellResult> {
    let mut by_cell: BTreeMap<usize, Vec<&RunRecord>> = BTreeMap::new();
    for r in records {
        by_cell.entry(r.cell).or_default().push(r);
    }
    plan.cells
        .iter()
        .map(|cell| {
            let rows = by_cell.get(&cell.id).map(Vec::as_slice).unwrap_or(&[]);
            let ic1 = rows.iter().filter(|r| !r.agreement).count();
            let ic2 = rows.iter().filter(|r| !r.validity).count();
            let violations = rows.iter().filter(|r| r.violation).count();
            let witness = rows
                .iter()
                .filter(|r| r.violation)
                .min_by_key(|r| r.index)
                .map(|r| (*r).clone());
            let verdict = if cell.skip.is_some() {
                Verdict::NotApplicable
            } else if rows.is_empty() {
                Verdict::NotRun
            } else if violations > 0 {
                Verdict::Violated
            } else {
                Verdict::Holds
            };
            CellResult {
                cell: cell.clone(),
                runs: rows.len(),
                ic1,
                ic2,
                violations,
                witness,
                verdict,
            }
        })
        .collect()
}

/// A violation, with everything needed to run it again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Witness {
    /// Experiment name.
    pub experiment: String,
    /// Plan fingerprint.
    pub fingerprint: String,
    /// Cell id.
    pub cell: usize,
    /// Run id.
    pub run_id: String,
    /// Algorithm.
    pub algorithm: Algorithm,
    /// Generals.
    pub n: usize,
    /// Traitors tolerated.
    pub f: usize,
    /// Rounds of relaying.
    pub m: usize,
    /// Traitors.
    pub traitors: Vec<GeneralId>,
    /// Strategy.
    pub strategy: StrategyRef,
    /// The commander's order.
    pub value: Value,
    /// Link.
    pub link: LinkSpec,
    /// Seed.
    pub seed: u64,
    /// Runtime.
    pub runtime: crate::run::RuntimeKind,
    /// What the run decided.
    pub decisions: BTreeMap<GeneralId, Value>,
    /// IC1 as observed.
    pub agreement: bool,
    /// IC2 as observed.
    pub validity: bool,
}

fn parse_decisions(s: &str) -> BTreeMap<GeneralId, Value> {
    s.split(';')
        .filter_map(|p| p.split_once('='))
        .filter_map(|(g, v)| Some((g.parse().ok()?, v.parse().ok()?)))
        .collect()
}

/// The witness of a violating row.
pub fn witness_for(plan: &ExperimentPlan, r: &RunRecord) -> Witness {
    let strategy = if !r.behaviour.is_empty() {
        StrategyRef::Enumerated {
            choices: r.behaviour.clone(),
        }
    } else {
        plan.spec
            .strategies
            .iter()
            .find(|s| s.label() == r.strategy)
            .cloned()
            .unwrap_or(StrategyRef::Builtin {
                name: r.strategy.clone(),
            })
    };
    let cell = &plan.cells[r.cell];
    Witness {
        experiment: plan.spec.name.clone(),
        fingerprint: plan.fingerprint.clone(),
        cell: r.cell,
        run_id: r.run_id.clone(),
        algorithm: r.algorithm,
        n: r.n,
        f: r.f,
        m: r.m,
        traitors: r.traitors.split(';').filter_map(|t| t.parse().ok()).collect(),
        strategy,
        value: r.value,
        link: cell.link.clone(),
        seed: r.seed,
        runtime: plan.spec.runtime,
        decisions: parse_decisions(&r.decisions),
        agreement: r.agreement,
        validity: r.validity,
    }
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) -> Result<(), ExperimentError> {
    std::fs::write(path, bytes).map_err(|e| ExperimentError::io(path, e))
}

/// Writes `cells.csv`, `summary.md`, `README.md`, witnesses and plots into
/// `out`; returns the per-cell results.
pub fn write_all(
    out: &Path,
    plan: &ExperimentPlan,
    records: &[RunRecord],
    command: &str,
    shard: Option<(usize, usize)>,
) -> Result<Vec<CellResult>, ExperimentError> {
    let results = cell_results(plan, records);
    let date = today();

    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "cell",
        "algorithm",
        "link",
        "n",
        "f",
        "m",
        "theory",
        "search",
        "capped",
        "planned_runs",
        "runs",
        "ic1_violations",
        "ic2_violations",
        "violations",
        "verdict",
        "agrees_with_theory",
        "witness",
        "note",
    ]);
    for c in &results {
        let verdict = match c.verdict {
            Verdict::Holds => "holds",
            Verdict::Violated => "violated",
            Verdict::NotApplicable => "n/a",
            Verdict::NotRun => "not run",
        };
        let agrees = c.agrees().map_or(String::new(), |a| a.to_string());
        let _ = w.write_record([
            c.cell.id.to_string(),
            c.cell.algorithm.to_string(),
            c.cell.link.label(),
            c.cell.n.to_string(),
            c.cell.f.to_string(),
            c.cell.m.map_or(String::new(), |m| m.to_string()),
            c.cell.theory.as_str().into(),
            c.cell.search.as_str().into(),
            c.cell.capped.to_string(),
            c.cell.runs.len().to_string(),
            c.runs.to_string(),
            c.ic1.to_string(),
            c.ic2.to_string(),
            c.violations.to_string(),
            verdict.into(),
            agrees,
            c.witness_file().unwrap_or_default(),
            c.cell.skip.clone().unwrap_or_default(),
        ]);
    }
    write(&out.join("cells.csv"), w.into_inner().unwrap_or_default())?;

    let wdir = out.join("witnesses");
    if results.iter().any(|c| c.witness.is_some()) {
        std::fs::create_dir_all(&wdir).map_err(|e| ExperimentError::io(&wdir, e))?;
    }
    for c in &results {
        if let (Some(r), Some(file)) = (&c.witness, c.witness_file()) {
            let json =
                serde_json::to_string_pretty(&witness_for(plan, r)).map_err(|e| ExperimentError::io(&wdir, e))?;
            write(&out.join(file), json + "\n")?;
        }
    }

    let svgs = plots::write_plots(out, plan, &results, records).map_err(|e| ExperimentError::io(out, e))?;
    write(
        &out.join("summary.md"),
        summary_md(plan, &results, records, command, &date, shard, &svgs),
    )?;
    write(
        &out.join("README.md"),
        format!(
            "# results/{name}\n\nProduced by the committed code with:\n\n    {command}\n\non {date} (byzlab {v}, plan fingerprint {fp}). Do not edit by hand: rerun the command.\n\n\
             Files: `runs.csv` (one row per run), `cells.csv` (one row per cell), `summary.md` (verdict tables), \
             `witnesses/` (first violation of each cell; rerun with `byzlab replay FILE`), `*.svg` (plots), `plan.json` (the validated plan).\n",
            name = plan.spec.name,
            v = env!("CARGO_PKG_VERSION"),
            fp = plan.fingerprint,
        ),
    )?;
    Ok(results)
}

/// Today's date (UTC) as YYYY-MM-DD, from the system clock.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // Civil-from-days (proleptic Gregorian), for a date without a time crate.
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Cells grouped into tables: one per (algorithm, link, m rule), in plan order.
pub fn groups(results: &[CellResult]) -> Vec<Group<'_>> {
    let mut out: Vec<Group<'_>> = Vec::new();
    for c in results {
        let link = c.cell.link.label();
        match out
            .iter_mut()
            .find(|g| g.algorithm == c.cell.algorithm && g.link == link && g.m_rule == c.cell.m_rule)
        {
            Some(g) => g.cells.push(c),
            None => out.push(Group {
                algorithm: c.cell.algorithm,
                link,
                m_rule: c.cell.m_rule,
                cells: vec![c],
            }),
        }
    }
    out
}

/// One verdict table.
pub struct Group<'a> {
    /// Algorithm.
    pub algorithm: Algorithm,
    /// Link label.
    pub link: String,
    /// m rule.
    pub m_rule: super::spec::MRule,
    /// Its cells.
    pub cells: Vec<&'a CellResult>,
}

impl Group<'_> {
    /// `OM(m = f), authenticated links`.
    pub fn title(&self) -> String {
        format!(
            "{}({}), {} links",
            self.algorithm.as_str().to_uppercase(),
            self.m_rule.label(),
            self.link
        )
    }
}

fn summary_md(
    plan: &ExperimentPlan,
    results: &[CellResult],
    records: &[RunRecord],
    command: &str,
    date: &str,
    shard: Option<(usize, usize)>,
    svgs: &[String],
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {}\n", plan.spec.name);
    if !plan.spec.description.is_empty() {
        let _ = writeln!(s, "{}\n", plan.spec.description.trim());
    }
    let _ = writeln!(
        s,
        "Made by `{command}` on {date} with byzlab {} (plan fingerprint `{}`): {} runs in {} cells{}.\n",
        env!("CARGO_PKG_VERSION"),
        plan.fingerprint,
        records.len(),
        results.iter().filter(|c| c.runs > 0).count(),
        shard.map_or(String::new(), |(i, n)| format!(", shard {i} of {n}")),
    );
    let _ = writeln!(
        s,
        "Each cell reads `holds (0/N)` when all N runs kept IC1 (agreement) and IC2 (validity), or `violated (k/N)` \
         when k runs broke one. Cells on the **n = 3f+1** line are in bold: the smallest n for which OM(f) is proven to work. \
         ✓ = as the paper predicts, ✗ = against it (a bug to find), no mark = no theorem applies. Search: E = exhaustive \
         over every traitor behaviour, S = sampled portfolio.\n"
    );
    for group in groups(results) {
        let cells = &group.cells;
        let _ = writeln!(s, "## {}\n", group.title());
        let fs = &plan.spec.fs;
        let _ = write!(s, "| n \\ f |");
        for f in fs {
            let _ = write!(s, " {f} |");
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "|---|{}", "---|".repeat(fs.len()));
        for &n in &plan.spec.ns {
            let _ = write!(s, "| {n} |");
            for &f in fs {
                let text = cells
                    .iter()
                    .find(|c| c.cell.n == n && c.cell.f == f)
                    .map_or(String::new(), |c| {
                        let mark = match c.agrees() {
                            Some(true) => " ✓",
                            Some(false) => " ✗",
                            None => "",
                        };
                        let search = match c.cell.search {
                            Search::Exhaustive => " E",
                            Search::Sampled => " S",
                            Search::None => "",
                        };
                        let body = format!("{}{search}{mark}", c.short());
                        if n == 3 * f + 1 { format!("**{body}**") } else { body }
                    });
                let _ = write!(s, " {text} |");
            }
            let _ = writeln!(s);
        }
        let _ = writeln!(s);
        let ids: std::collections::BTreeSet<usize> = cells.iter().map(|c| c.cell.id).collect();
        let rows: Vec<&RunRecord> = records.iter().filter(|r| ids.contains(&r.cell)).collect();
        let sum = |f: fn(&RunRecord) -> u64| rows.iter().map(|r| f(r)).sum::<u64>();
        let tampered = sum(|r| r.counters.link_tampered);
        if tampered + sum(|r| r.counters.link_dropped) + sum(|r| r.counters.link_injected) > 0 {
            let _ = writeln!(
                s,
                "Link adversary: {} frames altered (bytes changed or sender spoofed), and receivers took an altered value \
                 from {} of them; {} frames dropped; {} old frames replayed. Receivers refused {} frames and {} signed orders.\n",
                tampered,
                sum(|r| r.counters.tampered_accepted),
                sum(|r| r.counters.link_dropped),
                sum(|r| r.counters.link_injected),
                sum(|r| r.counters.frames_rejected),
                sum(|r| r.counters.orders_rejected),
            );
        }
        if group.algorithm == Algorithm::Sm {
            let _ = writeln!(
                s,
                "Signatures: {} made, {} verified; forged signatures accepted (audited against the run's signature ledger): {}.\n",
                sum(|r| r.counters.signatures_made),
                sum(|r| r.counters.signatures_verified),
                sum(|r| r.counters.forgeries_accepted),
            );
        }
    }
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
    let witnesses: Vec<&CellResult> = results.iter().filter(|c| c.witness.is_some()).collect();
    if !witnesses.is_empty() {
        let _ = writeln!(
            s,
            "Witnesses (rerun one with `byzlab replay FILE`): {} files in `witnesses/`.\n",
            witnesses.len()
        );
    }
    for svg in svgs {
        let _ = writeln!(s, "![{svg}]({svg})\n");
    }
    s
}

/// The verdict table printed at the end of a sweep.
pub fn verdict_table(results: &[CellResult], plan: &ExperimentPlan) -> String {
    let mut s = String::new();
    for group in groups(results) {
        let cells = &group.cells;
        let _ = writeln!(s, "{}  (rows n, columns f; * marks n = 3f+1)", group.title());
        let _ = write!(s, "{:>6}", "n\\f");
        for f in &plan.spec.fs {
            let _ = write!(s, " {:>20}", f);
        }
        let _ = writeln!(s);
        for &n in &plan.spec.ns {
            let _ = write!(s, "{n:>6}");
            for &f in &plan.spec.fs {
                let text = cells
                    .iter()
                    .find(|c| c.cell.n == n && c.cell.f == f)
                    .map_or(String::new(), |c| {
                        let mark = match c.agrees() {
                            Some(false) => "!",
                            _ => "",
                        };
                        format!("{}{}{mark}", if n == 3 * f + 1 { "*" } else { "" }, c.short())
                    });
                let _ = write!(s, " {text:>20}");
            }
            let _ = writeln!(s);
        }
        let _ = writeln!(s);
    }
    let against = results.iter().filter(|c| c.agrees() == Some(false)).count();
    let _ = writeln!(
        s,
        "{} cells against the theory{}",
        against,
        if against > 0 { " (marked !): see summary.md" } else { "" }
    );
    s
}

/// Combines shard folders into `out`: the same outputs as one unsharded run.
pub fn merge(
    dirs: &[PathBuf],
    out: &Path,
    command: &str,
) -> Result<(ExperimentPlan, Vec<RunRecord>, Vec<CellResult>), ExperimentError> {
    let first = dirs
        .first()
        .ok_or_else(|| ExperimentError::Mismatch("merge needs at least one folder".into()))?;
    let manifest: Manifest = read_manifest(first)?;
    let mut rows: BTreeMap<(usize, usize), RunRecord> = BTreeMap::new();
    for d in dirs {
        let m = read_manifest(d)?;
        if m.fingerprint != manifest.fingerprint {
            return Err(ExperimentError::Mismatch(format!(
                "{} is from another plan (fingerprint {} vs {} in {})",
                d.display(),
                m.fingerprint,
                manifest.fingerprint,
                first.display()
            )));
        }
        let p = d.join("runs.csv");
        for r in record::read_runs(&p).map_err(|e| ExperimentError::io(&p, e))? {
            match rows.get(&(r.cell, r.index)) {
                Some(old) if *old != r => {
                    return Err(ExperimentError::Mismatch(format!(
                        "run {} differs between shards",
                        r.run_id
                    )));
                }
                _ => {
                    rows.insert((r.cell, r.index), r);
                }
            }
        }
    }
    let plan = super::plan::build(&manifest.spec, "plan.json")?;
    let records: Vec<RunRecord> = rows.into_values().collect();
    std::fs::create_dir_all(out).map_err(|e| ExperimentError::io(out, e))?;
    write(&out.join("runs.csv"), record::to_csv(&records, true))?;
    let merged = Manifest {
        shard: None,
        command: command.to_string(),
        ..manifest
    };
    write(
        &out.join("plan.json"),
        serde_json::to_string_pretty(&merged).map_err(|e| ExperimentError::io(out, e))?,
    )?;
    let results = write_all(out, &plan, &records, command, None)?;
    Ok((plan, records, results))
}

/// Reruns a witness with a trace; errors if it does not show the recorded outcome.
pub fn replay(path: &Path) -> Result<(Witness, runtime::RunReport), ExperimentError> {
    let text = std::fs::read_to_string(path).map_err(|e| ExperimentError::io(path, e))?;
    let w: Witness = serde_json::from_str(&text)
        .map_err(|e| ExperimentError::Witness(format!("{}: not a byzlab witness: {e}", path.display())))?;
    let spec = RunSpec {
        algorithm: w.algorithm,
        n: w.n,
        f: w.f,
        m: Some(w.m),
        traitors: Some(w.traitors.clone()),
        strategy: w
            .strategy
            .resolve()
            .map_err(|e| ExperimentError::Witness(e.to_string()))?,
        value: w.value,
        link: w.link.clone(),
        runtime: w.runtime,
        seed: w.seed,
        trace: true,
    };
    let plan = spec
        .validate()
        .map_err(|e| ExperimentError::Witness(format!("{}: {e}", path.display())))?;
    let report = runtime::execute(&plan).map_err(|e| ExperimentError::Witness(e.to_string()))?;
    let o = &report.outcome;
    if o.decisions != w.decisions || o.agreement != w.agreement || o.validity != w.validity {
        return Err(ExperimentError::Witness(format!(
            "{} did not reproduce: recorded decisions {:?} (IC1 {}, IC2 {}), got {:?} (IC1 {}, IC2 {})",
            path.display(),
            w.decisions,
            w.agreement,
            w.validity,
            o.decisions,
            o.agreement,
            o.validity
        )));
    }
    Ok((w, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_a_date() {
        let d = today();
        assert_eq!(d.len(), 10);
        assert!(d.starts_with("20"));
    }

    #[test]
    fn decisions_parse_back() {
        let d = parse_decisions("1=attack;3=retreat");
        assert_eq!(d[&1], Value::Attack);
        assert_eq!(d[&3], Value::Retreat);
        assert!(parse_decisions("").is_empty());
    }
}
