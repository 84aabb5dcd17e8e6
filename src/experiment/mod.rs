//! Experiments: sweep n, f, algorithm, link and strategy, search every cell for
//! a violation of IC1 or IC2, and report a verdict per cell that can be
//! trusted, plotted and replayed.
//!
//! Read top-down, each module uses only those above it:
//!
//! * [`spec`]: the experiment file, parsed then validated, field by field.
//! * [`plan`]: cells and runs, exhaustive or sampled search.
//! * [`theory`]: what the paper predicts for a cell, from the placements it runs.
//! * [`search`]: the exhaustive searches, as the runs to list.
//! * [`record`]: rows of `runs.csv`.
//! * [`tally`]: what a sweep keeps of its rows, per cell (counts, sums, a witness).
//! * [`runner`]: the parallel sweep, with sharding, resume and progress.
//! * [`cells`]: rows joined to cells, verdicts, the tables cells form.
//! * [`witness`]: replayable witnesses of violations, and replay.
//! * [`diagram`]: space-time diagrams of one run (a witness, or `run --diagram`).
//! * [`plots`]: SVG heatmaps and message counts.
//! * [`render`]: summary.md and the terminal table, from one grid renderer.
//! * [`report`]: writes cells.csv, summary.md, witnesses and plots.
//! * [`merge`]: shards combined into one result.

pub mod cells;
pub mod diagram;
pub mod merge;
pub mod plan;
pub mod plots;
pub mod record;
pub mod render;
pub mod report;
pub mod runner;
pub mod search;
pub mod shrink;
pub mod spec;
pub mod tally;
pub mod theory;
pub mod witness;

/// What can go wrong in a sweep, a merge or a replay.
#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    /// The experiment file.
    #[error(transparent)]
    Spec(#[from] spec::SpecError),
    /// Reading or writing results.
    #[error("{path}: {message}")]
    Io {
        /// File or folder.
        path: String,
        /// What failed.
        message: String,
    },
    /// A resume, shard or merge that does not fit the results on disk.
    #[error("{0}")]
    Mismatch(String),
    /// A run of the plan failed.
    #[error("run {run_id}: {source}")]
    Run {
        /// Which run.
        run_id: String,
        /// What failed.
        source: crate::runtime::RunFailure,
    },
    /// A witness that does not reproduce or does not parse.
    #[error("{0}")]
    Witness(String),
    /// A `runs.csv` that cannot be read back.
    #[error(transparent)]
    Record(#[from] record::RecordError),
    /// A plot that could not be drawn.
    #[error(transparent)]
    Plot(#[from] plots::PlotError),
    /// The output folder is not byzlab's, or another byzlab writes it.
    #[error(transparent)]
    Folder(#[from] crate::folder::FolderError),
    /// The sweep was interrupted (Ctrl-C); the finished rows are kept.
    #[error("interrupted: {kept} of {total} runs are in {runs}; the rest run with --resume")]
    Interrupted {
        /// Rows in runs.csv.
        kept: usize,
        /// Runs of the plan (or shard).
        total: usize,
        /// The runs.csv kept.
        runs: String,
    },
}

/// Writes a result file crash-safely ([`crate::files::write_atomic`]).
pub(crate) fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> Result<(), ExperimentError> {
    crate::files::write_atomic(path, bytes).map_err(|e| ExperimentError::io(path, e))
}

impl ExperimentError {
    /// An IO error on `path`.
    pub fn io(path: &std::path::Path, e: impl std::fmt::Display) -> ExperimentError {
        ExperimentError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        }
    }
}
