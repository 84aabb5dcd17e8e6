//! `--explore FILE.html` on `byzlab run` and `byzlab replay`: one run as a
//! self-contained page to step through in a browser (no server, nothing
//! fetched; the data, script and styles are inline).
//!
//! The page shows the space-time diagram (a lane per general, an arrow per
//! delivered message), a step control (buttons, a slider, the arrow keys)
//! that delivers the messages one at a time in the order they arrived,
//! and at each step every general's state: the values it has taken so far
//! (OM: its tree's entries by path; SM: its set V with the chain that
//! brought each), the receiver verdicts so far, the traitors' deviations
//! from the protocol highlighted (what `byzlab shrink` counts). At the last
//! step each loyal lieutenant's decision with its explanation (`--explain`).
//! A filter shows one general's messages only. The diagram is drawn on a
//! canvas, so a run of 10,000 messages steps as fast as one of ten.
//! `page.html#step=K` opens at step K (the browser test uses it).

use crate::run::RunPlan;
use crate::runtime::network::{Judged, TraceEntry, TraceSink};
use crate::runtime::{self, RunReport};
use crate::traitor::shrunk::{Deviation, Keep, Log};
use crate::types::GeneralId;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Every page byzlab writes carries this, so `--explore` overwrites only
/// its own pages.
pub const MARK: &str = "<meta name=\"generator\" content=\"byzlab explorer\">";

/// Most messages a page holds (about 100 bytes each in the page).
pub const MAX_MESSAGES: usize = 200_000;

/// A trace sink keeping the messages and the verdicts, for the page.
#[derive(Clone, Default)]
pub struct Recorder(Arc<Mutex<Recorded>>);

/// What a [`Recorder`] kept.
#[derive(Default)]
pub struct Recorded {
    /// Every message line, in the order sent.
    pub entries: Vec<TraceEntry>,
    /// Every receiver verdict, in the order made.
    pub verdicts: Vec<Judged>,
    /// Lines past [`MAX_MESSAGES`] not kept.
    pub dropped: u64,
}

impl TraceSink for Recorder {
    fn push(&mut self, entry: TraceEntry) {
        if let Ok(mut r) = self.0.lock() {
            if r.entries.len() < MAX_MESSAGES {
                r.entries.push(entry);
            } else {
                r.dropped += 1;
            }
        }
    }

    fn verdict(&mut self, judged: &Judged) {
        if let Ok(mut r) = self.0.lock()
            && r.verdicts.len() < MAX_MESSAGES
        {
            r.verdicts.push(judged.clone());
        }
    }

    fn wants_verdicts(&self) -> bool {
        true
    }
}

/// Why a page could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ExploreError {
    /// The run failed.
    #[error(transparent)]
    Run(#[from] crate::runtime::RuntimeError),
    /// The run is too big for one page.
    #[error(
        "the run sends more than {MAX_MESSAGES} messages, too many for one page to step through; explore a smaller n or m"
    )]
    TooBig,
    /// The plan could not be varied.
    #[error(transparent)]
    Spec(#[from] crate::run::RunSpecError),
}

#[derive(Serialize)]
struct General {
    id: GeneralId,
    traitor: bool,
    decision: String,
    /// Lines of its explanation (empty: none).
    explain: Vec<String>,
}

/// One message as the page reads it: round, sent, t, from, to, path,
/// value, link action, late, a traitor's deviation.
type Row = (u32, u64, u64, GeneralId, GeneralId, String, String, String, bool, bool);

#[derive(Serialize)]
struct Data {
    title: String,
    outcome: String,
    generals: Vec<General>,
    messages: Vec<Row>,
    /// [t, round, from, to, verdict]
    verdicts: Vec<(u64, u32, GeneralId, GeneralId, String)>,
    deviations: Vec<String>,
}

/// Runs `plan` again (traced, explained, its traitors' deviations logged)
/// and returns the page; `explain` gives each lieutenant's explanation
/// lines (as `--explain` prints them).
pub fn explore(
    plan: &RunPlan,
    title: &str,
    explain: &dyn Fn(&RunReport) -> BTreeMap<GeneralId, Vec<String>>,
) -> Result<String, ExploreError> {
    // Costed before the run: the algorithm's own bound on a trace's lines.
    if plan.algorithm().trace_messages(plan.n(), plan.m()) > MAX_MESSAGES as u128 {
        return Err(ExploreError::TooBig);
    }
    let log: Log = Arc::default();
    let shared = log.clone();
    let traced = plan
        .vary(|s| {
            s.trace = false;
            // The link's alterations are deviations too.
            s.adversaries = s.adversaries.masked(Keep::All, Some(shared.clone()));
            s.strategy = s.strategy.masked(Keep::All, Some(shared));
        })?
        .explaining();
    let recorder = Recorder::default();
    let report = runtime::execute_into(&traced, Box::new(recorder.clone()))?;
    let rec = std::mem::take(&mut *recorder.0.lock().map_err(|_| ExploreError::TooBig)?);
    if rec.dropped > 0 {
        return Err(ExploreError::TooBig);
    }
    let deviations: Vec<Deviation> = log.lock().map(|l| l.clone()).unwrap_or_default();
    Ok(page(&report, &rec, &deviations, title, &explain(&report)))
}

