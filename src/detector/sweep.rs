//! A sweep of detector runs: every timing model x timeout x adaptive or
//! not x seed of an experiment file, into `runs.csv`, `cells.csv`,
//! `summary.md` and a plot. The file (see `experiments/detector.toml`):
//!
//! ```toml
//! name = "detector"
//! n = 5
//! crashes = ["2@1000"]      # ID@MS, one entry per crash
//! duration = 4000
//! interval = 50
//! delta = 10
//! gst = 2000                # for partial
//! timings = ["sync", "partial", "async"]
//! timeouts = [20, 40, 60, 100, 200, 400]
//! adaptive = [false, true]
//! seeds = 10
//! ```

use super::{DetectError, DetectReport, DetectSpec, detect};
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
        // Counted in u128: no axis can wrap the count.
        let runs =
            timings.len() as u128 * raw.timeouts.len() as u128 * raw.adaptive.len() as u128 * u128::from(raw.seeds);
        if runs == 0 || runs > u128::from(MAX_RUNS) {
            return Err(bad(format!("{runs} runs: give 1 to {MAX_RUNS}")));
        }
        // The cost before the work: every node sends every other a
        // heartbeat each interval.
        let per_run = (raw.n as u128)
            * (raw.n.saturating_sub(1) as u128)
            * u128::from(raw.duration.div_ceil(raw.interval.max(1)));
        if runs * per_run > u128::from(MAX_HEARTBEATS) {
            return Err(bad(format!(
                "{runs} runs of {per_run} heartbeats each make {} heartbeats; a sweep sends at most {MAX_HEARTBEATS}: \
                 lower seeds, duration, n or the axes, or raise interval",
                runs * per_run
            )));
        }
        let plan = SweepPlan { raw, crashes, timings };
        // Every run but for its timing, timeout, adaptivity and seed is the
        // first: each timing and timeout checked before any run.
        for spec in plan.specs().filter(|s| !s.adaptive && s.seed == 0) {
            super::check(&spec)?;
        }
        Ok(plan)
    }

    /// Every run, in the order of the results: timing, timeout, adaptive,
    /// seed.
    pub fn specs(&self) -> impl Iterator<Item = DetectSpec> + '_ {
        let raw = &self.raw;
        self.timings.iter().flat_map(move |&timing| {
            raw.timeouts.iter().flat_map(move |&timeout| {
                raw.adaptive.iter().flat_map(move |&adaptive| {
                    (0..raw.seeds).map(move |seed| DetectSpec {
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
    let mut reports = Vec::new();
    for spec in plan.specs() {
        reports.push(detect(&spec)?);
    }
    folder.remove_ours(|_| false)?;
    folder.write("runs.csv", runs_csv(&reports))?;
    let cells = cells(&reports);
    folder.write("cells.csv", cells_csv(&cells))?;
    let plot = "detector.svg";
    let series: Vec<PanelSeries> = group_series(&cells);
    crate::experiment::plots::two_panels(
        &folder.file(plot)?,
        &format!(
            "Heartbeat failure detector, n = {}, interval {} ms (virtual time)",
            raw.n, raw.interval
        ),
        "initial timeout (ms)",
        ("false suspicions after GST per run", false),
        ("detection latency (ms after the crash)", false),
        &series,
        plotters::chart::SeriesLabelPosition::UpperRight,
    )
    .map_err(|e| bad(format!("{plot}: {e}")))?;
    let summary = summary_md(&raw.name, raw.description.as_deref(), raw, &cells, command, plot);
    folder.write("summary.md", summary.clone())?;
    folder.write(
        "README.md",
        format!(
            "# results/{}\n\nProduced by the committed code with:\n\n    {command}\n\nwith byzlab {}. Do not edit by hand: rerun the command.\n\n\
             Files: `runs.csv` (one row per run), `cells.csv` (one row per timing, timeout and adaptive setting), \
             `summary.md` (tables), `{plot}` (the plot).\n",
            raw.name,
            env!("CARGO_PKG_VERSION")
        ),
    )?;
    Ok(format!("{} runs; results in {}", reports.len(), out.display()))
}

fn runs_csv(reports: &[DetectReport]) -> String {
    let mut s = String::from(
        "timing,delta_ms,gst_ms,interval_ms,timeout_ms,adaptive,seed,crashed,crashed_ms,detection_first_ms,detection_last_ms,\
         false_suspicions,suspicions_after_gst,heartbeats,max_timeout_ms\n",
    );
    for r in reports {
        let d = r.detections.first();
        let opt = |v: Option<Millis>| v.map_or(String::new(), |t| t.to_string());
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
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
            r.max_timeout_ms
        );
    }
    s
}

/// One (timing, timeout, adaptive) setting over its seeds.
struct Cell {
    timing: TimingModel,
    timeout: Millis,
    adaptive: bool,
    runs: u64,
    false_suspicions: f64,
    after_gst: f64,
    /// Mean ms from the crash to the first detection, over detected runs.
    latency: Option<f64>,
    detected: u64,
}

fn cells(reports: &[DetectReport]) -> Vec<Cell> {
    let mut out: Vec<Cell> = Vec::new();
    for r in reports {
        let i = match out
            .iter()
            .position(|c| (c.timing, c.timeout, c.adaptive) == (r.timing, r.timeout_ms, r.adaptive))
        {
            Some(i) => i,
            None => {
                out.push(Cell {
                    timing: r.timing,
                    timeout: r.timeout_ms,
                    adaptive: r.adaptive,
                    runs: 0,
                    false_suspicions: 0.0,
                    after_gst: 0.0,
                    latency: None,
                    detected: 0,
                });
                out.len() - 1
            }
        };
        let c = &mut out[i];
        c.runs += 1;
        c.false_suspicions += r.false_suspicions as f64;
        c.after_gst += r.suspicions_after_gst as f64;
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
        if let Some(l) = &mut c.latency {
            *l /= c.detected as f64;
        }
    }
    out
}

fn cells_csv(cells: &[Cell]) -> String {
    let mut s = String::from(
        "timing,timeout_ms,adaptive,runs,mean_false_suspicions,mean_false_suspicions_after_gst,detected_runs,mean_detection_latency_ms\n",
    );
    for c in cells {
        let _ = writeln!(
            s,
            "{},{},{},{},{:.2},{:.2},{},{}",
            c.timing,
            c.timeout,
            c.adaptive,
            c.runs,
            c.false_suspicions,
            c.after_gst,
            c.detected,
            c.latency.map_or(String::new(), |l| format!("{l:.1}"))
        );
    }
    s
}

fn group_series(cells: &[Cell]) -> Vec<PanelSeries> {
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

fn summary_md(name: &str, description: Option<&str>, raw: &Raw, cells: &[Cell], command: &str, plot: &str) -> String {
    let mut s = format!("# {name}\n\n");
    if let Some(d) = description {
        let _ = writeln!(s, "{}\n", d.trim());
    }
    let _ = writeln!(
        s,
        "Made by `{command}` with byzlab {}: n = {}, crashes {:?}, heartbeats every {} ms, delta = {} ms, GST = {} ms \
         (partial), {} virtual ms per run, {} seeds per setting.\n",
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
         detection. Checks run as a node sends its own heartbeat, every {} ms, so with delays between 1 and delta the \
         last heartbeat of a live peer is {} to {} ms old: a fixed timeout below that suspects live nodes for ever; the \
         adaptive detector doubles a peer's timeout after each false suspicion, so under partial synchrony its false \
         suspicions stop eventually after GST (a few may come after it, until each peer's timeout covers the delay bound); under async the heavy tail keeps surprising it now and then. A timeout so short that a \
         node is suspected all along also \"detects\" the crash at once: that detection says nothing.\n",
        raw.interval,
        raw.interval.saturating_sub(raw.delta),
        raw.interval.saturating_sub(1)
    );
    let mut timings: Vec<TimingModel> = cells.iter().map(|c| c.timing).collect();
    timings.dedup();
    for t in timings {
        let _ = writeln!(s, "## {t}\n\n| timeout (ms) | fixed | adaptive |\n|---|---|---|");
        let mut timeouts: Vec<Millis> = cells.iter().filter(|c| c.timing == t).map(|c| c.timeout).collect();
        timeouts.dedup();
        for to in timeouts {
            let text = |adaptive: bool| {
                cells
                    .iter()
                    .find(|c| c.timing == t && c.timeout == to && c.adaptive == adaptive)
                    .map_or(String::new(), |c| {
                        let lat = c.latency.map_or("never".into(), |l| format!("{l:.0} ms"));
                        format!("{:.1} ({:.1}) / {lat}", c.after_gst, c.false_suspicions)
                    })
            };
            let _ = writeln!(s, "| {to} | {} | {} |", text(false), text(true));
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s, "![{plot}]({plot})");
    s
}
