/**
 * PathStat (fs.Stats, fs.BigIntStats or a plain object) → the kernel's
 * fuse_attr. Defaults are what a person writing `{ mode, size }` means:
 * one link, blocks from the size, 4 KiB blocks, times at the epoch.
 */
import type { AttrInput } from '../api/filesystem';
import type { PathStat, TimeInput } from './types';

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

/** Seconds of a time given any way a PathStat may give it; its nanoseconds land in nsecOut. */
function seconds(ns: bigint | undefined, ms: number | undefined, t: TimeInput | undefined): number {
  if (typeof ns === 'bigint') return fromNs(ns);
  if (typeof ms === 'number') return fromMs(ms);
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

/** fuse_attr of `st`, with `ino` as the inode number the kernel shows. */
export function toAttr(st: PathStat, ino: number, o: AttrOverrides): AttrInput {
  if (typeof st !== 'object' || st === null) return { mode: NaN };
  let mode = num(st.mode, 0);
  if (o.umask !== undefined) mode &= ~(o.umask & 0o777);
  const size = num(st.size, 0);
  const atime = seconds(st.atimeNs, st.atimeMs, st.atime);
  const atimensec = nsecOut;
  const mtime = seconds(st.mtimeNs, st.mtimeMs, st.mtime);
  const mtimensec = nsecOut;
  const ctime = seconds(st.ctimeNs, st.ctimeMs, st.ctime);
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
