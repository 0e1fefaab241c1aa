/**
 * The memfs fixture for tests that call it directly: a manual clock, and a
 * thin wrapper that calls the Filesystem methods and unwraps their
 * (synchronous) results, so tests read as plain calls. Contexts, errno
 * assertions and readdir sinks: ../helpers/fs-calls.ts.
 */
import type { Attr } from '../../src/protocol';
import type { Entry, Lock, OpenResult, RequestContext, SetattrChanges, Timespec } from '../../src/api/filesystem';
import { strict } from '../../src/testing/strict';
import { FuseError } from '../../src/api/errors';
import { memfs, type Memfs, type MemfsOptions } from '../../src/fs/memfs';
import type { Clock } from '../../src/fs/memfs/clock';
import { plainSink, plusSink, root, type Listed } from '../helpers/fs-calls';

/** A clock that moves only when told: timestamps compare exactly. */
export class ManualClock implements Clock {
  t: Timespec = { sec: 1_700_000_000, nsec: 0 };
  now(): Timespec {
    return { ...this.t };
  }
  advance(ns = 1): void {
    const total = this.t.nsec + ns;
    this.t = { sec: this.t.sec + Math.floor(total / 1e9), nsec: total % 1e9 };
  }
}

/** memfs answers synchronously; a FuseError it returns (rather than throws) is thrown here, as tests expect. */
function sync<T>(v: T | FuseError | Promise<T | FuseError>): T {
  if (v instanceof Promise) throw new Error('memfs answered with a promise where a value was expected');
  if (v instanceof FuseError) throw v;
  return v;
}

const O_RDWR = 2;

/** memfs with a manual clock and sync helpers. */
export class Fx {
  readonly fs: Memfs;
  readonly clock = new ManualClock();

  constructor(options: MemfsOptions = {}) {
    this.fs = memfs({ uid: 0, gid: 0, mode: 0o755, clock: this.clock, ...options });
  }

  get st(): Memfs['state'] {
    return this.fs.state;
  }

