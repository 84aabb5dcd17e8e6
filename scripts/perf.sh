#!/usr/bin/env bash
# Regenerates results/perf/: the performance targets, the scaling table and
# plot (byzlab perf), and the profiles of the two heaviest runs.
#   bash scripts/perf.sh
# OM(5) n=20 is also timed against commit daf5fb2 (issue 12's baseline),
# built once in a git worktree under target/baseline-daf5fb2 (about two
# minutes the first time); without git history that target is skipped.
# Profiles use `perf` where the kernel allows sampling, else valgrind's
# callgrind (both from Debian: linux-perf, valgrind); without either the
# profile files are skipped and the README says so.
set -euo pipefail
cd "$(dirname "$0")/.."
out=results/perf
mkdir -p "$out"
cargo build --release --quiet
bin=target/release/byzlab

profile() { # name, then byzlab arguments
  local name=$1; shift
  local file="$out/profile-$name.txt"
  local tmp; tmp=$(mktemp -d)
  if command -v perf >/dev/null && perf record -q -F 4999 -o "$tmp/perf.data" -- "$bin" "$@" >/dev/null 2>"$tmp/err"; then
    {
      echo "# perf record -F 4999 -- byzlab $*"
      echo "# self time by symbol, top entries (perf report --sort symbol)"
      perf report -i "$tmp/perf.data" --stdio --sort symbol --percent-limit 0.7 2>/dev/null \
        | grep -E '^ +[0-9]' | sed -E 's/[ -]+$//' | cut -c1-140
    } > "$file"
  elif command -v valgrind >/dev/null; then
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$bin" "$@" >/dev/null 2>&1
    {
      echo "# valgrind --tool=callgrind -- byzlab $*"
      echo "# instructions by function, top entries (callgrind_annotate)"
      callgrind_annotate "$tmp/cg.out" 2>/dev/null | grep -E '^ *[0-9,]+ +\(' | head -25 | cut -c1-140
    } > "$file"
  else
    echo "no profiler (perf or valgrind) on this machine" > "$file"
  fi
  rm -rf "$tmp"
}

profile om run --algorithm om --n 20 --f 5 --traitors none --runtime direct --repeat 5
profile sm run --algorithm sm --n 128 --f 3 --traitors 0 --strategy forge --runtime direct --repeat 100
. scripts/baseline.sh
against=()
if git cat-file -e daf5fb2^{commit} 2>/dev/null; then
  against=(--baseline "$(baseline daf5fb2)")
else
  echo "commit daf5fb2 not in this clone: the speed-up target is skipped" >&2
fi
"$bin" perf --out "$out" "${against[@]}"
