/**
 * Data workers: READ and WRITE served on other threads, each reading its
 * own clone of the session's /dev/fuse fd (FUSE_DEV_IOC_CLONE), for
 * filesystems that provide a data path (src/api/data-path.ts). The
 * acceleration that plugs them into a session is workers.ts. This is what lets a
 * Node server use a second CPU for data: one JavaScript thread tops out
 * near 130k 4 KiB reads/s here, with most of its time in the kernel's
 * copies and wake-ups, which another thread can run beside it.
 *
 * How the work is split, and why:
 * - Workers start parked, and are started (the first time) or woken only
 *   when the main thread's drain finds a queue (a second request in one
 *   drain, the same sign that turns SIGIO off). A lone request is served
 *   on the main thread with no hop, as before: a worker reading it would
 *   add a thread hop to every metadata request and a cross-CPU wake-up to
 *   every round trip. A worker that finds nothing for `busy_poll` µs parks
 *   itself again. So an idle server has no extra threads at all (idle RSS
 *   unchanged), and a busy one has both CPUs reading.
 * - A worker serves READ and WRITE itself, through the data path, and
 *   answers on its own fd. Anything else it reads (the kernel hands any
 *   request to whichever fd reads first) is forwarded to the main thread
 *   by postMessage, which answers it on the worker's fd: the kernel takes a
 *   reply only on the fd its request was read from.
 * - The ordering rule holds across threads through a shared table
 *   (shared-write-order.ts). A worker cannot see which handles were opened
 *   with FOPEN_DIRECT_IO, so it checks every READ and WRITE as if direct:
 *   a page-cache request that overlaps an older write in flight waits for
 *   a write that is already being applied, which costs a little and cannot
 *   deadlock.
 * - INTERRUPT is ignored for requests a worker holds (the protocol allows
 *   it: each is one synchronous call); workers publish the highest unique
 *   they read so the main thread does not ask the kernel to requeue an
 *   INTERRUPT for a request it never saw.
 * - Not with --debug (every request would have to be traced from several
 *   threads), CUSE, or channels other than the device (the emulator).
 *
 * Off by default (workers=0): on the 2-CPU machine it was built on, a
 * second server thread takes time the client needs; figures and what is not
 * yet understood: docs/design/workers.md. `npm run bench` has a `devfuse
 * workers` column to check a machine with CPUs to spare.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DataPathSpec } from '../../../api/data-path';
import { cloneDevice } from '../../device/device-io';
import type { SharedWriteOrder } from './shared-write-order';

/** Control words (Int32): RUN[t], SERVED[t], FORWARDED[t] for thread t (1.. workers); HIGHEST[t] as BigInt64. */
export const RUN = 0;
export const SERVED = 64;
export const FORWARDED = 128;
const INT32_WORDS = 192;
export const HIGHEST_BYTE_OFFSET = INT32_WORDS * 4;
export const CONTROL_BYTES = HIGHEST_BYTE_OFFSET + 64 * 8;
/** RUN values. */
export const PARKED = 0;
export const RUNNING = 1;
export const STOPPED = 2;

/** What a worker is started with (workerData). */
export interface DataWorkerInit {
  readonly thread: number;
  /** This worker's clone of the session's fd (the main thread opens and closes it). */
  readonly fd: number;
  readonly control: SharedArrayBuffer;
  /** The ordering table, or null when the rule is off. */
  readonly order: SharedArrayBuffer | null;
  readonly minor: number;
  readonly setxattrExt: boolean;
  readonly bufferSize: number;
  /** µs without requests before a worker parks. */
  readonly idle: number;
  readonly module: string;
  readonly options: unknown;
}

/** Messages from a worker. */
export type DataWorkerMessage =
  | { kind: 'forward'; fd: number; bytes: ArrayBuffer }
  | { kind: 'log'; message: string };

export interface DataWorkersOptions {
  readonly count: number;
  readonly spec: DataPathSpec;
  readonly device: number;
  readonly order: SharedWriteOrder | null;
  readonly minor: number;
  readonly setxattrExt: boolean;
  readonly bufferSize: number;
  readonly idle: number;
  /** A request a worker read that only the main thread can serve; answer it on `fd`. */
  readonly forward: (buf: Buffer, fd: number) => void;
  readonly log: (message: string) => void;
}

