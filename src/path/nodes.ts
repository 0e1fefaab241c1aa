/**
 * The node table of the path layer, as libfuse's lib/fuse.c keeps one: the
 * kernel knows files by node id, a path filesystem by path, and this maps
 * one to the other.
 *
 * - A node is one inode as the kernel sees it. It has one or more links
 *   (parent directory node + name): hard links made through link(), or found
 *   by lookup when the filesystem gives inode numbers (PathStat.ino, with
 *   nlink > 1), share one node, so the kernel sees one inode, one page cache.
 * - `nlookup` counts the kernel's references (every entry handed out, less
 *   FORGETs); a node also lives while it has children in the table, open
 *   handles, or path locks held on it. An unlinked node keeps answering
 *   through its handles until its last FORGET.
 * - Node ids come from a counter below 2^32 (st_ino of a filesystem without
 *   inode numbers stays 32-bit), skipping ids in use; when the counter wraps,
 *   the generation goes up, so (id, generation) never repeats.
 * - Paths are computed from the links and cached per node; renaming a
 *   directory bumps `epoch`, which invalidates every cached path at once.
 */
import { FuseError } from '../api/errors';
import type { AttrInput } from '../api/filesystem';
import { ROOT_ID } from '../protocol';
import { S_IFDIR } from '../linux/constants';

/** libfuse's FUSE_UNKNOWN_INO, never handed out as a node id. */
export const UNKNOWN_INO = 0xffffffff;

interface Link {
  parent: PathNode;
  name: string;
}

export class PathNode {
  /** The kernel's references: entries handed out less FORGETs. */
  nlookup = 0;
  /** The primary link (the path handlers see); null once every name is gone. */
  parent: PathNode | null;
  name: string | null;
  /** Further names of the same inode (hard links), beyond the primary one. */
  links: Link[] | null = null;
  /** Named children known to the table (directories only). */
  children: Map<string, PathNode> | null = null;
  /** The filesystem's inode number (PathStat.ino), 0 when it gave none. */
  ino = 0;
  /** The key this node is registered under for hard-link matching (dev:ino), or null. */
  inoKey: string | null = null;
  /** Handles of the filesystem open on this node (a multiset: filesystems may reuse numbers). */
  opens: number[] | null = null;
  /** Path locks (locks.ts): readers through this node, a writer, a writer queued for it. */
  readers = 0;
  writer = false;
  writerWaiting = false;
  /** Cached path and the epoch it was computed in. */
  path: string | null = null;
  pathEpoch = -1;
  /** The path the node had when it lost its last name. */
  lastPath = '';
  /** auto_cache: size and mtime last seen, when, and whether cached data is still good. */
  cacheSize = -1;
  cacheMtime = -1;
  cacheStamp = 0;
  cacheValid = false;
  /** File type bits, from the attributes last seen. */
  type = 0;
  /** The attributes last answered: what an unlinked node still shows (nlink 0) once nothing can ask the filesystem. */
  attr: AttrInput | null = null;

  constructor(
    readonly id: number,
    readonly generation: number,
    parent: PathNode | null,
    name: string | null,
  ) {
    this.parent = parent;
    this.name = name;
  }

  get isDir(): boolean {
    return this.type === S_IFDIR;
  }

  /** Every name is gone (the root excepted: it has none). */
  get nameless(): boolean {
    return this.parent === null && this.id !== ROOT_ID;
  }

  /** An open handle of this node, for the kernel's handle-less requests on an unlinked file. */
  anyOpen(): number | undefined {
    return this.opens?.[this.opens.length - 1];
  }
}

export class NodeTable {
  readonly root: PathNode;
  private readonly byId = new Map<number, PathNode>();
  private readonly byIno = new Map<string, PathNode>();
  /** Bumped when a directory moves: every cached path is stale. */
  epoch = 0;
  private counter = ROOT_ID;
  private generation = 0;

  /** `idLimit`: the largest node id (below 2^32, as libfuse); tests make it small to see the wrap. */
  constructor(private readonly idLimit = UNKNOWN_INO - 1) {
    this.root = new PathNode(ROOT_ID, 0, null, null);
    this.root.type = S_IFDIR;
    this.root.nlookup = 1;
    this.root.path = '/';
    this.byId.set(ROOT_ID, this.root);
  }

