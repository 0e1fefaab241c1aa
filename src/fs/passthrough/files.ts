/**
 * Open files: each OPEN/CREATE opens the source file again (through the
 * /proc path of its O_PATH descriptor, which needs no name) and hands that
 * descriptor to the kernel as `fh`; READ, WRITE, FSYNC, FLUSH, FALLOCATE,
 * LSEEK and COPY_FILE_RANGE go to it with positional calls (pread/pwrite),
 * so the descriptor's own file position never matters and requests on one
 * fh may run concurrently.
 */
import { FuseError } from '../../api/errors';
import type { OpenResult } from '../../api/filesystem';
import type { SplicedData } from '../../api/spliced';
import type { Core } from './core';
import { attempt, then, type MaybePromise } from './io';
import {
  AT_FDCWD, ERRNO, F_DUPFD_CLOEXEC, O_ACCMODE, O_APPEND, O_ASYNC, O_CLOEXEC, O_CREAT, O_DIRECT, O_EXCL, O_NOCTTY, O_NOFOLLOW, O_RDWR,
  O_WRONLY,
} from './libc';
import { killSuidgid as killPrivs } from './privs';

/**
 * Flags the source open must not get: O_CREAT/O_EXCL (handled by create),
 * O_NOFOLLOW (the /proc path is itself a link), O_DIRECT (the kernel already
 * bypasses its cache for such opens; our buffers are not sector-aligned),
 * O_ASYNC (SIGIO is the device channel's signal) and O_NOCTTY.
 */
const STRIP = O_CREAT | O_EXCL | O_NOCTTY | O_NOFOLLOW | O_DIRECT | O_ASYNC;

/** open(2) flags for the source file, from the flags the kernel sent. */
export function openFlags(c: Core, flags: number): number {
  let f = (flags & ~STRIP) | O_CLOEXEC;
  if (c.writeback) {
    // The kernel reads pages of write-only files to fill partial writes, and does O_APPEND itself.
    if ((f & O_ACCMODE) === O_WRONLY) f = (f & ~O_ACCMODE) | O_RDWR;
    f &= ~O_APPEND;
  }
  return f;
}

/**
 * With FUSE passthrough negotiated, the open descriptor also becomes the
 * kernel's backing file: reads and writes then never reach us.
 */
export function openResult(c: Core, fd: number): OpenResult {
  if (c.session?.passthrough) {
    const backingId = c.session.openBacking(fd);
    c.backing.set(fd, backingId);
    return { fh: fd, backingId };
  }
  return c.keepCache ? { fh: fd, keepCache: true } : { fh: fd };
}

/** `killSuidgid`: an O_TRUNC open by a caller without CAP_FSETID (OpenInfo), whose truncation ours does not match. */
export function open(c: Core, ino: number, flags: number, killSuidgid: boolean): MaybePromise<OpenResult> {
  return then(c.io.call(c.L.openat, AT_FDCWD, c.inodes.get(ino).proc, openFlags(c, flags), 0), (fd) =>
    then(killSuidgid ? attempt(() => killPrivs(c.io, c.L, fd), () => c.closeQuietly(fd)) : undefined, () => {
      c.files.add(fd);
      return openResult(c, fd);
    }),
  );
}

export function read(c: Core, fh: number, offset: number, size: number, buffer: (size: number) => Buffer): MaybePromise<Buffer> {
  // The session's reply buffer: recycled once the reply is written (async reads in flight each get their own).
  const b = buffer(size);
  return then(c.io.call(c.L.pread, fh, b, size, offset), (n) => (n === size ? b : b.subarray(0, n)));
}

/** `killSuidgid`: the writer lacked CAP_FSETID (WriteInfo); first, as file_remove_privs() does it first. */
export function write(c: Core, fh: number, offset: number, data: Buffer, killSuidgid: boolean): MaybePromise<number> {
  if (killSuidgid) return then(killPrivs(c.io, c.L, fh), () => c.io.call(c.L.pwrite, fh, data, data.length, offset));
  return c.io.call(c.L.pwrite, fh, data, data.length, offset);
}

/** A WRITE from the channel's pipe: spliced into the file; a file that refuses splice (EINVAL) gets a pwrite. */
export function writeSpliced(c: Core, fh: number, offset: number, data: SplicedData, killSuidgid: boolean): MaybePromise<number> | FuseError {
  // Only in sync mode (index.ts): done when this returns. A failure still empties the pipe (the channel discards it).
  if (killSuidgid) killPrivs(c.io, c.L, fh);
  try {
    return data.spliceTo(fh, offset);
  } catch (e) {
    if (!(e instanceof FuseError)) throw e;
    if (e.errno !== ERRNO.EINVAL) return e;
  }
  const bytes = data.read();
  return c.io.call(c.L.pwrite, fh, bytes, bytes.length, offset);
}

/**
 * FLUSH (each close(2) of a descriptor on the open file): close a duplicate,
 * so that a source filesystem that reports errors at close (NFS) reports
 * them to this close. POSIX locks are the kernel's (see locks.ts), nothing
 * to drop here.
 */
export function flush(c: Core, fh: number): MaybePromise<void> {
  return then(c.io.call(c.L.fcntl, fh, F_DUPFD_CLOEXEC, 0), (dup) => c.run(c.L.close, dup));
}

export function release(c: Core, fh: number): MaybePromise<void> {
  c.files.delete(fh);
  const id = c.backing.get(fh);
  if (id !== undefined) {
    c.backing.delete(fh);
    c.session?.closeBacking(id);
  }
  return c.run(c.L.close, fh);
}

export function fsync(c: Core, fh: number, datasync: boolean): MaybePromise<void> {
  return c.run(datasync ? c.L.fdatasync : c.L.fsync, fh);
}

export function fallocate(c: Core, fh: number, mode: number, offset: number, length: number): MaybePromise<void> {
  return c.run(c.L.fallocate, fh, mode, offset, length);
}

/** LSEEK: the kernel sends only SEEK_DATA and SEEK_HOLE; the answer is the source's. */
export function lseek(c: Core, fh: number, offset: number, whence: number): MaybePromise<number> {
  return c.io.call(c.L.lseek, fh, offset, whence);
}

/** copy_file_range(2) between two open files at explicit offsets (the fds' positions stay untouched). */
export function copyFileRange(c: Core, fhIn: number, offIn: number, fhOut: number, offOut: number, len: number, flags: number): MaybePromise<number> {
  const offs = Buffer.allocUnsafe(16);
  offs.writeBigInt64LE(BigInt(offIn), 0);
  offs.writeBigInt64LE(BigInt(offOut), 8);
  return c.io.call(c.L.copyFileRange, fhIn, offs.subarray(0, 8), fhOut, offs.subarray(8), len, flags);
}
