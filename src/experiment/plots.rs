//! SVG plots with plotters (SVG backend only): a heatmap of the n x f grid per
//! algorithm and link with the n = 3f+1 boundary drawn, and messages against n
//! on a log scale with OM's formula drawn over the measured points.

use super::cells::{CellResult, CellVerdict, groups};
use super::plan::ExperimentPlan;
use super::tally::Tally;
use crate::algorithm::{Algorithm, Marker};
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

/// What drawing one plot returns.
pub type PlotResult<T> = Result<T, Box<dyn std::error::Error>>;

/// A plot that could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("plot {file}: {message}")]
pub struct PlotError {
    /// The file it was drawn into.
    pub file: String,
    /// What failed.
    pub message: String,
}

/// Series colours: Okabe and Ito's palette for colour-blind readers
/// (Okabe & Ito 2008, "Color Universal Design"), its yellow, too pale on
/// white, left out and black last. Told apart under red-green colour
/// blindness (the test simulates deuteranopia and protanopia); series that
/// also differ in marker shape stay apart in grey print.
pub(crate) const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 0, 0),       // black
];

/// Ticks for a logarithmic axis from `lo` to `hi` drawn `px` pixels long:
/// the data's own values (`data`: the swept timeouts, the n of each
/// point) when there are any, else 1, 2 and 5 times each power of ten
/// (only the powers when there are many decades); then thinned left to
/// right so that no two labels (`width` pixels per character of
/// `label(v)`) come closer than a gap, the last kept in place of its
/// neighbour. Each tick is labelled once, in the plot's own numbers.
pub(crate) fn log_ticks(
    lo: f64,
    hi: f64,
    data: &[f64],
    px: f64,
    width: f64,
    label: &dyn Fn(f64) -> String,
) -> Vec<f64> {
    if !(lo > 0.0 && hi > lo) {
        return Vec::new();
    }
    let mut candidates: Vec<f64> = data.iter().copied().filter(|v| *v >= lo && *v <= hi).collect();
    if candidates.is_empty() {
        let decades = (hi / lo).log10();
        let steps: &[f64] = if decades > 4.0 { &[1.0] } else { &[1.0, 2.0, 5.0] };
        let mut p = 10f64.powi(lo.log10().floor() as i32);
        while p <= hi {
            for k in steps {
                candidates.push(p * k);
            }
            p *= 10.0;
        }
        candidates.retain(|v| *v >= lo && *v <= hi);
    }
    candidates.sort_by(f64::total_cmp);
    candidates.dedup();
    let at = |v: f64| (v / lo).ln() / (hi / lo).ln() * px;
    let room = |a: f64, b: f64| {
        let half = (label(a).chars().count() + label(b).chars().count()) as f64 * width / 2.0;
        (at(b) - at(a)).abs() >= half + 8.0
    };
    let mut kept: Vec<f64> = Vec::new();
    for v in candidates.iter().copied() {
        if kept.last().is_none_or(|&k| room(k, v)) {
            kept.push(v);
        }
    }
    // The last value is kept: it ends the axis.
    if let (Some(&last), Some(&k)) = (candidates.last(), kept.last())
        && k != last
    {
        while kept.last().is_some_and(|&k| !room(k, last)) {
            kept.pop();
        }
        kept.push(last);
    }
    kept
}

/// A tick label in the plot's own numbers: integers as integers, large
/// ones as powers of ten (`1e6`), fractions with the digits they need.
pub(crate) fn tick_label(v: f64) -> String {
    if v >= 1e5 {
        let e = v.log10();
        if (e - e.round()).abs() < 1e-9 {
            return format!("1e{}", e.round());
        }
        return format!("{v:.0e}");
    }
    if v.fract().abs() < 1e-9 {
        format!("{v:.0}")
    } else if v >= 0.1 {
        format!("{}", (v * 100.0).round() / 100.0)
    } else {
        format!("{v}")
    }
}

