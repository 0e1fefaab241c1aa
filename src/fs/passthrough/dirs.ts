/**
 * Directories: OPENDIR opens the source directory (O_RDONLY, through the
 * kept O_PATH descriptor) and READDIR streams it with getdents64.
 *
 * Offsets. The offset the kernel gets for each entry is the source's own
 * directory-stream cookie (d_off: what telldir returns), and a READDIR at
 * an offset other than where the stream stands seeks there (lseek, i.e.
 * seekdir). So offsets are exactly as stable as the source filesystem
 * makes them, entries created or removed during a listing behave as on the
 * source (as through glibc's readdir, within one 32 KiB getdents batch the
 * names are as they were when it was read), and memory per handle is that
 * one buffer. A snapshot per opendir would be simpler but costs memory for
 * the whole directory, reads all of it before the first reply, and never
 * sees a change until the next opendir.
 *
 * One wrinkle: cookies are 64-bit and ext4's hashed ones use all 63 bits,
 * while offsets travel as JavaScript numbers (exact below 2^53). Cookies
 * below 2^52 are passed as they are; a larger one is given an alias, 2^52
 * plus its index in a per-handle table of big cookies (deduplicated, so
 * rereading a directory does not grow it). Aliases mean something only on
 * the handle that made them, which is all the kernel asks of them: we never
 * set FOPEN_CACHE_DIR, whose cached offsets outlive the open directory.
 *
 * Entries not yet sent when a reply fills stay in the buffer, and the next
 * READDIR (at the offset of the last entry sent) resumes from them without
 * a syscall. The kernel already serializes READDIR per open directory;
 * the handle serializes again anyway, since its buffer is shared state.
 */
import { decodeName } from '../../protocol';
import { FuseError } from '../../api/errors';
import type { DirentPlusSink, DirentSink, Entry, OpenResult } from '../../api/filesystem';
import type { Core } from './core';
import type { Inode } from './inodes';
import { isPromise, loop, rescue, sysError, then, type MaybePromise } from './io';
import { cPath, ERRNO, O_CLOEXEC, O_DIRECTORY, O_RDONLY, SEEK_SET } from './libc';

const BUF_SIZE = 32 * 1024;
const BIG = 2 ** 52;
const U32 = 0x1_0000_0000;

export class DirHandle {
  private buf: Buffer | null = null;
  private len = 0;
  private pos = 0;
  /** The offset the stream stands at: the cookie of the last entry consumed (0 at the start). */
  private at = 0;
  /** Big cookies as [hi, lo] pairs, aliased BIG + index. */
  private readonly big: number[] = [];
  private readonly bigIndex = new Map<string, number>();
  private tail: Promise<void> | null = null;
  /** Buffer position up to which names were handed to ahead() (readdirplus prefetch); never behind `pos` when used. */
  private aheadPos = 0;

  constructor(
    readonly fd: number,
    readonly inode: Inode,
  ) {}

  /**
   * Emits entries from `offset` until `emit` answers false (the entry is
   * then left for the next call) or the directory ends.
   */
  read(c: Core, offset: number, emit: (name: string, ino: number, type: number, off: number) => MaybePromise<boolean>): MaybePromise<void> {
    const run = (): MaybePromise<void> => then(this.seek(c, offset), () => loop(() => this.step(c, emit)));
    if (this.tail === null) {
      const r = run();
      if (isPromise(r)) this.hold(r);
      return r;
    }
    const r = this.tail.then(run, run);
    this.hold(r);
    return r;
  }

  private hold(p: Promise<void>): void {
    const t: Promise<void> = p.then(
      () => this.release(t),
      () => this.release(t),
    );
    this.tail = t;
  }

  private release(t: Promise<void>): void {
    if (this.tail === t) this.tail = null;
  }

