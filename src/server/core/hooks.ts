/**
 * The one seam between the core (the device channel's read loop, the
 * session) and the optional accelerations of src/server/accel: busy-poll
 * windows, colocation, splice, data workers. The core calls each hook at one
 * fixed place and knows nothing else about them; without hooks it is a plain
 * SIGIO read loop and a writer. docs/design/server.md shows where each is
 * called and which acceleration uses it.
 *
 * serve() builds the accelerations the options ask for (accel/index.ts) and
 * merges their hooks with plugHooks(): a hook has one owner at most, so each
 * call site makes one monomorphic call, or skips an undefined member, and a
 * request costs no allocation and no megamorphic call for them.
 */
import type { SplicedData } from '../../api/spliced';

/** What the idle hook may do with the read loop it is called from. */
export interface ReadLoop {
  /** One nonblocking read of the next request, as the loop makes it (read hook included): READ_EMPTY, READ_FAILED or its length. */
  readNext(): number;
  /** Whether requests wake the loop by signal (SIGIO); a poll only pays where they do. */
  readonly signalDriven: boolean;
  /** Turns the wake-up signal off until the loop next finds the queue empty: requests read by polling raise none. */
  quiet(): void;
  /** Drains the queue soon (after other event-loop work), as a signal would. */
  wake(): void;
  /**
   * Drains the queue now (from a microtask: the last asynchronous answer was
   * just written, the client's next request may already be queued), or
   * soon as wake() does after a chain of such drains.
   */
  drainNow(): void;
}

/** readNext(): nothing queued (EAGAIN). */
export const READ_EMPTY = -1;
/** readNext(): the read failed otherwise; the loop has the errno and handles it. */
export const READ_FAILED = -2;

/** What INIT (or CUSE_INIT) agreed, for accelerations that start then. */
export interface Agreed {
  readonly minor: number;
  readonly maxWrite: number;
  /** FUSE_SETXATTR_EXT: the decoder's layout of SETXATTR. */
  readonly setxattrExt: boolean;
}

export interface Hooks {
  // ---- the read loop (device/device-channel.ts), in the order a request meets them ----

  /** Reads the next request into `buf` in place of read(2) (splice; the data workers' read fence): its length, or -1 with errno() set. */
  read?(fd: number, buf: Buffer): number;
  /** Data of the request just read that is not in the buffer (a spliced WRITE's), handed to the sink with it. */
  outside?(): SplicedData | undefined;
  /** The request in buf[0, n) is about to be handed to the sink (colocation: its caller's CPU; poll windows: was it a big WRITE). */
  arriving?(buf: Buffer, n: number): void;
  /** The sink has returned from the request in buf[0, n) (the workers' read fence closes after a WRITE is recorded). */
  delivered?(buf: Buffer, n: number): void;
  /** A drain found requests queued behind one another (data workers take a share). */
  queued?(): void;
  /**
   * The queue is empty and the session has nothing in flight: wait a little
   * for the next request (busy-poll). Its length, READ_EMPTY if none came,
   * READ_FAILED if a read failed (the loop has its errno).
   */
  idle?(loop: ReadLoop): number;
  /** The loop goes to sleep until the next signal. */
  sleeping?(): void;
  /** A reply or notification is about to be written. */
  replying?(): void;
  /** The channel has closed: it refuses writes from now on. */
  closed?(): void;

  // ---- the session (core/session.ts) ----

  /** INIT was answered: the mount is usable, what was agreed is known. */
  initialized?(agreed: Agreed): void;
  /** The session is about to write the answer to the last request it had in flight (asynchronous ones only). */
  settling?(): void;
  /** The session answered the last request it had in flight (a signal-free moment: the next request may be close). */
  settled?(): void;
  /** The highest unique read on other fds of the connection (data workers): an INTERRUPT for a lower one is no early one. */
  highestUnique?(): number;
}

/** No accelerations. */
export const NO_HOOKS: Hooks = Object.freeze({});

/** Hooks called once per session, which several accelerations may share (called in the order plugged). */
const SHARED = new Set<string>(['initialized', 'closed']);

/**
 * One Hooks object from several accelerations' hooks (plain functions, no
 * `this`). A per-request hook has one owner: two are a programming error
 * (the accelerations that would share one, splice and data workers, exclude
 * each other in accel/index.ts).
 */
export function plugHooks(parts: readonly Hooks[]): Hooks {
  const merged: Record<string, (...args: never[]) => unknown> = {};
  for (const part of parts) {
    for (const [name, fn] of Object.entries(part) as [string, ((...args: never[]) => unknown) | undefined][]) {
      if (fn === undefined) continue;
      const before = merged[name];
      if (before === undefined) merged[name] = fn;
      else if (SHARED.has(name)) merged[name] = (...args: never[]) => void (before(...args), fn(...args));
      else throw new Error(`two accelerations hook ${name}`);
    }
  }
  return merged as Hooks;
}
