/**
 * A fuse-native program complete enough for the conformance kit: callback
 * operations with fuse-native's signatures over pathMemfs (whose own
 * behaviour the kit checks in test/path), so that what the kit finds here
 * is what devfuse/fuse-native's mapping (src/fuse-native/ops.ts) does to a
 * program's answers. It answers as fuse-native programs do: stats with Date
 * times, negative errnos, read and write by byte count; some calls back at
 * once, others on a later tick.
 */
import { errnoOf } from '../../src/api/errors';
import type { RequestContext, Result, Timespec } from '../../src/api/filesystem';
import { pathMemfs } from '../../src/examples/path-memfs';
import { Errno } from '../../src/protocol';
import type { PathStat, StatLike } from '../../src/path';
import type Fuse = require('../../src/fuse-native');

const O_CREAT = 0o100;
const O_RDWR = 2;

/** fuse-native programs get no request context: files are made as the server's user. */
const CTX = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, pid: 0, umask: 0, signal: new AbortController().signal } as unknown as RequestContext;

const ms = (t: unknown): Date => (t && typeof t === 'object' && 'sec' in t ? new Date((t as Timespec).sec * 1000 + (t as Timespec).nsec / 1e6) : new Date(0));

/** pathMemfs's stat as a fuse-native program writes one: numbers, Date times. */
function toStat(st: PathStat): Fuse.Stat {
  const s = st as StatLike;
  return {
    mode: Number(s.mode), uid: Number(s.uid), gid: Number(s.gid), size: Number(s.size), nlink: Number(s.nlink), ino: Number(s.ino), rdev: Number(s.rdev),
    blksize: Number(s.blksize), blocks: Number(s.blocks), atime: ms(s.atime), mtime: ms(s.mtime), ctime: ms(s.ctime),
  };
}

const fromMs = (t: number): Timespec => {
  const sec = Math.floor(t / 1000);
  return { sec, nsec: Math.min(999_999_999, Math.round((t - sec * 1000) * 1e6)) };
};

export function kitProgram(): Fuse.Operations {
  const m = pathMemfs();
  let turn = 0;
  /** Calls back with what `f` answers, as fuse-native callbacks take it: at once or on the next tick, in turn. */
  const answer = <T, U = T>(cb: (err: number, value?: U) => void, f: () => Result<T>, map: (v: T) => U = (v) => v as unknown as U): void => {
    const done = (err: number, v?: T): void => {
      const call = (): void => (err ? cb(-err) : cb(0, v === undefined ? undefined : map(v)));
      if (turn++ % 2 === 0) call();
      else process.nextTick(call);
    };
    let r: Result<T>;
    try {
      r = f();
    } catch (e) {
      return done(errnoOf(e) ?? Errno.EIO);
    }
    Promise.resolve(r).then(
      (v) => (errnoOf(v) !== undefined ? done(errnoOf(v)!) : done(0, v as T)),
      (e: unknown) => done(errnoOf(e) ?? Errno.EIO),
    );
  };
  const count = (cb: (n: number) => void, f: () => Result<number>): void => answer((err: number, n?: number) => cb(err || (n ?? 0)), f);
  const unchanged = (id: number): number => (id === 0xffffffff ? -1 : id);

  return {
    getattr: (path, cb) => answer(cb, () => m.getattr!(path, undefined, CTX), toStat),
    fgetattr: (path, fd, cb) => answer(cb, () => m.getattr!(path, fd, CTX), toStat),
    access: (path, mode, cb) => answer(cb, () => m.access!(path, mode, CTX)),
    statfs: (path, cb) =>
      answer(cb, () => m.statfs!(path, CTX), (s) => ({ bsize: s.bsize, frsize: s.frsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree, namemax: s.namelen })),
    readdir: (path, cb) =>
      answer(
        (err: number, list?: { name: string; stat: PathStat }[]) => (err ? cb(err) : cb(0, list!.map((e) => e.name), list!.map((e) => toStat(e.stat)))),
        () => m.readdir!(path, 0, CTX) as { name: string; stat: PathStat }[],
      ),
    truncate: (path, size, cb) => answer(cb, () => m.truncate!(path, size, undefined, CTX)),
    ftruncate: (path, fd, size, cb) => answer(cb, () => m.truncate!(path, size, fd, CTX)),
    readlink: (path, cb) => answer(cb, () => m.readlink!(path, CTX)),
    chown: (path, uid, gid, cb) => answer(cb, () => m.chown!(path, unchanged(uid), unchanged(gid), undefined, CTX)),
    chmod: (path, mode, cb) => answer(cb, () => m.chmod!(path, mode, undefined, CTX)),
    mknod: (path, mode, dev, cb) => answer(cb, () => m.mknod!(path, mode, dev, CTX)),
    setxattr: (path, name, value, _position, flags, cb) => answer(cb, () => m.setxattr!(path, name, value, flags, CTX)),
    getxattr: (path, name, _position, cb) => answer(cb, () => m.getxattr!(path, name, CTX)),
    listxattr: (path, cb) => answer(cb, () => m.listxattr!(path, CTX)),
    removexattr: (path, name, cb) => answer(cb, () => m.removexattr!(path, name, CTX)),
    open: (path, flags, cb) => answer(cb, () => m.open!(path, flags, CTX) as Result<number>),
    read: (path, fd, buffer, length, position, cb) =>
      count(cb, () => {
        const r = m.read!(path, fd, buffer.subarray(0, length), position, CTX);
        const data = Buffer.concat(([] as Buffer[]).concat(r as Buffer | Buffer[]));
        return data.copy(buffer);
      }),
    write: (path, fd, buffer, length, position, cb) => count(cb, () => m.write!(path, fd, Buffer.from(buffer.subarray(0, length)), position, CTX)),
    release: (path, fd, cb) => answer(cb, () => m.release!(path, fd, 0, CTX)),
    create: (path, mode, cb) => answer(cb, () => m.create!(path, mode, O_CREAT | O_RDWR, CTX) as Result<number>),
    utimens: (path, atime, mtime, cb) => answer(cb, () => m.utimens!(path, fromMs(atime), fromMs(mtime), undefined, CTX)),
    unlink: (path, cb) => answer(cb, () => m.unlink!(path, CTX)),
    rename: (src, dest, cb) => answer(cb, () => m.rename!(src, dest, 0, CTX)),
    link: (src, dest, cb) => answer(cb, () => m.link!(src, dest, CTX)),
    symlink: (src, dest, cb) => answer(cb, () => m.symlink!(src, dest, CTX)),
    mkdir: (path, mode, cb) => answer(cb, () => m.mkdir!(path, mode, CTX)),
    rmdir: (path, cb) => answer(cb, () => m.rmdir!(path, CTX)),
  };
}
