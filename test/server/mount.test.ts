/**
 * Mounting and unmounting: option parsing (pure), the FFI layer, and real
 * mounts on this machine by every path: mount(2) as root, fusermount3 as an
 * ordinary user, mount(2) in a user namespace, and the auto-unmount watchdogs
 * after SIGKILL.
 *
 * After mount(2) the kernel queues INIT and any access to the mountpoint
 * blocks until a server answers it, so these tests look at the mount table,
 * never at the mountpoint, unless a child process answers (the e2e test).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { defaultMountOptions, fsType, fusermountOptions, kernelMountData, mountFlags, MountOptionError } from '../../src/server/options/mount';
import { parseMountOptions } from '../../src/server/options/parse';
import { escapeOption, splitOptions } from '../../src/server/options/syntax';
import { findFusermount3, mount, MountError, resolveMountpoint } from '../../src/server/device/mount';
import { escapeMountInfo, readMountInfo, unescapeMountInfo, type MountInfo } from '../../src/server/device/mountinfo';
import * as sys from '../../src/linux/sys';
import { PRIVATE_DEV_FUSE, copyBuildForOtherUsers } from '../helpers/other-user';
import { waitFor } from '../helpers/wait';

const SERVER_DIR = path.resolve(__dirname, '../../src/server/device');
const isRoot = process.getuid?.() === 0;
const haveFuse = fs.existsSync('/dev/fuse');
const fusermount3 = findFusermount3();
const have = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const haveUnshare = have('unshare');
const haveSetpriv = have('setpriv');

const needRoot = !haveFuse ? 'no /dev/fuse on this machine' : !isRoot ? 'needs root (to mount, or to become uid 65534 for the unprivileged paths)' : false;
const needFusermount = needRoot || (!fusermount3 ? 'fusermount3 not installed (apt-get install fuse3, or scripts/install-deps.sh)' : false);
// The unprivileged paths run as uid 65534, which takes root to set up (setpriv, a private 0666 /dev/fuse).
const needUserTools = needFusermount || (!haveUnshare || !haveSetpriv ? 'needs unshare and setpriv (util-linux)' : false);

// ------------------------------------------------------------------ helpers

const made: string[] = [];
const children: ChildProcess[] = [];

function mountpoint(owner?: number): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-mnt-'));
  if (owner !== undefined) fs.chownSync(d, owner, owner);
  made.push(d);
  return d;
}

const at = (mp: string, table: MountInfo[] = readMountInfo()): MountInfo[] => table.filter((m) => m.mountpoint === mp);

function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

interface Run { code: number | null; signal: string | null; lines: Record<string, unknown>[]; stderr: string }

/** Runs a command to its end; stdout is JSON lines. */
function run(cmd: string, args: string[], timeout = 10_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(c);
    let out = '';
    let err = '';
    c.stdout!.on('data', (d: Buffer) => (out += d));
    c.stderr!.on('data', (d: Buffer) => (err += d));
    const t = setTimeout(() => c.kill('SIGKILL'), timeout);
    c.on('error', reject);
    c.on('close', (code, signal) => {
      clearTimeout(t);
      resolve({ code, signal, lines: out.split('\n').filter(Boolean).map(parseLine), stderr: err });
    });
  });
}

function parseLine(l: string): Record<string, unknown> {
  try {
    return JSON.parse(l) as Record<string, unknown>;
  } catch {
    return { raw: l };
  }
}

/** Starts a long-lived child and resolves with it and its first JSON line. */
function start(cmd: string, args: string[], timeout = 10_000): Promise<{ child: ChildProcess; first: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(c);
    let err = '';
    c.stderr!.on('data', (d: Buffer) => (err += d));
    const t = setTimeout(() => { c.kill('SIGKILL'); reject(new Error(`no answer from child; stderr: ${err}`)); }, timeout);
    createInterface({ input: c.stdout! }).once('line', (l) => { clearTimeout(t); resolve({ child: c, first: parseLine(l) }); });
    c.on('exit', (code) => { clearTimeout(t); reject(new Error(`child exited (${code}) before answering; stderr: ${err}`)); });
    c.on('error', reject);
  });
}

