/**
 * devfuse/fuse-native on real mounts, with a program written for
 * fuse-native (program.ts) served by a child process: the callback API,
 * its stat objects and errno constants, what fuse-native got wrong done
 * right (fgetattr, utimens, hard links, unlinked open files), per-operation
 * timeouts, and fuse-native's mount lifecycle and its errors.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { errorCode as code } from '../helpers/errno';
import { skip } from '../helpers/mounted';

const PROGRAM = path.join(__dirname, 'program.js');
const used: string[] = [];

function mounted(dir: string): boolean {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === dir);
}

/** The filesystem type and source of the mount at `dir`, as mountinfo has them after its " - ". */
function typeAndSource(dir: string): string[] {
  const line = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === dir)!;
  return line.split(' - ')[1]!.split(' ').slice(0, 2);
}

after(() => {
  for (const d of used) assert.ok(!mounted(d), `${d} is still mounted`);
});

interface Served {
  dir: string;
  child: ChildProcess;
  calls(op: string): Record<string, unknown>[];
}

/** Runs `body` with program.ts serving a fresh mountpoint; unmounts and waits for the child after. */
async function withProgram(opts: Record<string, unknown>, body: (s: Served) => Promise<void> | void): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-fn-'));
  const logFile = path.join(os.tmpdir(), `${path.basename(dir)}.log`);
  used.push(dir);
  const child = spawn(process.execPath, [PROGRAM, 'serve', dir, JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FN_LOG: logFile } });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const t = setTimeout(() => reject(new Error(`not ready: ${out} ${err}`)), 15_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready')) {
          clearTimeout(t);
          resolve();
        }
      });
      child.on('exit', (c) => reject(new Error(`exited ${c}: ${out} ${err}`)));
    });
    const calls = (op: string): Record<string, unknown>[] =>
      fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).filter((c) => c.op === op) : [];
    await body({ dir, child, calls });
  } finally {
    const exited = new Promise<void>((r) => (child.exitCode !== null ? r() : child.on('exit', () => r())));
    child.kill('SIGTERM');
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(kill);
    if (mounted(dir)) spawnSync('umount', ['-l', dir]);
    fs.rmSync(logFile, { force: true });
    fs.rmdirSync(dir);
  }
}

