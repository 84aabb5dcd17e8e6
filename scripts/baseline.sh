# Sourced by the scripts that measure this build against an older commit
# (stream.sh, registry.sh, models.sh, perf.sh). `baseline COMMIT` builds COMMIT once,
# in a git worktree under target/baseline-COMMIT, and prints the path of
# its release binary; later calls reuse the build.
baseline() {
  local base="target/baseline-$1"
  if [ ! -x "$base/target/release/byzlab" ]; then
    git worktree remove --force "$base" 2>/dev/null || rm -rf "$base"
    git worktree add --detach "$base" "$1" >/dev/null
    (cd "$base" && cargo build --release --quiet) >&2
  fi
  echo "$base/target/release/byzlab"
}

# `seconds EXE ARGS...`: the wall seconds of one run (ns clock), output
# dropped; `median X...`: the 6th smallest of 11 (registry.sh, models.sh).
seconds() { # binary, then its arguments -> wall seconds (ns clock)
  local exe=$1; shift
  local t0 t1
  t0=$(date +%s%N)
  "$exe" "$@" >/dev/null
  t1=$(date +%s%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }'
}
median() { printf '%s\n' "$@" | sort -g | sed -n 6p; }
