//! `byzlab replay`: a witness rerun, its violation shown again.

use super::*;

#[derive(clap::Args)]
pub(super) struct ReplayArgs {
    /// Witness file written by a sweep (results/NAME/witnesses/cell-K.json).
    pub(super) witness: PathBuf,
    /// Also draw the run's space-time diagram into this SVG file.
    #[arg(long)]
    pub(super) diagram: Option<PathBuf>,
    /// Also say why each loyal lieutenant decided (as `byzlab run --explain`).
    #[arg(long)]
    pub(super) explain: bool,
    /// Also write the run as a page to step through in a browser (as `byzlab run --explore`).
    #[arg(long, value_name = "FILE.html")]
    pub(super) explore: Option<PathBuf>,
}

pub(super) fn cmd_replay(args: ReplayArgs, registry: &Registry) -> Result<()> {
    if let Some(file) = &args.diagram {
        check_diagram(file)?;
    }
    if let Some(file) = &args.explore {
        check_explore(file)?;
    }
    // Checked first, untraced, so that a witness that does not reproduce
    // prints nothing; then run again, its trace printed and sketched as it
    // goes (never held whole).
    let text = crate::files::read_limited(&args.witness)
        .map_err(|e| crate::experiment::ExperimentError::io(&args.witness, e))?;
    let (w, plan) = witness::load(&text, &args.witness.display().to_string(), registry)?;
    let quiet = plan.vary(|s| s.trace = false)?;
    witness::reproduces(&w, &runtime::execute(&quiet)?, &args.witness)?;
    if let Some(file) = &args.explore {
        write_explorer(file, &quiet)?;
    }
    let sketch = crate::experiment::diagram::SharedSketch::for_plan(&plan);
    let printer = TracePrinter::new(false);
    let sinks: Vec<Box<dyn crate::runtime::TraceSink>> = vec![Box::new(sketch.clone()), Box::new(printer.clone())];
    let plan = if args.explain { plan.explaining() } else { plan };
    let report = runtime::execute_into(&plan, Box::new(crate::runtime::network::Tee(sinks)))?;
    printer.finish_text()?;
    if let Some(file) = &args.diagram {
        crate::experiment::diagram::draw_sketch(file, &report.outcome, &sketch.take())?;
        eprintln!("diagram of the run in {}", file.display());
    }
    let o = &report.outcome;
    let broken = broken(o.agreement, o.validity);
    print_summary(&report, false);
    if args.explain {
        print!("{}", explain_text(&report));
    }
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
            format!("{broken} violated")
        }
    );
    Ok(())
}
