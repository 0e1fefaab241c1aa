/**
 * The devfuse command's lifetime on real mounts: it serves until unmounted
 * from outside or signalled, exits 0 after a clean unmount, and leaves no
 * mount behind.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { canMount } from '../helpers/mounted';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'devfuse.js');

const mounted = (dir: string): boolean => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === dir);

async function start(args: string[]): Promise<{ child: ChildProcess; dir: string; exit: Promise<number | null>; stderr: () => string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-cli-'));
  const child = spawn(process.execPath, [BIN, 'mount', ...args.map((a) => (a === '$MNT' ? dir : a))], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const end = Date.now() + 15000;
  while (!/mounted on/.test(err)) {
    if (Date.now() > end || child.exitCode !== null) throw new Error(`devfuse mount did not come up: ${err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, dir, exit, stderr: () => err };
}

describe('devfuse mount', { skip: !canMount() && 'needs root and /dev/fuse' }, () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`${signal} unmounts and exits 0`, async () => {
      const m = await start(['memfs', '$MNT']);
      fs.writeFileSync(`${m.dir}/f`, 'x');
      m.child.kill(signal);
      assert.equal(await m.exit, 0, m.stderr());
      assert.equal(mounted(m.dir), false);
      assert.match(m.stderr(), /unmounted/);
      fs.rmdirSync(m.dir);
    });
  }

  test('umount from outside ends it with exit 0', async () => {
    const m = await start(['memfs', '$MNT', '-o', 'attr_timeout=0']);
    assert.equal(spawnSync('umount', [m.dir]).status, 0);
    assert.equal(await m.exit, 0, m.stderr());
    fs.rmdirSync(m.dir);
  });

  test('SIGKILL leaves no dead mount behind (auto_unmount)', async () => {
    const m = await start(['hello', '$MNT']);
    m.child.kill('SIGKILL');
    await m.exit;
    const end = Date.now() + 5000;
    while (mounted(m.dir) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    assert.equal(mounted(m.dir), false, 'the watchdog unmounted it');
    fs.rmdirSync(m.dir);
  });

  test('bad options are refused with a message that names them', () => {
    const r = spawnSync(process.execPath, [BIN, 'mount', 'memfs', os.tmpdir(), '-o', 'no_such_option'], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /unknown option -o no_such_option/);
  });

  test('--debug prints requests and replies decoded: modes in octal, flags by name, long lines wrapped', async () => {
    const m = await start(['hello', '$MNT', '--debug']);
    fs.readFileSync(`${m.dir}/hello`);
    m.child.kill('SIGTERM');
    await m.exit;
    const err = m.stderr();
    assert.match(err, /→ \d+ LOOKUP nodeid=1 .*name="hello"/);
    assert.match(err, /← \d+ LOOKUP OK nodeid=2 generation=\d+ .*attr=\{ino=2 size=14 /);
    assert.match(err, /mode=0100444 /);
    assert.match(err, /→ \d+ OPEN nodeid=2 .*flags=O_RDONLY\|O_LARGEFILE /);
    assert.match(err, /← \d+ READ OK 14 bytes "Hello, world!\\n" \(\d+ µs\)/);
    assert.match(err, /^INIT: kernel 7\.\d+ offers ASYNC_READ\|/m);
    const long = err.split('\n').filter((l) => l.length > 160);
    assert.deepEqual(long, [], 'lines wrapped at 160 columns');
    fs.rmdirSync(m.dir);
  });

  test('memfs lets the kernel keep a listing (CACHE_DIR): a second readdir asks nothing, a change through the mount shows at once', async () => {
    const m = await start(['memfs', '$MNT', '--debug']);
    const d = path.join(m.dir, 'd');
    const reads = (): number => m.stderr().split('\n').filter((l) => /^→ \d+ READDIR(PLUS)? /.test(l)).length;
    const settle = async (): Promise<number> => {
      // The debug lines reach us through a pipe: wait until the count stops moving.
      let n = -1;
      for (let same = 0; same < 3; ) {
        await new Promise((r) => setTimeout(r, 30));
        const now = reads();
        same = now === n ? same + 1 : 0;
        n = now;
      }
      return n;
    };
    try {
      fs.mkdirSync(d);
      for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(d, `f${i}`), '');
      assert.equal(fs.readdirSync(d).length, 40);
      const first = await settle();
      assert.ok(first > 0, 'the first listing was read from the server');
      assert.equal(fs.readdirSync(d).length, 40);
      assert.equal(await settle(), first, 'the second listing came from the kernel\'s cache');
      fs.writeFileSync(path.join(d, 'new'), '');
      fs.unlinkSync(path.join(d, 'f0'));
      const names = fs.readdirSync(d);
      assert.ok(names.includes('new') && !names.includes('f0'), 'a change through the mount drops the cached listing');
      assert.equal(names.length, 40);
      assert.ok((await settle()) > first);
    } finally {
      m.child.kill('SIGTERM');
      await m.exit;
      fs.rmdirSync(m.dir);
    }
  });

  test('passthrough -o no_xattr: one GETXATTR answered ENOSYS, then the kernel asks no more (ls -l of 50 files)', async () => {
    const src = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-cli-src-'));
    for (let i = 0; i < 50; i++) fs.writeFileSync(path.join(src, `f${i}`), '');
    const m = await start(['passthrough', src, '$MNT', '-o', 'no_xattr', '--debug']);
    try {
      const ls = spawnSync('ls', ['-l', m.dir], { encoding: 'utf8' });
      assert.equal(ls.status, 0, ls.stderr);
      assert.equal(ls.stdout.trim().split('\n').length, 51);
      const xattr = spawnSync('getfattr', ['-n', 'user.x', path.join(m.dir, 'f0')], { encoding: 'utf8' });
      if (!xattr.error) assert.match(xattr.stderr, /Operation not supported/);
    } finally {
      m.child.kill('SIGTERM');
      await m.exit;
      fs.rmSync(src, { recursive: true, force: true });
      fs.rmdirSync(m.dir);
    }
    const asked = m.stderr().split('\n').filter((l) => /^→ \d+ GETXATTR /.test(l));
    assert.equal(asked.length, 1, asked.join('\n'));
    assert.match(m.stderr(), /← \d+ GETXATTR ENOSYS/);
  });
});
