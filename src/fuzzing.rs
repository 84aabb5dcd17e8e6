//! Entry points for the fuzzers in `fuzz/` (cargo-fuzz) and for the test
//! that replays their corpora on stable (`tests/it/fuzz_corpus.rs`). Each takes
//! arbitrary bytes and must return, never panic, hang or allocate beyond
//! what the run's own limits allow; what it returns is for the tests.
//! Not part of the stable API.

use crate::algorithm::{Algorithm, DOLEV_STRONG, OM, PHASE_KING, SM};
use crate::experiment::{plan, spec, witness};
use crate::run::{RunPlan, RunSpec, RuntimeKind};
use crate::runtime::Generals;
use crate::traitor::scripted::Script;
use crate::types::{Envelope, GeneralId, Round};
use std::sync::Arc;

/// Generals of the frame target.
const N: usize = 4;

/// The frame target's algorithms, by the input's first byte (mod 4; OM and
/// SM keep the bytes 0 and 1 they had before the others).
const ALGORITHMS: [Algorithm; 4] = [OM, SM, DOLEV_STRONG, PHASE_KING];

/// The frame target's run among four loyal generals: OM(1), SM(2),
/// Dolev-Strong for 2, phase king with 2 phases (m = 1).
fn frame_plan(alg: Algorithm) -> RunPlan {
    let m = if alg.signed() { 2 } else { 1 };
    let mut spec = RunSpec::new(alg, N, m).expect("built-in strategy");
    spec.traitors = Some(Vec::new());
    spec.runtime = RuntimeKind::Direct;
    spec.validate().expect("a valid small plan")
}

/// Drives the generals of `alg` round by round, delivering every honest
/// frame, and hands `inject` the chance to add frames to each round.
fn drive(alg: Algorithm, mut inject: impl FnMut(Round) -> Vec<Envelope>, mut seen: impl FnMut(&Envelope)) {
    let plan = frame_plan(alg);
    let Generals { mut generals, .. } = alg.build(&plan, false);
    for round in 1..=plan.rounds() {
        let mut frames = inject(round);
        for (from, g) in generals.iter_mut().enumerate() {
            frames.extend(g.on_round(round).into_iter().map(|out| Envelope {
                round: out.round,
                from: from as GeneralId,
                to: out.to,
                bytes: out.bytes,
                original: None,
                link: None,
            }));
        }
        for env in &frames {
            seen(env);
            if let Some(g) = generals.get_mut(usize::from(env.to)) {
                g.accept(env);
            }
        }
    }
    for g in &generals {
        let _ = g.report();
    }
}

/// One hostile frame in a loyal run: byte 0 picks the algorithm (mod 4:
/// OM, SM, Dolev-Strong, phase king), byte 1 the round, bytes 2 and 3 the claimed sender and the
/// receiver; the rest is the frame. It is decoded, checked and (if valid)
/// taken by the receiver's `Node`, among the run's honest frames. Returns
/// whether the input was long enough to be used.
pub fn frame(data: &[u8]) -> bool {
    let [a, r, from, to, bytes @ ..] = data else {
        return false;
    };
    let alg = ALGORITHMS[usize::from(a % 4)];
    let rounds = frame_plan(alg).rounds();
    let (from, mut to) = (from % N as u8, to % N as u8);
    if to == from {
        to = (to + 1) % N as u8;
    }
    let env = Envelope {
        round: Round::from(*r) % rounds + 1,
        from: GeneralId::from(from),
        to: GeneralId::from(to),
        bytes: Arc::new(bytes.to_vec()),
        original: None,
        link: None,
    };
    drive(
        alg,
        |round| {
            if round == env.round {
                vec![env.clone()]
            } else {
                Vec::new()
            }
        },
        |_| (),
    );
    true
}

/// The honest frames of the frame target's runs, in its input format: the
/// seeds of its corpus.
pub fn seed_frames() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for (a, alg) in (0u8..).zip(ALGORITHMS) {
        drive(
            alg,
            |_| Vec::new(),
            |env| {
                let mut f = vec![a, (env.round - 1) as u8, env.from as u8, env.to as u8];
                f.extend_from_slice(&env.bytes);
                out.push(f);
            },
        );
    }
    out
}

/// An experiment file: parsed, validated and planned (not run), within
/// 100k runs (the code path of the real limit, at a size a fuzzer's memory
/// limit allows). Returns the plan's size when it is one.
pub fn experiment(data: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(data).ok()?;
    let registry = crate::registry::Registry::builtin();
    let spec = spec::parse(text, "fuzz.toml", "fuzz", None, &registry).ok()?;
    plan::build_within(&spec, "fuzz.toml", 100_000, &registry)
        .ok()
        .map(|p| p.total_runs())
}

/// A strategy script: parsed, then checked against a few (n, m).
pub fn script(data: &[u8]) -> bool {
    let Some(script) = std::str::from_utf8(data)
        .ok()
        .and_then(|t| Script::parse(t, "fuzz.toml").ok())
    else {
        return false;
    };
    for (n, m) in [(4, 1), (7, 2), (3, 0)] {
        let c = crate::traitor::Coalition::new(n, &[0, 1], crate::types::Value::Attack);
        for alg in ALGORITHMS {
            let _ = script.check_run(alg, n, m, &c, "fuzz.toml");
        }
    }
    true
}

/// A witness: parsed and validated into a run (not run: a valid witness
/// may describe a long run). Returns whether it validated.
pub fn witness(data: &[u8]) -> bool {
    std::str::from_utf8(data)
        .ok()
        .is_some_and(|t| witness::load(t, "fuzz.json", &crate::registry::Registry::builtin()).is_ok())
}

/// A detector sweep file: read and checked as `byzlab detect-sweep` checks
/// it before its first run (axes, counts, cost, every timing and timeout),
/// not run. Returns whether it is a valid sweep.
pub fn detect_sweep(data: &[u8]) -> bool {
    std::str::from_utf8(data)
        .ok()
        .is_some_and(|t| crate::detector::sweep::SweepPlan::parse(t, "fuzz.toml").is_ok())
}

/// Why a general of the frame target's run of `alg` refuses `bytes` as a
/// frame before looking at its content (`None`: it decodes): the same
/// decoder and size limit a live run uses.
pub fn refusal(alg: Algorithm, bytes: &[u8]) -> Option<String> {
    let plan = frame_plan(alg);
    alg.refusal(bytes, alg.frame_limit(&plan))
}
