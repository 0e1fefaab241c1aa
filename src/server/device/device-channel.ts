/**
 * The real channel: a /dev/fuse (or /dev/cuse) file descriptor, read on the
 * main thread without ever blocking it.
 *
 * How requests are read, and why (figures from scripts/bench-channel.ts on a
 * 2-core VM, statx round trips of a hello filesystem, client and server
 * pinned to one CPU; µs per statx = LOOKUP + GETATTR; medians of 3 rounds):
 *
 *   blocking read loop on the main thread (ceiling; blocks the event loop)   9.7
 *   O_ASYNC + SIGIO, nonblocking reads on the main thread (this file)       10.0
 *     (14.7 before O_ASYNC was turned off during bursts, see below)
 *   fs.read() in the libuv thread pool                                      24.0
 *   worker thread with blocking reads, postMessage to the main thread       27.6
 *   worker thread with blocking reads, SharedArrayBuffer + Atomics.waitAsync 22.9
 *   2 cloned fds (FUSE_DEV_IOC_CLONE), a whole Session per worker thread    12.6
 *
 * Unpinned, every design pays this VM's very expensive cross-CPU wakeups
 * (90-260 µs), and the designs that hop threads pay them twice per request.
 * (The VM boots with guest halt polling off, haltpoll.guest_halt_poll_ns=0:
 * an idle vCPU halts at once and waking it is a trip through the host.
 * With 200 µs of polling, the full bench's round trip is 11.5 µs unpinned
 * against 39: README, "Where idle CPUs poll".)
 * Cloned fds with a reader thread per CPU pay them least (unpinned 75 µs
 * against 135 µs for this file; two clients at once 89,000 statx/s against
 * 11,000), but the filesystem then runs on several threads at once.
 * So: the fd is nonblocking with O_ASYNC, the kernel raises SIGIO whenever
 * it queues a request (fuse_dev_fasync), libuv turns the signal into an
 * event-loop callback, and the callback reads until EAGAIN. Requests are
 * decoded and dispatched on the same thread that runs the filesystem, with
 * no thread hop, and the libuv thread pool stays free for the filesystem's
 * own fs calls (a thread-pool read would hold one of its four threads
 * forever and can starve a passthrough filesystem under load).
 *
 * Reads go through koffi's read(2): on EAGAIN it returns -1 and errno in
 * 0.2 µs, where fs.readSync throws an exception costing about 5 µs.
 *
 * Under load the signals themselves cost: the kernel raises SIGIO for every
 * request it queues, and each one interrupts whatever syscall the server is
 * in (a passthrough's pread, a reply's write), runs libuv's handler, wakes
 * the event loop and calls a drain that finds nothing. With fio at queue
 * depth 16 on the passthrough that was about a third of the server's CPU
 * (perf: get_signal under __libc_pread, uv__signal_handler, the SIGIO
 * callback). So a drain that finds a second request turns O_ASYNC off and
 * keeps draining (setImmediate between batches) until a read says EAGAIN;
 * then O_ASYNC goes back on and one more read catches a request queued in
 * between, which raised no signal. A drain that finds a single request
 * never turns it off, so a lone request pays nothing for this. Measured
 * (client and server on one CPU, passthrough with io 'sync'): statx round
 * trip 16.6 → 12.1 µs, fio 4 KiB O_DIRECT random reads 70k → 84k IOPS at
 * queue depth 1 and 64k → 80k at 16. Even queue depth 1 gains on one CPU:
 * the reply wakes the client, which queues its next request (a LOOKUP's
 * GETATTR, the next read) before the server reads again.
 *
 * Between requests the channel busy-polls for a few tens of microseconds
 * (the same nonblocking reads, O_ASYNC off, yielding the CPU between them)
 * before it sleeps, when nothing is in flight: a client on another CPU
 * whose next request comes right after our reply then finds us awake
 * instead of paying a cross-CPU wake-up (statx round trip unpinned
 * 163 → 44 µs, timeouts 0; QD1 4 KiB reads 9.4k → 34k IOPS). The window
 * adapts so a server with sparse requests stops polling: poll-window.ts.
 *
 * After a big WRITE (64 KiB or more) the poll uses a second window of its
 * own, 1 ms by default (stream_poll=), adapting the same way. A writer
 * streaming 1 MiB blocks takes 0.2-0.4 ms to fill the next one, longer than
 * the ordinary window, so the server slept between WRITEs and every WRITE
 * paid a wake-up. With it, bench (five rounds, beside the default in one
 * run): buffered 1 MiB writes 1083 against 1035 MB/s (0.96 against 0.92x
 * passthrough_ll), O_DIRECT 1661 against 1591; nothing else moved (500 µs
 * gained less, 2 ms no more). The price is CPU while a writer streams: 1 GiB
 * dd of 1 MiB blocks, server CPU 1.05-1.13 s against 0.71-0.76 buffered,
 * 0.80-0.87 against 0.76-0.86 O_DIRECT. A writer that pauses between
 * blocks closes the window if its pauses outlast it (200 writes of 1 MiB
 * 5 ms apart: server CPU 140 against 160 ms), but one pausing about half a
 * millisecond keeps it polling through the pauses for nothing (330 against
 * 130 ms, the same 0.3 s). stream_poll=0 turns it off.
 *
 * Big WRITEs by splice (splice.ts): a WRITE spliced /dev/fuse → pipe →
 * file skips one copy (prototype, 1 GiB dd onto tmpfs, 1 MiB blocks:
 * buffered 0.92-1.2 GB/s against 0.74-0.98; this implementation, 1 GiB
 * dd, six runs each way: buffered 548-699 MB/s against 553-666, about
 * +10%; O_DIRECT 736-826 against 780-872, −8%, so O_DIRECT writes do not
 * switch it on). The data reaches the filesystem as a pipe
 * (Filesystem.writeSpliced, like libfuse's write_buf), and the channel
 * splices only while big page-cache WRITEs stream: one read(2) of such a
 * WRITE of 64 KiB or more switches it on, 16 other requests in a row
 * switch it off, so other requests do not pay its two extra syscalls. The pipe must hold a
 * whole request (a buffer per page of data, plus one: splicePipeSize), 2 MiB
 * for a 1 MiB max_write: past pipe-max-size (1 MiB by default) that takes
 * CAP_SYS_RESOURCE or a raised sysctl; without them the channel reads as
 * before. (1 GiB dd with pipe-max-size raised: 1.1-1.2 GB/s against
 * 0.97-1.0, server CPU 570-650 against 740-760 ms.) A max_write of 1016
 * KiB fits the default pipe, but each 1 MiB write(2) then takes two
 * requests: dd +5%, the bench's buffered writes unchanged (1046 against
 * 1064 MB/s, five rounds), so max_write stays 1 MiB.
 *
 * Measured and not kept:
 * - FUSE over io_uring (kernel 6.14+, fuse.enable_uring, off by default).
 *   It can be driven from Node with koffi alone (scripts/bench/channel-uring.ts:
 *   io_uring_setup, the rings mmapped and read through koffi.view, one
 *   COMMIT_AND_FETCH per request), and it works; it is not faster here.
 *   bench-channel, hello statx round trip, 3 rounds: waiting in
 *   io_uring_enter 11.0-11.5 µs pinned against 8.6 for a blocking read loop
 *   and 8.1 for this channel; unpinned 116-137 against 38 (like every
 *   design that sleeps). Polling the completion ring needs COOP or
 *   DEFER_TASKRUN (otherwise each request IPIs the polling CPU to copy the
 *   request in: 113 µs unpinned); then 40 µs unpinned, as here, but 14
 *   pinned, and only two clients at once gain (41 against 30-34k calls/s).
 *   The kernel's side per request (task work copying the request in, the
 *   uring_cmd commit) costs more than a read(2) and a write(2) on this
 *   machine. And a real channel would still need somewhere to sleep: the
 *   event loop cannot wait on the ring, so a worker in io_uring_enter, the
 *   hop this channel's SIGIO design exists to avoid.
 * - Following a big writer's CPU. 1 MiB O_DIRECT writes (dd onto tmpfs)
 *   run at 1.7-1.9 GB/s when the server and dd share a CPU and 1.0-1.2
 *   when they do not: the read(2) of each WRITE copies dd's pages, still in
 *   the other CPU's cache, and that copy is most of the difference (perf:
 *   memcpy under fuse_copy_folio). Pinned alike, devfuse is 0.87-0.95x of
 *   libfuse's passthrough_ll either way; unpinned, passthrough_ll's worker
 *   threads keep migrating (perf sched: 238 dd and 70 server migrations
 *   per 512 writes, against 8 and 4 here, and 0 and 1 for passthrough_ll
 *   -s), which often lands its reader on dd's CPU. A prototype that moved
 *   this thread to the writer's CPU (/proc/<pid>/stat, sched_setaffinity,
 *   the mask restored at once) did not hold: the reply wakes dd while we
 *   still run on its CPU, so the scheduler moves dd to the idle one. FUSE's
 *   wake-ups are not "sync" wake-ups, which is what would keep the pair
 *   together; pinning both is the caller's choice, not the server's.
 *
 * Caveats: SIGIO is process-wide (its default action kills the process, so
 * the listener is installed before O_ASYNC is set and removed after it is
 * cleared); signals reach only the main thread, so a session in a worker
 * thread uses the thread-pool fallback (`mode: 'threadpool'`).
 */
