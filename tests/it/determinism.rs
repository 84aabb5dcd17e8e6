//! Same spec and seed, same bytes out; and the actix runtime gives exactly
//! what the direct runner gives (outcome, every general's state, trace with
//! its virtual timestamps), under every timing model.

use crate::common::{plan, run};
use byzlab::link::LinkSpec;
use byzlab::run::{RunPlan, RuntimeKind};
use byzlab::runtime::RunReport;
use byzlab::timing::TimingModel;
use byzlab::types::{Algorithm, Value};

/// sync (the default), partial synchrony with GST inside the run, and async
/// with a timeout short enough that some frames are late.
fn timings() -> Vec<(TimingModel, u64, Option<u64>)> {
    vec![
        (TimingModel::Sync, 0, None),
        (TimingModel::Partial, 15, Some(12)),
        (TimingModel::Async, 0, Some(8)),
    ]
}

fn timed(p: &RunPlan, (model, gst, timeout): (TimingModel, u64, Option<u64>)) -> RunPlan {
    p.vary(|s| {
        (s.timing, s.delta, s.gst, s.timeout) = (model, 10, gst, timeout);
    })
    .unwrap()
}

fn traced(alg: Algorithm, n: usize, f: usize, strategy: &str, link: LinkSpec, seed: u64) -> RunPlan {
    let mut spec = byzlab::run::RunSpec::new(alg, n, f).unwrap();
    spec.strategy = byzlab::traitor::resolve(strategy).unwrap();
    spec.link = link;
    spec.seed = seed;
    spec.trace = true;
    spec.runtime = RuntimeKind::Direct;
    spec.validate().unwrap()
}

fn json(r: &RunReport) -> String {
    serde_json::to_string(r).unwrap()
}

fn without_runtime(mut r: RunReport) -> RunReport {
    r.outcome.runtime.clear();
    r
}

fn links() -> Vec<LinkSpec> {
    vec![
        LinkSpec::Authenticated,
        LinkSpec::Arbitrary {
            adversary: "chaos".into(),
            rate: 0.3,
        },
        LinkSpec::Arbitrary {
            adversary: "replay".into(),
            rate: 0.5,
        },
    ]
}

