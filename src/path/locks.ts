/**
 * Path locks: what libfuse's tree locks (try_get_path, queue_path in
 * lib/fuse.c) do, for handlers that run concurrently because they are
 * async rather than because they run on threads.
 *
 * A request that hands a path to the filesystem holds it until the handler
 * settles: a read lock on every node from the one it names up to the root,
 * so that no rename or unlink can change that path under it. unlink, rmdir
 * and rename also take a write lock on the node whose name they remove or
 * move, which waits until no request holds a path through it, and while it
 * is held (or waited for) new requests through that node wait in turn. So
 * a rename of /a does not run while a read of /a/x is with the filesystem,
 * and a lookup of /a/x that comes during the rename is given the path as it
 * is after it.
 *
 * Requests that cannot lock wait in one FIFO queue, retried in order
 * whenever a lock is released; a queued writer marks its node so that
 * readers arriving later do not starve it. A request takes all its locks
 * at once or none, and holds none while it waits, so two renames cannot
 * deadlock. An interrupted waiter leaves the queue with EINTR.
 */
import { FuseError } from '../api/errors';
import type { PathNode } from './nodes';

/** One part of a lock request: the read chain from `node` up, and with `write`, the node `name` in `node`. */
export interface LockPart {
  node: PathNode;
  name: string | null;
  write: boolean;
}

/** What a granted request holds: the read chains (by their first node) and the write-locked nodes. */
export interface Held {
  chains: PathNode[];
  writes: PathNode[];
}

interface Waiter {
  parts: LockPart[];
  resolve: (h: Held) => void;
  reject: (e: unknown) => void;
  signal: AbortSignal | null;
  onAbort: (() => void) | null;
}

const NO_WRITES: PathNode[] = [];

export class PathLocks {
  private readonly queue: Waiter[] = [];
  private marked: PathNode[] = [];

  constructor(private readonly root: PathNode) {}

  /** Requests waiting for a lock. */
  get waiting(): number {
    return this.queue.length;
  }

  /** The fast path: a read lock on the chain from `node`, or false when something is in the way. */
  tryRead(node: PathNode): boolean {
    for (let n: PathNode | null = node; n !== null && n !== this.root; n = n.parent) {
      if (n.writer || n.writerWaiting) return false;
    }
    for (let n: PathNode | null = node; n !== null && n !== this.root; n = n.parent) n.readers++;
    return true;
  }

  /** Releases a read lock taken by tryRead (or a chain of a Held). */
  unread(node: PathNode): void {
    for (let n: PathNode | null = node; n !== null && n !== this.root; n = n.parent) if (n.readers > 0) n.readers--;
    if (this.queue.length > 0) this.pump();
  }

  /** Takes every part at once, or nothing (null). */
  tryAcquire(parts: readonly LockPart[]): Held | null {
    const writes: PathNode[] = [];
    for (const p of parts) {
      for (let n: PathNode | null = p.node; n !== null && n !== this.root; n = n.parent) {
        if (n.writer || n.writerWaiting) return null;
      }
      if (p.write && p.name !== null) {
        const w = p.node.children?.get(p.name);
        if (w && !writes.includes(w)) writes.push(w);
      }
    }
    // A write target on one of this request's own read chains (a rename onto an ancestor, which the
    // filesystem will refuse) is only read-locked: writing it would wait for ourselves forever.
    const own = writes.filter((w) => !parts.some((p) => this.onChain(p.node, w)));
    for (const w of own) if (w.readers > 0 || w.writer || w.writerWaiting) return null;
    for (const p of parts) for (let n: PathNode | null = p.node; n !== null && n !== this.root; n = n.parent) n.readers++;
    for (const w of own) w.writer = true;
    return { chains: parts.map((p) => p.node), writes: own.length ? own : NO_WRITES };
  }

  /** The parts, now or once they can be taken; rejects with EINTR when `signal` aborts first. */
  acquire(parts: LockPart[], signal: AbortSignal | null): Held | Promise<Held> {
    const h = this.tryAcquire(parts);
    if (h) return h;
    return this.wait(parts, signal);
  }

  /** Queues a request that could not lock at once. */
  wait(parts: LockPart[], signal: AbortSignal | null): Promise<Held> {
    return new Promise<Held>((resolve, reject) => {
      const w: Waiter = { parts, resolve, reject, signal, onAbort: null };
      if (signal) {
        if (signal.aborted) return reject(new FuseError('EINTR'));
        w.onAbort = () => {
          const i = this.queue.indexOf(w);
          if (i < 0) return;
          this.queue.splice(i, 1);
          reject(new FuseError('EINTR'));
          this.pump();
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.queue.push(w);
      this.remark();
    });
  }

  release(h: Held): void {
    for (const w of h.writes) w.writer = false;
    for (const c of h.chains) for (let n: PathNode | null = c; n !== null && n !== this.root; n = n.parent) if (n.readers > 0) n.readers--;
    if (this.queue.length > 0) this.pump();
  }

  /** Grants what can be granted, in queue order; writers still waiting mark their nodes. */
  private pump(): void {
    this.clearMarks();
    for (let i = 0; i < this.queue.length; ) {
      const w = this.queue[i]!;
      const h = this.tryAcquire(w.parts);
      if (h) {
        this.queue.splice(i, 1);
        if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
        w.resolve(h);
        continue;
      }
      this.mark(w);
      i++;
    }
  }

  private remark(): void {
    this.clearMarks();
    for (const w of this.queue) this.mark(w);
  }

  private mark(w: Waiter): void {
    for (const p of w.parts) {
      if (!p.write || p.name === null) continue;
      const n = p.node.children?.get(p.name);
      if (n && !n.writerWaiting && !w.parts.some((q) => this.onChain(q.node, n))) {
        n.writerWaiting = true;
        this.marked.push(n);
      }
    }
  }

  private clearMarks(): void {
    for (const n of this.marked) n.writerWaiting = false;
    this.marked = [];
  }

  private onChain(from: PathNode, target: PathNode): boolean {
    for (let n: PathNode | null = from; n !== null && n !== this.root; n = n.parent) if (n === target) return true;
    return false;
  }
}
