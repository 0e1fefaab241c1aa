/**
 * The real channel: a /dev/fuse (or /dev/cuse) fd, read on the main thread
 * without ever blocking it, and a writer for the replies.
 *
 * The fd is nonblocking with O_ASYNC: the kernel raises SIGIO whenever it
 * queues a request, libuv turns the signal into an event-loop callback, and
 * the callback drains the queue until read(2) says EAGAIN, BATCH requests at
 * a time with setImmediate between batches so timers and I/O are not
 * starved. Requests are decoded and dispatched on the thread that runs the
 * filesystem, with no thread hop. After the last asynchronous answer in
 * flight, polling drains at once from that microtask (drainNow), with the
 * signal off; signals come back when the event loop next runs, and a chain
 * of such drains yields to it after BATCH requests. A drain that finds a second request turns
 * O_ASYNC off until the queue is empty ("quiet"): under load the signals
 * only interrupt the server's own syscalls. Why this design, against the
 * others measured: docs/design/device-channel.md.
 *
 * Everything else plugs in through the hooks (core/hooks.ts): busy-poll
 * windows, colocation, splice, data workers (src/server/accel). Without
 * them this is the whole loop.
 *
 * Caveats: SIGIO is process-wide (its default action kills the process, so
 * the listener is installed before O_ASYNC is set and removed after it is
 * cleared); signals reach only the main thread, so a session in a worker
 * thread uses the thread-pool fallback (`mode: 'threadpool'`: fs.read, one
 * thread of the libuv pool).
 */
// From the defining modules, not '../protocol': see the note in core/session.ts.
import fs from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { Errno } from '../../protocol/errno';
import { O_ASYNC } from '../../linux/constants';
import { readBufferSize, type Channel, type ChannelCloseReason, type RequestSink } from '../core/channel';
import { NO_HOOKS, READ_EMPTY, READ_FAILED, type Hooks, type ReadLoop } from '../core/hooks';
import { SYSTEM_IO, type DeviceIo } from './device-io';

/** Requests read per callback before yielding to the event loop, so timers and I/O are not starved. */
const BATCH = 64;

/** The request (counted from 0) of one drain at which the `queued` hook hears of a queue: a pair is the ordinary QD1 rhythm. */
const QUEUE = 3;

export interface DeviceChannelOptions {
  /** 'sigio' (default on the main thread) or 'threadpool' (fs.read, one thread of the libuv pool). */
  mode?: 'sigio' | 'threadpool';
  /** Initial read buffer size; setBufferSize raises it after INIT. */
  bufferSize?: number;
  /**
   * Whether the channel closes the fd when it finishes (default true). The
   * mount layer owns it instead when it must unmount before closing.
   */
  ownsFd?: boolean;
  /** The syscalls and the signal (tests pass a fake device). */
  io?: DeviceIo;
}

export class DeviceChannel implements Channel, ReadLoop {
  private bufferSize: number;
  private readonly pool: Buffer[] = [];
  private buf: Buffer;
  private sink: RequestSink | null = null;
  private onClose: ((r: ChannelCloseReason) => void) | null = null;
  private closed = false;
  private scheduled = false;
  private draining = false;
  /** The fd's status flags with O_ASYNC set (sigio mode, once started). */
  private asyncFlags = -1;
  /** O_ASYNC is off while a burst of requests is drained (see the file comment). */
  private quietNow = false;
  /** errno of the last read that failed with other than EAGAIN. */
  private readErrno = 0;
  private keepAlive: NodeJS.Timeout | null = null;
  readonly mode: 'sigio' | 'threadpool';
  private readonly ownsFd: boolean;
  private readonly io: DeviceIo;
  private hooks: Hooks = NO_HOOKS;
  /** Requests delivered by drains run from microtasks (drainNow) since the event loop last ran one. */
  private chained = 0;
  /** The drain running now was called from a microtask (drainNow), not by the event loop. */
  private inChain = false;
  private readonly onSignal = (): void => {
    this.chained = 0;
    this.drain();
  };
  private readonly drainLater = (): void => {
    this.scheduled = false;
    this.chained = 0;
    this.drain();
  };

