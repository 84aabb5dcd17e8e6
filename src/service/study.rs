//! The service's studies, one command and one results folder each:
//!
//! * [`availability`] (`byzlab availability --table results/availability`):
//!   nines against MTTR and against n for OM and SM, the fixed, rotating
//!   and detector-chosen commander, measured over seeds (mean and standard
//!   deviation) against what MTTF and MTTR predict.
//! * [`spof`] (`byzlab spof --table results/spof`): the single points of
//!   failure of OM(1) and SM(1) among four under each commander policy,
//!   and one month of the service's uptime with its faults marked.

use super::{Commander, DAY, HOUR, ServiceReport, ServiceSpec, nines, predicted_for, run};
use crate::finite::{StudyError, plotted, write_folder};
use crate::run::Signatures;
use crate::types::Algorithm;
use std::fmt::Write as _;
use std::path::Path;

/// Nines drawn at most (an availability of 1 has infinitely many).
const CAP: f64 = 6.0;
/// Seeds per point.
const SEEDS: u64 = 20;
/// MTTF of every replica in the availability study.
const MTTF_H: u64 = 100;
/// MTTRs of the study, hours.
const MTTRS_H: [u64; 5] = [1, 2, 5, 10, 20];

/// The study's base: n replicas tolerating f, 180 virtual days, an order
/// every two hours (the orders are counted; availability comes from the
/// probes), ideal signatures (SM's outcomes, no curve arithmetic).
fn base(alg: Algorithm, n: usize, f: usize, policy: Commander, mttr_h: u64) -> Result<ServiceSpec, StudyError> {
    let mut s = ServiceSpec::new(alg, n, f).map_err(|e| StudyError::Run(e.into()))?;
    s.signatures = Signatures::Ideal;
    s.orders_per_hour = 0.5;
    s.mttf = Some(MTTF_H * HOUR);
    s.mttr = mttr_h * HOUR;
    s.duration = 180 * DAY;
    s.commander = policy;
    Ok(s)
}

/// One point over seeds.
struct Point {
    mean: f64,
    sd: f64,
    /// Half the 95 % confidence interval of the mean: 1.96 sd / sqrt(seeds).
    ci: f64,
    /// Availability if the service were down only with every replica down.
    all_down: f64,
    attempts: u64,
    /// Faults injected: replica crashes, over all seeds.
    crashes: u64,
    predicted: f64,
    served: u64,
    failed: u64,
    arrived: u64,
}

fn measure(spec: &ServiceSpec) -> Result<Point, StudyError> {
    let mut a = Vec::new();
    let (mut served, mut failed, mut arrived, mut attempts, mut crashes) = (0, 0, 0, 0, 0);
    for seed in 0..SEEDS {
        let r: ServiceReport = run(&ServiceSpec { seed, ..spec.clone() }, false)?;
        a.push(r.availability);
        served += r.orders_served;
        failed += r.orders_failed;
        arrived += r.orders.arrived;
        attempts += r.orders.attempts;
        crashes += r.faults.crashes;
    }
    let mean = a.iter().sum::<f64>() / a.len() as f64;
    let var = a.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (a.len() as f64 - 1.0).max(1.0);
    let q = spec.mttr as f64 / (spec.mttf.unwrap_or(0) + spec.mttr) as f64;
    Ok(Point {
        mean,
        sd: var.sqrt(),
        ci: 1.96 * var.sqrt() / (a.len() as f64).sqrt(),
        all_down: 1.0 - q.powi(spec.n as i32),
        attempts,
        crashes,
        predicted: predicted_for(
            spec.commander,
            spec.mttf.unwrap_or(0) as f64,
            spec.mttr as f64,
            spec.n,
            spec.f,
        ),
        served,
        failed,
        arrived,
    })
}

/// Nines, drawn at most at the cap.
fn drawn(a: f64) -> f64 {
    if a >= 1.0 { CAP } else { nines(a).min(CAP) }
}

fn show_nines(a: f64) -> String {
    if a >= 1.0 {
        "no downtime".into()
    } else {
        format!("{:.2} nines", nines(a))
    }
}