  /** Nodes in the table, the root included. */
  get size(): number {
    return this.byId.size;
  }

  /** The node behind an id the kernel holds (ESTALE for one it does not: a kernel bug or a lost FORGET). */
  get(id: number): PathNode {
    const n = this.byId.get(id);
    if (!n) throw new FuseError('ESTALE', `no node ${id} in the path table`);
    return n;
  }

  has(id: number): boolean {
    return this.byId.has(id);
  }

  child(parent: PathNode, name: string): PathNode | undefined {
    return parent.children?.get(name);
  }

  /** The path of a node: its primary link's; the one it had when it lost its last name. */
  pathOf(n: PathNode): string {
    if (n.path !== null && n.pathEpoch === this.epoch) return n.path;
    const p = n.parent;
    if (p === null) return n === this.root ? '/' : n.lastPath;
    const path = p === this.root ? '/' + n.name! : this.pathOf(p) + '/' + n.name!;
    n.path = path;
    n.pathEpoch = this.epoch;
    return path;
  }

  /** The path `name` in `parent` has (whether or not it exists). */
  pathIn(parent: PathNode, name: string): string {
    return parent === this.root ? '/' + name : this.pathOf(parent) + '/' + name;
  }

  /**
   * The node for `name` in `parent` whose attributes are `type`, `dev`,
   * `ino`, `nlink` (as a lookup found them): the one the table has, or
   * another name of the same inode, or a new node. Counts no lookup.
   */
  resolve(parent: PathNode, name: string, type: number, dev: number, ino: number, nlink: number, useIno: boolean): PathNode {
    const known = parent.children?.get(name);
    if (known) {
      // The name now names another file (changed behind the kernel's back: another inode number,
      // or another type, which the kernel would take for a corrupt inode): that node loses the name.
      const other = (useIno && ino !== 0 && known.ino !== 0 && known.ino !== ino) || (known.type !== 0 && type !== 0 && known.type !== type);
      if (!other) {
        known.type = type;
        return known;
      }
      this.unlink(parent, name);
    }
    const key = useIno && ino !== 0 && nlink > 1 && type !== S_IFDIR ? `${dev}:${ino}` : null;
    if (key !== null) {
      const same = this.byIno.get(key);
      if (same && same.type === type) {
        this.addLink(same, parent, name);
        return same;
      }
    }
    const n = new PathNode(this.nextId(), this.generation, parent, name);
    n.type = type;
    n.ino = useIno ? ino : 0;
    (parent.children ??= new Map()).set(name, n);
    this.byId.set(n.id, n);
    if (key !== null) this.register(n, key);
    return n;
  }

  /** Registers `n` as the node of inode `dev:ino` (a hard link made through link()). */
  registerIno(n: PathNode, dev: number, ino: number): void {
    if (ino !== 0 && n.type !== S_IFDIR) this.register(n, `${dev}:${ino}`);
  }

  private register(n: PathNode, key: string): void {
    if (n.inoKey === key) return;
    if (n.inoKey !== null && this.byIno.get(n.inoKey) === n) this.byIno.delete(n.inoKey);
    n.inoKey = key;
    this.byIno.set(key, n);
  }

  /** Adds the name `name` in `parent` to node `n` (a hard link). */
  addLink(n: PathNode, parent: PathNode, name: string): void {
    const other = parent.children?.get(name);
    if (other === n) return;
    if (other) this.unlink(parent, name);
    (parent.children ??= new Map()).set(name, n);
    if (n.parent === null) {
      n.parent = parent;
      n.name = name;
      n.path = null;
    } else {
      (n.links ??= []).push({ parent, name });
    }
  }

