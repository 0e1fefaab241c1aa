/**
 * PathStat (fs.Stats, fs.BigIntStats or a plain object) → the kernel's
 * fuse_attr. Defaults are what a person writing `{ mode, size }` means:
 * one link, blocks from the size, 4 KiB blocks, times at the epoch.
 */
import type { AttrInput } from '../api/filesystem';
import type { PathStat } from './types';

export function num(v: number | bigint | undefined, dflt: number): number {
  return v === undefined ? dflt : typeof v === 'number' ? v : Number(v);
}

/** The nanoseconds of the last time converted (avoids an array per time). */
let nsecOut = 0;

function fromMs(ms: number): number {
  const sec = Math.floor(ms / 1000);
  nsecOut = Math.min(999_999_999, Math.round((ms - sec * 1000) * 1e6));
  return sec;
}

function fromNs(ns: bigint): number {
  let sec = ns / 1_000_000_000n;
  let rem = ns % 1_000_000_000n;
  if (rem < 0n) {
    rem += 1_000_000_000n;
    sec -= 1n;
  }
  nsecOut = Number(rem);
  return Number(sec);
}

/**
 * Seconds of a time given any way a PathStat may give it; its nanoseconds
 * land in nsecOut. The Date form is read last: fs.Stats makes its Dates
 * lazily, and reading one costs more than the whole conversion.
 */
function seconds(ns: bigint | undefined, ms: number | bigint | undefined, st: PathStat, key: 'atime' | 'mtime' | 'ctime'): number {
  if (typeof ns === 'bigint') return fromNs(ns);
  if (typeof ms === 'number') return fromMs(ms);
  if (typeof ms === 'bigint') return fromNs(ms * 1_000_000n);
  const t = st[key];
  if (t === undefined || t === null) {
    nsecOut = 0;
    return 0;
  }
  if (typeof t === 'number') return fromMs(t);
  if (t instanceof Date) return fromMs(t.getTime());
  nsecOut = t.nsec;
  return t.sec;
}

export interface AttrOverrides {
  uid: number | undefined;
  gid: number | undefined;
  umask: number | undefined;
}

/** Whether `st` is a fuse_attr (times in seconds, nanoseconds apart) rather than a Node-style stat. */
function isAttr(st: PathStat): st is AttrInput {
  const a = st as AttrInput;
  return typeof a.atimensec === 'number' || typeof a.mtimensec === 'number' || typeof a.ctimensec === 'number';
}

/** fuse_attr of `st`, with `ino` as the inode number the kernel shows. */
export function toAttr(st: PathStat, ino: number, o: AttrOverrides): AttrInput {
  if (typeof st !== 'object' || st === null) return { mode: NaN };
  if (isAttr(st)) {
    // Field by field, not a spread: one object shape for every reply.
    return {
      ino, size: st.size ?? 0, blocks: st.blocks ?? 0,
      atime: st.atime ?? 0, mtime: st.mtime ?? 0, ctime: st.ctime ?? 0, atimensec: st.atimensec ?? 0, mtimensec: st.mtimensec ?? 0, ctimensec: st.ctimensec ?? 0,
      mode: o.umask === undefined ? st.mode : st.mode & ~(o.umask & 0o777),
      nlink: st.nlink ?? 1, uid: o.uid ?? st.uid ?? 0, gid: o.gid ?? st.gid ?? 0, rdev: st.rdev ?? 0, blksize: st.blksize ?? 4096,
    };
  }
  let mode = num(st.mode, 0);
  if (o.umask !== undefined) mode &= ~(o.umask & 0o777);
  const size = num(st.size, 0);
  const atime = seconds(st.atimeNs, st.atimeMs, st, 'atime');
  const atimensec = nsecOut;
  const mtime = seconds(st.mtimeNs, st.mtimeMs, st, 'mtime');
  const mtimensec = nsecOut;
  const ctime = seconds(st.ctimeNs, st.ctimeMs, st, 'ctime');
  const ctimensec = nsecOut;
  return {
    ino,
    size,
    blocks: st.blocks === undefined ? Math.ceil(size / 512) : num(st.blocks, 0),
    atime, mtime, ctime, atimensec, mtimensec, ctimensec,
    mode,
    nlink: num(st.nlink, 1),
    uid: o.uid ?? num(st.uid, 0),
    gid: o.gid ?? num(st.gid, 0),
    rdev: num(st.rdev, 0),
    blksize: st.blksize === undefined || st.blksize === 0 ? 4096 : num(st.blksize, 4096),
  };
}

/** mtime in ns-ish units and size, for auto_cache's "did it change" (exact equality is all that matters). */
export function mtimeKey(a: AttrInput): number {
  return (a.mtime ?? 0) * 1e9 + (a.mtimensec ?? 0);
}
