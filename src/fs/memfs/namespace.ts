/**
 * Operations on names: lookup, the creates (mknod, mkdir, symlink, create,
 * tmpfile, link), unlink, rmdir and rename. Each checks in the order Linux
 * does (search permission for the lookup, existence, write permission,
 * sticky bit, types), so the errno a caller sees is the one ext4 or tmpfs
 * would give, and changes nothing until every check has passed.
 */
import { nameByteLength } from '../../protocol';
import type { Entry, OpenResult, RequestContext } from '../../api/filesystem';
import { FuseError } from '../../api/errors';
import {
  LINK_MAX, O_EXCL, RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT, S_IALLUGO, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO,
  S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, S_ISGID, S_ISUID, S_IXGRP, SYMLINK_MAX, W_OK,
} from './constants';
import { Directory } from './dir';
import type { Inode } from './inode';
import { checkNameLength, checkNewName, isDotName } from './names';
import { openFile } from './io';
import { symlinkCost, type MemfsState } from './state';

/** The directory `ino` as a parent to look names up in: ENOTDIR, and search permission. */
function searchable(st: MemfsState, ctx: RequestContext, ino: number): Inode {
  const dir = st.get(ino);
  dir.entries();
  st.perms.search(ctx, dir);
  return dir;
}

/** The inode `name` in `dir` names, or undefined. */
function find(st: MemfsState, dir: Inode, name: string): Inode | undefined {
  checkNameLength(name);
  const e = dir.entries().get(name);
  return e && st.get(e.ino);
}

/** The inode `name` in `dir` names, ENOENT if none. */
function child(st: MemfsState, dir: Inode, name: string): Inode {
  const i = find(st, dir, name);
  if (!i) throw new FuseError('ENOENT');
  return i;
}

/** Returned, not thrown: a negative lookup precedes every create and most path searches (filesystem.ts, Result). */
const NO_ENTRY = new FuseError('ENOENT');

export function lookup(st: MemfsState, ctx: RequestContext, parent: number, name: string): Entry | FuseError {
  const dir = searchable(st, ctx, parent);
  // Only asked with -o export_support (the kernel resolves "." and ".." itself otherwise).
  if (name === '.') return st.entry(dir);
  if (name === '..') return st.entry(st.get(dir.parent));
  const i = find(st, dir, name);
  return i ? st.entry(i) : NO_ENTRY;
}

/**
 * Checks that `name` can be created in `parent` and returns the directory:
 * search permission, EEXIST, a removed directory (ENOENT), write permission.
 */
function creatable(st: MemfsState, ctx: RequestContext, parent: number, name: string): Inode {
  const dir = searchable(st, ctx, parent);
  checkNewName(name);
  if (dir.entries().get(name)) throw new FuseError('EEXIST');
  // A directory already removed (a process's cwd) takes no new names.
  if (dir.nlink === 0) throw new FuseError('ENOENT');
  st.perms.dirWrite(ctx, dir);
  return dir;
}

/**
 * Owner, group and mode of a new inode (inode_init_owner): the caller's
 * uid; the directory's gid if it is setgid (subdirectories then inherit
 * setgid too), else the caller's gid; the umask applied (harmless when the
 * kernel already did: it is idempotent, and with posix_acl the kernel
 * leaves it to us); setgid dropped from a group-executable file created in
 * a setgid directory by a non-member (mode_strip_sgid).
 */
function newOwnership(st: MemfsState, ctx: RequestContext, dir: Inode, type: number, mode: number, umask = ctx.umask): { mode: number; uid: number; gid: number } {
  let perm = mode & S_IALLUGO & ~umask;
  let gid = ctx.gid;
  if (dir.mode & S_ISGID) {
    gid = dir.gid;
    if (type === S_IFDIR) perm |= S_ISGID;
    else if ((perm & (S_ISGID | S_IXGRP)) === (S_ISGID | S_IXGRP) && !st.perms.maySetgid(ctx, gid)) perm &= ~S_ISGID;
  }
  return { mode: type | perm, uid: ctx.uid, gid };
}

/** Makes the inode and links it as `name` in `dir`. */
function make(st: MemfsState, ctx: RequestContext, dir: Inode, name: string, type: number, mode: number, umask = ctx.umask): Inode {
  const o = newOwnership(st, ctx, dir, type, mode, umask);
  const inode = st.create(o.mode, o.uid, o.gid);
  if (type === S_IFREG) inode.data = st.newFileData();
  if (type === S_IFDIR) {
    inode.dir = new Directory();
    inode.parent = dir.ino;
  }
  link(st, dir, name, inode);
  return inode;
}

/** Adds the name, counts the link (a directory also adds its ".." to the parent), stamps the parent. */
function link(st: MemfsState, dir: Inode, name: string, inode: Inode): void {
  dir.entries().add(name, inode.ino);
  inode.nlink += inode.isDir ? 2 : 1;
  if (inode.isDir) dir.nlink++;
  st.modified(dir);
}

