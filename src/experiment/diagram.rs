//! Space-time (Lamport) diagrams of one run, as SVG: a lane per general,
//! time running right, an arrow per frame from when it was sent to when it
//! arrived, labelled with what it carried (OM: each value with the relays
//! of its path, `3.5A` = "5 says 3 told it attack"; signed algorithms: the
//! value, its chain of signers and what the receiver did with it, `A 0:2:
//! ignored`; a frame rejected or refused ends in a cross). Labels never
//! cover each other: each tries points along its arrow, and one that fits
//! nowhere is left out and counted under the diagram. Traitors, and every
//! frame they send, are vermillion (orange-red); a frame the link changed,
//! spoofed or replayed is blue and says so; a dropped frame ends in a grey
//! cross half way; a late frame (after its round's deadline, so ignored) is
//! sky blue and says late; what a traitor
//! withheld under OM on a complete graph is listed at its lane; each general's decision is
//! written at the end of its lane; a graph other than the complete one is
//! named in the title. A run of more than [`MAX_ARROWS`] frames (a stubborn
//! link's resends included) gets one summary per round instead of arrows,
//! in a band above the lanes, and its title says so.
//!
//! `byzlab run ... --diagram FILE.svg`, `byzlab replay W.json --diagram
//! FILE.svg`, and one beside every witness a sweep writes.

use crate::link::LinkAction;
use crate::runtime::RunReport;
use crate::runtime::network::{Judged, TraceEntry, TraceSink};
use crate::timing::Millis;
use crate::types::{COMMANDER, GeneralId, Outcome, Value};
use plotters::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Written into every diagram (an SVG comment), so that `--diagram` can
/// tell a diagram it may replace from a file it must not.
pub const MARK: &str = "byzlab space-time diagram";

/// Above this many frames, a diagram shows per-round summaries.
pub const MAX_ARROWS: usize = 300;

// Okabe and Ito's colours, told apart under red-green colour blindness
// (checked in the plots' tests), and every one of them also said in words.
pub(crate) const TRAITOR: RGBColor = RGBColor(213, 94, 0); // vermillion
pub(crate) const LOYAL: RGBColor = RGBColor(40, 40, 40);
pub(crate) const LATE: RGBColor = RGBColor(86, 180, 233); // sky blue
pub(crate) const DROPPED: RGBColor = RGBColor(150, 150, 150);
pub(crate) const ALTERED: RGBColor = RGBColor(0, 114, 178); // blue

/// A diagram that could not be drawn (the run needs a trace).
#[derive(Debug, thiserror::Error)]
#[error("diagram {file}: {message}")]
pub struct DiagramError {
    /// The file.
    pub file: String,
    /// What failed.
    pub message: String,
}

/// One arrow of a diagram: a frame, the values it carried (trace order)
/// and what its receiver said it did with them.
#[derive(Debug, Clone)]
struct Arrow {
    /// The frame's first trace line (round, ends, times, link action).
    head: TraceEntry,
    /// (path or chain, value) of each value it carried.
    values: Vec<(Vec<GeneralId>, Option<Value>)>,
    /// The receiver's verdicts, in short: took, ignored, rejected, ...
    verdicts: Vec<&'static str>,
}

/// The fields that make trace lines one frame (lines of one frame come
/// one after another).
type FrameKey = (
    u32,
    GeneralId,
    GeneralId,
    Millis,
    Millis,
    u32,
    LinkAction,
    bool,
    Option<GeneralId>,
);

fn key(e: &TraceEntry) -> FrameKey {
    (e.round, e.from, e.to, e.sent, e.t, e.attempt, e.link, e.late, e.claimed)
}

/// Per round: frames, values, frames from traitors, dropped, late.
#[derive(Debug, Default, Clone, Copy)]
struct RoundCount {
    frames: u64,
    values: u64,
    from_traitors: u64,
    dropped: u64,
    late: u64,
}

