//! Issue 24: algorithms follow system models. The asynchronous agreement
//! (`mmr`: Bracha's broadcast of the order, MMR 2014's binary agreement)
//! keeps IC1 and IC2 under every timing and scheduler and decides; the
//! adversarial scheduler breaks the lock-step algorithms under async with no
//! traitor at all, is powerless under sync, and never breaks mmr's safety;
//! an asynchronous run ends at its budget with its undecided generals named.

use byzlab::algorithm::{MMR, OM, PHASE_KING, SM};
use byzlab::registry::Registry;
use byzlab::run::{NodeFault, RunPlan, RunSpec, RuntimeKind};
use byzlab::runtime;
use byzlab::timing::TimingModel;
use byzlab::types::{Algorithm, Outcome, Value};
use std::process::Command;

fn spec(alg: Algorithm, n: usize, f: usize, timing: TimingModel, scheduler: &str, seed: u64) -> RunSpec {
    let mut s = RunSpec::new(alg, n, f).unwrap();
    s.runtime = RuntimeKind::Direct;
    s.signatures = byzlab::run::Signatures::Ideal;
    s.timing = timing;
    s.seed = seed;
    s.scheduler = byzlab::scheduler::resolve(Registry::builtin().schedulers(), scheduler).unwrap();
    s
}

fn outcome(s: RunSpec) -> Outcome {
    let plan: RunPlan = s.validate().unwrap();
    runtime::execute(&plan).unwrap().outcome
}

/// The must-hold: seeds 1..50, n = 4, f = 1, async, a random traitor
/// drawn from the seed (the commander in some seeds).
#[test]
fn mmr_keeps_ic1_ic2_and_every_loyal_general_decides_under_async() {
    let mut commander_traitor = 0;
    for seed in 1..=50 {
        let mut s = spec(MMR, 4, 1, TimingModel::Async, "random", seed);
        s.strategy = byzlab::traitor::resolve("random").unwrap();
        let o = outcome(s);
        assert!(o.agreement && o.validity, "seed {seed}: {:?}", o.decisions);
        assert!(o.undecided.is_empty(), "seed {seed}: undecided {:?}", o.undecided);
        let loyal_lieutenants = (1..4u16).filter(|g| !o.traitors.contains(g)).count();
        assert_eq!(o.decisions.len(), loyal_lieutenants, "seed {seed}");
        assert!(o.rounds >= 1, "seed {seed}: a decision names its round");
        commander_traitor += usize::from(o.traitors.contains(&0));
    }
    assert!(
        commander_traitor > 0,
        "no seed put the traitor in the commander's place"
    );
}

#[test]
fn the_adversarial_scheduler_breaks_every_lockstep_protocol_with_no_traitor_and_never_mmrs_safety() {
    // OM(1) among 4 in at least one seed of 1..20 (the must-hold), and
    // every deterministic protocol on timeouts, with no traitor at all.
    for (alg, n) in [(OM, 4), (SM, 4), (byzlab::algorithm::DOLEV_STRONG, 4), (PHASE_KING, 5)] {
        let broken = (1..=20)
            .filter(|&seed| {
                let mut s = spec(alg, n, 1, TimingModel::Async, "adversarial", seed);
                s.traitors = Some(Vec::new());
                let o = outcome(s);
                !(o.agreement && o.validity && o.undecided.is_empty())
            })
            .count();
        assert!(broken >= 1, "{alg} survived the adversary in every seed");
    }
    for strategy in ["random", "split-brain", "silent"] {
        for seed in 1..=50 {
            let mut s = spec(MMR, 4, 1, TimingModel::Async, "adversarial", seed);
            s.strategy = byzlab::traitor::resolve(strategy).unwrap();
            if seed % 2 == 0 {
                s.traitors = Some(Vec::new());
            }
            let o = outcome(s);
            assert!(o.agreement && o.validity, "{strategy} seed {seed}: {:?}", o.decisions);
            assert!(
                o.undecided.is_empty(),
                "{strategy} seed {seed}: the adversary only delays"
            );
        }
    }
}

#[test]
fn the_adversary_is_powerless_under_sync_and_after_gst() {
    for alg in [OM, SM, PHASE_KING] {
        let n = if alg == PHASE_KING { 5 } else { 4 };
        for seed in 1..=5 {
            let random = outcome(spec(alg, n, 1, TimingModel::Sync, "random", seed));
            let adversarial = outcome(spec(alg, n, 1, TimingModel::Sync, "adversarial", seed));
            assert_eq!(adversarial.scheduler, "adversarial");
            assert_eq!(
                (random.decisions, random.counters),
                (adversarial.decisions, adversarial.counters),
                "{alg} seed {seed}: sync delays are exactly delta"
            );
            // Partial synchrony with GST = 0: at most delta, within every deadline.
            let o = outcome(spec(alg, n, 1, TimingModel::Partial, "adversarial", seed));
            assert!(o.agreement && o.validity, "{alg} seed {seed} after GST");
        }
    }
    // Before GST it holds frames till GST + delta: past OM's deadlines.
    let mut s = spec(OM, 4, 1, TimingModel::Partial, "adversarial", 1);
    s.gst = 100;
    s.traitors = Some(Vec::new());
    let o = outcome(s);
    assert!(!o.validity, "{:?}", o.decisions);
}

