# Sourced by the scripts that measure this build against an older commit
# (stream.sh, registry.sh, perf.sh). `baseline COMMIT` builds COMMIT once,
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
