//! Issue 22: the link stack as objects in the order written, and the
//! finite network (capacity, the bottleneck, AIMD).

use crate::common::run;
use byzlab::link::capacity::Queue;
use byzlab::link::layer::{Cx, Frame, LinkLayer, Rule};
use byzlab::registry::Registry;
use byzlab::run::{RunSpec, RuntimeKind};
use byzlab::runtime::RunReport;
use byzlab::types::Algorithm;

fn spec(alg: Algorithm, n: usize, f: usize, link: &str, seed: u64) -> RunSpec {
    let mut spec = RunSpec::new(alg, n, f).unwrap();
    spec.traitors = Some(Vec::new());
    spec.link = link.parse().unwrap();
    spec.seed = seed;
    spec.runtime = RuntimeKind::Direct;
    spec
}

fn go(spec: RunSpec) -> RunReport {
    run(&spec.validate().unwrap())
}

/// The reproducer for the bottleneck: OM(3) among 10 over a
/// router that forwards one frame every 2 ms with room for 20 loses
/// agreement to tail drops and queueing delay; a wide router changes
/// nothing. Frames per round are (n-1)(n-2)... so round 2 alone is 72.
#[test]
fn a_narrow_bottleneck_breaks_om_and_a_wide_one_does_not() {
    let mut narrow = spec(byzlab::algorithm::OM, 10, 3, "authenticated", 0);
    narrow.bottleneck = Some(Queue::parse("0.5/20").unwrap());
    let r = go(narrow);
    let c = &r.outcome.counters;
    assert!(c.queue_drops > 0 || c.late_frames > 0, "{c:?}");
    assert!(
        !(r.outcome.agreement && r.outcome.validity),
        "{:?}",
        r.outcome.decisions
    );
    assert_eq!(c.max_queue, 20, "the queue fills to its size");
    assert!(c.queue_delay_max_ms >= 20, "{c:?}");
    assert_eq!(r.outcome.bottleneck, "0.5/20");

    let mut wide = spec(byzlab::algorithm::OM, 10, 3, "authenticated", 0);
    wide.bottleneck = Some(Queue::parse("1000/100000").unwrap());
    let r = go(wide);
    assert!(r.outcome.agreement && r.outcome.validity);
    assert_eq!((r.outcome.counters.queue_drops, r.outcome.counters.late_frames), (0, 0));
    // A background load is costed before the run, like retransmissions.
    let heavy = spec(byzlab::algorithm::OM, 40, 3, "fair-loss+dedup+load:10000", 0);
    let e = heavy.validate().unwrap_err().to_string();
    assert!(e.contains("a load layer would put up to 62406240 frames"), "{e}");
}

/// A sender's own interface: over `capacity`, SM(1)'s lieutenants relay
/// 3 frames each at one per 4 ms with room for one waiting; the third is
/// tail-dropped and `stubborn` (above it) resends it, so agreement holds
/// with drops and retransmissions counted.
#[test]
fn capacity_queues_and_drops_and_stubborn_makes_up_for_it() {
    let r = go(spec(
        byzlab::algorithm::SM,
        5,
        1,
        "fair-loss:0+capacity:0.25/1+stubborn+dedup",
        1,
    ));
    let c = &r.outcome.counters;
    assert!(r.outcome.agreement && r.outcome.validity, "{:?}", r.outcome.decisions);
    assert!(c.queue_drops > 0, "{c:?}");
    assert!(c.retransmissions > 0, "{c:?}");
    assert_eq!(c.max_queue, 1);
    // Without the layer nothing waits.
    let plain = go(spec(byzlab::algorithm::SM, 5, 1, "fair-loss:0+stubborn+dedup", 1));
    assert_eq!(plain.outcome.counters.queue_drops + plain.outcome.counters.max_queue, 0);
}

