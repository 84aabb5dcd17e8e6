//! One row of `runs.csv`: every axis of a run and every field of its outcome.
//! Rows hold no timings, so the same plan gives the same rows whatever the
//! machine, the number of jobs or the sharding.

use super::plan::{Cell, ExperimentPlan, RunDesc};
use crate::runtime::RunReport;
use crate::timing::TimingModel;
use crate::traitor::StrategyRef;
use crate::types::{Counters, Value};
use std::path::Path;

/// A finished run.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RunRecord {
    /// `CELL-INDEX`, unique in an experiment and stable across shards.
    pub run_id: String,
    /// The cell's position in the plan (a row of cells.csv).
    pub cell: usize,
    /// The run's position within its cell, in the plan's order.
    pub index: usize,
    /// The algorithm's registered name (`om`, `sm`, `phase-king`, ...).
    pub algorithm: String,
    /// Generals, commander included.
    pub n: usize,
    /// Traitors the cell is about (the column of the verdict table).
    pub f: usize,
    /// Traitors and failing generals this run placed (at most f; see the
    /// experiment's `traitors`).
    pub k: usize,
    /// The m of OM(m) or SM(m) this run used.
    pub m: usize,
    /// The link, as `authenticated` or `arbitrary(ADVERSARY@RATE)`.
    pub link: String,
    /// The communication graph: `complete`, `ring`, `regular:P`, `file:NAME`.
    pub graph: String,
    /// How the cell was searched: `exhaustive` or `sampled`.
    pub search: String,
    /// The traitors' strategy: a built-in name, `scripted:NAME` or `enumerated`.
    pub strategy: String,
    /// For `enumerated`, every traitor's choices as `T=DIGITS;...` (0 RETREAT,
    /// 1 ATTACK, 2 silent, one digit per message in sending order); else empty.
    pub behaviour: String,
    /// Traitor ids, ascending, `;`-separated (empty for none).
    pub traitors: String,
    /// Whether the commander is loyal.
    pub commander_loyal: bool,
    /// The commander's order.
    pub value: Value,
    /// The run's seed: keys, traitor choices and link faults all follow from it.
    pub seed: u64,
    /// `actix` or `direct` (the outcome is the same in both).
    pub runtime: String,
    /// IC1 held: every loyal lieutenant decided alike.
    pub agreement: bool,
    /// IC2 held: with a loyal commander, every loyal lieutenant obeyed it.
    pub validity: bool,
    /// IC1 or IC2 failed: the row is a witness candidate.
    pub violation: bool,
    /// Loyal decisions as `id=value;...`.
    pub decisions: String,
    /// Rounds the run took (m + 1).
    pub rounds: u32,
    /// The timing model.
    pub timing: TimingModel,
    /// Delay bound delta, in virtual ms.
    pub delta_ms: u64,
    /// Global stabilisation time (partial synchrony), in virtual ms.
    pub gst_ms: u64,
    /// Round timeout, in virtual ms.
    pub timeout_ms: u64,
    /// Virtual time at which the last loyal lieutenant decided, in ms.
    pub decision_time_ms: u64,
    /// Generals that failed benignly, `ID:FAULT;...` (`2:crash@13`).
    pub failed: String,
    /// Every counter of the run, a column each (see [`Counters::NAMES`]).
    pub counters: Counters,
}

impl RunRecord {
    /// Why this row is not a run of `plan` (an edited runs.csv, another
    /// plan's row), or `None`: resume and merge keep only runs of the plan.
    pub fn foreign_to(&self, plan: &ExperimentPlan) -> Option<String> {
        match plan
            .cells
            .get(self.cell)
            .and_then(|c| c.runs.get(self.index).map(|d| (c, d)))
        {
            None => Some("no such run".to_string()),
            Some((cell, desc)) => self.differs_from(cell, &desc),
        }
    }