/// (x, nines of the mean, of the ends of its 95 % confidence interval).
fn bar(x: f64, p: &Point) -> (f64, f64, f64, f64) {
    (
        x,
        drawn(p.mean),
        drawn((p.mean - p.ci).max(0.0)),
        drawn((p.mean + p.ci).min(1.0)),
    )
}

/// A line of a figure: its label and its points (x, measured).
type Line = (String, Vec<(f64, Point)>);

/// Measures every spec of every line (a spec per x), writing a CSV row each.
fn measure_lines(
    lines: Vec<(String, Vec<ServiceSpec>)>,
    xs: &[f64],
    study: &str,
    csv: &mut String,
) -> Result<Vec<Line>, StudyError> {
    let mut out = Vec::new();
    for (label, specs) in lines {
        let mut pts = Vec::new();
        for (&x, s) in xs.iter().zip(&specs) {
            let p = measure(s)?;
            csv_row(csv, study, s, &p);
            pts.push((x, p));
        }
        out.push((label, pts));
    }
    Ok(out)
}

fn csv_row(csv: &mut String, study: &str, s: &ServiceSpec, p: &Point) {
    let _ = writeln!(
        csv,
        "{study},{},{},{},{},{MTTF_H},{},{SEEDS},{:.8},{:.8},{},{:.8},{:.8},{:.3},{:.8},{},{},{},{},{}",
        s.algorithm,
        s.n,
        s.f,
        s.commander,
        s.mttr / HOUR,
        p.mean,
        p.sd,
        if p.mean >= 1.0 {
            String::new()
        } else {
            format!("{:.3}", nines(p.mean))
        },
        p.ci,
        p.predicted,
        nines(p.predicted),
        p.all_down,
        p.crashes,
        p.arrived,
        p.served,
        p.failed,
        p.attempts
    );
}

/// A table row per x, a cell per line: measured mean +- CI (nines) /
/// predicted (nines).
fn table(md: &mut String, lines: &[Line], first: impl Fn(f64) -> String) {
    let Some((_, xs)) = lines.first() else { return };
    for (i, (x, _)) in xs.iter().enumerate() {
        let cells: Vec<String> = lines
            .iter()
            .map(|(_, pts)| {
                let p = &pts[i].1;
                format!(
                    "{:.5} +- {:.5} ({}) / {:.5} ({:.2})",
                    p.mean,
                    p.ci,
                    show_nines(p.mean),
                    p.predicted,
                    nines(p.predicted)
                )
            })
            .collect();
        let _ = writeln!(md, "| {} | {} |", first(*x), cells.join(" | "));
    }
    md.push('\n');
}

fn bars(lines: &[Line]) -> Vec<crate::experiment::plots::BarSeries> {
    lines
        .iter()
        .map(|(label, pts)| (label.clone(), pts.iter().map(|(x, p)| bar(*x, p)).collect()))
        .collect()
}

/// A line's prediction (or another availability of its points) in nines.
fn curve(line: &Line, of: impl Fn(&Point) -> f64) -> Vec<(f64, f64)> {
    line.1.iter().map(|(x, p)| (*x, drawn(of(p)))).collect()
}