export function mknod(st: MemfsState, ctx: RequestContext, parent: number, name: string, mode: number, rdev: number): Entry {
  const type = mode & S_IFMT || S_IFREG;
  if (type === S_IFDIR) throw new FuseError('EPERM');
  if (type !== S_IFREG && type !== S_IFCHR && type !== S_IFBLK && type !== S_IFIFO && type !== S_IFSOCK) throw new FuseError('EINVAL');
  const dir = creatable(st, ctx, parent, name);
  const inode = make(st, ctx, dir, name, type, mode);
  if (type === S_IFCHR || type === S_IFBLK) inode.rdev = rdev;
  return st.entry(inode);
}

export function mkdir(st: MemfsState, ctx: RequestContext, parent: number, name: string, mode: number): Entry {
  const dir = creatable(st, ctx, parent, name);
  if (dir.nlink >= LINK_MAX) throw new FuseError('EMLINK');
  // mkdir(2) never sets setuid/setgid from the mode (vfs_mkdir masks them); setgid comes only from the parent.
  return st.entry(make(st, ctx, dir, name, S_IFDIR, mode & ~(S_ISUID | S_ISGID)));
}

export function symlink(st: MemfsState, ctx: RequestContext, parent: number, name: string, target: string): Entry {
  if (target.length === 0) throw new FuseError('ENOENT');
  if (nameByteLength(target) > SYMLINK_MAX) throw new FuseError('ENAMETOOLONG');
  const dir = creatable(st, ctx, parent, name);
  if (!st.reserveBytes(symlinkCost(target))) throw new FuseError('ENOSPC');
  let inode: Inode;
  try {
    // Symlink permissions are always 0777 (no umask): access is decided by what the link points to.
    inode = make(st, ctx, dir, name, S_IFLNK, 0o777, 0);
  } catch (e) {
    st.releaseBytes(symlinkCost(target));
    throw e;
  }
  inode.target = target;
  return st.entry(inode);
}

export function create(st: MemfsState, ctx: RequestContext, parent: number, name: string, mode: number, flags: number): { entry: Entry; open: OpenResult } {
  const dir = searchable(st, ctx, parent);
  checkNewName(name);
  const existing = dir.entries().get(name);
  if (existing) {
    // The name appeared between the kernel's lookup and this CREATE: O_EXCL fails, otherwise it is an open.
    if (flags & O_EXCL) throw new FuseError('EEXIST');
    const inode = st.get(existing.ino);
    if (inode.isDir) throw new FuseError('EISDIR');
    const open = openFile(st, ctx, inode, flags);
    return { entry: st.entry(inode), open };
  }
  const d = creatable(st, ctx, parent, name);
  const inode = make(st, ctx, d, name, S_IFREG, mode);
  return { entry: st.entry(inode), open: { fh: st.open(inode, flags), keepCache: true } };
}

/** O_TMPFILE: a file with no name, open; linkat() may name it later unless O_EXCL was given. */
export function tmpfile(st: MemfsState, ctx: RequestContext, parent: number, mode: number, flags: number): { entry: Entry; open: OpenResult } {
  const dir = searchable(st, ctx, parent);
  if (dir.nlink === 0) throw new FuseError('ENOENT');
  st.perms.dirWrite(ctx, dir);
  const o = newOwnership(st, ctx, dir, S_IFREG, mode);
  const inode = st.create(o.mode, o.uid, o.gid);
  inode.data = st.newFileData();
  inode.linkable = (flags & O_EXCL) === 0;
  return { entry: st.entry(inode), open: { fh: st.open(inode, flags), keepCache: true } };
}

export function hardlink(st: MemfsState, ctx: RequestContext, ino: number, newparent: number, newname: string): Entry {
  const inode = st.get(ino);
  const dir = creatable(st, ctx, newparent, newname);
  if (inode.isDir) throw new FuseError('EPERM');
  // An unlinked file cannot get a name back, except an O_TMPFILE (once).
  if (inode.nlink === 0 && !inode.linkable) throw new FuseError('ENOENT');
  if (inode.nlink >= LINK_MAX) throw new FuseError('EMLINK');
  inode.linkable = false;
  link(st, dir, newname, inode);
  st.changed(inode);
  return st.entry(inode);
}

export function unlink(st: MemfsState, ctx: RequestContext, parent: number, name: string): void {
  const dir = searchable(st, ctx, parent);
  if (isDotName(name)) throw new FuseError(name === '.' ? 'EISDIR' : 'ENOTEMPTY');
  const victim = child(st, dir, name);
  st.perms.dirWrite(ctx, dir);
  st.perms.sticky(ctx, dir, victim);
  if (victim.isDir) throw new FuseError('EISDIR');
  dir.entries().remove(name);
  victim.nlink--;
  const now = st.now();
  st.modified(dir, now);
  st.changed(victim, now);
  st.maybeFree(victim);
}

