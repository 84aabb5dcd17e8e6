//! Writing `results/perf/`: the targets table, the scaling table and plot,
//! and the README that shows them with the profiles.

use super::{PerfError, PerfOptions, ScalingRow, Target};

/// What `byzlab perf` writes.
const OURS: [&str; 4] = ["README.md", "targets.csv", "scaling.csv", "scaling.svg"];

/// Claims the output folder before any measuring: new, empty, or
/// `byzlab perf`'s own; `scripts/perf.sh` writes its `profile-*.txt` there
/// first, `scripts/stream.sh` its `stream.md`, `scripts/registry.sh`
/// its `registry.md`, `scripts/models.sh` its `models.md` and
/// `scripts/explore.sh` its `explore.md`, which are
/// left alone (and shown in the README).
pub fn claim(out: &std::path::Path) -> Result<crate::folder::Folder, PerfError> {
    let legacy = |root: &std::path::Path| -> Option<Vec<String>> {
        let mut owned = Vec::new();
        for e in std::fs::read_dir(root).ok()?.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if OURS.contains(&name.as_str()) {
                owned.push(name);
            } else if !(name.starts_with("profile-") && name.ends_with(".txt"))
                && name != "stream.md"
                && name != "registry.md"
                && name != "models.md"
                && name != "explore.md"
                && name != crate::folder::LOCK
            {
                return None;
            }
        }
        let readme = std::fs::read_to_string(root.join("README.md")).unwrap_or_else(|_| "# Performance".into());
        readme.starts_with("# Performance").then_some(owned)
    };
    Ok(crate::folder::Folder::claim(out, "perf", Some(&legacy))?)
}

/// Writes `README.md`, `targets.csv`, `scaling.csv` and `scaling.svg`.
pub fn write(
    folder: &mut crate::folder::Folder,
    opts: &PerfOptions,
    targets: &[Target],
    rows: &[ScalingRow],
) -> Result<(), PerfError> {
    use std::fmt::Write as _;
    let out = &opts.out;
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r)?;
    }
    folder.write("scaling.csv", w.into_inner().unwrap_or_default())?;
    let mut t = csv::Writer::from_writer(Vec::new());
    t.write_record(["target", "measured", "limit", "ratio", "met"])?;
    for x in targets {
        t.write_record([
            x.name.clone(),
            x.measured.clone(),
            x.limit.clone(),
            format!("{:.3}", x.ratio),
            x.met.to_string(),
        ])?;
    }
    folder.write("targets.csv", t.into_inner().unwrap_or_default())?;

    let mut series: crate::experiment::plots::Series = Default::default();
    for r in rows {
        series.entry((r.algorithm, r.m)).or_default().insert(r.n, r.messages);
    }
    crate::experiment::plots::messages_chart(
        &folder.file("scaling.svg")?,
        "Messages per run, no traitors: measured points on the formula",
        &series,
    )?;

    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut s = String::new();
    let _ = writeln!(s, "# Performance\n");
    let _ = writeln!(
        s,
        "Produced by `bash scripts/perf.sh` (which profiles the two runs below, then runs `{}`) on {} with \
         byzlab {} (release build), on {cores} cores of an {cpu}. Do not edit by hand: rerun the script. Each time \
         is the median of at least {} timed runs after a warm-up, measured in one process, with the two sides of every \
         ratio measured alternately; peak memory is measured in a child process of its own.\n",
        opts.command,
        today(),
        env!("CARGO_PKG_VERSION"),
        opts.reps
    );
    let _ = writeln!(
        s,
        "## Targets\n\n| target | measured | limit | ratio | verdict |\n|---|---|---|---|---|"
    );
    for x in targets {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.3} | {} |",
            x.name,
            x.measured,
            x.limit,
            x.ratio,
            if x.met { "met" } else { "**missed**" }
        );
    }
    let _ = writeln!(
        s,
        "\nThe ratio is what the limit bounds: measured over target for throughput, memory and wall time, one time \
         over the other for the runtime, floor and jobs comparisons. The crypto floor is the signatures the run made \
         times the cost of one signature plus the signature checks it made times the cost of one `verify_strict`, \
         both measured over the same 128 generals' keys in turn, alternately with the runs, in the same process (batch verification makes a check cheaper than that, \
         which is why a run can cost less than its floor).\n"
    );
    // What the other scripts measured against older commits, side by side.
    let beside: Vec<String> = [
        ("stream.md", "streaming sweeps (`bash scripts/stream.sh`)"),
        ("registry.md", "algorithms as a registry (`bash scripts/registry.sh`)"),
        (
            "models.md",
            "asynchronous protocols and schedulers, what lock-step runs pay (`bash scripts/models.sh`)",
        ),
        (
            "explore.md",
            "explorer pages opened in headless chromium (`bash scripts/explore.sh`)",
        ),
    ]
    .iter()
    .filter(|(file, _)| out.join(file).exists())
    .map(|(file, what)| format!("- [{file}]({file}): {what}"))
    .collect();
    if !beside.is_empty() {
        let _ = writeln!(
            s,
            "## Against older commits

Measured by their own scripts, each build beside the other:

{}
",
            beside.join("\n")
        );
    }
    let profiles = [
        (
            "profile-om.txt",
            "OM(5), n = 20, direct runner",
            "About 4.5 ns a relayed value in all (the throughput target above), where commit daf5fb2 spent \
             about 12. `blocks` appears three times: the largest is the receiver's scatter (per value it unpacks \
             two bits of the frame and sets one bit of its last tree level, n-2-m bits after the previous one: \
             mostly waiting on memory, since the 19 last levels take 2.4 MB together), then the sender's \
             gather with `Packer::extend` (runs of its tree packed four values to a byte), then the walk of the \
             earlier, smaller rounds. The bottom-up majority of step 3 (`decide`, a popcount per node over the \
             bits), the node and the codec (one copy of each packed frame) share the rest.",
        ),
        (
            "profile-sm.txt",
            "SM(3), n = 128, forging traitor commander",
            "Nearly all of it is curve25519 field arithmetic and SHA-512: the signatures the run must make and \
             check. Frames (`Node::emit`, the codec, the link, `SmGeneral::receive`) are the few percent left; \
             orders already in V are dropped before any verification, and no signature is checked twice.",
        ),
    ];
    for (file, title, reading) in profiles {
        if let Ok(text) = std::fs::read_to_string(out.join(file)) {
            let top = text.lines().take(14).collect::<Vec<_>>().join("\n");
            let _ = writeln!(
                s,
                "## Where the time goes: {title}\n\nTop of [`{file}`]({file}):\n\n```text\n{top}\n```\n\n{reading}\n"
            );
        }
    }
    let _ = writeln!(s, "## Scaling\n\n![messages against n](scaling.svg)\n");
    let _ = writeln!(
        s,
        "| algorithm | n | m | messages | formula | bytes | wall ms | peak RSS MiB |\n|---|---|---|---|---|---|---|---|"
    );
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {:.2} | {} |",
            r.algorithm,
            r.n,
            r.m,
            r.messages,
            r.formula.map_or("-".into(), |f| f.to_string()),
            r.bytes,
            r.wall_ms,
            r.peak_rss_kib
                .map_or("-".into(), |k| format!("{:.1}", k as f64 / 1024.0))
        );
    }
    Ok(folder.write("README.md", s)?)
}

