/**
 * What fuse-native did around a mount, on Linux: unmounting whatever is
 * mounted at a path (Fuse.unmount), the mountpoint checks and their
 * messages, and configure/isConfigured, which mean here "can this process
 * mount FUSE": /dev/fuse present, and root or fusermount3 to mount with.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export type ErrorCallback = (err: Error | null) => void;

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** fusermount3 on PATH, /usr/bin or /bin. */
function fusermount3(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/bin', '/bin'];
  for (const d of dirs) {
    const p = path.join(d, 'fusermount3');
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Detaches whatever is mounted at `mnt` (umount -l as root, fusermount3 -u -z otherwise), as fuse-native's `fusermount -uz`. */
export function unmountPath(mnt: string, cb: ErrorCallback): void {
  const [cmd, args] = isRoot() ? ['umount', ['-l', mnt]] : [fusermount3() ?? 'fusermount3', ['-u', '-z', mnt]];
  execFile(cmd, args as string[], (err, _out, stderr) => {
    if (!err) return cb(null);
    cb(Object.assign(new Error(`${cmd} ${(args as string[]).join(' ')} failed: ${String(stderr).trim() || err.message}`), { code: (err as NodeJS.ErrnoException).code }));
  });
}

/** Why this process cannot mount FUSE, or null when it can. */
function cannotMount(): string | null {
  if (!fs.existsSync('/dev/fuse')) return '/dev/fuse is missing: load the fuse module (modprobe fuse), or pass the device into the container';
  if (!isRoot() && !fusermount3()) return 'fusermount3 is missing: install it (Debian and Ubuntu: apt-get install fuse3), or mount as root';
  return null;
}

export function isConfigured(cb: (err: Error | null, configured?: boolean) => void): void {
  process.nextTick(cb, null, cannotMount() === null);
}

/** Tries what root can do (modprobe fuse); says what to do otherwise. */
export function configure(cb: ErrorCallback): void {
  if (cannotMount() === null) return process.nextTick(cb, null);
  if (!fs.existsSync('/dev/fuse') && isRoot()) {
    execFile('modprobe', ['fuse'], () => {
      const why = cannotMount();
      cb(why ? new Error(`Could not configure FUSE: ${why}`) : null);
    });
    return;
  }
  process.nextTick(cb, new Error(`Could not configure FUSE: ${cannotMount()!}`));
}

/** Nothing devfuse configured needs undoing. */
export function unconfigure(cb: ErrorCallback): void {
  process.nextTick(cb, null);
}

/** fuse-native's hooks around mounting (macOS kernel extension set-up): nothing to do on Linux. */
export function nothing(cb?: ErrorCallback): void {
  if (cb) process.nextTick(cb, null);
}

/**
 * fuse-native's checks before mounting, with its messages: the mountpoint
 * exists (or is made, with `mkdir`), is a directory, and has nothing
 * mounted on it (its device is its parent's).
 */
export function checkMountpoint(mnt: string, mkdir: boolean, cb: ErrorCallback): void {
  fs.stat(mnt, (err, st) => {
    if (err && err.code !== 'ENOENT') return cb(err);
    if (err) {
      if (!mkdir) return cb(new Error('Mountpoint does not exist'));
      return fs.mkdir(mnt, { recursive: true }, (e) => (e ? cb(e) : checkMountpoint(mnt, false, cb)));
    }
    if (!st.isDirectory()) return cb(new Error('Mountpoint is not a directory'));
    fs.stat(path.join(mnt, '..'), (_e, parent) => {
      if (parent && parent.dev !== st.dev) return cb(new Error('Mountpoint in use'));
      cb(null);
    });
  });
}

/** With `force`: a dead mount at `mnt` (ENOTCONN, or ENXIO) is unmounted first, as fuse-native did. */
export function clearDeadMount(mnt: string, cb: () => void): void {
  fs.stat(path.join(mnt, 'test'), (err) => {
    const code = err?.code;
    if (code === 'ENOTCONN' || code === 'ENXIO') return unmountPath(mnt, () => cb());
    cb();
  });
}
