//! Arbitrary links: whatever the adversary does to the bytes, no general
//! panics; SM takes no altered value and accepts no forged signature; OM,
//! which has no signatures, is broken by a spoofing adversary even with
//! n > 3f and no traitor at all.

mod common;

use byzlab::link::LinkSpec;
use byzlab::run::{RunSpec, RuntimeKind};
use byzlab::types::Algorithm;
use common::run;

/// A run with m = f + 1 (one round of relaying even without traitors).
fn arbitrary(alg: Algorithm, n: usize, f: usize, adversary: &str, rate: f64, seed: u64) -> byzlab::runtime::RunReport {
    let mut spec = RunSpec::new(alg, n, f).unwrap();
    spec.m = Some(f + 1);
    spec.link = LinkSpec::Arbitrary {
        adversary: adversary.into(),
        rate,
    };
    spec.seed = seed;
    spec.runtime = RuntimeKind::Direct;
    spec.strategy = byzlab::traitor::resolve("forge").unwrap();
    run(&spec.validate().unwrap())
}

#[test]
fn sm_takes_no_altered_value_and_no_forgery() {
    for adversary in ["tamper", "spoof", "replay", "chaos", "drop"] {
        let mut altered = 0;
        for seed in 0..12 {
            let r = arbitrary(Algorithm::Sm, 7, 2, adversary, 1.0, seed);
            let c = r.outcome.counters;
            assert_eq!(
                c.tampered_accepted, 0,
                "{adversary} seed {seed}: SM took an altered value"
            );
            assert_eq!(
                c.forgeries_accepted, 0,
                "{adversary} seed {seed}: forged signature accepted"
            );
            altered += c.link_tampered + c.link_injected + c.link_dropped;
        }
        assert!(altered > 0, "{adversary} did nothing");
    }
}

#[test]
fn om_is_broken_by_spoofing_without_any_traitor() {
    let mut broken = 0;
    let mut taken = 0;
    for seed in 0..12 {
        let r = arbitrary(Algorithm::Om, 7, 0, "spoof", 0.3, seed);
        broken += usize::from(!(r.outcome.agreement && r.outcome.validity));
        taken += r.outcome.counters.tampered_accepted;
    }
    assert!(taken > 0, "OM never took a spoofed frame");
    assert!(broken > 0, "OM(0..) held against every spoofing run");
}

#[test]
fn hostile_bytes_never_panic_anyone() {
    for alg in [Algorithm::Om, Algorithm::Sm] {
        for adversary in ["tamper", "replay", "chaos"] {
            for seed in 0..10 {
                let r = arbitrary(alg, 5, 1, adversary, 1.0, seed);
                // Every frame that arrived was taken or refused, and counted
                // as one or the other: none vanished, none counted twice.
                let c = &r.outcome.counters;
                let arrived = c.frames - c.link_dropped + c.link_injected;
                assert_eq!(
                    c.frames_accepted + c.frames_rejected,
                    arrived,
                    "{alg} {adversary} seed {seed}"
                );
                assert!(
                    c.frames_rejected + c.orders_rejected > 0,
                    "{alg} {adversary} seed {seed}: nothing refused"
                );
            }
        }
    }
}