/// Writes every plot; returns the file names written.
pub fn write_plots(
    out: &mut crate::folder::Folder,
    plan: &ExperimentPlan,
    results: &[CellResult],
    tally: &Tally,
) -> Result<Vec<String>, PlotError> {
    let mut files = Vec::new();
    let several_links = plan.spec.links.len() > 1;
    let several_m = plan.spec.m.len() > 1;
    let several_timings = plan.spec.timings.len() > 1;
    // With several timings and a single n, each heatmap would be one row:
    // the timing charts say it all.
    let heatmaps = !(several_timings && plan.spec.ns.len() == 1);
    for group in groups(results).into_iter().filter(|_| heatmaps) {
        // `+` and `-` spelt out, so that m = f+1 and m = f-1 never share a file.
        let clean = |t: &str| -> String {
            let c: String = t
                .replace('+', "plus")
                .replace('-', "minus")
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            c.trim_matches('-').to_string()
        };
        let mut name = format!("heatmap-{}", group.algorithm);
        if several_m {
            name += &format!("-{}", clean(&group.m_rule.label().replace(' ', "")));
        }
        if several_links {
            name += &format!("-{}", clean(&group.link));
        }
        if plan.spec.graphs.len() > 1 {
            name += &format!("-{}", clean(&group.graph.label()));
        }
        if plan.spec.faults.len() > 1 {
            name += &format!("-{}", group.fault.as_str());
        }
        if several_timings {
            let t = group.timing;
            name += &format!("-{}-d{}-g{}-t{}", t.model, t.delta, t.gst, t.timeout);
        }
        name += ".svg";
        // The algorithm's bound as a line, m as this table's rule gives it
        // for each f: OM(m)'s n = 3m+1 (Theorem 1), with a loyal commander
        // Lemma 1's n = 2k+m+1 (k = f); phase king's 4m+1. SM has none to
        // draw (any n >= m+2).
        let loyal = plan.spec.commander == super::spec::CommanderRule::Loyal;
        let alg = group.algorithm;
        // (No line on another graph than the complete one: Theorem 3 speaks
        // of p, not n.)
        let line = (group.graph.is_complete())
            .then(|| alg.bound_line(loyal))
            .flatten()
            .map(|label| {
                let first_holding: Vec<Option<usize>> = plan
                    .spec
                    .fs
                    .iter()
                    .map(|&f| group.m_rule.m_for(f).and_then(|m| alg.first_holding_n(f, m, loyal)))
                    .collect();
                (label, first_holding)
            });
        let title = match &line {
            Some((label, _)) => format!("{}: violated runs / runs (black line: {label})", group.title()),
            None => format!("{}: violated runs / runs", group.title()),
        };
        let x_desc = if loyal {
            "k = f (traitor lieutenants)"
        } else {
            "f (traitors)"
        };
        heatmap(
            &claim(out, &name)?,
            &title,
            x_desc,
            &plan.spec.fs,
            &plan.spec.ns,
            &group.cells,
            line,
        )
        .map_err(|e| PlotError {
            file: name.clone(),
            message: e.to_string(),
        })?;
        files.push(name);
    }
    if plan.spec.graphs.len() > 1 {
        let name = "graphs.svg".to_string();
        graphs_overview(&claim(out, &name)?, results).map_err(|e| PlotError {
            file: name.clone(),
            message: e.to_string(),
        })?;
        files.insert(0, name);
    }
    // Every cell with rows, beside its tally.
    let ran: Vec<(&super::plan::Cell, &super::tally::CellTally)> = plan
        .cells
        .iter()
        .filter_map(|c| tally.cell(c.id).map(|t| (c, t)))
        .collect();
    let lossy: Vec<(&super::plan::Cell, &super::tally::CellTally)> = ran
        .iter()
        .copied()
        .filter(|(c, _)| loss_of(&c.link.label()).is_some())
        .collect();
    if plan.spec.links.len() > 1 && !lossy.is_empty() {
        for &alg in &plan.spec.algorithms {
            let name = format!("lossy-{alg}.svg");
            lossy_chart(&claim(out, &name)?, alg, &lossy).map_err(|e| PlotError {
                file: name.clone(),
                message: e.to_string(),
            })?;
            files.push(name);
        }
    }
    if several_timings {
        for &alg in &plan.spec.algorithms {
            let name = format!("timing-{alg}.svg");
            timing_chart(&claim(out, &name)?, alg, &ran).map_err(|e| PlotError {
                file: name.clone(),
                message: e.to_string(),
            })?;
            files.push(name);
        }
    }
    if !ran.is_empty() {
        messages(&claim(out, "messages.svg")?, &ran).map_err(|e| PlotError {
            file: "messages.svg".into(),
            message: e.to_string(),
        })?;
        files.push("messages.svg".into());
    }
    // Rounds against n, where the plan's algorithms take different numbers
    // of rounds for the same m (phase king's 2m + 3 beside OM's m + 1).
    let differ = plan
        .cells
        .iter()
        .filter_map(|c| c.run_m().map(|m| (c.n, m)))
        .any(|(n, m)| {
            let rounds: std::collections::BTreeSet<u32> = plan.spec.algorithms.iter().map(|a| a.rounds(n, m)).collect();
            rounds.len() > 1
        });
    if !ran.is_empty() && differ {
        rounds_chart(&claim(out, "rounds.svg")?, &ran).map_err(|e| PlotError {
            file: "rounds.svg".into(),
            message: e.to_string(),
        })?;
        files.push("rounds.svg".into());
    }
    Ok(files)
}

/// Rounds per run against m (the f an algorithm is run for), a line per
/// algorithm: the most rounds a run of any of its cells with that m took.
/// Algorithms with the same rounds (OM, SM and Dolev-Strong: m + 1) are
/// drawn side by side, a little apart, so that none hides another.
fn rounds_chart(path: &Path, ran: &[(&super::plan::Cell, &super::tally::CellTally)]) -> PlotResult<()> {
    let mut measured: BTreeMap<Algorithm, BTreeMap<usize, u32>> = BTreeMap::new();
    for (c, t) in ran {
        let m = c.run_m().unwrap_or(0);
        let e = measured.entry(c.algorithm).or_default().entry(m).or_insert(0);
        *e = (*e).max(t.max_rounds);
    }
    let ms = || measured.values().flat_map(|s| s.keys().copied());
    let m_min = ms().min().unwrap_or(0);
    let m_max = ms().max().unwrap_or(1).max(m_min + 1);
    let y_max = measured.values().flat_map(|s| s.values()).copied().max().unwrap_or(1) + 1;
    let spread = 0.25 / measured.len().max(1) as f64;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 560)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption("Rounds per run against m (the f it is run for)", ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(55)
            .build_cartesian_2d(m_min as f64 - 0.5..m_max as f64 + 0.5, 0f64..f64::from(y_max))?;
        chart
            .configure_mesh()
            .x_desc("m")
            .y_desc("rounds")
            .x_labels(m_max - m_min + 1)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .draw()?;
        for (i, (&alg, points)) in measured.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let dx = (i as f64 - (measured.len() as f64 - 1.0) / 2.0) * spread;
            let pts: Vec<(f64, f64)> = points.iter().map(|(&m, &r)| (m as f64 + dx, f64::from(r))).collect();
            chart
                .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))?
                .label(alg.label("m"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
            chart.draw_series(pts.into_iter().map(|p| Circle::new(p, 4, color.filled())))?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        root.present()?;
    }
    crate::files::write_atomic(path, svg)?;
    Ok(())
}

/// The series' legend at `position`, on a white box with a black border.
fn legend<'a, 'b: 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, SVGBackend<'b>, CT>,
    position: SeriesLabelPosition,
) -> PlotResult<()> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// The path of plot `name` in the results folder, listed as byzlab's.
fn claim(out: &mut crate::folder::Folder, name: &str) -> Result<std::path::PathBuf, PlotError> {
    out.file(name).map_err(|e| PlotError {
        file: name.to_string(),
        message: e.to_string(),
    })
}

