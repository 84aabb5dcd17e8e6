//! The `byzlab` command line. `anyhow` lives here only; the library speaks in
//! typed errors, and every error reaches the user as one line on stderr with
//! a non-zero exit, never a panic.

use anyhow::{Context, Result};
use byzlab::link::{LinkSpec, adversary};
use byzlab::run::{RunSpec, RuntimeKind};
use byzlab::runtime::{self, RunReport};
use byzlab::traitor;
use byzlab::types::{Algorithm, GeneralId, Value};
use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "byzlab",
    version,
    about = "A Byzantine agreement testbed: OM(m) and SM(m) generals as actix actors"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one agreement among n generals and report decisions, IC1 and IC2.
    Run(RunArgs),
    /// List the built-in traitor strategies and link adversaries.
    Strategies,
}

#[derive(Clone, Copy, ValueEnum)]
enum LinkKind {
    /// A1 and A2: every frame arrives intact, the network names the true sender.
    Authenticated,
    /// An adversary on the wire may drop, change, spoof or replay frames.
    Arbitrary,
}

#[derive(clap::Args)]
struct RunArgs {
    /// Algorithm: om (oral messages) or sm (signed messages).
    #[arg(long, value_parser = parse_from_str::<Algorithm>)]
    algorithm: Algorithm,
    /// Number of generals, the commander (general 0) included.
    #[arg(long)]
    n: usize,
    /// Number of traitors to tolerate (and to place, unless --traitors is given).
    #[arg(long)]
    f: usize,
    /// Rounds of relaying, the m of OM(m)/SM(m) [default: f].
    #[arg(long)]
    m: Option<usize>,
    /// Traitor ids, comma separated (e.g. 0,3); "none" for no traitors [default: f ids drawn from the seed].
    #[arg(long)]
    traitors: Option<String>,
    /// Traitor strategy: a built-in name (see `byzlab strategies`) or a .toml script.
    #[arg(long, default_value = "split-brain")]
    strategy: String,
    /// The commander's order.
    #[arg(long, default_value = "attack", value_parser = parse_from_str::<Value>)]
    value: Value,
    /// Link model.
    #[arg(long, value_enum, default_value = "authenticated")]
    link: LinkKind,
    /// Adversary on arbitrary links (see `byzlab strategies`).
    #[arg(long, default_value = "chaos")]
    adversary: String,
    /// Fraction of frames the arbitrary-link adversary acts on.
    #[arg(long, default_value_t = 0.25)]
    link_rate: f64,
    /// Runtime: actix (generals as actors) or direct (in-process reference).
    #[arg(long, default_value = "actix", value_parser = parse_from_str::<RuntimeKind>)]
    runtime: RuntimeKind,
    /// Seed for keys, traitor placement and choices, and link faults.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print one JSON object instead of a summary.
    #[arg(long)]
    json: bool,
    /// Print every message in order (round, from, to, path or chain, value, link action).
    #[arg(long)]
    trace: bool,
}

fn parse_from_str<T: std::str::FromStr<Err = String>>(s: &str) -> Result<T, String> {
    s.parse()
}

fn parse_traitors(s: &str) -> Result<Vec<GeneralId>> {
    let s = s.trim();
    if s.is_empty() || s == "none" {
        return Ok(Vec::new());
    }
    s.split(',')
        .map(|part| {
            let part = part.trim();
            part.parse::<GeneralId>()
                .with_context(|| format!("--traitors: `{part}` is not a general id (expected e.g. 0,3)"))
        })
        .collect()
}

fn cmd_run(args: RunArgs) -> Result<()> {
    let strategy = traitor::resolve(&args.strategy)?;
    let link = match args.link {
        LinkKind::Authenticated => LinkSpec::Authenticated,
        LinkKind::Arbitrary => LinkSpec::Arbitrary {
            adversary: args.adversary.clone(),
            rate: args.link_rate,
        },
    };
    let traitors = args.traitors.as_deref().map(parse_traitors).transpose()?;
    let spec = RunSpec {
        algorithm: args.algorithm,
        n: args.n,
        f: args.f,
        m: args.m,
        traitors,
        strategy,
        value: args.value,
        link,
        runtime: args.runtime,
        seed: args.seed,
        trace: args.trace,
    };
    let plan = spec.validate()?;
    let report = runtime::execute(&plan)?;
    if args.json {
        let mut json = serde_json::to_value(&report.outcome)?;
        if args.trace
            && let Some(obj) = json.as_object_mut()
        {
            let lines: Vec<String> = report.trace.iter().map(|t| t.to_string()).collect();
            obj.insert("trace".into(), serde_json::to_value(lines)?);
        }
        println!("{}", serde_json::to_string(&json)?);
    } else {
        if args.trace {
            for t in &report.trace {
                println!("{t}");
            }
        }
        print_summary(&report);
    }
    Ok(())
}

fn holds(b: bool) -> &'static str {
    if b { "holds" } else { "VIOLATED" }
}

fn print_summary(r: &RunReport) {
    let o = &r.outcome;
    let alg = format!("{}({})", o.algorithm.as_str().to_uppercase(), o.m);
    let traitors = if o.traitors.is_empty() {
        "none".to_string()
    } else {
        o.traitors.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(",")
    };
    println!(
        "{alg}  n={} f={}  traitors={traitors} ({})  commander {}  order={}",
        o.n,
        o.f,
        o.strategy,
        if o.commander_loyal { "loyal" } else { "traitor" },
        o.value
    );
    println!("link={}  runtime={}  seed={}", o.link, o.runtime, o.seed);
    let decisions: Vec<String> = o.decisions.iter().map(|(g, v)| format!("{g}:{v}")).collect();
    println!(
        "decisions  {}",
        if decisions.is_empty() {
            "(no loyal lieutenants)".into()
        } else {
            decisions.join(" ")
        }
    );
    println!(
        "IC1 agreement {}   IC2 validity {}",
        holds(o.agreement),
        holds(o.validity)
    );
    let c = &o.counters;
    println!(
        "rounds={} messages={} bytes={} signatures made={} verified={} (cache hits {}) frames rejected={} orders rejected={}",
        o.rounds,
        o.messages,
        o.bytes,
        c.signatures_made,
        c.signatures_verified,
        c.verify_cache_hits,
        c.frames_rejected,
        c.orders_rejected
    );
}

fn cmd_strategies() {
    println!("traitor strategies (--strategy NAME, or a path to a .toml script):");
    for s in traitor::builtins() {
        println!("  {:<12} {}", s.name, s.about);
    }
    println!("  FILE.toml    scripted: rules matching sender, receiver, round and path (see README)");
    println!();
    println!("link adversaries (--link arbitrary --adversary NAME):");
    for (name, about, _) in adversary::builtins() {
        println!("  {name:<12} {about}");
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // --help and --version are not errors.
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Run(args) => cmd_run(args),
        Command::Strategies => {
            cmd_strategies();
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