/// What a diagram needs of a run's trace, gathered a line at a time as the
/// run goes (so a trace of millions of messages is never held): the frames
/// themselves while there are at most [`MAX_ARROWS`] (an arrow each, with
/// its receiver's verdicts when the sketch asked for them), counts per
/// round always, and whom each traitor sent to in each round (to mark what
/// it withheld).
#[derive(Debug, Default)]
pub struct Sketch {
    traitors: BTreeSet<GeneralId>,
    /// Receivers say what they did with each frame (signed algorithms,
    /// where that is news: took, ignored as known, rejected).
    judging: bool,
    arrows: Vec<Arrow>,
    last: Option<FrameKey>,
    frames: u64,
    lines: u64,
    t_max: Millis,
    rounds: BTreeMap<u32, RoundCount>,
    /// (traitor, round, receiver) of every traitor's transmission.
    heard: BTreeSet<(GeneralId, u32, GeneralId)>,
}

impl Sketch {
    /// An empty sketch of a run with these traitors.
    pub fn new(traitors: &[GeneralId]) -> Sketch {
        Sketch {
            traitors: traitors.iter().copied().collect(),
            ..Sketch::default()
        }
    }

    /// The sketch of a run whose report kept its trace.
    pub fn of(report: &RunReport) -> Sketch {
        let mut s = Sketch::new(&report.outcome.traitors);
        for e in &report.trace {
            s.add(e.clone());
        }
        s
    }

    /// One line of the trace.
    pub fn add(&mut self, e: TraceEntry) {
        self.lines += 1;
        self.t_max = self.t_max.max(e.t);
        let k = key(&e);
        let new_frame = self.last != Some(k);
        self.last = Some(k);
        let c = self.rounds.entry(e.round).or_default();
        c.values += 1;
        if self.traitors.contains(&e.from) {
            self.heard.insert((e.from, e.round, e.to));
        }
        if !new_frame {
            if let Some(a) = self.arrows.last_mut() {
                a.values.push((e.path, e.value));
            }
            return;
        }
        self.frames += 1;
        c.frames += 1;
        c.from_traitors += u64::from(self.traitors.contains(&e.from));
        c.dropped += u64::from(matches!(e.link, LinkAction::Dropped | LinkAction::Lost));
        c.late += u64::from(e.late);
        if self.frames <= MAX_ARROWS as u64 {
            let values = vec![(e.path.clone(), e.value)];
            self.arrows.push(Arrow {
                head: e,
                values,
                verdicts: Vec::new(),
            });
        } else if !self.arrows.is_empty() {
            // Too many to draw one by one: the summaries take over.
            self.arrows = Vec::new();
        }
    }

    /// What a receiver said it did with a frame: kept with the frame's
    /// arrow (the latest frame of that round, sender as named, receiver
    /// and time).
    fn judged(&mut self, j: &Judged) {
        let Some(a) = self.arrows.iter_mut().rev().find(|a| {
            let h = &a.head;
            h.round == j.round && h.to == j.to && h.t == j.t && h.claimed.unwrap_or(h.from) == j.from
        }) else {
            return;
        };
        for part in j.verdict.split("; ") {
            let word = if part.starts_with("took") {
                "took"
            } else if part.starts_with("refused") {
                "refused"
            } else if part.starts_with("late") {
                "late"
            } else if part.contains(" ignored") {
                "ignored"
            } else if part.contains(" rejected") {
                "rejected"
            } else {
                "not taken"
            };
            if !a.verdicts.contains(&word) {
                a.verdicts.push(word);
            }
        }
    }

    /// Whether the diagram shows summaries per round instead of arrows.
    fn summarised(&self) -> bool {
        self.frames > MAX_ARROWS as u64
    }
}

/// A sketch a run fills as it goes (its trace sink) while the caller keeps
/// a handle to draw it after.
#[derive(Clone, Debug, Default)]
pub struct SharedSketch(Arc<Mutex<Sketch>>);

impl SharedSketch {
    /// An empty sketch of a run with these traitors.
    pub fn new(traitors: &[GeneralId]) -> SharedSketch {
        SharedSketch(Arc::new(Mutex::new(Sketch::new(traitors))))
    }

    /// An empty sketch of `plan`'s run; under a signed algorithm it asks
    /// the receivers what they did with each order (took, ignored as
    /// known, rejected), which its arrows then say.
    pub fn for_plan(plan: &crate::run::RunPlan) -> SharedSketch {
        let mut s = Sketch::new(plan.traitors());
        s.judging = plan.algorithm().signed();
        SharedSketch(Arc::new(Mutex::new(s)))
    }

