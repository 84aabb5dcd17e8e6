//! Issue 21's algorithms at the level of their papers: phase king (Berman,
//! Garay and Perry 1989) holds at n = 4f + 1 under every applicable
//! portfolio strategy and placement, and sends exactly its formula's
//! messages; Dolev-Strong (Dolev and Strong 1983) holds for any f < n - 1,
//! even against `forge` with f = n - 2, and breaks with fewer rounds than
//! traitors; and a strategy that cannot apply is refused.

use crate::common::run;
use byzlab::algorithm::{Algorithm, DOLEV_STRONG, PHASE_KING, SM};
use byzlab::protocol::phase_king::message_count;
use byzlab::run::{RunSpec, RunSpecError, RuntimeKind, Signatures};
use byzlab::traitor::{self, StrategyRef};
use byzlab::types::{GeneralId, Value};

/// Every set of at most `f` generals among `n`.
fn placements(n: usize, f: usize) -> Vec<Vec<GeneralId>> {
    let mut out = vec![Vec::new()];
    for g in 0..n as GeneralId {
        let more: Vec<Vec<GeneralId>> = out
            .iter()
            .filter(|p| p.len() < f)
            .map(|p| {
                let mut q = p.clone();
                q.push(g);
                q
            })
            .collect();
        out.extend(more);
    }
    out
}

/// The portfolio's strategies that apply to `alg`.
fn portfolio_for(alg: Algorithm) -> Vec<String> {
    byzlab::experiment::spec::portfolio()
        .into_iter()
        .filter_map(|s| match s {
            StrategyRef::Builtin { name } => Some(name),
            _ => None,
        })
        .filter(|name| {
            let s = traitor::resolve(name).unwrap();
            (s.factory)().applies_to(alg).is_ok()
        })
        .collect()
}

fn spec(
    alg: Algorithm,
    n: usize,
    f: usize,
    traitors: &[GeneralId],
    strategy: &str,
    value: Value,
    seed: u64,
) -> RunSpec {
    let mut spec = RunSpec::new(alg, n, f).unwrap();
    spec.traitors = Some(traitors.to_vec());
    spec.strategy = traitor::resolve(strategy).unwrap();
    spec.value = value;
    spec.seed = seed;
    spec.runtime = RuntimeKind::Direct;
    spec
}

#[test]
fn phase_king_holds_at_n_4f_plus_1_for_every_strategy_and_placement() {
    let strategies = portfolio_for(PHASE_KING);
    // forge and late-reveal attack chains and paths: not phase king's.
    assert_eq!(strategies, ["silent", "flip", "random", "two-faced", "split-brain"]);
    for f in 1..=2 {
        let n = 4 * f + 1;
        let mut runs = 0;
        for traitors in placements(n, f) {
            for s in &strategies {
                for value in Value::ALL {
                    for seed in 1..=2 {
                        let r = run(&spec(PHASE_KING, n, f, &traitors, s, value, seed).validate().unwrap());
                        let o = &r.outcome;
                        assert!(
                            o.agreement && o.validity,
                            "phase king n={n} f={f} traitors={traitors:?} {s} {value} seed {seed}: {:?}",
                            o.decisions
                        );
                        runs += 1;
                    }
                }
            }
        }
        assert!(runs >= 100, "{runs}");
    }
}

#[test]
fn phase_king_sends_its_formula_and_takes_2f_plus_3_rounds() {
    for (n, f) in [(5, 1), (9, 2), (13, 3), (17, 4)] {
        let loyal = run(&spec(PHASE_KING, n, f, &[], "honest", Value::Attack, 0)
            .validate()
            .unwrap());
        // (n - 1) orders, then per phase n (n - 1) votes and n - 1 king's values.
        assert_eq!(loyal.outcome.counters.messages, message_count(n, f), "n={n} f={f}");
        assert_eq!(
            message_count(n, f),
            (n as u64 - 1) * (1 + (f as u64 + 1) * (n as u64 + 1))
        );
        assert_eq!(loyal.outcome.rounds, 2 * f as u32 + 3);
        // A traitor that lies still sends one value per slot; one that is
        // silent sends fewer.
        let traitors: Vec<GeneralId> = (1..=f as GeneralId).collect();
        let flip = run(&spec(PHASE_KING, n, f, &traitors, "flip", Value::Attack, 0)
            .validate()
            .unwrap());
        assert_eq!(flip.outcome.counters.messages, message_count(n, f));
        let silent = run(&spec(PHASE_KING, n, f, &traitors, "silent", Value::Attack, 0)
            .validate()
            .unwrap());
        assert!(silent.outcome.counters.messages < message_count(n, f));
    }
}

#[test]
fn phase_king_breaks_where_the_bound_fails() {
    // n = 3 with one traitor: below every oral-messages bound (n > 3f).
    let broken = placements(3, 1).into_iter().any(|traitors| {
        portfolio_for(PHASE_KING).iter().any(|s| {
            Value::ALL.into_iter().any(|v| {
                let o = run(&spec(PHASE_KING, 3, 1, &traitors, s, v, 1).validate().unwrap()).outcome;
                !(o.agreement && o.validity)
            })
        })
    });
    assert!(
        broken,
        "some strategy and placement must break phase king at n = 3, f = 1"
    );
}