/// The n x f grid: a row per n swept and a column per f, evenly spaced
/// whatever the values (n = 4, 8, ..., 1024 gets a row each), a tick and
/// label at each; `line` draws a theorem's boundary as a staircase, given
/// its name and, per f, the smallest n predicted to hold; a legend says
/// what the colours mean.
fn heatmap(
    path: &Path,
    title: &str,
    x_desc: &str,
    fs: &[usize],
    ns: &[usize],
    cells: &[&CellResult],
    line: Option<(&str, Vec<Option<usize>>)>,
) -> PlotResult<()> {
    let width = 300 + 110 * fs.len() as u32;
    let height = 140 + 34 * ns.len() as u32;
    let width = width.max(title.len() as u32 * 9 + 190);
    // Drawn into memory and written whole: a full disk leaves no truncated file.
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE)?;
        // The legend on the right: what each colour means.
        let (area, key) = root.split_horizontally(width - 150);
        let swatches = [
            (HOLDS, "holds: 0/N"),
            (VIOLATED_FEW, "violated: few runs"),
            (VIOLATED_ALL, "violated: every run"),
            (NOT_APPLICABLE, "n/a: no run applies"),
        ];
        for (i, (colour, text)) in swatches.iter().enumerate() {
            let y = 60 + 26 * i as i32;
            key.draw(&Rectangle::new([(4, y), (20, y + 16)], colour.filled()))?;
            key.draw(&Text::new(*text, (26, y + 2), ("sans-serif", 12)))?;
        }
        if let Some((label, _)) = &line {
            let y = 60 + 26 * swatches.len() as i32 + 8;
            key.draw(&PathElement::new(vec![(4, y), (20, y)], BOUNDARY.stroke_width(3)))?;
            key.draw(&Text::new(label.to_string(), (26, y - 6), ("sans-serif", 12)))?;
        }
        let mut chart = ChartBuilder::on(&area)
            .caption(title, ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(50)
            .build_cartesian_2d(-0.5..fs.len() as f64 - 0.5, -0.5..ns.len() as f64 - 0.5)?;
        // Positions are indices into fs and ns; labels are the values.
        let label = |values: &[usize], v: f64| {
            let i = v.round();
            if (v - i).abs() < 1e-6 && i >= 0.0 {
                values.get(i as usize).map_or(String::new(), |x| x.to_string())
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(x_desc)
            .y_desc("n (generals)")
            .x_labels(fs.len() * 2 + 1)
            .y_labels(ns.len() * 2 + 1)
            .x_label_formatter(&|v| label(fs, *v))
            .y_label_formatter(&|v| label(ns, *v))
            .draw()?;
        for c in cells {
            let (Some(fi), Some(ni)) = (
                fs.iter().position(|&f| f == c.cell.f),
                ns.iter().position(|&n| n == c.cell.n),
            ) else {
                continue;
            };
            let (f, n) = (fi as f64, ni as f64);
            let (fill, text) = cell_colour(c);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(f - 0.48, n - 0.48), (f + 0.48, n + 0.48)],
                fill.filled(),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                text,
                (f - 0.4, n + 0.25),
                ("sans-serif", 11),
            )))?;
        }
        if let Some((_, first_holding)) = line {
            // Between the last row predicted to fail and the first to hold.
            let mut stair = Vec::new();
            for (fi, first) in first_holding.iter().enumerate() {
                let Some(first) = *first else { continue };
                let y = ns.iter().filter(|&&n| n < first).count() as f64 - 0.5;
                stair.push((fi as f64 - 0.5, y));
                stair.push((fi as f64 + 0.5, y));
            }
            chart.draw_series(LineSeries::new(stair, BOUNDARY.stroke_width(3)))?;
        }
        root.present()?;
    }
    crate::files::write_atomic(path, svg)?;
    Ok(())
}

/// Heatmap colours, told apart under red-green colour blindness (blue for
/// holds, orange to vermillion for violated; checked in the tests).
const HOLDS: RGBColor = RGBColor(150, 200, 235);
const VIOLATED_FEW: RGBColor = RGBColor(253, 184, 99);
const VIOLATED_ALL: RGBColor = RGBColor(213, 94, 0);
const NOT_APPLICABLE: RGBColor = RGBColor(230, 230, 230);
const UNDECIDED: RGBColor = RGBColor(170, 170, 170);
/// The theorem's boundary over the heatmap.
const BOUNDARY: RGBColor = RGBColor(0, 0, 0);

/// A cell's colour and text in the heatmaps: blue when it holds, orange
/// to vermillion (darker for a larger share of violating runs) when
/// violated.
fn cell_colour(c: &CellResult) -> (RGBColor, String) {
    match c.verdict {
        CellVerdict::Holds => (HOLDS, format!("0/{}", c.runs)),
        CellVerdict::Violated => {
            let share = c.violations as f64 / c.runs.max(1) as f64;
            let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * share).round() as u8;
            let colour = RGBColor(
                mix(VIOLATED_FEW.0, VIOLATED_ALL.0),
                mix(VIOLATED_FEW.1, VIOLATED_ALL.1),
                mix(VIOLATED_FEW.2, VIOLATED_ALL.2),
            );
            (colour, format!("{}/{}", c.violations, c.runs))
        }
        CellVerdict::Undecided => (UNDECIDED, format!("u {}/{}", c.undecided, c.runs)),
        CellVerdict::NotApplicable => (NOT_APPLICABLE, "n/a".into()),
        CellVerdict::NotRun => (RGBColor(250, 250, 250), "-".into()),
    }
}

/// Every cell of a sweep over several graphs on one page (section 5): a
/// row per (graph, n), labelled with the graph's regularity p and
/// connectivity κ, a column per (algorithm, m rule, f); the colours of the
/// heatmaps, and a mark where no algorithm can cope with f traitors: the
/// connectivity is at most 2f under oral messages (Dolev's bound, quoted in
/// section 5), at most f under signed ones (f traitors can cut the graph).
fn graphs_overview(path: &Path, results: &[CellResult]) -> PlotResult<()> {
    let mut columns: Vec<(Algorithm, super::spec::MRule, usize)> = Vec::new();
    let mut rows: Vec<(crate::graph::GraphSpec, usize)> = Vec::new();
    for c in results {
        let col = (c.cell.algorithm, c.cell.m_rule, c.cell.f);
        if !columns.contains(&col) {
            columns.push(col);
        }
        let row = (c.cell.graph.clone(), c.cell.n);
        if !rows.contains(&row) {
            rows.push(row);
        }
    }
    let label_of = |(g, n): &(crate::graph::GraphSpec, usize)| match g.build(*n) {
        Ok(graph) => (
            format!(
                "{} n={n} (p={}, κ={})",
                g.label(),
                graph.regularity(),
                graph.connectivity()
            ),
            Some(graph.connectivity()),
        ),
        Err(_) => (format!("{} n={n} (none)", g.label()), None),
    };
    let row_labels: Vec<(String, Option<usize>)> = rows.iter().map(label_of).collect();
    let (cw, rh, left, top) = (96i32, 22i32, 230i32, 96i32);
    let width = (left + cw * columns.len() as i32 + 20).max(700) as u32;
    let height = (top + rh * rows.len() as i32 + 80) as u32;
    // Drawn into memory and written whole: a full disk leaves no truncated file.
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE)?;
        root.draw(&Text::new(
        "Every cell on every graph: violated runs / runs (x: no algorithm copes: connectivity <= 2f for OM, Dolev; <= f for SM)",
        (10, 10),
        ("sans-serif", 16),
    ))?;
        for (i, (alg, rule, f)) in columns.iter().enumerate() {
            let x = left + cw * i as i32;
            let head = alg.label(rule.label().trim_start_matches("m = "));
            root.draw(&Text::new(head, (x + 4, top - 40), ("sans-serif", 12)))?;
            root.draw(&Text::new(format!("f = {f}"), (x + 4, top - 22), ("sans-serif", 12)))?;
        }
        for (j, (label, _)) in row_labels.iter().enumerate() {
            let y = top + rh * j as i32;
            root.draw(&Text::new(label.clone(), (8, y + 5), ("sans-serif", 12)))?;
        }
        for c in results {
            let (Some(i), Some(j)) = (
                columns
                    .iter()
                    .position(|col| *col == (c.cell.algorithm, c.cell.m_rule, c.cell.f)),
                rows.iter().position(|r| r.0 == c.cell.graph && r.1 == c.cell.n),
            ) else {
                continue;
            };
            let (x, y) = (left + cw * i as i32, top + rh * j as i32);
            let (fill, text) = cell_colour(c);
            root.draw(&Rectangle::new(
                [(x + 1, y + 1), (x + cw - 1, y + rh - 1)],
                fill.filled(),
            ))?;
            let bound = c
                .cell
                .algorithm
                .on_graphs()
                .map_or(0, |g| g.connectivity_bound(c.cell.f));
            let dolev = row_labels[j].1.is_some_and(|kappa| kappa <= bound);
            let mark = if dolev { " x" } else { "" };
            root.draw(&Text::new(format!("{text}{mark}"), (x + 4, y + 5), ("sans-serif", 11)))?;
        }
        root.present()?;
    }
    crate::files::write_atomic(path, svg)?;
    Ok(())
}

