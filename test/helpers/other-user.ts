/**
 * Running devfuse as an ordinary user from a test that runs as root: a copy
 * of the build that other users can read, and a mount namespace where
 * /dev/fuse is 0666 as udev makes it on a desktop (on this machine the real
 * one is 0600 root, which stops fusermount3 before it starts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

const REPO = path.resolve(__dirname, '../../..');

/**
 * The compiled package (dist/src, bin, package.json) and koffi copied into a
 * fresh 0755 directory under /tmp: a checkout in a private directory
 * (`mktemp -d` makes it 0700, as CI's fresh clone is) is out of other users'
 * reach. Returns the copy's root; the caller removes it.
 */
export function copyBuildForOtherUsers(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-nobody-'));
  fs.chmodSync(root, 0o755);
  fs.cpSync(path.join(REPO, 'dist', 'src'), path.join(root, 'dist', 'src'), { recursive: true });
  fs.cpSync(path.join(REPO, 'bin'), path.join(root, 'bin'), { recursive: true });
  fs.copyFileSync(path.join(REPO, 'package.json'), path.join(root, 'package.json'));
  // koffi and its native build, which comes in a platform package (@koromix/koffi-linux-x64 here).
  for (const pkg of ['koffi', '@koromix']) {
    fs.cpSync(path.join(REPO, 'node_modules', pkg), path.join(root, 'node_modules', pkg), { recursive: true });
  }
  return root;
}

/** The script that makes /dev/fuse 0666 inside a new mount namespace; "$1" is a scratch directory. */
export const PRIVATE_DEV_FUSE = 'mount -t tmpfs devfuse-dev "$1" && mknod -m 666 "$1/fuse" c 10 229 && mount --bind "$1/fuse" /dev/fuse';

/**
 * A mount namespace kept alive by a shell waiting on its stdin (so it dies
 * with the test process, whatever kills it). Processes are started in it with
 * nsenter; its mount table is /proc/<pid>/mountinfo. A namespace dies with
 * its last process and takes its mounts along: a mount left behind by a
 * killed server stays visible here as long as the keeper lives.
 */
export interface Namespace {
  readonly pid: number;
  /** [command, args] that run `argv` in the namespace as uid/gid. */
  as(uid: number, gid: number, argv: readonly string[], env?: Record<string, string>): [string, string[]];
  close(): void;
}

export async function privateFuseNamespace(scratch: string): Promise<Namespace> {
  const keeper: ChildProcess = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `${PRIVATE_DEV_FUSE} && echo ready && read x`, 'sh', scratch], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  keeper.stderr!.on('data', (d: Buffer) => (err += d));
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: keeper.stdout! }).once('line', () => resolve());
    keeper.on('exit', (code) => reject(new Error(`the namespace keeper exited (${code}): ${err}`)));
    keeper.on('error', reject);
  });
  const pid = keeper.pid!;
  return {
    pid,
    as: (uid, gid, argv, env = {}) => ['nsenter', ['-t', String(pid), '-m', '--', 'setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups',
      'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv]],
    close: () => {
      keeper.stdin!.end();
      keeper.kill('SIGKILL');
    },
  };
}