// From the defining module, not '../protocol': see the note in session.ts.
import fs from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { Errno } from '../../protocol/errno';
import { Opcode } from '../../protocol/constants';
import { peekLength, peekOpcode, peekPid } from '../../protocol/header';
import { HEADER_ROOM, readBufferSize, type Channel, type ChannelCloseReason, type ReadFence, type RequestSink } from '../core/channel';
import { deviceRead, deviceWrite, errno, fileFlags, setAsyncIo, setFileFlags, yieldCpu } from './device-io';
import { O_ASYNC } from '../../linux/constants';
import { DEFAULT_BUSY_POLL, DEFAULT_STREAM_POLL, PollWindow } from '../accel/poll-window';
import { systemColocation, type Colocation } from '../accel/colocate/colocate';
import { SplicePipe, SpliceReader, splicePipeSize } from '../accel/splice';
import type { SplicedData } from '../../api/spliced';

/** IOV_MAX on Linux: the most buffers one writev(2) takes. */
const IOV_MAX = 1024;

/** A WRITE of this many bytes or more (headers included) polls with the stream window after it. */
const BIG_WRITE = 64 * 1024;

/** Requests read per callback before yielding to the event loop, so timers and I/O are not starved. */
const BATCH = 64;

/** Requests found in one drain that wake the data workers (data-workers.ts). */
const WORKER_QUEUE = 3;

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
  /**
   * The longest busy-poll for the next request before sleeping, µs (default
   * 50; 0: never poll). The window adapts below it: poll-window.ts.
   */
  busyPoll?: number;
  /** The window after a big WRITE, µs (default DEFAULT_STREAM_POLL; nothing without busyPoll). */
  streamPoll?: number;
  /** Share the client's CPU in tight exchanges (colocate.ts); off by default. */
  colocate?: boolean;
}

