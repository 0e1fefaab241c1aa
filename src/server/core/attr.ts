/**
 * From what a filesystem returns to the kernel's structs, checked on the way:
 * a value the protocol cannot carry (negative size, a mode without a file
 * type, a fractional inode number) becomes an InvalidReplyError naming the
 * field, which the session logs and answers EIO, rather than bytes the
 * kernel would misread.
 */
// From the defining modules, not '../protocol': see the note in session.ts.
import { InvalidReplyError } from '../../protocol/errors';
import { type Attr, type AttrOut, type EntryOut } from '../../protocol/structs';
import type { AttrInput, AttrReplyInput, Entry, OpenResult } from '../../api/filesystem';
import { FopenFlags } from '../../protocol/constants';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from '../../linux/constants';

export { S_IFMT } from '../../linux/constants';
const VALID_TYPES = new Set([S_IFSOCK, S_IFLNK, S_IFREG, S_IFBLK, S_IFDIR, S_IFCHR, S_IFIFO]);
const U32_MAX = 0xffffffff;

function u64(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new InvalidReplyError(`attribute ${field} = ${String(v)} is not a non-negative integer`);
  return v;
}

function u32(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > U32_MAX) throw new InvalidReplyError(`attribute ${field} = ${String(v)} is not a 32-bit unsigned integer`);
  return v;
}

function i64(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new InvalidReplyError(`attribute ${field} = ${String(v)} is not an integer`);
  return v;
}

function nsec(v: unknown, field: string): number {
  const n = u32(v, field);
  if (n > 999_999_999) throw new InvalidReplyError(`attribute ${field} = ${n} is not below 1e9`);
  return n;
}

/** Fills defaults and checks every field of a filesystem's attributes. */
export function toAttr(a: AttrInput, ino: number): Attr {
  if (typeof a !== 'object' || a === null) throw new InvalidReplyError(`attributes are ${String(a)}, not an object`);
  const mode = u32(a.mode, 'mode');
  if (!VALID_TYPES.has(mode & S_IFMT)) throw new InvalidReplyError(`attribute mode 0${mode.toString(8)} has no valid file type (S_IFMT bits)`);
  return {
    ino: a.ino === undefined ? ino : u64(a.ino, 'ino'),
    size: a.size === undefined ? 0 : u64(a.size, 'size'),
    blocks: a.blocks === undefined ? 0 : u64(a.blocks, 'blocks'),
    atime: a.atime === undefined ? 0 : i64(a.atime, 'atime'),
    mtime: a.mtime === undefined ? 0 : i64(a.mtime, 'mtime'),
    ctime: a.ctime === undefined ? 0 : i64(a.ctime, 'ctime'),
    atimensec: a.atimensec === undefined ? 0 : nsec(a.atimensec, 'atimensec'),
    mtimensec: a.mtimensec === undefined ? 0 : nsec(a.mtimensec, 'mtimensec'),
    ctimensec: a.ctimensec === undefined ? 0 : nsec(a.ctimensec, 'ctimensec'),
    mode,
    nlink: a.nlink === undefined ? 1 : u32(a.nlink, 'nlink'),
    uid: a.uid === undefined ? 0 : u32(a.uid, 'uid'),
    gid: a.gid === undefined ? 0 : u32(a.gid, 'gid'),
    rdev: a.rdev === undefined ? 0 : u32(a.rdev, 'rdev'),
    blksize: a.blksize === undefined ? 4096 : u32(a.blksize, 'blksize'),
    flags: a.flags === undefined ? 0 : u32(a.flags, 'flags'),
  };
}

/** Seconds (a float, as options and Entry give them) → the kernel's sec + nsec. */
export function splitTimeout(seconds: number, field: string): [number, number] {
  if (typeof seconds !== 'number' || !(seconds >= 0) || !Number.isFinite(seconds)) throw new InvalidReplyError(`${field} = ${String(seconds)} is not a finite number of seconds ≥ 0`);
  const sec = Math.floor(seconds);
  return [sec, Math.min(999_999_999, Math.round((seconds - sec) * 1e9))];
}

export interface Timeouts {
  entry: number;
  attr: number;
  /** For entries with ino 0 (negative entries). */
  negative: number;
}

export function toEntryOut(e: Entry, t: Timeouts): EntryOut {
  if (typeof e !== 'object' || e === null) throw new InvalidReplyError(`entry is ${String(e)}, not an object`);
  const nodeid = u64(e.ino, 'entry ino');
  const [entry_valid, entry_valid_nsec] = splitTimeout(e.entryTimeout ?? (nodeid === 0 ? t.negative : t.entry), 'entryTimeout');
  const [attr_valid, attr_valid_nsec] = splitTimeout(e.attrTimeout ?? t.attr, 'attrTimeout');
  return {
    nodeid,
    generation: e.generation === undefined ? 0 : u64(e.generation, 'generation'),
    entry_valid,
    attr_valid,
    entry_valid_nsec,
    attr_valid_nsec,
    attr: nodeid === 0 && e.attr === undefined ? toAttr({ mode: S_IFREG }, 0) : toAttr(e.attr, nodeid),
  };
}

export function toAttrOut(r: AttrReplyInput, ino: number, t: Timeouts): AttrOut {
  const wrapped = typeof r === 'object' && r !== null && 'attr' in r && typeof r.attr === 'object';
  const attr = wrapped ? (r as { attr: AttrInput }).attr : (r as AttrInput);
  const timeout = wrapped ? (r as { attrTimeout?: number }).attrTimeout : undefined;
  const [attr_valid, attr_valid_nsec] = splitTimeout(timeout ?? t.attr, 'attrTimeout');
  return { attr_valid, attr_valid_nsec, attr: toAttr(attr, ino) };
}

/** FOPEN_* bits of an open result; `forceDirectIo` is the -o direct_io mount option. */
export function openFlags(o: OpenResult | undefined, forceDirectIo: boolean): number {
  let f = forceDirectIo ? FopenFlags.DIRECT_IO : 0;
  if (!o) return f;
  if (o.directIo) f |= FopenFlags.DIRECT_IO;
  if (o.keepCache) f |= FopenFlags.KEEP_CACHE;
  if (o.nonseekable) f |= FopenFlags.NONSEEKABLE;
  if (o.cacheDir) f |= FopenFlags.CACHE_DIR;
  if (o.stream) f |= FopenFlags.STREAM;
  if (o.noflush) f |= FopenFlags.NOFLUSH;
  if (o.parallelDirectWrites) f |= FopenFlags.PARALLEL_DIRECT_WRITES;
  if (o.backingId !== undefined) f |= FopenFlags.PASSTHROUGH;
  return f;
}
