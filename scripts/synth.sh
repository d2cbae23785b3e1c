#!/usr/bin/env bash
# make synth: cdk synth of one stage into OUT, its final templates checked by AWS's
# CloudFormation validator (@aws/cloudformation-validate, the engine of the CDK's
# own synth-time validation) in a Node process of its own, with every rule, and an
# ERROR or FATAL finding failing the synth.
#
# Why not the CDK's own validation: it runs in the app's Node process after the
# constructs are built, so a synth waits for its engine to start (about 3 s) and to
# learn each resource type on first sight (about 5 s for prod), on one core. Here
# the validator starts with the synth and learns the types from the stage's
# committed snapshots (test/snapshots) while the app builds its constructs on the
# other core; checking the new templates then takes about a second. cdk deploy,
# cdk diff and a plain cdk synth run the app as usual, with the CDK's validation in
# its process: what deploys is checked there too.
#
# Usage: [CDK_CLI=node_modules/.bin/cdk] bash scripts/synth.sh STAGE OUT CDK_SYNTH_FLAGS...
set -euo pipefail
cd "$(dirname "$0")/.."
stage=$1 out=$2
shift 2
cdk=${CDK_CLI:-node_modules/.bin/cdk}

rm -rf "$out"
# The stage's snapshots, by its stack names (<prefix>-<stage>-…); a stage without
# any yet goes without.
warm=()
for f in test/snapshots/*-"$stage"-*.json; do
  [ -f "$f" ] && warm+=(--warm "$f")
done

tmp=$(mktemp -d)
mkfifo "$tmp/folders"
node scripts/validate-templates.mjs ${warm[@]+"${warm[@]}"} --errors-only --stdin < "$tmp/folders" &
validator=$!
exec 3> "$tmp/folders" # the validator reads the folder to check from here
rm -rf "$tmp"
trap 'kill "$validator" 2>/dev/null || true' EXIT

CDK_VALIDATION=false "$cdk" synth "$@" --quiet --output "$out"
echo "$out" >&3
exec 3>&-
trap - EXIT
if ! wait "$validator"; then
  echo "error: AWS's CloudFormation validator found errors in $out (above)" >&2
  exit 1
fi
