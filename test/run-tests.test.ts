/**
 * scripts/run-tests.js: a hung test file is killed and fails, naming the
 * test; the runner's closing lines count it under "ℹ fail". Runs the script
 * on throwaway test files with a 1 s limit.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

const script = path.join(__dirname, '..', '..', 'scripts', 'run-tests.js');

const FILES: Record<string, string> = {
  // Blocks its event loop: no timeout inside the process can fire.
  'sync.test.js': `const { describe, test } = require('node:test');
describe('suite', () => {
  test('sync fine', () => {});
  test('sync hang', () => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); });
});`,
  'async.test.js': `const { test } = require('node:test');
test('async hang', () => new Promise(() => setInterval(() => {}, 1000)));`,
  'hook.test.js': `const { test, after } = require('node:test');
test('before the hook', () => {});
after(() => new Promise(() => setInterval(() => {}, 1000)));`,
  // Longer than the 1 s limit, but the file says so: not a hang.
  'declared.test.js': `// run-tests: limit 60 s
const { test } = require('node:test');
test('declared long', () => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2500); });`,
  'fine.test.js': `const { test } = require('node:test');
test('plain', () => {});`,
};

function runScript(root: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, DEVFUSE_TEST_ROOT: root, DEVFUSE_TEST_TIMEOUT: '1' };
    delete env['DEVFUSE_TEST_STATE'];
    const c = spawn(process.execPath, [script], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d));
    c.stderr.on('data', (d: Buffer) => (out += d));
    c.on('error', reject);
    c.on('close', (code) => resolve({ code, out }));
  });
}

test('run-tests.js: hangs are killed and named, counted as failures; a file that declares a longer limit is left alone', { timeout: 120_000 }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-runner-'));
  try {
    for (const [name, body] of Object.entries(FILES)) fs.writeFileSync(path.join(root, name), body);
    const { code, out } = await runScript(root);
    assert.equal(code, 1, out);
    assert.match(out, /✖ hung: sync\.test\.js: test "sync hang" still running after \d+ s; killed/);
    assert.match(out, /✖ hung: async\.test\.js: test "async hang" still running after \d+ s; killed/);
    assert.match(out, /✖ hung: hook\.test\.js: stuck for \d+ s after its test "before the hook" \(in a hook, or not exiting\); killed/);
    assert.doesNotMatch(out, /hung: (declared|fine)/);
    assert.match(out, /✔ declared long/);
    assert.match(out, /✔ plain/);
    // The closing lines CI reads: the three killed files are failures, not "cancelled".
    assert.match(out, /^ℹ fail 3$/m);
    assert.match(out, /^ℹ cancelled 0$/m);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
