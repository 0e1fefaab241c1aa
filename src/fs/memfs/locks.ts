/**
 * File locks: POSIX record locks (fcntl F_GETLK/F_SETLK/F_SETLKW, owned by
 * a lock owner — the kernel's id for a process's file table, or for an
 * open file description with OFD locks) and BSD flock(2) locks (owned by an
 * open file description, i.e. a memfs file handle). The two kinds never
 * conflict with each other, as on Linux.
 *
 * Record locks follow fcntl(2): ranges are inclusive, `end` OFFSET_MAX (or
 * more) runs to the end of any file size (kept as Infinity here); a new
 * lock replaces the owner's own locks where it overlaps them, splitting
 * them, and merges with the owner's locks of the same type that touch it.
 *
 * Waiting (SETLKW, flock without LOCK_NB) queues the request; every unlock
 * on the inode retries the queue in arrival order. An interrupt (the
 * request's AbortSignal) withdraws the request with EINTR. A SETLKW that
 * would wait on a chain of owners leading back to itself fails with
 * EDEADLK, as POSIX asks.
 */
import { OFFSET_MAX } from '../../protocol';
import type { Lock } from '../../api/filesystem';
import { FuseError } from '../../api/errors';
import { F_RDLCK, F_UNLCK, F_WRLCK, LOCK_EX, LOCK_NB, LOCK_SH, LOCK_UN } from './constants';

export interface RecordLock {
  owner: bigint;
  type: number; // F_RDLCK or F_WRLCK
  start: number;
  /** Inclusive; Infinity to the end. */
  end: number;
  pid: number;
}

interface Waiter {
  /** Tries again; true when granted (the waiter is then done). */
  retry(): boolean;
  /** For deadlock detection: the owner waiting and the owners it waits for. */
  readonly owner: bigint | null;
  blockers(): bigint[];
}

interface InodeLocks {
  records: RecordLock[];
  /** flock holders: file handle → LOCK_SH or LOCK_EX. */
  flocks: Map<number, number>;
  waiters: Waiter[];
}

function toEnd(end: number): number {
  return end >= OFFSET_MAX ? Infinity : end;
}

function fromEnd(end: number): number {
  return end === Infinity ? OFFSET_MAX : end;
}

function overlaps(a: { start: number; end: number }, b: { start: number; end: number }): boolean {
  return a.start <= b.end && b.start <= a.end;
}

function interrupted(): FuseError {
  return new FuseError('EINTR', 'lock wait interrupted');
}

export class LockTable {
  private readonly byInode = new Map<number, InodeLocks>();

  private state(ino: number): InodeLocks {
    let s = this.byInode.get(ino);
    if (!s) this.byInode.set(ino, (s = { records: [], flocks: new Map(), waiters: [] }));
    return s;
  }

  private tidy(ino: number): void {
    const s = this.byInode.get(ino);
    if (s && s.records.length === 0 && s.flocks.size === 0 && s.waiters.length === 0) this.byInode.delete(ino);
  }

  /** The record locks held on the file (for tests and debugging). */
  records(ino: number): readonly Readonly<RecordLock>[] {
    return this.byInode.get(ino)?.records ?? [];
  }

  // ---- POSIX record locks ---------------------------------------------------

  /** The first lock of another owner that `lock` (of `owner`) conflicts with. */
  private conflict(ino: number, owner: bigint, type: number, start: number, end: number): RecordLock | undefined {
    const s = this.byInode.get(ino);
    if (!s) return undefined;
    const want = { start, end };
    return s.records.find((l) => l.owner !== owner && (type === F_WRLCK || l.type === F_WRLCK) && overlaps(l, want));
  }

  /** F_GETLK: the conflicting lock, or `lock` with type F_UNLCK when it could be placed. */
  getlk(ino: number, owner: bigint, lock: Lock): Lock {
    const range = checkRange(lock);
    if (lock.type !== F_RDLCK && lock.type !== F_WRLCK) throw new FuseError('EINVAL');
    const c = this.conflict(ino, owner, lock.type, range.start, range.end);
    if (!c) return { type: F_UNLCK, start: lock.start, end: lock.end, pid: 0 };
    return { type: c.type, start: c.start, end: fromEnd(c.end), pid: c.pid };
  }

  /** F_SETLK/F_SETLKW. Returns a promise only when it has to wait. */
  setlk(ino: number, owner: bigint, lock: Lock, wait: boolean, signal: AbortSignal | null): void | Promise<void> {
    const { start, end } = checkRange(lock);
    if (lock.type === F_UNLCK) {
      this.place(ino, { owner, type: F_UNLCK, start, end, pid: lock.pid });
      this.wake(ino);
      return;
    }
    if (lock.type !== F_RDLCK && lock.type !== F_WRLCK) throw new FuseError('EINVAL');
    const want: RecordLock = { owner, type: lock.type, start, end, pid: lock.pid };
    const tryPlace = (): boolean => {
      if (this.conflict(ino, owner, want.type, start, end)) return false;
      const downgrade = this.place(ino, want);
      if (downgrade) this.wake(ino);
      return true;
    };
    if (tryPlace()) return;
    if (!wait) throw new FuseError('EAGAIN');
    const blockers = (): bigint[] => {
      const s = this.byInode.get(ino);
      if (!s) return [];
      return s.records.filter((l) => l.owner !== owner && (want.type === F_WRLCK || l.type === F_WRLCK) && overlaps(l, want)).map((l) => l.owner);
    };
    if (this.wouldDeadlock(owner, blockers())) throw new FuseError('EDEADLK');
    return this.enqueue(ino, { owner, retry: tryPlace, blockers }, signal);
  }

