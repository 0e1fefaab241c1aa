/**
 * The writeback/direct-IO ordering rule across threads (write-order.ts says
 * what the rule is), for sessions whose READ and WRITE are also served by
 * data workers (data-workers.ts) on cloned /dev/fuse fds.
 *
 * One thread's WriteOrder cannot see a WRITE another thread read, so the
 * in-flight writes live in a SharedArrayBuffer every thread maps:
 *
 *   slots   a fixed table of (ino, start, end, unique) with a generation per
 *           slot: odd while a write holds it, even when free. A write claims
 *           a free slot with a compare-exchange and frees it with an add,
 *           then wakes whoever waits on that slot (Atomics.notify).
 *   windows one counter per thread, odd from just before it reads the
 *           device until the request it read is recorded (a WRITE) or known
 *           not to be one. A direct request, once read, first waits for
 *           every other thread's open window to close: a WRITE queued before
 *           it may have been read by a thread that has not recorded it yet.
 *           Windows hold no waits (a WRITE is recorded before it waits for
 *           anything), so this wait is a few microseconds and never circular.
 *
 * Then it collects the overlapping slots whose unique is below its own (the
 * kernel numbers requests in queue order) and waits until each slot's
 * generation moves on. A slot being claimed while we scan may show its
 * previous tenant's range; at worst that makes us wait for a write that did
 * not need waiting for, never the reverse.
 *
 * A linear scan, bounded by the highest slot ever used: the writes in flight
 * are bounded by the kernel (max_background plus one per writing thread),
 * so the table stays short and a scan is a few hundred nanoseconds.
 */
import { interruptible, type WriteOrdering, type WriteRecord } from '../../core/write-order';

/** Slots in the table: far more writes than the kernel keeps in flight. */
export const SLOTS = 4096;
/** Threads that may take part: the main thread and up to MAX_THREADS - 1 workers. */
export const MAX_THREADS = 64;

// Int32 words: [HIGH, FREED, THREADS] header, then gen[SLOTS], then win[MAX_THREADS].
const HIGH = 0;
const FREED = 1;
const THREADS = 2;
const GEN = 4;
const WIN = GEN + SLOTS;
const I32_WORDS = WIN + MAX_THREADS;
// Float64 words after them: slot i holds ino, start, end, unique.
const F64_OFFSET = Math.ceil((I32_WORDS * 4) / 8) * 8;
const BYTES = F64_OFFSET + SLOTS * 4 * 8;

/** Atomics.waitAsync (V8, Node 16+), which the ES2022 lib this project compiles against does not declare. */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

interface SharedRecord extends WriteRecord {
  readonly slot: number;
}

export class SharedWriteOrder implements WriteOrdering {
  /** Direct requests that had to wait (this thread's count). */
  waits = 0;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;

  /** A new table; `thread` 0 is the main thread's. */
  static create(): SharedWriteOrder {
    return new SharedWriteOrder(new SharedArrayBuffer(BYTES), 0);
  }

