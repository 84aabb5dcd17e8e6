//! `byzlab models FILE`: which algorithm survives which system model, the
//! matrix of `crate::models`, written to results/NAME (or `--out`).

use super::*;

#[derive(clap::Args)]
pub(super) struct ModelsArgs {
    /// The study's file (experiments/models.toml): algorithms with n and f, seeds, delta, GST, the Byzantine strategy, the FLP table's timeouts.
    pub(super) file: PathBuf,
    /// Folder to write [default: results/NAME, NAME from the file].
    #[arg(long)]
    pub(super) out: Option<PathBuf>,
    /// Print no progress.
    #[arg(long)]
    pub(super) quiet: bool,
}

pub(super) fn cmd_models(args: ModelsArgs, registry: &Registry) -> Result<()> {
    let source = args.file.display().to_string();
    let text = crate::files::read_limited(&args.file).with_context(|| format!("cannot read {source}"))?;
    let (spec, algs) = crate::models::load(&text, &source, registry)?;
    let out = args.out.unwrap_or_else(|| PathBuf::from("results").join(&spec.name));
    let quiet = args.quiet;
    let mut last = 0;
    let mut progress = |done: usize, total: usize| {
        let pct = done * 100 / total.max(1);
        if !quiet && (pct >= last + 10 || done == total) {
            last = pct;
            eprintln!("models: {done}/{total} runs ({pct} %)");
        }
    };
    let md = crate::models::study(&spec, &algs, registry, &out, &command_line(), &mut progress)?;
    println!("{md}");
    println!("written to {}", out.display());
    Ok(())
}
