//! The README's examples are run: every ```text block of README.md and
//! experiments/README.md whose first line is `$ byzlab ARGS` runs the binary
//! with ARGS and compares what it prints (stdout, then stderr) with the
//! block's other lines. A line `...` alone matches any number of lines, so
//! an example may show the start and the end of a long output. When an
//! output moves, this test fails with the new output to paste.

use std::path::Path;
use std::process::Command;

/// One example: where it is, its arguments, and the lines it shows.
struct Example {
    file: &'static str,
    line: usize,
    args: Vec<String>,
    expected: Vec<String>,
}

fn examples(file: &'static str) -> Vec<Example> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim_end() == "```text"
            && let Some(cmd) = lines.get(i + 1).and_then(|l| l.strip_prefix("$ byzlab "))
        {
            let start = i + 1;
            let mut expected = Vec::new();
            i += 2;
            while i < lines.len() && lines[i].trim_end() != "```" {
                expected.push(lines[i].to_string());
                i += 1;
            }
            out.push(Example {
                file,
                line: start + 1,
                args: cmd.split_whitespace().map(str::to_string).collect(),
                expected,
            });
        }
        i += 1;
    }
    out
}

/// Whether `actual` matches `expected`, where a `...` line matches any run
/// of lines (including none).
fn matches(expected: &[String], actual: &[String]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first.trim() == "..." => (0..=actual.len()).any(|skip| matches(rest, &actual[skip..])),
        Some((first, rest)) => actual
            .split_first()
            .is_some_and(|(a, more)| a.trim_end() == first.trim_end() && matches(rest, more)),
    }
}

#[test]
fn the_matcher_can_fail() {
    let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert!(matches(&v(&["a", "...", "d"]), &v(&["a", "b", "c", "d"])));
    assert!(matches(&v(&["a", "...", "b"]), &v(&["a", "b"])));
    assert!(!matches(&v(&["a", "...", "d"]), &v(&["a", "b", "c"])));
    assert!(!matches(&v(&["a", "b"]), &v(&["a", "b", "c"])));
    assert!(!matches(&v(&["a", "x"]), &v(&["a", "b"])));
}

#[test]
fn every_readme_example_prints_what_the_readme_shows() {
    let all: Vec<Example> = ["README.md", "experiments/README.md"]
        .into_iter()
        .flat_map(examples)
        .collect();
    assert!(all.len() >= 3, "the README's examples were not found");
    let mut wrong = Vec::new();
    for e in &all {
        let out = Command::new(env!("CARGO_BIN_EXE_byzlab"))
            .args(&e.args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        let actual: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .chain(String::from_utf8_lossy(&out.stderr).lines())
            .map(str::to_string)
            .collect();
        if !matches(&e.expected, &actual) {
            wrong.push(format!(
                "{}:{}: `byzlab {}` printed\n{}\n(the README shows\n{})",
                e.file,
                e.line,
                e.args.join(" "),
                actual.join("\n"),
                e.expected.join("\n")
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} README examples moved:\n\n{}",
        wrong.len(),
        all.len(),
        wrong.join("\n\n")
    );
}
