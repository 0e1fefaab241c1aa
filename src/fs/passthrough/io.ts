/**
 * The I/O adapter: how a libc call is made, written once for both modes.
 *
 * Every operation of the passthrough is written against `Io.call`, which
 * returns a value (sync mode) or a promise (async mode), and chains with
 * `then` below (dispatch.ts's helper, typed for continuations that may
 * themselves return promises), which applies a continuation at once to a
 * value and after resolution to a promise. So each operation exists once,
 * and in sync mode no promise is allocated (a waiting flock aside): the
 * dispatcher answers in the same tick.
 *
 * - 'sync': the call runs on the main thread (~0.3 µs per koffi call on
 *   tmpfs). It blocks the event loop for as long as the source takes.
 * - 'async': the call runs on the libuv thread pool (koffi `.async`,
 *   ~7-10 µs per hop). At most ASYNC_LIMIT calls are handed to koffi at once;
 *   more wait in a JS queue. koffi keeps 8 resident call pools and allocates
 *   a temporary one per call beyond them (and refuses past 256), while the
 *   pool has only 4 threads by default, so queueing more in koffi buys
 *   nothing and costs memory.
 *
 * Deadlock freedom in async mode rests on one rule: no call made through
 * here may wait on something that needs another thread-pool slot (or
 * another FUSE request) to finish. Blocking locks are therefore never
 * issued as blocking calls (locks.ts polls with LOCK_NB), FUSE never sends
 * OPEN for FIFOs (the kernel keeps them), and every other call here
 * completes on its own. The device channel reads on the main thread, so a
 * full pool never stops new requests from arriving.
 */
import { FuseError } from '../../api/errors';
import { errno, ERRNO, type Native } from './libc';

export type IoMode = 'sync' | 'async';
export type MaybePromise<T> = T | Promise<T>;

export interface Io {
  readonly mode: IoMode;
  /** Runs `f(...args)`; a negative result becomes a FuseError with errno (EINTR is retried). */
  call<A extends unknown[]>(f: Native<A>, ...args: A): MaybePromise<number>;
  /**
   * As call, but a failure is the FuseError as a value, not a throw: for
   * failures that are the expected answer (a negative lookup, ENODATA), so
   * that they reach the session without unwinding any stack.
   */
  tryCall<A extends unknown[]>(f: Native<A>, ...args: A): MaybePromise<number | FuseError>;
  /**
   * A buffer for a call's out-parameter. Sync mode hands out one shared
   * buffer per size class, valid until the next call; async mode a fresh
   * one, since calls overlap.
   */
  scratch(size: number): Buffer;
}

const errors: FuseError[] = [];

/**
 * The error for an errno. One instance per errno, reused: a negative lookup
 * (ENOENT) is a hot path, and capturing a stack per failure would cost more
 * than the syscall; the session reads only `errno` from it.
 */
export function sysError(e: number): FuseError {
  return (errors[e] ??= new FuseError(e > 0 ? e : ERRNO.EIO));
}

export function isPromise<T>(v: MaybePromise<T>): v is Promise<T> {
  return typeof (v as Promise<T> | null)?.then === 'function';
}

/**
 * `f(v)` now if `v` is a value, after it resolves if it is a promise: the
 * same as dispatch.ts's `then`, typed so that a continuation may itself
 * return a value or a promise.
 */
export function then<T, R>(v: MaybePromise<T>, f: (t: T) => MaybePromise<R>): MaybePromise<R> {
  return isPromise(v) ? v.then(f) : f(v);
}

/** Runs `f`; if it fails with errno `code`, answers `g()` instead. */
export function rescue<T>(f: () => MaybePromise<T>, code: number, g: () => MaybePromise<T>): MaybePromise<T> {
  const is = (e: unknown): boolean => e instanceof FuseError && e.errno === code;
  let r: MaybePromise<T>;
  try {
    r = f();
  } catch (e) {
    if (is(e)) return g();
    throw e;
  }
  if (!isPromise(r)) return r;
  return r.catch((e: unknown) => {
    if (is(e)) return g();
    throw e;
  });
}

