//! Section 5, "Missing communication paths": OM(m, p) on p-regular graphs
//! (Definition 1, Theorem 3), SM on incomplete graphs (Theorem 4), the
//! preconditions refused without `--force`, and Dolev's connectivity bound
//! shown by a run that breaks when forced.

use crate::common::run;
use byzlab::graph::GraphSpec;
use byzlab::run::{RunSpec, RunSpecError, RuntimeKind};
use byzlab::traitor::{self, builtins};
use byzlab::types::{Algorithm, GeneralId, Value};

fn spec(alg: Algorithm, n: usize, f: usize, graph: &str, traitors: &[GeneralId], strategy: &str) -> RunSpec {
    let mut s = RunSpec::new(alg, n, f).unwrap();
    s.graph = GraphSpec::parse(graph, Some(std::path::Path::new(env!("CARGO_MANIFEST_DIR")))).unwrap();
    s.traitors = Some(traitors.to_vec());
    s.strategy = traitor::resolve(strategy).unwrap();
    s.runtime = RuntimeKind::Direct;
    s
}

fn placements(n: usize, k: usize) -> Vec<Vec<GeneralId>> {
    let mut out: Vec<Vec<GeneralId>> = vec![vec![]];
    for _ in 0..k {
        out = out
            .into_iter()
            .flat_map(|p| {
                let from = p.last().map_or(0, |&x| x + 1);
                (from..n as GeneralId).map(move |g| {
                    let mut q = p.clone();
                    q.push(g);
                    q
                })
            })
            .collect();
    }
    out
}

/// The complete graph on n generals is (n-1)-regular, and OM(m, n-1) on it
/// is OM(m): every strategy, placement and order gives the decisions,
/// message count and rounds OM(m) gives (a traitor's choices are asked in
/// the same order, so even `random` agrees run for run).
#[test]
fn om_m_p_on_the_complete_graph_is_om_m() {
    let (n, m) = (5, 1);
    let mut runs = 0;
    for traitors in placements(n, 1).into_iter().chain(placements(n, 2)) {
        for s in builtins().iter().filter(|s| s.name != "flood") {
            for value in Value::ALL {
                let mut a = spec(byzlab::algorithm::OM, n, 2, "complete", &traitors, s.name);
                a.m = Some(m);
                a.value = value;
                let mut b = a.clone();
                b.graph = GraphSpec::Regular { p: n - 1 };
                b.force = true; // two traitors on K5: Dolev's bound, same as OM(1)

                let (ra, rb) = (run(&a.validate().unwrap()), run(&b.validate().unwrap()));
                let (oa, ob) = (&ra.outcome, &rb.outcome);
                assert_eq!(oa.decisions, ob.decisions, "{} {traitors:?} {value}", s.name);
                assert_eq!(oa.counters.messages, ob.counters.messages, "{} {traitors:?}", s.name);
                assert_eq!((oa.rounds, ob.graph.as_str()), (ob.rounds, "regular:4"));
                runs += 1;
            }
        }
    }
    assert!(runs > 100);
}

/// The must-hold: `run --algorithm om --n 7 --f 2 --graph regular:6`
/// holds for the whole portfolio, every placement of at most 2 traitors,
/// both orders (Theorem 3 with p = 6 >= 3m).
#[test]
fn theorem_3_on_regular_6_with_7_generals() {
    for traitors in placements(7, 1).into_iter().chain(placements(7, 2)) {
        for s in builtins().iter().filter(|s| s.name != "flood") {
            for value in Value::ALL {
                let mut sp = spec(byzlab::algorithm::OM, 7, 2, "regular:6", &traitors, s.name);
                sp.value = value;
                let o = run(&sp.validate().unwrap()).outcome;
                assert!(
                    o.agreement && o.validity,
                    "{} {traitors:?} {value}: {:?}",
                    s.name,
                    o.decisions
                );
            }
        }
    }
}

/// Theorem 3 on a graph that is not complete: OM(1, 4) on the 4-regular
/// circulant of 9 generals, one traitor anywhere, paths of two hops.
#[test]
fn theorem_3_on_a_sparse_graph() {
    for traitors in placements(9, 1) {
        for s in ["flip", "split-brain", "two-faced", "silent", "late-reveal"] {
            let o = run(&spec(byzlab::algorithm::OM, 9, 1, "regular:4", &traitors, s)
                .validate()
                .unwrap())
            .outcome;
            assert!(o.agreement && o.validity, "{s} {traitors:?}: {:?}", o.decisions);
            assert!(o.rounds > 2, "relay paths of more than one hop");
        }
    }
}

