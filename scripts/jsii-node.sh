#!/bin/sh
# Node for jsii's kernel process, single-threaded (JSII_NODE=scripts/jsii-node.sh):
# V8's background compiler and garbage-collector threads cost more CPU than they
# save on 2 cores. A synth of dev with the CDK's CloudFormation validation takes
# about a third less CPU this way, and a little less time. make test and make synth
# use it; jsii passes the flag on to the process it starts.
exec node --single-threaded "$@"