/// Today's date (UTC) as YYYY-MM-DD, from the system clock: when a
/// measurement was taken (machine speed drifts, so it matters here; results
/// of sweeps carry no date).
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // Civil-from-days (proleptic Gregorian), for a date without a time crate.
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn today_is_a_date() {
        let d = super::today();
        assert_eq!(d.len(), 10);
        assert!(d.starts_with("20") && d.as_bytes()[4] == b'-' && d.as_bytes()[7] == b'-');
    }

    /// results/perf as the scripts leave it (profiles, stream.md) is perf's
    /// to write; a file of anyone else's makes it not.
    #[test]
    fn the_scripts_files_leave_the_folder_perfs() {
        let dir = std::env::temp_dir().join(format!("byzlab-perf-claim-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in [
            ("README.md", "# Performance\n"),
            ("targets.csv", ""),
            ("profile-om.txt", ""),
            ("stream.md", "# Streaming sweeps\n"),
            ("registry.md", "# Algorithms as a registry\n"),
            ("models.md", "# Asynchronous protocols and schedulers\n"),
            ("explore.md", "# Explorer pages in a browser\n"),
        ] {
            std::fs::write(dir.join(name), text).unwrap();
        }
        assert!(super::claim(&dir).is_ok());
        let other = dir.with_extension("other");
        let _ = std::fs::remove_dir_all(&other);
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(other.join("README.md"), "# Performance\n").unwrap();
        std::fs::write(other.join("notes.txt"), "mine").unwrap();
        assert!(super::claim(&other).is_err());
        let _ = (std::fs::remove_dir_all(&dir), std::fs::remove_dir_all(&other));
    }
}
