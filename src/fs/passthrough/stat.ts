/**
 * struct statx and struct statfs, read straight out of the buffer libc
 * filled, into the kernel's fuse_attr / fuse_kstatfs fields: no fs.Stats,
 * no BigInts, nanoseconds exact.
 */
import type { Attr } from '../../protocol';
import type { StatfsResult } from '../../api/filesystem';

/** sizeof(struct statx) */
export const STATX_SIZE = 256;
/** sizeof(struct statfs64) on 64-bit Linux */
export const STATFS_SIZE = 120;

/**
 * What identifies a file: (st_dev, st_ino). A number (the inode number) for
 * the source root's device, the common case that costs no allocation; a
 * string "dev:ino" otherwise, or when the inode number does not fit a double.
 */
export type Key = number | string;

/** fuse_attr, plus the identity of the file it describes. */
export type Stat = Attr & { key: Key };

const U32 = 0x1_0000_0000;

function u64(b: Buffer, off: number): number {
  return b.readUInt32LE(off + 4) * U32 + b.readUInt32LE(off);
}

function i64(b: Buffer, off: number): number {
  return b.readInt32LE(off + 4) * U32 + b.readUInt32LE(off);
}

/** The kernel's new_encode_dev: what FUSE carries in a 32-bit rdev. */
export function encodeDev(major: number, minor: number): number {
  return ((minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12)) >>> 0;
}

/** The device of a statx buffer, as one number (major, minor). */
export function statxDev(b: Buffer): number {
  return b.readUInt32LE(136) * 0x10_0000 + b.readUInt32LE(140);
}

/** Decodes a struct statx; `rootDev` is statxDev of the source root. */
export function readStatx(b: Buffer, rootDev: number): Stat {
  const inoHi = b.readUInt32LE(36);
  const inoLo = b.readUInt32LE(32);
  const ino = inoHi * U32 + inoLo;
  const dev = statxDev(b);
  // Inode numbers past 2^53 are rare (overlayfs xino) but must not collide when rounded.
  const key: Key = dev === rootDev && inoHi < 0x20_0000 ? ino : `${dev}:${inoHi}:${inoLo}`;
  return {
    key,
    ino,
    size: u64(b, 40),
    blocks: u64(b, 48),
    atime: i64(b, 64),
    atimensec: b.readUInt32LE(72),
    ctime: i64(b, 96),
    ctimensec: b.readUInt32LE(104),
    mtime: i64(b, 112),
    mtimensec: b.readUInt32LE(120),
    mode: b.readUInt16LE(28),
    nlink: b.readUInt32LE(16),
    uid: b.readUInt32LE(20),
    gid: b.readUInt32LE(24),
    rdev: encodeDev(b.readUInt32LE(128), b.readUInt32LE(132)),
    blksize: b.readUInt32LE(4),
    flags: 0,
  };
}

/** Decodes a struct statfs64 (64-bit layout: every field a word). */
export function readStatfs(b: Buffer): StatfsResult {
  return {
    bsize: Math.min(u64(b, 8), 0xffffffff),
    blocks: u64(b, 16),
    bfree: u64(b, 24),
    bavail: u64(b, 32),
    files: u64(b, 40),
    ffree: u64(b, 48),
    namelen: Math.min(u64(b, 64), 0xffffffff),
    frsize: Math.min(u64(b, 72), 0xffffffff),
  };
}
