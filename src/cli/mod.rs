//! The `byzlab` command line, as a library function so that a user's crate
//! gets its own `byzlab` with its strategies and adversaries registered
//! ([`main_with`], [`crate::registry`]; see `examples/my_lab.rs`).
//! `anyhow` lives here only; the rest of the library speaks in typed
//! errors, and every error reaches the user as one line on stderr with a
//! non-zero exit, never a panic.

use crate::experiment::plan::{self, ExperimentPlan};
use crate::experiment::runner::{self, SweepOptions};
use crate::experiment::{merge, render, report, spec, witness};
use crate::graph::GraphSpec;
use crate::link::{LinkDefaults, LinkSpec};
use crate::registry::Registry;
use crate::run::NodeFault;
use crate::run::{RunSpec, RuntimeKind, Signatures};
use crate::runtime::{self, RunReport};
use crate::timing::TimingModel;
use crate::traitor;
use crate::types::{Algorithm, Counters, GeneralId, Value};
use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod aloha;
mod book_shop;
mod detect;
mod detect_sweep;
mod finite;
mod merge_shards;
mod models;
mod parse;
mod perf;
mod replay;
mod run;
mod service;
mod shrink;
mod strategies;
mod sweep;
mod two_generals;
use aloha::*;
use book_shop::*;
use detect::*;
use detect_sweep::*;
use finite::*;
use merge_shards::*;
use models::*;
use parse::*;
use perf::*;
use replay::*;
pub(crate) use run::explorer_page;
use run::*;
use service::*;
use shrink::*;
use strategies::*;
use sweep::*;
use two_generals::*;

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
    Run(Box<RunArgs>),
    /// List the built-in traitor strategies and link adversaries.
    Strategies,
    /// Run an experiment file: every cell searched for violations, results written to a folder.
    Sweep(SweepArgs),
    /// Rerun a witness of a violation and print its message trace.
    Replay(ReplayArgs),
    /// Shrink a witness to a minimal set of traitor deviations that still violates (delta debugging).
    Shrink(ShrinkArgs),
    /// Combine shard folders of one experiment into the outputs of one run.
    Merge(MergeArgs),
    /// Measure the performance targets and the scaling table (see scripts/perf.sh).
    Perf(PerfArgs),
    /// Run the heartbeat failure detector: who suspects whom, and when (virtual time).
    Detect(DetectArgs),
    /// Sweep the failure detector over timing models, timeouts and adaptivity (an experiment file).
    DetectSweep(DetectSweepArgs),
    /// The two generals over a fair-loss channel: how often exactly one attacks, after K acknowledgements.
    TwoGenerals(TwoGeneralsArgs),
    /// The online book shop: customer, shop and payment service agree with OM or SM, one possibly Byzantine.
    BookShop(BookShopArgs),
    /// Slotted ALOHA on one shared channel: throughput, collisions and delay against offered load, with or without exponential backoff.
    Aloha(AlohaArgs),
    /// OM's message explosion on a finite network: the smallest bottleneck rate at which OM(m) and SM(m) still agree (a table).
    Explosion(StudyArgs),
    /// Congestion collapse: goodput against offered load at one bottleneck, retransmitting fixed, exponential or with AIMD (a table).
    Congestion(StudyArgs),
    /// Bufferbloat: one bottleneck's queue from 1 to 10,000 frames against latency, drops, late frames and violations (a table).
    Bufferbloat(StudyArgs),
    /// The book shop as a replicated service over virtual days: orders, crashes and repairs, availability in nines.
    Service(Box<ServiceArgs>),
    /// Single points of failure: each replica, link and the commander role failed in turn under each commander policy (a table).
    Spof(StudyArgs),
    /// Availability in nines against MTTR, n and the commander policy, measured over seeds against the prediction (a table).
    Availability(StudyArgs),
    /// Which algorithm survives which system model: every algorithm x timing x fault kind x scheduler, rounds to decide, FLP.
    Models(ModelsArgs),
}

/// The command line as a user would type it, for the results' provenance.
fn command_line() -> String {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    args.insert(0, "byzlab".into());
    args.join(" ")
}

/// A usage error on one line: clap's message with its indented details
/// joined in, without the usage block and the hint (said once instead).
fn one_line(rendered: &str) -> String {
    let message: Vec<&str> = rendered
        .lines()
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    shown(&format!("{} (see --help)", message.join(" ")))
}

