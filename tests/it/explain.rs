//! `--explain` (issue 25, item 2): why each loyal lieutenant decided, in
//! the paper's terms, and never a story that disagrees with the decision.

use crate::common::{plan, plan_with, run, script};
use Value::{Attack as A, Retreat as R};
use byzlab::protocol::{Explanation, Vote};
use byzlab::runtime::RunReport;
use byzlab::types::Value;

fn explained(r: &RunReport, g: u16) -> Explanation {
    r.generals[usize::from(g)].explain.clone().expect("an explanation")
}

/// (path, value) of each vote at the top of the rule.
fn top(e: &Explanation) -> Vec<(Vec<u16>, Value)> {
    e.votes.iter().map(|v| (v.path.clone(), v.value)).collect()
}

/// Figs. 1 and 2: lieutenant 1 sees the commander's ATTACK and 2's
/// RETREAT in both, ties, and takes the default; its explanation is the
/// same in both figures, word for word, which is the paper's point.
#[test]
fn fig1_and_fig2_explain_alike_to_lieutenant_1() {
    let fig1 = plan(byzlab::algorithm::OM, 3, 1, &[2], "flip", A).explaining();
    let fig2 = plan_with(
        byzlab::algorithm::OM,
        3,
        1,
        &[0],
        script("[[rule]]\nfrom = 0\nto = 1\nsend = \"attack\"\n[[rule]]\nfrom = 0\nto = 2\nsend = \"retreat\"\n"),
        A,
    )
    .explaining();
    let (e1, e2) = (explained(&run(&fig1), 1), explained(&run(&fig2), 1));
    assert_eq!(top(&e1), vec![(vec![0], A), (vec![0, 2], R)]);
    assert_eq!(e1, e2);
    assert_eq!(e1.decision, R, "a tie: RETREAT");
    assert!(e1.rule.starts_with("OM(1) step 3"), "{}", e1.rule);
}

/// Fig. 3: the traitor's relayed value is the one outvoted.
#[test]
fn fig3_the_traitors_value_is_outvoted() {
    let r = run(&plan(byzlab::algorithm::OM, 4, 1, &[3], "flip", A).explaining());
    for g in [1, 2] {
        let e = explained(&r, g);
        assert_eq!(e.decision, A);
        let lost: Vec<&Vote> = e.votes.iter().filter(|v| v.value != e.decision).collect();
        assert_eq!(lost.len(), 1);
        assert_eq!(lost[0].path, vec![0, 3]);
    }
    // Only loyal generals are asked; a plan not made `explaining` says nothing.
    let quiet = run(&plan(byzlab::algorithm::OM, 4, 1, &[3], "flip", A));
    assert!(quiet.generals.iter().all(|g| g.explain.is_none()));
}

/// SM, a traitor commander sending both values: V holds both, each with
/// the chain that brought it, and choice(V) is RETREAT.
#[test]
fn sm_explains_v_and_its_chains() {
    let r = run(&plan(byzlab::algorithm::SM, 4, 1, &[0], "split-brain", A).explaining());
    let e = explained(&r, 1);
    assert!(e.rule.starts_with("SM step 3: choice(V)"), "{}", e.rule);
    assert_eq!(
        Some(e.votes.iter().map(|v| v.value).collect::<Vec<_>>()),
        r.generals[1].v
    );
    for v in &e.votes {
        assert_eq!(v.path[0], 0, "every chain starts with the commander");
    }
    assert_eq!(e.decision, r.generals[1].decision);
}