/**
 * A child's job, by mode:
 *   hold   mount, report, stay alive (to be killed)
 *   cycle  mount, report the mount table, read INIT from the fd, unmount, report
 *   fail   try to mount, report the error message
 */
const CHILD = `
const [dir, mode, mp, optsJson, controlJson] = process.argv.slice(1);
const fs = require('fs');
const { mount } = require(dir + '/mount.js');
const { readMountInfo } = require(dir + '/mountinfo.js');
const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const here = () => readMountInfo().filter((m) => m.mountpoint === mp);
let m;
try {
  m = mount(mp, JSON.parse(optsJson), JSON.parse(controlJson));
} catch (e) {
  out({ error: e.message, name: e.name, attempts: e.attempts });
  process.exit(mode === 'fail' ? 0 : 1);
}
const info = { method: m.method, description: m.description, mountId: m.mountId, connection: m.connection, warnings: m.warnings, uid: process.getuid() };
if (mode === 'hold') { out({ ready: true, ...info }); setInterval(() => {}, 1000); }
else {
  const mounted = here();
  const buf = Buffer.alloc(1 << 16);
  const n = fs.readSync(m.fd, buf);
  const init = { len: n, opcode: buf.readUInt32LE(4), major: buf.readUInt32LE(40), minor: buf.readUInt32LE(44) };
  m.unmount();
  const afterUnmount = { isMounted: m.isMounted(), table: here() };
  m.unmount();
  m.close();
  out({ ...info, mounted, init, afterUnmount });
}
`;

const childArgs = (mode: string, mp: string, opts: object = {}, control: object = {}, dir = SERVER_DIR): string[] =>
  ['-e', CHILD, dir, mode, mp, JSON.stringify(opts), JSON.stringify(control)];

let nobodyDir: string | null = null;

/** The build copied where uid 65534 can read it (see copyBuildForOtherUsers); once per run, removed after. */
function nobodyServerDir(): string {
  if (nobodyDir) return nobodyDir;
  const root = copyBuildForOtherUsers();
  made.push(root);
  return (nobodyDir = path.join(root, 'dist', 'src', 'server', 'device'));
}

/** childArgs for a child that runs as uid 65534. */
const nobodyArgs = (mode: string, mp: string, opts: object = {}, control: object = {}): string[] =>
  childArgs(mode, mp, opts, control, nobodyServerDir());

/**
 * Runs `argv` as uid/gid 65534 in a private mount namespace whose /dev/fuse
 * is a 0666 node (as udev makes it on a desktop): on this machine the real
 * one is 0600 root, which would stop fusermount3 before it starts.
 */
function asNobody(argv: string[]): [string, string[]] {
  const dev = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-dev-'));
  made.push(dev);
  const script = `${PRIVATE_DEV_FUSE} && ` +
    'shift && exec setpriv --reuid=65534 --regid=65534 --clear-groups "$@"';
  return ['unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', dev, ...argv]];
}

after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of made.reverse()) {
    for (let i = 0; i < 8 && at(d).length > 0; i++) {
      try { sys.umount2(d, sys.MNT_DETACH); } catch { break; }
    }
    try { fs.rmSync(d, { recursive: true }); } catch { /* left for the OS */ }
  }
  // Only this file's own mountpoints: other test files (and other checkouts) mount under /tmp/devfuse-mnt-* too.
  const left = readMountInfo().filter((m) => made.includes(m.mountpoint)).map((m) => `${m.mountpoint} ${m.fstype} ${m.source}`);
  assert.deepEqual(left, [], 'mounts left behind');
});

// ----------------------------------------------------------- option parsing

