/**
 * Attributes: getattr, setattr (chmod, chown, truncate, utimens), statx,
 * access, readlink, statfs, and the setuid/setgid "kill" rules.
 *
 * Without default_permissions the kernel marks every SETATTR ATTR_FORCE and
 * checks nothing, so the rules of chmod(2), chown(2), truncate(2) and
 * utimensat(2) are enforced here.
 */
import type { AttrInput, RequestContext, SetattrChanges, StatfsResult, StatxResult, Timespec } from '../../api/filesystem';
import { FuseError } from '../../api/errors';
import { BLOCK_SIZE, killableBits, NAME_MAX, O_ACCMODE, O_RDONLY, S_IALLUGO, S_IFMT, S_ISGID, S_ISUID, W_OK } from './constants';
import type { Inode } from './inode';
import { dropCapability } from './xattr';
import { checkAccess, inGroup, isRoot, ownerOrRoot, permits } from './perm';
import type { MemfsState } from './state';

/** statx(2) mask bits. */
const STATX_BASIC_STATS = 0x7ff;
const STATX_BTIME = 0x800;

/** Drops setuid/setgid as should_remove_suid says (directories keep theirs). The caller stamps ctime. */
export function killSuidgid(inode: Inode): void {
  if (!inode.isDir) inode.mode &= ~killableBits(inode.mode);
}

/**
 * What a write, truncate or chown does to privileges (file_remove_privs):
 * security.capability always goes; setuid/setgid when `suidgid` (a caller
 * without CAP_FSETID, or a chown). memfs does it all itself, so it can
 * negotiate handle_killpriv_v2 (Filesystem.handleKillprivV2).
 */
export function removePrivs(st: MemfsState, inode: Inode, suidgid: boolean): void {
  dropCapability(inode, st);
  if (suidgid) killSuidgid(inode);
}

export function getattr(st: MemfsState, ino: number): AttrInput {
  return st.get(ino).attr();
}

/**
 * Is a mode change by someone who does not own the file the kernel's own
 * suid/sgid kill? Without handle_killpriv the kernel, on a write or
 * truncate by anyone allowed to write, sends SETATTR(mode) with exactly
 * those bits cleared and the caller's credentials. Nothing else about the
 * mode may change, and only bits may go, never come.
 */
function isKernelKill(inode: Inode, mode: number): boolean {
  const cur = inode.mode & S_IALLUGO;
  const next = mode & S_IALLUGO;
  const removed = cur & ~next;
  return next !== cur && (next & ~cur) === 0 && (removed & ~(S_ISUID | S_ISGID)) === 0;
}

function checkSetattr(st: MemfsState, ctx: RequestContext, inode: Inode, c: SetattrChanges, fh: number | undefined): void {
  // With default_permissions the kernel ran setattr_prepare() (these very rules) before sending.
  if (!st.perms.enforced) return;
  if (c.mode !== undefined && !ownerOrRoot(ctx, inode) && !isKernelKill(inode, c.mode)) throw new FuseError('EPERM');
  if (!isRoot(ctx)) {
    // chown_ok/chgrp_ok: only root gives a file away; the owner may set the group to one of its own.
    if (c.uid !== undefined && !(ctx.uid === inode.uid && c.uid === inode.uid)) throw new FuseError('EPERM');
    if (c.gid !== undefined && !(ctx.uid === inode.uid && (c.gid === inode.gid || inGroup(ctx, c.gid)))) throw new FuseError('EPERM');
  }
  if (c.size !== undefined) {
    if (inode.isDir) throw new FuseError('EISDIR');
    if (!inode.isReg) throw new FuseError('EINVAL');
    // ftruncate (and the kernel's O_TRUNC) come with the handle, whose open checked for writing; truncate(2) does not.
    const h = fh !== undefined ? st.handles.get(fh) : undefined;
    if (!h || (h.flags & O_ACCMODE) === O_RDONLY) checkAccess(ctx, inode, W_OK);
  }
  if (c.atime !== undefined || c.mtime !== undefined) checkTimes(ctx, inode, c);
}

/**
 * utimensat(2): setting explicit times needs ownership (EPERM); setting
 * both to now ("touch") needs ownership or write permission (EACCES).
 *
 * With writeback_cache the kernel keeps mtime and ctime itself and sends
 * them as explicit values: a touch arrives as atime "now" with the
 * kernel's clock in mtime and ctime, and its flush of the times it kept as
 * mtime + ctime alone; times riding along with a size change are the
 * truncate's own. Those need only write permission. (So under
 * writeback_cache a writer who does not own the file can set an explicit
 * mtime: the request cannot be told apart from the kernel's flush.)
 */
