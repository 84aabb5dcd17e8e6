//! `byzlab merge`: shard folders combined into one result.

use super::*;

#[derive(clap::Args)]
pub(super) struct MergeArgs {
    /// Shard folders of the same experiment.
    #[arg(required = true)]
    pub(super) dirs: Vec<PathBuf>,
    /// Output folder [default: results/<experiment name>].
    #[arg(long)]
    pub(super) out: Option<PathBuf>,
    /// Merge even if shards are missing or unfinished (the summary then
    /// counts only the runs found).
    #[arg(long)]
    pub(super) allow_partial: bool,
}

pub(super) fn cmd_merge(args: MergeArgs, registry: &Registry) -> Result<()> {
    let first = args.dirs.first().context("merge needs at least one folder")?;
    let name = runner::read_manifest(first)?.name;
    let out = args.out.unwrap_or_else(|| PathBuf::from("results").join(name));
    let (plan, rows, cells) = merge::merge(&args.dirs, &out, &command_line(), args.allow_partial, registry)?;
    print!("{}", render::verdict_table(&cells, &plan));
    println!(
        "{} runs merged from {} folders into {}",
        rows,
        args.dirs.len(),
        out.display()
    );
    Ok(())
}
