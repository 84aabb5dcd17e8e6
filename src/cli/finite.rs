//! `byzlab explosion`, `byzlab congestion` and `byzlab bufferbloat`: the
//! finite network's studies, each writing one results folder.

use super::*;

#[derive(clap::Args)]
pub(super) struct StudyArgs {
    /// Folder to write (summary.md, a CSV, SVG figures, README.md with the command); one byzlab made, or a new one.
    #[arg(long)]
    pub(super) table: PathBuf,
}

/// Runs `study` into `--table`, printing what it wrote.
pub(super) fn cmd_study(
    args: StudyArgs,
    study: fn(&std::path::Path, &str) -> Result<String, crate::finite::StudyError>,
) -> Result<()> {
    println!("{}", study(&args.table, &command_line())?);
    Ok(())
}
