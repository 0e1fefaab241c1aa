/**
 * Names: lookup, the operations that create a name (mknod, mkdir, symlink,
 * link, create, tmpfile) and those that remove or move one.
 *
 * Every call is relative to a kept descriptor (the parent's O_PATH fd) and
 * one name, never a path joined from the source root: depth does not
 * matter (PATH_MAX is never approached) and a directory renamed from
 * outside keeps working for the inodes the kernel holds.
 *
 * Ownership. As root, a new file must belong to the caller, not to us. Two
 * ways: setfsuid/setfsgid around the creating call, or chown after it. The
 * fsuid is per thread, and in async mode the creating call runs on some
 * thread-pool thread with no way to run setfsuid on that same thread first
 * (one koffi call per hop), so devfuse chowns after creating, through the
 * new file's own O_PATH descriptor (fchownat AT_EMPTY_PATH, race-free and
 * lchown-like for symlinks), in both modes. The group is the caller's unless
 * the parent is setgid, where the file keeps the group the source
 * filesystem gave it. Not root: the file is simply ours.
 *
 * Mode. The kernel has applied the caller's umask; our own process umask
 * would be applied again by mkdirat/openat/mknodat, and chown by root drops
 * setuid/setgid. So when the mode that came out differs from the one asked
 * for, it is set again with chmod (keeping a setgid bit a directory
 * inherited). One caveat: in a source directory with a default ACL, the
 * mode the ACL produced is overwritten by the requested one.
 */
import type { FuseError } from '../../api/errors';
import type { Entry, OpenResult, RequestContext } from '../../api/filesystem';
import type { Core } from './core';
import { openFlags, openResult } from './files';
import type { Inode } from './inodes';
import { killSuidgid as killPrivs } from './privs';
import { attempt, rescue, then, type MaybePromise } from './io';
import {
  AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_SYMLINK_NOFOLLOW, cPath, ERRNO, O_CLOEXEC, O_CREAT, O_EXCL, O_PATH,
  O_TMPFILE, S_IFDIR, S_IFLNK, S_ISGID, type CPath,
} from './libc';
import type { Stat } from './stat';

const KEEP = 0xffffffff; // (uid_t)-1: leave unchanged
const S_ISUID = 0o4000;

export function lookup(c: Core, parent: number, name: string): MaybePromise<Entry | FuseError> {
  const p = c.inodes.get(parent);
  // ".." is asked only with export_support; the root's must not lead out of the source.
  if (name === '..' && p === c.inodes.root) return c.lookup(p, '.');
  return c.lookup(p, cPath(name));
}

export function mkdir(c: Core, ctx: RequestContext, parent: number, name: string, mode: number): MaybePromise<Entry> {
  const p = c.inodes.get(parent);
  const n = cPath(name);
  return then(c.io.call(c.L.mkdirat, p.fd, n, mode & 0o7777), () => made(c, ctx, p, n, mode));
}

export function mknod(c: Core, ctx: RequestContext, parent: number, name: string, mode: number, rdev: number): MaybePromise<Entry> {
  const p = c.inodes.get(parent);
  const n = cPath(name);
  // FUSE's 32-bit rdev (new_encode_dev) equals glibc's dev_t encoding for every major below 4096.
  return then(c.io.call(c.L.mknodat, p.fd, n, mode, rdev), () => made(c, ctx, p, n, mode));
}

export function symlink(c: Core, ctx: RequestContext, parent: number, name: string, target: string): MaybePromise<Entry> {
  const p = c.inodes.get(parent);
  const n = cPath(name);
  return then(c.io.call(c.L.symlinkat, cPath(target), p.fd, n), () => made(c, ctx, p, n, S_IFLNK | 0o777));
}

export function link(c: Core, ino: number, newparent: number, newname: string): MaybePromise<Entry> {
  const i = c.inodes.get(ino);
  const np = c.inodes.get(newparent);
  // Through /proc rather than AT_EMPTY_PATH, which needs CAP_DAC_READ_SEARCH: this works unprivileged too.
  return then(c.io.call(c.L.linkat, AT_FDCWD, i.proc, np.fd, cPath(newname), AT_SYMLINK_FOLLOW), () =>
    then(c.statFd(i.fd), (st) => {
      i.refs++;
      return { ino: i.id, attr: st };
    }),
  );
}

export function unlink(c: Core, parent: number, name: string): MaybePromise<void> {
  return c.run(c.L.unlinkat, c.inodes.get(parent).fd, cPath(name), 0);
}

export function rmdir(c: Core, parent: number, name: string): MaybePromise<void> {
  return c.run(c.L.unlinkat, c.inodes.get(parent).fd, cPath(name), AT_REMOVEDIR);
}

/** RENAME/RENAME2: flags (NOREPLACE, EXCHANGE, WHITEOUT) go to renameat2 as they are. */
export function rename(c: Core, parent: number, name: string, newparent: number, newname: string, flags: number): MaybePromise<void> {
  return c.run(c.L.renameat2, c.inodes.get(parent).fd, cPath(name), c.inodes.get(newparent).fd, cPath(newname), flags);
}

export interface Created {
  entry: Entry;
  open: OpenResult;
}

