/**
 * How long the device channel busy-polls for the next request before it
 * goes to sleep, adapted to whether polling has been catching requests
 * (in the spirit of the guest haltpoll cpuidle governor, for one queue).
 *
 * Why poll at all: a request that finds the server asleep pays a wake-up,
 * and when the client and the server sit on different CPUs that wake-up is
 * an inter-processor interrupt to a halted CPU. On the 2-CPU VM this was
 * measured on, that costs tens of microseconds (a whole statx round trip
 * takes 7-9 µs when both sides share one CPU), and a client that sends its
 * next request a few microseconds after our reply (a path walk, a stat
 * loop, QD1 reads) pays it every time. Polling for a few tens of
 * microseconds with the SIGIO signal off catches that request with no
 * wake-up at all: statx round trip 74 → 18-22 µs unpinned, and 8.7 → 6.6 µs
 * with both on one CPU (the poll yields the CPU between reads, so a client
 * on our CPU runs at once).
 *
 * Why adapt: polling burns CPU whenever the next request does not come.
 * A poll that catches a request sets the window back to the maximum; one
 * that misses halves it, and below a quarter of the maximum it is zero. At
 * zero the channel sleeps at once, but probes with one full window after 1,
 * 2, 4 ... 64 idle moments (doubling after each probe that misses), so a
 * server whose traffic turns into a tight exchange starts polling again.
 * A server with sparse requests thus stops polling after a few of them and
 * then spends at most one window per 64 requests on probes; one in a tight
 * exchange polls just long enough to catch each request.
 */
/*
 * Tried and not kept: following the caller's CPU. The remaining cost of a
 * tight exchange is the reply waking the client on its (halted) CPU. A
 * prototype that pinned the server to the CPU the caller last ran on
 * (/proc/<pid>/stat) and went SCHED_IDLE while it wrote the reply and
 * polled, so that the scheduler counts that CPU as idle and keeps the
 * client there, reached the one-CPU figure unpinned (statx round trip 20 →
 * 9.7 µs). But with one CPU-bound process per CPU the same prototype took
 * 3.2 ms per statx against 20 µs for plain polling: a SCHED_IDLE thread
 * pinned beside a busy task barely runs. A server must not have that
 * failure mode by default, so polling stays at the normal priority,
 * unpinned. The guarded form of the idea, not pinned and not SCHED_IDLE
 * while the machine is busy or the server asleep, is -o colocate
 * (colocate.ts), off by default.
 */

export { DEFAULT_BUSY_POLL, DEFAULT_STREAM_POLL } from '../options/session';

const MAX_BACKOFF = 64;

export class PollWindow {
  /** The current window, µs (0: sleep at once, apart from probes). */
  current: number;
  private idles = 0;
  private backoff = 1;

  /** `max`: the largest window, µs (0 turns polling off). */
  constructor(readonly max: number) {
    this.current = Math.max(0, max);
  }

  /** The queue is empty and nothing is in flight: how long to poll now, µs (0: sleep). */
  next(): number {
    if (this.current > 0 || this.max <= 0) return this.current;
    if (++this.idles < this.backoff) return 0;
    this.idles = 0;
    return this.max;
  }

  /** The poll caught a request. */
  hit(): void {
    this.current = this.max;
    this.backoff = 1;
  }

  /** The poll ran its window out. */
  missed(): void {
    if (this.current > 0) this.current = this.current / 2 < this.max / 4 ? 0 : this.current / 2;
    else this.backoff = Math.min(MAX_BACKOFF, this.backoff * 2);
  }
}