export function rmdir(st: MemfsState, ctx: RequestContext, parent: number, name: string): void {
  const dir = searchable(st, ctx, parent);
  if (isDotName(name)) throw new FuseError(name === '.' ? 'EINVAL' : 'ENOTEMPTY');
  const victim = child(st, dir, name);
  st.perms.dirWrite(ctx, dir);
  st.perms.sticky(ctx, dir, victim);
  if (!victim.isDir) throw new FuseError('ENOTDIR');
  if (victim.entries().size > 0) throw new FuseError('ENOTEMPTY');
  dir.entries().remove(name);
  victim.nlink = 0;
  dir.nlink--;
  const now = st.now();
  st.modified(dir, now);
  st.changed(victim, now);
  st.maybeFree(victim);
}

/** Is `ino` the directory `ancestor` or inside it? Walks ".." up to the root (directories have one parent). */
function within(st: MemfsState, ino: number, ancestor: number): boolean {
  for (let cur = ino; ; ) {
    if (cur === ancestor) return true;
    const p = st.get(cur).parent;
    if (p === cur) return false;
    cur = p;
  }
}

export function rename(st: MemfsState, ctx: RequestContext, parent: number, name: string, newparent: number, newname: string, flags: number): void {
  if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) throw new FuseError('EINVAL');
  const exchange = (flags & RENAME_EXCHANGE) !== 0;
  if (exchange && flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)) throw new FuseError('EINVAL');
  const srcDir = searchable(st, ctx, parent);
  const dstDir = searchable(st, ctx, newparent);
  if (isDotName(name) || isDotName(newname)) throw new FuseError('EBUSY');
  const src = child(st, srcDir, name);
  checkNameLength(newname);
  const dstEntry = dstDir.entries().get(newname);
  const dst = dstEntry ? st.get(dstEntry.ino) : null;
  if (exchange && !dst) throw new FuseError('ENOENT');
  if (flags & RENAME_NOREPLACE && dst) throw new FuseError('EEXIST');
  // Two names of one file: POSIX says rename does nothing and succeeds.
  if (src === dst) return;
  // A directory cannot move into itself (and in an exchange, neither can the other one).
  if (src.isDir && within(st, dstDir.ino, src.ino)) throw new FuseError('EINVAL');
  if (exchange && dst!.isDir && within(st, srcDir.ino, dst!.ino)) throw new FuseError('EINVAL');
  checkNewName(newname);
  if (dstDir.nlink === 0) throw new FuseError('ENOENT');
  st.perms.dirWrite(ctx, srcDir);
  st.perms.sticky(ctx, srcDir, src);
  st.perms.dirWrite(ctx, dstDir);
  if (dst) st.perms.sticky(ctx, dstDir, dst);
  if (srcDir !== dstDir) {
    // Moving a directory rewrites its "..": that needs write permission on it.
    if (src.isDir) st.perms.check(ctx, src, W_OK);
    if (exchange && dst!.isDir) st.perms.check(ctx, dst!, W_OK);
  }
  if (!exchange && dst) {
    if (src.isDir && !dst.isDir) throw new FuseError('ENOTDIR');
    if (!src.isDir && dst.isDir) throw new FuseError('EISDIR');
    if (dst.isDir && dst.entries().size > 0) throw new FuseError('ENOTEMPTY');
  }
  if (src.isDir && srcDir !== dstDir && !dst?.isDir && dstDir.nlink >= LINK_MAX) throw new FuseError('EMLINK');
  // The whiteout is a new inode: take it before changing anything, so ENOSPC leaves all as it was.
  const whiteout = flags & RENAME_WHITEOUT ? st.create(S_IFCHR, ctx.uid, ctx.gid) : null;

  const now = st.now();
  if (exchange) {
    srcDir.entries().repoint(name, dst!.ino);
    dstDir.entries().repoint(newname, src.ino);
    if (srcDir !== dstDir) {
      moveDir(src, srcDir, dstDir);
      moveDir(dst!, dstDir, srcDir);
    }
    st.changed(dst!, now);
  } else {
    if (dst) {
      // The replaced name keeps its place in listings, now naming the moved inode.
      dstDir.entries().repoint(newname, src.ino);
      if (dst.isDir) {
        dst.nlink = 0;
        dstDir.nlink--;
      } else {
        dst.nlink--;
      }
      st.changed(dst, now);
    } else {
      dstDir.entries().add(newname, src.ino);
    }
    srcDir.entries().remove(name);
    if (srcDir !== dstDir) moveDir(src, srcDir, dstDir);
    if (whiteout) {
      // overlayfs's whiteout: a 0:0 character device left at the old name.
      srcDir.entries().add(name, whiteout.ino);
      whiteout.nlink = 1;
    }
  }
  st.modified(srcDir, now);
  st.modified(dstDir, now);
  st.changed(src, now);
  if (dst && !exchange) st.maybeFree(dst);
}

/** A directory changes parent: the ".." link moves with it. */
function moveDir(inode: Inode, from: Inode, to: Inode): void {
  if (!inode.isDir || from === to) return;
  from.nlink--;
  to.nlink++;
  inode.parent = to.ino;
}