    /// The sketch so far.
    pub fn take(&self) -> Sketch {
        self.0.lock().map(|mut s| std::mem::take(&mut *s)).unwrap_or_default()
    }
}

impl TraceSink for SharedSketch {
    fn push(&mut self, entry: TraceEntry) {
        if let Ok(mut s) = self.0.lock() {
            s.add(entry);
        }
    }

    fn verdict(&mut self, judged: &Judged) {
        if let Ok(mut s) = self.0.lock() {
            s.judged(judged);
        }
    }

    fn wants_verdicts(&self) -> bool {
        self.0.lock().is_ok_and(|s| s.judging)
    }
}

/// Draws `report` (a run with its trace kept) into `path`.
pub fn draw(path: &Path, report: &RunReport) -> Result<(), DiagramError> {
    draw_sketch(path, &report.outcome, &Sketch::of(report))
}

/// Draws the run of `outcome`, its trace sketched in `sketch`, into `path`.
pub fn draw_sketch(path: &Path, outcome: &Outcome, sketch: &Sketch) -> Result<(), DiagramError> {
    let fail = |message: String| DiagramError {
        file: path.display().to_string(),
        message,
    };
    if sketch.lines == 0 && outcome.counters.messages > 0 {
        return Err(fail("the run has no trace (run it with --trace)".into()));
    }
    let mut svg = String::new();
    render(&mut svg, outcome, sketch).map_err(|e| fail(e.to_string()))?;
    // The mark after the opening tag; then written crash-safely, every
    // failure an error (a full disk, a folder that is not there).
    let at = svg.find('>').map_or(0, |i| i + 1);
    svg.insert_str(at, &format!("\n<!-- {MARK} -->"));
    crate::files::write_atomic(path, svg).map_err(|e| fail(e.to_string()))
}

