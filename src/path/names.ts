/**
 * Operations on names: lookup, the creates, unlink, rmdir, rename, link.
 * Each calls the filesystem with paths and keeps the node table in step
 * with what it answered (libfuse's lookup_path, find_node, unlink_node,
 * rename_node), under the path locks (locks.ts).
 */
import { FuseError } from '../api/errors';
import type { Entry, OpenInfo, OpenResult, RequestContext } from '../api/filesystem';
import { Errno } from '../protocol';
import { isEnoent, lastly, recover, then, type PathCore, type Settled } from './core';
import { opened, openResult, releaseQuietly } from './open';
import type { PathNode } from './nodes';
import { num } from './stat';
import type { PathStat } from './types';
import { S_IFMT, S_IFREG, O_WRONLY, O_CREAT, O_EXCL } from '../linux/constants';

const RENAME_EXCHANGE = 2;

/** A FuseError is answered as it is; anything else thrown goes on being thrown. */
function rethrow(e: unknown): FuseError {
  if (e instanceof FuseError) return e;
  throw e;
}

export function lookup(c: PathCore, ctx: RequestContext, parentId: number, name: string): Settled<Entry> {
  const parent = c.table.get(parentId);
  if (name === '.' || name === '..') {
    // Only with -o export_support: the kernel resolves these itself otherwise.
    const node = name === '.' ? parent : (parent.parent ?? c.table.root);
    return c.withNamed(ctx, node, (path) => then(c.stat(path, undefined, ctx), (st) => self(c, node, st)));
  }
  return c.withName(ctx, parent, name, (path) =>
    recover(
      () => then(c.stat(path, undefined, ctx), (st) => c.entry(parent, name, st)),
      (errno, e) => (isEnoent(errno) ? c.negativeEntry : rethrow(e)),
    ),
  );
}

/** An entry for a node already in the table ("." and ".."). */
function self(c: PathCore, node: PathNode, st: PathStat): Entry {
  const attr = c.attr(node, st);
  c.table.hold(node);
  return { ino: node.id, generation: node.generation, attr, entryTimeout: c.opts.entryTimeout, attrTimeout: c.opts.attrTimeout };
}

export function mknod(c: PathCore, ctx: RequestContext, parentId: number, name: string, mode: number, rdev: number): Settled<Entry> {
  const parent = c.table.get(parentId);
  const { fs } = c;
  return c.withName(ctx, parent, name, (path) => {
    const viaMknod = (): Settled<Entry> => {
      if (!fs.mknod) throw new FuseError('ENOSYS');
      return then(fs.mknod(path, mode, rdev, ctx), (r) => then(c.statAfter(path, r, undefined, ctx), (st) => c.entry(parent, name, st)));
    };
    // As libfuse: a regular file is made with create when the filesystem has it, mknod otherwise.
    if ((mode & S_IFMT) !== S_IFREG || !fs.create) return viaMknod();
    return recover(
      () =>
        then(fs.create!(path, mode, O_CREAT | O_EXCL | O_WRONLY, ctx), (r) => {
          const fh = openResult(r).fh ?? 0;
          return lastly(
            () => then(c.stat(path, fh, ctx), (st) => c.entry(parent, name, st)),
            () => releaseQuietly(c, path, fh, O_WRONLY, ctx),
          );
        }),
      (errno, e) => (errno === Errno.ENOSYS && fs.mknod ? viaMknod() : rethrow(e)),
    );
  });
}

export function mkdir(c: PathCore, ctx: RequestContext, parentId: number, name: string, mode: number): Settled<Entry> {
  const parent = c.table.get(parentId);
  const fs = c.fs;
  return c.withName(ctx, parent, name, (path) => {
    if (!fs.mkdir) throw new FuseError('ENOSYS');
    return then(fs.mkdir(path, mode, ctx), (r) => then(c.statAfter(path, r, undefined, ctx), (st) => c.entry(parent, name, st)));
  });
}

