//! The table of bad inputs: command lines, experiment files, strategy
//! scripts, witnesses and frames a hostile or careless user may hand
//! byzlab, each with the exit code and a fragment of the one-line error it
//! must get. Every reproducer of the hostile-input issue is a row. Each
//! command must finish (a 60 s hang guard, not a speed claim), print exactly one `error:` line and
//! nothing on stdout (no verdict), never panic, and (where GNU time is
//! installed to measure it) stay under 200 MB.

use byzlab::registry::Registry;
use byzlab::types::Algorithm;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// What a row hands byzlab.
enum Input {
    /// `byzlab ARGS`.
    Cli(Vec<String>),
    /// `byzlab sweep FILE --out DIR` with FILE holding this text.
    Experiment(&'static str),
    /// `byzlab detect-sweep FILE --out DIR` with FILE holding this text.
    Detect(&'static str),
    /// `byzlab run --algorithm om --n 4 --f 1 --strategy FILE`.
    Script(String),
    /// `byzlab replay FILE`.
    Witness(String),
    /// A frame refused by the decoder of a live run.
    Frame(Algorithm, Vec<u8>),
}

struct Row {
    input: Input,
    /// Exit code (frames: 0, the run goes on without them).
    code: i32,
    /// A fragment of the error line.
    says: &'static str,
}

fn row(input: Input, code: i32, says: &'static str) -> Row {
    Row { input, code, says }
}

/// `byzlab run --algorithm om --n 4 --f 1` and these words.
fn om4(words: &str) -> Input {
    cli(&format!("run --algorithm om --n 4 --f 1 {words}"))
}

/// `byzlab` with these words as its arguments.
fn cli(words: &str) -> Input {
    Input::Cli(words.split_whitespace().map(String::from).collect())
}

const OM4: &str = "algorithms = [\"om\"]\nn = 4\nf = 1\n";

fn witness(edit: &dyn Fn(&mut serde_json::Value)) -> String {
    let mut w: serde_json::Value = serde_json::from_str(
        r#"{"experiment": "bound", "fingerprint": "1d7228d447ac7ea7", "cell": 0, "run_id": "0-3", "algorithm": "om",
            "n": 3, "f": 1, "m": 1, "traitors": [1], "strategy": {"kind": "enumerated", "choices": "1=0"},
            "value": "attack", "link": {"kind": "authenticated"}, "seed": 0, "runtime": "direct",
            "decisions": {"2": "retreat"}, "agreement": true, "validity": false}"#,
    )
    .unwrap();
    edit(&mut w);
    w.to_string()
}

fn rows() -> Vec<Row> {
    use Input::*;
    let max = "18446744073709551615";
    let mut rows = vec![
        // The issue's hangs and false verdicts: m that wraps.
        row(om4("--m 18446744073709551615"), 2, "n >= m + 2"),
        row(om4("--m 18446744073709551614"), 2, "n >= m + 2"),
        row(
            cli("run --algorithm sm --n 4 --f 1 --m 18446744073709551615"),
            2,
            "n >= m + 2",
        ),
        row(
            Experiment("algorithms = [\"om\"]\nn = 4\nf = 1\nm = 18446744073709551615\n"),
            2,
            "n >= m + 2",
        ),
        row(
            Experiment("algorithms = [\"sm\"]\nn = 4\nf = 1\nm = 18446744073709551615\n"),
            2,
            "n >= m + 2",
        ),
        row(
            Witness(witness(&|w| w["m"] = serde_json::json!(u64::MAX))),
            2,
            "n >= m + 2",
        ),
        // Crashes.
        row(
            Experiment("algorithms = [\"om\"]\nn = { from = 3, to = 10000000000 }\nf = 1\n"),
            2,
            "field `n`",
        ),
        row(
            Experiment("algorithms = [\"om\"]\nn = 4\nf = { from = 0, to = 18446744073709551615 }\n"),
            2,
            "field `f`",
        ),
        // Runaway memory.
        row(om4("--strategy /dev/zero"), 2, "too large"),
        row(
            Experiment("algorithms = [\"om\"]\nn = 4\nf = 1\nstrategies = [\"/dev/zero\"]\n"),
            2,
            "too large",
        ),
        row(cli("replay /dev/zero"), 2, "too large"),
        row(
            Experiment(
                "algorithms = [\"om\"]\nn = 16\nf = 5\nexhaustive_limit = 1000000000\nmax_runs_per_cell = 1000000000\n",
            ),
            2,
            "exceeds 2000000",
        ),
        row(
            Experiment(
                "algorithms = [\"om\"]\nn = 16\nf = 5\nexhaustive_limit = 18446744073709551615\nmax_runs_per_cell = 18446744073709551615\n",
            ),
            2,
            "exceeds 2000000",
        ),
        row(
            Experiment("algorithms = [\"sm\"]\nn = 4\nf = 1\nseeds = 1000000000000\n"),
            2,
            "field `seeds`",
        ),
        // Unclear messages.
        row(cli("run --algorithm om --n -3 --f 1"), 2, "-3"),
        row(cli("sweep experiments/bound.toml --jobs -1"), 2, "-1"),
        row(cli("sweep no/such/file.toml"), 2, "No such file"),
        row(
            Experiment("algorithms = [\"om\"]\nn = { from = -1, to = 4 }\nf = 1\n"),
            2,
            "a whole number >= 0",
        ),
        row(
            Experiment("algorithms = [\"om\"]\nn = [4, \"x\"]\nf = 1\n"),
            2,
            "a whole number >= 0",
        ),
        row(cli("run --algorithm om --n 40 --f 13"), 2, "1.368e21 messages"),
        row(cli("run --algorithm sm --n 4096 --f 4094"), 2, "signatures"),
        // The command line.
        row(cli("run --algorithm pm --n 4 --f 1"), 2, "unknown algorithm `pm`"),
        // Slotted ALOHA (issue 22, item 5).
        row(cli("aloha --load 0"), 2, "the offered load must be above 0"),
        row(
            cli("aloha --stations 10 --load 11"),
            2,
            "at most the number of stations (10)",
        ),
        row(cli("aloha --backoff sometimes"), 2, "unknown backoff `sometimes`"),
        row(cli("aloha --slots 0"), 2, "--slots 0"),
        row(cli("aloha --stations 1000000 --slots 1000000"), 2, "station-slots"),
        // A strategy that attacks what the algorithm lacks (issue 21).
        row(
            cli("run --algorithm phase-king --n 5 --f 1 --strategy forge"),
            2,
            "strategy `forge` does not apply to phase-king",
        ),
        row(
            cli("run --algorithm phase-king --n 5 --f 1 --strategy late-reveal"),
            2,
            "signature chains and relay paths",
        ),
        row(
            Experiment("algorithms = [\"phase-king\"]\nn = 5\nf = 1\nstrategies = [\"forge\"]\n"),
            2,
            "`forge` does not apply to phase-king",
        ),
        row(
            Experiment("algorithms = [\"phase-king\"]\nn = 5\nf = 1\ngraphs = [\"ring\"]\n"),
            2,
            "runs on the complete graph only",
        ),
        row(cli("run --n 4 --f 1"), 2, "--algorithm"),
        row(cli("run --algorithm om --f 1"), 2, "--n"),
        row(cli("run --algorithm om --n 4"), 2, "--f"),
        row(cli("run --algorithm om --n 1 --f 0"), 2, "n"),
        row(cli("run --algorithm om --n 5000 --f 1"), 2, "5000"),
        row(cli("run --algorithm om --n x --f 1"), 2, "x"),
        row(cli("run --algorithm om --n 4 --f -1"), 2, "-1"),
        row(cli("run --algorithm om --n 4 --f 9"), 2, "f"),
        row(om4("--m -1"), 2, "-1"),
        row(om4("--traitors 7"), 2, "7"),
        row(cli("run --algorithm om --n 4 --f 2 --traitors 1,1"), 2, "1"),
        row(om4("--traitors 1,2"), 2, "f = 1"),
        row(om4("--traitors a"), 2, "a"),
        row(om4("--strategy gremlin"), 2, "gremlin"),
        row(om4("--strategy missing.toml"), 2, "cannot read"),
        row(om4("--value charge"), 2, "charge"),
        row(om4("--link pigeon"), 2, "pigeon"),
        row(om4("--link dedup"), 2, "channel"),
        row(om4("--link fair-loss+fair-loss"), 2, "two channels"),
        row(om4("--link fair-loss+dedup+stubborn"), 2, "dedup"),
        row(om4("--link authenticated+auth"), 2, "authenticated"),
        row(om4("--link fair-loss+auth+auth"), 2, "repeats"),
        row(om4("--link reliable --rto 0"), 2, "rto"),
        row(om4("--link stubborn:x"), 2, "stubborn:x"),
        row(om4("--link fair-loss:2"), 2, "outside"),
        row(om4("--link arbitrary:gremlin"), 2, "gremlin"),
        row(om4("--link arbitrary:tamper@7"), 2, "outside"),
        row(om4("--adversary gremlin --link arbitrary"), 2, "gremlin"),
        row(om4("--link-rate 2"), 2, "probability"),
        row(om4("--loss 2"), 2, "probability"),
        row(om4("--dup -0.5"), 2, "probability"),
        row(
            cli("run --algorithm om --n -3 --f 1"),
            2,
            "invalid value '-3' for '--n <N>'",
        ),
        row(om4("--loss nan"), 2, "probability"),
        row(om4("--timing eventually"), 2, "eventually"),
        row(om4("--delta 0"), 2, "delta"),
        row(om4("--timeout 0"), 2, "timeout"),
        row(om4("--gst 99999999999"), 2, "exceeds"),
        row(om4("--crash 9@0"), 2, "no such general"),
        row(om4("--crash 1"), 2, "1"),
        row(om4("--crash 1@0 --crash 2@0"), 2, "counts toward f"),
        row(om4("--recover 1@20:10"), 2, "recovers at 10 ms"),
        row(om4("--omission 1:1.5"), 2, "probability"),
        row(om4("--runtime threads"), 2, "threads"),
        row(om4("--seed -1"), 2, "-1"),
        row(om4("--bogus"), 2, "--bogus"),
        row(cli("frobnicate"), 2, "frobnicate"),
        row(cli("two-generals --loss 1.5"), 2, "1.5"),
        row(cli("book-shop --algorithm om --byzantine nobody"), 2, "nobody"),
        row(cli("detect --n 1"), 2, "n"),
        row(cli("run --algorithm om --n 1 --f 0"), 2, "at least 2"),
        row(cli("run --algorithm om --n 4 --f 4"), 2, "less than n"),
        row(om4("--traitors 7"), 2, "not a general"),
        row(cli("run --algorithm om --n 4 --f 2 --traitors 1,1"), 2, "twice"),
        row(om4("--traitors x"), 2, "not a general id"),
        row(om4("--strategy sneaky"), 2, "unknown strategy"),
        row(om4("--m 5"), 2, "n >= m + 2"),
        row(cli("run --algorithm om --n 40 --f 12"), 2, "MiB"),
        row(om4("--link fair-loss --loss 2"), 2, "probability"),
        // sweep, replay and merge.
        row(cli("sweep experiments/bound.toml --jobs 0"), 2, "--jobs"),
        row(cli("sweep experiments/bound.toml --shard 3/2"), 2, "3/2"),
        row(cli("sweep experiments/bound.toml --shard 0/0"), 2, "0/0"),
        row(cli("sweep experiments"), 2, "experiments"),
        row(cli("replay no/such/witness.json"), 2, "No such file"),
        row(om4("--strategy no/such/script.toml"), 2, "No such file"),
        row(cli("replay Cargo.toml"), 2, "not a byzlab witness"),
        row(cli("merge"), 2, "DIRS"),
        row(cli("merge no/such/dir"), 2, "no/such/dir"),
        // Experiment files.
        row(Experiment(""), 2, "missing field"),
        row(Experiment("this is not toml"), 2, "bad.toml"),
        row(Experiment("algorithms = [\"om\"]\nn = 4\n"), 2, "missing field `f`"),
        row(
            Experiment("algorithms = [\"om\"]\nn = 4\nf = 1\ncolour = 3\n"),
            2,
            "colour",
        ),
        row(Experiment("algorithms = []\nn = 4\nf = 1\n"), 2, "field `algorithms`"),
        row(Experiment("algorithms = [\"pm\"]\nn = 4\nf = 1\n"), 2, "pm"),
        row(Experiment("algorithms = [\"om\"]\nn = []\nf = 1\n"), 2, "field `n`"),
        row(Experiment("algorithms = [\"om\"]\nn = 1\nf = 0\n"), 2, "field `n`"),
        row(Experiment("algorithms = [\"om\"]\nn = 5000\nf = 1\n"), 2, "5000"),
        row(
            Experiment("algorithms = [\"om\"]\nn = { from = 9, to = 4 }\nf = 1\n"),
            2,
            "field `n`",
        ),
        row(
            Experiment("algorithms = [\"om\"]\nn = 4\nf = -1\n"),
            2,
            "a whole number >= 0",
        ),
        row(
            Experiment("algorithms = [\"om\"]\nn = 4\nf = 1\nm = \"g+1\"\n"),
            2,
            "field `m`",
        ),
        row(
            Experiment("algorithms = [\"om\"]\nn = 4\nf = 1\nlinks = [\"pigeon\"]\n"),
            2,
            "field `links`",
        ),
        row(
            Experiment("algorithms = [\"om\"]\nn = 4\nf = 1\nlinks = [\"dedup\"]\n"),
            2,
            "field `links`",
        ),
        row(
            Experiment("algorithms = [\"om\"]\nn = 4\nf = 1\nstrategies = [\"nope\"]\n"),
            2,
            "nope",
        ),
        row(
            Experiment("algorithms = [\"om\"]\nn = 4\nf = 1\nstrategies = [\"missing.toml\"]\n"),
            2,
            "missing.toml",
        ),
        row(
            Experiment("algorithms = [\"om\"]\nn = 4\nf = 1\nplacements = 0\n"),
            2,
            "placements",
        ),
        row(
            Experiment("algorithms = [\"om\"]\nn = 4\nf = 1\ncommander = \"sometimes\"\n"),
            2,
            "sometimes",
        ),
        row(
            Experiment("algorithms = [\"om\"]\nn = 4\nf = 1\nvalues = [\"charge\"]\n"),
            2,
            "charge",
        ),
        row(
            Experiment("algorithms = [\"om\"]\nn = 4\nf = 1\nseeds = 0\n"),
            2,
            "seeds",
        ),
        row(
            Experiment("algorithms = [\"om\"]\nn = 4\nf = 1\nruntime = \"threads\"\n"),
            2,
            "threads",
        ),
        row(
            Experiment("algorithms = [\"om\"]\nn = 4\nf = 1\nexhaustive = \"yes\"\n"),
            2,
            "exhaustive",
        ),
        row(
            Experiment("algorithms = [\"om\"]\nn = 4\nf = 1\ntimings = [\"eventually\"]\n"),
            2,
            "eventually",
        ),
        row(
            Experiment("algorithms = [\"om\"]\nn = 4\nf = 1\ndeltas = [0]\n"),
            2,
            "field `deltas`",
        ),
        row(
            Experiment("algorithms = [\"om\"]\nn = 4\nf = 1\ntimeouts = [0]\n"),
            2,
            "field `timeouts`",
        ),
        row(
            Experiment("algorithms = [\"om\"]\nn = 4\nf = 1\ntimeouts = []\n"),
            2,
            "field `timeouts`",
        ),
        row(
            Experiment("algorithms = [\"om\"]\nn = 4\nf = 1\nfaults = [\"meteor\"]\n"),
            2,
            "meteor",
        ),
        row(
            Experiment("algorithms = [\"om\"]\nn = 4\nf = 1\nfaults = []\n"),
            2,
            "faults",
        ),
        row(
            Experiment(
                "algorithms = [\"sm\"]\nn = 40\nf = 1\nm = 30\nseeds = 100000001\nmax_runs_per_cell = 100000000\n",
            ),
            2,
            "exceeds 100000000",
        ),
        // Strategy scripts.
        row(Script("this is not toml".into()), 2, "strategy.toml"),
        row(Script("[[rule]]\nsend = \"maybe\"\n".into()), 2, "maybe"),
        row(
            Script("[[rule]]\nfrom = -1\nsend = \"flip\"\n".into()),
            2,
            "strategy.toml",
        ),
        row(Script("[[rule]]\ncolour = 1\nsend = \"flip\"\n".into()), 2, "colour"),
        row(Script("[[rule]]\nfrom = 1\n".into()), 2, "send"),
        row(
            Script("name = \"two\\nlines\"\n[[rule]]\nsend = \"flip\"\n".into()),
            2,
            "name",
        ),
        row(Script("name = \"a,b\"\n[[rule]]\nsend = \"flip\"\n".into()), 2, "name"),
        row(Script("[[rule]]\nfrom = 9\nsend = \"flip\"\n".into()), 2, "9"),
        row(
            Script(format!("x = {}1{}\n", "[".repeat(100_000), "]".repeat(100_000))),
            2,
            "strategy.toml",
        ),
        row(Script(format!("# {}\n", "x".repeat(2 << 20))), 2, "too large"),
        row(Script("[[rule]\nsend = \n".into()), 2, "line"),
        row(Script("[[rule]]\nto = 9\nsend = \"attack\"\n".into()), 2, "to = 9"),
        // Witnesses.
        row(Witness("{}".into()), 2, "not a byzlab witness"),
        row(Witness("[1, 2]".into()), 2, "not a byzlab witness"),
        row(Witness(witness(&|w| w["n"] = serde_json::json!(5000))), 2, "5000"),
        row(
            Witness(witness(&|w| w["algorithm"] = serde_json::json!("pm"))),
            2,
            "unknown algorithm `pm` (expected om, sm, dolev-strong, phase-king, mmr)",
        ),
        row(
            Witness(witness(&|w| {
                w["strategy"] = serde_json::json!({"kind": "builtin", "name": "gremlin"})
            })),
            2,
            "gremlin",
        ),
        row(Witness(witness(&|w| w["traitors"] = serde_json::json!([9]))), 2, "9"),
        row(
            Witness(witness(&|w| w["decisions"] = serde_json::json!({"2": "attack"}))),
            2,
            "did not reproduce",
        ),
        row(
            Witness(witness(&|w| w["m"] = serde_json::json!(-1))),
            2,
            "not a byzlab witness",
        ),
        row(
            Witness(witness(
                &|w| w["link"] = serde_json::json!({"kind": "arbitrary", "adversary": "gremlin", "rate": 0.5}),
            )),
            2,
            "gremlin",
        ),
        // Frames (the issue's 7-byte amplifier first).
        row(
            Frame(byzlab::algorithm::SM, vec![0x01, 0x01, 0xfc, 0xf8, 0xff, 0x7f, 0x00]),
            0,
            "frame",
        ),
        row(Frame(byzlab::algorithm::SM, vec![]), 0, "frame"),
        row(Frame(byzlab::algorithm::OM, vec![]), 0, "frame"),
        row(Frame(byzlab::algorithm::OM, vec![0x01]), 0, "frame"),
        row(Frame(byzlab::algorithm::SM, vec![0x01, 0x07]), 0, "frame"),
        row(Frame(byzlab::algorithm::OM, vec![0xff; 4096]), 0, "exceeds the limit"),
        row(
            Frame(byzlab::algorithm::SM, vec![0x00; 100_000]),
            0,
            "exceeds the limit",
        ),
        row(
            Frame(byzlab::algorithm::SM, vec![0x01, 0x01, 0x01, 0x00, 0xfb, 0xff, 0xff]),
            0,
            "frame",
        ),
    ];
    // Sizes that overflow every integer field.
    for field in ["seeds", "placements", "exhaustive_limit", "max_runs_per_cell"] {
        let text: &'static str = Box::leak(format!("{OM4}{field} = {max}0\n").into_boxed_str());
        rows.push(row(Experiment(text), 2, "bad.toml"));
    }
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    // Issue 20, severe 5, 8 and 11: bounded repetitions, failed writes,
    // the two generals' whole work.
    rows.push(row(cli(&format!("perf --reps {max} --no-sweep --out p")), 2, "--reps"));
    rows.push(row(
        cli("run --algorithm om --n 4 --f 1 --repeat 4000000000"),
        2,
        "--repeat",
    ));
    rows.push(row(cli("two-generals --trials 100000000 --acks 1000"), 2, "messengers"));
    rows.push(row(cli("two-generals --table t --trials 100000000"), 2, "messengers"));
    rows.push(row(
        cli("run --algorithm om --n 4 --f 1 --diagram /dev/full"),
        2,
        "/dev/full",
    ));
    rows.push(row(
        cli("run --algorithm om --n 4 --f 1 --diagram /nonexistent/x.svg"),
        2,
        "does not exist",
    ));
    rows.push(row(
        cli("run --algorithm om --n 4 --f 1 --diagram Cargo.toml"),
        2,
        "not written by byzlab",
    ));
    // Issue 20, severe 4: detect-sweep's count cannot wrap, and its cost is
    // estimated before it starts.
    let det = |timings: &str, seeds: &str, duration: &str| -> &'static str {
        leak(format!(
            "name = \"d\"\nn = 5\ncrashes = [\"2@1000\"]\nduration = {duration}\ninterval = 50\ndelta = 10\ngst = 0\n\
             timings = [{timings}]\ntimeouts = [100]\nadaptive = [false]\nseeds = {seeds}\n"
        ))
    };
    rows.push(row(
        Detect(det("\"sync\", \"async\"", "9223372036854775809", "4000")),
        2,
        "runs: give 1 to",
    ));
    rows.push(row(Detect(det("\"sync\"", "100000", "1000000")), 2, "messages each"));
    // A plan within the run limit whose work would take months.
    rows.push(row(
        Experiment(
            "algorithms = [\"sm\"]\nn = 40\nf = 1\nm = 30\nseeds = 10000000\nexhaustive = false\nmax_runs_per_cell = 100000000\n",
        ),
        2,
        "hours of one core",
    ));
    // Issue 20, unclear: "f--5" is no rule.
    rows.push(row(
        Experiment("algorithms = [\"om\"]\nn = 4\nf = 1\nm = \"f--5\"\n"),
        2,
        "f--5",
    ));
    // Issue 20, severe 13: memory for large n estimated before the run.
    rows.push(row(cli("run --algorithm om --n 4096 --f 1"), 2, "frames and buffers"));
    rows.push(row(cli("run --algorithm sm --n 4096 --f 1"), 2, "frames and buffers"));
    rows.push(row(cli("run --algorithm om --n 2000 --f 1"), 2, "frames and buffers"));
    // Issue 20, severe 12: retransmissions bounded before the run.
    rows.push(row(
        cli("run --algorithm om --n 7 --f 2 --link reliable --loss 1 --timeout 1000000000"),
        2,
        "could resend",
    ));
    rows.push(row(
        cli("run --algorithm sm --n 4 --f 1 --link secure --timing async --delta 1000000000 --timeout 1000000000"),
        2,
        "could resend",
    ));
    // Issue 20, unclear: errors that echo input are cut and escaped.
    rows.push(row(
        Input::Cli(vec![
            "run".into(),
            "--algorithm".into(),
            "om".into(),
            "--n".into(),
            "4".into(),
            "--f".into(),
            "1".into(),
            "--strategy".into(),
            "x".repeat(100_000),
        ]),
        2,
        "[...]",
    ));
    rows.push(row(
        Input::Cli(vec![
            "run".into(),
            "--algorithm".into(),
            "om\u{202e}\u{7}x".into(),
            "--n".into(),
            "4".into(),
            "--f".into(),
            "1".into(),
        ]),
        2,
        "\\u{202e}",
    ));
    // Issue 20, severe 1 and 2: axes counted before they are expanded.
    let list = |k: usize| (1..=k).map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    rows.push(row(
        Experiment("algorithms=[\"om\",\"sm\"]\nn={from=2,to=4096}\nf={from=5000,to=104999}\ntraitors=\"exactly-f\"\n"),
        2,
        "819000000 cells",
    ));
    rows.push(row(
        Experiment(leak(format!(
            "{OM4}deltas=[{}]\ntimeouts=[{}]\n",
            list(2000),
            list(2000)
        ))),
        2,
        "4000000 timings",
    ));
    rows.push(row(
        Experiment(leak(format!("{OM4}deltas=[{}]\n", list(100_000)))),
        2,
        "field `deltas`",
    ));
    // Issue 20, unclear: messages that name the real mistake.
    rows.push(row(om4("--link reliable+stubborn"), 2, "repeats stubborn"));
    rows.push(row(
        om4("--link fair-loss+stubborn:99999999999999999999"),
        2,
        "stubborn's rto",
    ));
    rows.push(row(om4(&format!("--link reliable --rto {max}")), 2, "stubborn's rto"));
    rows.push(row(
        cli(&format!("sweep experiments/bound.toml --jobs {max} --out o")),
        2,
        "--jobs",
    ));
    rows.push(row(
        Experiment("algorithms = [\"om\"]\nn = 4\nf = 1\nm = \"f+9223372036854775807\"\n"),
        2,
        "is more than 1000000",
    ));
    rows.push(row(
        Experiment("algorithms = [\"om\"]\nn = 4\nf = 1\nm = \"f+d-1\"\n"),
        2,
        "Theorem 4's rule",
    ));
    rows.push(row(
        cli("sweep experiments/links.toml --out Cargo.toml"),
        2,
        "is not a folder",
    ));
    rows.push(row(
        cli("sweep experiments/links.toml --out /dev/null"),
        2,
        "is not a folder",
    ));
    rows.push(row(om4("--diagram experiments"), 2, "is not a file"));
    rows.push(row(om4("--repeat 2 --trace"), 2, "--repeat"));
    rows.push(row(
        cli("perf --no-sweep --reps 1 --out Cargo.toml"),
        2,
        "is not a folder",
    ));
    // A path of two generals is sent in round 2: with round = 1 the rule
    // never fires, and it is the script's only rule.
    rows.push(row(
        Script("[[rule]]\npath = [0, 1]\nround = 1\nsend = \"silent\"\n".into()),
        2,
        "no rule fires in this run",
    ));
    // Issue 20, unclear: accepted silently before.
    rows.push(row(
        cli("detect --n 3 --crash 0@5 --crash 1@5 --crash 2@5"),
        2,
        "all 3 nodes crash",
    ));
    rows.push(row(cli("detect --n 3 --crash 0@5000000000"), 2, "crash time"));
    rows.push(row(
        Input::Witness(witness(&|w| {
            w["graph"] = serde_json::json!({"kind": "regular", "p": 0})
        })),
        2,
        "regular:0",
    ));
    rows.push(row(
        Input::Witness(witness(
            &|w| {
                w["graph"] =
                    serde_json::json!({"kind": "edges", "name": "g", "edges": [[0, 0], [0, 1], [1, 2], [2, 0]]})
            },
        )),
        2,
        "is a loop",
    ));
    rows.push(row(
        Input::Witness(witness(&|w| {
            w["strategy"] = serde_json::json!({"kind": "enumerated", "choices": "1=00000000"})
        })),
        2,
        "8 digits",
    ));
    rows.push(row(
        Input::Witness(witness(&|w| w["n"] = serde_json::json!(-1))),
        2,
        "whole number",
    ));
    rows.push(row(
        Input::Witness(witness(&|w| w["graph"] = serde_json::json!("x"))),
        2,
        "an object with a \"kind\"",
    ));
    rows
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_byzlab")
}

