//! Output folders (issue 20, items 6 and 7): no command writes over or
//! deletes a file it did not write, follows a link, or shares a folder with
//! another byzlab process writing it.

use byzlab::registry::Registry;
use std::path::{Path, PathBuf};
use std::process::Command;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("byzlab-folders-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The words of a command line.
fn words(line: &str) -> Vec<&str> {
    line.split(' ').collect()
}

fn byzlab(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_byzlab"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const SMALL: &str = "algorithms = [\"om\"]\nn = [3, 4]\nf = 1\nruntime = \"direct\"\n";
const DETECT: &str = "name = \"d\"\nn = 4\ncrashes = [\"1@500\"]\nduration = 1000\ninterval = 50\ndelta = 10\n\
                      gst = 500\ntimings = [\"sync\"]\ntimeouts = [100]\nadaptive = [false]\nseeds = 1\n";

/// Each writing command, pointed at a folder holding a file of the user's:
/// refused with one error line, the file untouched; pointed at its own
/// earlier folder with a file of the user's added: it runs, and leaves that
/// file alone.
#[test]
fn every_writer_leaves_user_files_alone() {
    let dir = tmp("writers");
    std::fs::write(dir.join("exp.toml"), SMALL).unwrap();
    std::fs::write(dir.join("det.toml"), DETECT).unwrap();
    assert_eq!(
        byzlab(&dir, &words("sweep exp.toml --out shard0 --shard 0/1 --quiet")).0,
        0
    );
    let commands: Vec<(&str, Vec<&str>)> = vec![
        ("sweep", vec!["sweep", "exp.toml", "--out", "OUT", "--quiet"]),
        ("merge", vec!["merge", "shard0", "--out", "OUT"]),
        ("detect-sweep", vec!["detect-sweep", "det.toml", "--out", "OUT"]),
        (
            "two-generals",
            vec!["two-generals", "--table", "OUT", "--trials", "100"],
        ),
        ("book-shop", vec!["book-shop", "--table", "OUT"]),
        ("perf", vec!["perf", "--no-sweep", "--reps", "1", "--out", "OUT"]),
    ];
    for (name, args) in commands {
        // A folder of the user's: refused before any work.
        let out = format!("user-{name}");
        std::fs::create_dir_all(dir.join(&out)).unwrap();
        std::fs::write(dir.join(&out).join("README.md"), "mine").unwrap();
        let a: Vec<&str> = args
            .iter()
            .map(|&w| if w == "OUT" { out.as_str() } else { w })
            .collect();
        let (code, err) = byzlab(&dir, &a);
        assert_eq!(code, 2, "{name}: {err}");
        assert_eq!(
            err.lines().filter(|l| l.starts_with("error:")).count(),
            1,
            "{name}: {err}"
        );
        assert!(err.contains("holds no byzlab results"), "{name}: {err}");
        assert_eq!(
            std::fs::read_to_string(dir.join(&out).join("README.md")).unwrap(),
            "mine",
            "{name}"
        );
        if name == "perf" {
            continue; // (a real perf run measures for minutes)
        }
        // Its own folder, with a file of the user's added: rerun, kept.
        let own = format!("own-{name}");
        let a: Vec<&str> = args
            .iter()
            .map(|&w| if w == "OUT" { own.as_str() } else { w })
            .collect();
        assert_eq!(byzlab(&dir, &a).0, 0, "{name} first");
        std::fs::write(dir.join(&own).join("notes.txt"), "mine").unwrap();
        let (code, err) = byzlab(&dir, &a);
        assert_eq!(code, 0, "{name} again: {err}");
        assert_eq!(
            std::fs::read_to_string(dir.join(&own).join("notes.txt")).unwrap(),
            "mine",
            "{name}"
        );
        // Another command's folder is not this one's.
        if name != "sweep" {
            let (code, err) = byzlab(&dir, &["sweep", "exp.toml", "--out", &own, "--quiet"]);
            assert_eq!(code, 2, "sweep into {own}: {err}");
        }
    }
    // A shard is never merged into itself.
    let (code, err) = byzlab(&dir, &["merge", "shard0", "--out", "shard0"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("one of the folders merged"), "{err}");
    // --diagram never writes over a witness or a user's file.
    let witness = std::fs::read_dir(dir.join("own-sweep/witnesses"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap();
    let before = std::fs::read(&witness).unwrap();
    let w = witness.to_str().unwrap();
    let (code, err) = byzlab(&dir, &["replay", w, "--diagram", w]);
    assert_eq!((code, std::fs::read(&witness).unwrap() == before), (2, true), "{err}");
    std::fs::write(dir.join("mine.svg"), "<svg>mine</svg>").unwrap();
    let (code, _) = byzlab(&dir, &words("run --algorithm om --n 4 --f 1 --diagram mine.svg"));
    assert_eq!(code, 2);
    assert_eq!(
        std::fs::read_to_string(dir.join("mine.svg")).unwrap(),
        "<svg>mine</svg>"
    );
    // ... and a diagram byzlab drew may be drawn again.
    let run = words("run --algorithm om --n 4 --f 1 --diagram ours.svg");
    assert_eq!(byzlab(&dir, &run).0, 0);
    assert_eq!(byzlab(&dir, &run).0, 0);
    // A write that fails is an error, not a success.
    let (code, _) = byzlab(&dir, &["replay", w, "--diagram", "/dev/full"]);
    assert_eq!(code, 2);
}

/// A symbolic link where a sweep writes (its witnesses/ folder) is never
/// followed: the sweep is refused and the link's target keeps its files.
#[test]
fn a_linked_witness_folder_is_not_followed() {
    let dir = tmp("link");
    std::fs::write(dir.join("exp.toml"), SMALL).unwrap();
    assert_eq!(byzlab(&dir, &["sweep", "exp.toml", "--out", "out", "--quiet"]).0, 0);
    let target = dir.join("precious");
    std::fs::create_dir_all(&target).unwrap();
    for e in std::fs::read_dir(dir.join("out/witnesses")).unwrap().flatten() {
        std::fs::copy(e.path(), target.join(e.file_name())).unwrap();
    }
    let count = std::fs::read_dir(&target).unwrap().count();
    assert!(count > 0);
    std::fs::remove_dir_all(dir.join("out/witnesses")).unwrap();
    std::os::unix::fs::symlink(&target, dir.join("out/witnesses")).unwrap();
    let (code, err) = byzlab(&dir, &["sweep", "exp.toml", "--out", "out", "--quiet"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(std::fs::read_dir(&target).unwrap().count(), count);
}

/// Two sweeps into one folder at once: the second is refused with the
/// first's pid, and the first, resumed after an interruption, ends with its
/// own plan's complete results.
#[test]
fn a_second_sweep_into_a_busy_folder_is_refused() {
    use std::io::BufRead;
    let dir = tmp("busy");
    std::fs::write(
        dir.join("a.toml"),
        "name = \"a\"\nalgorithms = [\"sm\"]\nn = { from = 4, to = 7 }\nf = 1\nplacements = 3\nseeds = 3\n\
         runtime = \"direct\"\nexhaustive = false\n",
    )
    .unwrap();
    std::fs::write(dir.join("b.toml"), SMALL).unwrap();
    let mut first = Command::new(env!("CARGO_BIN_EXE_byzlab"))
        .args(["sweep", "a.toml", "--out", "same", "--jobs", "1", "--quiet"])
        .env("BYZLAB_PAUSE_AFTER_ROWS", "20")
        .current_dir(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the first sweep's own word that it holds rows and the folder.
    let mut err = std::io::BufReader::new(first.stderr.take().unwrap());
    let mut line = String::new();
    while !line.starts_with("byzlab test hook: paused") {
        line.clear();
        assert!(
            err.read_line(&mut line).unwrap() > 0,
            "the first sweep ended before it paused"
        );
    }
    let (code, msg) = byzlab(&dir, &["sweep", "b.toml", "--out", "same", "--quiet"]);
    assert_eq!(code, 2, "{msg}");
    assert!(msg.contains(&format!("pid {}", first.id())), "{msg}");
    // The first goes on: interrupted, then resumed to the end.
    Command::new("kill")
        .args(["-INT", &first.id().to_string()])
        .status()
        .unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    assert_eq!(first.wait().unwrap().code(), Some(130), "{rest}");
    let (code, msg) = byzlab(&dir, &["sweep", "a.toml", "--out", "same", "--quiet", "--resume"]);
    assert_eq!(code, 0, "{msg}");
    let plan = std::fs::read_to_string(dir.join("same/plan.json")).unwrap();
    assert!(plan.contains("\"name\": \"a\""), "{plan}");
    let spec = byzlab::experiment::spec::load(&dir.join("a.toml"), &Registry::builtin()).unwrap();
    let total = byzlab::experiment::plan::build(&spec, "a.toml", &Registry::builtin())
        .unwrap()
        .total_runs();
    let rows = byzlab::experiment::record::read_runs(&dir.join("same/runs.csv")).unwrap();
    assert_eq!(rows.len(), total);
}
