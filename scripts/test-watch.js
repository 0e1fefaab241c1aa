// Preloaded (--require) into every test file's process by scripts/run-tests.js.
// It tells the runner which tests are running, so that a hang can be named
// and killed: a test that blocks its event loop (a worker spinning on
// Atomics, a synchronous read of a dead mount) never reaches the test
// runner's own timeout, and its output, buffered by the runner, dies with it.
//
// State goes to <DEVFUSE_TEST_STATE>/<pid>.json, written synchronously on each
// change: { file, running: [{ name, since }], last, idleSince }.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dir = process.env.DEVFUSE_TEST_STATE;
// Only in a test file's process: the runner's own process loads this too (execArgv is inherited).
if (dir && process.env.NODE_TEST_CONTEXT) {
  const nt = require('node:test');
  const stateFile = path.join(dir, `${process.pid}.json`);
  const file = process.argv[1] ?? '?';
  const running = new Map();
  let last;
  let idleSince = Date.now();

  const write = () => {
    const state = { file, running: [...running.values()], last, idleSince };
    try {
      fs.writeFileSync(`${stateFile}.tmp`, JSON.stringify(state));
      fs.renameSync(`${stateFile}.tmp`, stateFile);
    } catch { /* the runner cleaned up: it is ending */ }
  };

  nt.beforeEach((t) => {
    running.set(t, { name: t.name, since: Date.now() });
    write();
  });
  nt.afterEach((t) => {
    running.delete(t);
    last = t.name;
    idleSince = Date.now();
    write();
  });
  write();
}