fn messages(path: &Path, ran: &[(&super::plan::Cell, &super::tally::CellTally)]) -> PlotResult<()> {
    // Most messages seen per (algorithm, m, n): a run with traitors that
    // withhold sends fewer, and no traitor can make OM send more.
    let mut measured: Series = BTreeMap::new();
    for (c, t) in ran {
        let m = c.run_m().unwrap_or(0);
        let e = measured.entry((c.algorithm, m)).or_default().entry(c.n).or_insert(0);
        *e = (*e).max(t.max_messages);
    }
    draw_messages(path, "Messages per run against n (most seen per cell)", &measured)
}

/// Measured message counts per (algorithm, m), keyed by n.
pub type Series = BTreeMap<(Algorithm, usize), BTreeMap<usize, u64>>;

/// Messages against n on a log scale: measured points per (algorithm, m),
/// with OM's formula drawn as a line under each OM series.
pub fn messages_chart(path: &Path, title: &str, measured: &Series) -> Result<(), PlotError> {
    draw_messages(path, title, measured).map_err(|e| PlotError {
        file: path.display().to_string(),
        message: e.to_string(),
    })
}

fn draw_messages(path: &Path, title: &str, measured: &Series) -> PlotResult<()> {
    let ns = || measured.values().flat_map(|s| s.keys().copied());
    let n_min = ns().min().unwrap_or(2);
    let n_max = ns().max().unwrap_or(3).max(n_min + 1);
    let mut y_max = measured.values().flat_map(|s| s.values()).copied().max().unwrap_or(10) as f64;
    for &(alg, m) in measured.keys() {
        if let Some(formula) = alg.messages(n_max, m) {
            y_max = y_max.max(formula as f64);
        }
    }
    // Drawn into memory and written whole: a full disk leaves no truncated file.
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 480)).into_drawing_area();
        root.fill(&WHITE)?;
        // Both axes logarithmic: n spans 3 to hundreds, messages many
        // decades; the headroom above the data keeps the legend off the
        // points. Every swept n is a tick where its label has room.
        let (x_lo, x_hi) = (n_min as f64 * 0.92, n_max as f64 * 1.08);
        let (y_lo, y_hi) = (1f64, y_max * 300.0);
        let swept: Vec<f64> = ns().map(|n| n as f64).collect();
        let x_ticks = log_ticks(x_lo, x_hi, &swept, 760.0 - 96.0, 6.5, &tick_label);
        let y_ticks = log_ticks(y_lo, y_hi, &[], 480.0 - 90.0, 2.2, &|_| "0".repeat(4));
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d(
                (x_lo..x_hi).log_scale().with_key_points(x_ticks),
                (y_lo..y_hi).log_scale().with_key_points(y_ticks),
            )?;
        chart
            .configure_mesh()
            .x_desc("n (generals, log scale)")
            .y_desc("messages (log scale)")
            .x_label_formatter(&|v| tick_label(*v))
            .y_label_formatter(&|v| tick_label(*v))
            .draw()?;
        // An algorithm's formula lines (one per m) share one legend entry.
        let mut formula_named: Vec<Algorithm> = Vec::new();
        for (i, (&(alg, m), points)) in measured.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            if let Some(legend) = alg.formula(m) {
                let lo = points.keys().next().copied().unwrap_or(n_min).max(m + 2);
                let hi = points.keys().next_back().copied().unwrap_or(n_max);
                let formula: Vec<(f64, f64)> = (lo..=hi)
                    .filter_map(|n| alg.messages(n, m).map(|c| (n as f64, c as f64)))
                    .collect();
                let line = chart.draw_series(LineSeries::new(formula, color.stroke_width(2)))?;
                if !formula_named.contains(&alg) {
                    formula_named.push(alg);
                    let grey = RGBColor(90, 90, 90);
                    let rule = legend.split_once(" formula: ").map_or(legend.as_str(), |x| x.1);
                    line.label(format!("{} formula (lines): {rule}", alg.as_str().to_uppercase()))
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], grey.stroke_width(2)));
                }
            }
            let pts: Vec<(f64, f64)> = points.iter().map(|(&n, &v)| (n as f64, (v.max(1)) as f64)).collect();
            let label = format!("{} measured", alg.label(&m.to_string()));
            match alg.marker() {
                Marker::Circle => {
                    chart
                        .draw_series(pts.into_iter().map(|p| Circle::new(p, 5, color.filled())))?
                        .label(label)
                        .legend(move |(x, y)| Circle::new((x + 9, y), 5, color.filled()));
                }
                Marker::Triangle => {
                    chart
                        .draw_series(pts.into_iter().map(|p| TriangleMarker::new(p, 6, color.filled())))?
                        .label(label)
                        .legend(move |(x, y)| TriangleMarker::new((x + 9, y), 6, color.filled()));
                }
                Marker::Square => {
                    let square =
                        move |p: (f64, f64)| EmptyElement::at(p) + Rectangle::new([(-5, -5), (5, 5)], color.filled());
                    chart
                        .draw_series(pts.into_iter().map(square))?
                        .label(label)
                        .legend(move |(x, y)| Rectangle::new([(x + 4, y - 5), (x + 14, y + 5)], color.filled()));
                }
                Marker::Cross => {
                    chart
                        .draw_series(pts.into_iter().map(|p| Cross::new(p, 6, color.stroke_width(2))))?
                        .label(label)
                        .legend(move |(x, y)| Cross::new((x + 9, y), 6, color.stroke_width(2)));
                }
            }
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        root.present()?;
    }
    crate::files::write_atomic(path, svg)?;
    Ok(())
}