describe('devfuse/fuse-native on a real mount', { skip, timeout: 120_000 }, () => {
  test('files and directories through callbacks: byte counts, fds, names, stat objects, errno constants', async () => {
    await withProgram({}, ({ dir, calls }) => {
      // The source libfuse 2 gave a mount without fsname or subtype, as df and mount(8) show it.
      assert.deepEqual(typeAndSource(dir), ['fuse', '/dev/fuse']);
      const p = (s: string): string => path.join(dir, s);
      fs.writeFileSync(p('a'), 'hello world');
      assert.equal(fs.readFileSync(p('a'), 'utf8'), 'hello world');
      fs.mkdirSync(p('d'), 0o750);
      assert.equal(calls('mkdir')[0]!.mode, 0o750, 'mkdir gets the permission bits, as fuse-native did');
      assert.equal(fs.statSync(p('d')).mode, 0o040750);
      fs.writeFileSync(p('d/b'), 'x');
      assert.deepEqual(fs.readdirSync(dir).sort(), ['a', 'd', 'numbers']);
      assert.deepEqual(fs.readdirSync(p('d')), ['b']);
      const n = fs.statSync(p('numbers'));
      assert.deepEqual([n.uid, n.gid, n.atimeMs, n.mtimeMs, n.size], [7, 8, 1_000_000, 2_000_500, 1], 'times given as numbers are milliseconds');
      assert.equal(code(() => fs.statSync(p('eacces'))), 'EACCES');
      assert.equal(code(() => fs.statSync(p('errobj'))), 'EROFS', 'an Error with a code is answered with it');
      assert.equal(code(() => fs.statSync(p('missing'))), 'ENOENT');
      fs.renameSync(p('d'), p('e'));
      assert.equal(fs.readFileSync(p('e/b'), 'utf8'), 'x');
      fs.symlinkSync('a', p('l'));
      assert.equal(fs.readlinkSync(p('l')), 'a');
      assert.equal(fs.readFileSync(p('l'), 'utf8'), 'hello world');
      // RELEASE comes after close(2) returns (the kernel sends it in the background): wait for it.
      const allReleased = (): boolean => calls('open').every((o) => calls('release').some((r) => r.fd === o.fd));
      for (const t = Date.now(); !allReleased() && Date.now() - t < 5000; ) spawnSync('sleep', ['0.05']);
      assert.ok(calls('open').length > 0 && allReleased(), 'every fd open answered came back to release');
      const st = fs.statfsSync(dir);
      assert.deepEqual([st.bsize, st.blocks, st.bfree, st.bavail], [4096, 1000, 500, 400]);
      const x = spawnSync('getfattr', ['-n', 'user.hello', '--only-values', p('a')], { encoding: 'utf8' });
      if (x.error === undefined) assert.equal(x.stdout, 'world');
    });
  });

  test('names and link targets that are not UTF-8 reach the program as escaped strings and come back byte for byte', async () => {
    await withProgram({}, ({ dir, calls }) => {
      const raw = Buffer.from([0x6f, 0xff, 0xfe, 0x2d, 0xc3, 0xbc]); // "o", two bytes that are not UTF-8, "-ü"
      const other = Buffer.from([0x6f, 0xfe, 0xff, 0x2d, 0xc3, 0xbc]); // the same with the two bytes swapped
      const at = (name: Buffer): Buffer => Buffer.concat([Buffer.from(`${dir}/`), name]);
      fs.writeFileSync(at(raw), 'one');
      fs.writeFileSync(at(other), 'two');
      // fuse-native gave "/o\ufffd\ufffd-ü" for both (one file), and listed it as ef bf bd ef bf bd.
      assert.deepEqual(calls('create').map((c) => c.path), ['/o\udcff\udcfe-ü', '/o\udcfe\udcff-ü']);
      const listed = fs.readdirSync(dir, { encoding: 'buffer' }).map((b) => b.toString('hex'));
      assert.ok(listed.includes(raw.toString('hex')) && listed.includes(other.toString('hex')), JSON.stringify(listed));
      assert.deepEqual([fs.readFileSync(at(raw), 'utf8'), fs.readFileSync(at(other), 'utf8')], ['one', 'two']);
      fs.symlinkSync(raw, path.join(dir, 'l'));
      assert.equal(calls('symlink')[0]!.target, 'o\udcff\udcfe-ü');
      assert.ok(fs.readlinkSync(path.join(dir, 'l'), { encoding: 'buffer' }).equals(raw));
    });
  });

  test('a GETATTR through an open file calls fgetattr with its fd; fsync gets (path, datasync, fd); ftruncate gets the fd', async () => {
    await withProgram({ attrTimeout: 0 }, ({ dir, calls }) => {
      const f = path.join(dir, 'f');
      fs.writeFileSync(f, '0123456789');
      const fd = fs.openSync(f, 'r+');
      try {
        const opened = calls('open').at(-1)!.fd;
        // A read refreshes the size through the open file (GETATTR naming the handle, attr_timeout 0).
        assert.equal(fs.readSync(fd, Buffer.alloc(20), 0, 20, 0), 10);
        assert.ok(calls('fgetattr').some((c) => c.fd === opened), JSON.stringify(calls('fgetattr')));
        fs.fsyncSync(fd);
        fs.fdatasyncSync(fd);
        assert.deepEqual(calls('fsync').map((c) => [c.path, c.datasync, c.fd]), [['/f', 0, opened], ['/f', 1, opened]]);
        fs.ftruncateSync(fd, 4);
        assert.deepEqual(calls('ftruncate').map((c) => [c.fd, c.size]), [[opened, 4]]);
        assert.equal(fs.readFileSync(f, 'utf8'), '0123');
      } finally {
        fs.closeSync(fd);
      }
    });
  });

  test('utimens gets both times, in whole milliseconds; a change of one time keeps the other', async () => {
    await withProgram({}, ({ dir, calls }) => {
      const f = path.join(dir, 't');
      fs.writeFileSync(f, '');
      // 1000.0015 s and 2000.0025 s: fuse-native cut the fraction of a millisecond (C integer division).
      fs.utimesSync(f, 1000.0015, 2000.0025);
      assert.deepEqual(calls('utimens').map((c) => [c.atime, c.mtime]), [[1_000_001, 2_000_002]]);
      const st = fs.statSync(f);
      assert.deepEqual([st.atimeMs, st.mtimeMs], [1_000_001, 2_000_002]);
      // touch -m: only the mtime changes (libfuse 2 dropped such a change; fuse-native passed the atime twice).
      const r = spawnSync('touch', ['-m', '-d', '@3000.0007', f]);
      assert.equal(r.status, 0, String(r.stderr));
      assert.deepEqual(calls('utimens').at(-1), { op: 'utimens', path: '/t', atime: 1_000_001, mtime: 3_000_000 });
    });
  });

  test('hard links are one inode; an unlinked open file keeps working through its fd, with no .fuse_hidden file', async () => {
    await withProgram({ attrTimeout: 0 }, ({ dir }) => {
      const p = (s: string): string => path.join(dir, s);
      fs.writeFileSync(p('a'), 'shared');
      fs.linkSync(p('a'), p('b'));
      const [sa, sb] = [fs.statSync(p('a')), fs.statSync(p('b'))];
      assert.equal(sa.ino, sb.ino);
      assert.equal(sa.nlink, 2);
      const fd = fs.openSync(p('a'), 'r+');
      try {
        fs.unlinkSync(p('a'));
        assert.deepEqual(fs.readdirSync(dir).filter((n) => n.startsWith('.fuse_hidden')), []);
        const buf = Buffer.alloc(6);
        assert.equal(fs.readSync(fd, buf, 0, 6, 0), 6);
        assert.equal(buf.toString(), 'shared');
        assert.equal(fs.fstatSync(fd).size, 6);
      } finally {
        fs.closeSync(fd);
      }
      assert.equal(fs.readFileSync(p('b'), 'utf8'), 'shared');
    });
  });

  test('an operation that never calls back is answered ETIMEDOUT after the timeout option', async () => {
    await withProgram({ timeout: 300 }, ({ dir }) => {
      const fd = fs.openSync(path.join(dir, 'hang'), 'r');
      try {
        assert.equal(code(() => fs.readSync(fd, Buffer.alloc(10), 0, 10, 0)), 'ETIMEDOUT');
      } finally {
        fs.closeSync(fd);
      }
    });
  });

  test('camelCased options: attrTimeout 0 is kept (fuse-native dropped a numeric 0), allowOther, defaultPermissions', async () => {
    await withProgram({ attrTimeout: 0, entryTimeout: 0, allowOther: true, defaultPermissions: true, unknownThing: true, fsname: 'fn-test' }, ({ dir }) => {
      const line = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === dir)!;
      assert.match(line, /allow_other/);
      assert.match(line, /default_permissions/);
      assert.match(line, / fn-test /);
      // With attr_timeout=0 a change made through one name shows at once through another.
      fs.writeFileSync(path.join(dir, 'c'), 'abc');
      fs.linkSync(path.join(dir, 'c'), path.join(dir, 'c2'));
      fs.appendFileSync(path.join(dir, 'c2'), 'def');
      assert.equal(fs.statSync(path.join(dir, 'c')).size, 6);
    });
  });
});

