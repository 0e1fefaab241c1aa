/**
 * fuse-native operations (callbacks, negative errnos, stat objects) as a
 * PathFilesystem, so that the path layer does for them what libfuse 2's
 * high-level layer did for fuse-native. Where fuse-native's behaviour was a
 * bug, programs written for it get what they meant:
 *
 * - fgetattr is called when the kernel names an open file (fuse-native
 *   called getattr instead);
 * - utimens gets the atime and the mtime (fuse-native passed the atime
 *   twice), and a change of one time alone reaches it with the other time
 *   as it is (libfuse 2 dropped it);
 * - hard links are one inode (the path layer), an unlinked open file keeps
 *   its handle without a .fuse_hidden file, and an Error passed to a
 *   callback is answered with its errno instead of leaving the caller hung.
 */
import { FuseError, errnoOf } from '../api/errors';
import type { Result, StatfsResult, Timespec } from '../api/filesystem';
import { Errno } from '../protocol';
import type { PathDirEntry, PathFilesystem, StatLike } from '../path/types';
import type { Callback, CountCallback, Operations, Stat, StatFs } from './types';

const S_IFDIR = 0o040000;
const O_EXCL = 0o200;

/** One FuseError per errno: answers returned, not thrown, so none needs its own stack trace (a few µs each). */
const ERRORS: FuseError[] = [];
function fail(errno: number): FuseError {
  return (ERRORS[errno] ??= new FuseError(errno));
}

/** A callback's error argument as an errno: 0 for success. */
export function errnoFrom(err: unknown): number {
  if (err === 0 || err === null || err === undefined || err === false) return 0;
  if (typeof err === 'number') return Number.isInteger(err) && err !== 0 ? Math.abs(err) : Errno.EIO;
  return errnoOf(err) ?? Errno.EIO;
}

/** Pending operations with a deadline, answered ETIMEDOUT when it passes (fuse-native's `timeout`). */
export class Deadlines {
  private readonly pending = new Set<{ at: number; expire: () => void }>();
  private timer: NodeJS.Timeout | null = null;

  add(ms: number, expire: () => void): () => void {
    const p = { at: performance.now() + ms, expire };
    this.pending.add(p);
    if (!this.timer) {
      // One coarse sweep for all pending operations, rather than a timer each.
      this.timer = setInterval(() => this.sweep(), Math.max(50, Math.min(1000, ms / 4)));
      this.timer.unref();
    }
    return () => void this.pending.delete(p);
  }