  lookup(c: RequestContext, parent: number, name: string): Entry {
    return sync(this.fs.lookup!(c, parent, name));
  }
  getattr(ino: number): Attr {
    return this.st.get(ino).attr();
  }
  mkdir(c: RequestContext, parent: number, name: string, mode = 0o755): Entry {
    return sync(this.fs.mkdir!(c, parent, name, mode | 0o040000));
  }
  mknod(c: RequestContext, parent: number, name: string, mode: number, rdev = 0): Entry {
    return sync(this.fs.mknod!(c, parent, name, mode, rdev));
  }
  symlink(c: RequestContext, parent: number, name: string, target: string): Entry {
    return sync(this.fs.symlink!(c, parent, name, target));
  }
  link(c: RequestContext, ino: number, parent: number, name: string): Entry {
    return sync(this.fs.link!(c, ino, parent, name));
  }
  create(c: RequestContext, parent: number, name: string, mode = 0o644, flags = O_RDWR): { entry: Entry; open: OpenResult } {
    return sync(this.fs.create!(c, parent, name, mode | 0o100000, flags, { killSuidgid: false }));
  }
  tmpfile(c: RequestContext, parent: number, mode = 0o600, flags = O_RDWR): { entry: Entry; open: OpenResult } {
    return sync(this.fs.tmpfile!(c, parent, mode | 0o100000, flags));
  }
  /** Creates a file with `content`, releases the handle; returns the inode number. */
  file(c: RequestContext, parent: number, name: string, content: string | Buffer = '', mode = 0o644): number {
    const { entry, open } = this.create(c, parent, name, mode);
    if (content.length > 0) this.write(c, entry.ino, open.fh!, 0, Buffer.from(content));
    this.release(entry.ino, open.fh!);
    return entry.ino;
  }
  open(c: RequestContext, ino: number, flags = O_RDWR): number {
    return sync(this.fs.open!(c, ino, flags, { killSuidgid: false })).fh!;
  }
  release(ino: number, fh: number, lockOwner = 0n, flockUnlock = false): void {
    sync(this.fs.release!(root, ino, fh, { flags: 0, flush: false, flockUnlock, lockOwner }));
  }
  read(c: RequestContext, ino: number, fh: number, offset: number, size: number): Buffer {
    const r = sync(this.fs.read!(c, ino, fh, offset, size, { flags: 0, lockOwner: undefined }));
    return Buffer.isBuffer(r) ? Buffer.from(r) : Buffer.concat(r);
  }
  write(c: RequestContext, ino: number, fh: number, offset: number, data: Buffer | string, info: { writeback?: boolean; killSuidgid?: boolean } = {}): number {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    return sync(this.fs.write!(c, ino, fh, offset, buf, { flags: 0, lockOwner: undefined, writeback: info.writeback ?? false, killSuidgid: info.killSuidgid ?? false }));
  }
  unlink(c: RequestContext, parent: number, name: string): void {
    sync(this.fs.unlink!(c, parent, name));
  }
  rmdir(c: RequestContext, parent: number, name: string): void {
    sync(this.fs.rmdir!(c, parent, name));
  }
  rename(c: RequestContext, parent: number, name: string, newparent: number, newname: string, flags = 0): void {
    sync(this.fs.rename!(c, parent, name, newparent, newname, flags));
  }
  setattr(c: RequestContext, ino: number, changes: SetattrChanges, fh?: number): Attr {
    sync(this.fs.setattr!(c, ino, changes, fh));
    return this.getattr(ino);
  }
  access(c: RequestContext, ino: number, mask: number): void {
    sync(this.fs.access!(c, ino, mask));
  }
  opendir(c: RequestContext, ino: number): number {
    return sync(this.fs.opendir!(c, ino, 0)).fh!;
  }
  forget(ino: number, n: number): void {
    this.fs.forget!(ino, n);
  }
  /** One READDIR call from `offset`, accepting at most `max` entries. */
  readdir(ino: number, offset: number, max = Infinity, fh = 0): Listed[] {
    const sink = plainSink(max);
    sync(this.fs.readdir!(root, ino, fh, offset, sink));
    return sink.items;
  }
  /** One READDIRPLUS call; entries carry what the kernel would be handed. */
  readdirplus(ino: number, offset: number, max = Infinity): { name: string; entry: Entry; off: number }[] {
    const sink = plusSink(max);
    sync(this.fs.readdirplus!(root, ino, 0, offset, sink));
    return sink.items.map(({ name, entry, off }) => ({ name, entry: entry!, off }));
  }
  /** Every name in the directory, resuming READDIR `batch` entries at a time, as getdents would. */
  list(ino: number, batch = 1000): string[] {
    const names: string[] = [];
    let off = 0;
    for (;;) {
      const got = this.readdir(ino, off, batch);
      if (got.length === 0) return names;
      for (const e of got) names.push(e.name);
      off = got[got.length - 1]!.off;
    }
  }
  getlk(ino: number, owner: bigint, lock: Lock): Lock {
    return sync(this.fs.getlk!(root, ino, 0, owner, lock));
  }
  setlk(ino: number, owner: bigint, lock: Lock, c: RequestContext = root): void {
    sync(this.fs.setlk!(c, ino, 0, owner, lock, false));
  }
  setlkw(ino: number, owner: bigint, lock: Lock, c: RequestContext = root): Promise<void> | void {
    return strict(this.fs).setlk!(c, ino, 0, owner, lock, true);
  }
  flock(ino: number, fh: number, op: number, c: RequestContext = root): Promise<void> | void {
    return strict(this.fs).flock!(c, ino, fh, BigInt(fh), op);
  }
  setxattr(c: RequestContext, ino: number, name: string, value: string | Buffer, flags = 0): void {
    sync(this.fs.setxattr!(c, ino, name, typeof value === 'string' ? Buffer.from(value) : value, flags));
  }
  getxattr(c: RequestContext, ino: number, name: string): Buffer {
    return sync(this.fs.getxattr!(c, ino, name));
  }
  listxattr(c: RequestContext, ino: number): string[] {
    return sync(this.fs.listxattr!(c, ino));
  }
  removexattr(c: RequestContext, ino: number, name: string): void {
    sync(this.fs.removexattr!(c, ino, name));
  }
  fallocate(ino: number, mode: number, offset: number, length: number, c: RequestContext = root): void {
    sync(this.fs.fallocate!(c, ino, 0, mode, offset, length));
  }
  lseek(ino: number, offset: number, whence: number): number {
    return sync(this.fs.lseek!(root, ino, 0, offset, whence));
  }
  copy(inoIn: number, offIn: number, inoOut: number, offOut: number, len: number, c: RequestContext = root): number {
    return sync(this.fs.copyFileRange!(c, inoIn, 0, offIn, inoOut, 0, offOut, len, 0));
  }
}

/** The lock of fcntl with `len` 0 ("to EOF") and the like. */
export function lk(type: number, start: number, end: number, pid = 1): Lock {
  return { type, start, end, pid };
}
