/**
 * Reply encoders: one per reply kind (op.ts), each returning the bytes to
 * write to the device, fuse_out_header included. Fixed-size replies are one
 * Buffer; replies that carry data the filesystem produced (READ, READLINK,
 * GETXATTR, IOCTL output, dirents) are an iovec list of header + the
 * caller's buffers, so that data is never copied into a joined buffer.
 */
import { CompatSize, IoctlFlags, OFFSET_MAX } from './constants';
import { OUT_HEADER_SIZE, writeOutHeader } from './header';
import type { Struct } from './layout';
import { encodeName } from './names';
import {
  AttrOut, BmapOut, CopyFileRangeOut, CuseInitOut, EntryOut, FileLock, GetxattrOut, InitOut, IoctlIovec, IoctlOut,
  LkOut, LseekOut, OpenOut, PollOut, StatfsOut, StatxOut, WriteOut,
  type Kstatfs,
} from './structs';

export type ReplyBytes = Buffer | Buffer[];

/** Header + one fixed struct in a single allocation. */
function fixed<T>(unique: number, s: Struct<T>, value: T, size: number = s.size): Buffer {
  const b = Buffer.allocUnsafe(OUT_HEADER_SIZE + s.size);
  writeOutHeader(b, OUT_HEADER_SIZE + size, 0, unique);
  s.write(b, OUT_HEADER_SIZE, value);
  return size === s.size ? b : b.subarray(0, OUT_HEADER_SIZE + size);
}

/** An error reply; `errno` is positive (ENOENT = 2), the wire carries it negated. */
export function replyError(unique: number, errno: number): Buffer {
  const b = Buffer.allocUnsafe(OUT_HEADER_SIZE);
  writeOutHeader(b, OUT_HEADER_SIZE, -errno, unique);
  return b;
}

/** Success with no body. */
export function replyEmpty(unique: number): Buffer {
  return replyError(unique, 0);
}

export function replyEntry(unique: number, entry: EntryOut, minor: number = 45): Buffer {
  return fixed(unique, EntryOut, entry, minor < 9 ? CompatSize.ENTRY_OUT : EntryOut.size);
}

export function replyAttr(unique: number, attr: AttrOut, minor: number = 45): Buffer {
  return fixed(unique, AttrOut, attr, minor < 9 ? CompatSize.ATTR_OUT : AttrOut.size);
}

export function replyOpen(unique: number, open: OpenOut): Buffer {
  return fixed(unique, OpenOut, open);
}

/** CREATE and TMPFILE: fuse_entry_out then fuse_open_out. */
export function replyCreate(unique: number, entry: EntryOut, open: OpenOut): Buffer {
  const size = EntryOut.size + OpenOut.size;
  const b = Buffer.allocUnsafe(OUT_HEADER_SIZE + size);
  writeOutHeader(b, OUT_HEADER_SIZE + size, 0, unique);
  EntryOut.write(b, OUT_HEADER_SIZE, entry);
  OpenOut.write(b, OUT_HEADER_SIZE + EntryOut.size, open);
  return b;
}

/** READ, READLINK, GETXATTR/LISTXATTR with a size, READDIR(PLUS) records: header + the data, uncopied. */
export function replyData(unique: number, data: Buffer | readonly Buffer[]): Buffer[] {
  const parts = Buffer.isBuffer(data) ? [data] : data;
  let len = OUT_HEADER_SIZE;
  for (const p of parts) len += p.length;
  const h = Buffer.allocUnsafe(OUT_HEADER_SIZE);
  writeOutHeader(h, len, 0, unique);
  return [h, ...parts];
}

/** READLINK: the target without a NUL, names encoded as names.ts does. */
export function replyReadlink(unique: number, target: string): Buffer[] {
  return replyData(unique, encodeName(target));
}

export function replyWrite(unique: number, size: number): Buffer {
  return fixed(unique, WriteOut, { size });
}

export function replyStatfs(unique: number, st: Kstatfs, minor: number = 45): Buffer {
  return fixed(unique, StatfsOut, { st }, minor < 4 ? CompatSize.STATFS : StatfsOut.size);
}

/** GETXATTR/LISTXATTR asked with size 0: how big the value or list is. */
export function replyXattrSize(unique: number, size: number): Buffer {
  return fixed(unique, GetxattrOut, { size });
}