describe('devfuse/fuse-native: the mount source', { skip, timeout: 60_000 }, () => {
  test('with subtype and no fsname, the source is the subtype (libfuse 2), the type fuse.<subtype>', async () => {
    await withProgram({ subtype: 'fntest' }, ({ dir }) => {
      assert.deepEqual(typeAndSource(dir), ['fuse.fntest', 'fntest']);
    });
  });
});

describe('devfuse/fuse-native: mount lifecycle', { skip, timeout: 120_000 }, () => {
  test("fuse-native's rules and messages: missing, not a directory, mkdir, in use, mount twice, remount after unmount", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-fn-life-'));
    used.push(path.join(dir, 'mnt'), path.join(dir, 'made', 'deep'));
    try {
      const r = spawnSync(process.execPath, [PROGRAM, 'lifecycle', dir], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
      assert.deepEqual(out, {
        missing: 'Mountpoint does not exist',
        notDir: 'Mountpoint is not a directory',
        mkdir: null,
        mkdirExists: true,
        mkdirUnmount: null,
        first: null,
        again: null,
        inUse: 'Mountpoint in use',
        unmount: null,
        remountSameInstance: 'Resource is closed',
        remountOther: null,
        static: null,
        closeNeverMounted: null,
        isConfigured: true,
        errno: [-2, -1, -11, -124],
      });
    } finally {
      for (const m of [path.join(dir, 'mnt'), path.join(dir, 'made', 'deep')]) if (mounted(m)) spawnSync('umount', ['-l', m]);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('force mounts over a dead mount (a server killed without unmounting)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-fn-dead-'));
    used.push(dir);
    const dead = spawn(process.execPath, [PROGRAM, 'dead', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        dead.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
        dead.on('exit', (c) => reject(new Error(`dead-mount child exited ${c}`)));
      });
      dead.kill('SIGKILL');
      await new Promise((r) => dead.on('exit', r));
      assert.equal(code(() => fs.statSync(dir)), 'ENOTCONN', 'the mount is dead');
      // force on the dead mountpoint itself, from a server in its own process:
      const child = spawn(process.execPath, [PROGRAM, 'serve', dir, JSON.stringify({ force: true })], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
        child.on('exit', (c) => reject(new Error(`force child exited ${c}`)));
      });
      assert.ok(fs.readdirSync(dir).includes('numbers'), 'the new mount serves');
      child.kill('SIGTERM');
      await new Promise((r) => child.on('exit', r));
      assert.ok(!mounted(dir));
    } finally {
      if (dead.exitCode === null) dead.kill('SIGKILL');
      while (mounted(dir)) spawnSync('umount', ['-l', dir]);
      fs.rmdirSync(dir);
    }
  });
});
