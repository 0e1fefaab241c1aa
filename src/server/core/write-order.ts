/**
 * The writeback/direct-IO ordering rule, on the server side: the one module
 * that says which READ/WRITE is direct, records WRITEs in flight and makes
 * a direct request wait for older overlapping ones. The session keeps a
 * DirectIo; READ/WRITE serving (data.ts), on the main thread and in data
 * workers alike, goes through directWait and recordedWrite. Where the
 * writes in flight are kept is a WriteOrdering: WriteOrder below for one
 * thread, the shared table of accel/workers for several.
 *
 * The kernel fix "fuse: Fix O_DIRECT operations vs cached writeback
 * misorder" made direct IO wait for in-flight writeback on the overlapping
 * range (fuse_range_is_writeback + fuse_sync_writes), because a server that
 * reorders requests could otherwise let an O_DIRECT read overtake a cached
 * write the kernel had already acknowledged, and return stale bytes. A Node
 * server with asynchronous handlers reorders by nature: requests are
 * dispatched concurrently and their promises settle in any order. So the
 * dispatcher keeps, per inode, every WRITE it has received and not yet
 * answered, and holds a direct-IO READ or WRITE until the writes that
 * overlap its range and were in flight when it arrived have been applied.
 * Page-cache requests never wait. Requests from a CUSE session (the
 * kernel's FUSE_DIO_CUSE) skip the check: a character device has no inode
 * cache behind it.
 *
 * Why the rule: docs/design/ordering-rule.md.
 *
 * The kernel walked a list of writes for this check and said in its own
 * comment that this "can be pretty inefficient". Here each inode has an
 * interval treap (keyed by start, each node carrying the largest end in its
 * subtree), so "does anything in flight overlap [from, to)?" costs
 * O(log n) and collecting the k overlaps O(k + log n).
 */

import { FopenFlags } from '../../protocol/constants';
import { O_DIRECT } from '../../linux/constants';
import type { Context } from './context';
import { isPromise, type MaybePromise } from './maybe';

/**
 * Where the writes in flight are kept: WriteOrder below when one thread serves
 * every request, SharedWriteOrder (shared-write-order.ts) when data workers
 * serve READ and WRITE on other threads too.
 *
 * A WRITE is recorded the moment it is dispatched, before it waits for
 * anything, and a direct request waits only for overlapping writes with a
 * smaller unique: the kernel numbers requests as it queues them, so that is
 * "queued before me", whichever thread read them. Waits then run from
 * younger to older writes only, and cannot form a cycle.
 */
export interface WriteOrdering {
  /** Direct requests that had to wait, for --debug and tests. */
  readonly waits: number;
  /** Records WRITE `unique` on [offset, offset + size) of `ino`, in flight until end(). */
  begin(ino: number, offset: number, size: number, unique?: number): WriteRecord;
  /** The WRITE has been applied and answered (or failed): release whoever waits on it. */
  end(ino: number, w: WriteRecord): void;
  /**
   * null when no write with a unique below `before` overlaps the range (go
   * on at once); otherwise a promise that settles when they have all ended.
   */
  waitFor(ino: number, offset: number, size: number, signal?: () => AbortSignal, before?: number): Promise<void> | null;
}

/**
 * `wait`, ended early by the request's INTERRUPT: nothing was done yet, so
 * answering EINTR is safe. Both orderings' waitFor end with it.
 */
export function interruptible(wait: Promise<void>, signal?: () => AbortSignal): Promise<void> {
  if (!signal) return wait;
  const sig = signal();
  if (sig.aborted) return Promise.reject(sig.reason);
  return Promise.race([wait, new Promise<void>((_, reject) => sig.addEventListener('abort', () => reject(sig.reason), { once: true }))]);
}

/** A recorded write (opaque to dispatch). */
export interface WriteRecord {
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
}

export interface InflightWrite extends WriteRecord {
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
  /** The WRITE's unique (0 when recorded without one: then it counts as older than everything). */
  readonly unique: number;
  /** Resolvers of requests waiting for this write; created only when someone waits. */
  waiters: (() => void)[] | null;
}

