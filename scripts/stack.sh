#!/usr/bin/env bash
# Measures what making the link layers a stack of objects (issue 22) costs
# the frame path, and writes results/perf/stack.md: this build against
# commit c5d4229c (the commit issues 21 and 22 started from, built once in
# a git worktree under target/baseline-c5d4229c), alternately, 11 times
# each, medians compared (this machine's speed drifts by a third), on
#  1. SM(3) n = 128, loyal commander, ideal signatures, direct runner, 200
#     runs in one process: nanoseconds per frame on the wire (the path
#     every frame pays: node, layer stack, clock, decoder). Authenticated
#     link: no layer, no bottleneck; the infinitely wide network must not
#     pay for the finite one.
#  2. the same with ed25519, 50 runs: the ideal / ed25519 ratio of each
#     build (0.16 to 0.19 before the stack).
#  3. SM(2) n = 7 over reliable:0.3/0.1 (fair-loss+stubborn+dedup), 200
#     runs: the layered path, now objects instead of booleans.
# Target: 1 and 3 at most 1.10 times the old time per frame; 2 at most the
# old ratio plus 0.02.
#   bash scripts/stack.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/byzlab
. scripts/baseline.sh
old=$(baseline c5d4229c)
ns_per_frame() { # binary, then run arguments -> ns per frame sent
  "$@" --json --measure | python3 -c 'import json,sys; d=json.load(sys.stdin); print("%.2f" % (d["wall_ms"] * 1e6 / d["frames_sent"]))'
}
median() { printf '%s\n' "$@" | sort -g | sed -n 6p; }
declare -A med
measure() { # key, then run arguments
  local key=$1; shift
  local new_t=() old_t=()
  for _ in 1 2 3 4 5 6 7 8 9 10 11; do
    old_t+=("$(ns_per_frame "$old" run "$@")")
    new_t+=("$(ns_per_frame "$bin" run "$@")")
  done
  med[$key-old]=$(median "${old_t[@]}")
  med[$key-new]=$(median "${new_t[@]}")
}
sm128="--algorithm sm --n 128 --f 3 --traitors none --runtime direct"
# shellcheck disable=SC2086
measure ideal $sm128 --signatures ideal --repeat 200
# shellcheck disable=SC2086
measure ed $sm128 --signatures ed25519 --repeat 50
measure layered --algorithm sm --n 7 --f 2 --traitors none --runtime direct --link reliable:0.3/0.1 --repeat 200
row() { # label, old, new, target, ok-expression
  local ratio met
  ratio=$(awk -v a="$3" -v b="$2" 'BEGIN { printf "%.3f", a / b }')
  met=$(awk -v r="$ratio" "BEGIN { print ($5) ? \"met\" : \"MISSED\" }")
  echo "| $1 | $2 | $3 | ${ratio}x | $4 | $met |"
}
ratio_old=$(awk -v a="${med[ideal-old]}" -v b="${med[ed-old]}" 'BEGIN { printf "%.3f", a / b }')
ratio_new=$(awk -v a="${med[ideal-new]}" -v b="${med[ed-new]}" 'BEGIN { printf "%.3f", a / b }')
ratio_met=$(awk -v o="$ratio_old" -v n="$ratio_new" 'BEGIN { print (n <= o + 0.02) ? "met" : "MISSED" }')
{
  echo "# The link stack as objects: the frame path side by side"
  echo
  echo "Produced by \`bash scripts/stack.sh\` on $(date -u +%Y-%m-%d) ($(nproc) cores), this build being commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src Cargo.toml Cargo.lock || echo ' with uncommitted changes'), against commit c5d4229c (before issue 22's stack). Do not edit by hand: rerun the script."
  echo
  echo "Each row: the median over 11 alternating runs of each build of (mean wall time of one run / frames it put on the wire), in ns per frame."
  echo
  echo "| measurement | c5d4229c ns/frame | this build ns/frame | new / old | target | met |"
  echo "|---|---|---|---|---|---|"
  row "SM(3) n=128 ideal signatures, authenticated (200 runs)" "${med[ideal-old]}" "${med[ideal-new]}" "<= 1.10" "r <= 1.10"
  row "SM(3) n=128 ed25519, authenticated (50 runs)" "${med[ed-old]}" "${med[ed-new]}" "<= 1.10" "r <= 1.10"
  row "SM(2) n=7 over reliable:0.3/0.1, the layered path (200 runs)" "${med[layered-old]}" "${med[layered-new]}" "<= 1.10" "r <= 1.10"
  echo
  echo "ideal / ed25519 time per frame, SM(3) n=128: c5d4229c $ratio_old, this build $ratio_new (target: at most the old ratio + 0.02): $ratio_met."
} > results/perf/stack.md
cat results/perf/stack.md
