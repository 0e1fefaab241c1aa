/**
 * The worker-thread half of the designs in channel-designs.ts.
 *
 *   post   blocking reads; each request copied into a transferred ArrayBuffer
 *   sab    blocking reads straight into a SharedArrayBuffer ring slot
 *   clone  its own fd (FUSE_DEV_IOC_CLONE of the mount's), and a whole
 *          Session on it with blocking reads: requests never leave the thread
 */
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { Errno, Session, helloFs } from '../../src';
import { cloneDevice, fileFlags, setFileFlags } from '../../src/internal';
import { BlockingChannel, SAB_SLOTS } from './channel-designs';

interface Data {
  design: 'post' | 'sab' | 'clone';
  fd: number;
  size: number;
  lens?: Int32Array;
  data?: SharedArrayBuffer;
  minor?: number;
  flags?: bigint;
}

const d = workerData as Data;

/** One blocking read; the byte count, or -errno. */
function readOnce(fd: number, buf: Buffer): number {
  try {
    return fs.readSync(fd, buf, 0, buf.length, null);
  } catch (e) {
    return (e as NodeJS.ErrnoException).errno ?? -Errno.EIO;
  }
}

function post(): void {
  const buf = Buffer.allocUnsafe(d.size);
  for (;;) {
    const n = readOnce(d.fd, buf);
    if (n === -Errno.ENOENT || n === -Errno.EINTR) continue;
    if (n < 0) {
      parentPort!.postMessage({ kind: 'end', errno: -n });
      return;
    }
    const ab = new ArrayBuffer(n);
    new Uint8Array(ab).set(buf.subarray(0, n));
    parentPort!.postMessage({ kind: 'request', data: ab }, [ab]);
  }
}

function sab(): void {
  const lens = d.lens!;
  const size = d.data!.byteLength / SAB_SLOTS;
  for (let slot = 0; ; slot = (slot + 1) % SAB_SLOTS) {
    // Wait until the main thread has handed this slot back.
    for (let v = Atomics.load(lens, slot); v !== 0; v = Atomics.load(lens, slot)) Atomics.wait(lens, slot, v);
    const buf = Buffer.from(d.data!, slot * size, size);
    let n: number;
    do n = readOnce(d.fd, buf);
    while (n === -Errno.ENOENT || n === -Errno.EINTR);
    Atomics.store(lens, slot, n === 0 ? -Errno.EIO : n);
    Atomics.notify(lens, slot);
    if (n <= 0) return;
  }
}

function clone(): void {
  const fd = cloneDevice(d.fd!);
  // This design's channel blocks in read(2).
  setFileFlags(fd, fileFlags(fd) & ~fs.constants.O_NONBLOCK);
  // The connection was initialized on the original fd: this session starts past INIT.
  const s = new Session(helloFs(), new BlockingChannel(fd), { entryTimeout: 0, attrTimeout: 0, debug: !!process.env.CHANNEL_DEBUG });
  s.minor = d.minor!;
  s.flags = d.flags!;
  s.initialized = true;
  s.start();
  void s.ended.then(() => fs.closeSync(fd));
}

if (d.design === 'post') post();
else if (d.design === 'sab') sab();
else clone();
