//! Ideal signatures (`--signatures ideal`) against ed25519: A4 modelled by a
//! ledger lookup must give every SM run of the 3f+1 experiment the same
//! outcome as real signatures, and the same counters.

use byzlab::experiment::record::RunRecord;
use byzlab::experiment::runner::{self, SweepOptions};
use byzlab::experiment::spec;
use byzlab::experiment::{cells, plan};
use byzlab::run::{RuntimeKind, Signatures};
use byzlab::types::Algorithm;
use std::path::Path;

/// Every SM run of experiments/bound.toml, under one scheme: its rows with
/// the columns that describe the run and its outcome.
fn sm_rows(signatures: Signatures) -> (Vec<RunRecord>, Vec<String>) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/bound.toml");
    let mut s = spec::load(&file).unwrap();
    s.algorithms = vec![Algorithm::Sm];
    s.runtime = RuntimeKind::Direct;
    s.signatures = signatures;
    let p = plan::build(&s, "bound.toml").unwrap();
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
        },
    )
    .unwrap();
    let rows = res.records;
    let cells = cells::cell_results(&p, &rows)
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
