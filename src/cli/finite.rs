//! `byzlab explosion` and `byzlab bufferbloat`: the finite network's
//! studies, each writing one results folder.

use super::*;

#[derive(clap::Args)]
pub(super) struct ExplosionArgs {
    /// Folder to write (summary.md, explosion.csv, bytes.svg, frames.svg, README.md).
    #[arg(long)]
    pub(super) table: PathBuf,
}

pub(super) fn cmd_explosion(args: ExplosionArgs) -> Result<()> {
    println!("{}", crate::finite::explosion(&args.table, &command_line())?);
    Ok(())
}

#[derive(clap::Args)]
pub(super) struct BufferbloatArgs {
    /// Folder to write (summary.md, bufferbloat.csv, bufferbloat.svg, README.md).
    #[arg(long)]
    pub(super) table: PathBuf,
}

pub(super) fn cmd_bufferbloat(args: BufferbloatArgs) -> Result<()> {
    println!("{}", crate::finite::bufferbloat(&args.table, &command_line())?);
    Ok(())
}

#[derive(clap::Args)]
pub(super) struct CongestionArgs {
    /// Folder to write (summary.md, congestion.csv, goodput.svg, README.md).
    #[arg(long)]
    pub(super) table: PathBuf,
}

pub(super) fn cmd_congestion(args: CongestionArgs) -> Result<()> {
    println!("{}", crate::finite::congestion(&args.table, &command_line())?);
    Ok(())
}