test('options: libfuse defaults', () => {
  const { mount: o, rest } = parseMountOptions('');
  assert.deepEqual(o, defaultMountOptions());
  assert.equal(o.fsname, 'devfuse');
  assert.equal(o.nosuid, true);
  assert.equal(o.nodev, true);
  assert.equal(o.auto_unmount, true);
  assert.equal(rest.size, 0);
  assert.equal(fsType(o), 'fuse');
  assert.equal(mountFlags(o), sys.MS_NOSUID | sys.MS_NODEV);
});

test('options: splitting, escapes, key=value', () => {
  assert.deepEqual(splitOptions('a,b=c,,d=e\\,f,g\\\\h,i\\040j,k='), ['a', 'b=c', 'd=e,f', 'g\\h', 'i j', 'k=']);
  assert.deepEqual(splitOptions('trailing\\'), ['trailing\\']);
  assert.equal(splitOptions(`fsname=${escapeOption('a,b\\c')}`)[0], 'fsname=a,b\\c');
  const { mount: o } = parseMountOptions('fsname=my\\,fs,subtype=hello');
  assert.equal(o.fsname, 'my,fs');
  assert.equal(fsType(o), 'fuse.hello');
});

test('options: mount-level flags and values become MountOptions, the rest is handed on in order', () => {
  const { mount: o, rest } = parseMountOptions([
    'ro,suid,dev,noexec,sync,dirsync,noatime,nodiratime,lazytime,allow_other,default_permissions',
    'max_read=65536,rootmode=40755,noauto_unmount,writeback_cache,attr_timeout=1.5,direct_io,debug,bogus=x,attr_timeout=2',
  ]);
  assert.equal(o.ro, true);
  assert.equal(o.nosuid, false);
  assert.equal(o.nodev, false);
  assert.equal(o.noexec, true);
  assert.equal(o.sync, true);
  assert.equal(o.dirsync, true);
  assert.equal(o.atime, 'noatime');
  assert.equal(o.nodiratime, true);
  assert.equal(o.lazytime, true);
  assert.equal(o.allow_other, true);
  assert.equal(o.default_permissions, true);
  assert.equal(o.max_read, 65536);
  assert.equal(o.rootmode, 0o40755);
  assert.equal(o.auto_unmount, false);
  assert.deepEqual([...rest], [['writeback_cache', true], ['direct_io', true], ['debug', true], ['bogus', 'x'], ['attr_timeout', '2']]);
  assert.equal(mountFlags(o), sys.MS_RDONLY | sys.MS_NOEXEC | sys.MS_SYNCHRONOUS | sys.MS_DIRSYNC | sys.MS_NOATIME | sys.MS_NODIRATIME | sys.MS_LAZYTIME);
});

test('options: later wins; opposites; atime policies', () => {
  assert.equal(parseMountOptions('ro,rw').mount.ro, false);
  assert.equal(parseMountOptions(['nosuid', 'suid']).mount.nosuid, false);
  assert.equal(parseMountOptions('strictatime').mount.atime, 'strictatime');
  assert.equal(mountFlags(parseMountOptions('strictatime').mount) & sys.MS_STRICTATIME, sys.MS_STRICTATIME);
  assert.equal(parseMountOptions('noatime,atime').mount.atime, 'relatime');
  assert.equal(parseMountOptions('nonempty').rest.size, 0);
  // Parsing on top of given options.
  const base = parseMountOptions('allow_other').mount;
  assert.equal(parseMountOptions('ro', base).mount.allow_other, true);
});

test('options: malformed mount-level options are refused by name', () => {
  for (const [s, re] of [
    ['max_read=abc', /max_read=abc/], ['max_read', /needs a value/], ['rootmode=999', /octal/], ['ro=1', /takes no value/],
    ['fsname=', /needs a value/], ['subtype=a/b', /subtype/], ['fd=3', /set by devfuse/], ['user_id=0', /set by devfuse/],
    ['blkdev', /fuseblk/], ['max_read=99999999999', /2\^32/],
  ] as const) {
    assert.throws(() => parseMountOptions(s), (e: unknown) => e instanceof MountOptionError && re.test(e.message), s);
  }
});

