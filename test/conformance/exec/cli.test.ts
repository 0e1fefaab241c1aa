/**
 * `devfuse conformance --exec "<command line>"`: the report streams as for
 * modules, exit status 0 when everything ran passed or was skipped for a
 * reason, 1 on a failure (with the server's stderr under it), 2 on a usage
 * error; --json; and the README's three lines, run as written.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { servers, type Built } from './build';

const repo = path.join(__dirname, '..', '..', '..', '..');
const bin = path.join(repo, 'bin', 'devfuse.js');

let b: Built;
before(async () => {
  b = await servers();
});

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function devfuse(args: string[], cwd?: string): Promise<Run> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [bin, 'conformance', ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('devfuse conformance --exec', { timeout: 180_000 }, () => {
  test('hello_ll: a line per scenario, skips with reasons, exit 0', async (t) => {
    if (b.skip) return t.skip(b.skip);
    // As README shows it: from the directory the server was built in.
    const r = await devfuse(['--exec', './hello_ll -f {fd}'], b.dir);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^✓ tree-walk — /m);
    assert.match(r.stdout, /^- rename — .* \(skipped: needs write: MKDIR \/ answered ENOSYS\)$/m);
    assert.match(r.stdout, /^- lookup-balance — .* \(skipped: internal: it looks inside a devfuse Filesystem object/m);
    assert.match(r.stdout, /^\d+ passed, 0 failed, \d+ skipped \(seed \d+\)$/m);
  });

  test('a broken server: exit 1, the failure in full with the server and its stderr', async (t) => {
    if (b.skip) return t.skip(b.skip);
    const r = await devfuse(['--exec', `${b.bin('exit-readdir')} -f {fd}`, '--only', 'readdir-contents,statfs']);
    assert.equal(r.status, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^✓ statfs — /m);
    assert.match(r.stdout, /^✗ readdir-contents — /m);
    assert.match(r.stdout, /server process\n\s+expected: the server runs and answers until the kit ends the session \(DESTROY, then close\)\n\s+got:\s+the server exited with code 3/);
    assert.match(r.stdout, /\| server: .*exit-readdir -f \/dev\/fd\/3 \(pid \d+, exited with code 3\)\n\s+\| minifs: cookie 101 out of range/);
  });

  test('--json: one object per scenario, then the summary', async (t) => {
    if (b.skip) return t.skip(b.skip);
    const r = await devfuse(['--exec', `${b.bin('errno-rmdir')} -f {fd}`, '--only', 'errnos,statfs', '--json']);
    assert.equal(r.status, 1);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; name?: string; status?: string; exitCode?: number });
    assert.deepEqual(lines.map((l) => [l.type, l.name ?? null, l.status ?? null]).sort(), [['scenario', 'errnos', 'failed'], ['scenario', 'statfs', 'passed'], ['summary', null, null]].sort());
    assert.equal(lines[lines.length - 1]!.exitCode, 1);
  });

  test('usage errors exit 2 with one line: no {fd}, no such program, a module besides --exec', async () => {
    for (const [args, says] of [
      [['--exec', '/bin/true -f'], /--exec: the command never names \{fd\}/],
      [['--exec', './no-such-server -f {fd}'], /--exec: cannot run \.\/no-such-server: no such executable file/],
      [['memfs', '--exec', '/bin/true {fd}'], /--exec names the server; "memfs" besides it is one filesystem too many/],
      [['--exec', "'unterminated {fd}"], /--exec: unterminated '/],
      [['--exec', '/bin/true {fd}', '--jobs', '2'], /--jobs and --memory size the child processes a module runs in/],
    ] as [string[], RegExp][]) {
      const r = await devfuse(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, says);
      assert.equal(r.stdout, '');
    }
  });
});
