#!/usr/bin/env bash
# The service benchmark: product reads with a Zipf-distributed load over 10,000
# products, against the service on loopback with the cache on, then off. Starts the
# local services and the service (scripts/run-local.sh), stops them all by pid.
# Usage: [CONCURRENCY=32] bash bench/service.sh [seconds per run, default 15]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
trap 'bash scripts/stop-local.sh >/dev/null' EXIT
go build -o .services/bin/loadgen ./bench/loadgen 2>/dev/null || { mkdir -p .services/bin && go build -o .services/bin/loadgen ./bench/loadgen; }

SHOP_PORT=8080 bash scripts/run-local.sh >/dev/null
echo "machine: $(nproc) cores, $(go env GOVERSION); Zipf s=1.1 over 10,000 products, ${CONCURRENCY:-32} clients, ${seconds}s warm-up then ${seconds}s measured"
.services/bin/loadgen -url http://127.0.0.1:8080 -duration "${seconds}s" -concurrency "${CONCURRENCY:-32}" -label "cache on"

# The same service without a cache: restart it with REDIS_ADDR empty.
kill "$(cat .services/service.pid)"; sleep 1
. .services/env
topic=$(curl -fsS "$SHOP_TEST_AWS_ENDPOINT/" -d Action=ListTopics | sed -n 's:.*<TopicArn>\(.*order-events\)</TopicArn>.*:\1:p')
SHOP_ADDR=127.0.0.1:8081 DATABASE_URL=$SHOP_TEST_PG_PRIMARY REPLICA_URL=$SHOP_TEST_PG_REPLICA REDIS_ADDR= \
  EVENTS_TOPIC_ARN=$topic AWS_ENDPOINT_URL=$SHOP_TEST_AWS_ENDPOINT AWS_REGION=us-east-1 \
  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_EC2_METADATA_DISABLED=true \
  nohup .services/bin/shop > .services/service-nocache.log 2>&1 &
echo $! > .services/service.pid
for _ in $(seq 50); do curl -fsS http://127.0.0.1:8081/healthz >/dev/null 2>&1 && break; sleep 0.1; done
.services/bin/loadgen -url http://127.0.0.1:8081 -duration "${seconds}s" -concurrency "${CONCURRENCY:-32}" -label "cache off"
