//! The fuzzers' corpora and every input they ever found, replayed through
//! the same entry points on stable (`byzlab::fuzzing`), so a fixed finding
//! stays fixed without running a fuzzer. See fuzz/README.md.

use std::path::Path;

/// The files of fuzz/DIR; none when git keeps no such folder (a target
/// with no regression yet: git does not keep an empty folder).
fn inputs(name: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join(name);
    if !dir.exists() && !name.starts_with("seeds/") {
        return Vec::new();
    }
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    out
}

#[test]
fn corpora_and_regressions_replay_cleanly() {
    for kind in ["seeds", "corpus", "regressions"] {
        for (_, data) in inputs(&format!("{kind}/frame")) {
            byzlab::fuzzing::frame(&data);
        }
        for (_, data) in inputs(&format!("{kind}/script")) {
            byzlab::fuzzing::script(&data);
        }
        for (_, data) in inputs(&format!("{kind}/experiment")) {
            byzlab::fuzzing::experiment(&data);
        }
        for (_, data) in inputs(&format!("{kind}/witness")) {
            byzlab::fuzzing::witness(&data);
        }
        for (_, data) in inputs(&format!("{kind}/detect_sweep")) {
            byzlab::fuzzing::detect_sweep(&data);
        }
    }
}

/// The seeds (fuzz/seeds, the starting points of each run) are what they
/// say: every experiment file plans, every script parses, every witness
/// validates, and the frame seeds are the
/// honest frames of the target's runs (so they reach acceptance, not only
/// decoding).
#[test]
fn seeds_are_valid_inputs() {
    let seeds = byzlab::fuzzing::seed_frames();
    assert!(seeds.len() >= 18, "{}", seeds.len());
    let committed: Vec<Vec<u8>> = inputs("seeds/frame").into_iter().map(|(_, d)| d).collect();
    for s in &seeds {
        assert!(
            committed.contains(s),
            "fuzz/seeds/frame lacks a seed frame; rerun the ignored test write_frame_seeds"
        );
        assert!(byzlab::fuzzing::frame(s));
    }
    for (path, data) in inputs("seeds/experiment") {
        assert!(byzlab::fuzzing::experiment(&data).is_some(), "{path}");
    }
    for (path, data) in inputs("seeds/script") {
        assert!(byzlab::fuzzing::script(&data), "{path}");
    }
    for (path, data) in inputs("seeds/witness") {
        assert!(byzlab::fuzzing::witness(&data), "{path}");
    }
    // Witnesses on section 5's graphs among them.
    assert!(
        inputs("seeds/witness")
            .iter()
            .any(|(_, d)| String::from_utf8_lossy(d).contains("\"graph\"")),
        "no witness with a graph among the seeds"
    );
    for target in ["frame", "experiment", "script", "witness", "detect_sweep"] {
        assert!(!inputs(&format!("seeds/{target}")).is_empty(), "no seeds for {target}");
    }
    for (path, data) in inputs("seeds/detect_sweep") {
        assert!(byzlab::fuzzing::detect_sweep(&data), "{path}");
    }
}

/// Writes the frame seeds into fuzz/seeds/frame (run after a wire change:
/// `cargo test --release --test it fuzz_corpus -- --ignored`).
#[test]
#[ignore]
fn write_frame_seeds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/frame");
    std::fs::create_dir_all(&dir).unwrap();
    for (i, s) in byzlab::fuzzing::seed_frames().iter().enumerate() {
        std::fs::write(dir.join(format!("seed-{i:03}")), s).unwrap();
    }
}