  private seek(c: Core, offset: number): MaybePromise<void> {
    if (offset === this.at && (this.buf !== null || offset === 0)) return undefined;
    let cookie: number | bigint = offset;
    if (offset >= BIG) {
      const k = offset - BIG;
      // An offset we never handed out (a program's lseek on the directory): refuse it as lseek would.
      if (!Number.isInteger(k) || 2 * k >= this.big.length) throw sysError(ERRNO.EINVAL);
      cookie = BigInt.asIntN(64, (BigInt(this.big[2 * k]!) << 32n) | BigInt(this.big[2 * k + 1]!));
    }
    this.len = this.pos = this.aheadPos = 0;
    this.at = -1; // unknown until the seek is done
    return then(c.run(c.L.lseek, this.fd, cookie, SEEK_SET), () => {
      this.at = offset;
    });
  }

  private step(c: Core, emit: (name: string, ino: number, type: number, off: number) => MaybePromise<boolean>): MaybePromise<boolean> {
    if (this.pos >= this.len) {
      const b = (this.buf ??= Buffer.allocUnsafe(BUF_SIZE));
      return then(c.io.call(c.L.getdents64, this.fd, b, BUF_SIZE), (n) => {
        this.len = n;
        this.pos = this.aheadPos = 0;
        return n > 0; // 0: end of directory
      });
    }
    // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
    const b = this.buf!;
    const p = this.pos;
    const reclen = b.readUInt16LE(p + 16);
    const name = nameAt(b, p, reclen);
    const ino = b.readUInt32LE(p + 4) * U32 + b.readUInt32LE(p);
    const off = this.offset(b.readUInt32LE(p + 12), b.readUInt32LE(p + 8));
    const consume = (ok: boolean): boolean => {
      if (!ok) return false;
      this.pos = p + reclen;
      this.at = off;
      return true;
    };
    const r = emit(name, ino, b[p + 18]! << 12, off);
    return isPromise(r) ? r.then(consume) : consume(r);
  }

  /**
   * Hands `f` the names of up to `n` buffered records beyond those already
   * handed out (and not yet consumed), so that their lookups can start
   * before the entries are emitted.
   */
  ahead(n: number, f: (name: string) => void): void {
    const b = this.buf;
    if (b === null) return;
    if (this.aheadPos < this.pos) this.aheadPos = this.pos;
    for (; n > 0 && this.aheadPos < this.len; n--) {
      const p = this.aheadPos;
      const reclen = b.readUInt16LE(p + 16);
      f(nameAt(b, p, reclen));
      this.aheadPos = p + reclen;
    }
  }

  /** The offset handed to the kernel for a d_off cookie (see the file comment). */
  private offset(hi: number, lo: number): number {
    if (hi < BIG / U32) return hi * U32 + lo;
    const key = `${hi}:${lo}`;
    let k = this.bigIndex.get(key);
    if (k === undefined) {
      k = this.big.length / 2;
      this.big.push(hi, lo);
      this.bigIndex.set(key, k);
    }
    return BIG + k;
  }
}

/** d_name of the record at `p`: NUL-terminated within its d_reclen. */
function nameAt(b: Buffer, p: number, reclen: number): string {
  let end = b.indexOf(0, p + 19);
  if (end < 0 || end > p + reclen) end = p + reclen;
  return decodeName(b, p + 19, end);
}

export function opendir(c: Core, ino: number): MaybePromise<OpenResult> {
  const i = c.inodes.get(ino);
  return then(c.io.call(c.L.openat, i.fd, '.', O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0), (fd) => {
    c.dirs.set(fd, new DirHandle(fd, i));
    return { fh: fd };
  });
}

function handle(c: Core, fh: number): DirHandle {
  const h = c.dirs.get(fh);
  if (!h) throw sysError(ERRNO.EBADF);
  return h;
}

export function readdir(c: Core, fh: number, offset: number, out: DirentSink): MaybePromise<void> {
  return handle(c, fh).read(c, offset, (name, ino, type, off) => out.add(name, ino, type, off));
}

