/**
 * Locks.
 *
 * BSD flock(2) is passed through: flock on the fh, the source descriptor
 * of this open file. flock locks belong to the open file description,
 * exactly what a FUSE open file is, so conflicts between opens through the
 * mount and with processes using the source directly are both right.
 *
 * A waiting flock (no LOCK_NB) is never issued as a blocking call: it
 * would hold a thread-pool slot (async mode) or the event loop (sync mode)
 * until the holder unlocks, and the unlock is itself a request we must
 * serve — a deadlock once enough waiters pile up (or at once in sync mode).
 * Instead it polls with LOCK_NB, backing off from 1 ms to 50 ms, and gives
 * up with EINTR when the kernel interrupts the request (ctx.signal).
 * The cost is fairness: a waiter does not queue behind earlier ones.
 *
 * POSIX (fcntl) locks are left to the kernel: no getlk/setlk, so the
 * kernel does not negotiate POSIX_LOCKS and keeps them itself, correctly
 * among processes using the mount. Passing them through would need a lock
 * per FUSE lock owner, which a descriptor per open file cannot give:
 * F_SETLK on our fh would make every owner sharing the open file one
 * owner (and the server process itself the owner of them all), and
 * F_OFD_SETLK would conflict between two opens of one process, which POSIX
 * locks must not. What is lost: no coherence with fcntl locks taken on
 * the source directly.
 */
import type { RequestContext } from '../../api/filesystem';
import type { Core } from './core';
import { isPromise, rescue, then, type MaybePromise } from './io';
import { ERRNO, LOCK_NB, LOCK_UN } from './libc';

const FIRST_WAIT_MS = 1;
const MAX_WAIT_MS = 50;

export function flock(c: Core, ctx: RequestContext, fh: number, op: number): MaybePromise<void> {
  if (op & LOCK_NB || op === LOCK_UN) return c.run(c.L.flock, fh, op);
  return poll(c, ctx, fh, op | LOCK_NB, FIRST_WAIT_MS);
}

function poll(c: Core, ctx: RequestContext, fh: number, op: number, wait: number): MaybePromise<void> {
  return rescue(
    () => then(c.io.call(c.L.flock, fh, op), () => undefined),
    ERRNO.EAGAIN,
    () => later(ctx, wait, () => poll(c, ctx, fh, op, Math.min(MAX_WAIT_MS, wait * 2))),
  );
}

/** `f()` after `ms`, or EINTR if the request is interrupted first. */
function later(ctx: RequestContext, ms: number, f: () => MaybePromise<void>): Promise<void> {
  const signal = ctx.signal;
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason);
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      try {
        const r = f();
        if (isPromise(r)) r.then(resolve, reject);
        else resolve();
      } catch (e) {
        reject(e);
      }
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
