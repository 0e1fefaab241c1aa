/**
 * A deliberately reordering backend: wraps any filesystem so that writes
 * are applied after a random delay while everything else runs at once.
 * Concurrent requests then complete out of order, as they would with a slow
 * or remote store, which is exactly the condition under which an O_DIRECT
 * read could overtake a cached write. Tests use it to prove the dispatcher's
 * ordering rule holds against a hostile backend.
 */
import type { Filesystem } from '../api/filesystem';

export interface ReorderOptions {
  /** Smallest and largest delay of a write, in milliseconds (default 1..20). */
  writeDelayMs?: [number, number];
  /** Delay of reads (default none). */
  readDelayMs?: [number, number];
  /** Random source, for reproducible runs. */
  random?: () => number;
}

function delay(range: [number, number] | undefined, random: () => number): Promise<void> | null {
  if (!range) return null;
  const ms = range[0] + random() * (range[1] - range[0]);
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : null;
}

/** Seeded PRNG (mulberry32), so a failing run can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function reorderingBackend(inner: Filesystem, opts: ReorderOptions = {}): Filesystem {
  const random = opts.random ?? Math.random;
  const writeDelay = opts.writeDelayMs ?? [1, 20];
  // Every method of the inner filesystem (own or inherited from a class), bound to it,
  // so the wrapper implements exactly the operations the inner one does.
  const outer: Filesystem = {};
  const names = new Set<string>();
  for (let o: object | null = inner; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const k of Object.getOwnPropertyNames(o)) if (k !== 'constructor') names.add(k);
  }
  for (const key of names) {
    const v = (inner as Record<string, unknown>)[key];
    if (typeof v === 'function') (outer as Record<string, unknown>)[key] = (v as (...a: unknown[]) => unknown).bind(inner);
  }
  if (inner.write) {
    const write = inner.write.bind(inner);
    outer.write = async (ctx, ino, fh, offset, data, info) => {
      // The payload view is only valid until we answer: keep our own copy across the delay.
      const copy = Buffer.from(data);
      await delay(writeDelay, random);
      return write(ctx, ino, fh, offset, copy, info);
    };
  }
  if (inner.read && opts.readDelayMs) {
    const read = inner.read.bind(inner);
    outer.read = async (ctx, ino, fh, offset, size, info) => {
      await delay(opts.readDelayMs, random);
      return read(ctx, ino, fh, offset, size, info);
    };
  }
  return outer;
}