interface Node {
  w: InflightWrite;
  prio: number;
  maxEnd: number;
  left: Node | null;
  right: Node | null;
}

function maxEnd(n: Node | null): number {
  return n ? n.maxEnd : -Infinity;
}

function fix(n: Node): Node {
  n.maxEnd = Math.max(n.w.end, maxEnd(n.left), maxEnd(n.right));
  return n;
}

/** Splits by (start, identity) order: left < key ≤ right. */
function insert(root: Node | null, node: Node): Node {
  if (!root) return node;
  if (node.w.start < root.w.start) {
    root.left = insert(root.left, node);
    if (root.left.prio > root.prio) {
      const l = root.left;
      root.left = l.right;
      l.right = fix(root);
      return fix(l);
    }
  } else {
    root.right = insert(root.right, node);
    if (root.right.prio > root.prio) {
      const r = root.right;
      root.right = r.left;
      r.left = fix(root);
      return fix(r);
    }
  }
  return fix(root);
}

function merge(a: Node | null, b: Node | null): Node | null {
  if (!a) return b;
  if (!b) return a;
  if (a.prio > b.prio) {
    a.right = merge(a.right, b);
    return fix(a);
  }
  b.left = merge(a, b.left);
  return fix(b);
}

function remove(root: Node | null, w: InflightWrite): Node | null {
  if (!root) return null;
  if (root.w === w) return merge(root.left, root.right);
  if (w.start < root.w.start) root.left = remove(root.left, w);
  else if (w.start > root.w.start) root.right = remove(root.right, w);
  else {
    // equal starts may sit on either side of an equal-start node
    const before = root.left;
    root.left = remove(root.left, w);
    if (root.left === before) root.right = remove(root.right, w);
  }
  return fix(root);
}

function anyOverlap(n: Node | null, from: number, to: number): boolean {
  while (n) {
    if (n.maxEnd <= from) return false;
    if (n.w.start < to && n.w.end > from) return true;
    // The left subtree can hold an overlap only if its ends reach past `from`.
    if (n.left && n.left.maxEnd > from) n = n.left;
    else if (n.w.start < to) n = n.right;
    else return false;
  }
  return false;
}

function collect(n: Node | null, from: number, to: number, before: number, out: InflightWrite[]): void {
  if (!n || n.maxEnd <= from) return;
  collect(n.left, from, to, before, out);
  if (n.w.start < to && n.w.end > from && n.w.unique < before) out.push(n.w);
  if (n.w.start < to) collect(n.right, from, to, before, out);
}

class IntervalTreap {
  root: Node | null = null;
  size = 0;
  add(w: InflightWrite): void {
    this.root = insert(this.root, { w, prio: Math.random(), maxEnd: w.end, left: null, right: null });
    this.size++;
  }
  delete(w: InflightWrite): void {
    this.root = remove(this.root, w);
    this.size--;
  }
}

export class WriteOrder implements WriteOrdering {
  private readonly inodes = new Map<number, IntervalTreap>();
  /** Direct requests that had to wait, for --debug and tests. */
  waits = 0;

  /** Records a WRITE received for [offset, offset + size) of `ino`. */
  begin(ino: number, offset: number, size: number, unique = 0): InflightWrite {
    let t = this.inodes.get(ino);
    if (!t) {
      t = new IntervalTreap();
      this.inodes.set(ino, t);
    }
    const w: InflightWrite = { start: offset, end: offset + Math.max(size, 1), unique, waiters: null };
    t.add(w);
    return w;
  }

  /** The WRITE has been applied and answered (or failed): release whoever waits on it. */
  end(ino: number, w: WriteRecord): void {
    this.endWrite(ino, w as InflightWrite);
  }

  private endWrite(ino: number, w: InflightWrite): void {
    const t = this.inodes.get(ino);
    if (t) {
      t.delete(w);
      if (t.size === 0) this.inodes.delete(ino);
    }
    if (w.waiters) for (const wake of w.waiters) wake();
  }

  /** Is any write in flight on [offset, offset + size) of `ino`? O(log n). */
  overlaps(ino: number, offset: number, size: number): boolean {
    const t = this.inodes.get(ino);
    return t !== undefined && anyOverlap(t.root, offset, offset + Math.max(size, 1));
  }

