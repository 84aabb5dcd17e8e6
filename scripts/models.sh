#!/usr/bin/env bash
# Measures what asynchronous protocols and schedulers (issue 24) cost the
# lock-step runs that existed before them, and writes
# results/perf/models.md: this build against commit 46ec9aa0 (the commit
# the work started from) and commit c3f74b15 (the last one results/perf
# was measured at, before issues 23 and 25 touched SM's and Dolev-Strong's
# state machines), each built once in a git worktree under
# target/baseline-COMMIT; alternately, 11 times each, medians compared
# (this machine's speed drifts by a third from minute to minute; the
# median of 11 alternations rides it out), on
#  1. OM(5) n = 20, direct runner, 5 runs in one process (21M values each);
#  2. SM(3) n = 32, direct runner, ed25519, 200 runs in one process;
#  3. phase king n = 64, f = 15, direct runner, 20 runs;
#  4. 25,000 small OM(1) runs (scripts/stream/small-25k.toml), one worker.
# Target: each at most 1.10 times the old time (a lock-step run asks one
# flag per general and one `Option` per frame, nothing per message).
#   bash scripts/models.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/byzlab
. scripts/baseline.sh
bases=(46ec9aa0 c3f74b15)
olds=()
for b in "${bases[@]}"; do olds+=("$(baseline "$b")"); done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rows=()
measure() { # label, then byzlab arguments
  local label=$1; shift
  local i
  for i in "${!bases[@]}"; do
    local new_t=() old_t=()
    for _ in 1 2 3 4 5 6 7 8 9 10 11; do
      rm -rf "$tmp/o"
      old_t+=("$(seconds "${olds[$i]}" "$@")")
      rm -rf "$tmp/o"
      new_t+=("$(seconds "$bin" "$@")")
    done
    local mo mn ratio met
    mo=$(median "${old_t[@]}"); mn=$(median "${new_t[@]}")
    ratio=$(awk -v a="$mn" -v b="$mo" 'BEGIN { printf "%.3f", a / b }')
    met=$(awk -v r="$ratio" 'BEGIN { print (r <= 1.10) ? "met" : "MISSED" }')
    rows+=("| $label | ${bases[$i]} | $mo s | $mn s | ${ratio}x | <= 1.10 | $met |")
  done
}
measure "OM(5) n=20 direct, 5 runs" run --algorithm om --n 20 --f 5 --traitors none --runtime direct --repeat 5
measure "SM(3) n=32 direct, 200 runs" run --algorithm sm --n 32 --f 3 --traitors none --runtime direct --repeat 200
measure "phase king n=64 f=15 direct, 20 runs" run --algorithm phase-king --n 64 --f 15 --traitors none --runtime direct --repeat 20
measure "25,000 OM(1) n=4 runs, 1 job" sweep scripts/stream/small-25k.toml --out "$tmp/o" --jobs 1 --quiet
{
  echo "# Asynchronous protocols and schedulers: what the lock-step runs pay"
  echo
  echo "Produced by \`bash scripts/models.sh\` on $(date -u +%Y-%m-%d) ($(nproc) cores), this build being commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src Cargo.toml Cargo.lock || echo ' with uncommitted changes'), against commit 46ec9aa0 (before issue 24) and commit c3f74b15 (before issues 23 and 25). Do not edit by hand: rerun the script."
  echo
  echo "Each row: the median wall time of 11 runs of each build, the two alternating; new / old is the ratio of the medians."
  echo
  echo "| measurement | old commit | old | this build | new / old | target | met |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} > results/perf/models.md
cat results/perf/models.md
