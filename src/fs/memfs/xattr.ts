/**
 * Extended attributes: the namespace rules of Linux's xattr_permission()
 * and the capability hooks, and the limits of <linux/limits.h>.
 *
 * - user.*: regular files and directories only (others: EPERM to write,
 *   ENODATA to read); read needs r, write needs w on the file; in a sticky
 *   directory only its owner writes.
 * - trusted.*: root only (others: EPERM to write, ENODATA to read, and the
 *   names are left out of listxattr).
 * - security.*: anyone reads; writing needs root (cap_inode_setxattr).
 * - system.* (POSIX ACLs) and anything else: EOPNOTSUPP. memfs keeps no
 *   ACLs, so the posix_acl session option is not for it.
 *
 * Names are at most 255 bytes (ERANGE), values at most 64 KiB (E2BIG), as
 * the kernel itself enforces before FUSE sees them; checked again here so
 * the rules hold for any caller of the Filesystem.
 */
import { nameByteLength } from '../../protocol';
import type { RequestContext } from '../../api/filesystem';
import { FuseError } from '../../api/errors';
import { R_OK, S_ISVTX, W_OK, XATTR_CREATE, XATTR_NAME_MAX, XATTR_REPLACE, XATTR_SIZE_MAX } from './constants';
import type { Inode } from './inode';
import { checkAccess, isRoot, ownerOrRoot, type Caller, type Permissions } from './perm';

type Namespace = 'user' | 'trusted' | 'security';

function namespaceOf(name: string): Namespace {
  const dot = name.indexOf('.');
  const ns = dot > 0 ? name.slice(0, dot) : '';
  if (ns !== 'user' && ns !== 'trusted' && ns !== 'security') throw new FuseError('EOPNOTSUPP');
  // A bare prefix ("user.") names nothing.
  if (dot === name.length - 1) throw new FuseError('EINVAL');
  return ns;
}

function checkName(name: string): void {
  if (name.length === 0) throw new FuseError('EINVAL');
  if (nameByteLength(name) > XATTR_NAME_MAX) throw new FuseError('ERANGE');
}

/** May `c` read (`write` false) or change the attribute `name` of `inode`? Throws the errno Linux would. */
function checkPermission(perms: Permissions, c: Caller, inode: Inode, ns: Namespace, write: boolean): void {
  // With default_permissions the kernel's xattr_permission() and capability hooks ran already.
  if (!perms.enforced) return;
  switch (ns) {
    case 'trusted':
      if (!isRoot(c)) throw new FuseError(write ? 'EPERM' : 'ENODATA');
      return;
    case 'security':
      if (write && !isRoot(c)) throw new FuseError('EPERM');
      return;
    case 'user':
      if (!inode.isReg && !inode.isDir) throw new FuseError(write ? 'EPERM' : 'ENODATA');
      if (write && inode.isDir && inode.mode & S_ISVTX && !ownerOrRoot(c, inode)) throw new FuseError('EPERM');
      checkAccess(c, inode, write ? W_OK : R_OK);
  }
}

/** Bytes an attribute takes from the space budget. */
export function xattrCost(name: string, value: Buffer): number {
  return nameByteLength(name) + value.length;
}

/** What xattr operations need of the filesystem: the space budget and the permission policy. */
export interface XattrHost {
  readonly perms: Permissions;
  reserveBytes(n: number): boolean;
  releaseBytes(n: number): void;
}

/** setxattr(2); the value is copied (the caller's buffer is a view into the request). */
export function setXattr(ctx: RequestContext, inode: Inode, name: string, value: Buffer, flags: number, host: XattrHost): void {
  checkName(name);
  const ns = namespaceOf(name);
  if (value.length > XATTR_SIZE_MAX) throw new FuseError('E2BIG');
  if (flags & ~(XATTR_CREATE | XATTR_REPLACE)) throw new FuseError('EINVAL');
  checkPermission(host.perms, ctx, inode, ns, true);
  const old = inode.xattrs?.get(name);
  if (old && flags & XATTR_CREATE) throw new FuseError('EEXIST');
  if (!old && flags & XATTR_REPLACE) throw new FuseError('ENODATA');
  const grow = xattrCost(name, value) - (old ? xattrCost(name, old) : 0);
  if (grow > 0 && !host.reserveBytes(grow)) throw new FuseError('ENOSPC');
  if (grow < 0) host.releaseBytes(-grow);
  (inode.xattrs ??= new Map()).set(name, Buffer.from(value));
}

/** Returned, not thrown: `ls -l` asks every file for two attributes it rarely has (filesystem.ts, Result). */
const NO_DATA = new FuseError('ENODATA');

export function getXattr(ctx: RequestContext, inode: Inode, name: string, host: XattrHost): Buffer | FuseError {
  checkName(name);
  checkPermission(host.perms, ctx, inode, namespaceOf(name), false);
  return inode.xattrs?.get(name) ?? NO_DATA;
}

/** Names visible to the caller: trusted.* only to root (as ext4 and tmpfs list them). */
export function listXattrs(ctx: RequestContext, inode: Inode): string[] {
  if (!inode.xattrs) return [];
  const names = [...inode.xattrs.keys()];
  return isRoot(ctx) ? names : names.filter((n) => !n.startsWith('trusted.'));
}

export function removeXattr(ctx: RequestContext, inode: Inode, name: string, host: XattrHost): void {
  checkName(name);
  checkPermission(host.perms, ctx, inode, namespaceOf(name), true);
  const old = inode.xattrs?.get(name);
  if (!old) throw new FuseError('ENODATA');
  inode.xattrs!.delete(name);
  host.releaseBytes(xattrCost(name, old));
}

/**
 * security.capability goes on every write, truncate and chown, whoever
 * makes it (the VFS's security_inode_killpriv): file capabilities vouch for
 * the contents and the owner they were set on.
 */
export function dropCapability(inode: Inode, host: XattrHost): void {
  const old = inode.xattrs?.get(CAPABILITY);
  if (!old) return;
  inode.xattrs!.delete(CAPABILITY);
  host.releaseBytes(xattrCost(CAPABILITY, old));
}

const CAPABILITY = 'security.capability';

/** Gives back the space of all attributes (the inode is freed). */
export function dropXattrs(inode: Inode, host: XattrHost): void {
  if (!inode.xattrs) return;
  for (const [name, value] of inode.xattrs) host.releaseBytes(xattrCost(name, value));
  inode.xattrs = null;
}
