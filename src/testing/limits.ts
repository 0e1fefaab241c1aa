/**
 * The bounds every conversation with a filesystem under test stays within,
 * in one place: the emulator (deadlines, requests), the Vfs helpers (bytes
 * read, entries listed) and the conformance runner (scenario time, memory)
 * all read them from here. A filesystem that breaks one gets a failure that
 * names the limit, never a loop or a hang.
 */
export interface Limits {
  /** Milliseconds a request may stay unanswered (`--timeout`). */
  timeoutMs: number;
  /** Wall-clock milliseconds one scenario may take, all its requests together (raised with `ops`: 5 ms each). */
  scenarioMs: number;
  /** Bytes one read loop (Vfs.readFile) takes before it stops: a file that keeps growing, a read past EOF that returns data. */
  maxFileBytes: number;
  /** Entries one directory listing (Vfs.readdir) takes before it stops: cookies that never end. */
  maxDirEntries: number;
  /** Requests one emulator may send: a backstop for any loop driven by the filesystem's answers (the kit's scenarios send at most ~1000 per emulator). */
  maxRequests: number;
  /** Resident memory of the process running a scenario (the child's cap under process isolation). */
  memoryBytes: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  timeoutMs: 5000,
  scenarioMs: 30_000,
  maxFileBytes: 64 << 20,
  maxDirEntries: 100_000,
  maxRequests: 100_000,
  memoryBytes: 1 << 30,
});

/** The defaults with `over` applied; rejects values that are not positive integers. */
export function resolveLimits(over: Partial<Limits> = {}): Limits {
  const l = { ...DEFAULT_LIMITS, ...over };
  for (const [k, v] of Object.entries(l)) {
    if (!Number.isSafeInteger(v) || v <= 0) throw new RangeError(`limit ${k} must be a positive integer, got ${String(v)}`);
  }
  return l;
}

/** A limit was reached: the filesystem's answers would have kept the kit going without end. */
export class LimitExceeded extends Error {
  override readonly name = 'LimitExceeded';
  constructor(
    readonly limit: keyof Limits,
    message: string,
  ) {
    super(message);
  }
}
