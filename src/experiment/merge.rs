//! Merging shards: the folders of `sweep --shard I/N` combined into the
//! outputs one unsharded sweep would have written.

use super::ExperimentError;
use super::cells::CellResult;
use super::plan::ExperimentPlan;
use super::record::{self, RunRecord};
use super::report::{write, write_all};
use super::runner::{Manifest, read_manifest};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