#[test]
fn dolev_strong_holds_for_f_up_to_n_minus_2_against_forge() {
    for n in 3..=6 {
        let f = n - 2;
        for traitors in placements(n, f) {
            for s in ["forge", "late-reveal", "split-brain"] {
                for value in Value::ALL {
                    let mut sp = spec(DOLEV_STRONG, n, f, &traitors, s, value, 3);
                    // Outcomes are the same under ideal signatures (a test in
                    // signatures.rs); they keep this sweep of every placement quick.
                    sp.signatures = Signatures::Ideal;
                    let o = run(&sp.validate().unwrap()).outcome;
                    assert!(
                        o.agreement && o.validity,
                        "Dolev-Strong n={n} f={f} {traitors:?} {s} {value}: {:?}",
                        o.decisions
                    );
                    assert_eq!(o.counters.forgeries_accepted, 0);
                }
            }
        }
    }
    // And with ed25519 at n = 7, f = 5 (the run).
    let o = run(&spec(DOLEV_STRONG, 7, 5, &[0, 2, 3, 4, 5], "forge", Value::Attack, 0)
        .validate()
        .unwrap())
    .outcome;
    assert!(o.agreement && o.validity, "{:?}", o.decisions);
}

#[test]
fn dolev_strong_breaks_with_fewer_rounds_than_traitors() {
    // m = f - 1: the late reveal shows a chain of m + 1 traitor signatures
    // to some loyal generals in the last round, when nobody may relay it.
    let mut sp = spec(DOLEV_STRONG, 6, 2, &[0, 1], "late-reveal", Value::Attack, 0);
    sp.m = Some(1);
    let o = run(&sp.validate().unwrap()).outcome;
    assert!(!o.agreement, "{:?}", o.decisions);
}

#[test]
fn dolev_strong_and_sm_make_the_same_decisions_on_two_values() {
    for (n, f) in [(4, 1), (5, 2), (6, 3)] {
        for traitors in placements(n, f).into_iter().step_by(3) {
            for s in ["forge", "split-brain", "random"] {
                let mut a = spec(DOLEV_STRONG, n, f, &traitors, s, Value::Retreat, 5);
                a.signatures = Signatures::Ideal;
                let mut b = a.clone();
                b.algorithm = SM;
                let (a, b) = (run(&a.validate().unwrap()).outcome, run(&b.validate().unwrap()).outcome);
                assert_eq!(a.decisions, b.decisions, "n={n} {traitors:?} {s}");
                assert_eq!(a.counters.messages, b.counters.messages, "n={n} {traitors:?} {s}");
            }
        }
    }
}

#[test]
fn a_strategy_that_cannot_apply_is_refused_and_left_out_of_the_portfolio() {
    let refused = spec(PHASE_KING, 5, 1, &[2], "forge", Value::Attack, 0).validate();
    match refused {
        Err(RunSpecError::NotApplicable {
            strategy,
            algorithm,
            why,
        }) => {
            assert_eq!((strategy.as_str(), algorithm.as_str()), ("forge", "phase-king"));
            assert!(why.contains("neither"), "{why}");
        }
        other => panic!("{other:?}"),
    }
    // With no traitor the strategy is never asked: nothing to refuse.
    assert!(
        spec(PHASE_KING, 5, 1, &[], "forge", Value::Attack, 0)
            .validate()
            .is_ok()
    );
    // An experiment asking for the portfolio runs phase king without them.
    let registry = byzlab::registry::Registry::builtin();
    let text = "algorithms = [\"om\", \"phase-king\"]\nn = 5\nf = 1\nplacements = 1\nexhaustive = false\n";
    let s = byzlab::experiment::spec::parse(text, "t.toml", "t", None, &registry).unwrap();
    let plan = byzlab::experiment::plan::build(&s, "t.toml", &registry).unwrap();
    for cell in &plan.cells {
        let used: std::collections::BTreeSet<String> = cell.runs.iter().map(|r| r.strategy.label()).collect();
        assert_eq!(
            used.contains("forge"),
            cell.algorithm != PHASE_KING,
            "{}: {used:?}",
            cell.label()
        );
    }
}

#[test]
fn a_scripted_traitor_reaches_every_algorithm() {
    // The commander tells lieutenant 1 RETREAT and the rest what it was told.
    let text = "[[rule]]\nfrom = 0\nto = [1]\nround = 1\nsend = \"retreat\"\n";
    for alg in [PHASE_KING, DOLEV_STRONG] {
        let mut sp = spec(alg, 5, 1, &[0], "honest", Value::Attack, 0);
        sp.strategy = crate::common::script(text);
        sp.trace = true;
        let r = run(&sp.validate().unwrap());
        let round1: Vec<(GeneralId, Option<Value>)> = r
            .trace
            .iter()
            .filter(|e| e.round == 1 && e.from == 0)
            .map(|e| (e.to, e.value))
            .collect();
        assert_eq!(
            round1,
            [
                (1, Some(Value::Retreat)),
                (2, Some(Value::Attack)),
                (3, Some(Value::Attack)),
                (4, Some(Value::Attack))
            ],
            "{alg}"
        );
        // One lie from the commander: both algorithms still agree.
        assert!(r.outcome.agreement, "{alg}: {:?}", r.outcome.decisions);
    }
}