    /// What this row says about its run that the plan's run of that id does
    /// not (an edited runs.csv): the first such column, or `None`. Its outcome
    /// is checked where it matters, when its cell's witness is rerun.
    fn differs_from(&self, cell: &Cell, desc: &RunDesc) -> Option<String> {
        let r = self;
        let behaviour = match &desc.strategy {
            StrategyRef::Enumerated { choices } => choices.as_str(),
            _ => "",
        };
        let traitors = desc
            .traitors
            .iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join(";");
        let checks: [(&str, bool); 13] = [
            ("algorithm", r.algorithm == cell.algorithm.as_str()),
            ("n", r.n == cell.n),
            ("f", r.f == cell.f),
            ("m", Some(r.m) == cell.run_m()),
            ("link", r.link == cell.link_label()),
            ("search", r.search == cell.search.as_str()),
            ("traitors", r.traitors == traitors),
            ("value", r.value == desc.value),
            ("seed", r.seed == desc.seed),
            ("timing", r.timing == cell.timing.model),
            ("delta_ms", r.delta_ms == cell.timing.delta),
            ("gst_ms", r.gst_ms == cell.timing.gst),
            ("behaviour", r.behaviour == behaviour),
        ];
        let timeout = r.timeout_ms == cell.timing.timeout;
        checks
            .iter()
            .chain([("timeout_ms", timeout)].iter())
            .find(|(_, same)| !same)
            .map(|(col, _)| format!("its {col} is not the plan's"))
    }

    /// The row of `run` in `cell`, from its report.
    pub fn new(cell: &Cell, run: &RunDesc, report: &RunReport) -> RunRecord {
        let o = &report.outcome;
        let behaviour = match &run.strategy {
            StrategyRef::Enumerated { choices } => choices.clone(),
            _ => String::new(),
        };
        RunRecord {
            run_id: format!("{}-{}", cell.id, run.index),
            cell: cell.id,
            index: run.index,
            algorithm: o.algorithm.to_string(),
            n: o.n,
            f: o.f,
            k: o.traitors.len() + o.failed.len(),
            m: o.m,
            link: cell.link_label(),
            graph: o.graph.clone(),
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
            // An asynchronous algorithm's undecided lieutenants among them.
            decisions: {
                let mut d: Vec<(crate::types::GeneralId, &str)> =
                    o.decisions.iter().map(|(g, v)| (*g, v.as_str())).collect();
                d.extend(o.undecided.iter().map(|g| (*g, UNDECIDED)));
                d.sort_unstable();
                d.iter().map(|(g, v)| format!("{g}={v}")).collect::<Vec<_>>().join(";")
            },
            rounds: o.rounds,
            timing: o.timing,
            delta_ms: o.delta_ms,
            gst_ms: o.gst_ms,
            timeout_ms: o.timeout_ms,
            decision_time_ms: o.decision_time_ms,
            failed: o.failed.join(";"),
            counters: o.counters,
        }
    }
}

/// How the `decisions` column names a loyal lieutenant of an asynchronous
/// algorithm that had not decided when its run ended (`3=undecided`).
pub const UNDECIDED: &str = "undecided";

impl RunRecord {
    /// A loyal lieutenant had not decided when the run ended.
    pub fn undecided(&self) -> bool {
        self.decisions.split(';').any(|d| d.ends_with(UNDECIDED))
    }
}

/// The columns before the counters, in order.
const FIELDS: &[&str] = &[
    "run_id",
    "cell",
    "index",
    "algorithm",
    "n",
    "f",
    "k",
    "m",
    "link",
    "graph",
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
    "rounds",
    "timing",
    "delta_ms",
    "gst_ms",
    "timeout_ms",
    "decision_time_ms",
    "failed",
];

/// Column names of `runs.csv`: the run's fields, then every counter; the
/// finite network's counters ([`Counters::FINITE`]) only when `wide` (a
/// plan with a bottleneck, a `capacity` or an `aimd` layer), so that a
/// plan without them writes the columns it always wrote.
pub fn header(wide: bool) -> Vec<&'static str> {
    FIELDS
        .iter()
        .chain(&Counters::NAMES[..columns(wide)])
        .copied()
        .collect()
}

/// How many counters a row has.
fn columns(wide: bool) -> usize {
    if wide {
        Counters::NAMES.len()
    } else {
        Counters::NAMES.len() - Counters::FINITE.len()
    }
}