test('options: mount(2) data and the fusermount3 -o string', () => {
  const o = parseMountOptions('allow_root,default_permissions,max_read=4096,fsname=a\\,b,subtype=x,noatime').mount;
  assert.equal(kernelMountData(o, 7, 0o40000, 1000, 100), 'fd=7,rootmode=40000,user_id=1000,group_id=100,allow_other,default_permissions,max_read=4096');
  assert.equal(fusermountOptions(o), 'rw,nosuid,nodev,exec,async,noatime,fsname=a\\,b,subtype=x,allow_other,default_permissions,max_read=4096,auto_unmount');
  const b = parseMountOptions('blksize=4096').mount;
  assert.throws(() => kernelMountData(b, 3, 0o40000, 0, 0), /only valid for fuseblk/);
  assert.throws(() => fusermountOptions(parseMountOptions('lazytime,strictatime').mount), /fusermount3 does not accept strictatime, lazytime/);
});

test('mountinfo escapes', () => {
  assert.equal(escapeMountInfo('a b\tc\\d\ne'), 'a\\040b\\011c\\134d\\012e');
  assert.equal(unescapeMountInfo('a\\040b\\011c\\134d\\012e'), 'a b\tc\\d\ne');
  assert.ok(readMountInfo().some((m) => m.mountpoint === '/'));
});

// ----------------------------------------------------------------- sys (FFI)

test('sys: socketpair, sendmsg/recvmsg with SCM_RIGHTS, fcntl, pipe2, errors', () => {
  const [a, b] = sys.socketpair(sys.AF_UNIX, sys.SOCK_STREAM | sys.SOCK_CLOEXEC);
  const [r, w] = sys.pipe2(sys.O_CLOEXEC);
  try {
    fs.writeSync(w, 'through the pipe');
    assert.equal(sys.sendmsg(a, Buffer.from('x'), [r]), 1);
    const got = sys.recvmsg(b, Buffer.alloc(1));
    assert.equal(got.bytes, 1);
    assert.equal(got.fds.length, 1);
    const fd = got.fds[0]!;
    assert.notEqual(fd, r);
    assert.equal(sys.fcntl(fd, sys.F_GETFD) & sys.FD_CLOEXEC, sys.FD_CLOEXEC, 'MSG_CMSG_CLOEXEC');
    const buf = Buffer.alloc(64);
    assert.equal(buf.toString('utf8', 0, fs.readSync(fd, buf)), 'through the pipe');
    sys.close(fd);
    sys.fcntl(b, sys.F_SETFL, sys.fcntl(b, sys.F_GETFL) | sys.O_NONBLOCK);
    assert.throws(() => sys.recvmsg(b, Buffer.alloc(1)), (e: unknown) => e instanceof sys.SysError && e.code === 'EAGAIN' && e.errno === 11);
    assert.deepEqual(sys.poll([{ fd: b, events: sys.POLLIN }], 0), [0]);
    sys.close(a);
    assert.deepEqual(sys.poll([{ fd: b, events: sys.POLLIN }], 0).map((x) => (x & sys.POLLIN) !== 0), [true]);
    assert.equal(sys.recvmsg(b, Buffer.alloc(1)).bytes, 0, 'EOF');
  } finally {
    for (const fd of [b, r, w]) fs.closeSync(fd);
  }
  assert.throws(() => sys.ioctl(0x7ffffff, sys.FUSE_DEV_IOC_CLONE, 0), (e: unknown) =>
    e instanceof sys.SysError && e.code === 'EBADF' && /^ioctl\(134217727, 0x8004e500, 0\) failed: EBADF/.test(e.message));
  assert.throws(() => sys.umount2('/nonexistent-devfuse', 0), (e: unknown) =>
    e instanceof sys.SysError && e.syscall === 'umount2' && /umount2\("\/nonexistent-devfuse", 0\)/.test(e.message));
  assert.equal(sys.getuid(), process.getuid!());
});

