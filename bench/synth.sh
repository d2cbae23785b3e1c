#!/usr/bin/env bash
# Times a warm synth of each stage, through the pinned CDK CLI as `make synth` runs
# it, next to an empty Go CDK app (bench/emptyapp: one empty stack) synthesized
# through the same CLI in the same run, and a warm `make test`. The first, untimed
# runs warm the Go build cache and the assets' binaries. Each figure is the median
# of RUNS runs (default 3), the synths taken in turns, so a busy moment of the
# machine moves one run, not the figure.
# Before each timed run, sync writes out what the one before left in the page cache
# (a synth stages tens of megabytes of binaries), so no run pays for another's disk
# writes.
# Usage: [RUNS=3] bash bench/synth.sh dev staging prod
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${RUNS:-3}
cdk=node_modules/.bin/cdk
seconds() { awk -v start="$1" -v now="$(date +%s%N)" 'BEGIN { printf "%.1f", (now - start) / 1e9 }'; }
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
empty() { rm -rf cdk.out/empty && "$cdk" synth --no-notices --quiet --output cdk.out/empty --app "go build -o bin/empty ./bench/emptyapp && bin/empty" >/dev/null; }
stage() { make --no-print-directory synth STAGE="$1" OUT=cdk.out/bench >/dev/null 2>&1; }

stage "${1:-dev}"
empty
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m); go $(go env GOVERSION), node $(node --version); median of $runs runs"
declare -A took
for ((i = 0; i < runs; i++)); do
  sync
  start=$(date +%s%N)
  empty
  took[empty]+="$(seconds "$start") "
  for s in "$@"; do
    sync
    start=$(date +%s%N)
    stage "$s"
    took[$s]+="$(seconds "$start") "
  done
done
# shellcheck disable=SC2086 # the runs' figures, one word each
base=$(median ${took[empty]})
printf 'empty Go CDK app    %6ss  (runs: %s)\n' "$base" "${took[empty]% }"
for s in "$@"; do
  # shellcheck disable=SC2086
  m=$(median ${took[$s]})
  printf 'warm synth %-8s %6ss  %s× the empty app  (runs: %s)\n' "$s" "$m" "$(awk -v a="$m" -v b="$base" 'BEGIN { printf "%.1f", a / b }')" "${took[$s]% }"
done
rm -rf cdk.out/bench cdk.out/empty
tests=""
failed=0
for ((i = 0; i < runs; i++)); do
  sync
  start=$(date +%s%N)
  make --no-print-directory test >/dev/null 2>&1 || failed=$((failed + 1))
  tests+="$(seconds "$start") "
done
# shellcheck disable=SC2086
printf 'warm make test      %6ss  (runs: %s)\n' "$(median $tests)" "${tests% }"
# A failed run stops early: its time says nothing.
[ "$failed" -eq 0 ] || { echo "make test failed in $failed of $runs runs: run it alone to see why" >&2; exit 1; }