  private sweep(): void {
    const now = performance.now();
    for (const p of this.pending) {
      if (p.at > now) continue;
      this.pending.delete(p);
      p.expire();
    }
    if (this.pending.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.pending.clear();
  }
}

type TimeoutOf = (op: keyof Operations) => number;

/**
 * Calls a callback-style operation and answers with what its callback got:
 * synchronously when it calls back at once, else a promise. `decode` turns
 * the callback's arguments into the answer (or a FuseError).
 */
function callOp<T>(timeoutOf: TimeoutOf, deadlines: Deadlines, op: keyof Operations, invoke: (cb: (...args: unknown[]) => void) => void, decode: (args: unknown[]) => T | FuseError): Result<T> {
  let done = false;
  let value: T | FuseError | undefined;
  let settle: ((v: T | FuseError) => void) | null = null;
  let cancel: (() => void) | null = null;
  const finish = (v: T | FuseError): void => {
    if (done) return;
    done = true;
    cancel?.();
    if (settle) settle(v);
    else value = v;
  };
  const cb = (...args: unknown[]): void => {
    let v: T | FuseError;
    try {
      v = decode(args);
    } catch (e) {
      v = e instanceof FuseError ? e : new FuseError('EIO', `fuse-native ${op}: ${e instanceof Error ? e.message : String(e)}`);
    }
    finish(v);
  };
  invoke(cb);
  if (done) return value as T | FuseError;
  const ms = timeoutOf(op);
  return new Promise<T | FuseError>((resolve) => {
    settle = resolve;
    if (ms > 0) cancel = deadlines.add(ms, () => finish(new FuseError('ETIMEDOUT', `fuse-native ${op} did not call back within ${ms} ms`)));
  });
}

/** The answer of an operation whose callback carries only an error. */
function none(args: unknown[]): void | FuseError {
  const e = errnoFrom(args[0]);
  return e === 0 ? undefined : fail(e);
}

function value<T>(dflt: T, check?: (v: unknown) => T): (args: unknown[]) => T | FuseError {
  return (args) => {
    const e = errnoFrom(args[0]);
    if (e !== 0) return fail(e);
    const v = args[1];
    if (v === undefined || v === null) return dflt;
    return check ? check(v) : (v as T);
  };
}

/** read and write: the first argument is the byte count, or a negative errno. */
function count(args: unknown[]): number | FuseError {
  const n = args[0];
  if (n === undefined || n === null || n === 0 || n === false) return 0;
  if (typeof n === 'number') return n < 0 ? fail(Number.isInteger(n) ? -n : Errno.EIO) : n;
  return fail(errnoFrom(n));
}

function ms(t: Date | number | undefined, now: number): number {
  if (typeof t === 'number') return t;
  if (t instanceof Date) return t.getTime();
  return now;
}

/** A fuse-native stat object as a PathStat: missing numbers 0 (nlink 1), missing times now. */
export function fromStat(st: Stat | undefined): StatLike {
  if (typeof st !== 'object' || st === null) throw new FuseError('EIO', `fuse-native getattr answered ${String(st)}, not a stat object`);
  const now = Date.now();
  const s = st as Stat & { atimeMs?: number; mtimeMs?: number; ctimeMs?: number };
  // fs.Stats carries exact times in *Ms; fuse-native cut them to milliseconds.
  return {
    mode: s.mode || 0, uid: s.uid || 0, gid: s.gid || 0, size: s.size || 0, dev: s.dev || 0, nlink: s.nlink || 1, ino: s.ino || 0,
    rdev: s.rdev || 0, blksize: s.blksize || 0, blocks: s.blocks,
    atimeMs: typeof s.atimeMs === 'number' ? s.atimeMs : ms(s.atime, now),
    mtimeMs: typeof s.mtimeMs === 'number' ? s.mtimeMs : ms(s.mtime, now),
    ctimeMs: typeof s.ctimeMs === 'number' ? s.ctimeMs : ms(s.ctime, now),
  };
}

function toStatfs(s: StatFs): StatfsResult {
  return { bsize: s.bsize || 0, frsize: s.frsize || 0, blocks: s.blocks || 0, bfree: s.bfree || 0, bavail: s.bavail || 0, files: s.files || 0, ffree: s.ffree || 0, namelen: s.namemax || 0 };
}

// Whole milliseconds, as fuse-native made them (tv_sec * 1000 + tv_nsec / 1000000 in C): a program may
// store them where a fraction does not fit (BigInt, an integer column, a varint).
const toMs = (t: Timespec): number => t.sec * 1000 + Math.trunc(t.nsec / 1e6);
const fd = (v: unknown): number => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : 0);
/** The root of a filesystem without getattr, as fuse-native shows it. */
const DEFAULT_ROOT: StatLike = { mode: 0o040755, size: 4096, nlink: 1, atimeMs: 0, mtimeMs: 0, ctimeMs: 0 };