export class DataWorkers {
  private readonly control = new SharedArrayBuffer(CONTROL_BYTES);
  private readonly ctl = new Int32Array(this.control, 0, INT32_WORDS);
  private readonly highest = new BigInt64Array(this.control, HIGHEST_BYTE_OFFSET, 64);
  private workers: Worker[] = [];
  private readonly live = new Set<Worker>();
  private readonly fds: number[] = [];
  private stopped = false;

  constructor(private readonly o: DataWorkersOptions) {
    if (!Number.isInteger(o.count) || o.count < 1 || o.count > 63) throw new Error(`workers must be 1 to 63, not ${o.count}`);
  }

  /** The main thread's drain found a queue: start the workers the first time, wake parked ones after. */
  wake(): void {
    if (this.stopped) return;
    if (this.workers.length === 0) this.spawn();
    if (this.live.size === 0) return;
    for (let t = 1; t <= this.o.count; t++) {
      if (Atomics.compareExchange(this.ctl, RUN + t, PARKED, RUNNING) === PARKED) Atomics.notify(this.ctl, RUN + t);
    }
  }

  private spawn(): void {
    const file = path.join(__dirname, 'data-worker.js');
    for (let t = 1; t <= this.o.count; t++) {
      let fd: number;
      try {
        fd = cloneDevice(this.o.device);
      } catch (e) {
        this.o.log(`cannot clone the device fd for a data worker (${String(e)}); the main thread serves alone`);
        return;
      }
      this.fds.push(fd);
      Atomics.store(this.ctl, RUN + t, RUNNING);
      const init: DataWorkerInit = {
        thread: t, fd, control: this.control, order: this.o.order?.buffer ?? null, minor: this.o.minor,
        setxattrExt: this.o.setxattrExt, bufferSize: this.o.bufferSize, idle: this.o.idle, module: this.o.spec.module, options: this.o.spec.options,
      };
      const w = new Worker(file, { workerData: init });
      w.on('message', (m: DataWorkerMessage) => {
        if (m.kind === 'forward') this.o.forward(Buffer.from(m.bytes), m.fd);
        else if (m.kind === 'log') this.o.log(`data worker ${t}: ${m.message}`);
      });
      w.on('error', (e) => this.o.log(`data worker ${t} failed: ${e.stack ?? e.message}; the main thread serves on`));
      w.once('exit', () => {
        this.live.delete(w);
        this.o.order?.releaseWindow(t);
      });
      // A parked worker must not keep the process alive after the session ends.
      w.unref();
      this.workers.push(w);
      this.live.add(w);
    }
  }

  /** The highest unique any worker has read (0 if none). */
  highestUnique(): number {
    let h = 0n;
    for (let t = 1; t <= this.o.count; t++) {
      const v = Atomics.load(this.highest, t);
      if (v > h) h = v;
    }
    return Number(h);
  }

  /** Requests served by the workers, and forwarded by them to the main thread. */
  stats(): { started: boolean; served: number; forwarded: number } {
    let served = 0;
    let forwarded = 0;
    for (let t = 1; t <= this.o.count; t++) {
      served += Atomics.load(this.ctl, SERVED + t);
      forwarded += Atomics.load(this.ctl, FORWARDED + t);
    }
    return { started: this.workers.length > 0, served, forwarded };
  }

  /**
   * Stops the workers, waits for them to exit and closes their fds. Call it
   * once the channel refuses writes: a reply to a forwarded request written
   * after the close could land in whatever file reused the fd number.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    for (let t = 1; t <= this.o.count; t++) {
      Atomics.store(this.ctl, RUN + t, STOPPED);
      Atomics.notify(this.ctl, RUN + t);
    }
    const exits = [...this.live].map((w) => new Promise<void>((resolve) => w.once('exit', () => resolve())));
    await Promise.all(exits);
    for (const fd of this.fds.splice(0)) fs.closeSync(fd);
  }
}
