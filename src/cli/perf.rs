//! `byzlab perf`: the measurements behind results/perf.

use super::*;

#[derive(clap::Args)]
pub(super) struct PerfArgs {
    /// Output folder.
    #[arg(long, default_value = "results/perf")]
    pub(super) out: PathBuf,
    /// Timed repetitions per measurement (1 to 1000); the median is reported.
    #[arg(long, allow_negative_numbers = true, default_value_t = 7, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub(super) reps: u16,
    /// Experiment swept with --jobs 1 and --jobs 2 for the parallel-speedup target.
    #[arg(long, default_value = "experiments/bound.toml")]
    pub(super) sweep: PathBuf,
    /// Skip the sweep target (it takes about half a minute).
    #[arg(long)]
    pub(super) no_sweep: bool,
    /// A byzlab binary built from an older commit (scripts/perf.sh builds
    /// daf5fb2): OM(5) n=20 is then timed against it, alternately.
    #[arg(long)]
    pub(super) baseline: Option<PathBuf>,
}

pub(super) fn cmd_perf(args: PerfArgs) -> Result<()> {
    let opts = crate::perf::PerfOptions {
        out: args.out.clone(),
        reps: usize::from(args.reps),
        exe: std::env::current_exe().context("cannot find the byzlab binary for child runs")?,
        sweep_file: (!args.no_sweep).then(|| args.sweep.clone()),
        baseline: args.baseline.clone(),
        command: command_line(),
    };
    // The output folder before seconds of measuring.
    let mut folder = crate::perf::claim(&opts.out)?;
    let targets = crate::perf::targets(&opts)?;
    eprintln!("scaling table ...");
    let rows = crate::perf::scaling(&opts)?;
    crate::perf::write(&mut folder, &opts, &targets, &rows)?;
    let missed = targets.iter().filter(|t| !t.met).count();
    println!(
        "{} targets, {missed} missed; results in {}",
        targets.len(),
        args.out.display()
    );
    Ok(())
}
