/**
 * fromPathFilesystem(fs, options): a path-based filesystem as the
 * inode-level Filesystem devfuse serves, as libfuse's fuse_new() puts
 * lib/fuse.c in front of fuse_operations.
 *
 *   await serve(fromPathFilesystem({ getattr, readdir, read }), '/mnt/x');
 *
 * The Filesystem gets a method only where the path filesystem has what it
 * needs, so that what the kernel negotiates and the fallbacks it takes
 * (mknod+open without create, its own locks without lock, no READDIRPLUS
 * without option readdirplus) follow what the filesystem implements.
 */
import type { Filesystem, SessionApi } from '../api/filesystem';
import * as attrs from './attrs';
import { PathCore, resolvePathOptions } from './core';
import * as dirs from './dirs';
import * as io from './io';
import * as names from './names';
import type { PathFilesystem, PathOptions } from './types';

/** The adapter, with what tests and embedders want beyond Filesystem. */
export interface PathAdapter extends Filesystem {
  /** The path filesystem behind it. */
  readonly pathFs: PathFilesystem;
  /** Nodes in the table, the root included (the kit's leak check). */
  readonly nodeCount: number;
  /** Open directories. */
  readonly openDirs: number;
  /**
   * Drops what the kernel caches about `path` (its attributes and data, and
   * the name in its directory), as libfuse's fuse_invalidate_path: for
   * changes made behind the mount's back. Nothing to do when the kernel
   * does not know the path.
   */
  invalidatePath(path: string): Promise<void>;
}

export function fromPathFilesystem(fs: PathFilesystem, options?: PathOptions): PathAdapter {
  return adapt(new PathCore(fs, resolvePathOptions(options)));
}

