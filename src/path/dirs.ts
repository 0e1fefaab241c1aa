/**
 * Directories: opendir, readdir, readdirplus, releasedir, fsyncdir.
 *
 * A filesystem lists a directory once per open directory (and again at
 * offset 0: rewinddir); the adapter serves READDIR at any offset from what
 * it kept, so offsets stay valid however the directory changes meanwhile
 * (a snapshot, as POSIX allows). Entry i of the listing has offset i + 1,
 * "." and ".." first (the filesystem's own "." and ".." are skipped).
 *
 * An iterable listing (sync or async) is pulled from as the kernel asks,
 * keeping only the entries from the start of the last reply on (the kernel
 * resumes within it when a caller's buffer fills); an offset before that
 * restarts the listing and skips to it.
 */
import type { DirentPlusSink, DirentSink, Entry, OpenResult, RequestContext } from '../api/filesystem';
import { InvalidReplyError } from '../protocol/errors';
import { isPromise, recover, then, type PathCore, type Settled } from './core';
import { DirHandle, type Item } from './dir-handles';
import { UNKNOWN_INO, type PathNode } from './nodes';
import { openResult } from './open';
import { num } from './stat';
import type { PathDirEntry, PathDirListing } from './types';
import { S_IFMT, S_IFDIR } from '../linux/constants';


function item(e: PathDirEntry): Item {
  if (typeof e === 'string') return { name: e, stat: undefined };
  if (typeof e === 'object' && e !== null && typeof e.name === 'string') return { name: e.name, stat: e.stat };
  throw new InvalidReplyError(`readdir listed ${JSON.stringify(e)}; entries are names or { name, stat }`);
}

const isDot = (n: string): boolean => n === '.' || n === '..';

/** Takes a fresh listing from the filesystem into `h`. */
function load(c: PathCore, h: DirHandle, path: string, ctx: RequestContext): Settled<void> {
  const fs = c.fs;
  const root = c.table.root;
  const first = h.node === root || h.node.parent === root ? c.askRootIno(ctx) : undefined;
  return then(first, () => then(fs.readdir!(path, h.fsFh, ctx), (listing: PathDirListing) => {
    h.close();
    h.base = 0;
    h.stale = false;
    h.items = [{ name: '.', stat: undefined }, { name: '..', stat: undefined }];
    if (Array.isArray(listing)) {
      for (const e of listing as readonly PathDirEntry[]) {
        const it = item(e);
        if (!isDot(it.name)) h.items.push(it);
      }
      return;
    }
    const l = listing as Partial<Iterable<PathDirEntry> & AsyncIterable<PathDirEntry>> | null;
    const async = l?.[Symbol.asyncIterator];
    const sync = l?.[Symbol.iterator];
    if (async) h.pull = async.call(l) as AsyncIterator<PathDirEntry>;
    else if (sync) h.pull = sync.call(l) as Iterator<PathDirEntry>;
    else throw new InvalidReplyError('readdir answered neither an array nor an iterable');
  }));
}

/**
 * Entry `i` of the listing: an Item, null past the end, or a promise of
 * either when it must come from an async iterator.
 */
function at(h: DirHandle, i: number): Item | null | Promise<Item | null> {
  const k = i - h.base;
  if (k < h.items.length) return h.items[k]!;
  const p = h.pull;
  if (!p) return null;
  const got = p.next();
  const take = (r: IteratorResult<PathDirEntry>): Item | null | Promise<Item | null> => {
    if (r.done) {
      h.pull = null;
      return null;
    }
    const it = item(r.value);
    if (!isDot(it.name)) h.items.push(it);
    return at(h, i);
  };
  return isPromise<IteratorResult<PathDirEntry>>(got) ? got.then(take) : take(got);
}

/** Makes `h` able to serve from `offset`: a fresh listing at 0, a restart for an offset already dropped. */
function prepare(c: PathCore, h: DirHandle, offset: number, path: string, ctx: RequestContext): Settled<void> {
  if (!(offset === 0 || h.stale || offset < h.base)) return undefined;
  if (h.node.nameless) {
    // Removed while open: it is empty, and its former path may name another directory by now.
    h.close();
    h.items = [{ name: '.', stat: undefined }, { name: '..', stat: undefined }];
    h.base = 0;
    h.stale = false;
    return undefined;
  }
  return load(c, h, path, ctx);
}

/**
 * Calls `add` on entries from `from` until it says the reply is full or the
 * listing ends; `start` is where this reply began. `add` may need a promise
 * (an entry's attributes), and so may the next entry (an async listing).
 */
function fill(h: DirHandle, start: number, from: number, add: (it: Item, index: number) => Settled<boolean>): Settled<void> {
  for (let i = from; ; i++) {
    const it = at(h, i);
    if (isPromise<Item | null>(it)) return it.then((x) => (x === null ? trim(h, start) : next(h, start, i, add(x, i), add)));
    if (it === null) return trim(h, start);
    const ok = add(it, i);
    if (ok !== true) return next(h, start, i, ok, add);
  }
}