// --------------------------------------------------------------- mountpoint

test('mountpoint: helpful errors for missing, non-directory, and option mismatch', () => {
  const d = mountpoint();
  assert.throws(() => resolveMountpoint(path.join(d, 'nope')), /does not exist \(create it first: mkdir -p/);
  const f = path.join(d, 'file');
  fs.writeFileSync(f, '');
  assert.throws(() => resolveMountpoint(f), /is not a directory \(it is a regular file\).*rootmode=100000/);
  assert.deepEqual(resolveMountpoint(f, 0o100000), { path: f, rootmode: 0o100000 });
  assert.throws(() => resolveMountpoint(d, 0o100644), /does not match the mountpoint, which is a directory/);
  const link = path.join(d, 'link');
  fs.symlinkSync(d, link);
  assert.deepEqual(resolveMountpoint(link), { path: d, rootmode: 0o40000 });
  assert.throws(() => mount(d, { blksize: 4096 }), (e: unknown) => e instanceof MountOptionError && /fuseblk/.test(e.message));
});

test('mountpoint: a dead FUSE mount is named as such, with the cure', { skip: needRoot }, async () => {
  const mp = mountpoint();
  // A server that dies without unmounting (and without a watchdog) leaves a dead mount.
  const { child } = await start(process.execPath, childArgs('hold', mp, { auto_unmount: false }));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.equal(at(mp).length, 1);
  try {
    assert.throws(() => mount(mp), (e: unknown) => e instanceof MountError && /dead FUSE mount.*Transport endpoint is not connected.*umount -l/.test(e.message));
  } finally {
    sys.umount2(mp, sys.MNT_DETACH);
  }
  assert.equal(at(mp).length, 0);
});

// --------------------------------------------------------------- mount(2)

test('mount(2) as root: in the mount table with fstype, source and options; INIT waiting; unmount', { skip: needRoot }, () => {
  const mp = mountpoint();
  const { mount: o } = parseMountOptions('fsname=devfuse test,subtype=devfusetest,allow_other,default_permissions,max_read=65536,ro,noexec,noatime');
  const m = mount(mp, o);
  try {
    assert.equal(m.method, 'mount');
    assert.match(m.description, /^mount\(2\) as root; auto_unmount by a watchdog \(\/bin\/sh, pid \d+\)$/);
    const [e, ...more] = at(mp);
    assert.ok(e, 'in /proc/self/mountinfo');
    assert.equal(more.length, 0);
    assert.equal(e.fstype, 'fuse.devfusetest');
    assert.equal(e.source, 'devfuse test');
    assert.equal(e.id, m.mountId);
    assert.equal(Number(e.dev.split(':')[1]), m.connection);
    for (const opt of ['ro', 'nosuid', 'nodev', 'noexec', 'noatime']) assert.ok(e.options.split(',').includes(opt), `${opt} in ${e.options}`);
    for (const opt of ['user_id=0', 'group_id=0', 'default_permissions', 'allow_other', 'max_read=65536']) {
      assert.ok(e.superOptions.split(',').includes(opt), `${opt} in ${e.superOptions}`);
    }
    if (readMountInfo().some((x) => x.fstype === 'fusectl')) {
      assert.ok(fs.existsSync(`/sys/fs/fuse/connections/${m.connection}`), 'the connection number is the device minor');
    }
    assert.equal(m.isMounted(), true);
    // FUSE_DEV_IOC_CLONE (ioctl with a pointer argument): a second fd on the same connection.
    const clone = fs.openSync('/dev/fuse', 'r+');
    const arg = Buffer.alloc(4);
    arg.writeUInt32LE(m.fd);
    assert.equal(sys.ioctlBuffer(clone, sys.FUSE_DEV_IOC_CLONE, arg), 0);
    // INIT is queued on the connection (read it here: this process never touches the mountpoint).
    const buf = Buffer.alloc(1 << 16);
    const n = fs.readSync(clone, buf);
    fs.closeSync(clone);
    assert.ok(n >= 40 + 16);
    assert.equal(buf.readUInt32LE(4), 26, 'FUSE_INIT');
    assert.equal(buf.readUInt32LE(40), 7, 'major');
    const pid = Number(/pid (\d+)/.exec(m.description)![1]);
    assert.ok(alive(pid), 'watchdog running');
    m.unmount();
    assert.equal(m.isMounted(), false);
    assert.equal(at(mp).length, 0);
    assert.throws(() => fs.readSync(m.fd, buf), { code: 'ENODEV' });
    m.unmount(); // idempotent
    return waitFor(() => !alive(pid), 2000).then((gone) => assert.ok(gone, 'watchdog dismissed'));
  } finally {
    m.close();
  }
});

test('mount(2): lazy unmount, and unmount after an outside umount does not throw', { skip: needRoot }, () => {
  const a = mountpoint();
  const m1 = mount(a, { auto_unmount: false });
  assert.equal(m1.description, 'mount(2) as root; no auto_unmount');
  m1.unmount({ lazy: true });
  assert.equal(at(a).length, 0);
  m1.close();

  const b = mountpoint();
  const m2 = mount(b);
  const r = spawnSync('umount', ['-l', '-c', b]); // from outside, as an admin would
  assert.equal(r.status, 0, String(r.stderr));
  assert.equal(at(b).length, 0);
  assert.equal(m2.isMounted(), false);
  m2.unmount();
  m2.unmount({ lazy: true });
  m2.close();
  m2.close();
});

test('mount(2): never over our own live mount; a later mount on top of ours is never unmounted by our unmount', { skip: needRoot }, () => {
  const mp = mountpoint();
  const m = mount(mp, { auto_unmount: false });
  try {
    // Checking the mountpoint would stat our own mount, which waits for an INIT only we can answer.
    assert.throws(() => mount(mp), /this process has a FUSE filesystem mounted there already/);
    // Someone mounts over ours (mount(2) directly: mount(8) would stat the mountpoint, and hang).
    sys.mount('devfuse-on-top', mp, 'tmpfs', 0, null);
    assert.throws(() => m.unmount(), /another filesystem \(tmpfs devfuse-on-top\) is mounted on top of ours/);
    assert.equal(at(mp).length, 2);
    sys.umount2(mp, 0);
    m.unmount();
    assert.equal(at(mp).length, 0);
  } finally {
    m.close();
  }
});

test('mount(2): SIGKILL of the process that mounted leaves no mount behind (watchdog)', { skip: needRoot }, async () => {
  const mp = mountpoint();
  const { child, first } = await start(process.execPath, childArgs('hold', mp, { fsname: 'devfuse-kill' }));
  assert.equal(first['method'], 'mount');
  assert.equal(at(mp).length, 1);
  const t = Date.now();
  child.kill('SIGKILL');
  assert.ok(await waitFor(() => at(mp).length === 0, 3000), 'the watchdog unmounted it');
  const ms = Date.now() - t;
  assert.ok(ms < 3000, `${ms} ms`);
});

test('mount(2) end to end: a child answers INIT and GETATTR; stat works; an outside umount ends its loop', { skip: needRoot }, async () => {
  const mp = mountpoint();
  const { child, first } = await start(process.execPath, ['-e', RESPONDER, SERVER_DIR, mp]);
  assert.equal(first['ready'], true);
  const done = new Promise<Record<string, unknown>>((resolve) => createInterface({ input: child.stdout! }).once('line', (l) => resolve(parseLine(l))));
  let timer: NodeJS.Timeout | undefined;
  const st = await Promise.race([
    fs.promises.stat(mp),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('stat hung')), 5000))),
  ]).finally(() => clearTimeout(timer));
  assert.equal(st.ino, 1);
  assert.equal(st.mode, 0o40755);
  assert.equal(st.nlink, 2);
  sys.umount2(mp, 0);
  const last = await done;
  assert.deepEqual(last, { readError: 'ENODEV', unmountThrew: false, isMounted: false, opcodes: last['opcodes'] });
  assert.ok((last['opcodes'] as number[]).includes(26));
});