function checkTimes(ctx: RequestContext, inode: Inode, c: SetattrChanges): void {
  if (ownerOrRoot(ctx, inode)) return;
  const kernelTimes = c.ctime !== undefined;
  const bookkeeping = c.size !== undefined || (kernelTimes && c.atime === undefined);
  const touch = c.atime === 'now' && (c.mtime === 'now' || (kernelTimes && c.mtime !== undefined));
  if (!bookkeeping && !touch) throw new FuseError('EPERM');
  if (!permits(ctx, inode, W_OK)) throw new FuseError(bookkeeping ? 'EPERM' : 'EACCES');
}

function timeOf(t: Timespec | 'now', now: Timespec): Timespec {
  return t === 'now' ? now : { sec: t.sec, nsec: t.nsec };
}

export function setattr(st: MemfsState, ctx: RequestContext, ino: number, c: SetattrChanges, fh: number | undefined): AttrInput {
  const inode = st.get(ino);
  checkSetattr(st, ctx, inode, c, fh);
  const now = st.now();
  let changed = false;
  if (c.size !== undefined) {
    const data = inode.fileData();
    if (c.size !== data.size) inode.mtime = now;
    data.truncate(c.size);
    removePrivs(st, inode, !isRoot(ctx) || c.killSuidgid === true);
    changed = true;
  }
  if (c.uid !== undefined || c.gid !== undefined) {
    if (c.uid !== undefined) inode.uid = c.uid;
    if (c.gid !== undefined) inode.gid = c.gid;
    // chown(2) drops setuid/setgid of non-directories, even for root (notify_change with ATTR_KILL_S*ID).
    removePrivs(st, inode, true);
    changed = true;
  }
  if (c.mode !== undefined) {
    let perm = c.mode & S_IALLUGO;
    // setattr_copy: a chmod by someone outside the file's group (and not root) cannot set setgid.
    if (ownerOrRoot(ctx, inode) && !st.perms.maySetgid(ctx, inode.gid)) perm &= ~S_ISGID;
    inode.mode = (inode.mode & S_IFMT) | perm;
    changed = true;
  }
  if (c.killSuidgid && c.size === undefined) killSuidgid(inode);
  if (c.atime !== undefined) {
    inode.atime = timeOf(c.atime, now);
    changed = true;
  }
  if (c.mtime !== undefined) {
    inode.mtime = timeOf(c.mtime, now);
    changed = true;
  }
  if (c.ctime !== undefined) inode.ctime = { sec: c.ctime.sec, nsec: c.ctime.nsec };
  else if (changed || c.killSuidgid) inode.ctime = now;
  return inode.attr();
}

export function access(st: MemfsState, ctx: RequestContext, ino: number, mask: number): void {
  const inode = st.get(ino);
  // F_OK (0): the file exists, which it does.
  if (mask & 7) st.perms.check(ctx, inode, mask & 7);
}

export function readlink(st: MemfsState, ino: number): string {
  const inode = st.get(ino);
  if (!inode.isSymlink) throw new FuseError('EINVAL');
  st.accessed(inode);
  return inode.target;
}

export function statfs(st: MemfsState): StatfsResult {
  const { size, maxInodes } = st.options;
  const blocks = Math.floor(size / BLOCK_SIZE);
  const bfree = Math.max(0, Math.floor((size - st.usedBytes) / BLOCK_SIZE));
  return {
    blocks, bfree, bavail: bfree,
    files: maxInodes, ffree: Math.max(0, maxInodes - st.inodeCount),
    bsize: BLOCK_SIZE, frsize: BLOCK_SIZE, namelen: NAME_MAX,
  };
}

/** The kernel's new_encode_dev() format of fuse_attr.rdev, split back into major and minor. */
export function splitDev(dev: number): { major: number; minor: number } {
  return { major: (dev & 0xfff00) >>> 8, minor: (dev & 0xff) | ((dev >>> 12) & 0xfff00) };
}

/** FUSE_STATX: what getattr gives, plus the birth time (the kernel asks when statx(2) wants STATX_BTIME). */
export function statx(st: MemfsState, ino: number): StatxResult {
  const inode = st.get(ino);
  const a = inode.attr();
  const sx = (t: Timespec): { tv_sec: number; tv_nsec: number } => ({ tv_sec: t.sec, tv_nsec: t.nsec });
  const { major, minor } = splitDev(inode.rdev);
  return {
    stat: {
      mask: STATX_BASIC_STATS | STATX_BTIME,
      blksize: BLOCK_SIZE,
      attributes: 0,
      nlink: inode.nlink,
      uid: inode.uid,
      gid: inode.gid,
      mode: inode.mode,
      ino: inode.ino,
      size: a.size,
      blocks: a.blocks,
      attributes_mask: 0,
      atime: sx(inode.atime),
      btime: sx(inode.btime),
      ctime: sx(inode.ctime),
      mtime: sx(inode.mtime),
      rdev_major: major,
      rdev_minor: minor,
      dev_major: 0,
      dev_minor: 0,
    },
  };
}