/// The lecture's trade-off for one algorithm: against the round timeout,
/// the share of runs that broke IC1 or IC2 (top) and the virtual time of
/// the last loyal decision (bottom), one line per timing model (and GST).
fn timing_chart(path: &Path, alg: Algorithm, ran: &[(&super::plan::Cell, &super::tally::CellTally)]) -> PlotResult<()> {
    // (label) -> timeout -> (runs, violations, summed decision time)
    let mut lines: BTreeMap<String, BTreeMap<u64, (u64, u64, u64)>> = BTreeMap::new();
    for (c, t) in ran.iter().filter(|(c, _)| c.algorithm == alg) {
        let label = match c.timing.model {
            crate::timing::TimingModel::Partial => format!("partial, GST = {} ms", c.timing.gst),
            other => format!("{other}, delta = {} ms", c.timing.delta),
        };
        let e = lines.entry(label).or_default().entry(c.timing.timeout).or_default();
        e.0 += t.counts.runs as u64;
        e.1 += t.counts.violations as u64;
        e.2 += t.decision_time_ms;
    }
    let series: Vec<PanelSeries> = lines
        .into_iter()
        .map(|(label, points)| {
            let pts = points
                .into_iter()
                .map(|(t, (n, v, d))| (t as f64, v as f64 / n.max(1) as f64, d as f64 / n.max(1) as f64))
                .collect();
            (label, pts)
        })
        .collect();
    two_panels(
        path,
        &format!("{}: the timeout trade-off (virtual time)", alg.as_str().to_uppercase()),
        "round timeout (ms)",
        ("runs violating IC1 or IC2", true),
        ("last loyal decision (ms)", false),
        &series,
        SeriesLabelPosition::UpperRight,
    )
}

/// A labelled line of a two-panel chart: points (x, top y, bottom y).
pub type PanelSeries = (String, Vec<(f64, f64, f64)>);

/// Two charts stacked over one x axis (log scale when every x is at least
/// 1, linear otherwise): for each series, points (x, top y, bottom y). A
/// panel marked as a share is drawn in percent; the legend goes in the top
/// panel at `legend`, where it hides nothing.
pub fn two_panels(
    path: &Path,
    title: &str,
    x_desc: &str,
    top: (&str, bool),
    bottom: (&str, bool),
    series: &[PanelSeries],
    legend: SeriesLabelPosition,
) -> PlotResult<()> {
    let series: Vec<StackSeries> = series
        .iter()
        .map(|(l, p)| (l.clone(), p.iter().map(|q| (q.0, vec![q.1, q.2])).collect()))
        .collect();
    stacked_panels(path, title, x_desc, &[top, bottom], &series, legend)
}

/// A labelled line of a stack of charts: points (x, one y per panel).
pub type StackSeries = (String, Vec<(f64, Vec<f64>)>);

/// Charts stacked over one x axis, as [`two_panels`] draws two: a panel
/// per (description, share) of `panels`, each series' k-th y in the k-th.
pub fn stacked_panels(
    path: &Path,
    title: &str,
    x_desc: &str,
    panels: &[(&str, bool)],
    series: &[StackSeries],
    legend: SeriesLabelPosition,
) -> PlotResult<()> {
    stacked_panels_legend_in(path, title, x_desc, panels, series, (0, legend))
}

/// [`stacked_panels`] with the legend in panel `legend.0` (where it hides
/// no line) at `legend.1`.
pub fn stacked_panels_legend_in(
    path: &Path,
    title: &str,
    x_desc: &str,
    panels: &[(&str, bool)],
    series: &[StackSeries],
    (legend_panel, legend): (usize, SeriesLabelPosition),
) -> PlotResult<()> {
    let xs = || series.iter().flat_map(|(_, p)| p.iter().map(|q| q.0));
    let x_lo = xs().fold(f64::INFINITY, f64::min);
    let x_hi = xs().fold(f64::NEG_INFINITY, f64::max);
    // Drawn into memory and written whole: a full disk leaves no truncated file.
    let mut svg = String::new();
    {
        let height = if panels.len() == 2 {
            680
        } else {
            40 + 320 * panels.len() as u32
        };
        let root = SVGBackend::with_string(&mut svg, (860, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let root = root.titled(title, ("sans-serif", 18))?;
        let areas = if panels.len() == 2 {
            let (upper, lower) = root.split_vertically(320);
            vec![upper, lower]
        } else {
            root.split_evenly((panels.len(), 1))
        };
        for (i, (area, panel)) in areas.iter().zip(panels.iter().copied()).enumerate() {
            if x_lo >= 1.0 {
                let (lo, hi) = (x_lo * 0.85, x_hi.max(x_lo * 2.0) * 1.15);
                let x_desc = format!("{x_desc} (log scale)");
                // The swept values are the ticks, each labelled once.
                let data: Vec<f64> = xs().collect();
                let px = f64::from(area.dim_in_pixel().0).max(100.0) - 88.0;
                let ticks = log_ticks(lo, hi, &data, px, 6.5, &tick_label);
                draw_panel(
                    area,
                    (lo..hi).log_scale().with_key_points(ticks),
                    &x_desc,
                    (i, legend_panel),
                    panel,
                    series,
                    &legend,
                )?;
            } else {
                let pad = ((x_hi - x_lo) * 0.05).max(0.01);
                draw_panel(
                    area,
                    x_lo - pad..x_hi + pad,
                    x_desc,
                    (i, legend_panel),
                    panel,
                    series,
                    &legend,
                )?;
            }
        }
        root.present()?;
    }
    crate::files::write_atomic(path, svg)?;
    Ok(())
}

fn draw_panel<X>(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    x_range: X,
    x_desc: &str,
    (i, legend_panel): (usize, usize),
    (desc, share): (&str, bool),
    series: &[StackSeries],
    legend: &SeriesLabelPosition,
) -> PlotResult<()>
where
    X: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
{
    let pick = |p: &(f64, Vec<f64>)| p.1.get(i).copied().unwrap_or(0.0);
    let y_max = series.iter().flat_map(|(_, p)| p.iter().map(pick)).fold(0.0, f64::max);
    let top_y = if share {
        (y_max * 1.15).clamp(0.05, 1.05)
    } else {
        (y_max * 1.15).max(1.0)
    };
    // "Caption\ny description": a panel with a title of its own.
    let (caption, desc) = desc.split_once('\n').map_or((None, desc), |(c, d)| (Some(c), d));
    let mut builder = ChartBuilder::on(area);
    if let Some(caption) = caption {
        builder.caption(caption, ("sans-serif", 14));
    }
    let mut chart = builder
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(x_range, 0f64..top_y)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(desc)
        .x_label_formatter(&|v| tick_label(*v))
        .y_label_formatter(&|v| match (share, top_y < 0.2) {
            (true, true) => format!("{:.1}%", v * 100.0),
            (true, false) => format!("{:.0}%", v * 100.0),
            (false, _) if top_y < 10.0 => format!("{v:.1}"),
            (false, _) => format!("{v:.0}"),
        })
        .draw()?;
    for (k, (label, points)) in series.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let pts: Vec<(f64, f64)> = points.iter().map(|p| (p.0, pick(p))).collect();
        let line = chart.draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))?;
        if i == legend_panel {
            line.label(label.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
        }
        // A marker shape per series, so that lines that coincide stay
        // visible: a dot, a ring around it, a square around both.
        match k % 3 {
            0 => chart.draw_series(pts.into_iter().map(|p| Circle::new(p, 4, color.filled())))?,
            1 => chart.draw_series(pts.into_iter().map(|p| Circle::new(p, 8, color.stroke_width(2))))?,
            _ => chart.draw_series(
                pts.into_iter()
                    .map(|p| EmptyElement::at(p) + Rectangle::new([(-12, -12), (12, 12)], color.stroke_width(2))),
            )?,
        };
    }
    if i == legend_panel {
        chart
            .configure_series_labels()
            .position(legend.clone())
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
    }
    Ok(())
}

