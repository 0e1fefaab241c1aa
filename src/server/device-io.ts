/**
 * The hot-path syscalls of the device channel, through koffi. Unlike the
 * general wrappers in sys.ts these never throw: read returns -1 and the
 * caller asks errno(), because EAGAIN ends every batch of reads and an
 * exception per batch would cost more than the read itself.
 */
import fs from 'node:fs';
import koffi from 'koffi';

interface DeviceIo {
  read: (fd: number, buf: Buffer, size: number) => number;
  fcntl: (fd: number, cmd: number, arg: number) => number;
}

let io: DeviceIo | null = null;

function load(): DeviceIo {
  if (io) return io;
  const libc = koffi.load('libc.so.6');
  io = {
    read: libc.func('long read(int fd, void *buf, size_t count)') as DeviceIo['read'],
    fcntl: libc.func('int fcntl(int fd, int cmd, int arg)') as DeviceIo['fcntl'],
  };
  return io;
}

/** read(2) into buf; the byte count, or -1 with errno() set. */
export function deviceRead(fd: number, buf: Buffer): number {
  return load().read(fd, buf, buf.length);
}

/** errno of the last failed call on this thread. */
export function errno(): number {
  return koffi.errno();
}

const F_GETFL = 3;
const F_SETFL = 4;
const F_SETOWN = 8;
export const O_ASYNC = 0o20000;

/** F_GETFL: the fd's status flags, or -1 with errno() set. */
export function fileFlags(fd: number): number {
  return load().fcntl(fd, F_GETFL, 0);
}

/** F_SETFL in one call (no F_GETFL first): 0, or -1 with errno() set. */
export function setFileFlags(fd: number, flags: number): number {
  return load().fcntl(fd, F_SETFL, flags);
}

/**
 * Turns signal-driven I/O on or off: O_NONBLOCK|O_ASYNC and this process as
 * the owner, so the kernel sends SIGIO each time it queues a request.
 */
export function setAsyncIo(fd: number, on: boolean): void {
  const { fcntl } = load();
  const fl = fcntl(fd, F_GETFL, 0);
  if (fl < 0) throw new Error(`fcntl(${fd}, F_GETFL): errno ${errno()}`);
  if (on && fcntl(fd, F_SETOWN, process.pid) < 0) throw new Error(`fcntl(${fd}, F_SETOWN): errno ${errno()}`);
  const want = on ? fl | fs.constants.O_NONBLOCK | O_ASYNC : fl & ~O_ASYNC;
  if (fcntl(fd, F_SETFL, want) < 0) throw new Error(`fcntl(${fd}, F_SETFL): errno ${errno()}`);
}