/** A minimal server: INIT, GETATTR of the root, ENOSYS for the rest; runs until the device says ENODEV. */
const RESPONDER = `
const [dir, mp] = process.argv.slice(1);
const fs = require('fs');
const { mount } = require(dir + '/mount.js');
const m = mount(mp, { fsname: 'devfuse-e2e' });
process.stdout.write(JSON.stringify({ ready: true }) + '\\n');
const buf = Buffer.alloc((1 << 20) + 8192);
const reply = (unique, error, body) => {
  const h = Buffer.alloc(16);
  h.writeUInt32LE(16 + body.length, 0); h.writeInt32LE(error, 4); h.writeBigUInt64LE(unique, 8);
  fs.writeSync(m.fd, Buffer.concat([h, body]));
};
const opcodes = [];
let readError;
for (;;) {
  try {
    fs.readSync(m.fd, buf);
  } catch (e) {
    if (e.code === 'ENOENT' || e.code === 'EINTR' || e.code === 'EAGAIN') continue;
    readError = e.code;
    break;
  }
  const opcode = buf.readUInt32LE(4), unique = buf.readBigUInt64LE(8);
  opcodes.push(opcode);
  if (opcode === 26) { // INIT: fuse_init_out, same minor as offered
    const out = Buffer.alloc(64);
    out.writeUInt32LE(7, 0); out.writeUInt32LE(buf.readUInt32LE(44), 4); out.writeUInt32LE(buf.readUInt32LE(48), 8);
    out.writeUInt32LE(131072, 20); out.writeUInt32LE(1, 24);
    reply(unique, 0, out);
  } else if (opcode === 3) { // GETATTR: fuse_attr_out of a 0755 directory, inode 1
    const out = Buffer.alloc(104);
    out.writeBigUInt64LE(1n, 0); out.writeBigUInt64LE(1n, 16);
    out.writeUInt32LE(0o40755, 76); out.writeUInt32LE(2, 80); out.writeUInt32LE(4096, 96);
    reply(unique, 0, out);
  } else if (opcode !== 2 && opcode !== 42) reply(unique, -38, Buffer.alloc(0)); // ENOSYS; FORGETs get no reply
}
let unmountThrew = false;
try { m.unmount(); } catch { unmountThrew = true; }
const isMounted = m.isMounted();
m.close();
process.stdout.write(JSON.stringify({ readError, unmountThrew, isMounted, opcodes }) + '\\n');
`;