/// For a link label on a fair-loss channel, its loss and the layers above
/// (`fair-loss(0.3/0.1)+stubborn(20)+dedup` -> 0.3, `+stubborn(20)+dedup`).
pub fn loss_of(label: &str) -> Option<(f64, String)> {
    let rest = label.strip_prefix("fair-loss(")?;
    let (params, above) = rest.split_once(')')?;
    let loss = params.split('/').next()?.parse().ok()?;
    Some((loss, above.to_string()))
}

/// The lecture's lossy links for one algorithm: against the loss, the share
/// of runs that kept IC1 and IC2 when the commander ordered attack (top)
/// and when it ordered retreat (middle), and the frames put on the wire
/// per loyal decision (bottom), one line per stack and timeout. Split by
/// order because a lost frame reads as retreat (the paper's default): an
/// order of retreat survives any loss, a lost attack does not, and a share
/// over both orders would sit at 50 % for no reason of the link's.
fn lossy_chart(path: &Path, alg: Algorithm, ran: &[(&super::plan::Cell, &super::tally::CellTally)]) -> PlotResult<()> {
    use crate::types::Value;
    // label -> loss (in thousandths, for ordering) -> (kept/runs per
    // order, frames, decisions)
    #[derive(Default)]
    struct Sums {
        attack: (u64, u64),
        retreat: (u64, u64),
        frames: u64,
        decisions: u64,
    }
    let mut lines: BTreeMap<String, BTreeMap<u64, Sums>> = BTreeMap::new();
    for (c, t) in ran.iter().filter(|(c, _)| c.algorithm == alg) {
        let Some((loss, above)) = loss_of(&c.link.label()) else {
            continue;
        };
        let stack = if above.is_empty() {
            "fair-loss".to_string()
        } else {
            format!("fair-loss{above}")
        };
        let label = format!("{stack}, timeout {} ms", c.timing.timeout);
        let e = lines
            .entry(label)
            .or_default()
            .entry((loss * 1000.0).round() as u64)
            .or_default();
        for (value, sums) in [(Value::Attack, &mut e.attack), (Value::Retreat, &mut e.retreat)] {
            if let Some(k) = t.by_order.get(&value) {
                sums.0 += (k.runs - k.violations) as u64;
                sums.1 += k.runs as u64;
            }
        }
        e.frames += t.counters.frames_sent;
        e.decisions += t.decisions;
    }
    let share = |(kept, runs): (u64, u64)| kept as f64 / runs.max(1) as f64;
    let series: Vec<StackSeries> = lines
        .into_iter()
        .map(|(label, points)| {
            let pts = points
                .into_iter()
                .map(|(l, s)| {
                    (
                        l as f64 / 1000.0,
                        vec![
                            share(s.attack),
                            share(s.retreat),
                            s.frames as f64 / s.decisions.max(1) as f64,
                        ],
                    )
                })
                .collect();
            (label, pts)
        })
        .collect();
    stacked_panels_legend_in(
        path,
        &format!("{}: lossy links (virtual time)", alg.as_str().to_uppercase()),
        "probability that a frame is lost",
        &[
            ("Commander orders attack\nruns keeping IC1 and IC2", true),
            ("Commander orders retreat\nruns keeping IC1 and IC2", true),
            ("frames on the wire per loyal decision", false),
        ],
        &series,
        // Where retreat's lines run along the top: nothing to hide.
        (1, SeriesLabelPosition::LowerLeft),
    )
}

/// Throughput against offered load: measured series as points joined by
/// lines, and an analytic curve as a plain line (slotted ALOHA's
/// S = G e^-G).
pub fn throughput_chart(
    path: &Path,
    title: &str,
    measured: &[(String, Vec<(f64, f64)>)],
    curve: (String, Vec<(f64, f64)>),
) -> PlotResult<()> {
    let all = || measured.iter().flat_map(|(_, p)| p.iter()).chain(curve.1.iter());
    let x_hi = all().map(|p| p.0).fold(0.0, f64::max).max(1.0);
    let y_hi = all().map(|p| p.1).fold(0.0, f64::max).max(0.4) * 1.1;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 560)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..x_hi * 1.02, 0f64..y_hi)?;
        chart
            .configure_mesh()
            .x_desc("offered load G (frames per slot)")
            .y_desc("throughput S (successful frames per slot)")
            .draw()?;
        let black = RGBColor(60, 60, 60);
        chart
            .draw_series(LineSeries::new(curve.1.clone(), black.stroke_width(2)))?
            .label(curve.0.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], black.stroke_width(2)));
        for (i, (name, pts)) in measured.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            chart
                .draw_series(LineSeries::new(pts.clone(), color.stroke_width(1)))?
                .label(name.clone())
                .legend(move |(x, y)| Circle::new((x + 9, y), 4, color.filled()));
            chart.draw_series(pts.iter().map(|&p| Circle::new(p, 4, color.filled())))?;
        }
        legend(&mut chart, SeriesLabelPosition::MiddleRight)?;
        root.present()?;
    }
    crate::files::write_atomic(path, svg)?;
    Ok(())
}

