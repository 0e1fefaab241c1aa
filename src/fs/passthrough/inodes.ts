/**
 * The inode table: one kept O_PATH descriptor per source file the kernel
 * knows, keyed by (st_dev, st_ino) so that hard links share one node id.
 *
 * Node ids come from a counter and are never reused within a table's life,
 * so a node id the kernel still remembers can never come to mean another
 * file (the generation can stay 0). Each Entry handed out counts one
 * reference; forget() gives them back, and at zero the descriptor is closed
 * and the (dev, ino) key dropped. While we hold the descriptor the source
 * inode cannot be freed, so its inode number cannot be reused under us.
 */
import { ROOT_ID } from '../../protocol';
import { FuseError } from '../../api/errors';
import { lib, S_IFMT } from './libc';
import type { Key, Stat } from './stat';

export interface Inode {
  /** FUSE node id. */
  readonly id: number;
  /** O_PATH|O_NOFOLLOW descriptor on the source file. */
  readonly fd: number;
  readonly key: Key;
  /** "/proc/self/fd/<fd>": the path form of `fd`, for calls with no fd-relative variant. */
  readonly proc: string;
  /** S_IFMT bits. */
  readonly type: number;
  /** Lookups the kernel holds. */
  refs: number;
}

const ESTALE = 116;

export class InodeTable {
  readonly root: Inode;
  private readonly byId = new Map<number, Inode>();
  private readonly byKey = new Map<Key, Inode>();
  private nextId = ROOT_ID + 1;

  constructor(rootFd: number, rootStat: Stat) {
    this.root = make(ROOT_ID, rootFd, rootStat);
    // The root is never forgotten; it is in byKey so that a path leading back to it maps to node 1.
    this.root.refs = 1;
    this.byId.set(ROOT_ID, this.root);
    this.byKey.set(rootStat.key, this.root);
  }

  /** The inode of a node id the kernel sent. */
  get(id: number): Inode {
    const i = this.byId.get(id);
    // Only a kernel (or test) bug sends a node id it was never given or already forgot.
    if (!i) throw new FuseError(ESTALE, `node ${id} is not known`);
    return i;
  }

  /** Counts one lookup of the inode with this identity, if it is known. */
  /** Whether a file with this identity is held (no reference taken). */
  has(key: Key): boolean {
    return this.byKey.has(key);
  }

  refKnown(key: Key): Inode | undefined {
    const i = this.byKey.get(key);
    if (i) i.refs++;
    return i;
  }

  /**
   * Counts one lookup of the file `fd` (an O_PATH descriptor) was opened on.
   * If the file is already known (a hard link, or a concurrent lookup won),
   * `fd` is closed and the known inode used; otherwise `fd` is kept.
   */
  adopt(fd: number, st: Stat): Inode {
    const known = this.byKey.get(st.key);
    if (known) {
      lib().close(fd);
      known.refs++;
      return known;
    }
    const i = make(this.nextId++, fd, st);
    this.byId.set(i.id, i);
    this.byKey.set(i.key, i);
    return i;
  }

  /** Gives back `n` lookups; at zero the descriptor is closed (never the root's). */
  forget(id: number, n: number): void {
    const i = this.byId.get(id);
    if (!i || i === this.root) return;
    i.refs -= n;
    if (i.refs > 0) return;
    this.byId.delete(id);
    if (this.byKey.get(i.key) === i) this.byKey.delete(i.key);
    lib().close(i.fd);
  }

  /** Inodes known besides the root (for tests and leak checks). */
  get size(): number {
    return this.byId.size - 1;
  }

  /** Closes every kept descriptor but the root's. */
  clear(): void {
    for (const i of this.byId.values()) if (i !== this.root) lib().close(i.fd);
    this.byId.clear();
    this.byKey.clear();
    this.byId.set(ROOT_ID, this.root);
    this.byKey.set(this.root.key, this.root);
  }
}

function make(id: number, fd: number, st: Stat): Inode {
  return { id, fd, key: st.key, proc: `/proc/self/fd/${fd}`, type: st.mode & S_IFMT, refs: 1 };
}
