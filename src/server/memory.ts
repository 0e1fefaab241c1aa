/**
 * Handing freed memory back to the operating system, for servers whose
 * filesystem drops large buffers (memfs after an `rm`): see
 * docs/memfs-memory.md for why neither step happens by itself.
 *
 *  1. A full garbage collection: a dropped Buffer's memory is freed only
 *     when the collector finds it, and an idle process does not collect.
 *     `gc` is V8's, obtained without --expose-gc by setting the flag for a
 *     moment and taking the function from a fresh context.
 *  2. glibc's malloc_trim(0): freed heap memory (chunks below the mmap
 *     threshold, which grows after large frees) stays in the process
 *     otherwise. Skipped where there is no glibc.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { libc } from '../linux/libc';

let gcFn: (() => void) | null | undefined;
let trimFn: ((pad: number) => number) | null | undefined;

function gc(): (() => void) | null {
  if (gcFn !== undefined) return gcFn;
  const global = (globalThis as { gc?: () => void }).gc;
  if (typeof global === 'function') return (gcFn = global);
  try {
    v8.setFlagsFromString('--expose-gc');
    const f = vm.runInNewContext('gc') as unknown;
    gcFn = typeof f === 'function' ? (f as () => void) : null;
  } catch {
    gcFn = null;
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
  return gcFn;
}

function mallocTrim(): ((pad: number) => number) | null {
  if (trimFn !== undefined) return trimFn;
  try {
    trimFn = libc().malloc_trim;
  } catch {
    trimFn = null;
  }
  return trimFn;
}

/** How much of releaseFreedMemory this process can do. */
export function memoryReleaseSupport(): { gc: boolean; mallocTrim: boolean } {
  return { gc: gc() !== null, mallocTrim: mallocTrim() !== null };
}

/**
 * Collects garbage and gives the heap's free memory back (malloc_trim);
 * trims once more shortly after, for buffers the collector frees on its
 * background threads. Synchronous: a few milliseconds, plus ~0.1 s per GiB
 * handed back. Pass it to memfs({ releaseMemory }).
 */
export function releaseFreedMemory(): void {
  gc()?.();
  const trim = mallocTrim();
  if (!trim) return;
  trim(0);
  setTimeout(() => trim(0), 200).unref();
}
