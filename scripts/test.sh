#!/usr/bin/env bash
# The README's test command (make test): starts the local services on loopback, runs
# every Go test against them, and stops the services by process id, pass or fail.
set -euo pipefail
cd "$(dirname "$0")/.."

# The tests' services, and a second set the fault tests freeze and thaw.
stop() { bash scripts/services.sh stop & SERVICES_SET=faults bash scripts/services.sh stop; wait; }
stop >/dev/null # whatever an interrupted run left behind
trap stop EXIT
bash scripts/services.sh start
SERVICES_SET=faults bash scripts/services.sh start
[ -x bin/app ] || echo "First test run in this clone: if Go's build cache does not hold the AWS CDK's Go module yet, compiling it for the infrastructure tests takes about 7 minutes on 2 cores, once."
# shellcheck disable=SC1091
. .services/env
# shellcheck disable=SC1091
. .services-faults/env
# make faults runs only the fault suite: FAULTS=only.
if [ "${FAULTS:-}" = only ]; then
  go test -count=1 -timeout 10m -run '^TestFault' -v ./internal/... ./lambdas/... ./service/... | grep -E '^(=== RUN|--- |\s+\w+_test\.go:[0-9]+: |ok|FAIL|PASS)'
  exit "${PIPESTATUS[0]}"
fi
# A short run of every fuzz test, beside the tests and niced, so it takes only the
# CPU they leave idle: a fixed number of new inputs each (make fuzz runs them for
# a time instead), from the committed seeds and a fresh cache of interesting
# inputs, so the pass does the same work however busy the machine is and however
# many runs came before (the build cache's corpus, which make fuzz grows, is
# replayed in full before each run: on a well-used clone that took longer than the
# new inputs). go test skips its vet pass: make lint runs go vet in full.
fuzzlog=$(mktemp)
fuzzcache=$(mktemp -d)
FUZZTIME=${FUZZTIME:-10000x} FUZZCACHE=$fuzzcache nice -n 19 bash scripts/fuzz.sh > "$fuzzlog" 2>&1 &
fuzz=$!
# The infrastructure tests (./test) take the longest, mostly in one Node process:
# they start first, in their own go test, and the other packages run beside them.
# Their output follows the others'.
infralog=$(mktemp)
go test -count=1 -vet=off -timeout 20m "$@" ./test > "$infralog" 2>&1 &
infra=$!
status=0
go test -count=1 -vet=off -timeout 20m "$@" $(go list ./... | grep -v '/test$') || status=$?
wait "$infra" || status=$?
cat "$infralog"
wait "$fuzz" || status=$?
cat "$fuzzlog"
rm -rf "$fuzzlog" "$infralog" "$fuzzcache"
exit "$status"
