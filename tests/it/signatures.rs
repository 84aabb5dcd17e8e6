//! Ideal signatures (`--signatures ideal`) against ed25519: A4 modelled by a
//! ledger lookup must give every SM run of the 3f+1 experiment the same
//! outcome as real signatures, and the same counters.

use byzlab::experiment::record::RunRecord;
use byzlab::experiment::runner::{self, SweepOptions};
use byzlab::experiment::spec;
use byzlab::experiment::{cells, plan};
use byzlab::registry::Registry;
use byzlab::run::{RuntimeKind, Signatures};
use std::path::Path;

/// Every SM run of experiments/bound.toml as sampled (the portfolio, its
/// forgeries included; the exhaustive search's points sign through the same
/// `TraitorCtx::sign`, and would more than double the test's time), under
/// one scheme: its rows with the columns that describe the run and its
/// outcome.
fn sm_rows(signatures: Signatures) -> (Vec<RunRecord>, Vec<String>) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/bound.toml");
    let mut s = spec::load(&file, &Registry::builtin()).unwrap();
    s.algorithms = vec![byzlab::algorithm::SM];
    s.runtime = RuntimeKind::Direct;
    s.signatures = signatures;
    s.exhaustive = false;
    let p = plan::build(&s, "bound.toml", &Registry::builtin()).unwrap();
    let out = std::env::temp_dir().join(format!("byzlab-sig-{}-{signatures}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let res = runner::sweep(
        &p,
        &SweepOptions {
            out: out.clone(),
            jobs: 2,
            shard: None,
            resume: false,
            progress: false,
            command: "test".into(),
            header: None,
        },
    )
    .unwrap();
    let rows = byzlab::experiment::record::read_runs(&res.folder.root().join("runs.csv")).unwrap();
    let cells = cells::cell_results(&p, &byzlab::experiment::tally::Tally::of(&rows))
        .iter()
        .map(|c| {
            format!(
                "{} {} {} {}: {:?} ({} runs)",
                c.cell.n, c.cell.f, c.ic1, c.ic2, c.verdict, c.runs
            )
        })
        .collect();
    let _ = std::fs::remove_dir_all(&out);
    (rows, cells)
}

#[test]
fn ideal_signatures_give_every_sm_run_of_the_bound_experiment_the_same_outcome() {
    let (ed, ed_cells) = sm_rows(Signatures::Ed25519);
    let (ideal, ideal_cells) = sm_rows(Signatures::Ideal);
    assert!(ed.len() > 10_000, "bound.toml has {} SM runs", ed.len());
    assert_eq!(ed.len(), ideal.len());
    for (a, b) in ed.iter().zip(&ideal) {
        assert_eq!(a, b, "a run differs between ed25519 and ideal signatures");
    }
    assert_eq!(ed_cells, ideal_cells, "a cell's verdict differs");
    assert_eq!(ed_cells.len(), 24);
    // Not vacuous: the portfolio forges, and SM with m = f holds throughout.
    assert!(
        ed.iter()
            .any(|r| r.strategy == "forge" && r.counters.orders_rejected > 0)
    );
}