const POLL_MISSED = -1;
const POLL_FAILED = -2;

export class DeviceChannel implements Channel {
  private bufferSize: number;
  private readonly pool: Buffer[] = [];
  private buf: Buffer;
  private sink: RequestSink | null = null;
  private onClose: ((r: ChannelCloseReason) => void) | null = null;
  private closed = false;
  private scheduled = false;
  /** The fd's status flags with O_ASYNC set (sigio mode, once started). */
  private asyncFlags = -1;
  /** O_ASYNC is off while a burst of requests is drained (see the file comment). */
  private quiet = false;
  private keepAlive: NodeJS.Timeout | null = null;
  private readonly mode: 'sigio' | 'threadpool';
  private readonly ownsFd: boolean;
  private readonly onSignal = (): void => this.drain();
  private busy: () => boolean = () => false;
  private readonly window: PollWindow;
  /** The window after a big WRITE (stream_poll): a writer's next block is further off than a round trip. */
  private readonly streamWindow: PollWindow;
  /** The request delivered last was a big WRITE. */
  private afterBigWrite = false;
  private pollErrno = 0;
  private readonly coloc: Colocation | null;
  private draining = false;
  private burst: (() => void) | null = null;
  private fence: ReadFence | null = null;
  /** Big WRITEs by splice, once enableSplice() succeeded (splice.ts). */
  private splicer: SpliceReader | null = null;
  /** The data of the WRITE just read through the pipe, for the sink. */
  private spliced: (SplicedData & { discard(): void }) | null = null;