// ------------------------------------------------------------- fusermount3

test('fusermount3 as an ordinary user (uid 65534): receives the fd, INIT on it, unmounts', { skip: needUserTools }, async () => {
  const mp = mountpoint(65534);
  const [cmd, args] = asNobody([process.execPath, ...nobodyArgs('cycle', mp, { fsname: 'nobody, fs', suid: false, nosuid: false }, {})]);
  const r = await run(cmd, args);
  assert.equal(r.code, 0, r.stderr);
  const o = r.lines[0]!;
  assert.equal(o['method'], 'fusermount3', JSON.stringify(o));
  assert.equal(o['uid'], 65534);
  assert.match(String(o['description']), /^fusermount3 \(.*fusermount3\) as uid 65534; auto_unmount by a watchdog \(\/bin\/sh, pid \d+\) and fusermount3 \(pid \d+\)$/);
  assert.deepEqual(o['warnings'], [`${fusermount3}: unsafe option suid ignored`]);
  const [e] = o['mounted'] as MountInfo[];
  assert.ok(e, 'mounted in its namespace');
  assert.equal(e.fstype, 'fuse');
  assert.equal(e.source, 'nobody, fs', 'escaped comma survives fusermount3');
  assert.ok(e.superOptions.includes('user_id=65534'));
  assert.ok(e.options.split(',').includes('nosuid'), 'fusermount3 keeps nosuid for users');
  assert.deepEqual(o['init'], { len: (o['init'] as { len: number }).len, opcode: 26, major: 7, minor: (o['init'] as { minor: number }).minor });
  assert.deepEqual(o['afterUnmount'], { isMounted: false, table: [] });
});

