/**
 * No dead mount left behind by an ordinary user's server, however it dies:
 * `devfuse mount memfs` run by a user made for the test (fusermount3 path),
 * SIGKILLed, with the mountpoint in a directory only that user can enter,
 * directly under /tmp, and in the user's home. fusermount3 3.14's own
 * auto_unmount leaves these behind (its root watchdog is refused the
 * mountpoint); devfuse's watchdog must unmount them as the user.
 *
 * Everything runs in a private mount namespace (see other-user.ts), whose
 * mount table is read from the host through /proc/<keeper>/mountinfo.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findFusermount3 } from '../../src/server/device/mount';
import { readMountInfo } from '../../src/server/device/mountinfo';
import { copyBuildForOtherUsers, privateFuseNamespace, type Namespace } from '../helpers/other-user';
import { waitFor } from '../helpers/wait';

const have = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const skip = process.getuid?.() !== 0 ? 'needs root (to create a user and a mount namespace)'
  : !fs.existsSync('/dev/fuse') ? 'no /dev/fuse on this machine'
  : !findFusermount3() ? 'fusermount3 not installed (apt-get install fuse3)'
  : !['unshare', 'nsenter', 'setpriv', 'useradd', 'userdel'].every(have) ? 'needs unshare, nsenter, setpriv (util-linux) and useradd (passwd)'
  : false;

const user = `dfuse${process.pid}`;
let uid = -1;
let gid = -1;
let home = '';
let build = '';
let ns: Namespace | undefined;
const cleanup: string[] = [];
const children: ChildProcess[] = [];

before(async () => {
  if (skip) return;
  const r = spawnSync('useradd', ['-m', '-d', `/home/${user}`, '-s', '/bin/sh', user], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  uid = Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout);
  gid = Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout);
  home = `/home/${user}`;
  fs.chmodSync(home, 0o700);
  build = copyBuildForOtherUsers();
  cleanup.push(build);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-dev-'));
  cleanup.push(scratch);
  ns = await privateFuseNamespace(scratch);
});

after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  // The namespace's mounts go with its keeper.
  ns?.close();
  for (const d of cleanup.reverse()) fs.rmSync(d, { recursive: true, force: true });
  if (uid >= 0) spawnSync('userdel', ['-r', '-f', user]);
});

const mounted = (mp: string): boolean => readMountInfo(ns!.pid).some((m) => m.mountpoint === mp);

/** Runs a command as the test user in the namespace, to its end. */
function asUser(argv: string[]): { status: number | null; stdout: string; stderr: string } {
  const [cmd, args] = ns!.as(uid, gid, argv, { HOME: home });
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `devfuse mount memfs <mp>` as the test user; resolves once it says the mount is up. */
function mountAsUser(mp: string): Promise<ChildProcess> {
  const [cmd, args] = ns!.as(uid, gid, [process.execPath, path.join(build, 'bin', 'devfuse.js'), 'mount', 'memfs', mp], { HOME: home });
  const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(c);
  let err = '';
  return new Promise((resolve, reject) => {
    c.stderr!.on('data', (d: Buffer) => {
      err += d;
      if (err.includes(' mounted on ')) resolve(c);
    });
    c.on('exit', (code) => reject(new Error(`devfuse exited (${code}) before mounting: ${err}`)));
  });
}

async function killAndCheck(mp: string): Promise<void> {
  const c = await mountAsUser(mp);
  assert.ok(mounted(mp), 'mounted');
  // Served: the user writes and lists a file through the mount.
  assert.equal(asUser(['sh', '-c', `echo hi > '${mp}/f' && ls '${mp}'`]).stdout, 'f\n');
  c.kill('SIGKILL');
  assert.ok(await waitFor(() => !mounted(mp), 10_000), `${mp} is still mounted after SIGKILL`);
  const ls = asUser(['ls', '-a', mp]);
  assert.equal(ls.status, 0, ls.stderr);
  assert.deepEqual(ls.stdout.split('\n').filter(Boolean), ['.', '..'], 'the directory beneath, empty');
}

function userDir(parent: string, mode: number): string {
  const d = fs.mkdtempSync(path.join(parent, 'devfuse-mnt-'));
  fs.chownSync(d, uid, gid);
  fs.chmodSync(d, mode);
  cleanup.push(d);
  return d;
}

test('ordinary user, SIGKILL: mountpoint inside a directory only the user can enter', { skip }, async () => {
  const priv = userDir(os.tmpdir(), 0o700);
  const mp = path.join(priv, 'mnt');
  fs.mkdirSync(mp);
  fs.chownSync(mp, uid, gid);
  await killAndCheck(mp);
});

test('ordinary user, SIGKILL: mountpoint directly under /tmp', { skip }, async () => {
  await killAndCheck(userDir(os.tmpdir(), 0o755));
});

test("ordinary user, SIGKILL: mountpoint in the user's home (0700)", { skip }, async () => {
  const mp = path.join(home, 'mnt');
  fs.mkdirSync(mp);
  fs.chownSync(mp, uid, gid);
  await killAndCheck(mp);
});
