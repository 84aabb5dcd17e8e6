#!/usr/bin/env bash
# Measures how fast an explorer page (`byzlab run --explore`, issue 25)
# opens in a real browser, and writes results/perf/explore.md. The target:
# a run of 10,000 messages or more loads, and draws its last step (every
# arrow, every general's state, the decisions), in under a second. Each
# page is opened 5 times in Debian's headless chromium at `#step=end`; the
# page itself records `performance.now()` when its script has drawn
# (`data-ms` on <body>, from navigation start: parsing the inline data
# included); the median is reported. Needs chromium (apt-get install -y
# chromium).
#   bash scripts/explore.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/byzlab
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
browser=$(command -v chromium || command -v chromium-browser)
rows=()
for args in "--algorithm om --n 7 --f 2 --traitors 0,3 --seed 1" \
            "--algorithm om --n 13 --f 3 --traitors 1,5,9 --strategy random" \
            "--algorithm phase-king --n 40 --f 9 --traitors 1,5,9 --strategy random" \
            "--algorithm sm --n 100 --f 2 --traitors 0,5 --strategy forge --signatures ideal"; do
  # shellcheck disable=SC2086
  $bin run $args --runtime direct --explore "$tmp/x.html" > "$tmp/run.txt" 2>/dev/null
  messages=$(grep -o 'messages=[0-9]*' "$tmp/run.txt" | head -1 | cut -d= -f2)
  kib=$(( $(stat -c %s "$tmp/x.html") / 1024 ))
  ms=()
  for _ in 1 2 3 4 5; do
    "$browser" --headless --no-sandbox --disable-gpu --dump-dom \
      "file://$tmp/x.html#step=end" 2>/dev/null > "$tmp/dom.html"
    grep -q 'data-ready="yes"' "$tmp/dom.html" || { echo "the page did not load: $args"; exit 1; }
    ms+=("$(grep -o 'data-ms="[0-9]*"' "$tmp/dom.html" | grep -o '[0-9]*')")
  done
  median=$(printf '%s\n' "${ms[@]}" | sort -n | sed -n 3p)
  rows+=("| \`byzlab run $args\` | $messages | $kib | $median | ${ms[*]} |")
  echo "$args: $messages messages, $kib KiB, median $median ms (${ms[*]})"
done
{
  echo "# Explorer pages in a browser"
  echo
  echo "Produced by \`bash scripts/explore.sh\` (Debian's headless chromium, $("$browser" --version 2>/dev/null | head -1)). Each page opened 5 times at \`#step=end\`, its last step (every arrow drawn, every general's state, the decisions and explanations); ms = \`performance.now()\` when the page's script has drawn, from navigation start. Target: a run of 10,000 messages or more under 1,000 ms."
  echo
  echo "| run (with --runtime direct --explore x.html) | messages | page KiB | median ms | the 5 runs |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} > results/perf/explore.md
echo "wrote results/perf/explore.md"