#[test]
fn a_run_ends_at_its_budget_and_names_who_did_not_decide() {
    // Every hold is 1,000 ms under async; a budget of 500 ms ends the run
    // before the halves hear each other.
    let mut s = spec(MMR, 4, 1, TimingModel::Async, "adversarial", 3);
    s.traitors = Some(Vec::new());
    s.budget = Some(500);
    let o = outcome(s);
    assert_eq!(o.undecided, vec![1, 2, 3]);
    assert!(o.decisions.is_empty());
    assert_eq!(o.budget_ms, Some(500));
    // A commander that crashes before it sends is a silent sender: nobody
    // can start, the queue runs dry, and every lieutenant is undecided.
    let mut s = spec(MMR, 4, 1, TimingModel::Sync, "random", 3);
    s.traitors = Some(Vec::new());
    s.faults = vec![(0, NodeFault::Crash { at: 0 })];
    let o = outcome(s);
    assert_eq!(o.undecided, vec![1, 2, 3]);
    // A lock-step algorithm refuses a budget (its run ends at its last deadline).
    let mut s = spec(OM, 4, 1, TimingModel::Sync, "random", 3);
    s.budget = Some(500);
    let err = s.validate().unwrap_err().to_string();
    assert!(err.contains("asynchronous"), "{err}");
}

#[test]
fn mmr_decides_the_commanders_order_whatever_it_is_and_the_runtimes_agree() {
    for value in Value::ALL {
        for seed in 1..=6 {
            let mut s = spec(MMR, 7, 2, TimingModel::Async, "adversarial", seed);
            s.value = value;
            s.strategy = byzlab::traitor::resolve("split-brain").unwrap();
            s.traitors = Some(vec![3, 5]);
            let direct = s.clone().validate().unwrap();
            let a = runtime::execute(&direct).unwrap().outcome;
            assert!(
                a.decisions.values().all(|v| *v == value),
                "{value} seed {seed}: {:?}",
                a.decisions
            );
            assert_eq!(a.decisions.len(), 4);
            let mut actix = s;
            actix.runtime = RuntimeKind::Actix;
            let mut b = runtime::execute(&actix.validate().unwrap()).unwrap().outcome;
            b.runtime = a.runtime.clone();
            assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
        }
    }
}

