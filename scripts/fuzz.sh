#!/usr/bin/env bash
# Runs every Go fuzz test of the module (each `func FuzzX(f *testing.F)`) for
# FUZZTIME each: 10000x (new inputs) in make test, a duration with make fuzz. A
# crash is written to the package's testdata/fuzz/FuzzX/ folder: commit it, and it
# is a seed from then on. FUZZCACHE, if set, is the folder of the inputs the fuzzer
# found interesting (default: Go's build cache, where they pile up from run to run).
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-10000x}
grep -rl --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]+\(f \*testing\.F\)' --exclude-dir=node_modules --exclude-dir=cdk.out . | sort |
  while read -r file; do
    pkg=./$(dirname "${file#./}")
    for target in $(grep -oE '^func Fuzz[A-Za-z0-9_]+' "$file" | cut -d' ' -f2); do
      echo "fuzz: $pkg $target for $fuzztime"
      go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" ${FUZZCACHE:+-test.fuzzcachedir="$FUZZCACHE"} 2>&1 | tail -n 3
    done
  done