  /**
   * null when nothing older overlaps (the request goes on at once,
   * synchronously); otherwise a promise that settles when every write with a
   * unique below `before` overlapping the range at this moment has ended.
   * Later writes do not delay it.
   */
  waitFor(ino: number, offset: number, size: number, signal?: () => AbortSignal, before = Infinity): Promise<void> | null {
    const t = this.inodes.get(ino);
    if (!t || !anyOverlap(t.root, offset, offset + Math.max(size, 1))) return null;
    const ws: InflightWrite[] = [];
    collect(t.root, offset, offset + Math.max(size, 1), before, ws);
    if (ws.length === 0) return null;
    this.waits++;
    let pending = ws.length;
    const all = new Promise<void>((resolve) => {
      const done = (): void => {
        if (--pending === 0) resolve();
      };
      for (const w of ws) (w.waiters ??= []).push(done);
    });
    return interruptible(all, signal);
  }

  /** Writes in flight on `ino` (for tests and debug output). */
  inflight(ino: number): number {
    return this.inodes.get(ino)?.size ?? 0;
  }
}

// ---- which requests are direct ----------------------------------------------

/**
 * Which READ/WRITE bypass the page cache: O_DIRECT in the open flags, an
 * open the filesystem answered with FOPEN_DIRECT_IO (remembered here until
 * its RELEASE), or every one under -o direct_io (`forced`).
 */
export class DirectIo {
  private readonly opens = new Map<number, Set<number>>();

  constructor(readonly forced: boolean) {}

  /** An open of `ino` answered with handle `fh` and FOPEN_* flags `openFlags`. */
  opened(ino: number, fh: number, openFlags: number): void {
    if ((openFlags & FopenFlags.DIRECT_IO) === 0) return;
    let s = this.opens.get(ino);
    if (!s) this.opens.set(ino, (s = new Set()));
    s.add(fh);
  }

  /** Handle `fh` of `ino` was released. */
  closed(ino: number, fh: number): void {
    const s = this.opens.get(ino);
    if (s && s.delete(fh) && s.size === 0) this.opens.delete(ino);
  }

  /** A READ/WRITE on handle `fh` of `ino` whose file was opened with `flags` (O_*). */
  isDirect(ino: number, fh: number, flags: number): boolean {
    if (this.forced || (flags & O_DIRECT) !== 0) return true;
    return this.opens.size !== 0 && this.opens.get(ino)?.has(fh) === true;
  }
}

// ---- the rule, applied to one READ or WRITE ---------------------------------

/**
 * The wait a READ or WRITE owes: null (go on now) unless it is direct, not
 * from CUSE, and an older write in flight overlaps its range.
 */
export function directWait(order: WriteOrdering | null, ctx: Context, ino: number, offset: number, size: number): Promise<void> | null {
  return order !== null && ctx.directIo && !ctx.cuse ? order.waitFor(ino, offset, size, () => ctx.signal, ctx.unique) : null;
}

/**
 * Serves a WRITE as the rule wants it: recorded as in flight at once, before
 * it waits for anything (a direct request queued after it, a higher unique
 * read by this thread or another, then waits for it), handed the wait it
 * owes itself, and ended however it ends: value, promise, throw, rejection.
 */
export function recordedWrite<R>(
  order: WriteOrdering | null, ctx: Context, ino: number, offset: number, size: number,
  serve: (wait: Promise<void> | null) => MaybePromise<R>,
): MaybePromise<R> {
  if (order === null) return serve(null);
  const rec = order.begin(ino, offset, size, ctx.unique);
  let res: MaybePromise<R>;
  try {
    res = serve(directWait(order, ctx, ino, offset, size));
  } catch (e) {
    order.end(ino, rec);
    throw e;
  }
  if (!isPromise(res)) {
    order.end(ino, rec);
    return res;
  }
  return res.then(
    (v) => {
      order.end(ino, rec);
      return v;
    },
    (e: unknown) => {
      order.end(ino, rec);
      throw e;
    },
  );
}
