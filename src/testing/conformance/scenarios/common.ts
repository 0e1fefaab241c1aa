/**
 * What the scenarios share: the Linux constants they send, and small
 * helpers to name errors, compare timestamps and wait for the clock.
 */
import type { Attr } from '../../../protocol';
import { VfsError } from '../../vfs';

export {
  O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_DIRECT, O_DIRECTORY,
  S_IFMT, S_IFREG, S_IFDIR, S_IFLNK, S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK,
  RENAME_NOREPLACE, RENAME_EXCHANGE, XATTR_CREATE, XATTR_REPLACE,
  FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE, SEEK_DATA, SEEK_HOLE,
  F_RDLCK, F_WRLCK, F_UNLCK, R_OK, W_OK, X_OK,
} from '../../../linux/constants';

/** The errno name of a failure, or the error's text. */
export function code(e: unknown): string {
  return e instanceof VfsError ? e.code : e instanceof Error ? e.message : String(e);
}

/** Errors that say "this filesystem does not do that". */
export const UNSUPPORTED = ['ENOSYS', 'EOPNOTSUPP', 'ENOTSUP'];

export interface Time {
  sec: number;
  nsec: number;
}

export function mtimeOf(a: Attr): Time {
  return { sec: a.mtime, nsec: a.mtimensec };
}

export function ctimeOf(a: Attr): Time {
  return { sec: a.ctime, nsec: a.ctimensec };
}

export function atimeOf(a: Attr): Time {
  return { sec: a.atime, nsec: a.atimensec };
}

/** a < b: -1, a = b: 0, a > b: 1. */
export function cmpTime(a: Time, b: Time): number {
  return a.sec !== b.sec ? Math.sign(a.sec - b.sec) : Math.sign(a.nsec - b.nsec);
}

export function fmtTime(t: Time): string {
  return `${t.sec}.${String(t.nsec).padStart(9, '0')}`;
}

/**
 * Waits long enough for a filesystem clock to move on: kernels stamp files
 * with a coarse clock (one tick is 1 to 10 ms), so a change right after
 * another may carry the same time and "advanced" could not be told apart
 * from "not updated".
 */
export function clockTick(): Promise<void> {
  return new Promise((r) => setTimeout(r, 12));
}

/** A buffer of `n` bytes in a pattern that differs at every offset of a page and between `seed`s. */
export function pattern(n: number, seed = 0): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 17 + (i >> 8)) & 0xff;
  return b;
}

/** First offset where a and b differ, or -1. */
export function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** A short description of a buffer for a report: its length and first bytes. */
export function show(b: Buffer | undefined | null, max = 24): string {
  if (!b) return 'nothing';
  const head = JSON.stringify(b.subarray(0, max).toString('latin1'));
  return `${b.length} bytes ${head}${b.length > max ? '…' : ''}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * The first use of an optional operation: ENOSYS or EOPNOTSUPP skips the
 * scenario with the reason (the runner's capability probe usually has
 * already), anything else is the scenario's business.
 */
export async function firstUse<T>(t: { skip(reason: string): never }, p: Promise<T>, what: string): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (UNSUPPORTED.includes(code(e))) t.skip(`${what} answered ${code(e)}`);
    throw e;
  }
}
