//! Exhaustive checks of the paper's theorems on every small instance:
//! every traitor placement x both orders x every built-in strategy.
//!
//! * Theorem 1: OM(m) satisfies IC1 and IC2 with more than 3m generals and at
//!   most m traitors (here m = f, n <= 7).
//! * Theorem 2: SM(m) satisfies IC1 and IC2 with at most m traitors, for any
//!   n >= m + 2 (here n <= 7), and no forged signature is ever accepted.
//! * The other side: with n <= 3f some traitor behaviour breaks OM(f).

use crate::common::{plan, run};
use byzlab::traitor::builtins;
use byzlab::types::{Algorithm, GeneralId, Value};

fn subsets(n: usize, k: usize) -> Vec<Vec<GeneralId>> {
    fn go(start: usize, n: usize, k: usize, cur: &mut Vec<GeneralId>, out: &mut Vec<Vec<GeneralId>>) {
        if cur.len() == k {
            out.push(cur.clone());
            return;
        }
        for i in start..n {
            cur.push(i as GeneralId);
            go(i + 1, n, k, cur, out);
            cur.pop();
        }
    }
    let mut out = Vec::new();
    go(0, n, k, &mut Vec::new(), &mut out);
    out
}

fn every_run(
    alg: Algorithm,
    n: usize,
    f: usize,
    mut check: impl FnMut(&str, &[GeneralId], Value, &byzlab::runtime::RunReport),
) -> usize {
    let mut runs = 0;
    for traitors in subsets(n, f) {
        for value in Value::ALL {
            for s in builtins() {
                for seed in 0..if s.name == "random" || s.name == "two-faced" {
                    3
                } else {
                    1
                } {
                    let p = (plan(alg, n, f, &traitors, s.name, value))
                        .vary(|s| s.seed = seed)
                        .unwrap();
                    let r = run(&p);
                    check(s.name, &traitors, value, &r);
                    runs += 1;
                }
            }
        }
    }
    runs
}

#[test]
fn om_holds_for_every_n_le_7_with_n_gt_3f() {
    let mut total = 0;
    for n in 2..=7usize {
        for f in 0..=2usize {
            if n <= 3 * f || f + 2 > n {
                continue;
            }
            total += every_run(byzlab::algorithm::OM, n, f, |s, t, v, r| {
                assert!(
                    r.outcome.agreement && r.outcome.validity,
                    "OM({f}) n={n} traitors={t:?} {s} {v}: {:?}",
                    r.outcome.decisions
                );
            });
        }
    }
    assert!(total > 500, "only {total} runs");
}

#[test]
fn sm_holds_for_every_n_ge_f_plus_2_up_to_7() {
    let mut total = 0;
    for n in 2..=7usize {
        for f in 0..=n - 2 {
            total += every_run(byzlab::algorithm::SM, n, f, |s, t, v, r| {
                let ctx = format!("SM({f}) n={n} traitors={t:?} {s} {v}");
                assert!(
                    r.outcome.agreement && r.outcome.validity,
                    "{ctx}: {:?}",
                    r.outcome.decisions
                );
                if r.outcome.commander_loyal {
                    // Only the loyal commander's order can ever be accepted:
                    // anything else in V would be a forged signature.
                    for g in r.generals.iter().filter(|g| g.loyal && g.id != 0) {
                        assert_eq!(g.v.as_deref(), Some(&[v][..]), "{ctx}: general {} V", g.id);
                    }
                }
            });
        }
    }
    assert!(total > 3000, "only {total} runs");
}

#[test]
fn forgeries_are_attempted_and_all_rejected() {
    let r = run(&plan(byzlab::algorithm::SM, 7, 3, &[2, 4, 6], "forge", Value::Attack));
    assert!(r.outcome.counters.orders_rejected > 0, "the forger tried nothing");
    assert_eq!(r.outcome.counters.forgeries_accepted, 0);
    assert!(r.outcome.agreement && r.outcome.validity);
    for g in r.generals.iter().filter(|g| g.loyal && g.id != 0) {
        assert_eq!(g.v.as_deref(), Some(&[Value::Attack][..]));
    }
}

#[test]
fn om_breaks_somewhere_for_every_n_le_3f() {
    // Cells with at least two loyal generals; with one, nothing can disagree.
    for (n, f) in [(3, 1), (4, 2), (5, 2), (6, 2)] {
        let mut broken = 0;
        every_run(byzlab::algorithm::OM, n, f, |_, _, _, r| {
            broken += usize::from(!(r.outcome.agreement && r.outcome.validity));
        });
        assert!(broken > 0, "OM({f}) with n={n} never failed");
    }
}

/// Beyond the exhaustive range: OM(3) at n = 10 (> 3f) with traitor sets
/// drawn from seeds, every strategy, both orders. Deep trees (paths of three
/// lieutenants) are where the rank arithmetic has the most to get wrong.
#[test]
fn om3_holds_at_n10_on_sampled_placements() {
    let mut runs = 0;
    for seed in 0..6u64 {
        let traitors = byzlab::run::place_traitors(seed, 10, 3);
        for s in builtins() {
            for value in Value::ALL {
                let p = (plan(byzlab::algorithm::OM, 10, 3, &traitors, s.name, value))
                    .vary(|s| s.seed = seed)
                    .unwrap();
                let r = run(&p);
                assert!(
                    r.outcome.agreement && r.outcome.validity,
                    "OM(3) n=10 traitors={traitors:?} {} {value}: {:?}",
                    s.name,
                    r.outcome.decisions
                );
                runs += 1;
            }
        }
    }
    assert_eq!(runs, 6 * builtins().len() * 2);
}

/// SM with fewer rounds than traitors: SM(m) tolerates at most m traitors
/// (Theorem 2), and f+1 rounds are needed against f. With m = 1 and two
/// traitors (the commander and a lieutenant), `late-reveal` hands the signed
/// order to its accomplice, who reveals it to some loyal lieutenants only in
/// the last round, when they may no longer relay it: IC1 fails. With m = 2 the
/// same attack is relayed in time and fails.
#[test]
fn sm_with_m_below_the_traitor_count_breaks() {
    for n in [5usize, 6] {
        let p = plan(byzlab::algorithm::SM, n, 2, &[0, 1], "late-reveal", Value::Attack);
        let r = run(&p.vary(|s| s.m = Some(1)).unwrap());
        assert!(
            !r.outcome.agreement,
            "SM(1) n={n} with two traitors held: {:?}",
            r.outcome.decisions
        );
        let r = run(&p.vary(|s| s.m = Some(2)).unwrap());
        assert!(r.outcome.agreement, "SM(2) n={n}: {:?}", r.outcome.decisions);
    }
}
