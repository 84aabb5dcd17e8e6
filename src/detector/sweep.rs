//! A sweep of detector runs: every method (heartbeat, ping) x timing model
//! x timeout x adaptive or not x seed of an experiment file, into
//! `runs.csv`, `cells.csv`, `summary.md` and plots. The file (see
//! `experiments/detector.toml`):
//!
//! ```toml
//! name = "detector"
//! n = 5
//! crashes = ["2@1000"]      # ID@MS, one entry per crash
//! duration = 4000
//! interval = 50
//! delta = 10
//! gst = 2000                # for partial
//! methods = ["heartbeat", "ping"]   # optional; heartbeat alone if left out
//! timings = ["sync", "partial", "async"]
//! timeouts = [20, 40, 60, 100, 200, 400]
//! adaptive = [false, true]
//! seeds = 10
//! ```

use super::{DetectError, DetectReport, DetectSpec, Method, detect};
use crate::experiment::plots::PanelSeries;
use crate::run::RuntimeKind;
use crate::timing::{Millis, TimingModel};
use crate::types::GeneralId;
use serde::Deserialize;
use std::fmt::Write as _;
use std::path::Path;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    name: String,
    description: Option<String>,
    n: usize,
    crashes: Vec<String>,
    duration: Millis,
    interval: Millis,
    delta: Millis,
    gst: Millis,
    methods: Option<Vec<String>>,
    timings: Vec<String>,
    timeouts: Vec<Millis>,
    adaptive: Vec<bool>,
    seeds: u64,
}

