#!/usr/bin/env node
// Empties the parts of dist/ a build is about to write: dist/src, and the directories named
// (test, scripts). A source that moved or went away must leave no compiled module behind:
// Node would still load a stale dist/src/x.js in place of a new dist/src/x/index.js, and the
// test runner would still run a stale dist/test/*.test.js.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

for (const dir of ['src', ...process.argv.slice(2)]) {
  fs.rmSync(path.join(__dirname, '..', 'dist', dir), { recursive: true, force: true });
}