/// Runs byzlab with `args` in `dir`: exit code, stdout, stderr, peak KiB
/// (when GNU time is there to measure it). Kills it past the hang guard (60 s).
/// How long a refused command may take before the test calls it hung.
const HANG_GUARD: Duration = Duration::from_secs(60);

fn byzlab(dir: &Path, args: &[&str]) -> (Option<i32>, String, String, Option<u64>) {
    let gnu_time = Path::new("/usr/bin/time").exists();
    let mut cmd = if gnu_time {
        let mut c = Command::new("/usr/bin/time");
        c.args(["-f", "peak-kib=%M", "-o", "peak.txt", bin()]);
        c
    } else {
        Command::new(bin())
    };
    // Its own process group, so that a timeout kills byzlab too, not only
    // the GNU time around it.
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let child = cmd
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read its output while waiting (a long error must not block on a full
    // pipe), and give up after HANG_GUARD: a guard against a command that
    // starts its work or hangs, not a speed claim (a refusal takes a few
    // milliseconds; on a loaded 2-core CI machine with the other tests
    // running beside it, a tight bound would flake).
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = match rx.recv_timeout(HANG_GUARD) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", "--", &format!("-{pid}")]).status();
            panic!("byzlab {args:?} did not finish within {HANG_GUARD:?}: it hangs or does the work");
        }
    };
    let peak = std::fs::read_to_string(dir.join("peak.txt"))
        .ok()
        .and_then(|t| t.lines().find_map(|l| l.strip_prefix("peak-kib=")?.trim().parse().ok()));
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        peak,
    )
}