  /** `name` in `parent` is gone (unlink, rmdir, replaced by a rename): its node loses that name. */
  unlink(parent: PathNode, name: string): void {
    const n = parent.children?.get(name);
    if (!n) return;
    parent.children!.delete(name);
    if (n.parent === parent && n.name === name) {
      const path = this.pathOf(n);
      const next = n.links?.shift();
      if (n.links?.length === 0) n.links = null;
      n.parent = next ? next.parent : null;
      n.name = next ? next.name : null;
      n.path = null;
      if (!next) n.lastPath = path;
    } else if (n.links) {
      n.links = n.links.filter((l) => !(l.parent === parent && l.name === name));
      if (n.links.length === 0) n.links = null;
    }
    this.collect(n);
    this.collect(parent);
  }

  /** rename(2) done by the filesystem: the table follows. */
  rename(olddir: PathNode, oldname: string, newdir: PathNode, newname: string): void {
    const n = olddir.children?.get(oldname);
    const target = newdir.children?.get(newname);
    if (n !== undefined && n === target) return; // two names of one inode: rename(2) does nothing
    if (target) this.unlink(newdir, newname);
    if (!n) return;
    olddir.children!.delete(oldname);
    this.relink(n, olddir, oldname, newdir, newname);
    this.collect(olddir);
  }

  /** RENAME_EXCHANGE done by the filesystem: the two names swap nodes. */
  exchange(dir1: PathNode, name1: string, dir2: PathNode, name2: string): void {
    const a = dir1.children?.get(name1);
    const b = dir2.children?.get(name2);
    if (a === b) return;
    if (a) dir1.children!.delete(name1);
    if (b) dir2.children!.delete(name2);
    if (a) this.relink(a, dir1, name1, dir2, name2);
    if (b) this.relink(b, dir2, name2, dir1, name1);
  }

  /** `n`'s name `fromName` in `from` (already out of from's children) becomes `toName` in `to`. */
  private relink(n: PathNode, from: PathNode, fromName: string, to: PathNode, toName: string): void {
    (to.children ??= new Map()).set(toName, n);
    if (n.parent === from && n.name === fromName) {
      n.parent = to;
      n.name = toName;
    } else {
      const l = n.links?.find((x) => x.parent === from && x.name === fromName);
      if (l) {
        l.parent = to;
        l.name = toName;
      }
    }
    this.moved(n);
  }

  private moved(n: PathNode): void {
    n.path = null;
    // Everything below a moved directory has a new path.
    if (n.children !== null && n.children.size > 0) this.epoch++;
  }

  /** The kernel handed out one more reference to `n`. */
  hold(n: PathNode): void {
    n.nlookup++;
  }

  /** FORGET: the kernel drops `count` references. */
  forget(id: number, count: number): void {
    const n = this.byId.get(id);
    if (!n || n === this.root) return;
    n.nlookup = Math.max(0, n.nlookup - count);
    this.collect(n);
  }

  opened(n: PathNode, fh: number): void {
    (n.opens ??= []).push(fh);
  }

  closed(n: PathNode, fh: number): void {
    const o = n.opens;
    if (!o) return;
    const i = o.lastIndexOf(fh);
    if (i >= 0) o.splice(i, 1);
    if (o.length === 0) n.opens = null;
    this.collect(n);
  }

  /** Drops `n` from the table when nothing refers to it any more, then its parents in turn. */
  collect(n: PathNode): void {
    for (let c: PathNode | null = n; c !== null && c !== this.root; ) {
      if (c.nlookup > 0 || c.readers > 0 || c.writer || c.opens !== null || (c.children !== null && c.children.size > 0)) return;
      this.byId.delete(c.id);
      if (c.inoKey !== null && this.byIno.get(c.inoKey) === c) this.byIno.delete(c.inoKey);
      const parent: PathNode | null = c.parent;
      if (parent !== null) {
        for (const l of c.links ?? []) if (l.parent.children?.get(l.name) === c) l.parent.children.delete(l.name);
        if (parent.children?.get(c.name!) === c) parent.children.delete(c.name!);
        c.parent = null;
        c.links = null;
      }
      c = parent;
    }
  }

  private nextId(): number {
    for (;;) {
      this.counter++;
      if (this.counter > this.idLimit) {
        this.counter = ROOT_ID + 1;
        this.generation++;
      }
      if (!this.byId.has(this.counter)) return this.counter;
    }
  }
}
