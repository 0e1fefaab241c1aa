/**
 * The device channel's syscalls, on the bindings of src/linux/libc.ts, and
 * SYSTEM_IO, the DeviceIo a DeviceChannel uses unless a test gives it a fake.
 * Unlike the wrappers of src/linux/sys.ts these never throw: they return -1
 * and the caller asks errno(), because EAGAIN ends every batch of reads (and
 * O_ASYNC is toggled around bursts), and an exception each time would cost
 * more than the syscall itself.
 */
import fs from 'node:fs';
import { FUSE_DEV_IOC_CLONE, F_GETFL, F_SETFL, F_SETOWN, F_SETPIPE_SZ, O_ASYNC, O_CLOEXEC } from '../../linux/constants';
import { libc, type Libc } from '../../linux/libc';
import { fcntl, ioctlBuffer } from '../../linux/sys';

import { errno } from '../../linux/libc';
import { Errno } from '../../protocol/errno';

export { errno };

let hot: Libc | null = null;

function calls(): Libc {
  return (hot ??= libc());
}

/** read(2) into buf; the byte count, or -1 with errno() set. */
export function deviceRead(fd: number, buf: Buffer): number {
  return calls().read(fd, buf, buf.length);
}

/** write(2) of buf[0, size); the byte count, or -1 with errno() set. */
export function deviceWrite(fd: number, buf: Buffer, size: number): number {
  return calls().write(fd, buf, size);
}

/**
 * A new fd on the same FUSE connection as `fd` (FUSE_DEV_IOC_CLONE),
 * nonblocking. The kernel answers a reply only on the fd its request was
 * read from, so each reader keeps its own; requests go to whichever reads first.
 */
export function cloneDevice(fd: number): number {
  const clone = fs.openSync('/dev/fuse', fs.constants.O_RDWR | fs.constants.O_NONBLOCK | O_CLOEXEC);
  try {
    const arg = Buffer.alloc(4);
    arg.writeUInt32LE(fd);
    ioctlBuffer(clone, FUSE_DEV_IOC_CLONE, arg);
  } catch (e) {
    fs.closeSync(clone);
    throw e;
  }
  return clone;
}

/** pipe2(2) with `flags`: [read end, write end], or null with errno() set. */
export function pipe(flags: number): [number, number] | null {
  const fds = new Int32Array(2);
  return calls().pipe2(fds, flags) === 0 ? [fds[0]!, fds[1]!] : null;
}

/** F_SETPIPE_SZ: the pipe's new capacity in bytes, or -1 with errno() set. */
export function setPipeSize(fd: number, bytes: number): number {
  return calls().fcntl(fd, F_SETPIPE_SZ, bytes);
}

/**
 * splice(2) of up to `len` bytes; `offIn`/`offOut` hold the 64-bit file
 * offset on a side that is a file (null on a pipe or the device). The count,
 * or -1 with errno() set.
 */
export function spliceFd(fdIn: number, offIn: Buffer | null, fdOut: number, offOut: Buffer | null, len: number, flags: number): number {
  return calls().splice(fdIn, offIn, fdOut, offOut, len, flags);
}

/** close(2), result ignored (for fds whose close nobody waits on). */
export function closeFd(fd: number): void {
  calls().close(fd);
}

/** The fd's status flags (F_GETFL), or -1. */
export function fileFlags(fd: number): number {
  return calls().fcntl(fd, F_GETFL, 0);
}

/** Sets the fd's status flags (F_SETFL); 0, or -1 with errno() set. */
export function setFileFlags(fd: number, flags: number): number {
  return calls().fcntl(fd, F_SETFL, flags);
}

/** sched_yield(2): lets a task that shares this CPU (the client we poll for) run. */
export function yieldCpu(): void {
  calls().sched_yield();
}

/**
 * Turns signal-driven I/O on or off: O_NONBLOCK|O_ASYNC and this process as
 * the owner, so the kernel sends SIGIO each time it queues a request.
 */
export function setAsyncIo(fd: number, on: boolean): void {
  const fl = fcntl(fd, F_GETFL);
  if (on) fcntl(fd, F_SETOWN, process.pid);
  fcntl(fd, F_SETFL, on ? fl | fs.constants.O_NONBLOCK | O_ASYNC : fl & ~O_ASYNC);
}

/** IOV_MAX on Linux: the most buffers one writev(2) takes. */
const IOV_MAX = 1024;

/**
 * Writes one reply or notification, whole: write(2) through koffi for one
 * buffer (most replies: 0.18 µs against 0.31 for fs.writeSync, which also
 * throws on failure), fs.writevSync for several (0.38 µs; it takes a Buffer
 * list as it is). 0, or the errno of the write.
 */
export function writeMessage(fd: number, data: Buffer | readonly Buffer[]): number {
  const one = Buffer.isBuffer(data) ? data : data.length === 1 ? data[0]! : null;
  if (one) {
    for (;;) {
      if (calls().write(fd, one, one.length) >= 0) return 0;
      const e = errno();
      if (e !== Errno.EINTR) return e;
    }
  }
  const list = data as readonly Buffer[];
  try {
    // A reply must be one write: past IOV_MAX buffers writev would split it, and the kernel rejects the pieces.
    if (list.length > IOV_MAX) fs.writeSync(fd, Buffer.concat(list));
    else fs.writevSync(fd, list as Buffer[]);
    return 0;
  } catch (e) {
    const n = (e as NodeJS.ErrnoException).errno;
    return typeof n === 'number' ? -n : Errno.EIO;
  }
}

/** What a DeviceChannel asks of the system: its syscalls and its wake-up signal. */
export interface DeviceIo {
  /** read(2) of one request into buf: its length, or -1 with errno() set. */
  read(fd: number, buf: Buffer): number;
  errno(): number;
  /** Writes one message whole (writeMessage): 0 or an errno. */
  write(fd: number, data: Buffer | readonly Buffer[]): number;
  /** Turns signal-driven I/O on or off (setAsyncIo). */
  setAsync(fd: number, on: boolean): void;
  /** F_GETFL; F_SETFL (0, or -1). */
  getFlags(fd: number): number;
  setFlags(fd: number, flags: number): number;
  /** Subscribes to the wake-up signal (SIGIO), and back. */
  onSignal(listener: () => void): void;
  offSignal(listener: () => void): void;
}

export const SYSTEM_IO: DeviceIo = {
  read: deviceRead,
  errno,
  write: writeMessage,
  setAsync: setAsyncIo,
  getFlags: fileFlags,
  setFlags: setFileFlags,
  onSignal: (listener) => void process.on('SIGIO', listener),
  offSignal: (listener) => void process.removeListener('SIGIO', listener),
};
