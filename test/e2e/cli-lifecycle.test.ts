/**
 * `devfuse mount` for scripts and at the terminal, on real mounts: the
 * readiness signals (--background, --ready-fd, --pid-file: the mount is
 * usable the moment they say so, with no polling), Ctrl-C on a busy mount
 * (a message saying what it waits for; a second one forces the end), and
 * the refusal to mount over a FUSE mount without -o stack.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { canMount } from '../helpers/mounted';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'devfuse.js');

const mountsAt = (dir: string): number => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4] === dir).length;

const dirs: string[] = [];
const pids: number[] = [];
after(() => {
  for (const pid of pids) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  for (const d of dirs) {
    for (let i = 0; i < 4 && mountsAt(d) > 0; i++) spawnSync('umount', ['-l', d]);
    fs.rmSync(d, { recursive: true, force: true });
  }
});

function tmpdir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-cli-'));
  dirs.push(d);
  return d;
}

const alive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `p`, or a failure naming `what` if it has not settled in 30 s (a hang guard, not a timing check). */
function within<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing after 30 s`)), 30_000)))])
    .finally(() => clearTimeout(timer));
}

/** `devfuse mount ...` with fd 3 a pipe: resolves with the child, its stderr so far, and the first line it wrote on fd 3. */
function startWithReadyFd(args: string[]): Promise<{ child: ChildProcess; line: string; stderr: () => string; exit: Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, 'mount', ...args, '--ready-fd', '3'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  if (child.pid) pids.push(child.pid);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const fd3 = child.stdio[3] as NodeJS.ReadableStream;
  let said = '';
  fd3.on('data', (d: Buffer) => (said += d));
  return new Promise((resolve) => fd3.on('end', () => resolve({ child, line: said, stderr: () => err, exit })));
}

describe('devfuse mount: readiness, signals, stacking', { skip: !canMount() && 'needs root and /dev/fuse' }, () => {
  test('--background returns once the mount is usable; --pid-file names the server; SIGTERM to it unmounts', async () => {
    const dir = tmpdir();
    const pidFile = path.join(tmpdir(), 'pid');
    const r = spawnSync(process.execPath, [BIN, 'mount', 'memfs', dir, '--background', '--pid-file', pidFile], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^devfuse: memfs mounted on .* \(in the background, pid \d+\)\n$/);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    pids.push(pid);
    // No polling: usable now.
    fs.writeFileSync(path.join(dir, 'f'), 'written at once');
    assert.equal(fs.readFileSync(path.join(dir, 'f'), 'utf8'), 'written at once');
    assert.equal(mountsAt(dir), 1);
    process.kill(pid, 'SIGTERM');
    await until(() => !alive(pid), 'the server to exit');
    assert.equal(mountsAt(dir), 0);
    assert.equal(fs.existsSync(pidFile), false, 'the pid file is removed');
  });

  test('--background that cannot mount says why and exits 1', () => {
    const r = spawnSync(process.execPath, [BIN, 'mount', 'memfs', '/nonexistent-devfuse-dir', '--background'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^devfuse: cannot mount FUSE on \/nonexistent-devfuse-dir: the mountpoint does not exist/);
  });

  test('--ready-fd: "ready <mountpoint>" once usable; "error <message>" when mounting fails', async () => {
    const dir = tmpdir();
    const m = await startWithReadyFd(['memfs', dir]);
    assert.equal(m.line, `ready ${dir}\n`);
    fs.mkdirSync(path.join(dir, 'sub'));
    assert.deepEqual(fs.readdirSync(dir), ['sub']);
    m.child.kill('SIGINT');
    assert.equal(await m.exit, 0, m.stderr());
    const bad = await startWithReadyFd(['memfs', '/nonexistent-devfuse-dir']);
    assert.match(bad.line, /^error cannot mount FUSE on \/nonexistent-devfuse-dir: the mountpoint does not exist.*\n$/);
    assert.equal(await bad.exit, 1);
  });

  test('Ctrl-C on a busy mount says what it waits for, detaches, and exits 0 once the last user leaves', async () => {
    const dir = tmpdir();
    const m = await startWithReadyFd(['memfs', dir]);
    fs.writeFileSync(path.join(dir, 'f'), 'still readable');
    const fd = fs.openSync(path.join(dir, 'f'), 'r');
    try {
      m.child.kill('SIGINT');
      await until(() => /press Ctrl-C again to force/.test(m.stderr()), 'the busy message');
      assert.match(m.stderr(), new RegExp(`devfuse: unmounting ${dir}: busy \\(the mount is in use\\); detached it, serving what is still open until it is closed; press Ctrl-C again to force\\n`));
      assert.equal(mountsAt(dir), 0, 'detached');
      assert.equal(m.child.exitCode, null, 'still serving');
      const buf = Buffer.alloc(64);
      assert.equal(buf.toString('utf8', 0, fs.readSync(fd, buf, 0, 64, 0)), 'still readable');
    } finally {
      fs.closeSync(fd);
    }
    assert.equal(await within(m.exit, 'exit once the last user left'), 0, m.stderr());
    assert.match(m.stderr(), /unmounted\n$/);
  });

  test('a second Ctrl-C forces the end: the connection is aborted, the open file fails, exit 1', async () => {
    const dir = tmpdir();
    const m = await startWithReadyFd(['memfs', dir]);
    fs.writeFileSync(path.join(dir, 'f'), 'x');
    const fd = fs.openSync(path.join(dir, 'f'), 'r');
    try {
      m.child.kill('SIGINT');
      await until(() => /press Ctrl-C again/.test(m.stderr()), 'the busy message');
      m.child.kill('SIGINT');
      assert.equal(await within(m.exit, 'exit after the second SIGINT'), 1, m.stderr());
      assert.match(m.stderr(), /SIGINT again: forcing: aborting the connection of .*\n.*forced: detached and its connection aborted\n$/);
      assert.equal(mountsAt(dir), 0);
      assert.throws(() => fs.readSync(fd, Buffer.alloc(8), 0, 8, 0), (e: NodeJS.ErrnoException) => e.code === 'ENOTCONN' || e.code === 'ECONNABORTED');
    } finally {
      // close(2) sends FLUSH, which the aborted connection fails with ENOTCONN: the fd is closed all the same.
      try { fs.closeSync(fd); } catch { /* ENOTCONN */ }
    }
  });

  test('mounting over a FUSE mount is refused, naming it; -o stack allows it', async () => {
    const dir = tmpdir();
    const first = await startWithReadyFd(['memfs', dir]);
    assert.match(first.line, /^ready /);
    const again = spawnSync(process.execPath, [BIN, 'mount', 'hello', dir], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(again.status, 1);
    assert.equal(again.stderr, `devfuse: cannot mount FUSE on ${dir}: a FUSE filesystem (fuse.memfs, memfs) is mounted there already; unmount it first, or pass -o stack to mount on top of it\n`);
    assert.equal(mountsAt(dir), 1);
    const top = await startWithReadyFd(['hello', dir, '-o', 'stack']);
    assert.match(top.line, /^ready /);
    assert.equal(mountsAt(dir), 2);
    assert.deepEqual(fs.readdirSync(dir), ['hello'], 'the stacked mount is on top');
    top.child.kill('SIGTERM');
    assert.equal(await top.exit, 0, top.stderr());
    first.child.kill('SIGTERM');
    assert.equal(await first.exit, 0, first.stderr());
    assert.equal(mountsAt(dir), 0);
  });
});