/// The explanation recomputes OM's decision from the tree it shows: over
/// strategies, m = 1..3 and seeds, it agrees with the protocol's decision
/// at every node's majority.
#[test]
fn om_explanations_agree_with_the_decisions() {
    fn check(v: &Vote) -> bool {
        if v.below.is_empty() {
            return true;
        }
        let attack = usize::from(v.received == Some(A)) + v.below.iter().filter(|b| b.value == A).count();
        let want = if attack * 2 > v.below.len() + 1 { A } else { R };
        want == v.value && v.below.iter().all(check)
    }
    let mut checked = 0;
    for (n, m, traitors) in [(4, 1, vec![3]), (7, 2, vec![0, 3]), (10, 3, vec![2, 5, 7])] {
        for strategy in ["flip", "random", "split-brain", "silent"] {
            for seed in 0..3 {
                let p = plan(byzlab::algorithm::OM, n, m, &traitors, strategy, A)
                    .vary(|s| s.seed = seed)
                    .unwrap()
                    .explaining();
                let r = run(&p);
                for g in r.generals.iter().filter(|g| g.loyal && g.id != 0) {
                    let e = g.explain.as_ref().unwrap();
                    assert_eq!(e.decision, g.decision, "n={n} {strategy} seed={seed} general {}", g.id);
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 100);
    let r = run(&plan(byzlab::algorithm::OM, 7, 2, &[0, 3], "random", A).explaining());
    let e = explained(&r, 1);
    // The commander's own value, then a vote per other lieutenant, each
    // resolved from the four below it.
    assert_eq!(e.votes.len(), 6);
    assert!(e.votes[1..].iter().all(|v| v.below.len() == 4 && check(v)));
}

/// The must-hold command: votes and decision per loyal lieutenant, and
/// the `explain` object with `--json`; `replay --explain` on a committed
/// witness.
#[test]
fn run_and_replay_explain_from_the_command_line() {
    let byzlab = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_byzlab"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let args = [
        "run",
        "--algorithm",
        "om",
        "--n",
        "4",
        "--f",
        "1",
        "--traitors",
        "3",
        "--strategy",
        "flip",
        "--explain",
    ];
    let text = byzlab(&args);
    for g in [1, 2] {
        assert!(
            text.contains(&format!("explain   lieutenant {g} decided attack")),
            "{text}"
        );
    }
    assert!(
        text.contains("0:3      retreat  (relayed by 3)  [from traitor 3; outvoted]"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&byzlab(&[&args[..], &["--json"]].concat())).unwrap();
    let explain = json["explain"].as_object().unwrap();
    assert_eq!(explain.keys().collect::<Vec<_>>(), ["1", "2"]);
    assert_eq!(explain["1"]["decision"], "attack");
    assert_eq!(explain["1"]["votes"].as_array().unwrap().len(), 3);
    let witness = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/results/bound/witnesses"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap();
    let replayed = byzlab(&["replay", witness.to_str().unwrap(), "--explain"]);
    assert!(replayed.contains("explain   lieutenant"), "{replayed}");
}

/// Dolev-Strong: the values it extracted, each with its chain, and the
/// decision its rule gives; over strategies, what it explains is what it
/// decided.
#[test]
fn dolev_strong_explains_what_it_extracted() {
    for strategy in ["split-brain", "forge", "silent"] {
        let r = run(&plan(byzlab::algorithm::DOLEV_STRONG, 5, 2, &[0, 3], strategy, A).explaining());
        for g in r.generals.iter().filter(|g| g.loyal && g.id != 0) {
            let e = g.explain.as_ref().unwrap();
            assert!(e.rule.starts_with("Dolev-Strong"), "{}", e.rule);
            assert_eq!(e.decision, g.decision, "{strategy}");
            assert_eq!(Some(e.votes.iter().map(|v| v.value).collect::<Vec<_>>()), g.v);
            assert!(e.votes.iter().all(|v| v.path.first() == Some(&0)));
        }
    }
}

/// Phase king says each phase's step 2: the majority and how many gave
/// it, kept or replaced by the king's value; its last phase ends in the
/// decision. Traitor kings (phase 1's king is lieutenant 1) make some
/// lieutenant take a king's value or keep a clear majority against it.
#[test]
fn phase_king_explains_each_phase() {
    let mut took_king = false;
    for (n, f, traitors) in [(5, 1, vec![1]), (9, 2, vec![1, 2]), (9, 2, vec![0, 2])] {
        for strategy in ["split-brain", "flip", "silent", "random"] {
            let r = run(&plan(byzlab::algorithm::PHASE_KING, n, f, &traitors, strategy, A).explaining());
            for g in r.generals.iter().filter(|g| g.loyal && g.id != 0) {
                let e = g.explain.as_ref().expect("phase king explains");
                assert_eq!(e.decision, g.decision);
                let phases: Vec<&str> = e.rule.split("; phase ").skip(1).collect();
                assert_eq!(phases.len(), f + 1, "{}", e.rule);
                let last = phases.last().unwrap();
                let ends = last.contains(&format!("kept {} (more than ", g.decision))
                    || last.ends_with(&format!("'s {}", g.decision))
                    || (g.decision == R && last.ends_with("retreat (A3)"));
                assert!(ends, "{strategy} {traitors:?}: decided {} but {last}", g.decision);
                took_king |= e.rule.contains("took king");
            }
            // The commander obeys its own order and explains nothing.
            assert!(r.generals[0].explain.is_none());
        }
    }
    assert!(took_king, "no lieutenant ever followed a king");
}