test('fusermount3: SIGKILL of the process that mounted leaves no mount behind (auto_unmount)', { skip: needFusermount }, async () => {
  const mp = mountpoint();
  const { child, first } = await start(process.execPath, childArgs('hold', mp, { fsname: 'devfuse-fm-kill' }, { method: 'fusermount3' }));
  assert.equal(first['method'], 'fusermount3');
  assert.equal(at(mp).length, 1);
  child.kill('SIGKILL');
  assert.ok(await waitFor(() => at(mp).length === 0, 3000), 'fusermount3 unmounted it');
});

test('fusermount3 path as root, without auto_unmount: fusermount3 exits; unmount by fusermount3 -u', { skip: needFusermount }, async () => {
  const mp = mountpoint();
  const m = mount(mp, { auto_unmount: false, subtype: 'fm' }, { method: 'fusermount3' });
  try {
    assert.equal(m.method, 'fusermount3');
    assert.match(m.description, /as uid 0; no auto_unmount$/);
    const [e] = at(mp);
    assert.equal(e?.fstype, 'fuse.fm');
    m.unmount({ lazy: true });
    assert.equal(at(mp).length, 0);
    m.unmount();
  } finally {
    m.close();
  }
});

test('failure names every path tried and why', { skip: needUserTools }, async () => {
  // As uid 65534 on the real /dev/fuse (0600 root here), with a fusermount3 that is not there.
  const mp = mountpoint(65534);
  const r = await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath,
    ...nobodyArgs('fail', mp, {}, { fusermount3: '/nonexistent/fusermount3' })]);
  const o = r.lines[0]!;
  assert.equal(o['name'], 'MountError', r.stderr);
  assert.match(String(o['error']), /^cannot mount FUSE on .*: mount\(2\): .*; fusermount3: cannot run \/nonexistent\/fusermount3$/);
  const r2 = await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...nobodyArgs('fail', '/', {}, { method: 'mount' })]);
  assert.match(String(r2.lines[0]!['error']), /^cannot mount FUSE on \/: mount\(2\): /);
});

// ----------------------------------------------------------- user namespace

test('user namespace (unshare -Urm) as an ordinary user: mount(2) is taken and works', { skip: needUserTools }, async () => {
  const mp = mountpoint(65534);
  const [cmd, args] = asNobody(['unshare', '-Urm', process.execPath, ...nobodyArgs('cycle', mp, { subtype: 'userns' })]);
  const r = await run(cmd, args);
  assert.equal(r.code, 0, r.stderr);
  const o = r.lines[0]!;
  assert.equal(o['method'], 'mount', JSON.stringify(o));
  assert.match(String(o['description']), /^mount\(2\) as uid 0 in a user namespace \(host uid 65534\); auto_unmount by a watchdog/);
  const [e] = o['mounted'] as MountInfo[];
  assert.equal(e?.fstype, 'fuse.userns');
  assert.ok(e.superOptions.includes('user_id=0'));
  assert.equal((o['init'] as { opcode: number }).opcode, 26);
  assert.deepEqual(o['afterUnmount'], { isMounted: false, table: [] });
  assert.equal(at(mp).length, 0, 'nothing in our namespace');
});
