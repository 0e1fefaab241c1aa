/**
 * The state every operation of the path adapter works on: the filesystem,
 * its options, the node table and the path locks; and the few steps every
 * operation shares (run a handler on a locked path, turn attributes into a
 * reply, hand out an entry).
 *
 * Handlers may answer synchronously: then so does the adapter, with no
 * promise on the way (then() below), as the session does for inode
 * filesystems.
 */
import { FuseError, errnoOf } from '../api/errors';
import type { AttrInput, AttrReplyInput, Entry, RequestContext, Result, SessionApi } from '../api/filesystem';
import { Errno } from '../protocol';
import { DirHandles } from './dir-handles';
import { PathLocks, type Held, type LockPart } from './locks';
import { NodeTable, type PathNode } from './nodes';
import { mtimeKey, num, toAttr, type AttrOverrides } from './stat';
import type { PathFilesystem, PathOptions, PathStat } from './types';
import { S_IFMT, S_IFREG } from '../linux/constants';


export type Settled<T> = T | FuseError | Promise<T | FuseError>;

export function isPromise<T>(v: unknown): v is Promise<T> {
  return typeof (v as Promise<T> | null)?.then === 'function';
}

/** `f` applied now to a value, after it resolves to a promise; a FuseError (returned, not thrown) passes through. */
export function then<T, R>(v: Result<T>, f: (t: T) => Settled<R>): Settled<R> {
  if (isPromise<T | FuseError>(v)) return v.then((x) => (x instanceof FuseError ? x : f(x)));
  return v instanceof FuseError ? v : f(v);
}

/** As then(), and `onError` sees an error thrown or returned (with its errno) and may answer instead. */
export function recover<T>(v: () => Result<T>, onError: (errno: number | undefined, e: unknown) => Settled<T>): Settled<T> {
  let r: Result<T>;
  try {
    r = v();
  } catch (e) {
    return onError(errnoOf(e), e);
  }
  if (isPromise<T | FuseError>(r)) return r.then((x) => (x instanceof FuseError ? onError(x.errno, x) : x), (e: unknown) => onError(errnoOf(e), e));
  return r instanceof FuseError ? onError(r.errno, r) : r;
}

/** Runs `after` once `v` settles, whichever way, and passes the outcome on. */
export function lastly<T>(v: () => Settled<T>, after: () => void): Settled<T> {
  let r: Settled<T>;
  try {
    r = v();
  } catch (e) {
    after();
    throw e;
  }
  if (!isPromise<T | FuseError>(r)) {
    after();
    return r;
  }
  return r.then(
    (x) => {
      after();
      return x;
    },
    (e: unknown) => {
      after();
      throw e;
    },
  );
}

export interface ResolvedPathOptions extends AttrOverrides {
  entryTimeout: number | undefined;
  attrTimeout: number | undefined;
  negativeTimeout: number | undefined;
  useIno: boolean;
  directIo: boolean;
  kernelCache: boolean;
  autoCache: boolean;
  /** ms */
  acAttrTimeout: number;
  readdirplus: boolean;
}

export function resolvePathOptions(o: PathOptions = {}): ResolvedPathOptions {
  for (const k of ['entryTimeout', 'attrTimeout', 'negativeTimeout', 'acAttrTimeout'] as const) {
    const v = o[k];
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && Number.isFinite(v))) throw new Error(`path option ${k} must be a number of seconds ≥ 0, not ${String(v)}`);
  }
  for (const k of ['uid', 'gid', 'umask'] as const) {
    const v = o[k];
    if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) throw new Error(`path option ${k} must be an integer ≥ 0, not ${String(v)}`);
  }
  return {
    entryTimeout: o.entryTimeout,
    attrTimeout: o.attrTimeout,
    negativeTimeout: o.negativeTimeout,
    useIno: o.useIno ?? true,
    directIo: o.directIo ?? false,
    kernelCache: o.kernelCache ?? false,
    autoCache: o.autoCache ?? false,
    acAttrTimeout: (o.acAttrTimeout ?? o.attrTimeout ?? 1) * 1000,
    readdirplus: o.readdirplus ?? true,
    uid: o.uid,
    gid: o.gid,
    umask: o.umask,
  };
}

