#!/usr/bin/env bash
# Times a warm synth of each stage (through the pinned CDK CLI, as `make synth` runs it)
# and a warm `make test`. The first, untimed synth warms the Go build cache.
# Usage: bash bench/synth.sh dev staging prod
set -euo pipefail
cd "$(dirname "$0")/.."

seconds() { awk -v start="$1" -v now="$(date +%s%N)" 'BEGIN { printf "%.1f", (now - start) / 1e9 }'; }

make --no-print-directory synth STAGE="${1:-dev}" OUT=cdk.out/bench >/dev/null
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m); go $(go env GOVERSION), node $(node --version)"
for stage in "$@"; do
  start=$(date +%s%N)
  make --no-print-directory synth STAGE="$stage" OUT=cdk.out/bench >/dev/null
  printf 'warm synth %-8s %6ss\n' "$stage" "$(seconds "$start")"
done
rm -rf cdk.out/bench
start=$(date +%s%N)
make --no-print-directory test >/dev/null
printf 'warm test           %6ss\n' "$(seconds "$start")"