  constructor(
    readonly fd: number,
    opts: DeviceChannelOptions = {},
  ) {
    this.bufferSize = opts.bufferSize ?? readBufferSize(128 * 1024);
    this.buf = Buffer.allocUnsafe(this.bufferSize);
    this.mode = opts.mode ?? (isMainThread ? 'sigio' : 'threadpool');
    this.ownsFd = opts.ownsFd ?? true;
    this.window = new PollWindow(opts.busyPoll ?? DEFAULT_BUSY_POLL);
    this.streamWindow = new PollWindow(this.window.max > 0 ? (opts.streamPoll ?? DEFAULT_STREAM_POLL) : 0);
    // It works through polling (the reply's wake-up, then the poll): not without it, nor off the SIGIO mode.
    this.coloc = opts.colocate && this.window.max > 0 && this.mode === 'sigio' ? systemColocation() : null;
  }

  start(sink: RequestSink, onClose: (reason: ChannelCloseReason) => void, busy?: () => boolean): void {
    this.sink = sink;
    this.onClose = onClose;
    if (busy) this.busy = busy;
    // The session must keep the process alive while mounted; signal listeners do not.
    this.keepAlive = setInterval(() => undefined, 0x7fffffff);
    if (this.mode === 'sigio') {
      process.on('SIGIO', this.onSignal);
      setAsyncIo(this.fd, true);
      this.asyncFlags = fileFlags(this.fd);
      // Requests queued before O_ASYNC was set raised no signal (INIT, typically).
      this.drain();
    } else {
      this.readAsync();
    }
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

  private drain(): void {
    this.scheduled = false;
    this.draining = true;
    try {
      if (!this.drainBatch()) {
        // Off to sleep in the event loop: at normal priority (colocate.ts).
        this.coloc?.sleep();
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
      setImmediate(() => this.drain());
    }
  }

  /** Reads and delivers up to BATCH requests; false once the queue is empty (or the channel done). */
  private drainBatch(): boolean {
    let missed = false;
    for (let i = 0; i < BATCH && !this.closed; i++) {
      const n = this.read();
      if (n >= 0) {
        this.deliver(n);
        // A second request in one drain: a burst. Its signals would only interrupt us; poll until it ends.
        if (i === 1 && !this.quiet && this.asyncFlags >= 0) this.setQuiet(true);
        // A queue of several: worth another thread (a pair is the ordinary QD1 rhythm: our reply
        // wakes the client, whose next request arrives before we read again).
        if (i === WORKER_QUEUE) this.burst?.();
        continue;
      }
      const e = errno();
      if (e !== Errno.EAGAIN) {
        if (this.readError(e)) continue;
        return false;
      }
      // The queue is empty. Poll for the next request, unless the filesystem is still working on one.
      if (!missed && !this.busy()) {
        const m = this.poll();
        if (m >= 0) {
          this.deliver(m);
          continue;
        }
        if (m === POLL_FAILED) {
          if (this.readError(this.pollErrno)) continue;
          return false;
        }
        missed = true;
      }
      if (!this.quiet) return false;
      // The burst is over: signals back on, then one more read for a request queued in between.
      this.setQuiet(false);
    }
    return true;
  }

  /**
   * Busy-polls for the next request for up to the window poll-window.ts
   * decides, with O_ASYNC off so the request raises no signal, yielding the
   * CPU between reads (a client on our CPU runs at once). Only while nothing
   * is in flight: a filesystem's asynchronous work completes on this thread,
   * and polling would hold it up. Returns the bytes read, POLL_MISSED, or
   * POLL_FAILED (pollErrno says why).
   */
  private poll(): number {
    const w = this.afterBigWrite && this.streamWindow.max > 0 ? this.streamWindow : this.window;
    const window = this.asyncFlags < 0 ? 0 : w.next();
    if (window <= 0) return POLL_MISSED;
    if (!this.quiet) this.setQuiet(true);
    const start = performance.now();
    const until = start + window / 1000;
    let last = start;
    let gap = 0;
    let n: number;
    for (;;) {
      yieldCpu();
      n = this.read();
      if (n >= 0) {
        w.hit();
        break;
      }
      const e = errno();
      if (e !== Errno.EAGAIN) {
        this.pollErrno = e;
        n = POLL_FAILED;
        break;
      }
      const t = performance.now();
      if (t - last > gap) gap = t - last;
      last = t;
      if (t >= until) {
        w.missed();
        n = POLL_MISSED;
        break;
      }
    }
    this.coloc?.polled(start, performance.now(), gap);
    return n;
  }

  /**
   * The sink has answered everything it had in flight, outside a drain (an
   * asynchronous filesystem's last reply): the client's next request may
   * be moments away, so drain (and poll) once other event-loop work ran.
   */
  idle(): void {
    if (this.draining || this.closed || this.scheduled || this.window.max <= 0 || this.asyncFlags < 0) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  private setQuiet(quiet: boolean): void {
    // If the fcntl fails, O_ASYNC simply stays as it was: with it on, a burst costs signals; with it off,
    // the next drain (already scheduled while quiet) turns it back on.
    if (setFileFlags(this.fd, quiet ? this.asyncFlags & ~O_ASYNC : this.asyncFlags) === 0) this.quiet = quiet;
  }

  /** One nonblocking read; with data workers, inside a read window (shared-write-order.ts). */
  private read(): number {
    if (this.splicer?.active) {
      const n = this.splicer.read(this.fd, this.buf, this.bufferSize);
      this.spliced = this.splicer.take();
      return n;
    }
    if (!this.fence) return deviceRead(this.fd, this.buf);
    this.fence.openWindow();
    const n = deviceRead(this.fd, this.buf);
    if (n < 0) this.fence.closeWindow();
    return n;
  }

  private deliver(n: number): void {
    const buf = this.buf;
    const spliced = this.spliced;
    this.spliced = null;
    // A big WRITE read the ordinary way: the ones after it come through the pipe.
    if (!spliced) this.splicer?.seen(buf, n);
    // fuse_in_header.len counts WRITE data left in the splice pipe too.
    this.afterBigWrite = peekOpcode(buf) === Opcode.WRITE && peekLength(buf) >= BIG_WRITE;
    // fuse_in_header.pid: the caller, whose CPU colocation may move to.
    this.coloc?.request(peekPid(buf));
    // A WRITE is recorded by the sink's synchronous dispatch: its read window closes after it, any other now.
    const fence = this.fence;
    const recordsWrite = fence !== null && peekOpcode(buf) === Opcode.WRITE;
    if (fence && !recordsWrite) fence.closeWindow();
    try {
      if (this.sink!(buf, n, spliced ?? undefined)) this.buf = this.takeBuffer();
    } finally {
      // The sink must have taken spliced data; if not, it leaves the pipe here, before the next request.
      spliced?.discard();
      if (recordsWrite) fence!.closeWindow();
    }
  }

  enableSplice(): boolean {
    if (this.splicer) return true;
    if (this.mode !== 'sigio' || this.closed || this.fence) return false;
    try {
      this.splicer = new SpliceReader(new SplicePipe(splicePipeSize(this.bufferSize - HEADER_ROOM)));
    } catch {
      return false;
    }
    return true;
  }

  /** Colocation's counters (colocate.ts); undefined when it is off or unavailable. */
  get colocateStats(): { readonly moves: number; readonly stalls: number; readonly rescues: number } | undefined {
    return this.coloc ?? undefined;
  }

  /** Requests read through the splice pipe, and WRITEs whose data stayed in it (undefined: no splicing). */
  get spliceStats(): { readonly reads: number; readonly writes: number } | undefined {
    return this.splicer?.stats;
  }

  attachWorkers(burst: () => void, fence: ReadFence | null): boolean {
    // The thread-pool mode reads without a window, and runs where workers gain nothing; nor with splicing.
    if (this.mode !== 'sigio' || this.closed || this.splicer) return false;
    this.burst = burst;
    this.fence = fence;
    return true;
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

  write(data: Buffer | readonly Buffer[]): number {
    return this.writeTo(this.fd, data);
  }

  writeTo(fd: number, data: Buffer | readonly Buffer[]): number {
    // Also after close: a data worker's fd may be closed (and its number reused) once this channel is.
    if (this.closed) return Errno.ENODEV;
    this.coloc?.reply();
    // One buffer (most replies): write(2) through koffi, 0.18 µs against 0.31 for fs.writeSync, which
    // also throws on failure. Several: fs.writevSync (0.38 µs), which takes a Buffer list as it is.
    const one = Buffer.isBuffer(data) ? data : data.length === 1 ? data[0]! : null;
    if (one) {
      for (;;) {
        if (deviceWrite(fd, one, one.length) >= 0) return 0;
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
        setAsyncIo(this.fd, false);
      } catch {
        // the fd may already be gone
      }
      process.removeListener('SIGIO', this.onSignal);
    }
    if (this.keepAlive) clearInterval(this.keepAlive);
    // Kept (closed) for its counters.
    this.splicer?.close();
    this.coloc?.close();
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