/** A lookup that found nothing: a negative entry, cached for the negative timeout. */
const NEGATIVE_ATTR = { mode: S_IFREG };

export class PathCore {
  readonly table: NodeTable;
  readonly locks: PathLocks;
  readonly dirs = new DirHandles();
  session: SessionApi | null = null;
  private readonly negative: Entry;
  /** The root's inode number was asked for (askRootIno). */
  private rootAsked = false;

  constructor(
    readonly fs: PathFilesystem,
    readonly opts: ResolvedPathOptions,
    idLimit?: number,
  ) {
    this.table = new NodeTable(idLimit);
    this.locks = new PathLocks(this.table.root);
    this.negative = { ino: 0, attr: NEGATIVE_ATTR, entryTimeout: opts.negativeTimeout };
  }

  /** A negative entry (returned, not thrown: lookups of absent names come before every create). */
  get negativeEntry(): Entry {
    return this.negative;
  }

  /**
   * As withNode, for operations that act on a path and nothing else: a node
   * with no name left is ESTALE (as in libfuse), since its former path may
   * name another file by now.
   */
  withNamed<T>(ctx: RequestContext, node: PathNode, body: (path: string) => Settled<T>): Settled<T> {
    if (node.nameless) throw new FuseError('ESTALE');
    return this.withNode(ctx, node, body);
  }

  /**
   * Runs `body` with the path of `node`, read-locked until it settles. A
   * node with no name left gets the path it had: the operations that use
   * this take a handle, which is what the filesystem should go by.
   */
  withNode<T>(ctx: RequestContext, node: PathNode, body: (path: string) => Settled<T>): Settled<T> {
    if (this.locks.tryRead(node)) return lastly(() => body(this.table.pathOf(node)), () => this.unread(node));
    return this.withParts(ctx, [{ node, name: null, write: false }], () => body(this.table.pathOf(node)));
  }

  /** Releases a read lock; a node the kernel forgot while it was held goes now. */
  private unread(node: PathNode): void {
    this.locks.unread(node);
    if (node.nlookup === 0) this.table.collect(node);
  }

  /** Runs `body` with the path of `name` in `parent`, the parent's path read-locked until it settles. */
  withName<T>(ctx: RequestContext, parent: PathNode, name: string, body: (path: string) => Settled<T>): Settled<T> {
    // A removed directory holds no names (the kernel says so itself before asking, as a rule).
    if (parent.nameless) throw new FuseError('ENOENT');
    if (this.locks.tryRead(parent)) return lastly(() => body(this.table.pathIn(parent, name)), () => this.unread(parent));
    return this.withParts(ctx, [{ node: parent, name, write: false }], () => body(this.table.pathIn(parent, name)));
  }

  /** Runs `body` once every part is locked (unlink, rmdir, rename, link). */
  withParts<T>(ctx: RequestContext, parts: LockPart[], body: () => Settled<T>): Settled<T> {
    const h = this.locks.tryAcquire(parts);
    if (h) return this.holding(h, body);
    return this.locks.wait(parts, ctx.signal).then((held) => this.holding(held, body));
  }

  private holding<T>(h: Held, body: () => Settled<T>): Settled<T> {
    return lastly(body, () => {
      this.locks.release(h);
      for (const n of h.chains) if (n.nlookup === 0) this.table.collect(n);
    });
  }

  /** The inode number the kernel shows for `node` given the filesystem's `ino`. */
  displayIno(node: PathNode, fsIno: number): number {
    return this.opts.useIno && fsIno !== 0 ? fsIno : node.id;
  }

