//! The scenarios drawn in Lamport, Shostak and Pease (1982), Figs. 1-5, plus
//! a silent commander. Each test states what the paper says must happen.

use crate::common::{plan, plan_with, run, script};
use Value::{Attack as A, Retreat as R};
use byzlab::protocol::majority::majority;
use byzlab::runtime::network::TraceEntry;
use byzlab::types::Value;

fn seen_by(trace: &[TraceEntry], g: u16) -> Vec<(Vec<u16>, Option<Value>)> {
    trace
        .iter()
        .filter(|t| t.to == g)
        .map(|t| (t.path.clone(), t.value))
        .collect()
}

/// Fig. 1: n = 3, loyal commander says ATTACK, traitor lieutenant 2 tells
/// lieutenant 1 the commander said RETREAT. Lieutenant 1 sees a tie and takes
/// the default: it RETREATs, and IC2 is broken.
#[test]
fn fig1_n3_traitor_lieutenant_breaks_ic2() {
    let p = (plan(byzlab::algorithm::OM, 3, 1, &[2], "flip", A))
        .vary(|s| s.trace = true)
        .unwrap();
    let r = run(&p);
    assert_eq!(r.outcome.decisions[&1], R);
    assert!(!r.outcome.validity, "IC2 must fail in Fig. 1");
    assert_eq!(r.outcome.counters.messages, 4); // 2 orders + 2 relays
}

/// Fig. 2: n = 3, traitor commander sends ATTACK to 1 and RETREAT to 2, and 2
/// relays honestly. Lieutenant 1 receives exactly what it received in Fig. 1,
/// so it must decide the same.
#[test]
fn fig2_n3_traitor_commander_is_indistinguishable_from_fig1() {
    let fig1 = (plan(byzlab::algorithm::OM, 3, 1, &[2], "flip", A))
        .vary(|s| s.trace = true)
        .unwrap();
    let fig2_script = script(
        r#"
        [[rule]]
        from = 0
        to = 1
        send = "attack"
        [[rule]]
        from = 0
        to = 2
        send = "retreat"
        "#,
    );
    let fig2 = (plan_with(byzlab::algorithm::OM, 3, 1, &[0], fig2_script, A))
        .vary(|s| s.trace = true)
        .unwrap();
    let (r1, r2) = (run(&fig1), run(&fig2));
    assert_eq!(
        seen_by(&r1.trace, 1),
        seen_by(&r2.trace, 1),
        "lieutenant 1's view differs"
    );
    assert_eq!(r1.outcome.decisions[&1], r2.outcome.decisions[&1]);
    assert_eq!(r2.outcome.decisions[&1], R);
    assert_eq!(r2.outcome.decisions[&2], R);
}

/// Fig. 3: n = 4, loyal commander, traitor lieutenant 3 lies to both others;
/// each loyal lieutenant computes majority(v, v, x) = v.
#[test]
fn fig3_n4_loyal_commander_one_traitor_lieutenant() {
    for value in [A, R] {
        for strategy in ["flip", "silent", "split-brain", "random", "two-faced"] {
            let r = run(&plan(byzlab::algorithm::OM, 4, 1, &[3], strategy, value));
            assert_eq!(r.outcome.decisions.len(), 2);
            for (g, d) in &r.outcome.decisions {
                assert_eq!(*d, value, "lieutenant {g} under {strategy} ordered {value}");
            }
        }
    }
}

/// Fig. 4: n = 4, traitor commander sends x, y, z to lieutenants 1, 2, 3;
/// each loyal lieutenant decides majority(x, y, z), for all 8 choices.
#[test]
fn fig4_n4_traitor_commander_sends_x_y_z() {
    for bits in 0..8u8 {
        let vals: Vec<Value> = (0..3).map(|i| if bits >> i & 1 == 1 { A } else { R }).collect();
        let text: String = vals
            .iter()
            .enumerate()
            .map(|(i, v)| format!("[[rule]]\nfrom = 0\nto = {}\nsend = \"{v}\"\n", i + 1))
            .collect();
        let r = run(&plan_with(byzlab::algorithm::OM, 4, 1, &[0], script(&text), A));
        let want = majority(vals.iter().copied());
        assert_eq!(r.outcome.decisions.len(), 3);
        for (g, d) in &r.outcome.decisions {
            assert_eq!(*d, want, "lieutenant {g} for x,y,z = {vals:?}");
        }
        assert!(r.outcome.agreement);
    }
}

/// A silent commander: every value is absent, absent reads RETREAT (A3), and
/// in SM V stays empty so choice(V) = RETREAT.
#[test]
fn silent_commander_means_retreat() {
    for alg in [byzlab::algorithm::OM, byzlab::algorithm::SM] {
        for n in [4, 7] {
            let r = run(&plan(alg, n, 2.min(n - 2), &[0], "silent", A));
            assert!(r.outcome.decisions.values().all(|&d| d == R), "{alg} n={n}");
            assert_eq!(r.outcome.decisions.len(), n - 1);
        }
    }
}

/// Fig. 5: n = 3, SM(1), the traitor commander signs ATTACK for lieutenant 1
/// and RETREAT for lieutenant 2. Each relays its signed order, so both end
/// with V = {ATTACK, RETREAT} and obey choice(V) alike.
#[test]
fn fig5_sm_n3_traitor_commander_signs_both_orders() {
    let r = run(&plan(byzlab::algorithm::SM, 3, 1, &[0], "split-brain", A));
    for g in r.generals.iter().filter(|g| g.id != 0) {
        let mut v = g.v.clone().expect("SM keeps V");
        v.sort();
        assert_eq!(v, vec![R, A], "lieutenant {} V", g.id);
    }
    assert!(r.outcome.agreement);
    assert_eq!(r.outcome.decisions[&1], r.outcome.decisions[&2]);
    assert!(r.outcome.counters.signatures_verified >= 2);
}

/// The contrast to Fig. 1: with signatures, n = 3 and a lying lieutenant
/// cannot fool the other, because it cannot sign for the commander.
#[test]
fn fig1_under_sm_holds() {
    for strategy in ["flip", "forge", "split-brain"] {
        let r = run(&plan(byzlab::algorithm::SM, 3, 1, &[2], strategy, A));
        assert_eq!(r.outcome.decisions[&1], A, "{strategy}");
    }
}