impl RunRecord {
    /// Writes the row's fields, in [`header`]'s order, with no string
    /// allocated per field (numbers go through one reused buffer): a sweep
    /// of small runs writes millions of rows.
    fn write(&self, w: &mut csv::Writer<Vec<u8>>, buf: &mut String, wide: bool) {
        use std::fmt::Write as _;
        let mut show = |w: &mut csv::Writer<Vec<u8>>, x: &dyn std::fmt::Display| {
            buf.clear();
            let _ = write!(buf, "{x}");
            let _ = w.write_field(buf.as_bytes());
        };
        let text = |w: &mut csv::Writer<Vec<u8>>, x: &str| {
            let _ = w.write_field(x);
        };
        text(w, &self.run_id);
        show(w, &self.cell);
        show(w, &self.index);
        show(w, &self.algorithm);
        show(w, &self.n);
        show(w, &self.f);
        show(w, &self.k);
        show(w, &self.m);
        text(w, &self.link);
        text(w, &self.graph);
        text(w, &self.search);
        text(w, &self.strategy);
        text(w, &self.behaviour);
        text(w, &self.traitors);
        show(w, &self.commander_loyal);
        show(w, &self.value);
        show(w, &self.seed);
        text(w, &self.runtime);
        show(w, &self.agreement);
        show(w, &self.validity);
        show(w, &self.violation);
        text(w, &self.decisions);
        show(w, &self.rounds);
        show(w, &self.timing);
        show(w, &self.delta_ms);
        show(w, &self.gst_ms);
        show(w, &self.timeout_ms);
        show(w, &self.decision_time_ms);
        text(w, &self.failed);
        for v in &self.counters.values()[..columns(wide)] {
            show(w, v);
        }
        let _ = w.write_record(None::<&[u8]>);
    }

    #[cfg(test)]
    fn to_fields(&self) -> Vec<String> {
        let mut out = vec![
            self.run_id.clone(),
            self.cell.to_string(),
            self.index.to_string(),
            self.algorithm.to_string(),
            self.n.to_string(),
            self.f.to_string(),
            self.k.to_string(),
            self.m.to_string(),
            self.link.clone(),
            self.graph.clone(),
            self.search.clone(),
            self.strategy.clone(),
            self.behaviour.clone(),
            self.traitors.clone(),
            self.commander_loyal.to_string(),
            self.value.to_string(),
            self.seed.to_string(),
            self.runtime.clone(),
            self.agreement.to_string(),
            self.validity.to_string(),
            self.violation.to_string(),
            self.decisions.clone(),
            self.rounds.to_string(),
            self.timing.to_string(),
            self.delta_ms.to_string(),
            self.gst_ms.to_string(),
            self.timeout_ms.to_string(),
            self.decision_time_ms.to_string(),
            self.failed.clone(),
        ];
        out.extend(self.counters.values().iter().map(u64::to_string));
        out
    }

    fn from_fields(row: &csv::StringRecord, wide: bool) -> Result<RunRecord, String> {
        let want = FIELDS.len() + columns(wide);
        if row.len() != want {
            return Err(format!("{} fields, expected {want}", row.len()));
        }
        let get = |i: usize| row.get(i).unwrap_or_default();
        fn num<T: std::str::FromStr>(s: &str, col: &str) -> Result<T, String> {
            s.parse().map_err(|_| format!("{col} = `{s}` is not valid"))
        }
        let mut counters = Counters::default();
        for (k, name) in Counters::NAMES[..columns(wide)].iter().enumerate() {
            counters.set(name, num(get(FIELDS.len() + k), name)?);
        }
        Ok(RunRecord {
            run_id: get(0).to_string(),
            cell: num(get(1), "cell")?,
            index: num(get(2), "index")?,
            algorithm: get(3).to_string(),
            n: num(get(4), "n")?,
            f: num(get(5), "f")?,
            k: num(get(6), "k")?,
            m: num(get(7), "m")?,
            link: get(8).to_string(),
            graph: get(9).to_string(),
            search: get(10).to_string(),
            strategy: get(11).to_string(),
            behaviour: get(12).to_string(),
            traitors: get(13).to_string(),
            commander_loyal: num(get(14), "commander_loyal")?,
            value: get(15).parse().map_err(|e: crate::types::UnknownName| e.to_string())?,
            seed: num(get(16), "seed")?,
            runtime: get(17).to_string(),
            agreement: num(get(18), "agreement")?,
            validity: num(get(19), "validity")?,
            violation: num(get(20), "violation")?,
            decisions: get(21).to_string(),
            rounds: num(get(22), "rounds")?,
            timing: get(23).parse().map_err(|e: crate::types::UnknownName| e.to_string())?,
            delta_ms: num(get(24), "delta_ms")?,
            gst_ms: num(get(25), "gst_ms")?,
            timeout_ms: num(get(26), "timeout_ms")?,
            decision_time_ms: num(get(27), "decision_time_ms")?,
            failed: get(28).to_string(),
            counters,
        })
    }
}

/// A `runs.csv` that cannot be read back.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Its header is not the one this version writes.
    #[error("{path}: the header is not that of this byzlab's runs.csv (written by another version?)")]
    Header {
        /// The file.
        path: String,
    },
    /// A row that does not parse.
    #[error("{path}: row {row}: {message}")]
    Row {
        /// The file.
        path: String,
        /// Line number, the header being line 1.
        row: usize,
        /// What is wrong.
        message: String,
    },
}