fn render(out: &mut String, o: &Outcome, sketch: &Sketch) -> Result<(), Box<dyn std::error::Error>> {
    let n = o.n;
    let traitors: BTreeSet<GeneralId> = o.traitors.iter().copied().collect();
    let rounds = o.rounds;
    let round_len = o.timeout_ms.max(1) as f64;
    let t_end = sketch.t_max.max(u64::from(rounds) * o.timeout_ms) as f64;
    let summary = sketch.summarised();
    // Summaries get a band of their own above the commander's lane.
    let band = if summary { 1.6 } else { 0.0 };
    let (width, height) = (1100u32, 128 + (56.0 * (n as f64 + band)) as u32);
    let root = SVGBackend::with_string(out, (width, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let verdict = |ok: bool| if ok { "holds" } else { "VIOLATED" };
    let ic2 = if o.commander_loyal {
        format!("IC2 {}", verdict(o.validity))
    } else {
        "IC2 n/a (traitor commander)".into()
    };
    let who = if o.traitors.is_empty() {
        "no traitor".to_string()
    } else {
        let ids: Vec<String> = o.traitors.iter().map(|t| t.to_string()).collect();
        format!("traitors {} ({})", ids.join(","), o.strategy)
    };
    let graph = if o.graph == "complete" {
        String::new()
    } else {
        format!(", graph {}", o.graph)
    };
    let mut title = format!(
        "{} n={}{graph}, {who}, link {}: IC1 {}, {ic2}",
        o.algorithm.label(&o.m.to_string()),
        n,
        o.link,
        verdict(o.agreement)
    );
    if summary {
        title += &format!(
            "  [{} frames ({} values): one summary per round]",
            sketch.frames, sketch.lines
        );
    }
    // Lane of general g: the commander on top.
    let lane = |g: GeneralId| (n - 1 - g as usize) as f64;
    let x_end = t_end + round_len * 0.9;
    let top = n as f64 - 0.4 + band;
    let plot = root.margin(0, 18, 0, 0);
    let mut chart = ChartBuilder::on(&plot)
        .caption(title, ("sans-serif", 15))
        .margin(14)
        .x_label_area_size(34)
        .y_label_area_size(130)
        .build_cartesian_2d(-round_len * 0.05..x_end, -0.6..top)?;
    let general_label = |g: GeneralId| {
        let role = if g == COMMANDER { "commander" } else { "lieutenant" };
        let traitor = if traitors.contains(&g) { ", traitor" } else { "" };
        format!("{g} {role}{traitor}")
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("virtual time (ms)")
        .y_labels(2 * n + 1)
        .y_label_formatter(&|y| {
            let i = y.round();
            if (y - i).abs() > 1e-6 || i < 0.0 || i as usize >= n {
                return String::new();
            }
            general_label((n - 1 - i as usize) as GeneralId)
        })
        .draw()?;
    let mut labels = Labels::default();
    // Lanes and round deadlines.
    for g in 0..n as GeneralId {
        let colour = if traitors.contains(&g) {
            TRAITOR
        } else {
            RGBColor(150, 150, 150)
        };
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, lane(g)), (t_end, lane(g))],
            colour.stroke_width(if traitors.contains(&g) { 2 } else { 1 }),
        )))?;
    }
    for r in 1..=rounds {
        let x = f64::from(r) * round_len;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x, -0.5), (x, n as f64 - 0.5)],
            RGBColor(200, 200, 230).stroke_width(1),
        )))?;
        let at = chart.backend_coord(&(x - round_len * 0.3, n as f64 - 0.55));
        labels.fixed(at, &format!("end of round {r}"), SMALL, LOYAL);
    }
    if summary {
        per_round(&chart, &mut labels, o, sketch, round_len)?;
    } else {
        arrows(
            &mut chart,
            &mut labels,
            &sketch.arrows,
            &traitors,
            &lane,
            o.algorithm.signed(),
        )?;
    }
    // Withheld (unsigned algorithms, where an honest general sends every
    // receiver of a round a value): a traitor's sending round in which a
    // receiver got nothing from it at all. On a complete graph only: the
    // algorithm's recipients do not know another graph's edges.
    if !o.algorithm.signed() && o.graph == "complete" {
        for &t in &traitors {
            for r in 1..=rounds {
                let expected = o.algorithm.recipients(n, o.m, t, r);
                let missing: Vec<String> = expected
                    .iter()
                    .filter(|&&x| !sketch.heard.contains(&(t, r, x)))
                    .map(|x| x.to_string())
                    .collect();
                if !missing.is_empty() {
                    let x = f64::from(r - 1) * round_len + round_len * 0.05;
                    let at = chart.backend_coord(&(x, lane(t) + 0.3));
                    labels.fixed(at, &format!("withheld from {}", missing.join(",")), SMALL, TRAITOR);
                }
            }
        }
    }
    // Decisions at the end of each lane.
    for g in 0..n as GeneralId {
        let text = if let Some(v) = o.decisions.get(&g) {
            format!("decides {v}")
        } else if g == COMMANDER && o.commander_loyal {
            format!("orders {}", o.value)
        } else if traitors.contains(&g) {
            "traitor".into()
        } else {
            "failed".into()
        };
        let colour = if traitors.contains(&g) { TRAITOR } else { LOYAL };
        chart.draw_series(std::iter::once(Text::new(
            text,
            (t_end + round_len * 0.08, lane(g) + 0.1),
            ("sans-serif", 12).into_font().color(&colour),
        )))?;
    }
    labels.draw(&root)?;
    if labels.left_out > 0 {
        root.draw(&Text::new(
            format!(
                "{} of {} frame labels left out where they would cover others: `--trace` or `--explore` shows every value",
                labels.left_out, labels.wanted
            ),
            (14, height as i32 - 16),
            ("sans-serif", 11).into_font().color(&LOYAL),
        ))?;
    }
    root.present()?;
    Ok(())
}

type Chart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// Label font size (plotters draws it at 1/1.24 of this in pixels).
const SMALL: f64 = 10.0;

/// The labels of a diagram, placed so that none covers another: each
/// label is a box in pixels; an arrow's label tries points along its
/// arrow, nearest the head first, and is left out (and counted) where
/// every point would cover a label already placed.
#[derive(Default)]
struct Labels {
    placed: Vec<(Rect, String, f64, RGBColor, bool)>,
    wanted: usize,
    left_out: usize,
}

