#!/usr/bin/env bash
# Stops what run-local.sh started: the service, then the local services, by pid.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f .services/service.pid ]; then
  pid=$(cat .services/service.pid)
  kill "$pid" 2>/dev/null && for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f .services/service.pid
fi
bash scripts/services.sh stop