/// Reads every complete row of a `runs.csv` (a kill may leave a last line
/// cut short: it does not count), all at once.
pub fn read_runs(path: &Path) -> Result<Vec<RunRecord>, RecordError> {
    let mut out = Vec::new();
    for_each_run(path, |r| {
        out.push(r);
        Ok(())
    })?;
    Ok(out)
}

/// Reads the complete rows of a `runs.csv` one at a time, in file order,
/// without holding them; returns the length in bytes of the complete part
/// (what a resume keeps). `f` may stop the reading with its own error.
pub fn for_each_run(path: &Path, mut f: impl FnMut(RunRecord) -> Result<(), RecordError>) -> Result<u64, RecordError> {
    let mut rows = RunReader::open(path)?;
    while let Some(r) = rows.next_row()? {
        f(r)?;
    }
    Ok(rows.complete)
}

/// A `runs.csv` read one complete row at a time (a kill may leave a last
/// line cut short: it does not count).
pub struct RunReader {
    reader: csv::Reader<std::io::Take<std::io::BufReader<std::fs::File>>>,
    row: csv::StringRecord,
    line: usize,
    path: String,
    /// Bytes of the file up to its last complete line.
    pub complete: u64,
    /// Whether it has the finite network's columns.
    pub wide: bool,
}

impl RunReader {
    /// Opens `path`, checking its header.
    pub fn open(path: &Path) -> Result<RunReader, RecordError> {
        use std::io::{Read, Seek, SeekFrom};
        let shown = path.display().to_string();
        let io = |source| RecordError::Io {
            path: path.display().to_string(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(io)?;
        // Only complete lines count: a row is written with its newline in
        // one go. Find the last newline from the end.
        let len = file.metadata().map_err(io)?.len();
        let mut complete = 0u64;
        let mut end = len;
        let mut buf = vec![0u8; 64 * 1024];
        while end > 0 {
            let start = end.saturating_sub(buf.len() as u64);
            let n = (end - start) as usize;
            file.seek(SeekFrom::Start(start)).map_err(io)?;
            file.read_exact(&mut buf[..n]).map_err(io)?;
            if let Some(i) = buf[..n].iter().rposition(|&b| b == b'\n') {
                complete = start + i as u64 + 1;
                break;
            }
            end = start;
        }
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        let body = std::io::BufReader::with_capacity(1 << 20, file).take(complete);
        let mut reader = csv::ReaderBuilder::new().from_reader(body);
        let head = reader.headers().map_err(|e| RecordError::Row {
            path: shown.clone(),
            row: 1,
            message: e.to_string(),
        })?;
        let wide = head.iter().eq(header(true));
        if complete > 0 && !wide && head.iter().ne(header(false)) {
            return Err(RecordError::Header { path: shown });
        }
        Ok(RunReader {
            reader,
            row: csv::StringRecord::new(),
            line: 1,
            path: shown,
            complete,
            wide,
        })
    }

    /// The next row, if any.
    pub fn next_row(&mut self) -> Result<Option<RunRecord>, RecordError> {
        self.line += 1;
        let bad = |line: usize, message: String| RecordError::Row {
            path: self.path.clone(),
            row: line,
            message,
        };
        if !self
            .reader
            .read_record(&mut self.row)
            .map_err(|e| bad(self.line, e.to_string()))?
        {
            return Ok(None);
        }
        RunRecord::from_fields(&self.row, self.wide)
            .map(Some)
            .map_err(|e| bad(self.line, e))
    }
}

/// Rows as CSV lines, one writer for all: a row's line is
/// `bytes[ends[i-1]..ends[i]]`.
pub struct Lines {
    writer: csv::Writer<Vec<u8>>,
    buf: String,
    wide: bool,
}

impl Lines {
    /// No lines yet; rows with the finite network's columns when `wide`.
    pub fn new(wide: bool) -> Lines {
        Lines {
            writer: csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new()),
            buf: String::new(),
            wide,
        }
    }

    /// Appends a row's line; returns where the text so far ends.
    pub fn push(&mut self, r: &RunRecord) -> usize {
        // Writing into memory cannot fail.
        r.write(&mut self.writer, &mut self.buf, self.wide);
        let _ = self.writer.flush();
        self.writer.get_ref().len()
    }

    /// The text of every row pushed.
    pub fn into_bytes(self) -> Vec<u8> {
        self.writer.into_inner().unwrap_or_default()
    }
}

/// Writes rows as CSV text (with header when `header`; the finite
/// network's columns when `wide`).
pub fn to_csv(rows: &[RunRecord], header: bool, wide: bool) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    // Writing strings into memory cannot fail.
    if header {
        let _ = w.write_record(self::header(wide));
    }
    let mut buf = String::new();
    for r in rows {
        r.write(&mut w, &mut buf, wide);
    }
    w.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rd_one(bytes: &[u8]) -> csv::StringRecord {
        let mut rd = csv::ReaderBuilder::new().has_headers(false).from_reader(bytes);
        rd.records().next().unwrap().unwrap()
    }