/// Lines against a linear x on a logarithmic y (values spanning decades:
/// the rates OM and SM need on a finite network), a marker per point.
pub fn log_lines(
    path: &Path,
    title: &str,
    (x_desc, y_desc): (&str, &str),
    series: &[(String, Vec<(f64, f64)>)],
) -> PlotResult<()> {
    let all = || series.iter().flat_map(|(_, p)| p.iter());
    let x_lo = all().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let x_hi = all().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max).max(x_lo + 1.0);
    let y_lo = all().map(|p| p.1).fold(f64::INFINITY, f64::min).max(1e-3);
    let y_hi = all().map(|p| p.1).fold(0.0, f64::max).max(y_lo * 10.0);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 560)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(
                x_lo - 0.5..x_hi + 0.5,
                (y_lo / 2.0..y_hi * 8.0).log_scale().with_key_points(log_ticks(
                    y_lo / 2.0,
                    y_hi * 8.0,
                    &[],
                    560.0 - 110.0,
                    2.2,
                    &|_| "0".repeat(4),
                )),
            )?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(format!("{y_desc} (log scale)"))
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| tick_label(*v))
            .draw()?;
        for (i, (name, pts)) in series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            chart
                .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))?
                .label(name.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
            chart.draw_series(pts.iter().map(|&p| Circle::new(p, 4, color.filled())))?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        root.present()?;
    }
    crate::files::write_atomic(path, svg)?;
    Ok(())
}

/// One series drawn as steps over time (a value that holds until it
/// changes: a congestion window), linear axes.
pub fn step_chart(path: &Path, title: &str, (x_desc, y_desc): (&str, &str), points: &[(f64, f64)]) -> PlotResult<()> {
    let x_hi = points.iter().map(|p| p.0).fold(1.0, f64::max);
    let y_hi = points.iter().map(|p| p.1).fold(1.0, f64::max) * 1.15;
    let mut steps = Vec::with_capacity(points.len() * 2);
    for w in points.windows(2) {
        steps.push(w[0]);
        steps.push((w[1].0, w[0].1));
    }
    steps.extend(points.last());
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 420)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..x_hi * 1.02, 0f64..y_hi)?;
        chart.configure_mesh().x_desc(x_desc).y_desc(y_desc).draw()?;
        chart.draw_series(LineSeries::new(steps, PALETTE[2].stroke_width(2)))?;
        root.present()?;
    }
    crate::files::write_atomic(path, svg)?;
    Ok(())
}

/// A measured series with error bars: points (x, y, y low, y high).
pub type BarSeries = (String, Vec<(f64, f64, f64, f64)>);

/// Measured series with error bars (a marker per point, a whisker from
/// low to high) against predicted curves (dashed-looking thin lines with
/// no markers), linear axes; y values at or above `cap` are drawn at the
/// cap (the caption says what it means).
pub fn error_bar_chart(
    path: &Path,
    title: &str,
    (x_desc, y_desc): (&str, &str),
    measured: &[BarSeries],
    predicted: &[(String, Vec<(f64, f64)>)],
    cap: f64,
) -> PlotResult<()> {
    let xs = || {
        measured
            .iter()
            .flat_map(|(_, p)| p.iter().map(|q| q.0))
            .chain(predicted.iter().flat_map(|(_, p)| p.iter().map(|q| q.0)))
    };
    let x_lo = xs().fold(f64::INFINITY, f64::min);
    let x_hi = xs().fold(f64::NEG_INFINITY, f64::max).max(x_lo + 1.0);
    let pad = (x_hi - x_lo) * 0.05;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 560)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(x_lo - pad..x_hi + pad, 0f64..cap * 1.08)?;
        chart.configure_mesh().x_desc(x_desc).y_desc(y_desc).draw()?;
        let clip = |y: f64| y.min(cap);
        for (i, (name, pts)) in predicted.iter().enumerate() {
            let color = PALETTE[(i + 4) % PALETTE.len()];
            let pts: Vec<(f64, f64)> = pts.iter().map(|&(x, y)| (x, clip(y))).collect();
            chart
                .draw_series(LineSeries::new(pts, color.stroke_width(1)))?
                .label(name.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(1)));
        }
        for (i, (name, pts)) in measured.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let line: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, clip(p.1))).collect();
            chart
                .draw_series(LineSeries::new(line.clone(), color.stroke_width(2)))?
                .label(name.clone())
                .legend(move |(x, y)| Circle::new((x + 9, y), 4, color.filled()));
            chart.draw_series(line.iter().map(|&p| Circle::new(p, 4, color.filled())))?;
            chart.draw_series(
                pts.iter()
                    .map(|p| PathElement::new(vec![(p.0, clip(p.2)), (p.0, clip(p.3))], color.stroke_width(2))),
            )?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        root.present()?;
    }
    crate::files::write_atomic(path, svg)?;
    Ok(())
}

/// A labelled step line over time: spans (from, to, value).
pub type SpanSeries = (String, Vec<(f64, f64, f64)>);

