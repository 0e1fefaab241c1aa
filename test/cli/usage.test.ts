/**
 * The devfuse command as a script sees it, without mounting: help on
 * stdout with status 0 for every command, usage errors in one line on
 * stderr with status 2, load errors named in one line, and `trace show`
 * complete through a slow pipe and quiet when the reader goes away.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'devfuse.js');
const devfuse = (...args: string[]): { status: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-cli-usage-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('help goes to stdout with status 0, for devfuse and each command', () => {
  for (const args of [['--help'], ['-h'], ['help'], ['mount', '--help'], ['mount', 'memfs', '-h'], ['help', 'mount'], ['cuse', '--help'], ['trace', '--help']]) {
    const r = devfuse(...args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, /usage:/, args.join(' '));
    assert.equal(r.stderr, '', args.join(' '));
  }
  assert.match(devfuse('mount', '--help').stdout, /--ready-fd N[\s\S]*--background[\s\S]*stack[\s\S]*request_timeout=S/);
});

test('usage errors: one line on stderr naming the problem, status 2', () => {
  const cases: [string[], RegExp][] = [
    [['mount', 'foo', '/mnt/x'], /^devfuse mount: unknown filesystem "foo" \(hello, memfs, passthrough\)\n$/],
    [['mount', 'memfs'], /^devfuse mount: memfs takes <mountpoint>, got 0 arguments\n$/],
    [['mount', 'passthrough', '/a'], /^devfuse mount: passthrough takes <source> <mountpoint>, got 1 argument: \/a\n$/],
    [['mount', 'memfs', '/nonexistent-mountpoint', '--trce', 'x'], /^devfuse mount: unknown flag --trce \(this command takes .*\)\n$/],
    [['mount', 'memfs', '/nonexistent-mountpoint', '--ready-fd', '99'], /^devfuse mount: --ready-fd 99: not an open file descriptor/],
    [['nonsense'], /^devfuse: unknown command "nonsense" \(commands: .*\)\n$/],
    [['cuse', 'nope', 'x'], /^devfuse cuse: unknown device "nope" \(echo, fioc\)\n$/],
    [['trace', 'show'], /^devfuse trace: expected: trace show <file>\n$/],
  ];
  for (const [args, re] of cases) {
    const r = devfuse(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stdout, '', args.join(' '));
  }
  // Bare `devfuse`: the usage, on stderr.
  const bare = devfuse();
  assert.equal(bare.status, 2);
  assert.match(bare.stderr, /usage:/);
});

test('a module that cannot be loaded is named in one line, without a require stack', () => {
  const trace = path.join(tmp, 'empty.trace');
  fs.writeFileSync(trace, '{"devfuse_trace":1}\n');
  const bad = path.join(tmp, 'bad.js');
  fs.writeFileSync(bad, 'module.exports = { x: 1 +; };\n');
  const dep = path.join(tmp, 'dep.js');
  fs.writeFileSync(dep, "require('devfuse-no-such-package'); module.exports = () => ({});\n");
  const throws = path.join(tmp, 'throws.js');
  fs.writeFileSync(throws, "throw new Error('boom while loading');\n");
  const cases: [string, RegExp][] = [
    ['missing.js', /^devfuse trace: cannot find missing\.js \(not a file, nor one of memfs, hello, passthrough\)\n$/],
    [bad, /^devfuse trace: cannot load .*bad\.js: SyntaxError: Unexpected token .*\(.*bad\.js:1\)\n$/],
    [dep, /^devfuse trace: cannot load .*dep\.js: Cannot find module 'devfuse-no-such-package'\n$/],
    [throws, /^devfuse trace: cannot load .*throws\.js: Error: boom while loading\n$/],
  ];
  for (const [mod, re] of cases) {
    const r = devfuse('trace', 'replay', trace, mod);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, re);
  }
});

/** A trace of `n` replies (no requests: each shows as one line), big enough to fill a pipe many times over. */
function bigTrace(n: number): string {
  const file = path.join(tmp, `big-${n}.trace`);
  const lines = ['{"devfuse_trace":1}'];
  for (let i = 1; i <= n; i++) {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(16, 0);
    h.writeBigUInt64LE(BigInt(i), 8);
    lines.push(JSON.stringify({ t: i, dir: 'out', data: h.toString('base64') }));
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

test('trace show is complete through a pipe whose reader is slow', async () => {
  const n = 20_000;
  const file = bigTrace(n);
  const c = spawn(process.execPath, [BIN, 'trace', 'show', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  // Read nothing for a while: the pipe fills and the rest waits in the process, as under `less`.
  c.stdout.pause();
  await new Promise((r) => setTimeout(r, 500));
  let out = '';
  c.stdout.on('data', (d: Buffer) => (out += d));
  c.stdout.resume();
  const status = await new Promise<number | null>((r) => c.on('close', (code) => r(code)));
  assert.equal(status, 0);
  const lines = out.split('\n').filter(Boolean);
  assert.equal(lines.length, n, `${lines.length} of ${n} lines`);
  assert.match(lines[n - 1]!, new RegExp(`← ${n} \\? OK 0 bytes$`));
});

test('trace show | head: the reader going away ends it quietly, status 0', async () => {
  const file = bigTrace(20_000);
  const c = spawn(process.execPath, [BIN, 'trace', 'show', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  c.stderr.on('data', (d: Buffer) => (err += d));
  await new Promise<void>((r) => c.stdout.once('data', () => r()));
  c.stdout.destroy();
  const status = await new Promise<number | null>((r) => c.on('close', (code) => r(code)));
  assert.equal(err, '');
  assert.equal(status, 0);
});