export function symlink(c: PathCore, ctx: RequestContext, parentId: number, name: string, target: string): Settled<Entry> {
  const parent = c.table.get(parentId);
  const fs = c.fs;
  return c.withName(ctx, parent, name, (path) => {
    if (!fs.symlink) throw new FuseError('ENOSYS');
    return then(fs.symlink(target, path, ctx), (r) => then(c.statAfter(path, r, undefined, ctx), (st) => c.entry(parent, name, st)));
  });
}

/** unlink and rmdir: the name loses its node once the filesystem has removed it. */
export function remove(c: PathCore, ctx: RequestContext, parentId: number, name: string, dir: boolean): Settled<void> {
  const parent = c.table.get(parentId);
  const op = dir ? c.fs.rmdir : c.fs.unlink;
  if (!op) throw new FuseError('ENOSYS');
  // A removed directory's former path may name another directory by now.
  if (parent.nameless) throw new FuseError('ENOENT');
  return c.withParts(ctx, [{ node: parent, name, write: true }], () =>
    then(op.call(c.fs, c.table.pathIn(parent, name), ctx), () => c.table.unlink(parent, name)),
  );
}

export function rename(c: PathCore, ctx: RequestContext, parentId: number, name: string, newparentId: number, newname: string, flags: number): Settled<void> {
  const olddir = c.table.get(parentId);
  const newdir = c.table.get(newparentId);
  const fs = c.fs;
  if (!fs.rename) throw new FuseError('ENOSYS');
  if (olddir.nameless || newdir.nameless) throw new FuseError('ENOENT');
  const parts = [{ node: olddir, name, write: true }, { node: newdir, name: newname, write: true }];
  return c.withParts(ctx, parts, () =>
    then(fs.rename!(c.table.pathIn(olddir, name), c.table.pathIn(newdir, newname), flags, ctx), () => {
      if (flags & RENAME_EXCHANGE) c.table.exchange(olddir, name, newdir, newname);
      else c.table.rename(olddir, name, newdir, newname);
    }),
  );
}

export function link(c: PathCore, ctx: RequestContext, ino: number, newparentId: number, newname: string): Settled<Entry> {
  const node = c.table.get(ino);
  const newdir = c.table.get(newparentId);
  const fs = c.fs;
  if (!fs.link) throw new FuseError('ENOSYS');
  // link(2) of a file whose names are all gone is ENOENT: its path may name another file now.
  if (node.nameless || newdir.nameless) throw new FuseError('ENOENT');
  const parts = [{ node, name: null, write: false }, { node: newdir, name: newname, write: false }];
  return c.withParts(ctx, parts, () => {
    const path = c.table.pathIn(newdir, newname);
    return then(fs.link!(c.table.pathOf(node), path, ctx), (r) =>
      then(c.statAfter(path, r, undefined, ctx), (st) => {
        // One inode, two names: the new name is the same node (libfuse 2 made it a second inode).
        c.table.addLink(node, newdir, newname);
        if (c.opts.useIno) c.table.registerIno(node, num(st.dev, 0), num(st.ino, 0));
        return self(c, node, st);
      }),
    );
  });
}

export function create(c: PathCore, ctx: RequestContext, parentId: number, name: string, mode: number, flags: number, _info: OpenInfo): Settled<{ entry: Entry; open: OpenResult }> {
  const parent = c.table.get(parentId);
  const fs = c.fs;
  return c.withName(ctx, parent, name, (path) =>
    then(fs.create!(path, mode, flags, ctx), (r) => {
      const o = openResult(r);
      const fh = o.fh ?? 0;
      return recover(
        () =>
          then(c.stat(path, fh, ctx), (st) => {
            const entry = c.entry(parent, name, st);
            const node = c.table.get(entry.ino);
            // A new file has nothing cached to keep.
            node.cacheValid = true;
            return { entry, open: opened(c, node, o) };
          }),
        (_errno, e) => {
          // As libfuse: a create whose file cannot be looked up is released and fails.
          releaseQuietly(c, path, fh, flags, ctx);
          return rethrow(e);
        },
      );
    }),
  );
}
