#!/usr/bin/env bash
# Runs every Go fuzz test of the module (each `func FuzzX(f *testing.F)`) for
# FUZZTIME each: 5000x (new inputs) in make test, a duration with make fuzz. A
# crash is written to the package's testdata/fuzz/FuzzX/ folder: commit it, and it
# is a seed from then on. FUZZCACHE, if set, is the folder of the inputs the fuzzer
# found interesting (default: Go's build cache, where they pile up from run to run).
#
# Each package's fuzzing test binary is built once into bin/fuzz/ (go test -c,
# which leaves it alone when nothing it is built from changed) and run from the
# package's folder, as go test -fuzz would run it: a short run is then mostly
# fuzzing, not linking.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
fuzztime=${FUZZTIME:-10000x}
gocache=$(go env GOCACHE)
grep -rl --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]+\(f \*testing\.F\)' --exclude-dir=node_modules --exclude-dir=cdk.out . | sort |
  while read -r file; do
    dir=$(dirname "${file#./}")
    binary=$root/bin/fuzz/$(echo "$dir" | tr / -).test
    go test -c -fuzz=. -o "$binary" "./$dir"
    for target in $(grep -oE '^func Fuzz[A-Za-z0-9_]+' "$file" | cut -d' ' -f2); do
      echo "fuzz: ./$dir $target for $fuzztime"
      (cd "$dir" && "$binary" -test.run '^$' -test.fuzz "^${target}\$" -test.fuzztime "$fuzztime" \
        -test.fuzzcachedir="${FUZZCACHE:-$gocache/fuzz/$(go list -f '{{.ImportPath}}' .)}" 2>&1) | tail -n 3
    done
  done
