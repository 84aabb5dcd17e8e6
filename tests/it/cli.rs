//! The `byzlab` command line as a user meets it: the documented flags work,
//! and every kind of bad input gets one clear error line and exit code 2,
//! never a panic.

use std::process::{Command, Output};

fn byzlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_byzlab"))
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("binary runs")
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = byzlab(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

/// OM(1), n = 4, lieutenant 3 a traitor who flips (the paper's Fig. 3), as JSON.
fn fig3_flip() -> serde_json::Value {
    json(&[
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
        "--json",
    ])
}

#[test]
fn run_json_has_the_documented_fields() {
    let v = fig3_flip();
    for key in [
        "algorithm",
        "n",
        "f",
        "m",
        "traitors",
        "commander_loyal",
        "value",
        "decisions",
        "agreement",
        "validity",
        "messages",
        "bytes",
        "rounds",
        "seed",
    ] {
        assert!(v.get(key).is_some(), "missing {key} in {v}");
    }
    assert_eq!(v["messages"], 9);
    assert_eq!(v["decisions"]["1"], "attack");
    assert_eq!(v["decisions"]["2"], "attack");
    assert!(v["decisions"].get("3").is_none(), "traitors are not in decisions");
    assert_eq!(v["runtime"], "actix");
    assert_eq!(v["m"], 1);
}

#[test]
fn defaults_place_traitors_from_the_seed() {
    let args = [
        "run",
        "--algorithm",
        "sm",
        "--n",
        "7",
        "--f",
        "2",
        "--seed",
        "5",
        "--json",
    ];
    let a = json(&args);
    let b = json(&args);
    assert_eq!(a, b);
    assert_eq!(a["traitors"].as_array().unwrap().len(), 2);
    assert_eq!(a["strategy"], "split-brain");
    assert_eq!(a["value"], "attack");
    assert_eq!(a["link"], "authenticated");
}

#[test]
fn trace_prints_every_message() {
    let out = byzlab(&[
        "run",
        "--algorithm",
        "om",
        "--n",
        "4",
        "--f",
        "1",
        "--traitors",
        "2",
        "--trace",
        "--runtime",
        "direct",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<_> = text.lines().filter(|l| l.starts_with("round=")).collect();
    assert_eq!(lines.len(), 9);
    assert!(lines[3].contains("round=2 from=1 to=2 path=0:1"), "{}", lines[3]);
    assert!(text.contains("IC1 agreement holds"));
    // As JSON, each message is an object: SM chains as lists of signers.
    let v = json(&[
        "run",
        "--algorithm",
        "sm",
        "--n",
        "4",
        "--f",
        "1",
        "--traitors",
        "none",
        "--trace",
        "--json",
    ]);
    let trace = v["trace"].as_array().unwrap();
    assert_eq!(trace.len() as u64, v["messages"].as_u64().unwrap());
    let relay = trace.iter().find(|m| m["round"] == 2).unwrap();
    assert_eq!(relay["path"].as_array().unwrap().len(), 2, "{relay}");
    assert_eq!(relay["path"][0], 0);
    assert_eq!(relay["from"], relay["path"][1]);
    assert_eq!(relay["value"], "attack");
    assert_eq!(relay["link"], "delivered");
    assert_eq!(relay["t"], 20);
}

#[test]
fn scripted_strategy_file_runs() {
    let dir = std::env::temp_dir().join(format!("byzlab-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("lie.toml");
    std::fs::write(&file, "[[rule]]\nto = 1\nsend = \"retreat\"\n").unwrap();
    let v = json(&[
        "run",
        "--algorithm",
        "om",
        "--n",
        "3",
        "--f",
        "1",
        "--traitors",
        "2",
        "--strategy",
        file.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(v["decisions"]["1"], "retreat"); // Fig. 1
    assert_eq!(v["validity"], false);
    assert_eq!(v["strategy"], "scripted:lie");
}

#[test]
fn strategies_lists_every_builtin() {
    let out = byzlab(&["strategies"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let strategies = byzlab::traitor::builtins().iter().map(|s| s.name);
    let adversaries = byzlab::link::Adversaries::builtin();
    let names: Vec<&str> = strategies
        .chain(adversaries.entries().iter().map(|e| e.name.as_str()))
        .collect();
    assert!(names.contains(&"late-reveal") && names.contains(&"replay"));
    for name in names {
        // Each listed on a line of its own, with its description.
        let listed = text
            .lines()
            .any(|l| l.split_whitespace().next() == Some(name) && l.len() > name.len() + 4);
        assert!(listed, "{name} missing from:\n{text}");
    }
}

#[test]
fn arbitrary_links_run_and_report_link_actions() {
    let v = json(&[
        "run",
        "--algorithm",
        "sm",
        "--n",
        "7",
        "--f",
        "0",
        "--traitors",
        "none",
        "--link",
        "arbitrary",
        "--link-rate",
        "1",
        "--adversary",
        "tamper",
        "--json",
    ]);
    assert!(v["link_tampered"].as_u64().unwrap() > 0);
    assert!(v["frames_rejected"].as_u64().unwrap() + v["orders_rejected"].as_u64().unwrap() > 0);
}

/// Every counter of the table is documented where users read the columns.
#[test]
fn every_counter_is_documented() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/experiments/README.md")).unwrap();
    for name in byzlab::types::Counters::NAMES {
        assert!(
            doc.contains(&format!("`{name}`")),
            "experiments/README.md does not document `{name}`"
        );
    }
}

/// Timing, as the timing issue states it: the sync default reports what
/// lock-step rounds always gave and never a late frame; a short timeout
/// under async makes loyal generals absent and breaks OM with no traitor;
/// partial synchrony with GST = 0 and the default timeout holds.
#[test]
fn timing_models_from_the_command_line() {
    let v = fig3_flip();
    assert_eq!(v["messages"], 9);
    assert_eq!(v["decisions"]["1"], "attack");
    assert_eq!(
        (v["timing"].as_str(), v["late_frames"].as_u64()),
        (Some("sync"), Some(0))
    );
    assert_eq!(
        (v["timeout_ms"].as_u64(), v["decision_time_ms"].as_u64()),
        (Some(10), Some(20))
    );
    let mut late_seeds = 0;
    let mut broken = 0;
    for seed in 1..=20 {
        let s = seed.to_string();
        let base = [
            "run",
            "--algorithm",
            "om",
            "--n",
            "7",
            "--f",
            "2",
            "--traitors",
            "none",
            "--seed",
            &s,
            "--json",
        ];
        let a = json(&[&base[..], &["--timing", "async", "--timeout", "5"]].concat());
        late_seeds += usize::from(a["late_frames"].as_u64().unwrap() > 0);
        broken += usize::from(!(a["agreement"].as_bool().unwrap() && a["validity"].as_bool().unwrap()));
        let p = json(&[&base[..], &["--timing", "partial", "--gst", "0"]].concat());
        assert_eq!(p["late_frames"], 0, "seed {seed}");
        assert!(
            p["agreement"].as_bool().unwrap() && p["validity"].as_bool().unwrap(),
            "seed {seed}"
        );
    }
    assert!(
        late_seeds > 10 && broken > 0,
        "{late_seeds} seeds with late frames, {broken} broken"
    );
}

/// The failure detector: a crash is detected after it happens; under
/// partial synchrony the adaptive detector suspects no live node after GST.
#[test]
fn detector_from_the_command_line() {
    let detect = |extra: &[&str]| {
        let base = [
            "detect",
            "--n",
            "5",
            "--crash",
            "2@1000",
            "--duration",
            "5000",
            "--json",
        ];
        json(&[&base[..], extra].concat())
    };
    let v = detect(&[]);
    assert!(v["detection_ms"]["first"].as_u64().unwrap() > 1000);
    assert!(v["heartbeats"].as_u64().unwrap() > 0);
    let partial = ["--timing", "partial", "--gst", "2000", "--timeout", "40"];
    let fixed = detect(&partial);
    assert!(fixed["suspicions_after_gst"].as_u64().unwrap() > 0);
    let adaptive = detect(&[&partial[..], &["--adaptive"]].concat());
    assert_eq!(adaptive["suspicions_after_gst"], 0);
    assert!(adaptive["false_suspicions"].as_u64().unwrap() > 0, "it had to learn");
}

/// The lecture's scenarios and the fault flags from the command line.
#[test]
fn scenarios_and_faults_from_the_command_line() {
    let v = json(&[
        "two-generals",
        "--loss",
        "0.2",
        "--acks",
        "3",
        "--trials",
        "10000",
        "--seed",
        "1",
        "--json",
    ]);
    let fraction = v["fraction"].as_f64().unwrap();
    assert!(fraction > 0.0 && fraction < 1.0, "{fraction}");
    let om = json(&["book-shop", "--algorithm", "om", "--byzantine", "shop", "--json"]);
    assert_eq!(om["consistent"], false);
    let sm = json(&["book-shop", "--algorithm", "sm", "--byzantine", "shop", "--json"]);
    assert_eq!(sm["consistent"], true);
    let crash = json(&[
        "run",
        "--algorithm",
        "om",
        "--n",
        "4",
        "--f",
        "1",
        "--crash",
        "3@0",
        "--json",
    ]);
    assert!(crash["agreement"].as_bool().unwrap() && crash["validity"].as_bool().unwrap());
    assert_eq!(crash["failed"][0], "3:crash@0");
    let silent = json(&[
        "run",
        "--algorithm",
        "om",
        "--n",
        "4",
        "--f",
        "1",
        "--crash",
        "0@0",
        "--json",
    ]);
    for g in ["1", "2", "3"] {
        assert_eq!(silent["decisions"][g], "retreat");
    }
    // Bad combinations are rows of tests/bad_inputs.rs.
}

/// A flag that has no effect in the run asked for gets a warning, and the
/// run still happens; the same flags where they act get none.
#[test]
fn flags_without_effect_are_pointed_out() {
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
        "--strategy",
        "flip",
        "--adversary",
        "tamper",
        "--rto",
        "30",
        "--runtime",
        "direct",
    ]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    for want in [
        "warning: --adversary has no effect: --link authenticated has no arbitrary channel",
        "warning: --rto has no effect",
        "warning: --strategy flip has no effect: the run has no traitor",
    ] {
        assert!(err.contains(want), "{want}: {err}");
    }
    let out = byzlab(&[
        "run",
        "--algorithm",
        "om",
        "--n",
        "4",
        "--f",
        "1",
        "--link",
        "arbitrary",
        "--adversary",
        "tamper",
        "--link-rate",
        "0.5",
        "--runtime",
        "direct",
    ]);
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("warning"));
}

/// `--diagram` draws a run: one arrow (ending in a dot) per message, the
/// traitor's lane marked; a committed witness replays into a diagram too.
#[test]
fn runs_and_witnesses_draw_space_time_diagrams() {
    let dir = std::env::temp_dir().join(format!("byzlab-diagram-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let x = dir.join("x.svg");
    let out = byzlab(&[
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
        "--diagram",
        x.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let svg = std::fs::read_to_string(&x).unwrap();
    assert_eq!(svg.matches("<circle").count(), 9, "one arrow head per message");
    assert!(svg.contains("3 lieutenant, traitor") && svg.contains("decides attack"));
    let witness = concat!(env!("CARGO_MANIFEST_DIR"), "/results/bound/witnesses/cell-4.json");
    let y = dir.join("y.svg");
    let out = byzlab(&["replay", witness, "--diagram", y.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let svg = std::fs::read_to_string(&y).unwrap();
    assert!(
        svg.contains("withheld from"),
        "the silent traitors' withheld values are marked"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The labels of a diagram (plotters writes each as `<text x=.. y=..
/// dy="0.76em" text-anchor="start" font-size=..>TEXT</text>`): the box
/// each takes, its top left at (x, y), a character 0.6 em wide.
fn diagram_labels(svg: &str) -> Vec<(f64, f64, f64, f64, String)> {
    let attr = |tag: &str, name: &str| -> Option<f64> {
        let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        tag[at..].split('"').next()?.parse().ok()
    };
    svg.split("<text ")
        .skip(1)
        .filter_map(|t| {
            let (tag, rest) = t.split_once('>')?;
            let tag = &format!(" {tag}");
            if !tag.contains("text-anchor=\"start\"") || !tag.contains("dy=\"0.76em\"") {
                return None;
            }
            let text = rest.split("</text>").next()?.trim().to_string();
            let (x, y, size) = (attr(tag, "x")?, attr(tag, "y")?, attr(tag, "font-size")?);
            let w = text.chars().count() as f64 * size * 0.6;
            Some((x, y, x + w, y + size, text))
        })
        .collect()
}

/// Issue 25 item 5: a diagram draws one arrow per frame, not per value;
/// no label covers another (OM(2) among 7: up to eight values used to be
/// drawn on one spot in round 3); SM arrows give the chain and what the
/// receiver did with the order; a graph run names its graph.
#[test]
fn diagrams_label_frames_apart_with_chains_verdicts_and_graph() {
    let dir = std::env::temp_dir().join(format!("byzlab-diagram-labels-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let draw = |name: &str, args: &[&str]| -> String {
        let file = dir.join(name);
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--diagram", file.to_str().unwrap()]);
        let out = byzlab(&all);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        std::fs::read_to_string(&file).unwrap()
    };
    let om = [
        "run",
        "--algorithm",
        "om",
        "--n",
        "7",
        "--f",
        "2",
        "--traitors",
        "0,3",
        "--seed",
        "1",
    ];
    let svg = draw("om7.svg", &om);
    // 6 frames in round 1, 30 in round 2, 30 in round 3 (120 values).
    assert_eq!(svg.matches("<circle").count(), 66, "one arrow head per frame");
    let labels = diagram_labels(&svg);
    assert!(labels.len() > 60, "frames are labelled: {}", labels.len());
    assert!(
        labels.iter().any(|l| l.4.split(' ').count() == 4),
        "a round-3 frame lists its four values with their relays"
    );
    for (i, a) in labels.iter().enumerate() {
        for b in &labels[i + 1..] {
            let apart = a.2 <= b.0 || b.2 <= a.0 || a.3 <= b.1 || b.3 <= a.1;
            assert!(apart, "labels cover each other: {:?} and {:?}", a, b);
        }
    }
    // 225 frames (3,609 values) are drawn one by one, not summarised.
    let svg = draw("om10.svg", &["run", "--algorithm", "om", "--n", "10", "--f", "3"]);
    assert_eq!(svg.matches("<circle").count(), 225);
    assert!(!svg.contains("one summary per round"));
    // SM: chains and verdicts; a rejected forgery ends in a cross.
    let svg = draw(
        "sm.svg",
        &[
            "run",
            "--algorithm",
            "sm",
            "--n",
            "5",
            "--f",
            "2",
            "--traitors",
            "1,2",
            "--strategy",
            "forge",
        ],
    );
    let labels: Vec<String> = diagram_labels(&svg).into_iter().map(|l| l.4).collect();
    assert!(labels.iter().any(|l| l == "A 0: took"), "{labels:?}");
    assert!(
        labels.iter().any(|l| l.ends_with(": ignored") && l.contains("0:")),
        "{labels:?}"
    );
    assert!(labels.iter().any(|l| l.ends_with(": rejected")), "{labels:?}");
    // A graph is named; what a traitor withheld is not guessed from the
    // complete graph's recipients (2 has no edge to 5 on regular:4).
    let svg = draw(
        "ring.svg",
        &[
            "run",
            "--algorithm",
            "om",
            "--n",
            "7",
            "--f",
            "1",
            "--graph",
            "regular:4",
            "--traitors",
            "2",
            "--strategy",
            "silent",
        ],
    );
    assert!(svg.contains(", graph regular:4,"));
    assert!(
        !svg.contains("withheld from"),
        "no withheld marks off the complete graph"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `byzlab ... | head`: a reader that closes the pipe early ends the
/// command quietly (exit 141, as a shell reports SIGPIPE), never with a
/// panic and its backtrace. The explanation of OM(3) among 10 (about
/// 140 KB) is more than a pipe holds, so the writer meets the closed pipe.
#[test]
fn a_closed_pipe_ends_the_command_quietly() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_byzlab"))
        .args(["run", "--algorithm", "om", "--n", "10", "--f", "3", "--explain"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("OM(3)"), "{first}");
    // The reader is gone (dropped with its BufReader).
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked") && !err.contains("backtrace"), "{err}");
    assert_eq!(out.status.code(), Some(141), "{err}");
}

/// Issue 25 item 3: every frame a general is handed gets one verdict line
/// saying what it did with it: took, ignored, rejected with the reason,
/// refused, or late.
#[test]
fn traces_say_what_each_receiver_did_with_each_frame() {
    let text = |args: &[&str]| {
        let out = byzlab(args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // SM, two forging lieutenants: forged orders are rejected with the
    // reason, known values ignored unverified.
    let sm = text(&[
        "run",
        "--algorithm",
        "sm",
        "--n",
        "5",
        "--f",
        "2",
        "--traitors",
        "1,2",
        "--strategy",
        "forge",
        "--trace",
        "--runtime",
        "direct",
    ]);
    let frames: std::collections::BTreeSet<(String, String, String)> = sm
        .lines()
        .filter(|l| l.starts_with("round=") && l.contains("link=delivered"))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0].to_string(), f[1].to_string(), f[2].to_string())
        })
        .collect();
    let verdicts: Vec<&str> = sm.lines().filter(|l| l.starts_with("  verdict ")).collect();
    assert_eq!(verdicts.len(), frames.len(), "one verdict per delivered frame:\n{sm}");
    assert!(verdicts.iter().any(|v| v.contains("rejected: bad signature")), "{sm}");
    assert!(
        verdicts
            .iter()
            .any(|v| v.contains("ignored: its value is in V already")),
        "{sm}"
    );
    let rejected = verdicts.iter().map(|v| v.matches(" rejected: ").count()).sum::<usize>();
    let counted: usize = sm
        .split_whitespace()
        .find_map(|w| w.strip_prefix("orders_rejected="))
        .map_or(0, |n| n.parse().unwrap());
    assert_eq!(rejected, counted, "{sm}");
    // OM: the value a traitor relays is named by its path, the sender's.
    let om = text(&[
        "run",
        "--algorithm",
        "om",
        "--n",
        "3",
        "--f",
        "1",
        "--traitors",
        "2",
        "--strategy",
        "flip",
        "--trace",
        "--runtime",
        "direct",
    ]);
    assert!(
        om.contains("  verdict round=2 from=2 to=1 t=20: took 0:2=retreat"),
        "{om}"
    );
    // A frame after its deadline is late, as often as the counter says.
    let late = text(&[
        "run",
        "--algorithm",
        "om",
        "--n",
        "4",
        "--f",
        "1",
        "--timing",
        "async",
        "--timeout",
        "10",
        "--seed",
        "3",
        "--trace",
        "--runtime",
        "direct",
    ]);
    let said = late.lines().filter(|l| l.contains(": late: after round")).count();
    let counted: usize = late
        .split_whitespace()
        .find_map(|w| w.strip_prefix("late_frames="))
        .map_or(0, |n| n.parse().unwrap());
    assert!(
        said > 0 && said == counted,
        "{said} late verdicts, {counted} late frames:\n{late}"
    );
    // Frames that do not decode are refused with why.
    let flood = text(&[
        "run",
        "--algorithm",
        "om",
        "--n",
        "4",
        "--f",
        "1",
        "--traitors",
        "2",
        "--strategy",
        "flood",
        "--trace",
        "--runtime",
        "direct",
    ]);
    assert!(flood.contains("to=1 t=20: refused the frame: "), "{flood}");
    // Spoofed frames claim senders and rounds OM has not: refused with why,
    // under both runtimes, and no describer is asked to make sense of them.
    for runtime in ["actix", "direct"] {
        for seed in ["1", "2", "3"] {
            let spoofed = text(&[
                "run",
                "--algorithm",
                "om",
                "--n",
                "5",
                "--f",
                "1",
                "--traitors",
                "none",
                "--link",
                "arbitrary:spoof@0.5",
                "--trace",
                "--seed",
                seed,
                "--runtime",
                runtime,
            ]);
            assert!(spoofed.contains(": refused the frame: "), "{spoofed}");
        }
    }
}
