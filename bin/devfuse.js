#!/usr/bin/env node
'use strict';
// The devfuse command. The TypeScript sources build to dist/ (npm ci / npm install runs the build).
let cli;
try {
  ({ cli } = require('../dist/src/cli/main.js'));
} catch (e) {
  if (e && e.code === 'MODULE_NOT_FOUND' && String(e.message).includes('dist/src/cli/main.js')) {
    process.stderr.write('devfuse: not built yet: run "npm ci" (or "npm run build") in the package directory\n');
    process.exit(1);
  }
  throw e;
}
cli(process.argv.slice(2));
