/**
 * Attributes and the per-node operations that return data about a node:
 * getattr, setattr (as libfuse splits it: chmod, chown, truncate, utimens),
 * readlink, statfs, access, xattrs, statx, syncfs.
 */
import { FuseError } from '../api/errors';
import type { AttrReplyInput, RequestContext, SetattrChanges, StatfsResult, StatxResult, Timespec } from '../api/filesystem';
import { decodeName } from '../protocol/names';
import { InvalidReplyError } from '../protocol/errors';
import { recover, then, type PathCore, type Settled } from './core';
import type { PathNode } from './nodes';
import { num } from './stat';

/**
 * The handle to ask through: the one the kernel named, else for a node
 * that lost its last name one of its open handles (the kernel asks for the
 * attributes of an unlinked open file without naming one).
 */
export function handleFor(c: PathCore, node: PathNode, fh: number | undefined): number | undefined {
  if (fh !== undefined || node.parent !== null || node === c.table.root) return fh;
  return node.anyOpen();
}

export function getattr(c: PathCore, ctx: RequestContext, ino: number, fh: number | undefined): Settled<AttrReplyInput> {
  const node = c.table.get(ino);
  const h = handleFor(c, node, fh);
  if (!node.nameless) return c.withNode(ctx, node, (path) => then(c.stat(path, h, ctx), (st) => c.attrReply(node, st)));
  // Unlinked: asked through a handle when one is open, else (or when the filesystem cannot say)
  // the attributes it last had, with no link left: the inode lives on until the kernel forgets it.
  if (h === undefined) return lastAttr(c, node);
  return c.withNode(ctx, node, (path) =>
    recover(
      () => then(c.stat(path, h, ctx), (st) => c.attrReply(node, st)),
      () => lastAttr(c, node),
    ),
  );
}

function lastAttr(c: PathCore, node: PathNode): AttrReplyInput {
  if (!node.attr) throw new FuseError('ESTALE');
  const attr = { ...node.attr, nlink: 0 };
  return c.opts.attrTimeout === undefined ? attr : { attr, attrTimeout: c.opts.attrTimeout };
}

/** Operations on a node with no name left need a handle to go through: ESTALE without one. */
function needsHandle(node: PathNode, h: number | undefined): void {
  if (node.nameless && h === undefined) throw new FuseError('ESTALE');
}

function now(): Timespec {
  const ms = performance.timeOrigin + performance.now();
  const sec = Math.floor(ms / 1000);
  return { sec, nsec: Math.min(999_999_999, Math.floor((ms - sec * 1000) * 1e6)) };
}

function step(prev: Settled<void> | undefined, next: () => Settled<void>): Settled<void> {
  return prev === undefined ? next() : then(prev, next);
}

function missing(op: string): never {
  throw new FuseError('ENOSYS', `the filesystem has no ${op}`);
}

export function setattr(c: PathCore, ctx: RequestContext, ino: number, changes: SetattrChanges, fh: number | undefined): Settled<AttrReplyInput> {
  const node = c.table.get(ino);
  const { fs } = c;
  const h = handleFor(c, node, fh);
  needsHandle(node, h);
  return c.withNode(ctx, node, (path) => {
    let r: Settled<void> | undefined;
    // In libfuse's order: mode, owner, size, times; then the attributes as they are now.
    if (changes.mode !== undefined) {
      const mode = changes.mode;
      r = step(r, () => (fs.chmod ? fs.chmod(path, mode, h, ctx) : missing('chmod')));
    }
    if (changes.uid !== undefined || changes.gid !== undefined) {
      const uid = changes.uid ?? -1;
      const gid = changes.gid ?? -1;
      r = step(r, () => (fs.chown ? fs.chown(path, uid, gid, h, ctx) : missing('chown')));
    }
    if (changes.size !== undefined) {
      const size = changes.size;
      r = step(r, () => (h !== undefined && fs.ftruncate ? fs.ftruncate(path, h, size, ctx) : fs.truncate ? fs.truncate(path, size, h, ctx) : missing('truncate')));
    }
    // The kernel sends ftruncate(2) as SIZE with MTIME_NOW. On a file with no name left, a filesystem
    // whose utimens goes by path (fuse-native's) would answer ENOENT: its truncate has set the mtime.
    const truncateTime = changes.size !== undefined && changes.mtime === 'now' && changes.atime === undefined && node.nameless;
    if ((changes.atime !== undefined || changes.mtime !== undefined) && !truncateTime) {
      const t = changes.atime === 'now' || changes.mtime === 'now' ? now() : undefined;
      const atime = changes.atime === 'now' ? t : changes.atime;
      const mtime = changes.mtime === 'now' ? t : changes.mtime;
      r = step(r, () => (fs.utimens ? fs.utimens(path, atime, mtime, h, ctx) : missing('utimens')));
    }
    return then(r, () => then(c.stat(path, h, ctx), (st) => c.attrReply(node, st)));
  });
}