fn page(
    report: &RunReport,
    rec: &Recorded,
    deviations: &[Deviation],
    title: &str,
    explain: &BTreeMap<GeneralId, Vec<String>>,
) -> String {
    let o = &report.outcome;
    let deviates = |e: &TraceEntry| {
        deviations.iter().any(|d| {
            d.place.traitor == e.from
                && d.place.round == e.round
                && d.place.to == e.to
                && (d.path.is_empty() || d.path == e.path)
        })
    };
    let path = |p: &[GeneralId]| p.iter().map(|g| g.to_string()).collect::<Vec<_>>().join(":");
    let messages = rec
        .entries
        .iter()
        .map(|e| {
            (
                e.round,
                e.sent,
                e.t,
                e.from,
                e.to,
                path(&e.path),
                e.value.map_or("-", |v| v.as_str()).to_string(),
                e.link.as_str().to_string(),
                e.late,
                o.traitors.contains(&e.from) && deviates(e),
            )
        })
        .collect();
    let verdicts = rec
        .verdicts
        .iter()
        .map(|j| (j.t, j.round, j.from, j.to, j.verdict.clone()))
        .collect();
    let generals = report
        .generals
        .iter()
        .map(|g| General {
            id: g.id,
            traitor: !g.loyal,
            decision: if g.id == crate::types::COMMANDER {
                format!("orders {}", o.value)
            } else if o.undecided.contains(&g.id) {
                "undecided".into()
            } else {
                format!("decides {}", g.decision)
            },
            explain: explain.get(&g.id).cloned().unwrap_or_default(),
        })
        .collect();
    let holds = |b: bool| if b { "holds" } else { "VIOLATED" };
    let data = Data {
        title: title.to_string(),
        outcome: format!(
            "IC1 agreement {}, IC2 validity {}",
            holds(o.agreement),
            holds(o.validity)
        ),
        generals,
        messages,
        verdicts,
        deviations: deviations.iter().map(|d| d.to_string()).collect(),
    };
    // `</` cannot end the script element early: every `<` in the data is escaped.
    let json = serde_json::to_string(&data)
        .unwrap_or_else(|_| "{}".into())
        .replace('<', "\\u003c");
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n{MARK}\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n\
         <body>\n{BODY}\n<script type=\"application/json\" id=\"data\">{json}</script>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        escape(title)
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

const STYLE: &str = "\
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1b1b1b}\
header{padding:0.6rem 1rem;border-bottom:1px solid #ddd}h1{font-size:1.1rem;margin:0 0 0.3rem}\
#controls{display:flex;gap:0.5rem;align-items:center;flex-wrap:wrap}\
#controls input[type=range]{flex:1;min-width:200px}\
main{display:grid;grid-template-columns:minmax(0,3fr) minmax(280px,2fr);gap:0.8rem;padding:0.8rem 1rem}\
canvas{width:100%;border:1px solid #ddd;background:#fff}\
#side{overflow:auto;max-height:85vh}\
.g{border:1px solid #ddd;border-radius:4px;padding:0.4rem 0.6rem;margin-bottom:0.5rem}\
.g h3{margin:0 0 0.2rem;font-size:0.95rem}.traitor h3{color:#d55e00}\
.g ul{margin:0.2rem 0;padding-left:1.1rem;max-height:12rem;overflow:auto}\
.dev{color:#d55e00;font-weight:600}.late{color:#0072b2}\
pre{white-space:pre-wrap;font-size:0.8rem;background:#f6f6f6;padding:0.4rem;margin:0.3rem 0}\
#status{font-weight:600}";

const BODY: &str = r#"<header>
<h1 id="title"></h1>
<div id="outcome"></div>
<div id="controls">
<button id="first" title="first step (Home)">&laquo; first</button>
<button id="prev" title="previous delivery (Left arrow)">&lsaquo; previous</button>
<button id="next" title="next delivery (Right arrow)">next &rsaquo;</button>
<button id="last" title="last step (End)">last &raquo;</button>
<input type="range" id="slider" min="0" value="0" aria-label="step">
<span id="status"></span>
<label>general <select id="filter"><option value="all">all</option></select></label>
</div>
</header>
<main>
<div><canvas id="diagram" height="480"></canvas>
<div id="current"></div>
<div id="deviations"></div></div>
<div id="side"><div id="decisions"></div><div id="states"></div></div>
</main>"#;

const SCRIPT: &str = r##"
"use strict";
const D = JSON.parse(document.getElementById("data").textContent);
const n = D.generals.length;
// Deliveries in the order they arrived (lost frames are not delivered).
const order = D.messages.map((m, i) => i).filter(i => !["dropped", "lost", "tail-drop"].includes(D.messages[i][7]));
order.sort((a, b) => D.messages[a][2] - D.messages[b][2] || a - b);
const total = order.length;
const tEnd = D.messages.reduce((a, m) => Math.max(a, m[2]), 1);
const byReceiver = D.generals.map(() => []);
for (const v of D.verdicts) byReceiver[v[3]].push(v);
let step = 0, only = "all";
const $ = id => document.getElementById(id);
$("title").textContent = D.title;
$("outcome").textContent = D.outcome + " (" + total + " deliveries)";
$("slider").max = total;
for (const g of D.generals) {
  const o = document.createElement("option");
  o.value = g.id; o.textContent = g.id + (g.traitor ? " (traitor)" : "");
  $("filter").appendChild(o);
}
function shown(m) { return only === "all" || m[3] == only || m[4] == only; }
function draw() {
  const c = $("diagram"), w = c.clientWidth || 800;
  c.width = w * (window.devicePixelRatio || 1);
  const h = c.height, x = c.getContext("2d"), s = c.width / w;
  x.setTransform(s, 0, 0, 1, 0, 0);
  x.clearRect(0, 0, w, h);
  const left = 70, right = w - 20, top = 20, lane = (h - 40) / Math.max(1, n - 1);
  const X = t => left + (right - left) * t / tEnd, Y = g => top + lane * g;
  x.font = "12px sans-serif";
  for (const g of D.generals) {
    x.strokeStyle = g.traitor ? "#d55e00" : "#999"; x.lineWidth = g.traitor ? 2 : 1;
    x.beginPath(); x.moveTo(left, Y(g.id)); x.lineTo(right, Y(g.id)); x.stroke();
    x.fillStyle = g.traitor ? "#d55e00" : "#333";
    x.fillText(g.id + (g.id === 0 ? " cmdr" : "") + (g.traitor ? " T" : ""), 4, Y(g.id) + 4);
  }
  // Each arrow once: the values one frame carries share its arrow (OM's
  // frames carry hundreds), and a browser draws ten thousand anti-aliased
  // lines in seconds, a few hundred in milliseconds.
  const styles = [["rgba(40,40,40,0.45)", 1], ["#0072b2", 1], ["#d55e00", 1.5]];
  const seen = [new Set(), new Set(), new Set()];
  for (let k = 0; k < step - 1; k++) {
    const m = D.messages[order[k]];
    if (shown(m)) seen[m[9] ? 2 : m[8] ? 1 : 0].add(m[1] + "," + m[2] + "," + m[3] + "," + m[4]);
  }
  for (let s = 0; s < styles.length; s++) {
    x.strokeStyle = styles[s][0]; x.lineWidth = styles[s][1];
    for (const key of seen[s]) {
      const [a, b, f, t] = key.split(",").map(Number);
      x.beginPath(); x.moveTo(X(a), Y(f)); x.lineTo(X(b), Y(t)); x.stroke();
    }
  }
  if (step > 0) {
    const m = D.messages[order[step - 1]];
    x.strokeStyle = m[9] ? "#d55e00" : "#000"; x.lineWidth = 2.5;
    x.beginPath(); x.moveTo(X(m[1]), Y(m[3])); x.lineTo(X(m[2]), Y(m[4])); x.stroke();
  }
}
// A general's list shows its last SHOW entries (the page stays quick at
// any size; the filter and the step control reach the rest).
const SHOW = 200;
function list(items, make) {
  const ul = document.createElement("ul");
  if (items.length > SHOW) ul.appendChild(li("... " + (items.length - SHOW) + " earlier"));
  for (const it of items.slice(-SHOW)) ul.appendChild(make(it));
  return ul;
}
function li(text, cls) { const e = document.createElement("li"); e.textContent = text; if (cls) e.className = cls; return e; }
function render() {
  $("slider").value = step;
  $("status").textContent = "step " + step + " of " + total + ": " + step + " messages delivered";
  const now = step > 0 ? D.messages[order[step - 1]][2] : 0;
  const cur = $("current"); cur.textContent = "";
  if (step > 0) {
    const m = D.messages[order[step - 1]];
    cur.textContent = "delivery " + step + ": round " + m[0] + ", " + m[3] + " -> " + m[4] + ", " + m[5] + "=" + m[6] +
      ", sent t=" + m[1] + " ms, arrived t=" + m[2] + " ms" + (m[8] ? " (late)" : "") + (m[9] ? " [a traitor's deviation]" : "");
    if (m[9]) cur.className = "dev"; else cur.className = "";
  }
  const states = $("states"); states.textContent = "";
  const got = D.generals.map(() => []);
  for (let k = 0; k < step; k++) { const m = D.messages[order[k]]; got[m[4]].push(m); }
  for (const g of D.generals) {
    if (only !== "all" && g.id != only) continue;
    const box = document.createElement("div"); box.className = "g" + (g.traitor ? " traitor" : "");
    const h = document.createElement("h3");
    h.textContent = "general " + g.id + (g.id === 0 ? " (commander)" : "") + (g.traitor ? ", traitor" : "") + ": " + got[g.id].length + " received";
    box.appendChild(h);
    // Folded when many generals are shown, and filled when opened: a
    // closed <details> costs neither elements nor layout.
    const det = document.createElement("details");
    const sum = document.createElement("summary"); sum.textContent = "values taken, and what it did with each frame";
    det.appendChild(sum);
    const fill = () => {
      det.appendChild(list(got[g.id], m => li("r" + m[0] + " " + m[5] + "=" + m[6] + " from " + m[3] + (m[8] ? " (late)" : ""), m[9] ? "dev" : (m[8] ? "late" : ""))));
      const vs = byReceiver[g.id].filter(v => v[0] <= now);
      if (vs.length) {
        const p = document.createElement("div"); p.textContent = "what it did with each frame, to t=" + now + " ms:"; det.appendChild(p);
        det.appendChild(list(vs, v => li("t=" + v[0] + " from " + v[2] + ": " + (v[4].length > 240 ? v[4].slice(0, 240) + " ... (" + v[4].length + " characters)" : v[4]))));
      }
    };
    if (only !== "all" || n <= 8) { det.open = true; fill(); }
    else det.addEventListener("toggle", () => { if (det.open && det.children.length === 1) fill(); });
    box.appendChild(det);
    states.appendChild(box);
  }
  const dec = $("decisions"); dec.textContent = "";
  if (step === total) {
    const h = document.createElement("h2"); h.textContent = "Decisions"; dec.appendChild(h);
    for (const g of D.generals) {
      if (only !== "all" && g.id != only) continue;
      const box = document.createElement("div"); box.className = "g decision" + (g.traitor ? " traitor" : "");
      const t = document.createElement("h3"); t.textContent = "general " + g.id + (g.traitor ? " (traitor)" : "") + ": " + g.decision;
      box.appendChild(t);
      if (g.explain.length) {
        // Folded (a closed <details> is not laid out) and at most 400
        // lines: OM's trees run to thousands.
        const d = document.createElement("details"); d.open = D.generals.length <= 8;
        const sum = document.createElement("summary"); sum.textContent = "why (" + g.explain.length + " lines)"; d.appendChild(sum);
        const pre = document.createElement("pre"); pre.className = "explain";
        const lines = g.explain.slice(0, 400);
        if (g.explain.length > 400) lines.push("... " + (g.explain.length - 400) + " more lines: byzlab run --explain prints them all");
        pre.textContent = lines.join("\n"); d.appendChild(pre); box.appendChild(d);
      }
      dec.appendChild(box);
    }
  }
  draw();
}
function go(k) { step = Math.max(0, Math.min(total, k)); render(); }
$("first").onclick = () => go(0);
$("prev").onclick = () => go(step - 1);
$("next").onclick = () => go(step + 1);
$("last").onclick = () => go(total);
$("slider").oninput = e => go(+e.target.value);
$("filter").onchange = e => { only = e.target.value; render(); };
document.addEventListener("keydown", e => {
  if (e.target.tagName === "SELECT" || e.target.tagName === "INPUT") return;
  if (e.key === "ArrowRight") go(step + 1);
  else if (e.key === "ArrowLeft") go(step - 1);
  else if (e.key === "Home") go(0);
  else if (e.key === "End") go(total);
});
window.addEventListener("resize", draw);
const dv = $("deviations");
if (D.deviations.length) {
  const h = document.createElement("h2"); h.textContent = "The traitors' deviations (" + D.deviations.length + ")"; dv.appendChild(h);
  const ul = document.createElement("ul");
  for (const d of D.deviations.slice(0, 500)) ul.appendChild(li(d, "dev"));
  if (D.deviations.length > 500) ul.appendChild(li("... and " + (D.deviations.length - 500) + " more"));
  dv.appendChild(ul);
}
const want = /step=(\d+|end)/.exec(location.hash);
go(want ? (want[1] === "end" ? total : +want[1]) : 0);
// Loaded and drawn: how long since the page was opened (the browser test reads it).
document.body.dataset.ms = Math.round(performance.now());
document.body.dataset.ready = "yes";
"##;