/// SM's exhaustive search (traitor::enumerated_sm) claims that, as far as
/// the loyal lieutenants' sets V go, a coalition can do no more than choose
/// the round in which it first hands each loyal lieutenant each value. A
/// brute force over every subset of values each traitor could validly send
/// each receiver in each round (extending any chain it holds, its own
/// signature last) must reach exactly the same configurations of V, up to
/// a permutation of the loyal lieutenants.
#[test]
fn sm_search_space_equals_a_brute_force_over_every_send() {
    use byzlab::protocol::sm::SignedOrder;
    use byzlab::run::RunSpec;
    use byzlab::traitor::enumerated_sm;
    use byzlab::traitor::{NamedStrategy, Strategy, TraitorCtx};
    use byzlab::types::Round;
    use byzlab::types::{GeneralId, Value};
    use std::collections::BTreeSet;
    use std::sync::Arc;

    /// Digit per (traitor, round, receiver): bit 0 ATTACK, bit 1 RETREAT.
    struct Brute {
        digits: Arc<Vec<(GeneralId, Round, GeneralId, u8)>>,
        held: Vec<(Round, SignedOrder)>,
    }
    impl Strategy for Brute {
        fn observe_order(&mut self, round: Round, _: GeneralId, order: &SignedOrder) {
            self.held.push((round, order.clone()));
        }
        fn orders(&mut self, ctx: &mut TraitorCtx<'_>, to: GeneralId, orders: &mut Vec<SignedOrder>) {
            orders.clear();
            let bits = self
                .digits
                .iter()
                .find(|(t, r, g, _)| *t == ctx.me && *r == ctx.round && *g == to)
                .map_or(0, |d| d.3);
            for (bit, v) in [(1u8, Value::Attack), (2, Value::Retreat)] {
                if bits & bit == 0 {
                    continue;
                }
                if ctx.round == 1 {
                    if ctx.is_commander()
                        && let Some(o) = ctx.sign(v, &[])
                    {
                        orders.push(o);
                    }
                    continue;
                }
                let me = ctx.me;
                let prefix = self.held.iter().find(|(r, o)| {
                    *r + 1 == ctx.round
                        && o.value == v
                        && o.chain.len() == *r as usize
                        && o.chain.iter().all(|l| l.signer != to && l.signer != me)
                });
                if let Some((_, o)) = prefix {
                    let chain = o.chain.clone();
                    if let Some(signed) = ctx.sign(v, &chain) {
                        orders.push(signed);
                    }
                }
            }
        }
    }

    let v_config = |n: usize, m: usize, traitors: &[GeneralId], strategy: NamedStrategy| {
        let mut spec = RunSpec::new(byzlab::algorithm::SM, n, traitors.len()).unwrap();
        spec.m = Some(m);
        spec.traitors = Some(traitors.to_vec());
        spec.strategy = strategy;
        spec.signatures = Signatures::Ideal;
        spec.runtime = byzlab::run::RuntimeKind::Direct;
        let report = byzlab::runtime::execute(&spec.validate().unwrap()).unwrap();
        let mut vs: Vec<Vec<Value>> = report
            .generals
            .iter()
            .filter(|g| g.loyal && g.id != 0)
            .map(|g| {
                let mut v = g.v.clone().unwrap_or_default();
                v.sort();
                v
            })
            .collect();
        vs.sort();
        vs
    };
    for (n, m, traitors) in [(4, 1, vec![0, 1]), (4, 2, vec![0, 1]), (5, 1, vec![0, 1])] {
        // Every (traitor, round, receiver) a valid order could go.
        let mut slots = Vec::new();
        for &t in &traitors {
            for r in 1..=(m as Round + 1) {
                if (t == 0) != (r == 1) {
                    continue; // the commander signs first; nobody else can in round 1
                }
                for to in 1..n as GeneralId {
                    if to != t {
                        slots.push((t, r, to));
                    }
                }
            }
        }
        let mut brute = BTreeSet::new();
        for code in 0..4u64.pow(slots.len() as u32) {
            let digits: Vec<_> = slots
                .iter()
                .enumerate()
                .map(|(i, &(t, r, to))| (t, r, to, ((code >> (2 * i)) & 3) as u8))
                .collect();
            let digits = Arc::new(digits);
            let strategy = NamedStrategy::custom("brute", move || Brute {
                digits: digits.clone(),
                held: Vec::new(),
            });
            brute.insert(v_config(n, m, &traitors, strategy));
        }
        let loyal: Vec<GeneralId> = (1..n as GeneralId).filter(|g| !traitors.contains(g)).collect();
        let latest = traitors.len().min(m + 1) as Round;
        let mut searched = BTreeSet::new();
        for a in enumerated_sm::assignments(&loyal, latest) {
            let choices = enumerated_sm::encode(&a);
            let strategy = byzlab::traitor::StrategyRef::Enumerated { choices }
                .resolve(&byzlab::traitor::Strategies::builtin())
                .unwrap();
            searched.insert(v_config(n, m, &traitors, strategy));
        }
        assert_eq!(searched, brute, "n={n} m={m} traitors={traitors:?}");
        // The late reveal is among them: one loyal lieutenant with both
        // values, one with a single value (m + 1 traitors suffice).
        assert_eq!(
            searched
                .iter()
                .any(|vs| vs.iter().any(|v| v.len() == 2) && vs.iter().any(|v| v.len() == 1)),
            traitors.len() > m,
            "n={n} m={m}"
        );
    }
}
