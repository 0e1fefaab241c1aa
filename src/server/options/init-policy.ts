/**
 * What devfuse asks of the kernel at INIT. Every INIT flag of fuse.h is
 * listed in INIT_POLICY with what devfuse does with it and why, so that a
 * refused capability is a decision written down, not an omission.
 */
import { InitFlags, type InitFlagName } from '../../protocol/constants';
import type { Filesystem } from '../../api/filesystem';
import type { ResolvedOptions } from './session';

type Policy = (o: ResolvedOptions, fs: Filesystem) => boolean;
const never: Policy = () => false;
const always: Policy = () => true;

/**
 * Every INIT flag: whether devfuse asks for it, and why. Flags that are the
 * kernel telling us about itself (HAS_*, NO_OPEN_SUPPORT...) need no answer
 * but are listed for completeness.
 */
export const INIT_POLICY: Record<InitFlagName, { want: Policy; why: string }> = {
  ASYNC_READ: { want: (o) => o.asyncRead, why: 'several READs of one file in flight; sync_read turns it off' },
  POSIX_LOCKS: { want: (_, fs) => !!(fs.getlk && fs.setlk), why: 'only when the filesystem implements getlk/setlk; otherwise the kernel keeps locks locally' },
  FILE_OPS: { want: never, why: 'defined but never used by any kernel' },
  ATOMIC_O_TRUNC: { want: (o) => o.atomicOTrunc, why: 'option atomic_o_trunc: the filesystem must then honour O_TRUNC in open' },
  EXPORT_SUPPORT: { want: (o) => o.exportSupport, why: 'option export_support: the filesystem must answer lookups of "." and ".."' },
  BIG_WRITES: { want: always, why: 'writes larger than 4 KiB (implied on modern kernels, needed on old ones)' },
  DONT_MASK: { want: (o) => o.posixAcl, why: 'with posix_acl only: the kernel then leaves the umask to the ACL logic' },
  // The kernel offers the SPLICE_* bits but never reads them back: splice on the device works either way.
  SPLICE_WRITE: { want: never, why: 'replies go out by write(2)/writev(2); splicing them in would copy as much (READ data comes from a Buffer)' },
  SPLICE_MOVE: { want: never, why: 'as SPLICE_WRITE' },
  SPLICE_READ: { want: never, why: 'not needed to splice from the device, which the channel does for big WRITEs when the pipe can hold one (splice.ts)' },
  FLOCK_LOCKS: { want: (_, fs) => !!fs.flock, why: 'only when the filesystem implements flock' },
  HAS_IOCTL_DIR: { want: (_, fs) => !!fs.ioctl, why: 'ioctl on directories, when the filesystem implements ioctl' },
  AUTO_INVAL_DATA: { want: (o) => o.autoInvalData && !o.explicitInvalData, why: 'drop stale cached data when size/mtime change (libfuse default)' },
  DO_READDIRPLUS: { want: (o, fs) => !!fs.readdirplus && o.readdirplus !== 'no', why: 'when the filesystem implements readdirplus' },
  READDIRPLUS_AUTO: { want: (o, fs) => !!fs.readdirplus && o.readdirplus === 'auto', why: 'let the kernel use READDIRPLUS only where lookups follow (readdirplus=auto)' },
  ASYNC_DIO: { want: always, why: 'direct IO submitted asynchronously: several requests of one O_DIRECT read in flight' },
  WRITEBACK_CACHE: { want: (o) => o.writebackCache, why: 'option writeback_cache; the ordering rule keeps O_DIRECT reads from overtaking writeback' },
  NO_OPEN_SUPPORT: { want: (_, fs) => !fs.open, why: 'kernel capability; when the filesystem has no open, ENOSYS makes opens zero-message' },
  PARALLEL_DIROPS: { want: (o) => o.parallelDirops, why: 'lookups and readdirs in one directory run concurrently' },
  HANDLE_KILLPRIV: { want: (o) => o.handleKillpriv, why: 'option handle_killpriv: the filesystem must clear suid/sgid itself' },
  POSIX_ACL: { want: (o) => o.posixAcl, why: 'option posix_acl: ACLs live in xattrs the filesystem stores' },
  ABORT_ERROR: { want: always, why: 'reads after an abort fail with ECONNABORTED, telling an abort from an unmount' },
  MAX_PAGES: { want: always, why: 'requests up to max_write (1 MiB by default) instead of 128 KiB' },
  CACHE_SYMLINKS: { want: (o) => o.cacheSymlinks, why: 'option cache_symlinks' },
  NO_OPENDIR_SUPPORT: { want: (_, fs) => !fs.opendir, why: 'kernel capability; as NO_OPEN_SUPPORT for directories' },
  EXPLICIT_INVAL_DATA: { want: (o) => o.explicitInvalData, why: 'option explicit_inval_data' },
  MAP_ALIGNMENT: { want: never, why: 'DAX (virtiofs) only' },
  SUBMOUNTS: { want: never, why: 'virtiofs only' },
  HANDLE_KILLPRIV_V2: {
    want: (o, fs) => o.handleKillprivV2 ?? fs.handleKillprivV2 === true,
    why: 'when the filesystem clears setuid/setgid/capabilities itself (Filesystem.handleKillprivV2): no GETXATTR security.capability before every write(2)',
  },
  SETXATTR_EXT: { want: always, why: 'the 16-byte fuse_setxattr_in with setxattr_flags (ACL_KILL_SGID)' },
  INIT_EXT: { want: always, why: 'needed for every flag above bit 31 (flags2)' },
  INIT_RESERVED: { want: never, why: 'reserved' },
  SECURITY_CTX: { want: never, why: 'security labels on create need a filesystem that stores them; none of ours does' },
  HAS_INODE_DAX: { want: never, why: 'DAX only' },
  CREATE_SUPP_GROUP: { want: (o) => o.createSuppGroup, why: 'option create_supp_group (ctx.groups)' },
  HAS_EXPIRE_ONLY: { want: never, why: 'kernel capability, nothing to ask: notifyInvalEntry(expireOnly) uses it' },
  DIRECT_IO_ALLOW_MMAP: { want: (o) => o.directIoAllowMmap, why: 'shared mmap on direct_io files (the kernel keeps it coherent)' },
  PASSTHROUGH: { want: (o) => o.backingFiles && !o.writebackCache, why: 'option passthrough, backing files (needs CAP_SYS_ADMIN; the kernel refuses it with writeback_cache)' },
  NO_EXPORT_SUPPORT: { want: never, why: 'not needed: without EXPORT_SUPPORT we never claim NFS export works' },
  HAS_RESEND: { want: never, why: 'kernel capability; devfuse never asks for a resend' },
  ALLOW_IDMAP: { want: never, why: 'idmapped mounts would send FUSE_INVALID_UIDGID our filesystems do not handle' },
  OVER_IO_URING: { want: never, why: 'measured through koffi (scripts/bench/channel-uring.ts): it works from Node, but a round trip costs more than read(2)+write(2) here, and idle waiting would need a worker thread (docs/design/device-channel.md)' },
  REQUEST_TIMEOUT: { want: (o) => o.requestTimeout > 0, why: 'option request_timeout=' },
};

/** The flags devfuse asks for, given the options and what the filesystem implements. */
export function wantedInitFlags(o: ResolvedOptions, fs: Filesystem): bigint {
  let want = 0n;
  for (const [name, p] of Object.entries(INIT_POLICY) as [InitFlagName, { want: Policy }][]) {
    if (p.want(o, fs)) want |= InitFlags[name];
  }
  return want;
}