function next(h: DirHandle, start: number, i: number, ok: Settled<boolean>, add: (it: Item, index: number) => Settled<boolean>): Settled<void> {
  return then(ok, (yes) => (yes ? fill(h, start, i + 1, add) : trim(h, start)));
}

/** Entries before this reply's first are dropped from a streamed listing (an array stays whole). */
function trim(h: DirHandle, offset: number): void {
  if (h.pull === null || offset <= h.base) return;
  h.items.splice(0, offset - h.base);
  h.base = offset;
}

/** The inode number a plain READDIR shows for an entry. */
function direntIno(c: PathCore, dir: PathNode, it: Item, index: number): number {
  if (index === 0) return c.displayIno(dir, dir.ino);
  if (index === 1) {
    const p = dir.parent ?? c.table.root;
    return c.displayIno(p, p.ino);
  }
  const st = it.stat;
  if (st && c.opts.useIno) {
    const ino = num(st.ino, 0);
    if (ino !== 0) return ino;
  }
  const child = c.table.child(dir, it.name);
  return child ? c.displayIno(child, child.ino) : UNKNOWN_INO;
}

function direntType(c: PathCore, dir: PathNode, it: Item, index: number): number {
  if (index < 2) return S_IFDIR;
  if (it.stat) return num(it.stat.mode, 0) & S_IFMT;
  return c.table.child(dir, it.name)?.type ?? 0;
}

export function opendir(c: PathCore, ctx: RequestContext, ino: number, flags: number): Settled<OpenResult> {
  const node = c.table.get(ino);
  const fs = c.fs;
  return c.withNamed(ctx, node, (path) =>
    then(fs.opendir ? fs.opendir(path, flags, ctx) : undefined, (r) => {
      const o = openResult(r);
      return { ...o, fh: c.dirs.add(new DirHandle(node, o.fh ?? 0)) };
    }),
  );
}

export function readdir(c: PathCore, ctx: RequestContext, ino: number, fh: number, offset: number, out: DirentSink): Settled<void> {
  const h = c.dirs.get(fh);
  const dir = h.node;
  return c.withNode(ctx, dir, (path) =>
    then(prepare(c, h, offset, path, ctx), () => fill(h, offset, offset, (it, i) => out.add(it.name, direntIno(c, dir, it, i), direntType(c, dir, it, i), i + 1))),
  );
}

/**
 * READDIRPLUS (option readdirplus): each entry is also a lookup, from the
 * attributes the listing gave, or from a getattr for an entry without them.
 * "." and ".." go without attributes (node id 0), as libfuse sends them.
 */
export function readdirplus(c: PathCore, ctx: RequestContext, ino: number, fh: number, offset: number, out: DirentPlusSink): Settled<void> {
  const h = c.dirs.get(fh);
  const dir = h.node;
  return c.withNode(ctx, dir, (path) =>
    then(prepare(c, h, offset, path, ctx), () => plusFrom(c, ctx, h, dir, offset, out)),
  );
}

function plusFrom(c: PathCore, ctx: RequestContext, h: DirHandle, dir: PathNode, offset: number, out: DirentPlusSink): Settled<void> {
  return fill(h, offset, offset, (it, i) => {
    if (i < 2 || it.stat !== undefined) return addPlus(c, dir, it, i, out);
    // No attributes in the listing: a getattr, kept with the listing. One that fails goes without.
    return recover(
      () => then(c.stat(c.table.pathIn(dir, it.name), undefined, ctx), (st) => {
        it.stat = st;
        return addPlus(c, dir, it, i, out);
      }),
      () => addPlus(c, dir, it, i, out),
    );
  });
}

function addPlus(c: PathCore, dir: PathNode, it: Item, i: number, out: DirentPlusSink): boolean {
  if (i < 2 || it.stat === undefined) {
    const entry: Entry = { ino: 0, attr: { mode: direntType(c, dir, it, i) || 0o100000, ino: direntIno(c, dir, it, i) } };
    return out.add(it.name, entry, i + 1);
  }
  const st = it.stat;
  const node = c.table.resolve(dir, it.name, num(st.mode, 0) & S_IFMT, num(st.dev, 0), num(st.ino, 0), num(st.nlink, 1), c.opts.useIno);
  const entry: Entry = { ino: node.id, generation: node.generation, attr: c.attr(node, st), entryTimeout: c.opts.entryTimeout, attrTimeout: c.opts.attrTimeout };
  if (out.add(it.name, entry, i + 1)) {
    c.table.hold(node);
    return true;
  }
  c.table.collect(node);
  return false;
}

export function releasedir(c: PathCore, ctx: RequestContext, ino: number, fh: number): Settled<void> {
  const h = c.dirs.get(fh);
  c.dirs.delete(fh);
  h.close();
  const rel = c.fs.releasedir;
  if (!rel) return undefined;
  return c.withNode(ctx, h.node, (path) => rel.call(c.fs, path, h.fsFh, ctx));
}

export function fsyncdir(c: PathCore, ctx: RequestContext, ino: number, fh: number, datasync: boolean): Settled<void> {
  const h = c.dirs.get(fh);
  return c.withNode(ctx, h.node, (path) => c.fs.fsyncdir!(path, h.fsFh, datasync, ctx));
}

