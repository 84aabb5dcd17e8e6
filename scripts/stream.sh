#!/usr/bin/env bash
# Measures streaming sweeps (issue 19, item 4) and writes results/perf/stream.md:
#  1. small-run throughput: scripts/stream/small-25k.toml (25,000 OM(1) n=4
#     runs) on one worker (--jobs 1), this build against commit aeda8724
#     (the commit the work started from, built once in a git worktree under
#     target/baseline-aeda8724), alternately, 7 times each; medians compared;
#  2. a plan of 20,000,000 runs (scripts/stream/runs-20m.toml) swept with 2
#     jobs under GNU time: its peak resident memory and wall time.
# Needs GNU time (Debian: time) and about 7 GB free in $TMPDIR for the
# 20M-run runs.csv, which is deleted afterwards.
#   bash scripts/stream.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/byzlab
. scripts/baseline.sh
old=$(baseline aeda8724)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
time_of() { # binary -> seconds of one sweep of the 25k plan
  rm -rf "$tmp/o"
  /usr/bin/time -f "%e" -o "$tmp/t" "$1" sweep scripts/stream/small-25k.toml --out "$tmp/o" --jobs 1 --quiet >/dev/null
  cat "$tmp/t"
}
new_t=(); old_t=()
for _ in 1 2 3 4 5 6 7; do
  old_t+=("$(time_of "$old")")
  new_t+=("$(time_of "$bin")")
done
median() { printf '%s\n' "$@" | sort -g | sed -n 4p; }
mo=$(median "${old_t[@]}"); mn=$(median "${new_t[@]}")
ratio=$(awk -v a="$mo" -v b="$mn" 'BEGIN { printf "%.2f", a / b }')
rm -rf "$tmp/o"
/usr/bin/time -f "%M %e" -o "$tmp/big" "$bin" sweep scripts/stream/runs-20m.toml --out "$tmp/o" --jobs 2 --quiet > "$tmp/big.out"
read -r kib secs < "$tmp/big"
rows=$(($(wc -l < "$tmp/o/runs.csv") - 1))
bytes=$(stat -c %s "$tmp/o/runs.csv")
mib=$((kib / 1024))
{
  echo "# Streaming sweeps"
  echo
  echo "Produced by \`bash scripts/stream.sh\` on $(date -u +%Y-%m-%d) ($(nproc) cores), this build being commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src Cargo.toml Cargo.lock || echo ' with uncommitted changes'). Do not edit by hand: rerun the script."
  echo
  echo "| measurement | value | target | met |"
  echo "|---|---|---|---|"
  echo "| 25,000 OM(1) n=4 runs, one worker: median wall time of the whole sweep, aeda8724 / this build (7 runs each, alternately) | ${mo} s / ${mn} s = **${ratio}x** | at least 1.5x | $(awk -v r="$ratio" 'BEGIN { print (r >= 1.5) ? "yes" : "no" }') |"
  echo "| a plan of 20,000,000 runs (scripts/stream/runs-20m.toml), 2 jobs: peak resident memory | **${mib} MiB** ($rows rows, $((bytes / 1048576)) MiB of runs.csv, ${secs} s) | under 300 MB | $(awk -v m="$kib" 'BEGIN { print (m * 1024 < 300e6) ? "yes" : "no" }') |"
  echo
  echo "Times of the 25,000-run sweep, aeda8724: ${old_t[*]} s; this build: ${new_t[*]} s."
  echo
  echo "A sweep keeps no row in memory: rows are appended to runs.csv in plan order and folded into a per-cell"
  echo "tally (counts, sums, one witness), and a sampled cell keeps its axes, not its runs; so a plan's size is"
  echo "bounded by disk (about $((bytes / rows)) bytes of runs.csv a run here) and time, not memory."
} > results/perf/stream.md
cat results/perf/stream.md
