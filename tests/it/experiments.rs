//! The experiment runner end to end: a small bound grid, shards merged back
//! into one run, replayable witnesses, resuming an interrupted sweep, and
//! clear errors for bad experiment files.

use byzlab::experiment::cells::CellVerdict;
use byzlab::experiment::plan::{self, ExperimentPlan, Theory};
use byzlab::experiment::record::{self, RunRecord};
use byzlab::experiment::runner::{self, SweepOptions};
use byzlab::experiment::spec;
use byzlab::experiment::{merge, report, witness};
use byzlab::registry::Registry;
use std::path::{Path, PathBuf};
use std::process::Command;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("byzlab-exp-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const SMALL_BOUND: &str = r#"
name = "small-bound"
algorithms = ["om", "sm"]
n = { from = 3, to = 7 }
f = { from = 1, to = 2 }
placements = 6
seeds = 1
runtime = "direct"
exhaustive_limit = 2000
"#;

fn load(dir: &Path, text: &str) -> ExperimentPlan {
    let file = dir.join("exp.toml");
    std::fs::write(&file, text).unwrap();
    let s = spec::load(&file, &Registry::builtin()).unwrap();
    plan::build(&s, "exp.toml", &Registry::builtin()).unwrap()
}

fn opts(out: PathBuf, shard: Option<(usize, usize)>, resume: bool) -> SweepOptions {
    SweepOptions {
        out,
        jobs: 2,
        shard,
        resume,
        progress: false,
        command: "test".into(),
        header: None,
    }
}

/// The rows a sweep left in its folder's runs.csv.
fn rows_of(res: &runner::SweepResult) -> Vec<RunRecord> {
    record::read_runs(&res.folder.root().join("runs.csv")).unwrap()
}

fn sorted(mut rows: Vec<RunRecord>) -> Vec<RunRecord> {
    rows.sort();
    rows
}

#[test]
fn small_bound_grid_matches_the_theory() {
    let dir = tmp("bound");
    let plan = load(&dir, SMALL_BOUND);
    let mut res = runner::sweep(&plan, &opts(dir.join("out"), None, false)).unwrap();
    assert_eq!(res.rows, plan.total_runs());
    let cells = report::write_all(&mut res.folder, &plan, &res.tally, "test", None).unwrap();
    let mut checked = 0;
    for c in &cells {
        let (n, f) = (c.cell.n, c.cell.f);
        // At most f traitors: every cell with n >= 3 runs (OM(2) at n = 3
        // fails with one traitor).
        assert!(c.cell.skip.is_none(), "{} skipped: {:?}", c.cell.label(), c.cell.skip);
        let want = if c.cell.algorithm == byzlab::algorithm::OM && n <= 3 * f {
            CellVerdict::Violated
        } else {
            CellVerdict::Holds
        };
        assert_eq!(c.verdict, want, "{}: {}", c.cell.label(), c.short());
        assert_eq!(c.agrees(), Some(true), "{}", c.cell.label());
        assert_ne!(c.cell.theory, Theory::Open);
        checked += 1;
    }
    assert_eq!(checked, 20); // OM and SM: n = 3..7, f = 1..2
    let om32 = cells
        .iter()
        .find(|c| c.cell.n == 3 && c.cell.f == 2 && c.cell.algorithm.as_str() == "om")
        .unwrap();
    assert_eq!(om32.least_k, Some(1), "OM(2) at n = 3 breaks with one traitor");
    let rows = record::read_runs(&dir.join("out/runs.csv")).unwrap();
    let ks: std::collections::BTreeSet<usize> = rows.iter().filter(|r| r.cell == om32.cell.id).map(|r| r.k).collect();
    assert_eq!(ks, [0, 1].into(), "k = 0..f, at most n - 2");
    let cells_csv = std::fs::read_to_string(dir.join("out/cells.csv")).unwrap();
    assert!(cells_csv.lines().next().unwrap().contains("worst_k"));
    for file in [
        "runs.csv",
        "cells.csv",
        "summary.md",
        "README.md",
        "heatmap-om.svg",
        "heatmap-sm.svg",
        "messages.svg",
        "plan.json",
    ] {
        assert!(dir.join("out").join(file).exists(), "{file} missing");
    }
    let summary = std::fs::read_to_string(dir.join("out/summary.md")).unwrap();
    assert!(
        summary.contains("**holds (0/") && summary.contains("violated ("),
        "{summary}"
    );
    assert!(summary.contains("Every cell the paper speaks to agrees with it."));
    let svg = std::fs::read_to_string(dir.join("out/heatmap-om.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("n = 3m+1") && svg.contains("holds: 0/N"));
}

/// Lemma 1: OM(m) with a loyal commander and at most k traitors keeps IC2
/// exactly when n > 2k + m (the f axis is k); experiments/lemma1.toml is the
/// full sweep.
#[test]
fn lemma_1_holds_exactly_when_n_exceeds_2k_plus_m() {
    let dir = tmp("lemma1");
    let plan = load(
        &dir,
        "name = \"lemma\"\nalgorithms = [\"om\"]\nn = { from = 3, to = 7 }\nf = { from = 0, to = 2 }\nm = [1, 2]\n\
         commander = \"loyal\"\nruntime = \"direct\"\nexhaustive_limit = 3000\n",
    );
    let mut res = runner::sweep(&plan, &opts(dir.join("out"), None, false)).unwrap();
    let cells = report::write_all(&mut res.folder, &plan, &res.tally, "test", None).unwrap();
    assert_eq!(cells.len(), 30);
    for c in &cells {
        let (n, k, m) = (c.cell.n, c.cell.f, c.cell.m.unwrap());
        let want = if n > 2 * k + m {
            CellVerdict::Holds
        } else {
            CellVerdict::Violated
        };
        assert_eq!(c.verdict, want, "{}: {}", c.cell.label(), c.short());
        assert_eq!(c.agrees(), Some(true), "{}", c.cell.label());
        // IC1 follows from IC2 under a loyal commander.
        assert!(c.ic1 <= c.ic2, "{}", c.cell.label());
    }
    let svg = std::fs::read_to_string(dir.join("out/heatmap-om-m-1.svg")).unwrap();
    assert!(svg.contains("n = 2k+m+1"));
}

/// SM cells up to n = 6 are searched exhaustively (traitor::enumerated_sm),
/// and with one round too few the search finds the late reveal by itself:
/// a loyal lieutenant handed a second value in round m + 1, too late to
/// relay, while another never hears of it.
#[test]
fn sm_search_finds_the_late_reveal_by_itself() {
    let dir = tmp("sm-search");
    let plan = load(
        &dir,
        "name = \"sm-search\"\nalgorithms = [\"sm\"]\nn = [4, 5]\nf = 2\nm = [\"f-1\", \"f\"]\n\
         runtime = \"direct\"\nsignatures = \"ideal\"\nstrategies = [\"silent\"]\n",
    );
    let mut res = runner::sweep(&plan, &opts(dir.join("out"), None, false)).unwrap();
    let cells = report::write_all(&mut res.folder, &plan, &res.tally, "test", None).unwrap();
    for c in &cells {
        assert_eq!(c.cell.search, plan::Search::Exhaustive, "{}", c.cell.label());
        assert_eq!(c.agrees(), Some(true), "{}: {}", c.cell.label(), c.short());
        let late = c.cell.m == Some(1);
        assert_eq!(
            c.verdict == CellVerdict::Violated,
            late,
            "{}: {}",
            c.cell.label(),
            c.short()
        );
        if late {
            // Only the search broke it: the one strategy given, silent, cannot.
            let w = c.witness.as_ref().unwrap();
            assert_eq!(w.strategy, "enumerated");
            let plan = byzlab::traitor::enumerated_sm::decode(&w.behaviour).unwrap();
            let late_hand = plan.values().any(|d| d.contains(&2));
            assert!(!w.agreement && late_hand, "handed in round m + 1 = 2: {w:?}");
        }
    }
    let summary = std::fs::read_to_string(dir.join("out/summary.md")).unwrap();
    assert!(summary.contains("violated (") && summary.contains(" E ✓"));
}

#[test]
fn three_shards_merged_equal_one_run() {
    let dir = tmp("shards");
    let plan = load(&dir, SMALL_BOUND);
    let whole = rows_of(&runner::sweep(&plan, &opts(dir.join("whole"), None, false)).unwrap());
    let mut shard_dirs = Vec::new();
    let mut shard_rows = 0;
    for i in 0..3 {
        let d = dir.join(format!("shard{i}"));
        let r = runner::sweep(&plan, &opts(d.clone(), Some((i, 3)), false)).unwrap();
        assert!(
            rows_of(&r).iter().all(|row| row.cell % 3 == i),
            "shard {i} ran another shard's cell"
        );
        shard_rows += r.rows;
        shard_dirs.push(d);
    }
    assert_eq!(shard_rows, whole.len(), "shards overlap or miss runs");
    // Two shards of three: refused, naming the missing one, unless partial.
    let err = merge::merge(
        &shard_dirs[..2],
        &dir.join("part"),
        "merge",
        false,
        &Registry::builtin(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("missing shards: 2/3"), "{err}");
    let (_, part, _) = merge::merge(&shard_dirs[..2], &dir.join("part"), "merge", true, &Registry::builtin()).unwrap();
    assert!(part < whole.len());
    let (_, merged, _) = merge::merge(&shard_dirs, &dir.join("merged"), "merge", false, &Registry::builtin()).unwrap();
    assert_eq!(merged, whole.len());
    // The merged runs.csv is the unsharded sweep's, byte for byte.
    assert_eq!(
        std::fs::read(dir.join("merged/runs.csv")).unwrap(),
        std::fs::read(dir.join("whole/runs.csv")).unwrap()
    );
    // A folder from another plan is refused.
    let other = load(&dir, &SMALL_BOUND.replace("seeds = 1", "seeds = 2"));
    runner::sweep(&other, &opts(dir.join("other"), Some((0, 3)), false)).unwrap();
    let err = merge::merge(
        &[shard_dirs[0].clone(), dir.join("other")],
        &dir.join("bad"),
        "merge",
        true,
        &Registry::builtin(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("another plan"), "{err}");
    // A shard's row edited (its seed) is refused, as a resume refuses it,
    // and the output folder is not made.
    let runs = shard_dirs[1].join("runs.csv");
    let text = std::fs::read_to_string(&runs).unwrap();
    let row = text.lines().nth(1).unwrap();
    let mut fields: Vec<String> = row.split(',').map(String::from).collect();
    fields[16] = "777".into(); // the seed column
    std::fs::write(&runs, text.replacen(row, &fields.join(","), 1)).unwrap();
    let err = merge::merge(&shard_dirs, &dir.join("edited"), "merge", false, &Registry::builtin())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("is not a run of this plan (its seed is not the plan's)"),
        "{err}"
    );
    assert!(!dir.join("edited/runs.csv").exists());
}

#[test]
fn witnesses_replay_and_tampered_ones_do_not() {
    let dir = tmp("witness");
    let plan = load(&dir, SMALL_BOUND);
    let out = dir.join("out");
    let mut res = runner::sweep(&plan, &opts(out.clone(), None, false)).unwrap();
    let cells = report::write_all(&mut res.folder, &plan, &res.tally, "test", None).unwrap();
    let files: Vec<String> = cells.iter().filter_map(|c| c.witness_file()).collect();
    assert!(files.len() >= 4, "expected OM violations with n <= 3f");
    for f in &files {
        let (w, rep) = witness::replay(&out.join(f), &Registry::builtin()).unwrap();
        assert!(!(w.agreement && w.validity), "a witness must show a violation");
        assert_eq!(rep.outcome.decisions, w.decisions);
        assert!(!rep.trace.is_empty());
    }
    // Change the recorded decisions: replay must say it did not reproduce.
    let path = out.join(&files[0]);
    let mut w: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    w["agreement"] = serde_json::Value::Bool(true);
    w["validity"] = serde_json::Value::Bool(true);
    let forged = dir.join("forged.json");
    std::fs::write(&forged, w.to_string()).unwrap();
    let err = witness::replay(&forged, &Registry::builtin()).unwrap_err().to_string();
    assert!(err.contains("did not reproduce"), "{err}");
    std::fs::write(&forged, "{\"not\": \"a witness\"}").unwrap();
    assert!(
        witness::replay(&forged, &Registry::builtin())
            .unwrap_err()
            .to_string()
            .contains("not a byzlab witness")
    );
}

#[test]
fn resume_after_an_interrupted_sweep_neither_loses_nor_duplicates() {
    let dir = tmp("resume");
    let plan = load(&dir, SMALL_BOUND);
    let full = rows_of(&runner::sweep(&plan, &opts(dir.join("full"), None, false)).unwrap());
    // Simulate a crash: keep the header and a third of the rows, then half a row.
    let out = dir.join("cut");
    runner::sweep(&plan, &opts(out.clone(), None, false)).unwrap();
    let text = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let keep = 1 + (lines.len() - 1) / 3;
    let mut cut = lines[..keep].join("\n");
    cut.push('\n');
    cut.push_str(&lines[keep][..lines[keep].len() / 2]);
    std::fs::write(out.join("runs.csv"), cut).unwrap();
    let res = runner::sweep(&plan, &opts(out.clone(), None, true)).unwrap();
    assert_eq!(res.resumed, keep - 1);
    assert_eq!(res.executed, full.len() - (keep - 1));
    assert_eq!(sorted(rows_of(&res)), sorted(full.clone()));
    let on_disk = record::read_runs(&out.join("runs.csv")).unwrap();
    assert_eq!(on_disk.len(), full.len(), "duplicates or losses on disk");
    drop(res.folder); // (the folder is locked while its sweep holds it)
    // Resuming a finished sweep runs nothing.
    let again = runner::sweep(&plan, &opts(out.clone(), None, true)).unwrap();
    assert_eq!(again.executed, 0);
    drop(again);
    // Resuming with another plan is refused.
    let other = load(&dir, &SMALL_BOUND.replace("placements = 6", "placements = 5"));
    let err = runner::sweep(&other, &opts(out, None, true)).unwrap_err().to_string();
    assert!(err.contains("different plan"), "{err}");
}

/// Starts `byzlab sweep FILE --out OUT --jobs JOBS --quiet` with the test
/// hook `BYZLAB_PAUSE_AFTER_ROWS=HOOK` (`20`, or `20,deaf`) and returns it once it has said that
/// rows are on disk and it is holding still (still running, so a test about
/// stopping it proves something), with the rest of its stderr. No clock: the
/// test blocks on the sweep's own line.
fn sweep_until_rows(
    file: &Path,
    out: &Path,
    jobs: &str,
    hook: &str,
) -> (std::process::Child, std::io::BufReader<std::process::ChildStderr>) {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_byzlab"))
        .args([
            "sweep",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--jobs",
            jobs,
            "--quiet",
        ])
        .env("BYZLAB_PAUSE_AFTER_ROWS", hook)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            err.read_line(&mut line).unwrap() > 0,
            "the sweep ended before it paused"
        );
        if line.starts_with("byzlab test hook: paused after") {
            break;
        }
    }
    assert!(child.try_wait().unwrap().is_none(), "the sweep is holding still");
    (child, err)
}

/// Waits for `child` at most `secs` seconds; past that it kills it and the
/// test fails, so a sweep that does not end fails the suite, never hangs it.
fn wait_at_most(child: &mut std::process::Child, secs: u64) -> std::process::ExitStatus {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if std::time::Instant::now() > until {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the sweep did not end within {secs} s; killed it");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn killed_cli_sweep_resumes_to_the_same_rows() {
    let dir = tmp("kill");
    let file = dir.join("exp.toml");
    // Large enough (thousands of SM runs, a few seconds) to be killed mid-way.
    std::fs::write(
        &file,
        "name = \"kill\"\nalgorithms = [\"sm\"]\nn = { from = 4, to = 8 }\nf = { from = 1, to = 2 }\n\
         placements = 6\nseeds = 8\nruntime = \"actix\"\n",
    )
    .unwrap();
    let total = plan::build(
        &spec::load(&file, &Registry::builtin()).unwrap(),
        "exp.toml",
        &Registry::builtin(),
    )
    .unwrap()
    .total_runs();
    let bin = env!("CARGO_BIN_EXE_byzlab");
    let out = dir.join("out");
    let runs = out.join("runs.csv");
    let (mut child, _) = sweep_until_rows(&file, &out, "2", "20");
    child.kill().unwrap();
    child.wait().unwrap();
    let at_kill = record::read_runs(&runs).unwrap().len();
    assert!(at_kill > 0 && at_kill < total, "{at_kill} of {total} rows at the kill");
    // `byzlab sweep FILE --out OUT --jobs JOBS --quiet [--resume]`, which must succeed.
    let sweep = |out: &Path, jobs: &str, resume: bool| {
        let mut args = vec![
            "sweep",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--jobs",
            jobs,
            "--quiet",
        ];
        if resume {
            args.push("--resume");
        }
        let st = Command::new(bin).args(&args).output().unwrap();
        assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
        String::from_utf8_lossy(&st.stdout).into_owned()
    };
    let resumed = sweep(&out, "2", true);
    assert!(
        resumed.contains(&format!("{at_kill} resumed")),
        "resume did not keep the {at_kill} rows: {resumed}"
    );
    let fresh = dir.join("fresh");
    sweep(&fresh, "2", false);
    let a = sorted(record::read_runs(&runs).unwrap());
    let b = sorted(record::read_runs(&fresh.join("runs.csv")).unwrap());
    assert_eq!(a.len(), b.len());
    assert_eq!(a, b);
    // And the summary of the resumed sweep is the same verdict table.
    let cells = |d: &Path| std::fs::read_to_string(d.join("cells.csv")).unwrap();
    assert_eq!(cells(&out), cells(&fresh));
}

#[test]
fn bad_experiment_files_get_one_clear_error() {
    let dir = tmp("bad");
    let bin = env!("CARGO_BIN_EXE_byzlab");
    let cases = [
        (
            "algorithms = [\"om\"]\nn = 4\nf = 1\nm = \"g+1\"\n",
            "bad.toml:4: field `m`",
        ),
        (
            "algorithms = [\"om\"]\nn = 4\nf = 1\nlinks = [\"pigeon\"]\n",
            "field `links`",
        ),
        ("algorithms = [\"om\"]\nn = 4\n", "missing field `f`"),
        (
            "algorithms = [\"om\"]\nn = 4\nf = 1\nstrategies = [\"nope.toml\"]\n",
            "nope.toml",
        ),
        ("algorithms = [\"om\"]\nn = 60\nf = 20\nm = 2\n", "too big"),
        ("algorithms = [\"om\" \n", "line"),
    ];
    for (text, want) in cases {
        let file = dir.join("bad.toml");
        std::fs::write(&file, text).unwrap();
        let out = Command::new(bin)
            .args([
                "sweep",
                file.to_str().unwrap(),
                "--out",
                dir.join("o").to_str().unwrap(),
            ])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{text}: {err}");
        assert!(err.contains(want), "{text}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "more than one line: {err}");
    }
    for (args, want) in [
        (vec!["sweep", "missing.toml"], "cannot read"),
        (vec!["sweep", "x.toml", "--shard", "3/3"], "0 <= I < N"),
        (vec!["replay", "missing.json"], "missing.json"),
        (vec!["merge", "/nonexistent-dir"], "plan.json"),
    ] {
        let out = Command::new(bin).args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

/// `stop_at_first_violation`: a violated cell keeps exactly its rows up to
/// its first violation; a cell that holds runs in full.
#[test]
fn stop_at_first_violation_cuts_each_cell_at_its_first_violation() {
    let dir = tmp("stop");
    let full = load(&dir, SMALL_BOUND);
    let stopped = load(&dir, &format!("{SMALL_BOUND}stop_at_first_violation = true\n"));
    let a = rows_of(&runner::sweep(&full, &opts(dir.join("full"), None, false)).unwrap());
    let b = rows_of(&runner::sweep(&stopped, &opts(dir.join("stopped"), None, false)).unwrap());
    let mut violated_cells = 0;
    for cell in &full.cells {
        let rows = |r: &[RunRecord]| sorted(r.iter().filter(|x| x.cell == cell.id).cloned().collect());
        let (all, cut) = (rows(&a), rows(&b));
        match all.iter().filter(|r| r.violation).min_by_key(|r| r.index) {
            None => assert_eq!(cut, all, "cell {} holds: every run", cell.id),
            Some(first) => {
                violated_cells += 1;
                let upto: Vec<RunRecord> = all.iter().filter(|r| r.index <= first.index).cloned().collect();
                assert_eq!(cut, upto, "cell {}", cell.id);
                assert_eq!(cut.iter().filter(|r| r.violation).count(), 1);
            }
        }
    }
    assert!(violated_cells > 0 && b.len() < a.len());
}

/// A witness of a scripted strategy carries the script's text, so it replays
/// after the script file is gone.
#[test]
fn scripted_witness_replays_without_its_file() {
    let dir = tmp("scripted");
    let script = dir.join("liar.toml");
    std::fs::write(&script, "name = \"liar\"\n[[rule]]\nfrom = 2\nsend = \"flip\"\n").unwrap();
    let plan = load(
        &dir,
        "name = \"s\"\nalgorithms = [\"om\"]\nn = 3\nf = 1\nstrategies = [\"liar.toml\"]\n\
         exhaustive = false\nruntime = \"direct\"\n",
    );
    let out = dir.join("out");
    let mut res = runner::sweep(&plan, &opts(out.clone(), None, false)).unwrap();
    let cells = report::write_all(&mut res.folder, &plan, &res.tally, "test", None).unwrap();
    let file = cells[0].witness_file().expect("OM n = 3 breaks under the liar");
    std::fs::remove_file(&script).unwrap();
    let (w, rep) = witness::replay(&out.join(file), &Registry::builtin()).unwrap();
    assert!(matches!(w.strategy, byzlab::traitor::StrategyRef::Script { .. }));
    assert_eq!(rep.outcome.strategy, "scripted:liar");
    assert!(!(rep.outcome.agreement && rep.outcome.validity));
}

/// `--out` never deletes or overwrites a file byzlab did not write: a
/// folder of someone else's is refused whole; in a results folder, files
/// of the user's survive a new sweep.
#[test]
fn a_sweep_never_touches_files_it_did_not_write() {
    let dir = tmp("foreign");
    let plan = load(&dir, SMALL_BOUND);
    let theirs = dir.join("theirs");
    std::fs::create_dir_all(&theirs).unwrap();
    std::fs::write(theirs.join("README.md"), "my notes").unwrap();
    std::fs::write(theirs.join("keep.svg"), "<svg/>").unwrap();
    let err = runner::sweep(&plan, &opts(theirs.clone(), None, false))
        .unwrap_err()
        .to_string();
    assert!(err.contains("holds no byzlab results"), "{err}");
    assert_eq!(std::fs::read_to_string(theirs.join("README.md")).unwrap(), "my notes");
    let ours = dir.join("ours");
    let mut res = runner::sweep(&plan, &opts(ours.clone(), None, false)).unwrap();
    report::write_all(&mut res.folder, &plan, &res.tally, "test", None).unwrap();
    let records = res.rows;
    drop(res);
    std::fs::write(ours.join("keep.svg"), "<svg/>").unwrap();
    std::fs::write(ours.join("witnesses").join("mine.txt"), "x").unwrap();
    let again = runner::sweep(&plan, &opts(ours.clone(), None, false)).unwrap();
    assert_eq!(again.rows, records);
    assert!(ours.join("keep.svg").exists() && ours.join("witnesses/mine.txt").exists());
    // No temporary file is left behind by the crash-safe writes.
    let leftovers: Vec<_> = std::fs::read_dir(&ours)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty());
}

/// Reproducers of the hostile-input issue: plans that used to hang, crash
/// or build hundreds of millions of runs are refused or built at once.
#[test]
fn hostile_plans_are_built_or_refused_at_once() {
    let dir = tmp("hostile");
    // The most seeds a file may ask for are visited only as far as the
    // cell keeps them.
    let huge_seeds = load(
        &dir,
        "algorithms = [\"sm\"]\nn = 4\nf = 1\nseeds = 2000000\nexhaustive = false\n",
    );
    assert_eq!(huge_seeds.total_runs(), 100_000, "capped at max_runs_per_cell");
    assert!(huge_seeds.cells[0].capped);
    let refuse = |text: &str, want: &str| {
        let file = dir.join("bad.toml");
        std::fs::write(&file, text).unwrap();
        let err = match spec::load(&file, &Registry::builtin()) {
            Err(e) => e.to_string(),
            Ok(s) => plan::build(&s, "bad.toml", &Registry::builtin())
                .unwrap_err()
                .to_string(),
        };
        assert!(err.contains(want), "{text}: {err}");
    };
    refuse(
        "algorithms = [\"om\"]\nn = 16\nf = 3\nexhaustive_limit = 1000000000\nmax_runs_per_cell = 1000000000\nseeds = 100000\n",
        "exceeds 2000000",
    );
    refuse(
        "algorithms = [\"om\"]\nn = 16\nf = 3\nexhaustive_limit = 18446744073709551615\nmax_runs_per_cell = 18446744073709551615\nseeds = 18446744073709551615\n",
        "exceeds 100000000",
    );
    refuse(
        "algorithms = [\"om\"]\nn = { from = 3, to = 10000000000 }\nf = 1\n",
        "more than 100000 values",
    );
    refuse(
        "algorithms = [\"om\"]\nn = 4\nf = { from = 0, to = 18446744073709551615 }\n",
        "more than 100000 values",
    );
    refuse(
        "algorithms = [\"om\"]\nn = 4\nf = 1\nstrategies = [\"/dev/zero\"]\n",
        "too large",
    );
    // Repeats count once: 60,000 mentions of one link are one cell, and a
    // graph file or script named thousands of times is read once.
    let links = vec!["\"authenticated\""; 60_000].join(",");
    let p = load(
        &dir,
        &format!("algorithms = [\"om\"]\nn = 4\nf = 1\nlinks = [{links}]\n"),
    );
    assert_eq!(p.cells.len(), 1);
    // Short names relative to the spec's folder, so the file stays under
    // the input-size limit wherever the checkout lives.
    std::fs::copy("experiments/graphs/bridged-k4s.toml", dir.join("g.toml")).unwrap();
    let graphs = vec!["\"g.toml\""; 20_000].join(",");
    let p = load(
        &dir,
        &format!("algorithms = [\"om\"]\nn = 8\nf = 1\ngraphs = [{graphs}]\n"),
    );
    assert_eq!(p.cells.len(), 1);
    std::fs::copy("experiments/strategies/fig1-liar.toml", dir.join("s.toml")).unwrap();
    let scripts = vec!["\"s.toml\""; 5_000].join(",");
    let p = load(
        &dir,
        &format!("algorithms = [\"om\"]\nn = 3\nf = 1\nstrategies = [{scripts}, \"flip\"]\n"),
    );
    assert_eq!(p.spec.strategies.len(), 2);
}

/// A runs.csv row that is not a run of the plan is refused on resume, not
/// followed past the end of the plan.
#[test]
fn resume_refuses_rows_of_another_plan() {
    let dir = tmp("alien-row");
    let plan = load(&dir, &format!("{SMALL_BOUND}stop_at_first_violation = true\n"));
    let out = dir.join("out");
    runner::sweep(&plan, &opts(out.clone(), None, false)).unwrap();
    let runs = out.join("runs.csv");
    let text = std::fs::read_to_string(&runs).unwrap();
    // The last row again, as run 0 of a cell 9999 the plan does not have.
    let mut fields: Vec<&str> = text.lines().last().unwrap().split(',').collect();
    fields[0] = "9999-0";
    fields[1] = "9999";
    fields[2] = "0";
    let alien = fields.join(",");
    std::fs::write(&runs, format!("{text}{alien}\n")).unwrap();
    let err = runner::sweep(&plan, &opts(out, None, true)).unwrap_err().to_string();
    assert!(err.contains("not a run of this plan"), "{err}");
}

/// Issue 20: a runs.csv edited between a sweep and its resume. A row whose
/// run is not the plan's (n changed) is refused, and a row whose outcome
/// was flipped is refused when its cell's witness is rerun, before any
/// other file is rewritten from it.
#[test]
fn resume_refuses_edited_rows_before_writing_anything() {
    let dir = tmp("edited-rows");
    let file = dir.join("e.toml");
    std::fs::write(
        &file,
        "name = \"e\"\nalgorithms = [\"om\"]\nn = [3, 4]\nf = 1\nruntime = \"direct\"\nseeds = 1\nplacements = 2\n",
    )
    .unwrap();
    let sweep = |out: &Path, resume: bool| {
        let mut args = vec![
            "sweep",
            file.to_str().unwrap(),
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ];
        if resume {
            args.push("--resume");
        }
        Command::new(env!("CARGO_BIN_EXE_byzlab")).args(&args).output().unwrap()
    };
    let out = dir.join("out");
    assert!(sweep(&out, false).status.success());
    let runs = out.join("runs.csv");
    let text = std::fs::read_to_string(&runs).unwrap();
    let edit = |from: &str, to: &str| {
        let line = text.lines().find(|l| l.contains(from)).unwrap();
        text.replacen(line, &line.replacen(from, to, 1), 1)
    };
    // n changed to 99 in a row of cell 0 (n = 3).
    std::fs::write(&runs, edit(",om,3,1,", ",om,99,1,")).unwrap();
    let before = snapshot(&out);
    let st = sweep(&out, true);
    let err = String::from_utf8_lossy(&st.stderr);
    assert_eq!(st.status.code(), Some(2), "{err}");
    assert!(
        err.contains("is not a run of this plan (its n is not the plan's)"),
        "{err}"
    );
    assert_eq!(snapshot(&out), before, "a refused resume changed files");
    // A holding run of cell 0 flipped to a violation of IC1: the cell's
    // first violation now, so its witness is rerun, and refused.
    std::fs::write(&runs, edit(",direct,true,true,false,", ",direct,false,true,true,")).unwrap();
    let before = snapshot(&out);
    let st = sweep(&out, true);
    let err = String::from_utf8_lossy(&st.stderr);
    assert_eq!(st.status.code(), Some(2), "{err}");
    assert!(err.contains("when rerun, but its row says IC1 false"), "{err}");
    for name in ["cells.csv", "summary.md", "strategies.csv"] {
        assert_eq!(
            snapshot(&out).get(name),
            before.get(name),
            "{name} was rewritten from an edited row"
        );
    }
}

/// Every file of a folder, by relative path, with its bytes.
fn snapshot(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                // (The lock file holds the writer's pid: not a result.)
                if rel != byzlab::folder::LOCK {
                    out.insert(rel, std::fs::read(&p).unwrap());
                }
            }
        }
    }
    out
}

/// A sweep killed in the middle of any of its writes (the plan, the runs.csv
/// header, each appended chunk of rows, the final rewrite of runs.csv, every
/// report file, plot and witness) and then resumed leaves exactly the files,
/// byte for byte, of a sweep never interrupted. The kill is the test hook
/// `BYZLAB_ABORT_AT_WRITE=N`: the Nth write stops half way and the process
/// aborts, as a SIGKILL at that moment would leave it.
#[test]
fn a_kill_at_every_write_resumes_to_identical_files() {
    let dir = tmp("every-write");
    let file = dir.join("exp.toml");
    // OM n = 3 fails (a witness), a few chunks of rows, both algorithms.
    std::fs::write(
        &file,
        "name = \"every\"\nalgorithms = [\"om\", \"sm\"]\nn = [3, 4]\nf = 1\nplacements = 2\nseeds = 3\n\
         runtime = \"direct\"\nexhaustive = false\n",
    )
    .unwrap();
    let bin = env!("CARGO_BIN_EXE_byzlab");
    let out = dir.join("out");
    let sweep = |abort_at: Option<usize>, resume: bool| {
        let mut cmd = Command::new(bin);
        cmd.args([
            "sweep",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--jobs",
            "1",
            "--quiet",
        ]);
        if resume {
            cmd.arg("--resume");
        }
        if let Some(n) = abort_at {
            cmd.env("BYZLAB_ABORT_AT_WRITE", n.to_string());
        }
        cmd.stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        cmd.output().unwrap()
    };
    assert!(sweep(None, false).status.success());
    let fresh = snapshot(&out);
    assert!(fresh.keys().any(|k| k.starts_with("witnesses/")), "{:?}", fresh.keys());
    let mut killed = 0;
    for n in 1.. {
        std::fs::remove_dir_all(&out).unwrap();
        let first = sweep(Some(n), false);
        if first.status.success() {
            break; // fewer than n writes: every point has been tried
        }
        killed += 1;
        let second = sweep(None, true);
        assert!(
            second.status.success(),
            "resume after a kill at write {n}: {}",
            String::from_utf8_lossy(&second.stderr)
        );
        let resumed = snapshot(&out);
        assert_eq!(
            resumed.keys().collect::<Vec<_>>(),
            fresh.keys().collect::<Vec<_>>(),
            "kill at write {n}"
        );
        for (k, v) in &fresh {
            assert!(resumed[k] == *v, "kill at write {n}: {k} differs");
        }
    }
    // plan.json, the header, rows, runs.csv again, cells.csv, summary.md,
    // README.md, plots, witnesses.
    assert!(killed >= 10, "only {killed} kill points");
}

/// Ctrl-C (SIGINT) stops a sweep: exit 130, every finished row kept, and
/// the command that finishes it printed; that command then completes it.
#[test]
fn ctrl_c_keeps_the_rows_and_says_how_to_resume() {
    let dir = tmp("sigint");
    let file = dir.join("exp.toml");
    std::fs::write(
        &file,
        "name = \"sigint\"\nalgorithms = [\"sm\"]\nn = { from = 4, to = 8 }\nf = { from = 1, to = 2 }\n\
         placements = 6\nseeds = 8\nruntime = \"direct\"\n",
    )
    .unwrap();
    let bin = env!("CARGO_BIN_EXE_byzlab");
    let out = dir.join("out");
    let runs = out.join("runs.csv");
    let (mut child, mut rest) = sweep_until_rows(&file, &out, "1", "20");
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = wait_at_most(&mut child, 120);
    let mut err = String::new();
    std::io::Read::read_to_string(&mut rest, &mut err).unwrap();
    assert_eq!(status.code(), Some(130), "{err}");
    let kept = record::read_runs(&runs).unwrap().len();
    assert!(err.contains(&format!("interrupted: {kept} of")), "{err}");
    let resume = err.lines().last().unwrap().trim();
    assert!(resume.ends_with(" --resume"), "{err}");
    let words: Vec<&str> = resume.split_whitespace().skip(1).collect();
    let st = Command::new(bin).args(&words).output().unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    assert!(String::from_utf8_lossy(&st.stdout).contains(&format!("{kept} resumed")));
}

/// A second Ctrl-C abandons a sweep whose run does not end (the hook holds
/// through the first): exit 130 from `main`, no `process::exit`, the rows on
/// disk kept, and `--resume` finishes them.
#[test]
fn a_second_ctrl_c_abandons_a_sweep_stuck_in_a_run() {
    let dir = tmp("sigint2");
    let file = dir.join("exp.toml");
    std::fs::write(&file, SMALL_BOUND).unwrap();
    let out = dir.join("out");
    let (mut child, mut rest) = sweep_until_rows(&file, &out, "1", "20,deaf");
    let pid = child.id().to_string();
    let int = || {
        let sent = Command::new("kill").args(["-INT", &pid]).status().unwrap();
        assert!(sent.success());
    };
    int();
    // Two signals sent back to back may be delivered as one (POSIX does not
    // queue them): the second goes only once the sweep heard the first.
    let mut err = String::new();
    loop {
        let mut line = String::new();
        let read = std::io::BufRead::read_line(&mut rest, &mut line).unwrap();
        assert!(read > 0, "the sweep ended at the first Ctrl-C: {err}");
        err.push_str(&line);
        if line.starts_with("byzlab test hook: interrupted") {
            break;
        }
    }
    int();
    let status = wait_at_most(&mut child, 120);
    std::io::Read::read_to_string(&mut rest, &mut err).unwrap();
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(err.contains("abandoned at the second Ctrl-C"), "{err}");
    let kept = record::read_runs(&out.join("runs.csv")).unwrap().len();
    assert!(kept >= 20, "{kept} rows kept");
    let st = Command::new(env!("CARGO_BIN_EXE_byzlab"))
        .args([
            "sweep",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
            "--resume",
        ])
        .output()
        .unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
}

/// Issue 19's reproducers: the theory column is quantified as the paper
/// quantifies (the placements that ran, a traitor commander's induction,
/// Dolev's "some placement"), and a sampled search that misses a predicted
/// break is inconclusive, never "against the theory".
#[test]
fn the_theory_column_raises_no_false_alarm() {
    use byzlab::experiment::cells::Check;
    let cases = [
        // commander = "traitor": OM(m)'s lieutenants run OM(m-1) among n-1,
        // k-1 of them traitors.
        (
            "traitor-commander",
            r#"algorithms = ["om"]
n = [3, 4, 5, 6]
f = [1, 2]
commander = "traitor"
traitors = "exactly-f"
placements = "all"
exhaustive = true
exhaustive_limit = 200000
seeds = 2
runtime = "direct""#,
        ),
        // Sampled placements: one per traitor count, here only loyal commanders.
        (
            "sampled-placements",
            r#"algorithms = ["sm", "om"]
n = [5, 6, 7, 8]
f = [1, 2]
m = "f-1"
traitors = "exactly-f"
placements = 1
seeds = 2
exhaustive = true
signatures = "ideal"
runtime = "direct""#,
        ),
        // Dolev: some placement of k traitors, not the one sampled.
        (
            "dolev-some-placement",
            r#"algorithms = ["om"]
graphs = ["GRAPH"]
n = [8]
f = [1]
traitors = "exactly-f"
placements = 1
seeds = 4
runtime = "direct""#,
        ),
    ];
    let graph = std::fs::canonicalize("experiments/graphs/bridged-k4s.toml").unwrap();
    let mut predicted_breaks = 0;
    for (name, text) in cases {
        let dir = tmp(name);
        let text = text.replace("GRAPH", &graph.display().to_string());
        let plan = load(&dir, &text);
        let mut res = runner::sweep(&plan, &opts(dir.join("out"), None, false)).unwrap();
        let cells = report::write_all(&mut res.folder, &plan, &res.tally, "test", None).unwrap();
        for c in &cells {
            assert_ne!(
                c.check(),
                Check::Against,
                "{name}: {} {} theory {:?}",
                c.cell.label(),
                c.short(),
                c.cell.theory
            );
            predicted_breaks += usize::from(c.cell.theory == Theory::Fails);
        }
        let summary = std::fs::read_to_string(dir.join("out/summary.md")).unwrap();
        assert!(
            summary.contains("Every cell the paper speaks to agrees with it."),
            "{name}"
        );
    }
    // The check can fail: some cells are predicted to break, and do.
    assert!(predicted_breaks >= 10, "{predicted_breaks}");
}

/// A sampled cell whose portfolio misses a predicted break is marked
/// inconclusive (?), and an exhaustive one that finds none would be ✗.
#[test]
fn a_missed_predicted_break_is_inconclusive_when_sampled() {
    use byzlab::experiment::cells::Check;
    // OM(2) n = 4, two traitors, one of them the commander: the induction
    // fails (3 generals, 1 traitor, OM(1)), so a break is predicted; the
    // `honest` strategy alone cannot find it.
    let dir = tmp("inconclusive");
    let plan = load(
        &dir,
        r#"algorithms = ["om"]
n = [4]
f = [2]
commander = "traitor"
traitors = "exactly-f"
strategies = ["honest"]
exhaustive = false
runtime = "direct""#,
    );
    let mut res = runner::sweep(&plan, &opts(dir.join("out"), None, false)).unwrap();
    let cells = report::write_all(&mut res.folder, &plan, &res.tally, "test", None).unwrap();
    assert_eq!(cells[0].cell.theory, Theory::Fails);
    assert_eq!(cells[0].verdict, CellVerdict::Holds);
    assert_eq!(cells[0].check(), Check::Inconclusive);
    let summary = std::fs::read_to_string(dir.join("out/summary.md")).unwrap();
    assert!(summary.contains("holds (0/") && summary.contains(" ?"), "{summary}");
    assert!(summary.contains("Inconclusive cells"), "{summary}");
    let csv = std::fs::read_to_string(dir.join("out/cells.csv")).unwrap();
    assert!(csv.contains(",inconclusive,"), "{csv}");
}

/// Rows written in any order (older versions appended them as they
/// finished) and resumed end as one file in plan order, byte for byte the
/// file of a sweep never interrupted.
#[test]
fn resume_puts_rows_of_any_order_into_plan_order() {
    let dir = tmp("any-order");
    let plan = load(&dir, SMALL_BOUND);
    let full_dir = dir.join("full");
    drop(runner::sweep(&plan, &opts(full_dir.clone(), None, false)).unwrap());
    let want = std::fs::read_to_string(full_dir.join("runs.csv")).unwrap();
    let out = dir.join("shuffled");
    drop(runner::sweep(&plan, &opts(out.clone(), None, false)).unwrap());
    let mut lines: Vec<&str> = want.lines().collect();
    let header = lines.remove(0);
    // Every third row gone, the rest reversed.
    let kept: Vec<&str> = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 3 != 0)
        .map(|(_, l)| *l)
        .rev()
        .collect();
    std::fs::write(out.join("runs.csv"), format!("{header}\n{}\n", kept.join("\n"))).unwrap();
    let res = runner::sweep(&plan, &opts(out.clone(), None, true)).unwrap();
    assert_eq!(res.resumed, kept.len());
    assert_eq!(res.rows, lines.len());
    assert_eq!(std::fs::read_to_string(out.join("runs.csv")).unwrap(), want);
}