/// Writes results/availability.
pub fn availability(out: &Path, command: &str) -> Result<String, StudyError> {
    let mut folder = crate::folder::Folder::claim(out, "availability --table", None)?;
    let mut csv = String::from(
        "study,algorithm,n,f,commander,mttf_h,mttr_h,seeds,availability_mean,availability_sd,nines_of_mean,\
         ci95,predicted,predicted_nines,predicted_all_down,faults_crashes,orders_arrived,orders_served,orders_failed,attempts\n",
    );
    let mut md = format!(
        "# availability\n\nMade by `{command}` with byzlab {}.\n\nThe book shop as a replicated service \
         (`byzlab service`): every replica fails after an exponential time of mean MTTF = {MTTF_H} h and is repaired \
         after one of mean MTTR; 180 virtual days per run, {SEEDS} seeds per point, an order every two hours on \
         average, link authenticated, timing sync, no Byzantine replica. **Availability** is time-weighted: the \
         share of the run during which a paid and an unpaid order arriving would both be served correctly within \
         the 60 s deadline (a client retries after 5 s, doubling). **Nines** = -log10(1 - A); downtime per 30 days \
         = (1 - A) x 43,200 min. **Predicted**: one replica is up a = MTTF / (MTTF + MTTR) of the time; n of which \
         at most f may be down, the binomial sum over k <= f of C(n, k) (1 - a)^k a^(n-k); a fixed commander must \
         be up itself as well (a x the sum over the other n - 1). Each cell: measured mean +- the half-width of its \
         95 % confidence interval over seeds (1.96 sd / sqrt(seeds)) / predicted. The seeds share their random \
         draws across points (MTTR scales the same draws), so one seed's luck moves a whole line alike.\n\n",
        env!("CARGO_PKG_VERSION")
    );
    let algs = [crate::algorithm::OM, crate::algorithm::SM];
    // 1. Against MTTR, n = 4, f = 1, rotating commander.
    let mttrs: Vec<f64> = MTTRS_H.iter().map(|&h| h as f64).collect();
    let mut lines = Vec::new();
    for alg in algs {
        let specs = MTTRS_H
            .iter()
            .map(|&h| base(alg, 4, 1, Commander::Rotate, h))
            .collect::<Result<Vec<_>, _>>()?;
        lines.push((format!("{} measured (95 % CI)", alg.label("1")), specs));
    }
    let lines = measure_lines(lines, &mttrs, "mttr", &mut csv)?;
    let _ = writeln!(
        md,
        "## Nines against MTTR (n = 4, f = 1, rotating commander)\n\n| MTTR (h) | OM(1) | SM(1) |\n|---|---|---|"
    );
    table(&mut md, &lines, |x| format!("{x}"));
    let file = "mttr.svg";
    crate::experiment::plots::error_bar_chart(
        &folder.file(file)?,
        &format!("Nines against MTTR, n = 4, f = 1, MTTF {MTTF_H} h, rotating commander ({CAP} = no downtime seen)"),
        ("MTTR (virtual hours)", "nines of availability"),
        &bars(&lines),
        &[
            (
                "predicted: at most 1 of 4 down".to_string(),
                curve(&lines[0], |p| p.predicted),
            ),
            (
                "all 4 down at once: 1 - (1 - a)^4".to_string(),
                curve(&lines[0], |p| p.all_down),
            ),
        ],
        CAP,
    )
    .map_err(plotted(&folder.file(file)?))?;
    let _ = writeln!(md, "![{file}]({file})\n");
    // 2. Against n, f = (n - 1) / 3, MTTR 10 h.
    let ns = [4usize, 7, 10];
    let xs: Vec<f64> = ns.iter().map(|&n| n as f64).collect();
    let mut lines = Vec::new();
    for alg in algs {
        let specs = ns
            .iter()
            .map(|&n| base(alg, n, (n - 1) / 3, Commander::Rotate, 10))
            .collect::<Result<Vec<_>, _>>()?;
        lines.push((format!("{} measured (95 % CI)", alg.label("f")), specs));
    }
    let lines = measure_lines(lines, &xs, "n", &mut csv)?;
    let _ = writeln!(
        md,
        "## Nines against n (f = (n - 1) / 3, MTTR 10 h, rotating commander)\n\n| n | f | OM(f) | SM(f) |\n|---|---|---|---|"
    );
    table(&mut md, &lines, |x| format!("{x} | {}", (x as usize - 1) / 3));
    let file = "n.svg";
    crate::experiment::plots::error_bar_chart(
        &folder.file(file)?,
        &format!("Nines against n, f = (n - 1) / 3, MTTF {MTTF_H} h, MTTR 10 h ({CAP} = no downtime seen)"),
        ("replicas n", "nines of availability"),
        &bars(&lines),
        &[
            (
                "predicted: at most f of n down".to_string(),
                curve(&lines[0], |p| p.predicted),
            ),
            (
                "all n down at once: 1 - (1 - a)^n".to_string(),
                curve(&lines[0], |p| p.all_down),
            ),
        ],
        CAP,
    )
    .map_err(plotted(&folder.file(file)?))?;
    let _ = writeln!(md, "![{file}]({file})\n");
    // 3. Commander policies, OM(1) among 4.
    let mut lines = Vec::new();
    for policy in Commander::ALL {
        let specs = MTTRS_H
            .iter()
            .map(|&h| base(crate::algorithm::OM, 4, 1, policy, h))
            .collect::<Result<Vec<_>, _>>()?;
        lines.push((format!("{policy} measured"), specs));
    }
    let lines = measure_lines(lines, &mttrs, "commander", &mut csv)?;
    let _ = writeln!(
        md,
        "## Fixed, rotating and detector-chosen commander (OM(1), n = 4)\n\n| MTTR (h) | fixed | rotate | detector |\n|---|---|---|---|"
    );
    table(&mut md, &lines, |x| format!("{x}"));
    // The detector's prediction is rotation's.
    let curves: Vec<(String, Vec<(f64, f64)>)> = lines[..2]
        .iter()
        .zip(["fixed", "rotate"])
        .map(|(line, p)| (format!("predicted, {p}"), curve(line, |q| q.predicted)))
        .collect();
    let bars = bars(&lines);
    let file = "commander.svg";
    crate::experiment::plots::error_bar_chart(
        &folder.file(file)?,
        &format!("OM(1) among 4: fixed against rotating and detector-chosen commander, MTTF {MTTF_H} h"),
        ("MTTR (virtual hours)", "nines of availability"),
        &bars,
        &curves,
        CAP,
    )
    .map_err(plotted(&folder.file(file)?))?;
    let _ = writeln!(
        md,
        "![{file}]({file})\n\n## How to read this\n\n\
         * **OM** follows the prediction: with two of four replicas down, the one lieutenant left hears the \
         commander's order and two defaults, and its majority is the default (\"do not dispatch\"), so a paid \
         order is not dispatched: two faults are a failure, exactly the binomial's \"at most f down\". The \
         bars are 95 % confidence intervals of the mean over {SEEDS} seeds.\n\
         * **SM** does far better than the f-bound predicts: a crashed replica is silent, not lying, and SM's \
         lieutenants decide on the commander's signed order whoever else is down, so the service is down only \
         when every replica is down at once (the bound f counts lies, not silence): it follows the \"all down \
         at once\" curve, 1 - (1 - a)^n, and sits at the cap ({CAP} nines drawn for no downtime seen) where \
         repairs are short. At n = 7 and 10 it stays near 4 nines instead of rising: a client's retries \
         (after 5, 10 and 20 s) reach only four replicas within the 60 s deadline, so four replicas down in a \
         row of the rotation make an order late: the client, not the replicas, is then the bound.\n\
         * **A fixed commander** is a single point of failure: its MTTR is the service's, so it loses about \
         one nine against rotating; the **detector-chosen** commander equals rotation here (a client that \
         reaches a crashed replica retries after 5 s, well within the 60 s deadline) and saves the wasted \
         attempt (see orders and attempts in `availability.csv`).\n\
         * Nines fall as MTTR grows (more time with two down at once) and rise with n for OM (f grows with n).\n"
    );
    write_folder(
        &mut folder,
        "availability",
        &md,
        &csv,
        command,
        "`summary.md` (the tables), `availability.csv` (a row per point: measured mean and standard deviation over \
         seeds, predicted), `mttr.svg`, `n.svg`, `commander.svg` (nines with error bars against the prediction).",
    )?;
    Ok(format!("availability: results in {}", out.display()))
}