/// A box in pixels: left, top, right, bottom.
type Rect = (f64, f64, f64, f64);

/// The box `text` takes at font size `size`, its top left at `at`
/// (a sans-serif character is at most about 0.62 em wide).
fn text_box(at: (f64, f64), text: &str, size: f64) -> Rect {
    let px = size / 1.24;
    let w = text.chars().count() as f64 * px * 0.62;
    (at.0 - 1.0, at.1 - 1.0, at.0 + w + 1.0, at.1 + px + 2.0)
}

fn overlaps(a: &Rect, b: &Rect) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

impl Labels {
    /// A label whose place is given (round ends, withheld values).
    fn fixed(&mut self, at: (i32, i32), text: &str, size: f64, colour: RGBColor) {
        let b = text_box((f64::from(at.0), f64::from(at.1)), text, size);
        self.placed.push((b, text.to_string(), size, colour, false));
    }

    /// A label along the segment `from` -> `to` (pixels), centred on the
    /// first of `along` (fractions of the way) where it covers nothing.
    fn along(&mut self, from: (i32, i32), to: (i32, i32), along: &[f64], text: &str, colour: RGBColor) {
        self.wanted += 1;
        let probe = text_box((0.0, 0.0), text, SMALL);
        let (w, h) = (probe.2 - probe.0, probe.3 - probe.1);
        for &k in along {
            let x = f64::from(from.0) + f64::from(to.0 - from.0) * k;
            let y = f64::from(from.1) + f64::from(to.1 - from.1) * k;
            let b = text_box((x - w / 2.0 + 1.0, y - h / 2.0 + 1.0), text, SMALL);
            if !self.placed.iter().any(|(p, ..)| overlaps(p, &b)) {
                self.placed.push((b, text.to_string(), SMALL, colour, true));
                return;
            }
        }
        self.left_out += 1;
    }

    /// Every label, those on arrows over a white box so the lines under
    /// them do not strike them through.
    fn draw(
        &self,
        root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    ) -> Result<(), Box<dyn std::error::Error>> {
        for (b, text, size, colour, boxed) in &self.placed {
            if *boxed {
                root.draw(&Rectangle::new(
                    [(b.0 as i32, b.1 as i32), (b.2 as i32, b.3 as i32)],
                    RGBAColor(255, 255, 255, 0.85).filled(),
                ))?;
            }
            root.draw(&Text::new(
                text.clone(),
                ((b.0 + 1.0) as i32, (b.1 + 1.0) as i32),
                ("sans-serif", *size).into_font().color(colour),
            ))?;
        }
        Ok(())
    }
}

/// What an arrow says: its values (OM: `3.5A` is "5 says 3 told it
/// attack", the relays of the path between commander and sender; signed
/// algorithms: the value and its chain of signers, `A 0:2`), more than
/// four as counts; what the link did; under signed algorithms, what the
/// receiver did with it.
fn arrow_label(a: &Arrow, signed: bool) -> String {
    let letter = |v: Option<Value>| match v {
        Some(Value::Attack) => "A",
        Some(Value::Retreat) => "R",
        None => "?",
    };
    let join = |p: &[GeneralId], sep: &str| p.iter().map(|g| g.to_string()).collect::<Vec<_>>().join(sep);
    let body = if a.values.len() > 4 {
        let count = |v: Option<Value>| a.values.iter().filter(|(_, x)| *x == v).count();
        [(Some(Value::Attack), "A"), (Some(Value::Retreat), "R"), (None, "?")]
            .into_iter()
            .filter(|(v, _)| count(*v) > 0)
            .map(|(v, l)| format!("{}{l}", count(v)))
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        let each: Vec<String> = a
            .values
            .iter()
            .map(|(path, v)| {
                if signed {
                    if path.is_empty() {
                        letter(*v).to_string()
                    } else {
                        format!("{} {}", letter(*v), join(path, ":"))
                    }
                } else {
                    let relays = if path.len() > 2 {
                        &path[1..path.len() - 1]
                    } else {
                        &[][..]
                    };
                    format!("{}{}", join(relays, "."), letter(*v))
                }
            })
            .collect();
        each.join(if signed { ", " } else { " " })
    };
    let e = &a.head;
    let mut label = match (e.link, e.claimed) {
        (LinkAction::Dropped | LinkAction::Lost, _) => format!("x dropped ({body})"),
        (LinkAction::Spoofed, Some(c)) => format!("{body} spoofed as {c}"),
        (LinkAction::Tampered, _) => format!("{body} tampered"),
        (LinkAction::Replayed, _) => "replayed".to_string(),
        _ if e.late => format!("{body} late"),
        _ => body,
    };
    if signed && !a.verdicts.is_empty() {
        label += &format!(": {}", a.verdicts.join("/"));
    }
    label
}