/** The PathFilesystem that runs fuse-native `ops`. */
export function opsToPathFs(ops: Operations, timeoutOf: TimeoutOf, deadlines: Deadlines): PathFilesystem {
  const call = <T>(op: keyof Operations, invoke: (cb: (...args: unknown[]) => void) => void, decode: (args: unknown[]) => T | FuseError): Result<T> => callOp(timeoutOf, deadlines, op, invoke, decode);
  const statOf = (path: string, fh: number | undefined): Result<StatLike> => {
    if (fh !== undefined && ops.fgetattr) return call('fgetattr', (cb) => ops.fgetattr!(path, fh, cb as Callback<Stat>), statOrEio);
    if (ops.getattr) return call('getattr', (cb) => ops.getattr!(path, cb as Callback<Stat>), statOrEio);
    // fuse-native without getattr: the root is an empty directory, every other path EPERM.
    if (path === '/') return DEFAULT_ROOT;
    return fail(Errno.EPERM);
  };
  const statOrEio = (args: unknown[]): StatLike | FuseError => {
    const e = errnoFrom(args[0]);
    if (e !== 0) return fail(e);
    return fromStat(args[1] as Stat | undefined);
  };
  /** true when getattr says ENOENT; its other errors pass on. */
  const absent = (path: string): Result<boolean> => {
    const seen = (r: StatLike | FuseError): boolean | FuseError => (r instanceof FuseError ? (r.errno === Errno.ENOENT ? true : r) : false);
    const r = statOf(path, undefined);
    return r instanceof Promise ? r.then(seen) : seen(r as StatLike | FuseError);
  };
  const fs: PathFilesystem = {
    getattr: (path, fh) => statOf(path, fh),
  };
  if (ops.init) {
    const init = ops.init;
    fs.init = () => resolveVoid(call('init', (cb) => init.call(ops, cb as Callback), none));
  }
  if (ops.fgetattr) fs.fgetattr = (path, fh) => statOf(path, fh);
  if (ops.readlink) fs.readlink = (path) => call('readlink', (cb) => ops.readlink!(path, cb as Callback<string>), value('', (v) => String(v)));
  if (ops.mknod) fs.mknod = (path, mode, rdev) => call('mknod', (cb) => ops.mknod!(path, mode, rdev, cb as Callback), none);
  // The kernel sends mkdir the permission bits only, and so did libfuse 2.
  if (ops.mkdir) fs.mkdir = (path, mode) => call('mkdir', (cb) => ops.mkdir!(path, mode & ~S_IFDIR, cb as Callback), none);
  if (ops.unlink) fs.unlink = (path) => call('unlink', (cb) => ops.unlink!(path, cb as Callback), none);
  if (ops.rmdir) fs.rmdir = (path) => call('rmdir', (cb) => ops.rmdir!(path, cb as Callback), none);
  if (ops.symlink) fs.symlink = (target, path) => call('symlink', (cb) => ops.symlink!(target, path, cb as Callback), none);
  if (ops.rename) {
    // renameat2 flags were beyond libfuse 2: EINVAL, as the kernel answers a filesystem without RENAME2.
    fs.rename = (from, to, flags) => (flags !== 0 ? fail(Errno.EINVAL) : call('rename', (cb) => ops.rename!(from, to, cb as Callback), none));
  }
  if (ops.link) fs.link = (existing, path) => call('link', (cb) => ops.link!(existing, path, cb as Callback), none);
  if (ops.chmod) fs.chmod = (path, mode) => call('chmod', (cb) => ops.chmod!(path, mode, cb as Callback), none);
  // (uid_t)-1 for "unchanged", as libfuse 2 passed it.
  if (ops.chown) fs.chown = (path, uid, gid) => call('chown', (cb) => ops.chown!(path, uid >>> 0, gid >>> 0, cb as Callback), none);
  if (ops.truncate) fs.truncate = (path, size) => call('truncate', (cb) => ops.truncate!(path, size, cb as Callback), none);
  if (ops.ftruncate) fs.ftruncate = (path, fh, size) => call('ftruncate', (cb) => ops.ftruncate!(path, fh, size, cb as Callback), none);
  if (ops.utimens) {
    const utimens = (path: string, a: number, m: number): Result<void> => call('utimens', (cb) => ops.utimens!(path, a, m, cb as Callback), none);
    fs.utimens = (path, atime, mtime, fh) => {
      if (atime && mtime) return utimens(path, toMs(atime), toMs(mtime));
      // One time alone: the other as it is now (fuse-native can only set both).
      return thenDo(statOf(path, fh), (st) => utimens(path, atime ? toMs(atime) : Math.floor(st.atimeMs as number), mtime ? toMs(mtime) : Math.floor(st.mtimeMs as number)));
    };
  }
  if (ops.open) fs.open = (path, flags) => call('open', (cb) => ops.open!(path, flags, cb as Callback<number>), (args) => openFd(args));
  if (ops.create) {
    const create = (path: string, mode: number): Result<number> => call('create', (cb) => ops.create!(path, mode, cb as Callback<number>), (args) => openFd(args));
    // fuse-native's create gets no flags (libfuse 2 had them in fi->flags; the binding dropped them): O_EXCL is checked here.
    fs.create = (path, mode, flags) => (flags & O_EXCL ? thenDo(absent(path), (yes) => (yes ? create(path, mode) : fail(Errno.EEXIST))) : create(path, mode));
  }
  if (ops.opendir) fs.opendir = (path, flags) => call('opendir', (cb) => ops.opendir!(path, flags, cb as Callback<number>), (args) => openFd(args));
  if (ops.read) {
    fs.read = (path, fh, buffer, offset) =>
      call('read', (cb) => ops.read!(path, fh, buffer, buffer.length, offset, cb as CountCallback), (args) => {
        const n = count(args);
        return typeof n === 'number' && n > buffer.length ? new FuseError('EIO', `fuse-native read answered ${n} bytes, more than the ${buffer.length} asked for`) : n;
      });
  }
  if (ops.write) fs.write = (path, fh, data, offset) => call('write', (cb) => ops.write!(path, fh, data, data.length, offset, cb as CountCallback), count);
  if (ops.release) fs.release = (path, fh) => call('release', (cb) => ops.release!(path, fh, cb as Callback), none);
  if (ops.releasedir) fs.releasedir = (path, fh) => call('releasedir', (cb) => ops.releasedir!(path, fh, cb as Callback), none);
  if (ops.flush) fs.flush = (path, fh) => call('flush', (cb) => ops.flush!(path, fh, cb as Callback), none);
  if (ops.fsync) fs.fsync = (path, fh, datasync) => call('fsync', (cb) => ops.fsync!(path, datasync ? 1 : 0, fh, cb as Callback), none);
  if (ops.fsyncdir) fs.fsyncdir = (path, fh, datasync) => call('fsyncdir', (cb) => ops.fsyncdir!(path, datasync ? 1 : 0, fh, cb as Callback), none);
  if (ops.readdir) {
    fs.readdir = (path) =>
      call('readdir', (cb) => ops.readdir!(path, cb as never), (args) => {
        const e = errnoFrom(args[0]);
        if (e !== 0) return fail(e);
        const names = (args[1] ?? []) as readonly unknown[];
        const stats = args[2] as readonly Stat[] | undefined;
        if (!Array.isArray(names)) return new FuseError('EIO', 'fuse-native readdir called back without an array of names');
        // Stats are used only when there is one per name, as fuse-native did.
        const withStats = Array.isArray(stats) && stats.length === names.length;
        return names.map((n, i): PathDirEntry => (withStats && stats[i] ? { name: String(n), stat: fromStat(stats[i]) } : String(n)));
      });
  }
  if (ops.statfs) fs.statfs = (path) => call('statfs', (cb) => ops.statfs!(path, cb as Callback<StatFs>), value<StatfsResult>({}, (v) => toStatfs(v as StatFs)));
  if (ops.access) fs.access = (path, mask) => call('access', (cb) => ops.access!(path, mask, cb as Callback), none);
  if (ops.setxattr) fs.setxattr = (path, name, v, flags) => call('setxattr', (cb) => ops.setxattr!(path, name, v, 0, flags, cb as Callback), none);
  if (ops.getxattr) {
    fs.getxattr = (path, name) =>
      call('getxattr', (cb) => ops.getxattr!(path, name, 0, cb as Callback<Buffer | null>), (args) => {
        const e = errnoFrom(args[0]);
        if (e !== 0) return fail(e);
        const v = args[1];
        if (v === null || v === undefined) return fail(Errno.ENODATA);
        return Buffer.isBuffer(v) ? v : Buffer.from(String(v));
      });
  }
  if (ops.listxattr) fs.listxattr = (path) => call('listxattr', (cb) => ops.listxattr!(path, cb as Callback<string[]>), value<string[]>([], (v) => (v as unknown[]).map(String)));
  if (ops.removexattr) fs.removexattr = (path, name) => call('removexattr', (cb) => ops.removexattr!(path, name, cb as Callback), none);
  return fs;
}

function openFd(args: unknown[]): number | FuseError {
  const e = errnoFrom(args[0]);
  return e === 0 ? fd(args[1]) : fail(e);
}

function thenDo<T, R>(v: Result<T>, f: (t: T) => Result<R>): Result<R> {
  if (v instanceof Promise) return v.then((x) => (x instanceof FuseError ? x : f(x)));
  return v instanceof FuseError ? v : f(v as T);
}

async function resolveVoid(v: Result<void>): Promise<void> {
  const r = await v;
  if (r instanceof FuseError) throw r;
}

