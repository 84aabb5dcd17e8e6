//! examples/my_lab.rs as a user's binary would run it: the command line
//! with its registry on a small plan that names its algorithm, its strategy
//! and its adversary. Every command must know them, and a registry is passed, not
//! installed: the built-in one, in the same process, does not.

#[path = "../../examples/my_lab.rs"]
mod lab;

use std::process::ExitCode;

#[test]
fn a_registered_strategy_and_adversary_run_in_a_sweep() {
    let dir = std::env::temp_dir().join(format!("byzlab-my-lab-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("lab.toml");
    std::fs::write(
        &file,
        r#"
name = "lab"
algorithms = ["om", "sm", "obey"]
n = [4, 5]
f = 1
links = ["authenticated", "arbitrary:drop-to-odd@0.5"]
strategies = ["even-liar", "split-brain"]
placements = "all"
runtime = "direct"
exhaustive = false
"#,
    )
    .unwrap();
    let out = dir.join("out");
    let args = [
        "byzlab",
        "sweep",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    let code = byzlab::cli::main_with_args(lab::registry(), args);
    assert_eq!(code, ExitCode::SUCCESS);
    let rows = std::fs::read_to_string(out.join("strategies.csv")).unwrap();
    assert!(rows.lines().any(|l| l.contains(",even-liar,")), "{rows}");
    assert!(rows.lines().any(|l| l.contains("arbitrary(drop-to-odd@0.5)")), "{rows}");
    // It ran as a traitor: its runs carry its name, and over authenticated
    // links OM(1) and SM(1) with n > 3 hold against it (Theorems 1 and 2).
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    let liar: Vec<&str> = runs
        .lines()
        .filter(|l| l.contains(",authenticated,") && l.contains(",even-liar,"))
        .collect();
    assert!(liar.len() >= 8, "{runs}");
    let cells = std::fs::read_to_string(out.join("strategies.csv")).unwrap();
    for row in cells
        .lines()
        .filter(|l| l.contains(",authenticated,") && l.contains(",even-liar,"))
    {
        assert!(row.ends_with(",0,0,0"), "even-liar broke an authenticated cell: {row}");
    }
    // The lab's own algorithm ran with its own theory: a traitor commander
    // (split-brain) breaks it, as predicted, and no cell is against it.
    let table = std::fs::read_to_string(out.join("cells.csv")).unwrap();
    let obey: Vec<&str> = table.lines().filter(|l| l.contains(",obey,")).collect();
    assert_eq!(obey.len(), 4, "{table}");
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("## OBEY(m = f), authenticated links"), "{summary}");
    assert!(
        summary.contains("Every cell the paper speaks to agrees with it."),
        "{summary}"
    );
    assert!(runs.lines().any(|l| l.contains(",obey,")), "no obey row");
    // One run of it from the command line, as `byzlab run` takes it.
    let run = [
        "byzlab",
        "run",
        "--algorithm",
        "obey",
        "--n",
        "4",
        "--f",
        "1",
        "--traitors",
        "0",
        "--runtime",
        "direct",
    ];
    assert_eq!(byzlab::cli::main_with_args(lab::registry(), run), ExitCode::SUCCESS);
    // No registry is the process's: the built-in one, in this same
    // process, knows neither name and refuses the file, saying why.
    let builtin = std::process::Command::new(env!("CARGO_BIN_EXE_byzlab"))
        .args(["sweep", file.to_str().unwrap(), "--out"])
        .arg(dir.join("builtin"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&builtin.stderr);
    assert!(!builtin.status.success() && said.contains("drop-to-odd"), "{said}");
    let sweep = |registry, out: &str| {
        let out = dir.join(out);
        let args = [
            "byzlab",
            "sweep",
            file.to_str().unwrap(),
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ];
        (
            byzlab::cli::main_with_args(registry, args),
            out.join("runs.csv").exists(),
        )
    };
    assert_eq!(
        sweep(byzlab::registry::Registry::builtin(), "b"),
        (ExitCode::from(2), false)
    );
    // The lab's registry, used after the built-in one in this process,
    // still knows its names.
    assert_eq!(sweep(lab::registry(), "again"), (ExitCode::SUCCESS, true));
    let _ = std::fs::remove_dir_all(&dir);
}
