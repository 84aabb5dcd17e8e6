//! Merging shards: the folders of `sweep --shard I/N` combined into the
//! outputs one unsharded sweep would have written.

use super::ExperimentError;
use super::cells::CellResult;
use super::plan::ExperimentPlan;
use super::report::write_all;
use super::runner::{Manifest, read_manifest};
use std::path::{Path, PathBuf};

/// Combines shard folders into `out`: the same outputs as one unsharded run.
/// Shards that are missing, or runs of the plan that no folder holds (a
/// shard that did not finish), are an error naming them, unless
/// `allow_partial`. The plan's names are looked up in `registry`.
pub fn merge(
    dirs: &[PathBuf],
    out: &Path,
    command: &str,
    allow_partial: bool,
    registry: &crate::registry::Registry,
) -> Result<(ExperimentPlan, usize, Vec<CellResult>), ExperimentError> {
    let first = dirs
        .first()
        .ok_or_else(|| ExperimentError::Mismatch("merge needs at least one folder".into()))?;
    // The output before any work: never one of the shards (a shard merged
    // into itself would stop being a shard), and byzlab's own merge folder
    // or a new or empty one.
    let same = |a: &Path, b: &Path| match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if let Some(d) = dirs.iter().find(|d| same(d, out)) {
        return Err(ExperimentError::Mismatch(format!(
            "--out {} is one of the folders merged ({}): merge into a new folder",
            out.display(),
            d.display()
        )));
    }
    let mut folder = crate::folder::Folder::claim(out, "merge", None)?;
    let manifest: Manifest = read_manifest(first)?;
    let mut shards = std::collections::BTreeSet::new();
    let mut count = None;
    for d in dirs {
        let m = read_manifest(d)?;
        if let Some((i, n)) = m.shard {
            shards.insert(i);
            count = Some(n);
        }
        if m.fingerprint != manifest.fingerprint {
            return Err(ExperimentError::Mismatch(format!(
                "{} is from another plan (fingerprint {} vs {} in {})",
                d.display(),
                m.fingerprint,
                manifest.fingerprint,
                first.display()
            )));
        }
    }
    let plan = super::plan::build(&manifest.spec, "plan.json", registry)?;
    if !allow_partial {
        let missing: Vec<String> = count
            .map(|n| {
                (0..n)
                    .filter(|i| !shards.contains(i))
                    .map(|i| format!("{i}/{n}"))
                    .collect()
            })
            .unwrap_or_default();
        if !missing.is_empty() {
            return Err(ExperimentError::Mismatch(format!(
                "missing shards: {} (merge every shard's folder, or pass --allow-partial)",
                missing.join(", ")
            )));
        }
    }
    // The rows, merged in plan order into a temporary runs.csv and folded
    // into the tally as they go: each shard's file is in plan order (older
    // versions' files, which may not be, are sorted in memory).
    let inputs: Vec<PathBuf> = dirs.iter().map(|d| d.join("runs.csv")).collect();
    // Every row a run of the plan, as a resume checks it, before anything
    // is written.
    for input in &inputs {
        super::record::for_each_run(input, |r| match r.foreign_to(&plan) {
            Some(what) => Err(super::record::RecordError::Row {
                path: input.display().to_string(),
                row: 0,
                message: format!("{} is not a run of this plan ({what})", r.run_id),
            }),
            None => Ok(()),
        })
        .map_err(|e| match e {
            super::record::RecordError::Row { path, message, row: 0 } => {
                ExperimentError::Mismatch(format!("{path}: row {message}"))
            }
            e => e.into(),
        })?;
    }
    let runs_path = folder.file("runs.csv")?;
    let tmp = runs_path.with_file_name(format!(".runs.csv.merge-{}", std::process::id()));
    let merged = super::tally::rewrite_in_plan_order(&inputs, &tmp, false);
    let (tally, rows) = match merged {
        Ok(t) => {
            let rows = t.rows;
            (t, rows)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    let absent = plan.total_runs().saturating_sub(rows);
    if !allow_partial && absent > 0 {
        let _ = std::fs::remove_file(&tmp);
        return Err(ExperimentError::Mismatch(format!(
            "{absent} of the plan's {} runs are in no folder: a shard did not finish (finish it with \
             `byzlab sweep ... --shard I/N --resume`, or pass --allow-partial)",
            plan.total_runs()
        )));
    }
    folder.remove_ours(|_| false)?;
    let runs_path = folder.file("runs.csv")?;
    std::fs::rename(&tmp, &runs_path).map_err(|e| ExperimentError::io(&runs_path, e))?;
    let merged = Manifest {
        shard: None,
        command: command.to_string(),
        ..manifest
    };
    folder.write(
        "plan.json",
        serde_json::to_string_pretty(&merged).map_err(|e| ExperimentError::io(out, e))?,
    )?;
    let results = write_all(&mut folder, &plan, &tally, command, None)?;
    Ok((plan, rows, results))
}