  /** Maps `buffer` (from another thread's `.buffer`) as thread number `thread`. */
  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly thread: number,
  ) {
    if (buffer.byteLength !== BYTES) throw new Error(`SharedWriteOrder: a ${buffer.byteLength}-byte buffer, expected ${BYTES}`);
    if (!Number.isInteger(thread) || thread < 0 || thread >= MAX_THREADS) throw new Error(`SharedWriteOrder: thread ${thread} is not in [0, ${MAX_THREADS})`);
    this.i32 = new Int32Array(buffer, 0, I32_WORDS);
    this.f64 = new Float64Array(buffer, F64_OFFSET, SLOTS * 4);
    // Fences look at the windows of threads that exist, not all MAX_THREADS.
    for (let n = Atomics.load(this.i32, THREADS); n < thread + 1; n = Atomics.load(this.i32, THREADS)) Atomics.compareExchange(this.i32, THREADS, n, thread + 1);
  }

  /** This thread is about to read the device: a request it gets is not recorded yet. */
  openWindow(): void {
    Atomics.add(this.i32, WIN + this.thread, 1);
  }

  /** The request this thread read is recorded (or is no WRITE). */
  closeWindow(): void {
    Atomics.add(this.i32, WIN + this.thread, 1);
    Atomics.notify(this.i32, WIN + this.thread);
  }

  /**
   * Closes thread `thread`'s window if it was left open: a worker that died
   * between a read and its record must not hold every direct request of
   * the other threads forever.
   */
  releaseWindow(thread = this.thread): void {
    const v = Atomics.load(this.i32, WIN + thread);
    if (v & 1 && Atomics.compareExchange(this.i32, WIN + thread, v, v + 1) === v) Atomics.notify(this.i32, WIN + thread);
  }

  begin(ino: number, offset: number, size: number, unique = 0): SharedRecord {
    const i32 = this.i32;
    for (;;) {
      // The lowest free slot: the scans of direct requests stop at the highest slot ever used, so
      // that stays near the most writes ever in flight at once (a rotating start had every scan
      // walk all 4096 slots after a few thousand writes: +8 µs per direct READ).
      for (let i = 0; i < SLOTS; i++) {
        const g = Atomics.load(i32, GEN + i);
        if (g & 1 || Atomics.compareExchange(i32, GEN + i, g, g + 1) !== g) continue;
        const end = offset + Math.max(size, 1);
        const f = i * 4;
        this.f64[f] = ino;
        this.f64[f + 1] = offset;
        this.f64[f + 2] = end;
        this.f64[f + 3] = unique;
        for (let h = Atomics.load(i32, HIGH); h < i + 1; h = Atomics.load(i32, HIGH)) Atomics.compareExchange(i32, HIGH, h, i + 1);
        return { start: offset, end, slot: i };
      }
      // Every slot taken: more writes in flight than the kernel allows; wait for one to end.
      Atomics.wait(i32, FREED, Atomics.load(i32, FREED), 1);
    }
  }

  end(_ino: number, w: WriteRecord): void {
    const i = (w as SharedRecord).slot;
    Atomics.add(this.i32, GEN + i, 1);
    Atomics.notify(this.i32, GEN + i);
    Atomics.add(this.i32, FREED, 1);
  }

  /**
   * The slots (and their generations) of the writes older than `before`
   * overlapping the range, once every thread that may hold an older
   * unrecorded WRITE has recorded it. Flat pairs: slot, generation.
   */
  overlapping(ino: number, offset: number, size: number, before: number): number[] {
    const i32 = this.i32;
    const threads = Atomics.load(i32, THREADS);
    for (let t = 0; t < threads; t++) {
      if (t === this.thread) continue;
      const v = Atomics.load(i32, WIN + t);
      // Windows are short and never wait for anything: this returns within microseconds.
      if (v & 1) Atomics.wait(i32, WIN + t, v);
    }
    const out: number[] = [];
    const high = Atomics.load(i32, HIGH);
    const from = offset;
    const to = offset + Math.max(size, 1);
    const f64 = this.f64;
    for (let i = 0; i < high; i++) {
      const g = Atomics.load(i32, GEN + i);
      if (!(g & 1)) continue;
      const f = i * 4;
      if (f64[f] === ino && f64[f + 1] < to && f64[f + 2] > from && f64[f + 3] < before) out.push(i, g);
    }
    return out;
  }

  /** For the main thread: waits on Atomics.waitAsync, so the event loop runs on. */
  waitFor(ino: number, offset: number, size: number, signal?: () => AbortSignal, before = Infinity): Promise<void> | null {
    const slots = this.overlapping(ino, offset, size, before);
    if (slots.length === 0) return null;
    this.waits++;
    const waits: Promise<unknown>[] = [];
    for (let k = 0; k < slots.length; k += 2) {
      const r = waitAsync(this.i32, GEN + slots[k]!, slots[k + 1]!);
      if (r.async) waits.push(r.value);
    }
    if (waits.length === 0) return null;
    return interruptible(
      Promise.all(waits).then(() => undefined),
      signal,
    );
  }

  /** For data workers: blocks this thread until the older overlapping writes have ended. */
  waitSync(ino: number, offset: number, size: number, before: number): void {
    const slots = this.overlapping(ino, offset, size, before);
    if (slots.length === 0) return;
    this.waits++;
    for (let k = 0; k < slots.length; k += 2) Atomics.wait(this.i32, GEN + slots[k]!, slots[k + 1]!);
  }

  /** How many slots a scan walks: the highest slot ever used, plus one (for tests). */
  get scanLength(): number {
    return Atomics.load(this.i32, HIGH);
  }

  /** Writes in flight on `ino` (for tests). */
  inflight(ino: number): number {
    let n = 0;
    const high = Atomics.load(this.i32, HIGH);
    for (let i = 0; i < high; i++) if (Atomics.load(this.i32, GEN + i) & 1 && this.f64[i * 4] === ino) n++;
    return n;
  }
}
