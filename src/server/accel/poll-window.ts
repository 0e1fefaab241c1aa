/**
 * How long the device channel busy-polls for the next request before it
 * goes to sleep, adapted to whether polling has been catching requests
 * (in the spirit of the guest haltpoll cpuidle governor, for one queue).
 *
 * A poll that catches a request sets the window back to the maximum; one
 * that misses halves it, and below a quarter of the maximum it is zero. At
 * zero the channel sleeps at once, but probes with one full window after
 * 1, 2, 4 ... 64 idle moments (doubling after each probe that misses), so
 * a server whose traffic turns into a tight exchange starts polling again.
 * Why poll, why adapt, and what it was measured to gain and cost:
 * docs/design/polling.md.
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
