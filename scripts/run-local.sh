#!/usr/bin/env bash
# Runs the sample service on loopback against the real local services: starts
# PostgreSQL (primary + replica), Redis and goaws (scripts/services.sh), applies the
# migrations, creates the order-event topic and each consumer's subscribed queue in
# goaws as the events stack does in AWS, seeds a catalog, and starts the service.
# Stop everything with: make stop-local
set -euo pipefail
cd "$(dirname "$0")/.."
state=.services
port=${SHOP_PORT:-8080}

[ -f "$state/service.pid" ] && kill -0 "$(cat "$state/service.pid")" 2>/dev/null \
  && { echo "run-local: already running (pid $(cat "$state/service.pid")); make stop-local first" >&2; exit 1; }
bash scripts/services.sh stop >/dev/null
bash scripts/services.sh start
# shellcheck disable=SC1091
. "$state/env"

mkdir -p "$state/bin"
go build -o "$state/bin/shop" ./service
DATABASE_URL=$SHOP_TEST_PG_PRIMARY "$state/bin/shop" migrate

# The fan-out, in goaws, built from the contract (internal/orderevents.Consumers):
# topic, one queue per consumer, raw delivery and each consumer's filter.
topic=$(go run ./cmd/fanout -endpoint "$SHOP_TEST_AWS_ENDPOINT")

psql -q "$SHOP_TEST_PG_PRIMARY" <<'SQL'
INSERT INTO products (sku, name, price_cents)
SELECT 'SKU-' || n, 'product ' || n, 100 + n FROM generate_series(1, 10000) n ON CONFLICT DO NOTHING;
INSERT INTO stock (product_id, quantity) SELECT id, 1000 FROM products ON CONFLICT DO NOTHING;
SQL

SHOP_ADDR=127.0.0.1:$port DATABASE_URL=$SHOP_TEST_PG_PRIMARY REPLICA_URL=$SHOP_TEST_PG_REPLICA \
  REDIS_ADDR=$SHOP_TEST_REDIS EVENTS_TOPIC_ARN=$topic ADMIN_TOKEN=local-admin-token \
  AWS_ENDPOINT_URL=$SHOP_TEST_AWS_ENDPOINT AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local \
  AWS_EC2_METADATA_DISABLED=true nohup "$state/bin/shop" > "$state/service.log" 2>&1 &
echo $! > "$state/service.pid"
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { echo "run-local: the service did not start:" >&2; tail -20 "$state/service.log" >&2; exit 1; }
cat <<MSG
run-local: the shop listens on http://127.0.0.1:$port (logs: $state/service.log, 10,000 products)
  curl http://127.0.0.1:$port/api/products?limit=3
  curl -X POST http://127.0.0.1:$port/api/orders -H 'Idempotency-Key: try-1' \\
       -d '{"customerEmail":"you@example.com","lines":[{"productId":1,"quantity":2}]}'
  curl http://127.0.0.1:$port/readyz
stop with: make stop-local
MSG
