#!/usr/bin/env bash
# Times a warm synth of each stage, through the pinned CDK CLI as `make synth` runs
# it, next to an empty Go CDK app (bench/emptyapp: one empty stack) synthesized
# through the same CLI in the same run, and a warm `make test`. The first, untimed
# runs warm the Go build cache and the assets' binaries.
# Usage: bash bench/synth.sh dev staging prod
set -euo pipefail
cd "$(dirname "$0")/.."

cdk=node_modules/.bin/cdk
seconds() { awk -v start="$1" -v now="$(date +%s%N)" 'BEGIN { printf "%.1f", (now - start) / 1e9 }'; }
empty() { rm -rf cdk.out/empty && "$cdk" synth --no-notices --quiet --output cdk.out/empty --app "go build -o bin/empty ./bench/emptyapp && bin/empty" >/dev/null; }

make --no-print-directory synth STAGE="${1:-dev}" OUT=cdk.out/bench >/dev/null 2>&1
empty
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m); go $(go env GOVERSION), node $(node --version)"
start=$(date +%s%N)
empty
base=$(seconds "$start")
printf 'empty Go CDK app    %6ss\n' "$base"
for stage in "$@"; do
  start=$(date +%s%N)
  make --no-print-directory synth STAGE="$stage" OUT=cdk.out/bench >/dev/null 2>&1
  took=$(seconds "$start")
  printf 'warm synth %-8s %6ss  %s× the empty app\n' "$stage" "$took" "$(awk -v a="$took" -v b="$base" 'BEGIN { printf "%.1f", a / b }')"
done
rm -rf cdk.out/bench cdk.out/empty
start=$(date +%s%N)
make --no-print-directory test >/dev/null 2>&1
printf 'warm make test      %6ss\n' "$(seconds "$start")"