/** Lookups readdirplus keeps in flight ahead of the entry being added (async mode). */
const PREFETCH = 16;

/**
 * READDIRPLUS: each entry but "." and ".." is looked up (counted as a
 * lookup, as the kernel counts it); an entry that no longer fits is given
 * back at once. An entry that vanished between getdents and the lookup is
 * skipped; another failure ends the reply early, or fails it if nothing
 * was added (the entry stays for the next call).
 *
 * In async mode a lookup is two thread-pool hops, so the lookups
 * of the next PREFETCH buffered entries run concurrently instead of one
 * after the other; those the reply has no room for are given back when
 * they complete. (In sync mode a lookup is done when it returns: nothing
 * to overlap, so nothing is looked up ahead.)
 */
export function readdirplus(c: Core, fh: number, offset: number, out: DirentPlusSink): MaybePromise<void> {
  const h = handle(c, fh);
  let added = 0;
  let failure: unknown = null;
  const pending = new Map<string, MaybePromise<Entry | null>>();
  const look = (name: string, dIno?: number): MaybePromise<Entry | null> =>
    rescue<Entry | null>(() => then(c.lookup(h.inode, cPath(name), dIno), vanishedAsNull), ERRNO.ENOENT, () => null);
  const start = (name: string): void => {
    if (name === '.' || name === '..' || pending.has(name)) return;
    let p: MaybePromise<Entry | null>;
    try {
      p = look(name);
    } catch (err) {
      p = Promise.reject(err);
    }
    if (isPromise(p)) p.catch(noop); // its failure is reported when (if) the entry is reached
    pending.set(name, p);
  };
  const r = h.read(c, offset, (name, ino, type, off) => {
    if (name === '.' || name === '..') {
      // The kernel takes no reference and ignores the attributes of these.
      const ok = out.add(name, { ino: 0, attr: { ino, mode: type } }, off);
      if (ok) added++;
      return ok;
    }
    if (c.io.mode === 'async') h.ahead(PREFETCH - pending.size, start);
    const add = (entry: Entry | null): boolean => {
      if (entry === null) return true; // vanished: skip it
      if (!out.add(name, entry, off)) {
        c.inodes.forget(entry.ino, 1);
        return false;
      }
      added++;
      return true;
    };
    const fail = (err: unknown): boolean => {
      failure = err;
      return false;
    };
    let e = pending.get(name);
    if (e !== undefined) pending.delete(name);
    else {
      try {
        e = look(name, ino);
      } catch (err) {
        return fail(err);
      }
    }
    return isPromise(e) ? e.then(add, fail) : add(e);
  });
  // Lookups started ahead and never added: the kernel will not hold them.
  const giveBack = (): void => {
    for (const p of pending.values()) {
      if (isPromise(p)) p.then((e) => e && c.inodes.forget(e.ino, 1), noop);
      else if (p) c.inodes.forget(p.ino, 1);
    }
    pending.clear();
  };
  const finish = (): void => {
    giveBack();
    if (failure !== null && added === 0) throw failure;
  };
  if (!isPromise(r)) return finish();
  return r.then(finish, (err: unknown) => {
    giveBack();
    throw err;
  });
}

const noop = (): void => undefined;

/** A readdirplus entry whose lookup answered ENOENT vanished in between: skipped. Other errors fail as thrown. */
function vanishedAsNull(e: Entry | FuseError): Entry | null {
  if (!(e instanceof FuseError)) return e;
  if (e.errno === ERRNO.ENOENT) return null;
  throw e;
}

export function releasedir(c: Core, fh: number): MaybePromise<void> {
  c.dirs.delete(fh);
  return c.run(c.L.close, fh);
}

export function fsyncdir(c: Core, fh: number, datasync: boolean): MaybePromise<void> {
  return c.run(datasync ? c.L.fdatasync : c.L.fsync, fh);
}