export function readlink(c: PathCore, ctx: RequestContext, ino: number): Settled<string> {
  const node = c.table.get(ino);
  return c.withNamed(ctx, node, (path) =>
    then(c.fs.readlink!(path, ctx), (t) => {
      if (Buffer.isBuffer(t)) return decodeName(t, 0, t.length);
      if (typeof t !== 'string') throw new InvalidReplyError(`readlink answered ${typeof t}, not a string or Buffer`);
      return t;
    }),
  );
}

export function statfs(c: PathCore, ctx: RequestContext, ino: number): Settled<StatfsResult> {
  return c.withNamed(ctx, c.table.get(ino), (path) => c.fs.statfs!(path, ctx));
}

export function access(c: PathCore, ctx: RequestContext, ino: number, mask: number): Settled<void> {
  return c.withNamed(ctx, c.table.get(ino), (path) => c.fs.access!(path, mask, ctx));
}

export function statx(c: PathCore, ctx: RequestContext, ino: number, fh: number | undefined, flags: number, mask: number): Settled<StatxResult> {
  const node = c.table.get(ino);
  const h = handleFor(c, node, fh);
  needsHandle(node, h);
  return c.withNode(ctx, node, (path) => then(c.fs.statx!(path, flags, mask, h, ctx), (r) => statxReply(c, node, r)));
}

/** The filesystem's statx as GETATTR would show it: the inode number the layer shows, the uid/gid/umask options applied. */
function statxReply(c: PathCore, node: PathNode, r: StatxResult): StatxResult {
  if (typeof r !== 'object' || r === null || typeof r.stat !== 'object' || r.stat === null) throw new InvalidReplyError(`statx answered ${String(r)}, not { stat }`);
  const { uid, gid, umask } = c.opts;
  const st = { ...r.stat, ino: c.displayIno(node, num(r.stat.ino, 0)) };
  if (uid !== undefined) st.uid = uid;
  if (gid !== undefined) st.gid = gid;
  if (umask !== undefined) st.mode &= ~(umask & 0o777);
  return { ...r, stat: st };
}

export function syncfs(c: PathCore, ctx: RequestContext, ino: number): Settled<void> {
  return c.withNamed(ctx, c.table.get(ino), (path) => c.fs.syncfs!(path, ctx));
}

export function setxattr(c: PathCore, ctx: RequestContext, ino: number, name: string, value: Buffer, flags: number): Settled<void> {
  return c.withNamed(ctx, c.table.get(ino), (path) => c.fs.setxattr!(path, name, value, flags, ctx));
}

export function getxattr(c: PathCore, ctx: RequestContext, ino: number, name: string): Settled<Buffer> {
  return c.withNamed(ctx, c.table.get(ino), (path) => c.fs.getxattr!(path, name, ctx));
}

export function listxattr(c: PathCore, ctx: RequestContext, ino: number): Settled<string[]> {
  return c.withNamed(ctx, c.table.get(ino), (path) => c.fs.listxattr!(path, ctx));
}

export function removexattr(c: PathCore, ctx: RequestContext, ino: number, name: string): Settled<void> {
  return c.withNamed(ctx, c.table.get(ino), (path) => c.fs.removexattr!(path, name, ctx));
}
