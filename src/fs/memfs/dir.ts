/**
 * A directory's entries, with readdir cookies that stay valid.
 *
 * Each entry gets a cookie from a per-directory counter when it is linked
 * in; cookies only grow, so listing in cookie order and resuming "after
 * cookie c" never skips or repeats an entry that survived, whatever was
 * unlinked meanwhile. Entries linked during a listing appear in it if they
 * come after the resume point (POSIX leaves that open either way).
 *
 * Cookies 1 and 2 are "." and ".."; real entries start at 3. The entries are
 * kept in cookie order in an array (appended, so already sorted) and found
 * by binary search, so resuming is O(log n); unlinked slots are tombstones,
 * compacted away once they outnumber the live ones.
 */

export interface DirEntry {
  readonly name: string;
  ino: number;
  /** The readdir cookie: the entry's position, and what READDIR resumes after. */
  readonly cookie: number;
  /** Set when unlinked: a tombstone in `order` until the next compaction. */
  dead: boolean;
}

export const DOT_COOKIE = 1;
export const DOTDOT_COOKIE = 2;

export class Directory {
  private readonly byName = new Map<string, DirEntry>();
  private order: DirEntry[] = [];
  private deadCount = 0;
  private nextCookie = 3;

  get size(): number {
    return this.byName.size;
  }

  get(name: string): DirEntry | undefined {
    return this.byName.get(name);
  }

  /** Links `name` (which must be absent) to `ino`. */
  add(name: string, ino: number): DirEntry {
    const e: DirEntry = { name, ino, cookie: this.nextCookie++, dead: false };
    this.byName.set(name, e);
    this.order.push(e);
    return e;
  }

  /** Unlinks `name`; returns the entry it was, if any. */
  remove(name: string): DirEntry | undefined {
    const e = this.byName.get(name);
    if (!e) return undefined;
    this.byName.delete(name);
    e.dead = true;
    this.deadCount++;
    if (this.deadCount > 64 && this.deadCount > this.order.length / 2) this.compact();
    return e;
  }

  /** Points an existing name at another inode, keeping its place in listings (rename over an existing name, exchange). */
  repoint(name: string, ino: number): void {
    this.byName.get(name)!.ino = ino;
  }

  /** Live entries with a cookie greater than `after`, in cookie order. */
  *entriesAfter(after: number): Generator<DirEntry> {
    // By index over the live array, so entries appended during the walk are seen; a compaction
    // during it replaces `order`, and the walk then finds its place again by cookie.
    let arr = this.order;
    let last = after;
    for (let i = this.indexAfter(after); ; i++) {
      if (arr !== this.order) {
        arr = this.order;
        i = this.indexAfter(last);
      }
      const e = arr[i];
      if (!e) return;
      last = e.cookie;
      if (!e.dead) yield e;
    }
  }

  names(): IterableIterator<string> {
    return this.byName.keys();
  }

  private indexAfter(cookie: number): number {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.order[mid]!.cookie <= cookie) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private compact(): void {
    this.order = this.order.filter((e) => !e.dead);
    this.deadCount = 0;
  }
}