/// Writes results/spof.
pub fn spof(out: &Path, command: &str) -> Result<String, StudyError> {
    let mut folder = crate::folder::Folder::claim(out, "spof --table", None)?;
    let mut md = format!(
        "# spof\n\nMade by `{command}` with byzlab {}.\n\nEach part of the book shop service fails **for the whole \
         run** (one virtual day, ten orders an hour), one part at a time, under each commander policy: a replica \
         crashed, a link dead both ways, or the commander's role (the replica that holds it when the service \
         starts, replica 0, crashed: under `fixed` it holds it for good). The part is the **fault**; the cell \
         says whether the service **failed**: `SPOF` when no order arriving at any time is served correctly in \
         time (availability 0: the part alone stops the whole), `degraded` when some orders fail, `tolerated` \
         otherwise.\n\n",
        env!("CARGO_PKG_VERSION")
    );
    let mut csv =
        String::from("algorithm,n,f,fault,commander,verdict,availability,orders_arrived,orders_failed,orders_late\n");
    for alg in [crate::algorithm::OM, crate::algorithm::SM] {
        let mut s = ServiceSpec::new(alg, 4, 1).map_err(|e| StudyError::Run(e.into()))?;
        s.signatures = Signatures::Ideal;
        s.duration = DAY;
        let rows = super::spof::table(&s, &Commander::ALL)?;
        let _ = writeln!(md, "## {} among 4\n\n{}", alg.label("1"), super::spof::markdown(&rows));
        for p in Commander::ALL {
            let list: Vec<String> = super::spof::spofs(&rows, p).iter().map(|c| c.to_string()).collect();
            let _ = writeln!(
                md,
                "* commander {p}: {}",
                if list.is_empty() {
                    "no single point of failure".to_string()
                } else {
                    format!("single points of failure: {}", list.join(", "))
                }
            );
        }
        md.push('\n');
        for row in &rows {
            for (p, r) in &row.reports {
                let _ = writeln!(
                    csv,
                    "{},4,1,{},{p},{},{:.6},{},{},{}",
                    alg,
                    row.component.map_or("none".to_string(), |c| c.to_string()),
                    super::spof::verdict(r),
                    r.availability,
                    r.orders.arrived,
                    r.orders_failed,
                    r.orders.late
                );
            }
        }
    }
    // A month of uptime, one fault schedule, fixed against rotate.
    let mut lines = Vec::new();
    let mut downs = Vec::new();
    let mut month = String::new();
    for policy in [Commander::Fixed, Commander::Rotate] {
        let mut s = ServiceSpec::new(crate::algorithm::OM, 4, 1).map_err(|e| StudyError::Run(e.into()))?;
        s.mttf = Some(100 * HOUR);
        s.mttr = 10 * HOUR;
        s.seed = 3;
        s.commander = policy;
        let r = run(&s, true)?;
        let day = DAY as f64;
        lines.push((
            format!("commander {policy}: A = {:.4}", r.availability),
            r.spans
                .iter()
                .map(|sp| (sp.from as f64 / day, sp.to as f64 / day, sp.available))
                .collect(),
        ));
        downs = r
            .downs
            .iter()
            .map(|&(g, a, b)| (usize::from(g), a as f64 / day, b as f64 / day))
            .collect();
        let _ = writeln!(
            month,
            "* commander {policy}: availability {:.4} ({}, {:.0} min down per 30 days); faults: {} crashes, \
             {:.0} replica-hours down; failures: {} of {} orders ({} served wrongly, {} never), {} late",
            r.availability,
            show_nines(r.availability),
            r.downtime_per_30_days_min,
            r.faults.crashes,
            r.faults.replica_down_hours,
            r.orders_failed,
            r.orders.arrived,
            r.orders.failed_wrong,
            r.orders.failed_unserved,
            r.orders.late
        );
    }
    let file = "uptime.svg";
    crate::experiment::plots::uptime_chart(
        &folder.file(file)?,
        "OM(1) among 4 over one month (MTTF 100 h, MTTR 10 h, seed 3): uptime and the faults",
        &lines,
        &downs,
        4,
    )
    .map_err(plotted(&folder.file(file)?))?;
    let _ = writeln!(
        md,
        "## One month of uptime\n\nOM(1) among 4, MTTF 100 h, MTTR 10 h, seed 3, the same faults under both \
         policies (`byzlab service --algorithm om --mttf 100h --mttr 10h --seed 3 --commander fixed|rotate`). \
         Top: the share of clients an arriving order would be served for correctly in time (rotate drawn a \
         little higher where they coincide); bottom: each replica's down time. Under `fixed` every crash of \
         replica 0 is an outage; under `rotate` only two replicas down at once are.\n\n{month}\n![{file}]({file})"
    );
    write_folder(
        &mut folder,
        "spof",
        &md,
        &csv,
        command,
        "`summary.md` (the tables), `spof.csv` (a row per fault and policy), `uptime.svg` (a month of uptime with \
         the faults marked).",
    )?;
    Ok(format!("spof: results in {}", out.display()))
}