/** The adapter over an existing core (tests make cores with a small node-id space). */
export function adapt(c: PathCore): PathAdapter {
  const fs = c.fs;
  const o = c.opts;
  const a: PathAdapter = {
    pathFs: fs,
    get nodeCount() {
      return c.table.size;
    },
    get openDirs() {
      return c.dirs.size;
    },
    invalidatePath: (path) => invalidate(c, path),

    init(session: SessionApi) {
      c.session = session;
      return fs.init?.(session);
    },
    destroy: fs.destroy ? () => fs.destroy!() : undefined,

    lookup: (ctx, parent, name) => names.lookup(c, ctx, parent, name),
    forget: (ino, n) => c.table.forget(ino, n),
    getattr: (ctx, ino, fh) => attrs.getattr(c, ctx, ino, fh),
    setattr: (ctx, ino, changes, fh) => attrs.setattr(c, ctx, ino, changes, fh),
  };
  // Everything below exists only when the filesystem has the operation behind it.
  if (fs.readlink) a.readlink = (ctx, ino) => attrs.readlink(c, ctx, ino);
  if (fs.mknod || fs.create) a.mknod = (ctx, parent, name, mode, rdev) => names.mknod(c, ctx, parent, name, mode, rdev);
  if (fs.mkdir) a.mkdir = (ctx, parent, name, mode) => names.mkdir(c, ctx, parent, name, mode);
  if (fs.unlink) a.unlink = (ctx, parent, name) => names.remove(c, ctx, parent, name, false);
  if (fs.rmdir) a.rmdir = (ctx, parent, name) => names.remove(c, ctx, parent, name, true);
  if (fs.symlink) a.symlink = (ctx, parent, name, target) => names.symlink(c, ctx, parent, name, target);
  if (fs.rename) a.rename = (ctx, parent, name, newparent, newname, flags) => names.rename(c, ctx, parent, name, newparent, newname, flags);
  if (fs.link) a.link = (ctx, ino, newparent, newname) => names.link(c, ctx, ino, newparent, newname);
  if (fs.create) a.create = (ctx, parent, name, mode, flags, info) => names.create(c, ctx, parent, name, mode, flags, info);

  // Without open (and nothing to set per open) the session answers opens itself, with handle 0.
  const opens = !!fs.open || o.directIo || o.kernelCache || o.autoCache;
  if (opens) a.open = (ctx, ino, flags, info) => io.open(c, ctx, ino, flags, info);
  if (opens || fs.release) a.release = (ctx, ino, fh, info) => io.release(c, ctx, ino, fh, info);
  if (fs.read) a.read = (ctx, ino, fh, offset, size, info) => io.read(c, ctx, ino, fh, offset, size, info);
  if (fs.write) a.write = (ctx, ino, fh, offset, data, info) => io.write(c, ctx, ino, fh, offset, data, info);
  if (fs.flush) a.flush = (ctx, ino, fh, owner) => io.flush(c, ctx, ino, fh, owner);
  if (fs.fsync) a.fsync = (ctx, ino, fh, datasync) => io.fsync(c, ctx, ino, fh, datasync);
  if (fs.fallocate) a.fallocate = (ctx, ino, fh, mode, offset, length) => io.fallocate(c, ctx, ino, fh, mode, offset, length);
  if (fs.lseek) a.lseek = (ctx, ino, fh, offset, whence) => io.lseek(c, ctx, ino, fh, offset, whence);
  if (fs.copyFileRange) a.copyFileRange = (ctx, i1, f1, o1, i2, f2, o2, len, flags) => io.copyFileRange(c, ctx, i1, f1, o1, i2, f2, o2, len, flags);
  if (fs.lock) {
    a.getlk = (ctx, ino, fh, owner, lock) => io.getlk(c, ctx, ino, fh, owner, lock);
    a.setlk = (ctx, ino, fh, owner, lock, sleep) => io.setlk(c, ctx, ino, fh, owner, lock, sleep);
  }
  if (fs.flock) a.flock = (ctx, ino, fh, owner, op) => io.flock(c, ctx, ino, fh, owner, op);
  if (fs.bmap) a.bmap = (ctx, ino, blocksize, block) => io.bmap(c, ctx, ino, blocksize, block);
  if (fs.ioctl) a.ioctl = (ctx, ino, fh, cmd, arg, input, outSize, flags) => io.ioctl(c, ctx, ino, fh, cmd, arg, input, outSize, flags);
  if (fs.poll) a.poll = (ctx, ino, fh, events, handle) => io.poll(c, ctx, ino, fh, events, handle);

  if (fs.readdir) {
    a.opendir = (ctx, ino, flags) => dirs.opendir(c, ctx, ino, flags);
    a.readdir = (ctx, ino, fh, offset, out) => dirs.readdir(c, ctx, ino, fh, offset, out);
    a.releasedir = (ctx, ino, fh) => dirs.releasedir(c, ctx, ino, fh);
    if (o.readdirplus) a.readdirplus = (ctx, ino, fh, offset, out) => dirs.readdirplus(c, ctx, ino, fh, offset, out);
    if (fs.fsyncdir) a.fsyncdir = (ctx, ino, fh, datasync) => dirs.fsyncdir(c, ctx, ino, fh, datasync);
  }

  if (fs.statfs) a.statfs = (ctx, ino) => attrs.statfs(c, ctx, ino);
  if (fs.access) a.access = (ctx, ino, mask) => attrs.access(c, ctx, ino, mask);
  if (fs.statx) a.statx = (ctx, ino, fh, flags, mask) => attrs.statx(c, ctx, ino, fh, flags, mask);
  if (fs.syncfs) a.syncfs = (ctx, ino) => attrs.syncfs(c, ctx, ino);
  if (fs.setxattr) a.setxattr = (ctx, ino, name, value, flags) => attrs.setxattr(c, ctx, ino, name, value, flags);
  if (fs.getxattr) a.getxattr = (ctx, ino, name) => attrs.getxattr(c, ctx, ino, name);
  if (fs.listxattr) a.listxattr = (ctx, ino) => attrs.listxattr(c, ctx, ino);
  if (fs.removexattr) a.removexattr = (ctx, ino, name) => attrs.removexattr(c, ctx, ino, name);
  return a;
}

async function invalidate(c: PathCore, path: string): Promise<void> {
  const s = c.session;
  if (!s) return;
  const parts = path.split('/').filter((p) => p !== '');
  let node = c.table.root;
  let parent = node;
  for (let i = 0; i < parts.length; i++) {
    const next = c.table.child(node, parts[i]!);
    if (!next) {
      // Unknown to the kernel, except perhaps as a cached "no such name".
      if (i === parts.length - 1) await s.notifyInvalEntry(node.id, parts[i]!).catch(() => undefined);
      return;
    }
    parent = node;
    node = next;
  }
  await s.notifyInvalInode(node.id, 0, 0).catch(() => undefined);
  if (parts.length > 0) await s.notifyInvalEntry(parent.id, parts[parts.length - 1]!).catch(() => undefined);
}