/**
 * CREATE. O_EXCL is tried first even when the caller did not ask for it,
 * to know whether this call made the file (and must give it to the
 * caller) or opened one that was there: an existing file keeps its owner
 * and mode.
 */
export function create(c: Core, ctx: RequestContext, parent: number, name: string, mode: number, flags: number, killSuidgid: boolean): MaybePromise<Created> {
  const p = c.inodes.get(parent);
  const n = cPath(name);
  const f = openFlags(c, flags) | O_CREAT;
  return then(openCreate(c, p.fd, n, f, mode, (flags & O_EXCL) !== 0, 3), ({ fd, isNew }) =>
    opened(c, fd, (inode, st) => {
      if (isNew) return settle(c, ctx, p, inode, st, mode);
      // An existing file our O_TRUNC truncated, for a caller without CAP_FSETID (OpenInfo): privs.ts.
      return killSuidgid ? then(killPrivs(c.io, c.L, fd), () => c.statFd(inode.fd)) : st;
    }),
  );
}

/** TMPFILE: an unnamed file in `parent` (linkat can give it a name later). */
export function tmpfile(c: Core, ctx: RequestContext, parent: number, mode: number, flags: number): MaybePromise<Created> {
  const p = c.inodes.get(parent);
  return then(c.io.call(c.L.openat, p.fd, '.', openFlags(c, flags) | O_TMPFILE, mode & 0o7777), (fd) =>
    opened(c, fd, (inode, st) => settle(c, ctx, p, inode, st, mode)),
  );
}

function openCreate(c: Core, dirfd: number, n: CPath, flags: number, mode: number, excl: boolean, tries: number): MaybePromise<{ fd: number; isNew: boolean }> {
  const exclusive = (): MaybePromise<{ fd: number; isNew: boolean }> => then(c.io.call(c.L.openat, dirfd, n, flags | O_EXCL, mode & 0o7777), (fd) => ({ fd, isNew: true }));
  if (excl) return exclusive();
  return rescue(exclusive, ERRNO.EEXIST, () =>
    rescue(
      () => then(c.io.call(c.L.openat, dirfd, n, flags & ~O_CREAT, 0), (fd) => ({ fd, isNew: false })),
      ERRNO.ENOENT,
      // Removed between the two opens: start again, a bounded number of times.
      () => (tries > 1 ? openCreate(c, dirfd, n, flags, mode, false, tries - 1) : then(c.io.call(c.L.openat, dirfd, n, flags, mode & 0o7777), (fd) => ({ fd, isNew: false }))),
    ),
  );
}

/**
 * The inode and open result for a file just opened (or created) as `fd`:
 * an O_PATH descriptor on the same file is opened through /proc (no name
 * involved, so no race with a rename), then `finish` may fix the owner.
 */
function opened(c: Core, fd: number, finish: (inode: Inode, st: Stat) => MaybePromise<Stat>): MaybePromise<Created> {
  return attempt(
    () =>
      then(c.io.call(c.L.openat, AT_FDCWD, `/proc/self/fd/${fd}`, O_PATH | O_CLOEXEC, 0), (pathFd) =>
        then(c.adopt(pathFd), ({ inode, st }) =>
          attempt(
            () =>
              then(finish(inode, st), (attr) => {
                c.files.add(fd);
                return { entry: { ino: inode.id, attr }, open: openResult(c, fd) };
              }),
            () => c.inodes.forget(inode.id, 1),
          ),
        ),
      ),
    () => c.closeQuietly(fd),
  );
}

/** The entry for `name`, just made in `p` by this request: counted, and given to the caller. */
function made(c: Core, ctx: RequestContext, p: Inode, name: CPath, mode: number): MaybePromise<Entry> {
  return then(c.openEntry(p.fd, name), ({ inode, st }) =>
    attempt(
      () => then(settle(c, ctx, p, inode, st, mode), (attr) => ({ ino: inode.id, attr })),
      () => c.inodes.forget(inode.id, 1),
    ),
  );
}

/** Gives a new file to its caller with the mode asked for (see the file comment); the fresh attributes. */
function settle(c: Core, ctx: RequestContext, parent: Inode, inode: Inode, st: Stat, mode: number): MaybePromise<Stat> {
  const isLink = inode.type === S_IFLNK;
  const isDir = inode.type === S_IFDIR;
  const chown = c.asRoot && (st.uid !== ctx.uid || st.gid !== ctx.gid);
  const want = (mode & 0o7777) | (isDir ? st.mode & S_ISGID : 0);
  // chown by root clears setuid/setgid of non-directories: those must be set again afterwards.
  const chmod = !isLink && ((st.mode & 0o7777) !== want || (chown && !isDir && (want & (S_ISUID | S_ISGID)) !== 0));
  if (!chown && !chmod) return st;
  const doChown = (): MaybePromise<void> =>
    then(st.gid !== ctx.gid ? c.statFd(parent.fd) : null, (ps) =>
      c.run(c.L.fchownat, inode.fd, '', ctx.uid, ps && ps.mode & S_ISGID ? KEEP : ctx.gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW),
    );
  const doChmod = (): MaybePromise<void> => c.run(c.L.fchmodat, AT_FDCWD, inode.proc, want, 0);
  return then(chown ? doChown() : undefined, () => then(chmod ? doChmod() : undefined, () => c.statFd(inode.fd)));
}
