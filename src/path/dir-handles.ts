/**
 * The open directories of the path adapter: each one's node, the
 * filesystem's handle, and the listing being served (dirs.ts).
 */
import { FuseError } from '../api/errors';
import type { PathNode } from './nodes';
import type { PathDirEntry, PathStat } from './types';

export interface Item {
  name: string;
  stat: PathStat | undefined;
}

export type Pull = Iterator<PathDirEntry> | AsyncIterator<PathDirEntry>;

export class DirHandle {
  /** Entries from index `base` on ("." is 0, ".." 1). */
  items: Item[] = [];
  base = 0;
  /** Where more entries come from, for an iterable listing not yet exhausted. */
  pull: Pull | null = null;
  /** A fresh listing is needed (at open, and for offset 0). */
  stale = true;

  constructor(
    readonly node: PathNode,
    readonly fsFh: number,
  ) {}

  close(): void {
    const p = this.pull;
    this.pull = null;
    if (p?.return) void Promise.resolve().then(() => p.return!()).catch(() => undefined);
  }
}

export class DirHandles {
  private readonly handles = new Map<number, DirHandle>();
  private next = 1;

  add(h: DirHandle): number {
    while (this.handles.has(this.next)) this.next = this.next >= 0xffffffff ? 1 : this.next + 1;
    const id = this.next;
    this.next = id >= 0xffffffff ? 1 : id + 1;
    this.handles.set(id, h);
    return id;
  }

  get(fh: number): DirHandle {
    const h = this.handles.get(fh);
    if (!h) throw new FuseError('EBADF', `no open directory ${fh}`);
    return h;
  }

  delete(fh: number): void {
    this.handles.delete(fh);
  }

  get size(): number {
    return this.handles.size;
  }
}