/// A detector sweep that cannot run or be written.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The file.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A run.
    #[error(transparent)]
    Run(#[from] DetectError),
    /// The output folder is not byzlab's, or another byzlab writes it.
    #[error(transparent)]
    Folder(#[from] crate::folder::FolderError),
    /// Writing results.
    #[error("{path}: {source}")]
    Io {
        /// File or folder.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Parses `ID@MS`.
pub fn parse_crash(s: &str) -> Result<(GeneralId, Millis), String> {
    let (id, at) = s.split_once('@').ok_or_else(|| format!("`{s}` is not ID@MS"))?;
    let id = id
        .trim()
        .parse()
        .map_err(|_| format!("`{id}` in `{s}` is not a node id"))?;
    let at = at
        .trim()
        .parse()
        .map_err(|_| format!("`{at}` in `{s}` is not a time in ms"))?;
    Ok((id, at))
}

/// Largest number of runs a detector sweep may make.
const MAX_RUNS: u64 = 100_000;
/// Most heartbeats a sweep may send in all (results/detector sends about
/// 670,000): tens of seconds on one core.
const MAX_HEARTBEATS: u64 = 50_000_000;

/// A detector sweep's file, read and checked: the runs it asks for, built
/// one at a time by [`SweepPlan::specs`].
pub struct SweepPlan {
    raw: Raw,
    crashes: Vec<(GeneralId, Millis)>,
    methods: Vec<Method>,
    timings: Vec<TimingModel>,
}

impl SweepPlan {
    /// Reads the text of a sweep file (`path` names it in errors) and
    /// checks it: the axes, the run count and the heartbeats it would send,
    /// and the first run as the detector will check every run.
    pub fn parse(text: &str, path: &str) -> Result<SweepPlan, SweepError> {
        let bad = |message: String| SweepError::File {
            path: path.to_string(),
            message,
        };
        let raw: Raw = toml::from_str(text).map_err(|e| bad(crate::files::plain_parse_error(&e.to_string())))?;
        let crashes = raw
            .crashes
            .iter()
            .map(|c| parse_crash(c))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(format!("crashes: {e}")))?;
        let timings = raw
            .timings
            .iter()
            .map(|t| t.parse::<TimingModel>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(format!("timings: {e}")))?;
        let methods = match &raw.methods {
            None => vec![Method::Heartbeat],
            Some(list) => list
                .iter()
                .map(|m| m.parse::<Method>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| bad(format!("methods: {e}")))?,
        };
        // Counted in u128: no axis can wrap the count.
        let runs = methods.len() as u128
            * timings.len() as u128
            * raw.timeouts.len() as u128
            * raw.adaptive.len() as u128
            * u128::from(raw.seeds);
        if runs == 0 || runs > u128::from(MAX_RUNS) {
            return Err(bad(format!("{runs} runs: give 1 to {MAX_RUNS}")));
        }
        // The cost before the work: every node sends every other a
        // heartbeat (or a ping and its reply) each interval.
        let per_check = methods.iter().map(|m| m.messages_per_check()).max().unwrap_or(1);
        let per_run = u128::from(per_check)
            * (raw.n as u128)
            * (raw.n.saturating_sub(1) as u128)
            * u128::from(raw.duration.div_ceil(raw.interval.max(1)));
        if runs * per_run > u128::from(MAX_HEARTBEATS) {
            return Err(bad(format!(
                "{runs} runs of {per_run} messages each make {} messages; a sweep sends at most {MAX_HEARTBEATS}: \
                 lower seeds, duration, n or the axes, or raise interval",
                runs * per_run
            )));
        }
        let plan = SweepPlan {
            raw,
            crashes,
            methods,
            timings,
        };
        // Every run but for its timing, timeout, adaptivity and seed is the
        // first: each timing and timeout checked before any run.
        for spec in plan.specs().filter(|s| !s.adaptive && s.seed == 0) {
            super::check(&spec)?;
        }
        Ok(plan)
    }

    /// Every run, in the order of the results: method, timing, timeout,
    /// adaptive, seed.
    pub fn specs(&self) -> impl Iterator<Item = DetectSpec> + '_ {
        let raw = &self.raw;
        self.methods.iter().flat_map(move |&method| {
            self.timings.iter().flat_map(move |&timing| {
                raw.timeouts.iter().flat_map(move |&timeout| {
                    raw.adaptive.iter().flat_map(move |&adaptive| {
                        (0..raw.seeds).map(move |seed| DetectSpec {
                            method,
                            n: raw.n,
                            crashes: self.crashes.clone(),
                            interval: raw.interval,
                            timeout,
                            adaptive,
                            timing,
                            delta: raw.delta,
                            gst: if timing == TimingModel::Partial { raw.gst } else { 0 },
                            duration: raw.duration,
                            seed,
                            runtime: RuntimeKind::Direct,
                        })
                    })
                })
            })
        })
    }
}

/// Runs the sweep of `file` into `out`; returns the command's summary.
pub fn run(file: &Path, out: &Path, command: &str) -> Result<String, SweepError> {
    let path = file.display().to_string();
    let bad = |message: String| SweepError::File {
        path: path.clone(),
        message,
    };
    let text = crate::files::read_limited(file).map_err(|e| bad(e.to_string()))?;
    let plan = SweepPlan::parse(&text, &path)?;
    let raw = &plan.raw;
    // The output folder before the work.
    let legacy = crate::folder::legacy_names(&["runs.csv", "cells.csv", "detector.svg", "summary.md", "README.md"]);
    let mut folder = crate::folder::Folder::claim(out, "detect-sweep", Some(&legacy))?;
    let total = plan.specs().count();
    let mut reports = Vec::with_capacity(total);
    let mut shown = 0;
    for spec in plan.specs() {
        reports.push(detect(&spec)?);
        // Progress on stderr, a line per tenth.
        if reports.len() * 10 / total > shown {
            shown = reports.len() * 10 / total;
            eprintln!("detect-sweep: {} of {total} runs", reports.len());
        }
    }
    folder.remove_ours(|_| false)?;
    folder.write("runs.csv", runs_csv(&reports))?;
    let cells = cells(&reports);
    folder.write("cells.csv", cells_csv(&cells))?;
    let plot = "detector.svg";
    // The first method's timeouts against timing (the heartbeat, when the
    // file lists it first); the methods side by side in methods.svg.
    let first = plan.methods[0];
    let series: Vec<PanelSeries> = group_series(cells.iter().filter(|c| c.method == first));
    crate::experiment::plots::two_panels(
        &folder.file(plot)?,
        &format!(
            "{} failure detector, n = {}, interval {} ms (virtual time)",
            capitalized(first.as_str()),
            raw.n,
            raw.interval
        ),
        "initial timeout (ms)",
        ("false suspicions after GST per run", false),
        ("detection latency (ms after the crash)", false),
        &series,
        plotters::chart::SeriesLabelPosition::UpperRight,
    )
    .map_err(|e| bad(format!("{plot}: {e}")))?;
    let mut files = format!("`{plot}` ({first} detector against the timeout)");
    if plan.methods.len() > 1 {
        let compare = "methods.svg";
        crate::experiment::plots::stacked_panels(
            &folder.file(compare)?,
            &format!(
                "Heartbeat against ping, n = {}, interval {} ms, fixed timeouts (virtual time)",
                raw.n, raw.interval
            ),
            "timeout (ms)",
            &[
                ("detection latency (ms after the crash)", false),
                ("false suspicions per run", false),
                ("messages per virtual second", false),
            ],
            &method_series(&cells, raw.duration),
            plotters::chart::SeriesLabelPosition::UpperLeft,
        )
        .map_err(|e| bad(format!("{compare}: {e}")))?;
        files.push_str(&format!(", `{compare}` (the methods side by side)"));
    }
    let summary = summary_md(&raw.name, raw.description.as_deref(), raw, &cells, command, &files);
    folder.write("summary.md", summary.clone())?;
    folder.write(
        "README.md",
        format!(
            "# results/{}\n\nProduced by the committed code with:\n\n    {command}\n\nwith byzlab {}. Do not edit by hand: rerun the command.\n\n\
             Files: `runs.csv` (one row per run), `cells.csv` (one row per method, timing, timeout and adaptive setting), \
             `summary.md` (tables), {files}.\n",
            raw.name,
            env!("CARGO_PKG_VERSION")
        ),
    )?;
    Ok(format!("{} runs; results in {}", reports.len(), out.display()))
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
}

fn runs_csv(reports: &[DetectReport]) -> String {
    let mut s = String::from(
        "method,timing,delta_ms,gst_ms,interval_ms,timeout_ms,adaptive,seed,crashed,crashed_ms,detection_first_ms,\
         detection_last_ms,false_suspicions,suspicions_after_gst,heartbeats,messages,max_timeout_ms\n",
    );
    for r in reports {
        let d = r.detections.first();
        let opt = |v: Option<Millis>| v.map_or(String::new(), |t| t.to_string());
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            r.method,
            r.timing,
            r.delta_ms,
            r.gst_ms,
            r.interval_ms,
            r.timeout_ms,
            r.adaptive,
            r.seed,
            d.map_or(String::new(), |d| d.node.to_string()),
            opt(d.map(|d| d.crashed_ms)),
            opt(d.and_then(|d| d.first_ms)),
            opt(d.and_then(|d| d.last_ms)),
            r.false_suspicions,
            r.suspicions_after_gst,
            r.heartbeats,
            r.messages,
            r.max_timeout_ms
        );
    }
    s
}

