#!/usr/bin/env bash
# The README's test command (make test): starts the local services on loopback, runs
# every Go test against them, and stops the services by process id, pass or fail.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/services.sh stop >/dev/null # whatever an interrupted run left behind
bash scripts/services.sh start
trap 'bash scripts/services.sh stop' EXIT
# shellcheck disable=SC1091
. .services/env
go test -count=1 -timeout 20m "$@" ./...
# A short run of every fuzz test; make fuzz runs them longer.
bash scripts/fuzz.sh
