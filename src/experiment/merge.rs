//! Merging shards: the folders of `sweep --shard I/N` combined into the
//! outputs one unsharded sweep would have written.

use super::ExperimentError;
use super::cells::CellResult;
use super::plan::ExperimentPlan;
use super::record::{self, RunRecord};
use super::report::write_all;
use super::runner::{Manifest, read_manifest};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Combines shard folders into `out`: the same outputs as one unsharded run.
/// Shards that are missing, or runs of the plan that no folder holds (a
/// shard that did not finish), are an error naming them, unless
/// `allow_partial`.
pub fn merge(
    dirs: &[PathBuf],
    out: &Path,
    command: &str,
    allow_partial: bool,
) -> Result<(ExperimentPlan, Vec<RunRecord>, Vec<CellResult>), ExperimentError> {
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
    let mut rows: BTreeMap<(usize, usize), RunRecord> = BTreeMap::new();
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
        let p = d.join("runs.csv");
        for r in record::read_runs(&p)? {
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
        let absent = plan.total_runs().saturating_sub(rows.len());
        if absent > 0 {
            return Err(ExperimentError::Mismatch(format!(
                "{absent} of the plan's {} runs are in no folder: a shard did not finish (finish it with \
                 `byzlab sweep ... --shard I/N --resume`, or pass --allow-partial)",
                plan.total_runs()
            )));
        }
    }
    let records: Vec<RunRecord> = rows.into_values().collect();
    folder.remove_ours(|_| false)?;
    folder.write("runs.csv", record::to_csv(&records, true))?;
    let merged = Manifest {
        shard: None,
        command: command.to_string(),
        ..manifest
    };
    folder.write(
        "plan.json",
        serde_json::to_string_pretty(&merged).map_err(|e| ExperimentError::io(out, e))?,
    )?;
    let results = write_all(&mut folder, &plan, &super::tally::Tally::of(&records), command, None)?;
    Ok((plan, records, results))
}