/// The AIMD check: a window per link, halved on timeouts, and its
/// series over virtual time (slow start adds one frame per
/// acknowledgement, a timeout halves it).
#[test]
fn aimd_reports_its_window_and_records_one_link() {
    let mut s = spec(byzlab::algorithm::SM, 8, 2, "fair-loss:0.2+stubborn+aimd", 0);
    s.bottleneck = Some(Queue::parse("2/50").unwrap());
    s.watch = Some((0, 1));
    let r = go(s);
    let c = &r.outcome.counters;
    assert!(c.cwnd_max >= 2, "{c:?}");
    assert!(c.cwnd_halvings > 0, "a lossy link times out: {c:?}");
    assert_eq!(r.series.len(), 1);
    let points = &r.series[0].points;
    assert_eq!(points[0], (0, 2.0), "the lecture's first window: 2");
    assert!(points.windows(2).all(|w| w[0].0 <= w[1].0), "in time order");
    assert!(points.iter().all(|&(_, w)| w >= 1.0));
    // Each change is AIMD's: +1 (slow start), +1/cwnd (above the
    // threshold) or a halving (at least one frame).
    for w in points.windows(2) {
        let (a, b) = (w[0].1, w[1].1);
        let ok = (b - a - 1.0).abs() < 1e-9 || (b - a - 1.0 / a).abs() < 1e-9 || (b - (a / 2.0).max(1.0)).abs() < 1e-9;
        assert!(ok, "{a} -> {b} in {points:?}");
    }
    assert!(
        points.windows(2).any(|w| w[1].1 < w[0].1),
        "a halving shows: {points:?}"
    );
}

/// A user's layer that drops every acknowledgement going down through it.
struct MuteAcks;
impl LinkLayer for MuteAcks {
    fn down(&mut self, _: &mut Cx<'_>, frame: Frame) -> Option<Frame> {
        (!frame.env.link.as_ref().is_some_and(|h| h.ack)).then_some(frame)
    }
}

fn with_mute(rules: Vec<Rule>) -> Registry {
    Registry::builtin()
        .with_layer("mute-acks", "drops acknowledgements", "mute-acks", rules, |b| {
            match b.params {
                None => Ok(MuteAcks),
                Some(p) => Err(format!("takes no parameters (got `{p}`)")),
            }
        })
        .unwrap()
}

/// Issue 22, item 1: layers run in the order written, and a frame a layer
/// sends itself goes down through the layers below it only. Below
/// `stubborn`, the user's layer sees (and drops) its acknowledgements, so
/// every frame is resent until its deadline; above it, it never sees them
/// (they start below it), so nothing is resent over a lossless channel.
#[test]
fn a_registered_layer_runs_where_it_is_written() {
    let registry = with_mute(Vec::new());
    let run_with = |link: &str| {
        let mut s = spec(byzlab::algorithm::OM, 4, 1, link, 1);
        s.layers = registry.layers().clone();
        s.timeout = Some(200);
        go(s).outcome.counters
    };
    let below = run_with("fair-loss:0+mute-acks+stubborn:20/fixed+dedup");
    let above = run_with("fair-loss:0+stubborn:20/fixed+mute-acks+dedup");
    assert!(below.retransmissions > 0 && below.acks > 0, "{below:?}");
    assert_eq!(above.retransmissions, 0, "{above:?}");
    assert!(above.acks > 0);
    // Unknown to the built-in table, the name is refused with the list.
    let mut s = spec(byzlab::algorithm::OM, 4, 1, "fair-loss+mute-acks", 1);
    let e = s.clone().validate().unwrap_err().to_string();
    assert!(e.contains("`mute-acks` is not a link layer"), "{e}");
    // Its parameters and its own order rules are checked before any run.
    s.layers = registry.layers().clone();
    s.link = "fair-loss+mute-acks:x".parse().unwrap();
    let e = s.clone().validate().unwrap_err().to_string();
    assert!(e.contains("takes no parameters"), "{e}");
    let strict = with_mute(vec![Rule::Above("stubborn", "to leave acknowledgements alone")]);
    s.layers = strict.layers().clone();
    s.link = "fair-loss+mute-acks+stubborn".parse().unwrap();
    let e = s.validate().unwrap_err().to_string();
    assert!(
        e.contains("mute-acks goes above stubborn, to leave acknowledgements alone"),
        "{e}"
    );
}

