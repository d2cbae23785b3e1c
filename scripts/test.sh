#!/usr/bin/env bash
# The README's test command (make test): starts the local services on loopback, runs
# every Go test against them, and stops the services by process id, pass or fail.
set -euo pipefail
cd "$(dirname "$0")/.."

# The tests' services, and a second set the fault tests freeze and thaw.
stop() { bash scripts/services.sh stop & SERVICES_SET=faults bash scripts/services.sh stop; wait; }
stop >/dev/null # whatever an interrupted run left behind
infra=
infralog=$(mktemp)
# On the way out, pass or fail: the infrastructure tests if still running, then the services.
trap '[ -z "$infra" ] || kill "$infra" 2>/dev/null; stop; rm -f "$infralog"' EXIT

# The infrastructure tests (./test) take the longest, mostly in one Node process,
# and need no local service: they start first, in a process of their own, while the
# services start, and the other packages run beside them. Their output follows
# the others'. Their synths skip aws-cdk-lib's CloudFormation validation: they run
# AWS's validator over every final template instead (see TestMain in
# test/synth_test.go). Their Node processes run single-threaded
# (scripts/jsii-node.sh), and their Go side collects garbage less often (GOGC=400:
# each collection holds up the next call to the Node process).
#
# Every package's test binary is built into bin/test/ with go test -c, which leaves
# a binary alone when nothing it is built from changed: go test would link each
# one again on every run, about 15 s of CPU for this module. run_tests runs them
# as go test would, each in its package's folder, and prints go test's lines. The
# build skips go test's vet pass: make lint runs go vet in full.

# build_tests PACKAGE... builds the test binaries of the packages that have tests
# and prints a line for each: GROUP NAME IMPORT_PATH FOLDER, in the order given.
build_tests() {
  # go test -c -o DIR/ names each binary after the last element of its import
  # path: packages that share one (internal/smoke, cmd/smoke) go to separate
  # folders, DIR/1, DIR/2...
  local listing group
  listing=$(go list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}} {{.Dir}}{{end}}' "$@" |
    awk 'NF { n = $1; sub(/.*\//, "", n); print ++seen[n], n, $1, $2 }')
  for group in $(echo "$listing" | cut -d' ' -f1 | sort -u); do
    # shellcheck disable=SC2046
    go test -c -vet=off -o "bin/test/$group/" $(echo "$listing" | awk -v g="$group" '$1 == g { print $3 }') || return 1
  done
  [ -z "$listing" ] || echo "$listing"
}

# run_tests [FLAG...] runs the binaries build_tests listed on stdin, two at a time,
# in that order, printing "ok" or the output and "FAIL" for each as it ends; it
# fails if one does. The flags go to every binary (-test.run=...). A subshell, so
# that its wait -n waits for its own jobs only.
run_tests() (
  root=$PWD status=0 running=0
  while read -r group name pkg dir; do
    if [ "$running" -ge 2 ]; then wait -n || status=1; running=$((running - 1)); fi
    run_binary "$pkg" "$dir" "$root/bin/test/$group/$name.test" "$@" &
    running=$((running + 1))
  done
  for ((n = 0; n < running; n++)); do wait -n || status=1; done
  exit "$status"
)

# run_binary IMPORT_PATH FOLDER BINARY FLAG... runs one package's tests.
run_binary() {
  local out start status=0
  out=$(mktemp)
  start=$(date +%s%N)
  (cd "$2" && "$3" -test.paniconexit0 -test.timeout=20m "${@:4}") > "$out" 2>&1 || status=$?
  local took
  took=$(awk -v ns=$(( $(date +%s%N) - start )) 'BEGIN { printf "%.3fs", ns / 1e9 }')
  if [ "$status" -eq 0 ]; then
    printf 'ok  \t%s\t%s\n' "$1" "$took"
  else
    cat "$out"
    printf 'FAIL\t%s\t%s\n' "$1" "$took"
  fi
  rm -f "$out"
  return "$status"
}

if [ "${FAULTS:-}" != only ]; then
  [ -x bin/app ] || echo "First test run in this clone: if Go's build cache does not hold the AWS CDK's Go module yet, compiling it for the infrastructure tests takes about 7 minutes on 2 cores, once."
  { build_tests ./test | CDK_VALIDATION=false JSII_NODE=$PWD/scripts/jsii-node.sh GOGC=400 run_tests "$@"; } > "$infralog" 2>&1 &
  infra=$!
  # The other packages' binaries build while the services start. Built without
  # cgo, as every binary that deploys is (infra/gobuild), which also links them
  # faster. In reverse order: service/ and lambdas/ run first, whose tests spend
  # the longest waiting on the local services.
  otherbins=$(mktemp)
  # shellcheck disable=SC2046
  CGO_ENABLED=0 build_tests $(go list ./... | grep -v '/test$' | sort -r) > "$otherbins" &
  building=$!
  # A short run of every fuzz test, beside the tests and niced as the
  # infrastructure tests' background work is (at 19 it got so little CPU that it
  # ran on alone for seconds after the tests): a fixed number of new inputs each
  # (make fuzz runs them for a time instead), from the committed seeds and a fresh
  # cache of interesting inputs, so the pass does the same work however busy the
  # machine is and however many runs came before (the build cache's corpus, which
  # make fuzz grows, is replayed in full before each run: on a well-used clone that
  # took longer than the new inputs). It needs no service, so it starts now.
  fuzzlog=$(mktemp)
  fuzzcache=$(mktemp -d)
  CGO_ENABLED=0 FUZZTIME=${FUZZTIME:-5000x} FUZZCACHE=$fuzzcache nice -n 10 bash scripts/fuzz.sh > "$fuzzlog" 2>&1 &
  fuzz=$!
fi
# Both sets at once, once what they need is installed and built.
bash scripts/services.sh prepare
bash scripts/services.sh start &
test_set=$!
SERVICES_SET=faults bash scripts/services.sh start
wait "$test_set"
# shellcheck disable=SC1091
. .services/env
# shellcheck disable=SC1091
. .services-faults/env
# make faults runs only the fault suite: FAULTS=only.
if [ "${FAULTS:-}" = only ]; then
  CGO_ENABLED=0 go test -count=1 -timeout 10m -run '^TestFault' -v ./internal/... ./lambdas/... ./service/... | grep -E '^(=== RUN|--- |\s+\w+_test\.go:[0-9]+: |ok|FAIL|PASS)'
  exit "${PIPESTATUS[0]}"
fi
# The other packages, two at a time.
status=0
wait "$building" || status=$?
CGO_ENABLED=0 run_tests "$@" < "$otherbins" || status=$?
wait "$infra" || status=$?
infra=
cat "$infralog"
wait "$fuzz" || status=$?
cat "$fuzzlog"
rm -rf "$fuzzlog" "$fuzzcache" "$otherbins"
exit "$status"
