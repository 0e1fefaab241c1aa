/**
 * The request-reading designs that device-channel.ts chose among, as
 * Channels, so that the same Session and hello filesystem run on each:
 *
 *   BlockingChannel   read(2) on a blocking fd in a loop on the calling
 *                     thread (the ceiling on the main thread: it blocks the
 *                     event loop; in a worker it is a libfuse-style loop)
 *   OneShotChannel    reads exactly one request (INIT), then stops: the
 *                     main thread of the cloned-fd design
 *   PostChannel       a worker thread blocks in read and hands each request
 *                     over by postMessage (a transferred copy)
 *   SabChannel        a worker thread blocks in read into a SharedArrayBuffer
 *                     ring; the main thread wakes through Atomics.waitAsync
 *
 *   SpinChannel       (an experiment) the SIGIO loop, busy-polling a while
 *                     after the queue runs dry
 *
 * The SIGIO and thread-pool designs are DeviceChannel itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Errno } from '../../src/protocol';
import type { Channel, ChannelCloseReason, RequestSink } from '../../src';
import { F_GETFL, F_SETFL, O_NONBLOCK, deviceRead, errno, fcntl, readBufferSize, setAsyncIo } from '../../src/internal';

/** Atomics.waitAsync (Node 16+, ES2024: newer than the repo's lib setting). */
interface WaitAsync {
  (ta: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
}
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

export const WORKER_SCRIPT = path.join(__dirname, 'channel-worker.js');

/** Clears O_NONBLOCK: the blocking designs sleep in read(2). */
export function makeBlocking(fd: number): void {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
}

function writeReply(fd: number, data: Buffer | readonly Buffer[]): number {
  try {
    if (Buffer.isBuffer(data)) fs.writeSync(fd, data);
    else if (data.length === 1) fs.writeSync(fd, data[0]!);
    else fs.writevSync(fd, data as Buffer[]);
    return 0;
  } catch (e) {
    const n = (e as NodeJS.ErrnoException).errno;
    return typeof n === 'number' ? -n : Errno.EIO;
  }
}

/** Replies and buffer bookkeeping shared by the channels below. */
export abstract class BaseChannel implements Channel {
  /** Large enough for any request the default max_write (1 MiB) allows, before INIT says more. */
  protected size = readBufferSize(1 << 20);
  protected sink: RequestSink | null = null;
  protected onClose: ((r: ChannelCloseReason) => void) | null = null;
  protected closed = false;

  constructor(readonly fd: number) {}

  abstract start(sink: RequestSink, onClose: (reason: ChannelCloseReason) => void): void;

  setBufferSize(bytes: number): void {
    this.size = Math.max(this.size, bytes);
  }

  write(data: Buffer | readonly Buffer[]): number {
    return writeReply(this.fd, data);
  }

  release(_buf: Buffer): void {
    // buffers a sink kept are simply dropped (hello keeps none)
  }

  close(): void {
    this.finish({ kind: 'closed' });
  }

  /** What a design that reads the fd blocking does first: take the sink and make the fd blocking. */
  protected attachBlocking(sink: RequestSink, onClose: (reason: ChannelCloseReason) => void): void {
    this.sink = sink;
    this.onClose = onClose;
    makeBlocking(this.fd);
  }

  protected finish(reason: ChannelCloseReason): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose?.(reason);
  }
}

export class BlockingChannel extends BaseChannel {
  /** Read at most this many requests (the one-shot INIT reader); Infinity otherwise. */
  constructor(
    fd: number,
    private readonly limit = Infinity,
  ) {
    super(fd);
  }

  start(sink: RequestSink, onClose: (reason: ChannelCloseReason) => void): void {
    this.attachBlocking(sink, onClose);
    // After the current tick, so the caller can finish setting up (print READY) first.
    setImmediate(() => this.loop());
  }

  private loop(): void {
    let buf = Buffer.allocUnsafe(this.size);
    for (let i = 0; i < this.limit && !this.closed; ) {
      if (buf.length < this.size) buf = Buffer.allocUnsafe(this.size);
      const n = deviceRead(this.fd, buf);
      if (n < 0) {
        const e = errno();
        if (e === Errno.ENOENT || e === Errno.EINTR) continue;
        this.finish(e === Errno.ENODEV ? { kind: 'unmounted' } : { kind: 'error', error: new Error(`read: errno ${e}`) });
        return;
      }
      i++;
      if (this.sink!(buf, n)) buf = Buffer.allocUnsafe(this.size);
    }
  }
}

interface WorkerMessage {
  kind: 'request' | 'end';
  data?: ArrayBuffer;
  errno?: number;
}

export class PostChannel extends BaseChannel {
  private worker: Worker | null = null;

