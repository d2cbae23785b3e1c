// Loaded (node --require) into jsii's kernel when scripts/jsii-node.sh starts it
// without jsii's own launcher. That launcher is a second Node process between the
// Go side and the kernel: it relays every request and response, and wraps the
// kernel's console output as JSON lines on stderr for the Go side to unwrap. Here
// the kernel does both itself:
// - its protocol, written to fd 3, goes to fd 4 (the Go side's stdout pipe; fd 3
//   is a copy of stdin, which it reads);
// - its console output goes to stderr as the same JSON lines the launcher writes.
'use strict';
const fs = require('fs');

const PROTOCOL = 3; // the kernel reads and writes jsii's protocol here
const RESPONSES = 4; // where the Go side reads it

const writeSync = fs.writeSync;
fs.writeSync = function (fd, ...args) {
  return writeSync.call(this, fd === PROTOCOL ? RESPONSES : fd, ...args);
};

for (const name of ['stdout', 'stderr']) {
  process[name].write = (chunk, encoding, callback) => {
    if (typeof encoding === 'function') [encoding, callback] = [undefined, encoding];
    const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), encoding);
    writeSync.call(fs, 2, JSON.stringify({ [name]: data.toString('base64') }) + '\n');
    if (callback) process.nextTick(callback);
    return true;
  };
}
