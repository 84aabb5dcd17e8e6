//! Issue 25 item 1: a violating run shrunk to a 1-minimal set of traitor
//! deviations, for every algorithm that can be broken, from the command
//! line and in sweeps.

use byzlab::experiment::shrink;
use byzlab::experiment::witness::{self, Witness};
use byzlab::registry::Registry;
use byzlab::traitor::StrategyRef;
use std::path::Path;
use std::process::Command;

fn byzlab(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_byzlab")).args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("byzlab-shrink-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Shrinks the witness at `path` and checks the result: at most as many
/// deviations as before, still violating, and 1-minimal (each kept
/// deviation restored to honest, one at a time, makes the run keep what the
/// witness broke). Returns (N, K).
fn shrink_and_check(path: &Path) -> (usize, usize) {
    let registry = Registry::builtin();
    let text = std::fs::read_to_string(path).unwrap();
    let (w, plan) = witness::load(&text, &path.display().to_string(), &registry).unwrap();
    let s = shrink::shrink(&w, &plan).unwrap();
    assert!(s.minimal, "{}", path.display());
    assert!(s.kept.len() <= s.from, "{}: {}", path.display(), s.headline());
    let violates = |keep: Vec<_>| {
        let mut v: Witness = w.clone();
        v.strategy = StrategyRef::Shrunk {
            base: Box::new(w.strategy.clone()),
            keep,
            link: true,
        };
        let strategy = v.strategy.resolve(registry.strategies()).unwrap();
        let link = v.strategy.link_keep().unwrap();
        let run = plan
            .vary(|spec| {
                spec.strategy = strategy;
                spec.adversaries = spec.adversaries.masked(link, None);
            })
            .unwrap();
        let o = byzlab::runtime::execute(&run).unwrap().outcome;
        (w.agreement || !o.agreement) && (w.validity || !o.validity)
    };
    assert!(
        violates(s.kept.clone()),
        "{}: the kept set no longer violates",
        path.display()
    );
    for i in 0..s.kept.len() {
        let mut fewer = s.kept.clone();
        let restored = fewer.remove(i);
        assert!(
            !violates(fewer),
            "{}: restoring `{restored}` still violates: not 1-minimal",
            path.display()
        );
    }
    (s.from, s.kept.len())
}

/// The must-hold: a committed OM witness, shrunk from the command line,
/// prints "N deviations -> K", writes a witness `byzlab replay` shows with
/// the same violation, and a script saying the same deviations.
#[test]
fn an_om_witness_of_results_bound_shrinks_and_replays() {
    let dir = tmp("bound");
    let out = dir.to_str().unwrap();
    let (ok, stdout, stderr) = byzlab(&["shrink", "results/bound/witnesses/cell-10.json", "--out", out]);
    assert!(ok, "{stderr}");
    let head = stdout.lines().next().unwrap();
    let (n, k) = head.split_once(" -> ").unwrap();
    let n: usize = n
        .trim_end_matches(" deviations")
        .trim_end_matches(" deviation")
        .parse()
        .unwrap();
    let k: usize = k.parse().unwrap();
    assert!(k >= 1 && k < n, "{stdout}");
    assert!(stdout.contains("1-minimal"), "{stdout}");
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("  traitor ")).count(),
        k,
        "{stdout}"
    );
    let written = dir.join("cell-10.shrunk.json");
    let (ok, replayed, stderr) = byzlab(&["replay", written.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let original = std::fs::read_to_string("results/bound/witnesses/cell-10.json").unwrap();
    let original: Witness = serde_json::from_str(&original).unwrap();
    if !original.validity {
        assert!(
            replayed.contains("IC2 (validity)") && replayed.contains("violated"),
            "{replayed}"
        );
    }
    // The script beside it is a strategy `run` takes, with one rule per deviation.
    let script = std::fs::read_to_string(dir.join("cell-10.shrunk.toml")).unwrap();
    assert_eq!(script.matches("[[rule]]").count(), k, "{script}");
    assert_eq!(
        shrink_and_check(Path::new("results/bound/witnesses/cell-10.json")),
        (n, k)
    );
}

/// Issue 25 item 1, the link's part: on an `arbitrary` link (a spoofing
/// adversary, no traitor at all) every frame the adversary altered is a
/// deviation. The shrunk set is 1-minimal (undoing any one alteration makes
/// the run hold), it is the link's alone, and its witness replays with the
/// alterations it does not keep undone.
#[test]
fn what_a_link_adversary_did_shrinks_too() {
    let path = "results/links/witnesses/cell-10.json";
    let registry = Registry::builtin();
    let text = std::fs::read_to_string(path).unwrap();
    let (w, plan) = witness::load(&text, path, &registry).unwrap();
    assert!(
        w.traitors.is_empty() && text.contains("\"arbitrary\""),
        "the witness is the link's alone"
    );
    let s = shrink::shrink(&w, &plan).unwrap();
    assert!(
        s.kept
            .iter()
            .all(|d| d.place.hook == byzlab::traitor::shrunk::Hook::Link),
        "{:?}",
        s.kept
    );
    let (n, k) = shrink_and_check(Path::new(path));
    assert!(k >= 1 && k < n, "{n} -> {k}");
    // Written, and replayed as the same violation.
    let dir = tmp("link");
    let (ok, stdout, stderr) = byzlab(&["shrink", path, "--out", dir.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with(&format!("{n} deviations -> {k}")), "{stdout}");
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("  link ")).count(),
        k,
        "{stdout}"
    );
    let written = dir.join("cell-10.shrunk.json");
    let shrunk = std::fs::read_to_string(&written).unwrap();
    assert!(
        shrunk.contains("\"link\": true") && shrunk.contains("\"hook\": \"link\""),
        "{shrunk}"
    );
    let (ok, replayed, stderr) = byzlab(&["replay", written.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(replayed.contains("reproduced"), "{replayed}");
}

/// A sweep over four algorithms, each broken past its bound, writes a
/// shrunk witness beside every witness, says N -> K per cell in
/// summary.md, and each shrunk run is 1-minimal and replays.
#[test]
fn sweeps_shrink_every_witness_for_every_breakable_algorithm() {
    let dir = tmp("sweep");
    let file = dir.join("exp.toml");
    std::fs::write(
        &file,
        r#"name = "shrinks"
algorithms = ["om", "sm", "dolev-strong", "phase-king"]
n = [4, 5]
f = [2]
m = "f-1"
strategies = ["portfolio"]
placements = 2
seeds = 2
runtime = "direct"
exhaustive = false
"#,
    )
    .unwrap();
    let out = dir.join("out");
    let (ok, _, stderr) = byzlab(&[
        "sweep",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(ok, "{stderr}");
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    let mut algorithms = std::collections::BTreeSet::new();
    for e in std::fs::read_dir(out.join("witnesses")).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".json") || name.ends_with(".shrunk.json") {
            continue;
        }
        let small = path.with_file_name(name.replace(".json", ".shrunk.json"));
        assert!(small.exists(), "no shrunk witness beside {name}");
        assert!(path.with_file_name(name.replace(".json", ".shrunk.svg")).exists());
        let (ok, _, stderr) = byzlab(&["replay", small.to_str().unwrap()]);
        assert!(ok, "{name}: {stderr}");
        let (n, k) = shrink_and_check(&path);
        let link = format!("-> {k}](witnesses/{})", name.replace(".json", ".shrunk.json"));
        assert!(
            summary.contains(&link),
            "summary.md lacks `{link}` ({n} before):\n{summary}"
        );
        let w: Witness = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        algorithms.insert(w.algorithm);
    }
    assert_eq!(
        algorithms.into_iter().collect::<Vec<_>>(),
        ["dolev-strong", "om", "phase-king", "sm"],
        "every algorithm broke somewhere"
    );
}

/// `shrink = false` in an experiment file writes no shrunk witness; a
/// witness with no violation, or no witness at all, is refused in one line.
#[test]
fn shrinking_can_be_turned_off_and_nonsense_is_refused() {
    let dir = tmp("off");
    let file = dir.join("exp.toml");
    std::fs::write(
        &file,
        "name = \"off\"\nalgorithms = [\"om\"]\nn = [4]\nf = [2]\nplacements = 1\nseeds = 1\nruntime = \"direct\"\n\
         exhaustive = false\nstrategies = [\"split-brain\"]\nshrink = false\n",
    )
    .unwrap();
    let out = dir.join("out");
    let (ok, _, stderr) = byzlab(&[
        "sweep",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(ok, "{stderr}");
    let names: Vec<String> = std::fs::read_dir(out.join("witnesses"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().any(|n| n.ends_with(".json")), "{names:?}");
    assert!(!names.iter().any(|n| n.contains("shrunk")), "{names:?}");
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(!summary.contains("shrunk"), "{summary}");
    // A witness of a run that held.
    let w = std::fs::read_to_string(out.join("witnesses/cell-0.json")).unwrap();
    let held = w
        .replace("\"agreement\": false", "\"agreement\": true")
        .replace("\"validity\": false", "\"validity\": true");
    let fake = dir.join("held.json");
    std::fs::write(&fake, held).unwrap();
    let (ok, _, stderr) = byzlab(&["shrink", fake.to_str().unwrap()]);
    assert!(!ok && stderr.lines().count() == 1, "{stderr}");
    let (ok, _, stderr) = byzlab(&["shrink", dir.join("none.json").to_str().unwrap()]);
    assert!(
        !ok && stderr.starts_with("error:") && stderr.lines().count() == 1,
        "{stderr}"
    );
}