/// One (method, timing, timeout, adaptive) setting over its seeds.
struct Cell {
    method: Method,
    timing: TimingModel,
    timeout: Millis,
    adaptive: bool,
    runs: u64,
    false_suspicions: f64,
    after_gst: f64,
    /// Mean ms from the crash to the first detection, over detected runs.
    latency: Option<f64>,
    detected: u64,
    /// Mean messages per run.
    messages: f64,
}

fn cells(reports: &[DetectReport]) -> Vec<Cell> {
    let mut out: Vec<Cell> = Vec::new();
    for r in reports {
        let key = (r.method, r.timing, r.timeout_ms, r.adaptive);
        let i = match out
            .iter()
            .position(|c| (c.method, c.timing, c.timeout, c.adaptive) == key)
        {
            Some(i) => i,
            None => {
                out.push(Cell {
                    method: r.method,
                    timing: r.timing,
                    timeout: r.timeout_ms,
                    adaptive: r.adaptive,
                    runs: 0,
                    false_suspicions: 0.0,
                    after_gst: 0.0,
                    latency: None,
                    detected: 0,
                    messages: 0.0,
                });
                out.len() - 1
            }
        };
        let c = &mut out[i];
        c.runs += 1;
        c.false_suspicions += r.false_suspicions as f64;
        c.after_gst += r.suspicions_after_gst as f64;
        c.messages += r.messages as f64;
        if let Some(d) = r.detections.first()
            && let Some(first) = d.first_ms
        {
            c.detected += 1;
            *c.latency.get_or_insert(0.0) += (first - d.crashed_ms) as f64;
        }
    }
    for c in &mut out {
        c.false_suspicions /= c.runs as f64;
        c.after_gst /= c.runs as f64;
        c.messages /= c.runs as f64;
        if let Some(l) = &mut c.latency {
            *l /= c.detected as f64;
        }
    }
    out
}

fn cells_csv(cells: &[Cell]) -> String {
    let mut s = String::from(
        "method,timing,timeout_ms,adaptive,runs,mean_false_suspicions,mean_false_suspicions_after_gst,detected_runs,\
         mean_detection_latency_ms,mean_messages\n",
    );
    for c in cells {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{:.2},{:.2},{},{},{:.0}",
            c.method,
            c.timing,
            c.timeout,
            c.adaptive,
            c.runs,
            c.false_suspicions,
            c.after_gst,
            c.detected,
            c.latency.map_or(String::new(), |l| format!("{l:.1}")),
            c.messages
        );
    }
    s
}