/// An arrow per frame: sender to receiver, what it carried near the head.
fn arrows(
    chart: &mut Chart<'_, '_>,
    labels: &mut Labels,
    trace: &[Arrow],
    traitors: &BTreeSet<GeneralId>,
    lane: &dyn Fn(GeneralId) -> f64,
    signed: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    // Every line first, then the labels placed around each other.
    let mut wanted = Vec::new();
    for a in trace {
        let e = &a.head;
        let (x0, y0) = (e.sent as f64, lane(e.from));
        let dropped = matches!(e.link, LinkAction::Dropped | LinkAction::Lost);
        let altered = matches!(
            e.link,
            LinkAction::Tampered | LinkAction::Spoofed | LinkAction::Replayed
        );
        let rejected = a.verdicts.iter().any(|v| matches!(*v, "rejected" | "refused"));
        let colour = if dropped {
            DROPPED
        } else if altered {
            ALTERED
        } else if e.late {
            LATE
        } else if traitors.contains(&e.from) {
            TRAITOR
        } else {
            LOYAL
        };
        let label = arrow_label(a, signed);
        let start = chart.backend_coord(&(x0, y0));
        if dropped {
            // Half way, then a cross: the frame never arrived.
            let (x1, y1) = (
                x0 + (e.t.max(e.sent + 1) - e.sent) as f64 * 0.5 + 2.0,
                (y0 + lane(e.to)) / 2.0,
            );
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x0, y0), (x1, y1)],
                colour.stroke_width(1),
            )))?;
            let end = chart.backend_coord(&(x1, y1));
            chart
                .plotting_area()
                .draw(&Cross::new((x1, y1), 4, colour.stroke_width(2)))?;
            wanted.push((start, end, &[1.0, 0.8, 0.6, 0.4][..], label, colour));
            continue;
        }
        let (x1, y1) = (e.t as f64, lane(e.to));
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x0, y0), (x1, y1)],
            colour.stroke_width(1),
        )))?;
        if rejected {
            // A frame its receiver would not take ends in a cross.
            chart
                .plotting_area()
                .draw(&Cross::new((x1, y1), 4, colour.stroke_width(2)))?;
        } else {
            chart.draw_series(std::iter::once(Circle::new((x1, y1), 3, colour.filled())))?;
        }
        let end = chart.backend_coord(&(x1, y1));
        wanted.push((start, end, &[0.8, 0.68, 0.56, 0.9, 0.44, 0.32, 0.2][..], label, colour));
    }
    for (start, end, along, label, colour) in wanted {
        labels.along(start, end, along, &label, colour);
    }
    Ok(())
}

/// Counts per round, in a band above the lanes.
fn per_round(
    chart: &Chart<'_, '_>,
    labels: &mut Labels,
    o: &Outcome,
    sketch: &Sketch,
    round_len: f64,
) -> Result<(), Box<dyn std::error::Error>> {
    let n = o.n as f64;
    for (&r, c) in &sketch.rounds {
        let x = f64::from(r - 1) * round_len + round_len * 0.05;
        for (k, line) in [
            format!("round {r}: {} frames", c.frames),
            format!("{} values", c.values),
            format!("{} frames from traitors", c.from_traitors),
            format!("{} dropped, {} late", c.dropped, c.late),
        ]
        .into_iter()
        .enumerate()
        {
            let at = chart.backend_coord(&(x, n + 1.05 - k as f64 * 0.3));
            labels.fixed(at, &line, 12.0, if k == 2 { TRAITOR } else { LOYAL });
        }
    }
    Ok(())
}
