//! One row of `runs.csv`: every axis of a run and every field of its outcome.
//! Rows hold no timings, so the same plan gives the same rows whatever the
//! machine, the number of jobs or the sharding.

use super::plan::{Cell, RunDesc};
use crate::runtime::RunReport;
use crate::traitor::StrategyRef;
use crate::types::{Algorithm, Value};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A finished run.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RunRecord {
    /// `CELL-INDEX`.
    pub run_id: String,
    /// Cell id.
    pub cell: usize,
    /// Index within the cell.
    pub index: usize,
    /// Algorithm.
    pub algorithm: Algorithm,
    /// Generals.
    pub n: usize,
    /// Traitors tolerated.
    pub f: usize,
    /// Rounds of relaying.
    pub m: usize,
    /// Link label.
    pub link: String,
    /// Search kind of the cell.
    pub search: String,
    /// Strategy label.
    pub strategy: String,
    /// For enumerated strategies, the choices; else empty.
    pub behaviour: String,
    /// Traitors, `;`-separated.
    pub traitors: String,
    /// Whether the commander is loyal.
    pub commander_loyal: bool,
    /// The commander's order.
    pub value: Value,
    /// Seed.
    pub seed: u64,
    /// Runtime.
    pub runtime: String,
    /// IC1.
    pub agreement: bool,
    /// IC2.
    pub validity: bool,
    /// Not (IC1 and IC2).
    pub violation: bool,
    /// Loyal decisions as `id=value;...`.
    pub decisions: String,
    /// Logical messages.
    pub messages: u64,
    /// Bytes on the wire.
    pub bytes: u64,
    /// Rounds.
    pub rounds: u32,
    /// Signatures made.
    pub signatures_made: u64,
    /// Signature checks made.
    pub signatures_verified: u64,
    /// Checks answered by the cache.
    pub verify_cache_hits: u64,
    /// Frames refused by receivers.
    pub frames_rejected: u64,
    /// Orders refused by receivers.
    pub orders_rejected: u64,
    /// Orders ignored (value already in V).
    pub orders_ignored: u64,
    /// Frames the link dropped.
    pub link_dropped: u64,
    /// Frames the link altered.
    pub link_tampered: u64,
    /// Frames the link added.
    pub link_injected: u64,
    /// Tampered or spoofed frames a receiver took a value from.
    pub tampered_accepted: u64,
    /// Accepted orders with a signature nobody made.
    pub forgeries_accepted: u64,
}

impl RunRecord {
    /// The row of `run` in `cell`, from its report.
    pub fn new(cell: &Cell, run: &RunDesc, report: &RunReport) -> RunRecord {
        let o = &report.outcome;
        let c = &o.counters;
        let behaviour = match &run.strategy {
            StrategyRef::Enumerated { choices } => choices.clone(),
            _ => String::new(),
        };
        RunRecord {
            run_id: format!("{}-{}", cell.id, run.index),
            cell: cell.id,
            index: run.index,
            algorithm: o.algorithm,
            n: o.n,
            f: o.f,
            m: o.m,
            link: cell.link.label(),
            search: cell.search.as_str().to_string(),
            // The run already resolved the strategy's name; no second parse.
            strategy: o.strategy.clone(),
            behaviour,
            traitors: o.traitors.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(";"),
            commander_loyal: o.commander_loyal,
            value: o.value,
            seed: o.seed,
            runtime: o.runtime.clone(),
            agreement: o.agreement,
            validity: o.validity,
            violation: !(o.agreement && o.validity),
            decisions: o
                .decisions
                .iter()
                .map(|(g, v)| format!("{g}={v}"))
                .collect::<Vec<_>>()
                .join(";"),
            messages: o.messages,
            bytes: o.bytes,
            rounds: o.rounds,
            signatures_made: c.signatures_made,
            signatures_verified: c.signatures_verified,
            verify_cache_hits: c.verify_cache_hits,
            frames_rejected: c.frames_rejected,
            orders_rejected: c.orders_rejected,
            orders_ignored: c.orders_ignored,
            link_dropped: c.link_dropped,
            link_tampered: c.link_tampered,
            link_injected: c.link_injected,
            tampered_accepted: c.tampered_accepted,
            forgeries_accepted: c.forgeries_accepted,
        }
    }
}

/// Reads `runs.csv`. A last line cut short by an interrupted write is
/// dropped (it is rerun on resume); any other bad row is an error.
pub fn read_runs(path: &Path) -> Result<Vec<RunRecord>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    // Only complete lines count: a row is written with its newline in one go.
    let complete = match text.rfind('\n') {
        Some(i) => &text[..=i],
        None => "",
    };
    let mut reader = csv::ReaderBuilder::new().from_reader(complete.as_bytes());
    let mut out = Vec::new();
    for (i, row) in reader.deserialize::<RunRecord>().enumerate() {
        out.push(row.map_err(|e| format!("{}: row {}: {e}", path.display(), i + 2))?);
    }
    Ok(out)
}

/// Writes rows as CSV text (with header when `header`).
pub fn to_csv(rows: &[RunRecord], header: bool) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().has_headers(header).from_writer(Vec::new());
    for r in rows {
        // Serializing plain fields into memory cannot fail.
        let _ = w.serialize(r);
    }
    if header && rows.is_empty() {
        let _ = w.write_record(HEADER);
    }
    w.into_inner().unwrap_or_default()
}

/// Column names of `runs.csv`.
pub const HEADER: &[&str] = &[
    "run_id",
    "cell",
    "index",
    "algorithm",
    "n",
    "f",
    "m",
    "link",
    "search",
    "strategy",
    "behaviour",
    "traitors",
    "commander_loyal",
    "value",
    "seed",
    "runtime",
    "agreement",
    "validity",
    "violation",
    "decisions",
    "messages",
    "bytes",
    "rounds",
    "signatures_made",
    "signatures_verified",
    "verify_cache_hits",
    "frames_rejected",
    "orders_rejected",
    "orders_ignored",
    "link_dropped",
    "link_tampered",
    "link_injected",
    "tampered_accepted",
    "forgeries_accepted",
];