  start(sink: RequestSink, onClose: (reason: ChannelCloseReason) => void): void {
    this.attachBlocking(sink, onClose);
    this.worker = new Worker(WORKER_SCRIPT, { workerData: { design: 'post', fd: this.fd, size: this.size } });
    this.worker.on('message', (m: WorkerMessage) => {
      if (m.kind === 'end') {
        this.finish(m.errno === Errno.ENODEV ? { kind: 'unmounted' } : { kind: 'error', error: new Error(`worker read: errno ${m.errno}`) });
        return;
      }
      const b = Buffer.from(m.data!);
      this.sink!(b, b.length);
    });
    this.worker.on('error', (e) => this.finish({ kind: 'error', error: e }));
  }
}

/** Slots of the SharedArrayBuffer ring. */
export const SAB_SLOTS = 8;

export class SabChannel extends BaseChannel {
  private worker: Worker | null = null;
  private lens!: Int32Array;
  private data!: SharedArrayBuffer;
  private slot = 0;

  start(sink: RequestSink, onClose: (reason: ChannelCloseReason) => void): void {
    this.attachBlocking(sink, onClose);
    // Requests after INIT of a hello filesystem are small; the slots are sized for the INIT-time buffer anyway.
    const slotSize = this.size;
    this.lens = new Int32Array(new SharedArrayBuffer(4 * SAB_SLOTS));
    this.data = new SharedArrayBuffer(slotSize * SAB_SLOTS);
    this.worker = new Worker(WORKER_SCRIPT, { workerData: { design: 'sab', fd: this.fd, size: slotSize, lens: this.lens, data: this.data } });
    this.worker.on('error', (e) => this.finish({ kind: 'error', error: e }));
    this.next();
  }

  /** Waits for the current slot to fill: lens[slot] > 0 is a request, < 0 is -errno (the end). */
  private next(): void {
    if (this.closed) return;
    const r = waitAsync(this.lens, this.slot, 0);
    if (r.async) void r.value.then(() => this.take());
    else this.take();
  }

  private take(): void {
    const i = this.slot;
    const n = Atomics.load(this.lens, i);
    if (n < 0) {
      this.finish(-n === Errno.ENODEV ? { kind: 'unmounted' } : { kind: 'error', error: new Error(`worker read: errno ${-n}`) });
      return;
    }
    const size = this.data.byteLength / SAB_SLOTS;
    this.sink!(Buffer.from(this.data, i * size, n), n);
    // Hand the slot back to the worker.
    Atomics.store(this.lens, i, 0);
    Atomics.notify(this.lens, i);
    this.slot = (i + 1) % SAB_SLOTS;
    this.next();
  }
}

/**
 * An experiment, not a devfuse design: DeviceChannel's SIGIO loop, but when
 * the queue runs dry it keeps reading for `spinUs` more before going back
 * to the event loop. On this VM a wakeup across CPUs costs ~90 µs, and a
 * round trip pays two (server woken by the request, client by the reply);
 * a server still spinning when the next request comes pays only the
 * client's. The price: up to `spinUs` of CPU after every burst, and the
 * event loop (timers, promise continuations) held off that long.
 */
export class SpinChannel extends BaseChannel {
  private buf = Buffer.allocUnsafe(this.size);
  private scheduled = false;
  private readonly spinNs: bigint;
  private keepAlive: NodeJS.Timeout | null = null;
  private readonly onSignal = (): void => this.drain();

  constructor(fd: number, spinUs: number) {
    super(fd);
    this.spinNs = BigInt(Math.round(spinUs * 1000));
  }

  start(sink: RequestSink, onClose: (reason: ChannelCloseReason) => void): void {
    this.sink = sink;
    this.onClose = onClose;
    this.keepAlive = setInterval(() => undefined, 0x7fffffff);
    process.on('SIGIO', this.onSignal);
    setAsyncIo(this.fd, true);
    this.drain();
  }

  override setBufferSize(bytes: number): void {
    super.setBufferSize(bytes);
    if (this.buf.length < this.size) this.buf = Buffer.allocUnsafe(this.size);
  }

  private drain(): void {
    this.scheduled = false;
    let idleSince = 0n;
    for (let i = 0; i < 64 && !this.closed; ) {
      const n = deviceRead(this.fd, this.buf);
      if (n < 0) {
        const e = errno();
        if (e === Errno.EAGAIN) {
          const now = process.hrtime.bigint();
          if (idleSince === 0n) idleSince = now;
          if (now - idleSince < this.spinNs) continue;
          return;
        }
        if (e === Errno.ENOENT || e === Errno.EINTR) continue;
        this.finish(e === Errno.ENODEV ? { kind: 'unmounted' } : { kind: 'error', error: new Error(`read: errno ${e}`) });
        return;
      }
      idleSince = 0n;
      i++;
      if (this.sink!(this.buf, n)) this.buf = Buffer.allocUnsafe(this.size);
    }
    if (!this.closed && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  protected override finish(reason: ChannelCloseReason): void {
    if (this.closed) return;
    setAsyncIo(this.fd, false);
    process.removeListener('SIGIO', this.onSignal);
    if (this.keepAlive) clearInterval(this.keepAlive);
    super.finish(reason);
  }
}
