/**
 * The hot-path syscall of the device channel, through koffi. Unlike the
 * general wrappers in sys.ts it never throws: read returns -1 and the
 * caller asks errno(), because EAGAIN ends every batch of reads and an
 * exception per batch would cost more than the read itself.
 */
import fs from 'node:fs';
import koffi from 'koffi';
import { F_GETFL, F_SETFL, F_SETOWN, O_ASYNC, fcntl } from './sys';

let read: ((fd: number, buf: Buffer, size: number) => number) | null = null;

/** read(2) into buf; the byte count, or -1 with errno() set. */
export function deviceRead(fd: number, buf: Buffer): number {
  read ??= koffi.load('libc.so.6').func('long read(int fd, void *buf, size_t count)') as (fd: number, buf: Buffer, size: number) => number;
  return read(fd, buf, buf.length);
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
