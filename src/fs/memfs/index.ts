/**
 * memfs: an in-memory filesystem with POSIX semantics, the filesystem
 * `devfuse mount memfs <mountpoint>` serves.
 *
 *   import { memfs, releaseFreedMemory, serve } from 'devfuse';
 *   await serve(memfs({ size: 512 * 1024 * 1024, releaseMemory: releaseFreedMemory }), '/mnt/scratch');
 *
 * Everything lives in the serving process's memory and is gone when it
 * exits. Handlers answer synchronously (no promise per request), except a
 * lock request that has to wait.
 *
 * What it knowingly does not do, and why:
 * - Supplementary groups are unknown to it (FUSE sends uid and gid only):
 *   see perm.ts; mount with default_permissions and pass
 *   `defaultPermissions: true` for multi-user mounts.
 * - No POSIX ACLs (system.* xattrs are EOPNOTSUPP), so not for posix_acl.
 * - fsync/fsyncdir/syncfs/bmap/ioctl/poll are not implemented: nothing to
 *   persist or map; the kernel's ENOSYS handling gives callers success
 *   (fsync) or the generic behaviour.
 * - fallocate COLLAPSE_RANGE/INSERT_RANGE/UNSHARE: EOPNOTSUPP, as tmpfs.
 * - Files end at 2^53-1 bytes (JavaScript numbers), not 2^63-1: EFBIG.
 * - Directory entries and inodes cost nothing against `size` (only data
 *   blocks, xattrs and symlink targets do); `maxInodes` bounds them.
 *
 * Files:
 *   state.ts      inode table, lookup counts, freeing, budgets, handles, timestamps
 *   inode.ts      one inode; dir.ts directory entries and readdir cookies
 *   data.ts       sparse file contents
 *   namespace.ts  lookup, creates, link, unlink, rmdir, rename
 *   attrs.ts      getattr, setattr, statx, access, readlink, statfs
 *   io.ts         open, read, write, flush, release, fallocate, lseek, copy_file_range
 *   dirs.ts       opendir, readdir, readdirplus
 *   xattr.ts      extended attributes; locks.ts record locks and flock
 *   perm.ts       permission checks (and their limits under FUSE)
 */
import type { Filesystem } from '../../api/filesystem';
import * as attrs from './attrs';
import * as dirs from './dirs';
import * as io from './io';
import * as ns from './namespace';
import { resolveMemfsOptions, type MemfsOptions } from './options';
import { MemfsState } from './state';
import { getXattr, listXattrs, removeXattr, setXattr } from './xattr';

export type { MemfsOptions } from './options';
export { MemfsState } from './state';


/** A Filesystem together with its state, for tests and embedders that want to look inside. */
export interface Memfs extends Filesystem {
  readonly state: MemfsState;
}

export function memfs(options?: MemfsOptions): Memfs {
  const st = new MemfsState(resolveMemfsOptions(options));
  return {
    state: st,
    // Writes, truncates and chowns drop setuid/setgid and security.capability here (attrs.ts removePrivs).
    handleKillprivV2: true,

    lookup: (ctx, parent, name) => ns.lookup(st, ctx, parent, name),
    forget: (ino, n) => st.forget(ino, n),
    getattr: (_ctx, ino) => attrs.getattr(st, ino),
    setattr: (ctx, ino, changes, fh) => attrs.setattr(st, ctx, ino, changes, fh),
    readlink: (_ctx, ino) => attrs.readlink(st, ino),
    mknod: (ctx, parent, name, mode, rdev) => ns.mknod(st, ctx, parent, name, mode, rdev),
    mkdir: (ctx, parent, name, mode) => ns.mkdir(st, ctx, parent, name, mode),
    unlink: (ctx, parent, name) => ns.unlink(st, ctx, parent, name),
    rmdir: (ctx, parent, name) => ns.rmdir(st, ctx, parent, name),
    symlink: (ctx, parent, name, target) => ns.symlink(st, ctx, parent, name, target),
    rename: (ctx, parent, name, newparent, newname, flags) => ns.rename(st, ctx, parent, name, newparent, newname, flags),
    link: (ctx, ino, newparent, newname) => ns.hardlink(st, ctx, ino, newparent, newname),
    create: (ctx, parent, name, mode, flags) => ns.create(st, ctx, parent, name, mode, flags),
    tmpfile: (ctx, parent, mode, flags) => ns.tmpfile(st, ctx, parent, mode, flags),

    open: (ctx, ino, flags) => io.open(st, ctx, ino, flags),
    read: (_ctx, ino, _fh, offset, size, info) => io.read(st, ino, offset, size, info),
    write: (ctx, ino, _fh, offset, data, info) => io.write(st, ctx, ino, offset, data, info),
    flush: (_ctx, ino, _fh, lockOwner) => io.flush(st, ino, lockOwner),
    release: (_ctx, _ino, fh, info) => io.release(st, fh, info),
    fallocate: (ctx, ino, _fh, mode, offset, length) => io.fallocate(st, ctx, ino, mode, offset, length),
    lseek: (_ctx, ino, _fh, offset, whence) => io.lseek(st, ino, offset, whence),
    copyFileRange: (ctx, inoIn, _fhIn, offIn, inoOut, _fhOut, offOut, len, flags) => io.copyFileRange(st, ctx, inoIn, offIn, inoOut, offOut, len, flags),
    // fsync, fsyncdir and syncfs are left out on purpose: there is nothing to persist, and ENOSYS makes the
    // kernel answer them with success without asking again.

    opendir: (ctx, ino, flags) => dirs.opendir(st, ctx, ino, flags),
    readdir: (_ctx, ino, _fh, offset, out) => dirs.readdir(st, ino, offset, out),
    readdirplus: (_ctx, ino, _fh, offset, out) => dirs.readdirplus(st, ino, offset, out),
    releasedir: (_ctx, _ino, fh) => dirs.releasedir(st, fh),

    statfs: () => attrs.statfs(st),
    access: (ctx, ino, mask) => attrs.access(st, ctx, ino, mask),
    statx: (_ctx, ino) => attrs.statx(st, ino),

    setxattr: (ctx, ino, name, value, flags) => {
      const inode = st.get(ino);
      setXattr(ctx, inode, name, value, flags, st);
      st.changed(inode);
    },
    getxattr: (ctx, ino, name) => getXattr(ctx, st.get(ino), name, st),
    listxattr: (ctx, ino) => listXattrs(ctx, st.get(ino)),
    removexattr: (ctx, ino, name) => {
      const inode = st.get(ino);
      removeXattr(ctx, inode, name, st);
      st.changed(inode);
    },

    getlk: (_ctx, ino, _fh, owner, lock) => st.locks.getlk(ino, owner, lock),
    setlk: (ctx, ino, _fh, owner, lock, sleep) => st.locks.setlk(ino, owner, lock, sleep, sleep ? ctx.signal : null),
    flock: (ctx, ino, fh, _owner, op) => st.locks.flock(ino, fh, op, ctx.signal),
  };
}