/// A connectivity-2 graph with one traitor at a cut: refused without
/// --force (Theorem 3's p >= 3m fails; Dolev's bound, which speaks of some
/// placement, is a note for this one), and forced, the traitor breaks it.
/// Traitors that cut the loyal generals apart are refused for that.
#[test]
fn a_traitor_at_a_cut_is_refused_and_forced_breaks_it() {
    let file = "experiments/graphs/bridged-k4s.toml";
    let s = spec(byzlab::algorithm::OM, 8, 1, file, &[3], "flip");
    let e = s.clone().validate().unwrap_err();
    assert!(matches!(e, RunSpecError::Graph(_)));
    let text = e.to_string();
    assert!(text.contains("Theorem 3") && text.contains("--force"), "{text}");
    assert!(
        !text.contains("Dolev"),
        "one traitor does not cut bridged K4s apart: {text}"
    );
    let mut forced = s;
    forced.force = true;
    let plan = forced.validate().unwrap();
    let topology = plan.topology().unwrap();
    assert!(!topology.broken.is_empty());
    assert!(
        topology
            .notes
            .iter()
            .any(|n| n.contains("Dolev") && n.contains("some placement")),
        "{:?}",
        topology.notes
    );
    let broke = (0..4).any(|seed| {
        let p = plan.vary(|s| s.seed = seed).unwrap();
        let o = run(&p).outcome;
        !(o.agreement && o.validity)
    });
    assert!(broke, "one traitor at a cut of a connectivity-2 graph breaks OM");
    // The ring the same way; two traitors opposite each other cut it.
    let e = spec(byzlab::algorithm::OM, 7, 1, "ring", &[3], "flip")
        .validate()
        .unwrap_err()
        .to_string();
    assert!(e.contains("Theorem 3") && !e.contains("Dolev"), "{e}");
    let e = spec(byzlab::algorithm::OM, 7, 2, "ring", &[2, 5], "flip")
        .validate()
        .unwrap_err()
        .to_string();
    assert!(e.contains("cut the loyal generals") && e.contains("Dolev"), "{e}");
}

/// Theorem 4: SM(k + d - 1) on a ring with one traitor (the loyal generals
/// form a path of diameter n - 2) holds for every placement and strategy;
/// with one round too few some placement breaks, and the validation says
/// which m Theorem 4 wants. Two traitors cutting the ring are refused.
#[test]
fn theorem_4_sm_on_a_ring() {
    let n = 7;
    for traitors in placements(n, 1) {
        for s in builtins().iter().filter(|s| s.name != "flood") {
            for value in Value::ALL {
                let mut sp = spec(byzlab::algorithm::SM, n, 1, "ring", &traitors, s.name);
                sp.m = Some(1 + (n - 2) - 1);
                sp.value = value;
                sp.signatures = byzlab::run::Signatures::Ideal;
                let o = run(&sp.validate().unwrap()).outcome;
                assert!(o.agreement && o.validity, "{} {traitors:?} {value}", s.name);
            }
        }
    }
    let mut short = spec(byzlab::algorithm::SM, n, 1, "ring", &[0], "split-brain");
    short.m = Some(n - 3);
    let e = short.clone().validate().unwrap_err().to_string();
    assert!(
        e.contains("Theorem 4") && e.contains(&format!("m >= k + d - 1 = {}", n - 2)),
        "{e}"
    );
    short.force = true;
    let o = run(&short.validate().unwrap()).outcome;
    assert!(
        !o.agreement,
        "a traitor commander's two orders meet nowhere: {:?}",
        o.decisions
    );
    let e = spec(byzlab::algorithm::SM, n, 2, "ring", &[2, 5], "silent")
        .validate()
        .unwrap_err()
        .to_string();
    assert!(e.contains("cut the loyal generals"), "{e}");
}

/// Graph errors are one clear line each.
#[test]
fn bad_graphs_get_clear_errors() {
    let e = spec(byzlab::algorithm::OM, 7, 1, "regular:3", &[], "flip")
        .validate()
        .unwrap_err()
        .to_string();
    assert!(e.contains("odd"), "{e}");
    let e = GraphSpec::parse("experiments/graphs/nope.toml", None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("cannot read graph file"), "{e}");
    let e = spec(
        byzlab::algorithm::OM,
        6,
        1,
        "experiments/graphs/bridged-k4s.toml",
        &[],
        "flip",
    )
    .validate()
    .unwrap_err()
    .to_string();
    assert!(e.contains("beyond n - 1"), "{e}");
}