#[test]
fn same_seed_twice_gives_identical_json_and_trace() {
    for alg in [byzlab::algorithm::OM, byzlab::algorithm::SM] {
        for strategy in ["random", "forge", "two-faced"] {
            for link in links() {
                for timing in timings() {
                    let p = timed(&traced(alg, 7, 2, strategy, link.clone(), 42), timing);
                    let a = run(&p);
                    let b = run(&p);
                    assert!(!a.trace.is_empty());
                    assert_eq!(json(&a), json(&b), "{alg} {strategy} {link:?} {timing:?}");
                    let q = p.vary(|s| s.runtime = RuntimeKind::Actix).unwrap();
                    assert_eq!(
                        json(&run(&q)),
                        json(&run(&q)),
                        "actix {alg} {strategy} {link:?} {timing:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn different_seeds_differ_somewhere() {
    let p = |seed| traced(byzlab::algorithm::OM, 7, 2, "random", LinkSpec::Authenticated, seed);
    let first = json(&run(&p(0)));
    assert!((1..5).any(|s| json(&run(&p(s))) != first));
}

#[test]
fn actix_and_direct_agree_on_many_seeds_and_specs() {
    let mut compared = 0;
    for alg in [byzlab::algorithm::OM, byzlab::algorithm::SM] {
        for (n, f) in [(4, 1), (5, 2), (7, 2), (10, 3)] {
            for strategy in ["split-brain", "random", "forge", "silent"] {
                for link in links() {
                    for (seed, timing) in timings().into_iter().enumerate() {
                        let direct = timed(&traced(alg, n, f, strategy, link.clone(), seed as u64), timing);
                        let actix = direct.vary(|s| s.runtime = RuntimeKind::Actix).unwrap();
                        let (d, a) = (run(&direct), run(&actix));
                        assert_eq!(a.outcome.runtime, "actix");
                        assert_eq!(
                            json(&without_runtime(d)),
                            json(&without_runtime(a)),
                            "{alg} n={n} f={f} {strategy} {link:?} seed={seed} {timing:?}"
                        );
                        compared += 1;
                    }
                }
            }
        }
    }
    assert_eq!(compared, 2 * 4 * 4 * 3 * 3);
}

/// Dolev-Strong and phase king run through the same node, network and
/// adapters: the same seed gives the same bytes twice, and actix gives
/// what the direct runner gives, over every link and timing.
#[test]
fn the_registered_algorithms_agree_across_runtimes_too() {
    let mut compared = 0;
    for alg in [
        byzlab::algorithm::DOLEV_STRONG,
        byzlab::algorithm::PHASE_KING,
        byzlab::algorithm::MMR,
    ] {
        for (n, f) in [(5, 1), (9, 2)] {
            for strategy in ["split-brain", "random", "silent"] {
                for link in links() {
                    for (seed, timing) in timings().into_iter().enumerate() {
                        let direct = timed(&traced(alg, n, f, strategy, link.clone(), seed as u64), timing);
                        let twice = json(&run(&direct));
                        assert_eq!(twice, json(&run(&direct)), "{alg} {strategy} {link:?} {timing:?}");
                        let actix = direct.vary(|s| s.runtime = RuntimeKind::Actix).unwrap();
                        assert_eq!(
                            json(&without_runtime(run(&direct))),
                            json(&without_runtime(run(&actix))),
                            "{alg} n={n} f={f} {strategy} {link:?} seed={seed} {timing:?}"
                        );
                        compared += 1;
                    }
                }
            }
        }
    }
    assert_eq!(compared, 3 * 2 * 3 * links().len() * timings().len());
}

/// Virtual time is what the clock says, not what the machine does: under
/// async, frames arrive at many different instants, yet two runs in two
/// different processes' schedules give the same timestamps; and some frames
/// are late, counted the same in both runtimes.
#[test]
fn async_timestamps_are_reproducible_and_frames_can_be_late() {
    let p = timed(
        &traced(byzlab::algorithm::SM, 7, 2, "forge", LinkSpec::Authenticated, 5),
        (TimingModel::Async, 0, Some(6)),
    );
    let a = run(&p);
    let times: std::collections::BTreeSet<u64> = a.trace.iter().map(|t| t.t).collect();
    assert!(times.len() > 5, "{times:?}");
    assert!(a.trace.iter().any(|t| t.late));
    // A frame's orders share one trace line each; one frame per (round,
    // sender, receiver) on an authenticated link.
    let late: std::collections::BTreeSet<(u32, u16, u16)> = a
        .trace
        .iter()
        .filter(|t| t.late)
        .map(|t| (t.round, t.from, t.to))
        .collect();
    assert_eq!(late.len() as u64, a.outcome.counters.late_frames);
    let q = p.vary(|s| s.runtime = RuntimeKind::Actix).unwrap();
    assert_eq!(json(&without_runtime(a)), json(&without_runtime(run(&q))));
}

#[test]
fn one_actix_system_serves_many_runs() {
    let runner = byzlab::runtime::actix::ActixRunner::new();
    let p = (plan(byzlab::algorithm::OM, 4, 1, &[3], "flip", Value::Attack))
        .vary(|s| s.runtime = RuntimeKind::Actix)
        .unwrap();
    for _ in 0..20 {
        let r = runner.run(&p).unwrap();
        assert!(r.outcome.agreement && r.outcome.validity);
    }
}

/// Parity beyond the plain link: every link stack (retransmission, dedup,
/// auth over loss and an adversary), section 5's graphs (OM(m, p), SM on a
/// ring) and benign node faults (crash, recovery, omission) give the same
/// JSON and trace under actix as under the direct runner. (The failure
/// detector's parity is `detector::tests::runtimes_agree` and
/// `detector_runtimes_agree_under_every_timing` below.)
#[test]
fn actix_and_direct_agree_on_stacks_graphs_and_node_faults() {
    use byzlab::graph::GraphSpec;
    use byzlab::run::{NodeFault, RunSpec};
    let base = |alg: Algorithm, n: usize, f: usize, seed: u64| {
        let mut s = RunSpec::new(alg, n, f).unwrap();
        s.seed = seed;
        s.trace = true;
        s.runtime = RuntimeKind::Direct;
        s.signatures = byzlab::run::Signatures::Ideal;
        s
    };
    let mut specs: Vec<(String, RunSpec)> = Vec::new();
    for alg in [byzlab::algorithm::OM, byzlab::algorithm::SM] {
        for seed in 0..3 {
            for link in [
                "reliable:0.3/0.2",
                "secure:chaos@0.4",
                "arbitrary:tamper@0.5+auth",
                "fair-loss:0.3",
                "fair-loss:0.2+stubborn:15+dedup",
            ] {
                let mut s = base(alg, 5, 1, seed);
                s.link = link.parse().unwrap();
                s.timeout = Some(400);
                specs.push((format!("{alg} {link} seed {seed}"), s));
            }
            let faults = [
                NodeFault::Crash { at: 7 },
                NodeFault::Recover { down: 5, up: 15 },
                NodeFault::Omission { p: 0.5 },
            ];
            for fault in faults {
                let mut s = base(alg, 7, 2, seed);
                s.traitors = Some(vec![]);
                s.faults = vec![(2, fault), (5, fault)];
                specs.push((format!("{alg} faults seed {seed}"), s));
            }
        }
        // Graphs: OM(1, 4) on a 4-regular graph, SM(f + d - 1) on a ring.
        for seed in 0..3 {
            let mut s = base(alg, 7, 1, seed);
            s.strategy = byzlab::traitor::resolve("random").unwrap();
            if alg == byzlab::algorithm::OM {
                s.graph = GraphSpec::Regular { p: 4 };
            } else {
                s.graph = GraphSpec::Ring;
                s.m = Some(5);
            }
            specs.push((format!("{alg} graph seed {seed}"), s));
        }
    }
    let (mut compared, mut traced) = (0, 0);
    for (what, spec) in specs {
        let direct = spec.clone().validate().unwrap_or_else(|e| panic!("{what}: {e}"));
        let mut a = spec;
        a.runtime = RuntimeKind::Actix;
        let actix = a.validate().unwrap();
        let (d, x) = (run(&direct), run(&actix));
        // (A traitor commander under `random` may send nothing at all.)
        traced += usize::from(!d.trace.is_empty());
        assert_eq!(json(&without_runtime(d)), json(&without_runtime(x)), "{what}");
        compared += 1;
    }
    assert_eq!(compared, 2 * (3 * (5 + 3) + 3));
    assert!(traced + 3 >= compared, "{traced} of {compared} runs traced");
}

/// Both detectors under each timing model, fixed and adaptive:
/// actix = direct.
#[test]
fn detector_runtimes_agree_under_every_timing() {
    use byzlab::detector::{DetectSpec, Method, detect};
    for method in [Method::Heartbeat, Method::Ping] {
        for (timing, gst) in [
            (TimingModel::Sync, 0),
            (TimingModel::Partial, 1500),
            (TimingModel::Async, 0),
        ] {
            for adaptive in [false, true] {
                let spec = DetectSpec {
                    method,
                    n: 4,
                    crashes: vec![(1, 800)],
                    interval: 50,
                    timeout: 60,
                    adaptive,
                    timing,
                    delta: 10,
                    gst,
                    duration: 2500,
                    seed: 3,
                    runtime: RuntimeKind::Direct,
                };
                let direct = detect(&spec).unwrap();
                let actix = detect(&DetectSpec {
                    runtime: RuntimeKind::Actix,
                    ..spec
                })
                .unwrap();
                let strip = |r: &byzlab::detector::DetectReport| {
                    let mut v = serde_json::to_value(r).unwrap();
                    v.as_object_mut().unwrap().remove("runtime");
                    v
                };
                assert_eq!(strip(&direct), strip(&actix), "{method} {timing:?} adaptive={adaptive}");
            }
        }
    }
}