fn group_series<'a>(cells: impl Iterator<Item = &'a Cell>) -> Vec<PanelSeries> {
    let mut out: Vec<PanelSeries> = Vec::new();
    for c in cells {
        let label = format!("{}, {}", c.timing, if c.adaptive { "adaptive" } else { "fixed" });
        let point = (c.timeout as f64, c.after_gst, c.latency.unwrap_or(0.0));
        match out.iter_mut().find(|(l, _)| *l == label) {
            Some((_, pts)) => pts.push(point),
            None => out.push((label, vec![point])),
        }
    }
    out
}

/// Per method and timing, over the fixed timeouts: detection latency,
/// false suspicions per run, messages per virtual second.
fn method_series(cells: &[Cell], duration: Millis) -> Vec<crate::experiment::plots::StackSeries> {
    let mut out: Vec<crate::experiment::plots::StackSeries> = Vec::new();
    for c in cells.iter().filter(|c| !c.adaptive) {
        let label = format!("{}, {}", c.method, c.timing);
        let per_s = c.messages * 1000.0 / duration.max(1) as f64;
        let point = (
            c.timeout as f64,
            vec![c.latency.unwrap_or(0.0), c.false_suspicions, per_s],
        );
        match out.iter_mut().find(|(l, _)| *l == label) {
            Some((_, pts)) => pts.push(point),
            None => out.push((label, vec![point])),
        }
    }
    out
}

fn summary_md(name: &str, description: Option<&str>, raw: &Raw, cells: &[Cell], command: &str, files: &str) -> String {
    let mut s = format!("# {name}\n\n");
    if let Some(d) = description {
        let _ = writeln!(s, "{}\n", d.trim());
    }
    let _ = writeln!(
        s,
        "Made by `{command}` with byzlab {}: n = {}, crashes {:?}, a check every {} ms, delta = {} ms, GST = {} ms \
         (partial), {} virtual ms per run, {} seeds per setting. Figures: {files}.\n",
        env!("CARGO_PKG_VERSION"),
        raw.n,
        raw.crashes,
        raw.interval,
        raw.delta,
        raw.gst,
        raw.duration,
        raw.seeds
    );
    let _ = writeln!(
        s,
        "Each cell: false suspicions per run after GST (all of them, in brackets) / mean time from the crash to the first \
         detection / messages per virtual second. **Heartbeat**: checks run as a node sends its own heartbeat, every {} ms, \
         so with delays between 1 and delta the last heartbeat of a live peer is {} to {} ms old: a fixed timeout below \
         that suspects live nodes for ever. **Ping**: a node suspects a peer whose oldest unanswered request is older than \
         the timeout; a reply comes back after two delays (2 to {} ms), so a timeout must cover the round trip, and each \
         check costs a request and a reply (twice the heartbeat's messages). The adaptive detector doubles a peer's \
         timeout after each false suspicion, so under partial synchrony its false suspicions stop eventually after GST \
         (a few may come after it, until each peer's timeout covers the delay bound); under async the heavy tail keeps \
         surprising it now and then. A timeout so short that a node is suspected all along also \"detects\" the crash at \
         once: that detection says nothing.\n",
        raw.interval,
        raw.interval.saturating_sub(raw.delta),
        raw.interval.saturating_sub(1),
        2 * raw.delta
    );
    let mut groups: Vec<(Method, TimingModel)> = cells.iter().map(|c| (c.method, c.timing)).collect();
    groups.dedup();
    for (m, t) in groups {
        let _ = writeln!(s, "## {m}, {t}\n\n| timeout (ms) | fixed | adaptive |\n|---|---|---|");
        let mut timeouts: Vec<Millis> = cells
            .iter()
            .filter(|c| c.method == m && c.timing == t)
            .map(|c| c.timeout)
            .collect();
        timeouts.dedup();
        for to in timeouts {
            let text = |adaptive: bool| {
                cells
                    .iter()
                    .find(|c| c.method == m && c.timing == t && c.timeout == to && c.adaptive == adaptive)
                    .map_or(String::new(), |c| {
                        let lat = c.latency.map_or("never".into(), |l| format!("{l:.0} ms"));
                        let per_s = c.messages * 1000.0 / raw.duration.max(1) as f64;
                        format!("{:.1} ({:.1}) / {lat} / {per_s:.0}/s", c.after_gst, c.false_suspicions)
                    })
            };
            let _ = writeln!(s, "| {to} | {} | {} |", text(false), text(true));
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s, "![detector.svg](detector.svg)");
    if cells.iter().any(|c| c.method == Method::Ping) && cells.iter().any(|c| c.method == Method::Heartbeat) {
        let _ = writeln!(s, "\n![methods.svg](methods.svg)");
    }
    s
}
