//! Same spec and seed, same bytes out; and the actix runtime gives exactly
//! what the direct runner gives (outcome, every general's state, trace).

mod common;

use byzlab::link::LinkSpec;
use byzlab::run::{RunPlan, RuntimeKind};
use byzlab::runtime::RunReport;
use byzlab::types::{Algorithm, Value};
use common::{plan, run};

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
    for alg in [Algorithm::Om, Algorithm::Sm] {
        for strategy in ["random", "forge", "two-faced"] {
            for link in links() {
                let p = traced(alg, 7, 2, strategy, link.clone(), 42);
                let a = run(&p);
                let b = run(&p);
                assert!(!a.trace.is_empty());
                assert_eq!(json(&a), json(&b), "{alg} {strategy} {link:?}");
                let mut q = p.clone();
                q.runtime = RuntimeKind::Actix;
                assert_eq!(json(&run(&q)), json(&run(&q)), "actix {alg} {strategy} {link:?}");
            }
        }
    }
}

#[test]
fn different_seeds_differ_somewhere() {
    let p = |seed| traced(Algorithm::Om, 7, 2, "random", LinkSpec::Authenticated, seed);
    let first = json(&run(&p(0)));
    assert!((1..5).any(|s| json(&run(&p(s))) != first));
}

#[test]
fn actix_and_direct_agree_on_many_seeds_and_specs() {
    let mut compared = 0;
    for alg in [Algorithm::Om, Algorithm::Sm] {
        for (n, f) in [(4, 1), (5, 2), (7, 2), (10, 3)] {
            for strategy in ["split-brain", "random", "forge", "silent"] {
                for link in links() {
                    for seed in 0..3 {
                        let direct = traced(alg, n, f, strategy, link.clone(), seed);
                        let mut actix = direct.clone();
                        actix.runtime = RuntimeKind::Actix;
                        let (d, a) = (run(&direct), run(&actix));
                        assert_eq!(a.outcome.runtime, "actix");
                        assert_eq!(
                            json(&without_runtime(d)),
                            json(&without_runtime(a)),
                            "{alg} n={n} f={f} {strategy} {link:?} seed={seed}"
                        );
                        compared += 1;
                    }
                }
            }
        }
    }
    assert_eq!(compared, 2 * 4 * 4 * 3 * 3);
}

#[test]
fn one_actix_system_serves_many_runs() {
    let runner = byzlab::runtime::actix::ActixRunner::new();
    let mut p = plan(Algorithm::Om, 4, 1, &[3], "flip", Value::Attack);
    p.runtime = RuntimeKind::Actix;
    for _ in 0..20 {
        let r = runner.run(&p).unwrap();
        assert!(r.outcome.agreement && r.outcome.validity);
    }
}