/// A service's uptime over time: per line, the share of clients it would
/// serve correctly in time (steps, 0 to 1), over lanes of each replica's
/// down intervals (the faults), x in virtual days.
pub fn uptime_chart(
    path: &Path,
    title: &str,
    lines: &[SpanSeries],
    downs: &[(usize, f64, f64)],
    replicas: usize,
) -> PlotResult<()> {
    let x_hi = lines
        .iter()
        .flat_map(|(_, s)| s.iter().map(|p| p.1))
        .fold(1.0, f64::max);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1000, 620)).into_drawing_area();
        root.fill(&WHITE)?;
        let root = root.titled(title, ("sans-serif", 18))?;
        let (upper, lower) = root.split_vertically(330);
        let mut chart = ChartBuilder::on(&upper)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(0f64..x_hi, 0f64..1.12)?;
        chart
            .configure_mesh()
            .x_desc("virtual days")
            .y_desc("share of clients served in time")
            .draw()?;
        for (i, (name, spans)) in lines.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            // Offset a little so that lines that coincide stay visible.
            let lift = 0.02 * i as f64;
            let mut steps = Vec::with_capacity(spans.len() * 2);
            for &(a, b, v) in spans {
                steps.push((a, v + lift));
                steps.push((b, v + lift));
            }
            chart
                .draw_series(LineSeries::new(steps, color.stroke_width(2)))?
                .label(name.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        let mut lanes = ChartBuilder::on(&lower)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(0f64..x_hi, -0.5f64..replicas as f64 - 0.5)?;
        lanes
            .configure_mesh()
            .x_desc("virtual days")
            .y_desc("replica (bars: down)")
            .y_labels(replicas)
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()?;
        let red = RGBColor(200, 40, 40);
        lanes.draw_series(downs.iter().map(|&(r, a, b)| {
            Rectangle::new(
                [(a, r as f64 - 0.3), (b.max(a + x_hi / 800.0), r as f64 + 0.3)],
                red.filled(),
            )
        }))?;
        root.present()?;
    }
    crate::files::write_atomic(path, svg)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Machado, Oliveira and Fernandes (2009) at severity 1, on linear RGB:
    /// what deuteranopes and protanopes see.
    const DEUTERANOPIA: [[f64; 3]; 3] = [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ];
    const PROTANOPIA: [[f64; 3]; 3] = [
        [0.152286, 1.052583, -0.204868],
        [0.114503, 0.786281, 0.099216],
        [-0.003882, -0.048116, 1.051998],
    ];

    /// CIELAB of `c` as seen through `m`.
    fn seen(c: RGBColor, m: &[[f64; 3]; 3]) -> [f64; 3] {
        let lin = |v: u8| {
            let v = f64::from(v) / 255.0;
            if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        let l = [lin(c.0), lin(c.1), lin(c.2)];
        let s: Vec<f64> = m
            .iter()
            .map(|row| (row[0] * l[0] + row[1] * l[1] + row[2] * l[2]).clamp(0.0, 1.0))
            .collect();
        let x = (0.4124 * s[0] + 0.3576 * s[1] + 0.1805 * s[2]) / 0.95047;
        let y = 0.2126 * s[0] + 0.7152 * s[1] + 0.0722 * s[2];
        let z = (0.0193 * s[0] + 0.1192 * s[1] + 0.9505 * s[2]) / 1.08883;
        let f = |t: f64| {
            if t > 0.008856 {
                t.cbrt()
            } else {
                7.787 * t + 16.0 / 116.0
            }
        };
        [116.0 * f(y) - 16.0, 500.0 * (f(x) - f(y)), 200.0 * (f(y) - f(z))]
    }

    /// The smallest colour difference (CIE76 delta E) between any two of
    /// `colours` for a deuteranope or a protanope.
    fn closest(colours: &[RGBColor]) -> (f64, RGBColor, RGBColor) {
        let mut worst = (f64::INFINITY, BLACK, BLACK);
        for (i, &a) in colours.iter().enumerate() {
            for &b in &colours[i + 1..] {
                for m in [&DEUTERANOPIA, &PROTANOPIA] {
                    let (p, q) = (seen(a, m), seen(b, m));
                    let d = ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2)).sqrt();
                    if d < worst.0 {
                        worst = (d, a, b);
                    }
                }
            }
        }
        worst
    }

    /// Issue 25 item 5: series, heatmap classes and diagram colours stay
    /// apart (delta E >= 15) under red-green colour blindness. The palette
    /// used before (matplotlib's tab10: red and green next to each other)
    /// fails it at 4.6.
    #[test]
    fn colours_stay_apart_for_red_green_colour_blind_readers() {
        let tab10 = [
            RGBColor(31, 119, 180),
            RGBColor(214, 39, 40),
            RGBColor(44, 160, 44),
            RGBColor(148, 103, 189),
            RGBColor(255, 127, 14),
            RGBColor(140, 86, 75),
        ];
        assert!(
            closest(&tab10).0 < 15.0,
            "the check tells a bad palette: {:?}",
            closest(&tab10)
        );
        use crate::experiment::diagram::{ALTERED, DROPPED, LATE, LOYAL, TRAITOR};
        for (what, colours) in [
            ("series", PALETTE.to_vec()),
            ("heatmap", vec![HOLDS, VIOLATED_FEW, VIOLATED_ALL, NOT_APPLICABLE]),
            ("diagram", vec![TRAITOR, LOYAL, LATE, DROPPED, ALTERED]),
        ] {
            let (d, a, b) = closest(&colours);
            assert!(d >= 15.0, "{what}: {a:?} and {b:?} are {d:.1} apart");
        }
    }

    /// Log axes label each tick once, never two labels closer than their
    /// width, and keep the last value (the end of the axis).
    #[test]
    fn log_ticks_label_each_value_once_and_apart() {
        let ns: Vec<f64> = (4..=20).chain([32, 64, 128, 256]).map(f64::from).collect();
        let (lo, hi, px) = (3.6, 277.0, 664.0);
        let ticks = log_ticks(lo, hi, &ns, px, 6.5, &tick_label);
        let at = |v: f64| (v / lo).ln() / (hi / lo).ln() * px;
        assert_eq!(ticks.first(), Some(&4.0));
        assert_eq!(ticks.last(), Some(&256.0));
        let wide = |v: f64| tick_label(v).len() as f64 * 6.5;
        assert!(
            ticks
                .windows(2)
                .all(|w| at(w[1]) - at(w[0]) >= (wide(w[0]) + wide(w[1])) / 2.0 + 8.0),
            "labels closer than half their widths and a gap: {ticks:?}"
        );
        assert!(
            !ticks.contains(&13.0) || !ticks.contains(&14.0),
            "13 and 14 would run together: {ticks:?}"
        );
        // No data: 1-2-5 per decade on a short axis, decades on a long one.
        let t = log_ticks(8.0, 1200.0, &[], 700.0, 6.5, &tick_label);
        assert_eq!(t, vec![10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0]);
        let t = log_ticks(1.0, 1e17, &[], 400.0, 2.2, &|_| "0000".into());
        assert!(t.iter().all(|v| (v.log10() - v.log10().round()).abs() < 1e-9), "{t:?}");
        let labels: Vec<String> = t.iter().map(|v| tick_label(*v)).collect();
        let unique: std::collections::BTreeSet<&String> = labels.iter().collect();
        assert_eq!(unique.len(), labels.len(), "each label once: {labels:?}");
    }
}
