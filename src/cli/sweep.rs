//! `byzlab sweep`: an experiment file swept into a results folder.

use super::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::RecvTimeoutError;

#[derive(clap::Args)]
pub(super) struct SweepArgs {
    /// Experiment file (TOML; see experiments/README.md).
    pub(super) file: PathBuf,
    /// Output folder [default: results/<experiment name>, or results/<name>-shard-I-of-N].
    #[arg(long)]
    pub(super) out: Option<PathBuf>,
    /// Worker threads, each with its own actix System [default: all cores].
    #[arg(long, allow_negative_numbers = true)]
    pub(super) jobs: Option<usize>,
    /// Run only shard I of N (cells dealt round-robin), e.g. 0/4.
    #[arg(long, value_parser = parse_shard)]
    pub(super) shard: Option<(usize, usize)>,
    /// Continue an interrupted sweep in the output folder instead of starting over.
    #[arg(long)]
    pub(super) resume: bool,
    /// No progress bar.
    #[arg(long)]
    pub(super) quiet: bool,
}

pub(super) fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| format!("`{s}` is not I/N (e.g. 0/4)"))?;
    let i: usize = i.trim().parse().map_err(|_| format!("`{i}` is not a shard index"))?;
    let n: usize = n.trim().parse().map_err(|_| format!("`{n}` is not a shard count"))?;
    if n == 0 || i >= n {
        return Err(format!("shard {i}/{n}: need 0 <= I < N"));
    }
    Ok((i, n))
}

/// Most worker threads a sweep starts.
const MAX_JOBS: usize = 1024;

/// Set by a second Ctrl-C: the sweep is abandoned where it stands.
static ABANDON: AtomicBool = AtomicBool::new(false);

/// Runs `cmd_sweep` on a thread of its own while this one waits for it or
/// for a second Ctrl-C: then the command returns exit code 130 at once, and
/// `main`, returning, ends the process and the sweep's threads with it (the
/// rows on disk stay; `--resume` continues). So no exit happens outside
/// `main`: a signal handler cannot return to it, but this thread can.
pub(super) fn abandonable(args: SweepArgs, registry: &Registry) -> Result<()> {
    let (tx, rx) = std::sync::mpsc::channel();
    let registry = registry.clone();
    // The main thread's stack size: a run's recursion is not bounded by
    // a spawned thread's 2 MiB default.
    let sweep = std::thread::Builder::new()
        .name("sweep".into())
        .stack_size(8 << 20)
        .spawn(move || {
            let _ = tx.send(cmd_sweep(args, &registry));
        })
        .context("cannot start the sweep's thread")?;
    loop {
        match rx.recv_timeout(std::time::Duration::from_millis(50)) {
            Ok(result) => return result,
            Err(RecvTimeoutError::Timeout) if ABANDON.load(Ordering::SeqCst) => {
                eprintln!("abandoned at the second Ctrl-C: the rows on disk are kept; --resume continues");
                return Err(ExitWith(130).into());
            }
            Err(RecvTimeoutError::Timeout) => {}
            // It panicked: the panic goes on here, as if it had run here.
            Err(RecvTimeoutError::Disconnected) => match sweep.join() {
                Err(panic) => std::panic::resume_unwind(panic),
                Ok(()) => anyhow::bail!("the sweep's thread ended without a result"),
            },
        }
    }
}

fn cmd_sweep(args: SweepArgs, registry: &Registry) -> Result<()> {
    let spec = spec::load(&args.file, registry)?;
    let plan = plan::build(&spec, &args.file.display().to_string(), registry)?;
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if !(1..=MAX_JOBS).contains(&jobs) {
        anyhow::bail!("--jobs {jobs}: give 1 to {MAX_JOBS} worker threads");
    }
    let largest = plan
        .cells
        .iter()
        .filter(|c| !c.runs.is_empty())
        .filter_map(|c| c.run_m().map(|m| c.algorithm.state_bytes(c.n, m)));
    crate::memory::check_sweep(largest, jobs)
        .with_context(|| format!("{}: the plan is too big", args.file.display()))?;
    let out = args.out.unwrap_or_else(|| match args.shard {
        None => PathBuf::from("results").join(&spec.name),
        Some((i, n)) => PathBuf::from("results").join(format!("{}-shard-{i}-of-{n}", spec.name)),
    });
    let in_shard: Vec<_> = plan
        .cells
        .iter()
        .filter(|c| ExperimentPlan::in_shard(c.id, args.shard))
        .collect();
    // The results are those of the command without --resume: record that.
    let command = command_line().replace(" --resume", "");
    // Ctrl-C: the workers stop after their current run and every finished
    // row is kept; a second Ctrl-C abandons the sweep (see `abandonable`).
    let _ = ctrlc::set_handler(|| {
        if runner::INTERRUPT.swap(true, Ordering::SeqCst) {
            ABANDON.store(true, Ordering::SeqCst);
        }
    });
    let header = format!(
        "{}: {} cells, {} runs, {jobs} jobs -> {}",
        spec.name,
        in_shard.len(),
        in_shard.iter().map(|c| c.runs.len()).sum::<usize>(),
        out.display()
    );
    let opts = SweepOptions {
        out: out.clone(),
        jobs,
        shard: args.shard,
        resume: args.resume,
        progress: !args.quiet,
        command: command.clone(),
        header: Some(header),
    };
    let mut result = match runner::sweep(&plan, &opts) {
        Err(crate::experiment::ExperimentError::Interrupted { kept, total, runs }) => {
            eprintln!("interrupted: {kept} of {total} runs kept in {runs}; to finish, run:\n  {command} --resume");
            return Err(ExitWith(130).into());
        }
        r => r?,
    };
    let cells = report::write_all(&mut result.folder, &plan, &result.tally, &command, args.shard)?;
    print!("{}", render::verdict_table(&cells, &plan));
    println!(
        "{} runs ({} now, {} resumed) in {:.1} s; results in {}",
        result.rows,
        result.executed,
        result.resumed,
        result.elapsed.as_secs_f64(),
        out.display()
    );
    Ok(())
}