  constructor(
    readonly fd: number,
    opts: DeviceChannelOptions = {},
  ) {
    this.bufferSize = opts.bufferSize ?? readBufferSize(128 * 1024);
    this.buf = Buffer.allocUnsafe(this.bufferSize);
    this.mode = opts.mode ?? (isMainThread ? 'sigio' : 'threadpool');
    this.ownsFd = opts.ownsFd ?? true;
    this.io = opts.io ?? SYSTEM_IO;
  }

  /** Plugs in the accelerations' hooks (accel/index.ts), before start(). */
  plug(hooks: Hooks): void {
    this.hooks = hooks;
  }

  start(sink: RequestSink, onClose: (reason: ChannelCloseReason) => void): void {
    this.sink = sink;
    this.onClose = onClose;
    // The session must keep the process alive while mounted; signal listeners do not.
    this.keepAlive = setInterval(() => undefined, 0x7fffffff);
    if (this.mode === 'sigio') {
      this.io.onSignal(this.onSignal);
      this.io.setAsync(this.fd, true);
      this.asyncFlags = this.io.getFlags(this.fd);
      // Requests queued before O_ASYNC was set raised no signal (INIT, typically).
      this.drain();
    } else {
      this.readAsync();
    }
  }

  /** The read buffer's size (max_write plus the headers, once INIT has set it). */
  get readBufferSize(): number {
    return this.bufferSize;
  }

  setBufferSize(bytes: number): void {
    if (bytes <= this.bufferSize) return;
    this.bufferSize = bytes;
    this.pool.length = 0;
    this.buf = Buffer.allocUnsafe(bytes);
  }

  private takeBuffer(): Buffer {
    return this.pool.pop() ?? Buffer.allocUnsafe(this.bufferSize);
  }

  release(buf: Buffer): void {
    // Buffers from before a setBufferSize are simply dropped.
    if (buf.length === this.bufferSize && this.pool.length < 64) this.pool.push(buf);
  }

  // ---- the read loop ----------------------------------------------------------

  get signalDriven(): boolean {
    return this.asyncFlags >= 0;
  }

