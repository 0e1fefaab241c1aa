/** Helpers a filesystem uses to build the attributes it answers with. */
import type { BigIntStats, Stats } from 'node:fs';
import type { Attr } from '../protocol/structs';

/** Node's fs.Stats or BigIntStats (with nanosecond times) → fuse_attr. */
export function attrFromStats(st: Stats | BigIntStats): Attr {
  if (typeof st.ino === 'bigint') {
    const b = st as BigIntStats;
    const t = (ns: bigint): [number, number] => [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
    const [atime, atimensec] = t(b.atimeNs);
    const [mtime, mtimensec] = t(b.mtimeNs);
    const [ctime, ctimensec] = t(b.ctimeNs);
    return {
      ino: Number(b.ino), size: Number(b.size), blocks: Number(b.blocks), atime, mtime, ctime, atimensec, mtimensec, ctimensec,
      mode: Number(b.mode), nlink: Number(b.nlink), uid: Number(b.uid), gid: Number(b.gid), rdev: Number(b.rdev),
      blksize: Number(b.blksize), flags: 0,
    };
  }
  const s = st as Stats;
  const t = (ms: number): [number, number] => {
    const sec = Math.floor(ms / 1000);
    return [sec, Math.min(999_999_999, Math.round((ms - sec * 1000) * 1e6))];
  };
  const [atime, atimensec] = t(s.atimeMs);
  const [mtime, mtimensec] = t(s.mtimeMs);
  const [ctime, ctimensec] = t(s.ctimeMs);
  return {
    ino: s.ino, size: s.size, blocks: s.blocks, atime, mtime, ctime, atimensec, mtimensec, ctimensec,
    mode: s.mode, nlink: s.nlink, uid: s.uid, gid: s.gid, rdev: s.rdev, blksize: s.blksize, flags: 0,
  };
}