    /// The field-by-field writer gives the bytes of the plain record writer,
    /// quoting included, and what it writes reads back to the same row.
    #[test]
    fn rows_write_as_their_fields() {
        let mut counters = Counters::default();
        for (i, name) in Counters::NAMES.iter().enumerate() {
            counters.set(name, (i as u64) * 1_000_003);
        }
        let r = RunRecord {
            run_id: "3-14".into(),
            cell: 3,
            index: 14,
            algorithm: "sm".into(),
            n: 7,
            f: 2,
            k: 2,
            m: 2,
            link: "arbitrary:spoof@0.3,\"x\"".into(),
            graph: "file:two k4s".into(),
            search: "sampled".into(),
            strategy: "scripted:a,b".into(),
            behaviour: "sm:2=01;3=10".into(),
            traitors: "0;3".into(),
            commander_loyal: false,
            value: crate::types::Value::Retreat,
            seed: u64::MAX,
            runtime: "actix".into(),
            agreement: true,
            validity: false,
            violation: true,
            decisions: "1=attack;2=retreat".into(),
            rounds: 3,
            timing: crate::timing::TimingModel::Partial,
            delta_ms: 10,
            gst_ms: 500,
            timeout_ms: 12,
            decision_time_ms: 36,
            failed: "4:crash@5\nx".into(),
            counters,
        };
        // Wide rows carry every counter; narrow ones all but the finite
        // network's, which read back as 0.
        for wide in [true, false] {
            let mut fields = r.to_fields();
            fields.truncate(FIELDS.len() + columns(wide));
            let mut plain = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
            plain.write_record(fields).unwrap();
            let want = plain.into_inner().unwrap();
            let mut lines = Lines::new(wide);
            let end = lines.push(&r);
            let got = lines.into_bytes();
            assert_eq!(end, got.len());
            assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(&want));
            let mut rd = csv::ReaderBuilder::new().has_headers(false).from_reader(got.as_slice());
            let back = RunRecord::from_fields(&rd.records().next().unwrap().unwrap(), wide).unwrap();
            let mut expect = r.clone();
            if !wide {
                for name in Counters::FINITE {
                    expect.counters.set(name, 0);
                }
            }
            assert_eq!(back, expect);
            assert!(
                RunRecord::from_fields(&rd_one(&got), !wide).is_err(),
                "a row of the other width"
            );
        }
    }

    /// An undecided lieutenant is a row that broke nothing and counts
    /// apart: not a violation, and its cell says `undecided`.
    #[test]
    fn undecided_rows_count_apart_from_violations() {
        let mut text = String::from_utf8(to_csv(&[], true, false)).unwrap();
        let fields: Vec<String> = header(false)
            .iter()
            .map(|h| match *h {
                "run_id" => "0-0".to_string(),
                "algorithm" => "mmr".into(),
                "link" | "graph" | "search" | "strategy" | "behaviour" | "traitors" | "runtime" | "failed" => {
                    String::new()
                }
                "commander_loyal" | "agreement" | "validity" => "true".into(),
                "violation" => "false".into(),
                "value" => "attack".into(),
                "decisions" => "1=attack;2=undecided;3=attack".into(),
                "timing" => "async".into(),
                _ => "0".into(),
            })
            .collect();
        text.push_str(&fields.join(","));
        text.push('\n');
        let mut rd = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let row = RunRecord::from_fields(&rd.records().next().unwrap().unwrap(), false).unwrap();
        assert!(row.undecided() && !row.violation);
        let mut tally = super::super::tally::Tally::default();
        tally.add(&row);
        let mut decided = row.clone();
        decided.decisions = "1=attack;2=attack;3=attack".into();
        tally.add(&decided);
        let counts = tally.cells[&0].counts;
        assert_eq!((counts.runs, counts.violations, counts.undecided), (2, 0, 1));
    }
}