/** Writes a loff_t that may be OFFSET_MAX: the double 2^63 stands for 2^63-1. */
function clampOffsets(b: Buffer, at: number, lk: FileLock): void {
  for (const [field, v] of [['start', lk.start], ['end', lk.end]] as const) {
    if (v >= OFFSET_MAX) {
      const o = at + FileLock.offsetOf(field);
      b.writeUInt32LE(0xffffffff, o);
      b.writeUInt32LE(0x7fffffff, o + 4);
    }
  }
}

export function replyLk(unique: number, lk: FileLock): Buffer {
  const b = fixed(unique, LkOut, { lk });
  clampOffsets(b, OUT_HEADER_SIZE, lk);
  return b;
}

/** The size of fuse_init_out a kernel of this minor reads. */
export function initOutSize(minor: number): number {
  if (minor < 5) return CompatSize.INIT_OUT;
  if (minor < 23) return CompatSize.INIT_OUT_22;
  return InitOut.size;
}

/**
 * `out.minor` is the server's own minor; the size follows the kernel's
 * (`kernelMinor`, from its INIT), because an older kernel rejects a reply
 * longer than the fuse_init_out it knows.
 */
export function replyInit(unique: number, out: InitOut, kernelMinor: number): Buffer {
  return fixed(unique, InitOut, out, initOutSize(Math.min(kernelMinor, out.minor)));
}

export function replyBmap(unique: number, block: number): Buffer {
  return fixed(unique, BmapOut, { block });
}

/** An ioctl that completed: its return value and the output bytes (at most the request's out_size). */
export function replyIoctl(unique: number, result: number, out: Buffer | null = null): Buffer[] {
  const head = Buffer.allocUnsafe(OUT_HEADER_SIZE + IoctlOut.size);
  const len = head.length + (out ? out.length : 0);
  writeOutHeader(head, len, 0, unique);
  IoctlOut.write(head, OUT_HEADER_SIZE, { result, flags: 0, in_iovs: 0, out_iovs: 0 });
  return out && out.length > 0 ? [head, out] : [head];
}

export interface IoctlIovecSpec {
  /** Address in the caller's memory (as the kernel gave it, or derived from it). */
  base: bigint;
  len: number;
}

/**
 * An unrestricted ioctl that needs more of the caller's memory: FUSE_IOCTL_RETRY
 * with the iovecs the kernel should copy in and out before resending.
 */
export function replyIoctlRetry(unique: number, inIovs: readonly IoctlIovecSpec[], outIovs: readonly IoctlIovecSpec[]): Buffer {
  const size = IoctlOut.size + IoctlIovec.size * (inIovs.length + outIovs.length);
  const b = Buffer.allocUnsafe(OUT_HEADER_SIZE + size);
  writeOutHeader(b, OUT_HEADER_SIZE + size, 0, unique);
  IoctlOut.write(b, OUT_HEADER_SIZE, { result: 0, flags: IoctlFlags.RETRY, in_iovs: inIovs.length, out_iovs: outIovs.length });
  let pos = OUT_HEADER_SIZE + IoctlOut.size;
  for (const v of [...inIovs, ...outIovs]) {
    IoctlIovec.write(b, pos, v);
    pos += IoctlIovec.size;
  }
  return b;
}

export function replyPoll(unique: number, revents: number): Buffer {
  return fixed(unique, PollOut, { revents });
}

export function replyLseek(unique: number, offset: number): Buffer {
  return fixed(unique, LseekOut, { offset });
}

export function replyStatx(unique: number, out: StatxOut): Buffer {
  return fixed(unique, StatxOut, out);
}

/** COPY_FILE_RANGE_64. (COPY_FILE_RANGE answers with replyWrite.) */
export function replyCopy(unique: number, bytesCopied: number): Buffer {
  return fixed(unique, CopyFileRangeOut, { bytes_copied: bytesCopied });
}

/**
 * CUSE_INIT: cuse_init_out then "KEY=VALUE\0" strings (DEVNAME is
 * mandatory). Throws if the strings exceed CUSE_INIT_INFO_MAX; cuse.ts
 * validates before calling.
 */
export function replyCuseInit(unique: number, out: CuseInitOut, info: Buffer): Buffer[] {
  const head = Buffer.allocUnsafe(OUT_HEADER_SIZE + CuseInitOut.size);
  writeOutHeader(head, head.length + info.length, 0, unique);
  CuseInitOut.write(head, OUT_HEADER_SIZE, out);
  return [head, info];
}
