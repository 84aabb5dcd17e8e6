//! `byzlab shrink`: a witness reduced to the deviations its violation needs.

use super::*;

#[derive(clap::Args)]
pub(super) struct ShrinkArgs {
    /// Witness file written by a sweep (results/NAME/witnesses/cell-K.json).
    pub(super) witness: PathBuf,
    /// Folder for the shrunk witness (default: the current folder, never a
    /// sweep's: a sweep writes its own `cell-K.shrunk.json`); made if missing.
    #[arg(long)]
    pub(super) out: Option<PathBuf>,
}

pub(super) fn cmd_shrink(args: ShrinkArgs, registry: &Registry) -> Result<()> {
    let text = crate::files::read_limited(&args.witness)
        .map_err(|e| crate::experiment::ExperimentError::io(&args.witness, e))?;
    let source = args.witness.display().to_string();
    let (w, plan) = witness::load(&text, &source, registry)?;
    let quiet = plan.vary(|s| s.trace = false)?;
    witness::reproduces(&w, &runtime::execute(&quiet)?, &args.witness)?;
    let stem = args
        .witness
        .file_stem()
        .map_or_else(|| "witness".to_string(), |s| s.to_string_lossy().into_owned());
    let dir = args.out.clone().unwrap_or_else(|| PathBuf::from("."));
    // A results folder, or its witnesses/, however it is named (`.`).
    let full = std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone());
    if full.join(crate::folder::MANIFEST).exists()
        || full.parent().is_some_and(|p| p.join(crate::folder::MANIFEST).exists())
    {
        anyhow::bail!(
            "--out {}: a byzlab command's results folder (its sweep writes its own shrunk witnesses); give another folder",
            dir.display()
        );
    }
    let json = dir.join(format!("{stem}.shrunk.json"));
    let toml = dir.join(format!("{stem}.shrunk.toml"));
    // Only a shrunk witness of byzlab's (or nothing) is written over.
    for file in [&json, &toml] {
        if std::fs::symlink_metadata(file).is_ok() && !is_shrunk(file) {
            anyhow::bail!(
                "{} is there and is not a shrunk witness byzlab wrote; give another --out",
                file.display()
            );
        }
    }
    let s = crate::experiment::shrink::shrink(&w, &quiet)?;
    std::fs::create_dir_all(&dir).with_context(|| format!("--out {}: cannot make the folder", dir.display()))?;
    let broken = broken(w.agreement, w.validity);
    println!("{}", s.headline());
    if s.kept.is_empty() {
        println!(
            "{broken} is violated with every traitor honest and every link alteration undone: the lossy links or the faults of the run break it alone"
        );
    } else if s.minimal {
        println!(
            "1-minimal: restore any one of these to honest (undo it, for a link's) and {broken} is no longer violated ({} runs)",
            s.runs
        );
    } else {
        println!(
            "not proven 1-minimal: the search stopped at {} runs; these still violate {broken}",
            s.runs
        );
    }
    for d in &s.kept {
        println!("  {d}");
    }
    let decisions: Vec<String> = s.witness.decisions.iter().map(|(g, v)| format!("{g}={v}")).collect();
    println!("decisions of the shrunk run: {}", decisions.join(" "));
    let body = serde_json::to_string_pretty(&s.witness).context("cannot write the shrunk witness")? + "\n";
    crate::files::write_atomic(&json, body).with_context(|| format!("cannot write {}", json.display()))?;
    println!("wrote {} (byzlab replay {0} shows it)", json.display());
    if let Some(script) = &s.script {
        crate::files::write_atomic(&toml, script).with_context(|| format!("cannot write {}", toml.display()))?;
        println!("wrote {} (the same deviations as a scripted strategy)", toml.display());
    }
    Ok(())
}

/// Whether `file` is a shrunk witness or script `byzlab shrink` wrote.
fn is_shrunk(file: &Path) -> bool {
    let Ok(text) = crate::files::read_limited(file) else {
        return false;
    };
    match file.extension().and_then(|e| e.to_str()) {
        Some("json") => serde_json::from_str::<witness::Witness>(&text).is_ok(),
        _ => text.starts_with("name = \"shrunk\""),
    }
}
