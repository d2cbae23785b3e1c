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
# and need no local service: they start first, in their own go test, while the
# services start, and the other packages run beside them. Their output follows
# the others'. Their synths skip aws-cdk-lib's CloudFormation validation: they run
# AWS's validator over every final template instead (see TestMain in
# test/synth_test.go). Their Node processes run single-threaded
# (scripts/jsii-node.sh), and their Go side collects garbage less often (GOGC=400:
# each collection holds up the next call to the Node process).
if [ "${FAULTS:-}" != only ]; then
  [ -x bin/app ] || echo "First test run in this clone: if Go's build cache does not hold the AWS CDK's Go module yet, compiling it for the infrastructure tests takes about 7 minutes on 2 cores, once."
  CDK_VALIDATION=false JSII_NODE=$PWD/scripts/jsii-node.sh GOGC=400 go test -count=1 -vet=off -timeout 20m "$@" ./test > "$infralog" 2>&1 &
  infra=$!
fi
bash scripts/services.sh start
SERVICES_SET=faults bash scripts/services.sh start
# shellcheck disable=SC1091
. .services/env
# shellcheck disable=SC1091
. .services-faults/env
# make faults runs only the fault suite: FAULTS=only.
if [ "${FAULTS:-}" = only ]; then
  CGO_ENABLED=0 go test -count=1 -timeout 10m -run '^TestFault' -v ./internal/... ./lambdas/... ./service/... | grep -E '^(=== RUN|--- |\s+\w+_test\.go:[0-9]+: |ok|FAIL|PASS)'
  exit "${PIPESTATUS[0]}"
fi
# A short run of every fuzz test, beside the tests and niced the most, so it takes
# only the CPU they leave idle: a fixed number of new inputs each (make fuzz runs
# them for a time instead), from the committed seeds and a fresh cache of
# interesting inputs, so the pass does the same work however busy the machine is
# and however many runs came before (the build cache's corpus, which make fuzz
# grows, is replayed in full before each run: on a well-used clone that took longer
# than the new inputs). go test skips its vet pass: make lint runs go vet in full.
fuzzlog=$(mktemp)
fuzzcache=$(mktemp -d)
CGO_ENABLED=0 FUZZTIME=${FUZZTIME:-10000x} FUZZCACHE=$fuzzcache nice -n 19 bash scripts/fuzz.sh > "$fuzzlog" 2>&1 &
fuzz=$!
# The other packages in reverse order: service/ and lambdas/ first, whose tests
# spend the longest waiting on the local services (go test runs two packages at a
# time, in the order given, on 2 cores). Built without cgo, as every binary that
# deploys is (infra/gobuild), which also links them faster.
status=0
CGO_ENABLED=0 go test -count=1 -vet=off -timeout 20m "$@" $(go list ./... | grep -v '/test$' | sort -r) || status=$?
wait "$infra" || status=$?
infra=
cat "$infralog"
wait "$fuzz" || status=$?
cat "$fuzzlog"
rm -rf "$fuzzlog" "$fuzzcache"
exit "$status"
