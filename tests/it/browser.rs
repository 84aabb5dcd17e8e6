//! Issue 25 item 6: the explorer page and a sweep report in a real browser
//! (Debian's headless `chromium`). Ignored by a plain `cargo test`, which
//! must run where no browser is installed; `.ci/run` installs chromium and
//! runs them with `cargo test --test it browser:: -- --ignored`, where a
//! missing browser fails them.

use std::path::Path;
use std::process::Command;

fn chromium() -> &'static str {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return name;
        }
    }
    panic!("no chromium on PATH: apt-get install -y chromium (the browser tests need one)");
}

/// The page's DOM after its scripts ran, opened at `hash`.
fn dom(page: &Path, hash: &str) -> String {
    let url = format!("file://{}{hash}", page.canonicalize().unwrap().display());
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--allow-file-access-from-files",
            "--virtual-time-budget=5000",
            "--dump-dom",
            &url,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn explore(dir: &Path, args: &[&str]) -> std::path::PathBuf {
    let page = dir.join("x.html");
    let out = Command::new(env!("CARGO_BIN_EXE_byzlab"))
        .args(args)
        .args(["--explore", page.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    page
}

fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("byzlab-browser-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The must-hold run: the page loads with no script error (its script
/// runs to its last line, which marks the body ready), the step control
/// delivers the messages one at a time, the decisions panel and the
/// explanations appear at the end, and a filter keeps one general.
#[test]
#[ignore = "needs chromium; .ci/run runs it"]
fn the_explorer_steps_through_a_run_in_chromium() {
    let dir = tmp("explore");
    let page = explore(
        &dir,
        &[
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
        ],
    );
    let start = dom(&page, "");
    assert!(
        start.contains("data-ready=\"yes\""),
        "the script did not run to its end:\n{start}"
    );
    assert!(start.contains("step 0 of 156: 0 messages delivered"), "{start}");
    assert!(!start.contains("<h2>Decisions</h2>"), "decisions shown before the end");
    let at5 = dom(&page, "#step=5");
    assert!(at5.contains("step 5 of 156: 5 messages delivered"), "{at5}");
    // Five round-1 orders delivered: five generals hold one value each.
    assert_eq!(at5.matches(": 1 received</h3>").count(), 5, "{at5}");
    assert!(at5.contains("delivery 5: round 1, 0 -&gt; "), "{at5}");
    let end = dom(&page, "#step=end");
    assert!(end.contains("step 156 of 156"), "{end}");
    assert!(end.contains("<h2>Decisions</h2>"), "{end}");
    for g in [1, 2, 4, 5, 6] {
        assert!(end.contains(&format!("general {g}: decides ")), "general {g}:\n{end}");
    }
    assert!(end.contains("class=\"explain\">decided "), "no explanation:\n{end}");
    assert!(end.contains("OM(2) step 3"), "{end}");
    // The traitors' deviations are listed.
    assert!(end.contains("The traitors' deviations ("), "{end}");
}

/// A sweep report opens, shows its tables and figures, and its links point
/// at files that exist (checked without a browser in `pages::`).
#[test]
#[ignore = "needs chromium; .ci/run runs it"]
fn a_sweep_report_renders_in_chromium() {
    let page = Path::new("results/bound/index.html");
    let dom = dom(page, "");
    assert!(dom.contains("<table>"), "{dom}");
    assert!(dom.contains("<img src=\"heatmap-om.svg\""), "{dom}");
    assert!(dom.contains("witnesses/cell-0.json"), "{dom}");
}
