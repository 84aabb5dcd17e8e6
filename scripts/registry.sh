#!/usr/bin/env bash
# Measures what making algorithms a registry (issue 21) costs the runs that
# existed before it, and writes results/perf/registry.md: this build
# against commit c5d4229c (the commit the work started from, built once in
# a git worktree under target/baseline-c5d4229c), alternately, 11 times
# each, medians compared (this machine's speed drifts by a third from
# minute to minute; the median of 11 alternations rides it out), on
#  1. OM(5) n = 20, direct runner, 5 runs in one process (21M values each);
#  2. SM(3) n = 32, direct runner, ed25519, 200 runs in one process;
#  3. 25,000 small OM(1) runs (scripts/stream/small-25k.toml), one worker.
# Target: each at most 1.10 times the old time (the handle is a `&dyn`
# call per run, not per message, so the two should be within noise).
#   bash scripts/registry.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/byzlab
. scripts/baseline.sh
old=$(baseline c5d4229c)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rows=()
measure() { # label, then byzlab arguments
  local label=$1; shift
  local new_t=() old_t=()
  for _ in 1 2 3 4 5 6 7 8 9 10 11; do
    rm -rf "$tmp/o"
    old_t+=("$(seconds "$old" "$@")")
    rm -rf "$tmp/o"
    new_t+=("$(seconds "$bin" "$@")")
  done
  local mo mn ratio met
  mo=$(median "${old_t[@]}"); mn=$(median "${new_t[@]}")
  ratio=$(awk -v a="$mn" -v b="$mo" 'BEGIN { printf "%.3f", a / b }')
  met=$(awk -v r="$ratio" 'BEGIN { print (r <= 1.10) ? "met" : "MISSED" }')
  rows+=("| $label | $mo s | $mn s | ${ratio}x | <= 1.10 | $met |")
}
measure "OM(5) n=20 direct, 5 runs" run --algorithm om --n 20 --f 5 --traitors none --runtime direct --repeat 5
measure "SM(3) n=32 direct, 200 runs" run --algorithm sm --n 32 --f 3 --traitors none --runtime direct --repeat 200
measure "25,000 OM(1) n=4 runs, 1 job" sweep scripts/stream/small-25k.toml --out "$tmp/o" --jobs 1 --quiet
{
  echo "# Algorithms as a registry"
  echo
  echo "Produced by \`bash scripts/registry.sh\` on $(date -u +%Y-%m-%d) ($(nproc) cores), this build being commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src Cargo.toml Cargo.lock || echo ' with uncommitted changes'), against commit c5d4229c (before the registry). Do not edit by hand: rerun the script."
  echo
  echo "Each row: the median wall time of 11 runs of each build, the two alternating; new / old is the ratio of the medians."
  echo
  echo "| measurement | c5d4229c | this build | new / old | target | met |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} > results/perf/registry.md
cat results/perf/registry.md
