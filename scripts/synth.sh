#!/usr/bin/env bash
# make synth: cdk synth of one stage into OUT, then AWS's CloudFormation validator
# (@aws/cloudformation-validate, the engine of the CDK's own synth-time validation)
# over the final templates, with every rule: an ERROR or FATAL finding fails the
# synth.
#
# Why not the CDK's own validation: it validates every template on every synth,
# in the app's Node process, starting its engine each time (about 3 s) and
# learning each resource type on first sight: about 9 s of a synth of prod. Here
# a template that passed before, byte for byte, for the same region and account
# and with the same validator, is not validated again (the cache is bin/validated),
# so a synth that changes nothing starts no engine, and one that changes a stack
# validates that stack. cdk deploy, cdk diff and a plain cdk synth run the app as
# usual, with the CDK's validation in its process: what deploys is checked there.
#
# Usage: [CDK_CLI=node_modules/.bin/cdk] [VALIDATED=bin/validated] bash scripts/synth.sh OUT CDK_SYNTH_FLAGS...
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1
shift
cdk=${CDK_CLI:-node_modules/.bin/cdk}

rm -rf "$out"
CDK_VALIDATION=false "$cdk" synth "$@" --quiet --output "$out"
if ! node --single-threaded scripts/validate-templates.mjs --cache "${VALIDATED:-bin/validated}" --errors-only "$out"; then
  echo "error: AWS's CloudFormation validator found errors in $out (above)" >&2
  exit 1
fi