/// Orders that make no sense are refused with the reason, never
/// reordered: the issue's `arbitrary:tamper@0.5+stubborn+auth+dedup`
/// (acknowledgements would go unchecked) among them.
#[test]
fn nonsense_orders_are_refused_with_the_rule() {
    let table = [
        ("arbitrary:tamper@0.5+stubborn+auth+dedup", "auth goes below stubborn"),
        ("fair-loss+dedup+stubborn", "dedup goes above stubborn"),
        ("arbitrary+dedup+auth", "dedup goes above auth"),
        ("fair-loss+stubborn+capacity:1/5", "capacity goes below stubborn"),
        ("fair-loss+aimd+stubborn", "aimd needs stubborn below it"),
        ("fair-loss+aimd", "aimd needs stubborn below it"),
        ("fair-loss+capacity:1/5+capacity:2/5", "repeats capacity"),
    ];
    for (link, want) in table {
        let e = link.parse::<byzlab::link::LinkSpec>().unwrap_err().to_string();
        assert!(e.contains(want), "{link}: {e}");
    }
    for good in [
        "arbitrary+auth+stubborn+dedup",
        "fair-loss+capacity:1/5+auth+stubborn+aimd+dedup",
        "fair-loss+auth+capacity:1/5+stubborn+dedup+aimd",
    ] {
        assert!(good.parse::<byzlab::link::LinkSpec>().is_ok(), "{good}");
    }
}

