/**
 * Permission checks, done by memfs itself: without -o default_permissions
 * (the default) the kernel checks nothing but forwards each operation, so
 * the owner/group/other rules of POSIX live here.
 *
 * Limitations, both from what FUSE tells a filesystem:
 * - Only the caller's uid and primary gid are known (fuse_in_header). The
 *   supplementary groups are not sent, except the one group the kernel
 *   passes with creates under -o create_supp_group (ctx.groups), which is
 *   honoured. So a user reaching a file through a supplementary group is
 *   treated as "other". Mount with default_permissions to have the kernel
 *   check with full credentials.
 * - Capabilities are not sent either: uid 0 stands for CAP_DAC_OVERRIDE,
 *   CAP_FOWNER, CAP_CHOWN and CAP_FSETID, as for a root without a
 *   restricted capability set.
 * - The kernel caches names (entry_timeout): a lookup memfs allowed for one
 *   caller can be reused by another without asking memfs again. Multi-user
 *   mounts that rely on search permission want default_permissions.
 *
 * With -o default_permissions the kernel checks everything itself, with the
 * caller's full credentials; memfs must then be told (MemfsOptions
 * .defaultPermissions) so that it does not check again with less: it would
 * refuse what a supplementary group allows. The Permissions object below
 * is where that switch lives.
 */
import type { RequestContext } from '../../api/filesystem';
import { FuseError } from '../../api/errors';
import { R_OK, S_ISVTX, S_IXUGO, W_OK, X_OK } from './constants';
import type { Inode } from './inode';

/** The parts of a request context permission checks look at. */
export type Caller = Pick<RequestContext, 'uid' | 'gid' | 'groups'>;

export function isRoot(c: Caller): boolean {
  return c.uid === 0;
}

/** The caller is in group `gid`: as primary group, or as the supplementary group FUSE_CREATE_SUPP_GROUP sent. */
export function inGroup(c: Caller, gid: number): boolean {
  return c.gid === gid || (c.groups?.includes(gid) ?? false);
}

/** inode_owner_or_capable(): the owner, or root. */
export function ownerOrRoot(c: Caller, inode: Inode): boolean {
  return c.uid === inode.uid || isRoot(c);
}

/**
 * generic_permission(): may `c` access `inode` for `mask` (R_OK|W_OK|X_OK)?
 * The owner class is chosen first, then group, then other, and only that
 * class's bits count (an owner without r is refused even if others have r).
 * Root may read and write anything, and search directories, but executes a
 * file only if some x bit is set.
 */
export function permits(c: Caller, inode: Pick<Inode, 'isDir' | 'mode' | 'uid' | 'gid'>, mask: number): boolean {
  if (isRoot(c)) return !(mask & X_OK) || inode.isDir || (inode.mode & S_IXUGO) !== 0;
  const shift = c.uid === inode.uid ? 6 : inGroup(c, inode.gid) ? 3 : 0;
  const granted = (inode.mode >> shift) & 7;
  return (mask & granted) === (mask & 7);
}

/** EACCES unless `permits`. */
export function checkAccess(c: Caller, inode: Inode, mask: number): void {
  if (!permits(c, inode, mask)) throw new FuseError('EACCES');
}

/**
 * The sticky-bit rule (check_sticky): in a sticky directory only the file's
 * owner, the directory's owner or root may unlink or rename the file.
 */
export function checkSticky(c: Caller, dir: Inode, victim: Inode): void {
  if (!(dir.mode & S_ISVTX)) return;
  if (c.uid === victim.uid || c.uid === dir.uid || isRoot(c)) return;
  throw new FuseError('EPERM');
}

/** The checks as a filesystem-wide policy: enforced by memfs, or left to the kernel (default_permissions). */
export class Permissions {
  constructor(readonly enforced: boolean) {}

  /** EACCES unless the caller has `mask` on the inode. */
  check(c: Caller, inode: Inode, mask: number): void {
    if (this.enforced) checkAccess(c, inode, mask);
  }

  /** Creating or removing a name: write and search permission on the directory. */
  dirWrite(c: Caller, dir: Inode): void {
    if (this.enforced) checkAccess(c, dir, W_OK | X_OK);
  }

  /** Search permission on a directory, to look a name up in it. */
  search(c: Caller, dir: Inode): void {
    if (this.enforced) checkAccess(c, dir, X_OK);
  }

  sticky(c: Caller, dir: Inode, victim: Inode): void {
    if (this.enforced) checkSticky(c, dir, victim);
  }

  /**
   * May setgid stay on a mode given by someone for a file of group `gid`?
   * Linux drops it for callers outside the group (mode_strip_sgid on
   * create, setattr_copy on chmod); with default_permissions the kernel
   * has done so already, knowing every group of the caller.
   */
  maySetgid(c: Caller, gid: number): boolean {
    return !this.enforced || isRoot(c) || inGroup(c, gid);
  }
}

/** The permission open(2) needs for its access mode (O_ACCMODE 3 needs both, as Linux treats it). */
export function accessForOpenFlags(flags: number): number {
  switch (flags & 3) {
    case 0:
      return R_OK;
    case 1:
      return W_OK;
    default:
      return R_OK | W_OK;
  }
}
