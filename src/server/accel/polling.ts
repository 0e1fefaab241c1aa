/**
 * Busy-polling (-o busy_poll=, stream_poll=): when the queue is empty and
 * nothing is in flight, the device channel keeps reading for a few tens of
 * microseconds, its signal off and yielding the CPU between reads, before
 * it goes to sleep. A client whose next request comes right after our reply
 * then finds the server awake instead of paying a wake-up. The window
 * adapts (poll-window.ts); after a big WRITE a second, longer window waits
 * for a streaming writer's next block. -o colocate rides on it
 * (colocate/colocate.ts). What it gains and costs: docs/design/polling.md.
 *
 * Plugs into the read loop's `idle` hook (the poll itself), `arriving`
 * (was it a big WRITE; colocation's caller), `sleeping`, `replying` and
 * `closed` (colocation), and the session's `settling` and `settled` (the
 * last answer in flight of an asynchronous filesystem: written with the
 * signal off, then the channel drains and polls at once, from that
 * microtask, for the client's next request).
 */
import { Opcode } from '../../protocol/constants';
import { peekLength, peekOpcode, peekPid } from '../../protocol/header';
import { READ_EMPTY, READ_FAILED, type Hooks, type ReadLoop } from '../core/hooks';
import { yieldCpu } from '../device/device-io';
import type { Colocation } from './colocate/colocate';
import { PollWindow } from './poll-window';

/** A WRITE of this many bytes or more (headers included) polls with the stream window after it. */
export const BIG_WRITE = 64 * 1024;

/** Time and the CPU, as the poll sees them (a fake in tests). */
export interface PollClock {
  /** Milliseconds, monotonic (performance.now()). */
  now(): number;
  /** Lets a task that shares this CPU (the client we poll for) run: sched_yield(2). */
  yieldCpu(): void;
}

export const SYSTEM_CLOCK: PollClock = { now: () => performance.now(), yieldCpu };

export interface PollingOptions {
  /** The longest window, µs (busy_poll=; 0: none). */
  readonly busyPoll: number;
  /** The longest window after a big WRITE, µs (stream_poll=; 0: the ordinary one). */
  readonly streamPoll: number;
}

export class Polling {
  /** The ordinary window. */
  readonly window: PollWindow;
  /** The window after a big WRITE (stream_poll): a writer's next block is further off than a round trip. */
  readonly streamWindow: PollWindow;
  /** The request delivered last was a big WRITE. */
  private afterBigWrite = false;
  readonly hooks: Hooks;

  constructor(
    o: PollingOptions,
    /** Whether the session has requests in flight: their completions need this thread, so no poll then. */
    private readonly busy: () => boolean,
    /** The loop to wake when the session settles. */
    loop: ReadLoop,
    private readonly coloc: Colocation | null = null,
    private readonly clock: PollClock = SYSTEM_CLOCK,
  ) {
    this.window = new PollWindow(o.busyPoll);
    this.streamWindow = new PollWindow(this.window.max > 0 ? o.streamPoll : 0);
    const hooks: Hooks = {
      arriving: coloc
        ? (buf) => {
            this.arriving(buf);
            // fuse_in_header.pid: the caller, whose CPU colocation may move to.
            coloc.request(peekPid(buf));
          }
        : (buf) => this.arriving(buf),
      idle: (l) => this.poll(l),
      // The last answer in flight of an asynchronous filesystem. Signals off while it is written: the client's
      // next request would raise one, though the drain below reads it.
      settling: () => {
        if (this.window.max > 0 && loop.signalDriven) loop.quiet();
      },
      // Written: the client's next request is queued already or moments away. Read it from here rather than
      // from a signal or the next turn of the event loop (each cost a statx round trip several µs).
      settled: () => {
        if (this.window.max > 0) loop.drainNow();
      },
    };
    if (coloc) {
      // Off to sleep in the event loop: at normal priority.
      hooks.sleeping = () => coloc.sleep();
      hooks.replying = () => coloc.reply();
      hooks.closed = () => coloc.close();
    }
    this.hooks = hooks;
  }

  private arriving(buf: Buffer): void {
    // fuse_in_header.len counts WRITE data left in a splice pipe too.
    this.afterBigWrite = peekOpcode(buf) === Opcode.WRITE && peekLength(buf) >= BIG_WRITE;
  }

  /** The window the next poll takes: the stream one after a big WRITE. */
  get current(): PollWindow {
    return this.afterBigWrite && this.streamWindow.max > 0 ? this.streamWindow : this.window;
  }

  /**
   * Busy-polls for the next request for up to the window poll-window.ts
   * decides, with the signal off so the request raises none, yielding the
   * CPU between reads (a client on our CPU runs at once). Only while nothing
   * is in flight: a filesystem's asynchronous work completes on this thread,
   * and polling would hold it up. Returns what readNext returned last.
   */
  private poll(loop: ReadLoop): number {
    if (this.busy() || !loop.signalDriven) return READ_EMPTY;
    const w = this.current;
    const window = w.next();
    if (window <= 0) return READ_EMPTY;
    loop.quiet();
    const clock = this.clock;
    const start = clock.now();
    const until = start + window / 1000;
    let last = start;
    let gap = 0;
    let n: number;
    for (;;) {
      clock.yieldCpu();
      n = loop.readNext();
      if (n >= 0) {
        w.hit();
        break;
      }
      if (n === READ_FAILED) break;
      const t = clock.now();
      if (t - last > gap) gap = t - last;
      last = t;
      if (t >= until) {
        w.missed();
        break;
      }
    }
    this.coloc?.polled(start, clock.now(), gap);
    return n;
  }
}