/// The `bottlenecks` axis: a cell per bottleneck, named in the link
/// column, the finite network's counters as columns of this plan's
/// runs.csv only, witnesses that replay behind the same bottleneck, and
/// a bad entry refused with the field.
#[test]
fn the_bottlenecks_axis_makes_cells_and_witnesses_that_replay() {
    use byzlab::experiment::{plan, record, report, runner, spec, witness};
    let dir = std::env::temp_dir().join(format!("byzlab-net-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("b.toml");
    std::fs::write(
        &file,
        "algorithms = [\"om\"]\nn = [10]\nf = [3]\ntraitors = \"exactly-f\"\nplacements = 1\nseeds = 1\n\
         runtime = \"direct\"\nstrategies = [\"split-brain\"]\nbottlenecks = [\"none\", \"0.5/20\"]\n",
    )
    .unwrap();
    let registry = Registry::builtin();
    let s = spec::load(&file, &registry).unwrap();
    let p = plan::build(&s, "b.toml", &registry).unwrap();
    assert_eq!(p.cells.len(), 2);
    assert!(p.finite_network());
    let opts = runner::SweepOptions {
        out: dir.join("out"),
        jobs: 1,
        shard: None,
        resume: false,
        progress: false,
        command: "test".into(),
        header: None,
    };
    let mut res = runner::sweep(&p, &opts).unwrap();
    let cells = report::write_all(&mut res.folder, &p, &res.tally, "test", None).unwrap();
    let runs = dir.join("out/runs.csv");
    let head = std::fs::read_to_string(&runs).unwrap();
    assert!(head.lines().next().unwrap().ends_with(
        ",queue_drops,max_queue,queue_delay_max_ms,cwnd_max,cwnd_halvings,background_sent,background_delivered"
    ));
    let rows = record::read_runs(&runs).unwrap();
    let wide: Vec<_> = rows
        .iter()
        .filter(|r| r.link == "authenticated via bottleneck(0.5/20)")
        .collect();
    assert!(!wide.is_empty() && wide.iter().all(|r| r.counters.queue_drops > 0));
    assert!(
        rows.iter()
            .any(|r| r.link == "authenticated" && r.counters.queue_drops == 0)
    );
    // OM(3) among 10 holds with 3 traitors on a wide network, and the
    // bottleneck's cell breaks: its witness replays behind the bottleneck.
    let files: Vec<String> = cells.iter().filter_map(|c| c.witness_file()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let (w, rep) = witness::replay(&dir.join("out").join(&files[0]), &registry).unwrap();
    assert_eq!(w.bottleneck.map(|q| q.label()), Some("0.5/20".to_string()));
    assert!(rep.outcome.counters.queue_drops > 0);
    // A bad entry names its field.
    std::fs::write(
        &file,
        "algorithms = [\"om\"]\nn = [4]\nf = [1]\nbottlenecks = [\"fast\"]\n",
    )
    .unwrap();
    let e = spec::load(&file, &registry).unwrap_err().to_string();
    assert!(e.contains("bottlenecks") && e.contains("RATE/QUEUE"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 22, item 8: the bufferbloat study shows agreement lost at both
/// ends of the queue size for OM (tail drops at 1, delay at 10,000) and
/// kept in between, with latency growing with the queue.
#[test]
fn bufferbloat_loses_om_at_both_ends() {
    let dir = std::env::temp_dir().join(format!("byzlab-bloat-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    byzlab::finite::bufferbloat(&dir, "test").unwrap();
    let csv = std::fs::read_to_string(dir.join("bufferbloat.csv")).unwrap();
    let row = |alg: &str, q: &str| -> Vec<String> {
        csv.lines()
            .map(|l| l.split(',').map(str::to_string).collect::<Vec<_>>())
            .find(|f| f[0] == alg && f[4] == q)
            .unwrap()
    };
    let violated = |alg: &str, q: &str| row(alg, q)[7].parse::<u64>().unwrap();
    let p99 = |alg: &str, q: &str| row(alg, q)[9].parse::<u64>().unwrap();
    assert!(
        violated("om", "1") > 0 && row("om", "1")[11] != "0",
        "tail drops at queue 1"
    );
    assert_eq!(violated("om", "20"), 0);
    assert!(
        violated("om", "10000") > 0 && row("om", "10000")[11] == "0",
        "delay, no drops, at 10,000"
    );
    assert!(p99("om", "10000") > 500 && p99("om", "1") < 20);
    assert_eq!(violated("sm", "10000"), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 22, item 7: with a background load on the agreement's links,
/// `fixed` retransmission's goodput falls from its peak as the offered
/// load grows (gridlock) and its agreements are lost, while `aimd` keeps
/// goodput above `fixed`'s and decides every agreement in time.
#[test]
fn congestion_shows_gridlock_and_aimd_keeps_agreement() {
    let dir = std::env::temp_dir().join(format!("byzlab-cong-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    byzlab::finite::congestion(&dir, "test").unwrap();
    let csv = std::fs::read_to_string(dir.join("congestion.csv")).unwrap();
    let rows: Vec<Vec<String>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    let of = |policy: &str| -> Vec<(f64, u64, u64)> {
        rows.iter()
            .filter(|f| f[0] == policy)
            .map(|f| (f[5].parse().unwrap(), f[3].parse().unwrap(), f[2].parse().unwrap()))
            .collect()
    };
    let (fixed, aimd) = (of("fixed"), of("aimd"));
    let peak = fixed.iter().map(|r| r.0).fold(0.0, f64::max);
    let last = fixed.last().unwrap();
    assert!(last.0 < 0.95 * peak, "fixed's goodput falls from {peak} to {}", last.0);
    assert!(last.1 < last.2, "fixed loses agreements at the highest load");
    assert!(aimd.iter().all(|r| r.1 == r.2), "aimd decides every agreement in time");
    assert!(
        aimd.last().unwrap().0 > last.0,
        "aimd's goodput beats fixed's at the highest load"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