#[test]
fn every_bad_input_gets_one_clear_error() {
    let dir = std::env::temp_dir().join(format!("byzlab-bad-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let rows = rows();
    assert!(rows.len() >= 100, "only {} rows", rows.len());
    let mut failures = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let work = dir.join(format!("row-{i}"));
        std::fs::create_dir_all(&work).unwrap();
        let file = |name: &str, text: &str| {
            let p = work.join(name);
            std::fs::write(&p, text).unwrap();
            p.display().to_string()
        };
        let args: Vec<String> = match &r.input {
            Input::Frame(alg, bytes) => {
                let refused = byzlab::fuzzing::refusal(*alg, bytes);
                let why = refused.unwrap_or_else(|| panic!("row {i}: frame {bytes:02x?} was not refused"));
                assert!(why.contains(r.says), "row {i}: {why:?} lacks {:?}", r.says);
                assert_eq!(r.code, 0);
                // And a live run takes it in its stride.
                let mut input = vec![u8::from(*alg == byzlab::algorithm::SM), 0, 1, 2];
                input.extend_from_slice(bytes);
                assert!(byzlab::fuzzing::frame(&input));
                continue;
            }
            Input::Cli(a) => a
                .iter()
                .map(|s| {
                    if s.starts_with("experiments") || s == "Cargo.toml" {
                        root.join(s).display().to_string()
                    } else {
                        s.clone()
                    }
                })
                .collect(),
            Input::Experiment(text) => vec!["sweep".into(), file("bad.toml", text), "--out".into(), "out".into()],
            Input::Detect(text) => vec![
                "detect-sweep".into(),
                file("det.toml", text),
                "--out".into(),
                "out".into(),
            ],
            Input::Script(text) => {
                let p = file("strategy.toml", text);
                ["run", "--algorithm", "om", "--n", "4", "--f", "1", "--strategy", &p]
                    .iter()
                    .map(|s| s.to_string())
                    .collect()
            }
            Input::Witness(text) => vec!["replay".into(), file("witness.json", text)],
        };
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, stdout, stderr, peak) = byzlab(&work, &argv);
        let shown = if argv.iter().any(|a| a.len() > 200) {
            "(long input)".to_string()
        } else {
            format!("{argv:?}")
        };
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.starts_with("peak-kib=")).collect();
        let line = lines.first().copied().unwrap_or("");
        let wrong = if code != Some(r.code) {
            Some(format!("exit {code:?}, not {}", r.code))
        } else if !stdout.is_empty() {
            Some(format!("printed {stdout:?}"))
        } else if stderr.contains("panicked") || stderr.contains("backtrace") {
            Some("panicked".into())
        } else if lines.len() != 1 || !line.starts_with("error: ") {
            Some(format!("{} lines, not one error line", lines.len()))
        } else if [
            "IntAxis",
            "OneOrMany",
            "MField",
            "MAxis",
            "PlacementField",
            "untagged",
            "usize",
            "u64",
            "u32",
            "GraphSpec",
            "internally tagged",
            "struct ",
        ]
        .iter()
        .any(|t| line.contains(t))
        {
            Some("names an internal type".into())
        } else if line.matches("(os error").count() > 1 {
            Some("repeats the OS error".into())
        } else if line.len() >= 1000 {
            Some(format!("a {} byte error line", line.len()))
        } else if line
            .chars()
            .any(|c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c))
        {
            Some("a raw control or bidi character".into())
        } else if !line.contains(r.says) {
            Some(format!("lacks {:?}", r.says))
        } else if peak.is_some_and(|kib| kib >= 200 * 1024) {
            Some(format!("peak {peak:?} KiB"))
        } else {
            None
        };
        if let Some(w) = wrong {
            failures.push(format!("row {i} {shown}: {w}: {}", stderr.trim_end()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows wrong:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

/// `--out` never overwrites a folder that is not byzlab's: a README.md and
/// a keep.svg already there survive (the sweep refuses the folder).
#[test]
fn a_foreign_out_folder_is_refused_and_left_alone() {
    let dir = std::env::temp_dir().join(format!("byzlab-foreign-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("README.md"), "mine").unwrap();
    std::fs::write(dir.join("keep.svg"), "<svg/>").unwrap();
    std::fs::write(dir.join("exp.toml"), format!("{OM4}runtime = \"direct\"\n")).unwrap();
    let (code, _, stderr, _) = byzlab(&dir, &["sweep", "exp.toml", "--out", "."]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("holds no byzlab results"), "{stderr}");
    assert_eq!(std::fs::read_to_string(dir.join("README.md")).unwrap(), "mine");
    assert_eq!(std::fs::read_to_string(dir.join("keep.svg")).unwrap(), "<svg/>");
}

/// The issue's plans that built about 172 M runs in memory (OM n = 16 with
/// exhaustive and per-cell limits of 1e9) are refused (table above); at the
/// largest limits a file may give, the plan is built fast and bounded: the
/// exhaustive search is counted before it is built and falls back to
/// sampling.
#[test]
fn huge_search_limits_build_bounded_plans() {
    use byzlab::experiment::{plan, spec};
    let text = "algorithms = [\"om\"]\nn = 16\nf = 5\nexhaustive_limit = 2000000\nmax_runs_per_cell = 2000000\n";
    let s = spec::parse(text, "t.toml", "t", None, &Registry::builtin()).unwrap();
    let p = plan::build(&s, "t.toml", &Registry::builtin()).unwrap();
    assert!(p.total_runs() as u64 <= plan::MAX_TOTAL_RUNS);
    assert!(p.cells.iter().all(|c| c.search != plan::Search::Exhaustive));
}

/// Issue 20: valid inputs that were accepted silently, printed half a
/// line, or took gigabytes for a trace. Each runs (exit 0) within 200 MB
/// where GNU time can tell, prints what it should and warns of what is odd.
#[test]
fn valid_inputs_run_small_and_say_what_is_odd() {
    let dir = std::env::temp_dir().join(format!("byzlab-valid-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let om = "run --algorithm om --runtime direct";
    let cases = [
        (
            format!("{om} --n 3 --f 5 --m 1 --traitors 1"),
            "OM(1)",
            "--f 5 is not below --n 3",
        ),
        (
            format!("{om} --n 4 --f 1 --crash 1@100000"),
            "faults    benign 1:crash@100000",
            "general 1 fails at t=100000, after the run decided at t=20",
        ),
        (
            format!("{om} --n 4 --f 1 --crash 0@10"),
            "commander faulty (crash@10)  order=attack",
            "",
        ),
        (
            format!("{om} --n 4 --f 1 --signatures ideal"),
            "OM(1)",
            "--signatures ideal has no effect",
        ),
        (format!("{om} --n 4 --f 1 --gst 100"), "OM(1)", "--gst has no effect"),
        (
            format!("{om} --n 3 --f 1 --traitors 2 --strategy experiments/strategies/fig1-liar.toml"),
            "IC2 validity VIOLATED",
            "rule 1 never fires in this run",
        ),
        // 21 million messages, sketched as they go: a diagram of a few KB.
        (
            format!("{om} --n 20 --f 5 --diagram d.svg"),
            "IC1 agreement holds",
            "diagram of the run in d.svg",
        ),
    ];
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for (args, out_has, err_has) in &cases {
        let argv: Vec<String> = args
            .split_whitespace()
            .map(|a| {
                if a.starts_with("experiments/") {
                    root.join(a).display().to_string()
                } else {
                    a.to_string()
                }
            })
            .collect();
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let (code, stdout, stderr, peak) = byzlab(&dir, &argv);
        assert_eq!(code, Some(0), "{args}: {stderr}");
        assert!(stdout.contains(out_has), "{args}: {stdout}");
        assert!(stderr.contains(err_has), "{args}: {stderr}");
        assert!(!stdout.contains("sent \n"), "{args}: {stdout}");
        assert!(peak.is_none_or(|kib| kib < 200 * 1024), "{args}: peak {peak:?} KiB");
    }
    // The same run's trace printed whole (21 million lines, about 2 GB of
    // JSON) goes out as it is made: the process stays small.
    if Path::new("/usr/bin/time").exists() {
        let st = Command::new("/usr/bin/time")
            .args(["-f", "%M", "-o"])
            .arg(dir.join("peak.txt"))
            .arg(bin())
            .args([
                "run",
                "--algorithm",
                "om",
                "--n",
                "20",
                "--f",
                "5",
                "--runtime",
                "direct",
                "--trace",
                "--json",
            ])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success());
        let kib: u64 = std::fs::read_to_string(dir.join("peak.txt"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(
            kib < 200 * 1024,
            "a streamed trace of OM(5) among 20 peaked at {kib} KiB"
        );
    }
    let svg = std::fs::read_to_string(dir.join("d.svg")).unwrap();
    assert!(
        svg.len() < 100_000 && svg.contains("1729 frames (21029599 values): one summary per round"),
        "{} bytes",
        svg.len()
    );
    // A trace streamed as JSON is one object whose `trace` has a line per
    // message (OM(2) among 7: 6 + 30 + 120 = 156).
    let json: Vec<&str> = "run --algorithm om --n 7 --f 2 --runtime direct --trace --json"
        .split_whitespace()
        .collect();
    let (code, stdout, stderr, _) = byzlab(&dir, &json);

    assert_eq!(code, Some(0), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["trace"].as_array().map(Vec::len), Some(156));
    assert_eq!(v["messages"], 156);
}

/// A trace asked for whole, in a run's report, is refused up front when it
/// could not fit (the command line streams it instead).
#[test]
fn a_trace_too_big_to_keep_is_refused_before_the_run() {
    let mut spec = byzlab::run::RunSpec::new(byzlab::algorithm::OM, 20, 5).unwrap();
    spec.trace = true;
    spec.runtime = byzlab::run::RuntimeKind::Direct;
    let plan = spec.validate().unwrap();
    let err = byzlab::runtime::execute(&plan).unwrap_err().to_string();
    assert!(
        err.contains("trace would hold about") && err.contains("--diagram"),
        "{err}"
    );
    // Within the limit it is kept.
    let small = plan.vary(|s| (s.n, s.f, s.m, s.traitors) = (7, 2, None, None)).unwrap();
    assert_eq!(byzlab::runtime::execute(&small).unwrap().trace.len(), 156);
}
