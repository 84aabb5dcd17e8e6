//! `byzlab shrink`: a witness reduced to the deviations its violation needs.

use super::*;

#[derive(clap::Args)]
pub(super) struct ShrinkArgs {
    /// Witness file written by a sweep (results/NAME/witnesses/cell-K.json).
    pub(super) witness: PathBuf,
    /// Folder for the shrunk witness (default: the witness's own folder);
    /// it is made if missing.
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
    let dir = match (&args.out, args.witness.parent()) {
        (Some(d), _) => d.clone(),
        (None, Some(p)) if !p.as_os_str().is_empty() => p.to_path_buf(),
        (None, _) => PathBuf::from("."),
    };
    let s = crate::experiment::shrink::shrink(&w, &quiet)?;
    std::fs::create_dir_all(&dir).with_context(|| format!("--out {}: cannot make the folder", dir.display()))?;
    let broken = broken(w.agreement, w.validity);
    println!("{}", s.headline());
    if s.kept.is_empty() {
        println!("{broken} is violated with every traitor honest: the links or the faults of the run break it alone");
    } else if s.minimal {
        println!(
            "1-minimal: restore any one of these to honest and {broken} is no longer violated ({} runs)",
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
    let json = dir.join(format!("{stem}.shrunk.json"));
    let body = serde_json::to_string_pretty(&s.witness).context("cannot write the shrunk witness")? + "\n";
    crate::files::write_atomic(&json, body).with_context(|| format!("cannot write {}", json.display()))?;
    println!("wrote {} (byzlab replay {0} shows it)", json.display());
    if let Some(script) = &s.script {
        let toml = dir.join(format!("{stem}.shrunk.toml"));
        crate::files::write_atomic(&toml, script).with_context(|| format!("cannot write {}", toml.display()))?;
        println!("wrote {} (the same deviations as a scripted strategy)", toml.display());
    }
    Ok(())
}
