/**
 * The hot-path syscalls of the device channel, through koffi. Unlike the
 * general wrappers in sys.ts these never throw: they return -1 and the
 * caller asks errno(), because EAGAIN ends every batch of reads (and O_ASYNC
 * is toggled around bursts), and an exception each time would cost more
 * than the syscall itself.
 */
import fs from 'node:fs';
import koffi from 'koffi';
import { FUSE_DEV_IOC_CLONE, F_GETFL, F_SETFL, F_SETOWN, O_ASYNC, O_CLOEXEC, fcntl, ioctlBuffer } from './sys';

export { O_ASYNC } from './sys';

interface HotCalls {
  read: (fd: number, buf: Buffer, size: number) => number;
  write: (fd: number, buf: Buffer, size: number) => number;
  fcntl: (fd: number, cmd: number, arg: number) => number;
  sched_yield: () => number;
  pipe2: (fds: Buffer, flags: number) => number;
  splice: (fdIn: number, offIn: Buffer | null, fdOut: number, offOut: Buffer | null, len: number, flags: number) => number;
  close: (fd: number) => number;
}

let hot: HotCalls | null = null;

const F_SETPIPE_SZ = 1031;

function calls(): HotCalls {
  if (hot) return hot;
  const libc = koffi.load('libc.so.6');
  hot = {
    read: libc.func('long read(int fd, void *buf, size_t count)') as HotCalls['read'],
    write: libc.func('long write(int fd, const void *buf, size_t count)') as HotCalls['write'],
    fcntl: libc.func('int fcntl(int fd, int cmd, int arg)') as HotCalls['fcntl'],
    sched_yield: libc.func('int sched_yield(void)') as HotCalls['sched_yield'],
    pipe2: libc.func('int pipe2(void *fds, int flags)') as HotCalls['pipe2'],
    splice: libc.func('long splice(int fd_in, void *off_in, int fd_out, void *off_out, size_t len, unsigned int flags)') as HotCalls['splice'],
    close: libc.func('int close(int fd)') as HotCalls['close'],
  };
  return hot;
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
  const fds = Buffer.alloc(8);
  return calls().pipe2(fds, flags) === 0 ? [fds.readInt32LE(0), fds.readInt32LE(4)] : null;
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

/** errno of the last failed call on this thread. */
export function errno(): number {
  return koffi.errno();
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
