/**
 * Timestamps with nanoseconds, as the kernel keeps them (devfuse negotiates
 * a 1 ns time granularity at INIT).
 *
 * Date.now() has only milliseconds, and process.hrtime is monotonic but not
 * wall-clock: the clock is the wall time at start plus the monotonic time
 * elapsed since, which gives nanosecond resolution and never goes backwards
 * (a later stamp is never older than an earlier one, so make(1) and
 * relatime comparisons stay sane even if the system clock is stepped).
 */
import type { Timespec } from '../../api/filesystem';

export interface Clock {
  now(): Timespec;
}

export function systemClock(): Clock {
  const base = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
  return {
    now(): Timespec {
      const ns = base + process.hrtime.bigint();
      return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
    },
  };
}

/** a < b, a == b, a > b → -1, 0, 1. */
export function compareTime(a: Timespec, b: Timespec): number {
  if (a.sec !== b.sec) return a.sec < b.sec ? -1 : 1;
  return a.nsec === b.nsec ? 0 : a.nsec < b.nsec ? -1 : 1;
}