  /** Attributes of `node` as a reply; notes what auto_cache needs. */
  attr(node: PathNode, st: PathStat): AttrInput {
    if (typeof st !== 'object' || st === null) throw new FuseError('EIO', `the filesystem answered attributes ${String(st)}`);
    const fsIno = num(st.ino, 0);
    const a = toAttr(st, this.displayIno(node, fsIno), this.opts);
    // Other nodes get theirs when made (NodeTable.resolve); the root's is known from its attributes.
    if (node === this.table.root && this.opts.useIno) node.ino = fsIno;
    // The kernel removed its last name: no link is left, whatever the filesystem counts
    // (fuse-native programs say 1, as fuse-native turned a 0 into 1).
    if (node.nameless) a.nlink = 0;
    node.type = a.mode & S_IFMT;
    node.attr = a;
    if (this.opts.autoCache) this.seen(node, a);
    return a;
  }

  attrReply(node: PathNode, st: PathStat): AttrReplyInput {
    const attr = this.attr(node, st);
    return this.opts.attrTimeout === undefined ? attr : { attr, attrTimeout: this.opts.attrTimeout };
  }

  /** auto_cache: a change of size or mtime since they were last seen makes cached data stale. */
  private seen(node: PathNode, a: AttrInput): void {
    const m = mtimeKey(a);
    const size = a.size ?? 0;
    if (node.cacheValid && (m !== node.cacheMtime || size !== node.cacheSize)) node.cacheValid = false;
    node.cacheMtime = m;
    node.cacheSize = size;
    node.cacheStamp = performance.now();
  }

  /**
   * The entry for `name` in `parent` that the filesystem says has attributes
   * `st`: the node found or made for it, one lookup counted.
   */
  entry(parent: PathNode, name: string, st: PathStat): Entry {
    if (typeof st !== 'object' || st === null) throw new FuseError('EIO', `the filesystem answered attributes ${String(st)} for ${this.table.pathIn(parent, name)}`);
    const type = num(st.mode, 0) & S_IFMT;
    const node = this.table.resolve(parent, name, type, num(st.dev, 0), num(st.ino, 0), num(st.nlink, 1), this.opts.useIno);
    const attr = this.attr(node, st);
    this.table.hold(node);
    return { ino: node.id, generation: node.generation, attr, entryTimeout: this.opts.entryTimeout, attrTimeout: this.opts.attrTimeout };
  }

  /** Attributes of `path` (through `fh` when there is one), ENOSYS without getattr, the root excepted. */
  stat(path: string, fh: number | undefined, ctx: RequestContext): Result<PathStat> {
    const { fs } = this;
    if (fh !== undefined && fs.fgetattr) return fs.fgetattr(path, fh, ctx);
    if (fs.getattr) return fs.getattr(path, fh, ctx);
    // libfuse would answer ENOSYS, which leaves the mount unusable: the root at least is a directory.
    if (path === '/') return { mode: 0o040755, nlink: 2 };
    throw new FuseError('ENOSYS');
  }

  /**
   * With useIno, "." and ".." show the filesystem's inode numbers, and the
   * root's is known only from a GETATTR of "/", which the kernel need not
   * have sent before listing the root or a directory in it: asked once,
   * then. A failure leaves the node id in its place.
   */
  askRootIno(ctx: RequestContext): Settled<void> {
    const root = this.table.root;
    if (!this.opts.useIno || root.ino !== 0 || this.rootAsked) return undefined;
    this.rootAsked = true;
    return recover(
      () => then(this.stat('/', undefined, ctx), (st) => void this.attr(root, st)),
      () => undefined,
    );
  }

  /** The attributes after a create-like operation: what it returned, else a getattr. */
  statAfter(path: string, returned: PathStat | void, fh: number | undefined, ctx: RequestContext): Result<PathStat> {
    return returned !== undefined && returned !== null && typeof returned === 'object' ? returned : this.stat(path, fh, ctx);
  }
}

/** ENOENT answered as a negative entry; anything else passes on. */
export function isEnoent(errno: number | undefined): boolean {
  return errno === Errno.ENOENT;
}
