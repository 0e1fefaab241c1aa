/**
 * `devfuse conformance` on modules: each scenario in a child process, so a
 * filesystem that exits, aborts, allocates without bound or blocks its
 * event loop fails the scenario it was in, named, and the other scenarios
 * are still run and reported. Exit status 0/1/2, --json, and the leak
 * check from the CLI through a module's `inspect` export.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { runConformance } from '../../src/testing/conformance/kit';

const repo = path.join(__dirname, '..', '..', '..');
const bin = path.join(repo, 'bin', 'devfuse.js');
const fixtures = path.join(__dirname, 'runner-fixtures.js');
const leak = path.join(__dirname, 'runner-fixture-leak.js');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function devfuse(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [bin, 'conformance', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The line of `name` in the streamed report, and the failure block under its repeat in "Failures:". */
function scenario(r: Run, name: string): { line: string; details: string } {
  const lines = r.stdout.split('\n');
  const line = lines.find((l) => l.slice(2).startsWith(`${name} — `));
  assert.ok(line, `a line for ${name}:\n${r.stdout}\n${r.stderr}`);
  const at = lines.lastIndexOf(line);
  const end = lines.findIndex((l, i) => i > at && /^[✓✗-] |^\d+ passed/.test(l));
  return { line, details: lines.slice(at + 1, end).join('\n') };
}

describe('devfuse conformance, a child process per scenario', { timeout: 300_000 }, () => {
  test('a filesystem that never answers one request: exit 1, that scenario named with the request, the others reported', async () => {
    const r = await devfuse(fixtures, 'neverAnswersExchange', '--only', 'rename,sparse', '--timeout', '1000');
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(scenario(r, 'rename').line, /^✗ rename/);
    assert.match(scenario(r, 'rename').details, /RENAME2 \/a → \/b unanswered after 1000 ms/);
    assert.match(scenario(r, 'sparse').line, /^✓ sparse/);
    assert.match(r.stdout, /1 passed, 1 failed, 0 skipped/);
  });

  test('process.exit in a handler fails that scenario with the request and the stack; the run goes on', async () => {
    const r = await devfuse(fixtures, 'exitsInHandler', '--only', 'hard-links,sparse');
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const h = scenario(r, 'hard-links');
    assert.match(h.line, /^✗ hard-links/);
    assert.match(h.details, /process\.exit\(7\) was called, waiting for LINK \/a → \/b/);
    assert.match(h.details, /runner-fixtures\.js/);
    assert.match(scenario(r, 'sparse').line, /^✓/);
  });

  test('process.abort in a handler fails that scenario, with the process output', async () => {
    const r = await devfuse(fixtures, 'abortsInHandler', '--only', 'rename,sparse');
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(scenario(r, 'rename').details, /process\.abort\(\) was called, waiting for RENAME2 \/a → \/b/);
    assert.match(scenario(r, 'sparse').line, /^✓/);
  });

  test('a filesystem that allocates without bound is stopped at the memory cap, named', async () => {
    const r = await devfuse(fixtures, 'allocatesForever', '--only', 'setattr,sparse', '--memory', '256');
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(scenario(r, 'setattr').details, /^ {4}memory\n.*\n.*resident size \d+ MiB passed the cap of 256 MiB; the last request handed to the filesystem: SETATTR \/f/m);
    assert.match(scenario(r, 'sparse').line, /^✓/);
  });

  test('a synchronous loop in a handler is stopped, naming the request', async () => {
    const r = await devfuse(fixtures, 'blocksEventLoop', '--only', 'lookup-forget,sparse', '--timeout', '500');
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(scenario(r, 'lookup-forget').details, /event loop\n.*\n.*blocked: no sign of life for 2500 ms .*the last request handed to the filesystem: UNLINK \/x/);
    assert.match(scenario(r, 'sparse').line, /^✓/);
  });

  test('a scenario that fails in a child that served others is judged again in a fresh one', async () => {
    // Each scenario makes one filesystem; in a shared child the third and later ones fail GETATTR.
    const r = await devfuse(fixtures, 'degradesWithAge', '--only', 'sparse,write-applied,setattr,truncate', '--jobs', '1');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /4 passed, 0 failed/);
  });

  test('hello passes, every scenario that writes skipped with the reason', async () => {
    const r = await devfuse('hello');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const lines = r.stdout.split('\n').filter((l) => / — /.test(l));
    assert.ok(lines.length >= 12);
    // The read-only scenarios (tree-walk, statfs...) pass; every other one is skipped with the probe's answer.
    for (const l of lines) assert.match(l, /^(- .*\(skipped: needs write: MKDIR \/ answered ENOSYS\)|✓ .*)$/);
    assert.match(r.stdout, /\d+ passed, 0 failed, \d+ skipped/);
  });

  test('the leak check runs from the CLI through the module\'s inspect export', async () => {
    const withInspect = await devfuse(leak, '--only', 'lookup-forget');
    assert.equal(withInspect.status, 1, withInspect.stdout + withInspect.stderr);
    assert.match(scenario(withInspect, 'lookup-forget').details, /a leaked lookup/);
    // The same fault from a module without inspect: nothing can see it.
    const without = await devfuse(fixtures, 'leaksLookups', '--only', 'lookup-forget');
    assert.equal(without.status, 0, without.stdout + without.stderr);
  });

  test('exit status: 0 when all pass, 2 on usage errors named in one line', async () => {
    const ok = await devfuse('memfs', '--only', 'sparse,rename');
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    const usage: [string[], RegExp][] = [
      [['memfs', '--frobnicate'], /unknown flag --frobnicate/],
      [['/nonexistent/fs.js'], /cannot find \/nonexistent\/fs\.js/],
      [['memfs', '--only', 'nope'], /no scenario named nope/],
      [[fixtures, 'noSuchExport'], /exports no filesystem factory named noSuchExport/],
      [['memfs', '--timeout', 'soon'], /--timeout takes an integer/],
      [[], /which filesystem/],
    ];
    for (const [args, message] of usage) {
      const r = await devfuse(...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr.split('\n')[0]!, message);
      assert.doesNotMatch(r.stderr, /Require stack|    at /);
    }
  });

  test('--json: one JSON object per line, a summary last with the exit status', async () => {
    const r = await devfuse(fixtures, 'exitsInHandler', '--only', 'hard-links,sparse', '--json');
    assert.equal(r.status, 1);
    const objs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(objs.map((o) => o.type).sort(), ['scenario', 'scenario', 'summary']);
    const summary = objs[objs.length - 1]!;
    assert.equal(summary.type, 'summary');
    assert.equal(summary.exitCode, 1);
    assert.equal(summary.failed, 1);
    const h = objs.find((o) => o.name === 'hard-links')!;
    assert.equal(h.status, 'failed');
    assert.match(JSON.stringify(h.failures), /process\.exit\(7\)/);
  });

  test('runConformance({ module, export }) runs the same way from the library', async () => {
    const r = await runConformance({ module: fixtures, export: 'exitsInHandler', only: ['hard-links', 'sparse'], jobs: 2 });
    assert.deepEqual(Object.fromEntries(r.results.map((x) => [x.name, x.status])), { 'hard-links': 'failed', sparse: 'passed' });
    assert.match(r.results.find((x) => x.name === 'hard-links')!.failures[0]!.got, /process\.exit\(7\) was called/);
  });
});
