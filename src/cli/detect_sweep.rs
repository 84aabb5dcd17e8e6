//! `byzlab detect-sweep`: the heartbeat detector over timings and timeouts.

use super::*;

#[derive(clap::Args)]
pub(super) struct DetectSweepArgs {
    /// The sweep file (see experiments/detector.toml).
    pub(super) file: PathBuf,
    /// Output folder [default: results/<the file's name without .toml>].
    #[arg(long)]
    pub(super) out: Option<PathBuf>,
}

pub(super) fn cmd_detect_sweep(args: DetectSweepArgs) -> Result<()> {
    let stem = args
        .file
        .file_stem()
        .map_or("detector".to_string(), |s| s.to_string_lossy().into_owned());
    let out = args.out.unwrap_or_else(|| PathBuf::from("results").join(stem));
    println!("{}", crate::detector::sweep::run(&args.file, &out, &command_line())?);
    Ok(())
}