  /**
   * Sets the owner's locks in [start, end] to `l.type` (F_UNLCK removes
   * them): its overlapping locks are cut back or split, same-type locks
   * that overlap or touch are merged in. Returns true when the owner gave
   * up something (others may now proceed).
   */
  private place(ino: number, l: RecordLock): boolean {
    const s = this.state(ino);
    let { start, end } = l;
    let released = false;
    const kept: RecordLock[] = [];
    for (const x of s.records) {
      if (x.owner !== l.owner) {
        kept.push(x);
        continue;
      }
      const touches = x.start <= end + 1 && start <= x.end + 1; // overlapping or adjacent
      if (!touches) {
        kept.push(x);
      } else if (x.type === l.type) {
        start = Math.min(start, x.start);
        end = Math.max(end, x.end);
      } else if (!overlaps(x, l)) {
        kept.push(x); // adjacent, of another type: untouched
      } else {
        released = true;
        if (x.start < l.start) kept.push({ ...x, end: l.start - 1 });
        if (x.end > l.end) kept.push({ ...x, start: l.end + 1 });
      }
    }
    if (l.type !== F_UNLCK) kept.push({ ...l, start, end });
    s.records = kept;
    this.tidy(ino);
    return released || l.type === F_UNLCK;
  }

  /** Drops every record lock of `owner` on the inode (close(2) of any of its descriptors: FLUSH). */
  releaseOwner(ino: number, owner: bigint): void {
    const s = this.byInode.get(ino);
    if (!s || !s.records.some((l) => l.owner === owner)) return;
    s.records = s.records.filter((l) => l.owner !== owner);
    this.wake(ino);
  }

  /** Follows "waits for" from the owners blocking a request; reaching `owner` again is a deadlock. */
  private wouldDeadlock(owner: bigint, blockers: bigint[]): boolean {
    const seen = new Set<bigint>();
    const todo = [...blockers];
    while (todo.length > 0) {
      const o = todo.pop()!;
      if (o === owner) return true;
      if (seen.has(o)) continue;
      seen.add(o);
      for (const s of this.byInode.values()) for (const w of s.waiters) if (w.owner === o) todo.push(...w.blockers());
    }
    return false;
  }

  // ---- flock ----------------------------------------------------------------

  /** flock(2) through the open file description `fh`: LOCK_SH, LOCK_EX, LOCK_UN, with LOCK_NB. */
  flock(ino: number, fh: number, op: number, signal: AbortSignal | null): void | Promise<void> {
    const kind = op & ~LOCK_NB;
    const s = this.state(ino);
    if (kind === LOCK_UN) {
      if (s.flocks.delete(fh)) this.wake(ino);
      this.tidy(ino);
      return;
    }
    if (kind !== LOCK_SH && kind !== LOCK_EX) throw new FuseError('EINVAL');
    const held = s.flocks.get(fh);
    if (held === kind) return;
    // A conversion is not atomic on Linux either: the old lock goes first, and stays gone if the new one fails.
    if (held !== undefined) {
      s.flocks.delete(fh);
      this.wake(ino);
    }
    const tryTake = (): boolean => {
      const st = this.state(ino);
      for (const [other, type] of st.flocks) if (other !== fh && (kind === LOCK_EX || type === LOCK_EX)) return false;
      st.flocks.set(fh, kind);
      return true;
    };
    if (tryTake()) return;
    this.tidy(ino);
    if (op & LOCK_NB) throw new FuseError('EAGAIN');
    return this.enqueue(ino, { owner: null, retry: tryTake, blockers: () => [] }, signal);
  }

  /** The open file description is closed: its flock goes. */
  releaseHandle(ino: number, fh: number): void {
    const s = this.byInode.get(ino);
    if (s?.flocks.delete(fh)) this.wake(ino);
    this.tidy(ino);
  }

  /** Nothing has the file open any more: no lock can remain (each is held through an open file). */
  clear(ino: number): void {
    const s = this.byInode.get(ino);
    if (!s) return;
    s.records = [];
    s.flocks.clear();
    this.wake(ino);
    this.tidy(ino);
  }

  // ---- waiting --------------------------------------------------------------

  private enqueue(ino: number, w: Waiter, signal: AbortSignal | null): Promise<void> {
    if (signal?.aborted) return Promise.reject(interrupted());
    return new Promise<void>((resolve, reject) => {
      const s = this.state(ino);
      const onAbort = (): void => {
        const st = this.byInode.get(ino);
        const i = st ? st.waiters.indexOf(waiter) : -1;
        if (i < 0) return;
        st!.waiters.splice(i, 1);
        this.tidy(ino);
        reject(interrupted());
      };
      const waiter: Waiter = {
        owner: w.owner,
        blockers: w.blockers,
        retry: () => {
          if (!w.retry()) return false;
          signal?.removeEventListener('abort', onAbort);
          resolve();
          return true;
        },
      };
      s.waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Locks on `ino` were released: let the waiters that now fit through, in order. */
  private wake(ino: number): void {
    const s = this.byInode.get(ino);
    if (!s || s.waiters.length === 0) return;
    // Granting one waiter can make the next one wait again; each retry sees the locks as they are after the previous.
    const waiting = s.waiters;
    s.waiters = [];
    const still: Waiter[] = [];
    for (const w of waiting) if (!w.retry()) still.push(w);
    const st = this.state(ino);
    st.waiters = still.concat(st.waiters);
    this.tidy(ino);
  }
}

/** The range of an fcntl lock as the kernel sends it: start ≤ end, end OFFSET_MAX for "to EOF". */
function checkRange(lock: Lock): { start: number; end: number } {
  const end = toEnd(lock.end);
  if (lock.start < 0 || lock.start > end) throw new FuseError('EINVAL');
  return { start: lock.start, end };
}