/** Runs `step` until it answers false, staying synchronous for as long as it does. */
export function loop(step: () => MaybePromise<boolean>): MaybePromise<void> {
  for (;;) {
    const more = step();
    if (isPromise(more)) return more.then((m) => (m ? loop(step) : undefined));
    if (!more) return undefined;
  }
}

/** Runs `f`; if it throws or rejects, runs `cleanup` (closing an fd) and fails the same way. */
export function attempt<T>(f: () => MaybePromise<T>, cleanup: () => void): MaybePromise<T> {
  let r: MaybePromise<T>;
  try {
    r = f();
  } catch (e) {
    cleanup();
    throw e;
  }
  if (!isPromise(r)) return r;
  return r.catch((e: unknown) => {
    cleanup();
    throw e;
  });
}

class SyncIo implements Io {
  readonly mode = 'sync';
  private readonly buffers = new Map<number, Buffer>();

  call<A extends unknown[]>(f: Native<A>, ...args: A): number {
    const r = this.tryCall(f, ...args);
    // Not typeof === 'number': koffi answers a `long` past 2^53 (an ext4 directory cookie) as a bigint.
    if (r instanceof FuseError) throw r;
    return r;
  }

  tryCall<A extends unknown[]>(f: Native<A>, ...args: A): number | FuseError {
    for (;;) {
      const r = f(...args);
      if (r >= 0) return r;
      const e = errno();
      if (e !== ERRNO.EINTR) return sysError(e);
    }
  }

  scratch(size: number): Buffer {
    let b = this.buffers.get(size);
    if (!b) this.buffers.set(size, (b = Buffer.alloc(size)));
    return b;
  }
}

interface Pending {
  f: Native<unknown[]>;
  args: unknown[];
  resolve: (n: number) => void;
  reject: (e: unknown) => void;
}

/** koffi calls in flight at most (see the file comment). */
const ASYNC_LIMIT = Math.min(64, Math.max(8, 2 * (Number(process.env.UV_THREADPOOL_SIZE) || 4)));

class AsyncIo implements Io {
  readonly mode = 'async';
  private active = 0;
  /** Calls waiting for a slot, oldest first from `head` (an array used as a queue without O(n) shifts). */
  private queue: Pending[] = [];
  private head = 0;

  call<A extends unknown[]>(f: Native<A>, ...args: A): Promise<number> {
    return new Promise((resolve, reject) => {
      const p: Pending = { f: f as unknown as Native<unknown[]>, args, resolve, reject };
      if (this.active < ASYNC_LIMIT) this.start(p);
      else this.queue.push(p);
    });
  }

  tryCall<A extends unknown[]>(f: Native<A>, ...args: A): Promise<number | FuseError> {
    return this.call(f, ...args).catch((e: unknown) => {
      if (e instanceof FuseError) return e;
      throw e;
    });
  }

  scratch(size: number): Buffer {
    return Buffer.allocUnsafe(size);
  }

  private start(p: Pending): void {
    this.active++;
    try {
      p.f.async(...p.args, (err: unknown, r: number) => {
        this.active--;
        if (err) p.reject(err);
        else if (r >= 0) p.resolve(r);
        else {
          const e = errno();
          if (e === ERRNO.EINTR) return this.start(p);
          p.reject(sysError(e));
        }
        this.next();
      });
    } catch (e) {
      // koffi refused the call (its own limit is shared with every koffi user in the process).
      this.active--;
      p.reject(e);
      this.next();
    }
  }

  private next(): void {
    if (this.head === this.queue.length) return;
    const p = this.queue[this.head++]!;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    this.start(p);
  }
}

export function createIo(mode: IoMode): Io {
  return mode === 'sync' ? new SyncIo() : new AsyncIo();
}