/// An error and its causes on one line, each cause once: a cause whose
/// text the line already holds (an error that quotes its source) is not
/// repeated.
fn error_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !line.contains(&text) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&text);
        }
    }
    shown(&line)
}

/// Most characters of an error line: an input echoed in an error (a
/// 100 KB strategy name, a flag given twice) is cut here.
const MAX_ERROR_CHARS: usize = 900;

/// A line as it may reach a terminal: control characters (a NUL, a line
/// break, the right-to-left override U+202E) escaped, cut at
/// [`MAX_ERROR_CHARS`].
fn shown(line: &str) -> String {
    let mut out = String::new();
    for (i, c) in line.chars().enumerate() {
        if i >= MAX_ERROR_CHARS {
            out.push_str(" [...]");
            break;
        }
        let bidi = matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if c.is_control() || bidi {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// Runs the `byzlab` command line with `registry`'s strategies and link
/// adversaries known to every command: the whole of a `byzlab` binary.
///
/// ```no_run
/// use byzlab::registry::Registry;
/// fn main() -> std::process::ExitCode {
///     byzlab::cli::main_with(Registry::builtin())
/// }
/// ```
pub fn main_with(registry: Registry) -> ExitCode {
    // `byzlab ... | head`: a reader that stops early is its choice, not an
    // error of ours. Printing to a closed pipe panics in Rust's `println!`;
    // that panic is kept quiet and the command ends as a shell reports a
    // writer stopped by SIGPIPE (128 + 13), with no backtrace.
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !is_broken_pipe(info.payload()) {
            default(info);
        }
    }));
    let run = std::panic::AssertUnwindSafe(|| main_with_args(registry, std::env::args_os()));
    match std::panic::catch_unwind(run) {
        Ok(code) => code,
        Err(payload) if is_broken_pipe(payload.as_ref()) => ExitCode::from(141),
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

/// Whether a panic is `println!`'s on a closed standard output or error.
fn is_broken_pipe(payload: &(dyn std::any::Any + Send)) -> bool {
    let text = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("");
    text.starts_with("failed printing to std") && text.contains("Broken pipe")
}

/// [`main_with`] on the given arguments (the first is the program name), as
/// a test calls it.
pub fn main_with_args<I, T>(registry: Registry, args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            // --help and --version are not errors.
            if !e.use_stderr() {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            eprintln!("{}", one_line(&e.render().to_string()));
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Run(args) => cmd_run(*args, &registry),
        Command::Strategies => {
            cmd_strategies(&registry);
            Ok(())
        }
        Command::Sweep(args) => abandonable(args, &registry),
        Command::Replay(args) => cmd_replay(args, &registry),
        Command::Shrink(args) => cmd_shrink(args, &registry),
        Command::Merge(args) => cmd_merge(args, &registry),
        Command::Perf(args) => cmd_perf(args),
        Command::Detect(args) => cmd_detect(args),
        Command::DetectSweep(args) => cmd_detect_sweep(args),
        Command::TwoGenerals(args) => cmd_two_generals(args),
        Command::BookShop(args) => cmd_book_shop(args),
        Command::Aloha(args) => cmd_aloha(args),
        Command::Explosion(args) => cmd_study(args, crate::finite::explosion),
        Command::Bufferbloat(args) => cmd_study(args, crate::finite::bufferbloat),
        Command::Congestion(args) => cmd_study(args, crate::finite::congestion),
        Command::Service(args) => cmd_service(*args, &registry),
        Command::Spof(args) => cmd_study(args, crate::service::study::spof),
        Command::Availability(args) => cmd_study(args, crate::service::study::availability),
        Command::Models(args) => cmd_models(args, &registry),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // Said already; only the exit code is left.
        Err(e) if e.is::<ExitWith>() => ExitCode::from(e.downcast_ref::<ExitWith>().map_or(2, |x| x.0)),
        Err(e) => {
            eprintln!("error: {}", error_line(&e));
            ExitCode::from(2)
        }
    }
}

/// A command that has said why it stops and leaves only an exit code (an
/// interrupted sweep: 130), so that only `main` ends the process.
#[derive(Debug)]
struct ExitWith(u8);

impl std::fmt::Display for ExitWith {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}", self.0)
    }
}

impl std::error::Error for ExitWith {}
