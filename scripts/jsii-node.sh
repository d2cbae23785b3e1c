#!/bin/sh
# Node for jsii's kernel process in the tests (JSII_NODE=scripts/jsii-node.sh).
# - Single-threaded: V8's background compiler and garbage-collector threads cost
#   more CPU than they save on 2 cores.
# - Without jsii's launcher (bin/jsii-runtime.js), which is a second Node process
#   that relays every call between the Go side and the kernel (lib/program.js):
#   the kernel reads the Go side's requests from fd 3, a copy of stdin, and
#   scripts/jsii-kernel.cjs sends what it writes there to fd 4, stdout. The test
#   package alone takes 25 s instead of 34 s. If jsii's layout is not the one this
#   expects (a kernel on fd 3), the launcher runs as usual.
# jsii passes this script the launcher's path.
here=$(cd "$(dirname "$0")" && pwd)
kernel=$(dirname "$(dirname "$1")")/lib/program.js
if [ $# -eq 1 ] && [ -f "$kernel" ] && grep -q 'readFD:3,writeFD:3' "$kernel"; then
  exec node --single-threaded --preserve-symlinks --require "$here/jsii-kernel.cjs" "$kernel" 3<&0 4>&1 1>&2
fi
exec node --single-threaded "$@"
