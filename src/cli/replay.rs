//! `byzlab replay`: a witness rerun, its violation shown again.

use super::*;

#[derive(clap::Args)]
pub(super) struct ReplayArgs {
    /// Witness file written by a sweep (results/NAME/witnesses/cell-K.json).
    pub(super) witness: PathBuf,
    /// Also draw the run's space-time diagram into this SVG file.
    #[arg(long)]
    pub(super) diagram: Option<PathBuf>,
}

pub(super) fn cmd_replay(args: ReplayArgs, registry: &Registry) -> Result<()> {
    if let Some(file) = &args.diagram {
        check_diagram(file)?;
    }
    let (w, report) = witness::replay(&args.witness, registry)?;
    if let Some(file) = &args.diagram {
        crate::experiment::diagram::draw(file, &report)?;
        eprintln!("diagram of the run in {}", file.display());
    }
    for t in &report.trace {
        println!("{t}");
    }
    let o = &report.outcome;
    let broken: Vec<&str> = [
        (!o.agreement).then_some("IC1 (agreement)"),
        (!o.validity).then_some("IC2 (validity)"),
    ]
    .into_iter()
    .flatten()
    .collect();
    print_summary(&report, false);
    // A point of the exhaustive search: what each traitor chose, message by message.
    if let crate::traitor::StrategyRef::Enumerated { choices } = &w.strategy
        && let Ok(plan) = crate::traitor::enumerated_sm::decode(choices)
    {
        println!("choices of the exhaustive search (when the coalition first hands each loyal lieutenant each value):");
        for line in crate::traitor::enumerated_sm::describe(&plan) {
            println!("  {line}");
        }
    } else if let crate::traitor::StrategyRef::Enumerated { choices } = &w.strategy
        && let Ok(choices) = crate::traitor::enumerated::decode(choices)
    {
        println!("choices of the exhaustive search (what each traitor sent, path=value):");
        for line in crate::traitor::enumerated::describe(w.n, w.m, &choices) {
            println!("  {line}");
        }
    }
    println!(
        "reproduced {} of experiment {}: {}",
        w.run_id,
        w.experiment,
        if broken.is_empty() {
            "no violation (the witness recorded none)".to_string()
        } else {
            format!("{} violated", broken.join(" and "))
        }
    );
    Ok(())
}