#[test]
fn the_command_line_takes_scheduler_and_budget_and_refuses_nonsense() {
    let byzlab = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_byzlab"))
            .args(args)
            .output()
            .expect("binary runs")
    };
    let out = byzlab(&[
        "run",
        "--algorithm",
        "om",
        "--n",
        "4",
        "--f",
        "1",
        "--traitors",
        "none",
        "--timing",
        "async",
        "--scheduler",
        "adversarial",
        "--seed",
        "1",
        "--json",
    ]);
    assert!(out.status.success());
    let o: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(o["scheduler"], "adversarial");
    assert_eq!(o["validity"], false, "{o}");
    let out = byzlab(&[
        "run",
        "--algorithm",
        "mmr",
        "--n",
        "4",
        "--f",
        "1",
        "--timing",
        "async",
        "--budget",
        "500",
        "--scheduler",
        "adversarial",
        "--traitors",
        "none",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1:undecided 2:undecided 3:undecided"), "{text}");
    assert!(text.contains("never decided"), "{text}");
    for (args, want) in [
        (
            vec!["--scheduler", "nasty"],
            "unknown scheduler `nasty` (expected random, adversarial)",
        ),
        (vec!["--budget", "5"], "a budget bounds an asynchronous algorithm's run"),
    ] {
        let mut all = vec!["run", "--algorithm", "om", "--n", "4", "--f", "1"];
        all.extend(args);
        let out = byzlab(&all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{all:?}");
        assert!(err.contains(want) && err.lines().count() == 1, "{all:?}: {err}");
    }
}

#[test]
fn the_models_study_writes_its_matrix() {
    let dir = std::env::temp_dir().join(format!("byzlab-models-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let file = dir.with_extension("toml");
    std::fs::write(
        &file,
        "name = \"m\"\ndescription = \"test\"\nseeds = 3\ndelta = 10\ngst = 100\nstrategy = \"random\"\n\
         flp_timeouts = [10, 1000]\n[[algorithms]]\nname = \"om\"\nn = 4\nf = 1\n[[algorithms]]\nname = \"mmr\"\nn = 4\nf = 1\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_byzlab"))
        .args([
            "models",
            file.to_str().unwrap(),
            "--out",
            dir.to_str().unwrap(),
            "--quiet",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for f in [
        "summary.md",
        "cells.csv",
        "runs.csv",
        "overview.svg",
        "om.svg",
        "mmr.svg",
        "rounds.svg",
        "README.md",
    ] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    let cells = std::fs::read_to_string(dir.join("cells.csv")).unwrap();
    assert_eq!(cells.lines().count(), 1 + 2 * 3 * 2 * 2);
    assert!(
        cells
            .lines()
            .any(|l| l.starts_with("om,4,1,async,crash,adversarial,3,3,0,safety violated")),
        "{cells}"
    );
    assert!(
        cells
            .lines()
            .filter(|l| l.starts_with("mmr,"))
            .all(|l| l.contains(",safe and live,")),
        "{cells}"
    );
    let runs = std::fs::read_to_string(dir.join("runs.csv")).unwrap();
    assert_eq!(runs.lines().filter(|l| l.starts_with("flp,om,")).count(), 2 * 3);
    // A bad file is one clear error.
    std::fs::write(&file, "name = \"m\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_byzlab"))
        .args(["models", file.to_str().unwrap(), "--out", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing field"));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&file);
}

/// The `schedulers` axis of an experiment file: each scheduler a cell
/// apart, named in the link column; an undecided run counts apart from a
/// violation; a witness replays with its scheduler.
#[test]
fn a_sweep_takes_schedulers_as_an_axis() {
    let dir = std::env::temp_dir().join(format!("byzlab-sched-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("s.toml");
    std::fs::write(
        &file,
        "name = \"s\"\nalgorithms = [\"om\", \"mmr\"]\nn = [4]\nf = [1]\nstrategies = [\"random\"]\nplacements = 2\n\
         seeds = 3\nruntime = \"direct\"\nexhaustive = false\ntimings = [\"async\"]\nfaults = [\"byzantine\", \"crash\"]\n\
         schedulers = [\"random\", \"adversarial\"]\n",
    )
    .unwrap();
    let out = dir.join("out");
    let run = Command::new(env!("CARGO_BIN_EXE_byzlab"))
        .args([
            "sweep",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let cells = std::fs::read_to_string(out.join("cells.csv")).unwrap();
    let rows: Vec<&str> = cells.lines().collect();
    assert_eq!(rows.len(), 1 + 2 * 2 * 2, "{cells}");
    let of = |alg: &str, link: &str| -> Vec<&str> {
        rows.iter()
            .filter(|l| l.contains(&format!(",{alg},")) && l.contains(&format!(",{link},")))
            .copied()
            .collect()
    };
    assert_eq!(of("om", "authenticated under adversarial").len(), 2, "{cells}");
    assert!(
        of("om", "authenticated under adversarial")
            .iter()
            .all(|l| l.contains("violated")),
        "{cells}"
    );
    assert!(
        of("mmr", "authenticated under adversarial")
            .iter()
            .all(|l| !l.contains("violated")),
        "{cells}"
    );
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    let mmr: Vec<&str> = runs.lines().filter(|l| l.contains(",mmr,")).collect();
    // mmr terminates in every run, a crashed commander included (the sweep
    // crashes it after it sent its order): no violation, nobody undecided.
    assert!(mmr.len() >= 4 * 6, "{mmr:?}");
    assert!(
        mmr.iter()
            .all(|l| l.contains(",true,true,false,") && !l.contains("=undecided")),
        "{mmr:?}"
    );
    assert!(
        rows.iter().filter(|l| l.contains(",mmr,")).all(|l| l.contains("holds")),
        "{cells}"
    );
    // The om witness under the adversary replays to its violation.
    let witness = std::fs::read_dir(out.join("witnesses"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| {
            p.extension().is_some_and(|x| x == "json")
                && std::fs::read_to_string(p)
                    .unwrap()
                    .contains("\"scheduler\": \"adversarial\"")
        })
        .expect("a witness under the adversarial scheduler");
    let replay = Command::new(env!("CARGO_BIN_EXE_byzlab"))
        .args(["replay", witness.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&replay.stdout);
    assert!(
        replay.status.success() && text.contains("scheduler=adversarial"),
        "{text}"
    );
    // An unknown scheduler is one clear error.
    std::fs::write(
        &file,
        "name = \"s\"\nalgorithms = [\"om\"]\nn = [4]\nf = [1]\nschedulers = [\"nasty\"]\n",
    )
    .unwrap();
    let bad = Command::new(env!("CARGO_BIN_EXE_byzlab"))
        .args(["sweep", file.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(2));
    assert!(err.contains("unknown scheduler `nasty`"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Lossy links made reliable (fair loss + stubborn + dedup) and an
/// arbitrary link made secure: mmr has no deadline to miss, so the
/// retransmissions only take time.
#[test]
fn mmr_holds_over_lossy_links_made_reliable() {
    for link in ["reliable", "fair-loss:0.3+stubborn+dedup", "secure"] {
        for seed in 1..=8 {
            let mut s = spec(MMR, 4, 1, TimingModel::Async, "random", seed);
            s.strategy = byzlab::traitor::resolve("random").unwrap();
            s.link = link.parse::<byzlab::link::LinkSpec>().unwrap();
            let o = outcome(s);
            assert!(
                o.agreement && o.validity && o.undecided.is_empty(),
                "{link} seed {seed}: {o:?}"
            );
        }
    }
}
