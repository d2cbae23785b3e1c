#!/usr/bin/env bash
# Rotates the value CloudFront sends the API in X-Origin-Verify, without refusing a
# single request: make rotate-origin-secret STAGE=dev
#
# 1. A new value becomes the secret's AWSCURRENT version; the old one becomes
#    AWSPREVIOUS. The service accepts both: it reads the secret again as soon as it
#    sees a value it does not know (at most every 10 s), and every 5 minutes.
# 2. The CDN stack is deployed with the reference pinned to the new version, so
#    CloudFormation reads the secret again (it does not while the reference is
#    unchanged) and CloudFront sends the new value.
# The next rotation retires the old value. The next plain deploy changes the
# reference back to "current", which resolves to the same value.
set -euo pipefail

stage=${STAGE:?STAGE is required, e.g. STAGE=dev}
cdk=${CDK_CLI:-node_modules/.bin/cdk}
# The stage's stack names start with its prefix, from its configuration.
prefix=$(go run ./cmd/stage -stage "$stage" -field prefix)
stateful=$prefix-stateful
cdn=$prefix-cdn

arn=$(aws cloudformation describe-stacks --stack-name "$stateful" \
  --query "Stacks[0].Outputs[?OutputKey=='OriginSecretArn'].OutputValue" --output text)
if [[ -z "$arn" || "$arn" == None ]]; then
  echo "error: no OriginSecretArn output on stack $stateful: deploy the stage first (make deploy STAGE=$stage)" >&2
  exit 1
fi

value=$(openssl rand -hex 32)
version=$(aws secretsmanager put-secret-value --secret-id "$arn" \
  --secret-string "{\"value\":\"$value\"}" --query VersionId --output text)
unset value
echo "origin secret: new version $version is current; the service accepts it and the previous one"

# The service reads the secret again at most every 10 s when it meets an unknown
# value; give every instance that long before CloudFront starts sending it.
sleep 15
"$cdk" deploy --no-notices -c stage="$stage" -c originSecretVersion="$version" \
  --exclusively "$cdn" --require-approval never
echo "origin secret: CloudFront sends version $version"