  private drain(): void {
    this.draining = true;
    try {
      if (!this.drainBatch()) {
        this.hooks.sleeping?.();
        return;
      }
    } catch (e) {
      // A bug on the read path (the session catches its handlers' errors): end the session, which the
      // mount layer unmounts, rather than let an exception from a signal handler kill the process.
      this.finish({ kind: 'error', error: e instanceof Error ? e : new Error(String(e)) });
      return;
    } finally {
      this.draining = false;
    }
    // More may be queued: come back after other event-loop work had its turn.
    if (!this.closed && !this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drainLater);
    }
  }

  /** Reads and delivers up to BATCH requests; false once the queue is empty (or the channel done). */
  private drainBatch(): boolean {
    const h = this.hooks;
    let waited = false;
    for (let i = 0; i < BATCH && !this.closed; i++) {
      const n = this.readNext();
      if (n >= 0) {
        this.deliver(n);
        // A second request in one drain: a burst. Its signals would only interrupt us; read on until it ends.
        if (i === 1 && !this.quietNow && this.asyncFlags >= 0) this.setQuiet(true);
        if (i === QUEUE && h.queued !== undefined) h.queued();
        continue;
      }
      if (n === READ_FAILED) {
        if (this.readError(this.readErrno)) continue;
        return false;
      }
      // The queue is empty: the idle hook may wait a little for the next request (once per batch).
      if (!waited && h.idle !== undefined) {
        const m = h.idle(this);
        if (m >= 0) {
          this.deliver(m);
          continue;
        }
        if (m === READ_FAILED) {
          if (this.readError(this.readErrno)) continue;
          return false;
        }
        waited = true;
      }
      if (!this.quietNow) return false;
      // Drained from a microtask, just after an answer: the requests in flight may be answered in microtasks
      // too, each draining the next request. Signals stay off until the event loop runs (drainLater).
      if (this.inChain) {
        if (!this.scheduled) {
          this.scheduled = true;
          setImmediate(this.drainLater);
        }
        return false;
      }
      // The burst is over: signals back on, then one more read for a request queued in between.
      this.setQuiet(false);
    }
    return true;
  }

  /** One nonblocking read (through the read hook): its length, READ_EMPTY or READ_FAILED (readErrno says why). */
  readNext(): number {
    const read = this.hooks.read;
    const n = read !== undefined ? read(this.fd, this.buf) : this.io.read(this.fd, this.buf);
    if (n >= 0) return n;
    const e = this.io.errno();
    if (e === Errno.EAGAIN) return READ_EMPTY;
    this.readErrno = e;
    return READ_FAILED;
  }

  private deliver(n: number): void {
    const buf = this.buf;
    const h = this.hooks;
    const outside = h.outside !== undefined ? h.outside() : undefined;
    this.chained++;
    if (h.arriving !== undefined) h.arriving(buf, n);
    try {
      if (this.sink!(buf, n, outside)) this.buf = this.takeBuffer();
    } finally {
      if (h.delivered !== undefined) h.delivered(buf, n);
    }
  }

  quiet(): void {
    if (!this.quietNow) this.setQuiet(true);
  }

  wake(): void {
    if (this.draining || this.closed || this.scheduled || this.asyncFlags < 0) return;
    this.scheduled = true;
    setImmediate(this.drainLater);
  }

  drainNow(): void {
    if (this.draining || this.closed || this.asyncFlags < 0) return;
    // A chain of asynchronous answers, each draining the next request, never returns to the event loop: bound it.
    if (this.chained >= BATCH) return this.wake();
    this.inChain = true;
    try {
      this.drain();
    } finally {
      this.inChain = false;
    }
  }

  private setQuiet(quiet: boolean): void {
    // If the fcntl fails, O_ASYNC simply stays as it was: with it on, a burst costs signals; with it off,
    // the next drain (already scheduled while quiet) turns it back on.
    if (this.io.setFlags(this.fd, quiet ? this.asyncFlags & ~O_ASYNC : this.asyncFlags) === 0) this.quietNow = quiet;
  }

  /** Handles a failed read; true to read again. */
  private readError(e: number): boolean {
    // ENOENT: the request was interrupted before we got it. EINTR: a signal.
    if (e === Errno.ENOENT || e === Errno.EINTR) return true;
    if (e === Errno.ENODEV) this.finish({ kind: 'unmounted' });
    else this.finish({ kind: 'error', error: new Error(`read from /dev/fuse failed: errno ${e}`) });
    return false;
  }

  private readAsync(): void {
    if (this.closed) return;
    const buf = this.buf;
    fs.read(this.fd, buf, 0, buf.length, null, (err, n) => {
      if (this.closed) return;
      if (err) {
        const e = (err as NodeJS.ErrnoException).errno;
        if (e === undefined || !this.readError(-e)) return;
      } else {
        this.deliver(n);
      }
      this.readAsync();
    });
  }

  // ---- the writer -------------------------------------------------------------

  write(data: Buffer | readonly Buffer[]): number {
    return this.writeTo(this.fd, data);
  }

  /**
   * Writes a reply on another fd of the same connection (a data worker's
   * clone, for a request it read and handed over): the kernel takes a reply
   * only on the fd its request was read from. Same result as write().
   */
  writeTo(fd: number, data: Buffer | readonly Buffer[]): number {
    // Also after close: a data worker's fd may be closed (and its number reused) once this channel is.
    if (this.closed) return Errno.ENODEV;
    this.hooks.replying?.();
    return this.io.write(fd, data);
  }

  writeAsync(data: Buffer | readonly Buffer[]): Promise<number> {
    if (this.closed) return Promise.resolve(Errno.ENODEV);
    const buf = Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]);
    // fs.write runs in the libuv thread pool: the serving thread stays free to answer what the kernel waits for.
    return new Promise((resolve) =>
      fs.write(this.fd, buf, 0, buf.length, null, (err) => resolve(err ? (typeof err.errno === 'number' ? -err.errno : Errno.EIO) : 0)),
    );
  }

  close(): void {
    this.finish({ kind: 'closed' });
  }

  private finish(reason: ChannelCloseReason): void {
    if (this.closed) return;
    this.closed = true;
    if (this.mode === 'sigio') {
      try {
        this.io.setAsync(this.fd, false);
      } catch {
        // the fd may already be gone
      }
      this.io.offSignal(this.onSignal);
    }
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.hooks.closed?.();
    if (this.ownsFd) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // already closed
      }
    }
    this.onClose?.(reason);
  }
}
