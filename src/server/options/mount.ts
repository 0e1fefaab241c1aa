/**
 * The mount-level options (what mount(2) or fusermount3 consume) as a typed
 * MountOptions, and what each mount path is given of them. Their `-o`
 * names are in table.ts, with every other option's.
 *
 * Defaults are libfuse's: nosuid and nodev unless `suid`/`dev` is asked for.
 * One difference: auto_unmount is on by default (`noauto_unmount` turns it
 * off), because a dead mount left behind by a crashed Node process is the
 * worse surprise.
 */
import {
  MS_DIRSYNC, MS_LAZYTIME, MS_NOATIME, MS_NODEV, MS_NODIRATIME, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_STRICTATIME,
  MS_SYNCHRONOUS, S_IFDIR,
} from '../../linux/constants';
import { escapeOption } from './syntax';

export interface MountOptions {
  /** The mount's source as mount(8) and /proc/mounts show it (`fsname=`); default "devfuse". */
  fsname: string;
  /** `subtype=`: the type becomes "fuse.<subtype>". */
  subtype: string | undefined;
  /** `allow_other`: users other than the mounter may access the mount. */
  allow_other: boolean;
  /**
   * `allow_root`: the mounter and root only. The kernel knows only
   * allow_other, so the mount gets allow_other and the session must refuse
   * requests from any other uid (libfuse's deny_others).
   */
  allow_root: boolean;
  /** `default_permissions`: the kernel checks file modes itself. */
  default_permissions: boolean;
  /** `ro` (`rw` clears it). */
  ro: boolean;
  /** `nosuid` (default; `suid` clears it). */
  nosuid: boolean;
  /** `nodev` (default; `dev` clears it). */
  nodev: boolean;
  /** `noexec` (`exec` clears it). */
  noexec: boolean;
  /** `sync` (`async` clears it). */
  sync: boolean;
  /** `dirsync`. */
  dirsync: boolean;
  /**
   * Access-time policy: 'relatime' is the kernel's default (`relatime`,
   * `atime`, `norelatime`, `nostrictatime`), 'noatime' (`noatime`),
   * 'strictatime' (`strictatime`).
   */
  atime: 'relatime' | 'noatime' | 'strictatime';
  /** `nodiratime` (`diratime` clears it). */
  nodiratime: boolean;
  /** `lazytime` (`nolazytime` clears it). */
  lazytime: boolean;
  /** `max_read=N`: the largest READ the kernel sends. */
  max_read: number | undefined;
  /** `blksize=N`: fuseblk only; a plain fuse mount rejects it (see kernelMountData). */
  blksize: number | undefined;
  /**
   * `rootmode=` (octal): the root's file type (and mode) given to the kernel;
   * by default the mountpoint's own type, a directory (040000).
   */
  rootmode: number | undefined;
  /** Unmount when the server process dies (default on; `noauto_unmount` turns it off). */
  auto_unmount: boolean;
  /**
   * `stack`: mount even where a FUSE filesystem is mounted already, on top
   * of it. Without it that is refused: mounting twice on one mountpoint is
   * far more often a mistake (a second `devfuse mount`) than a plan.
   */
  stack: boolean;
}

export class MountOptionError extends Error {
  override readonly name = 'MountOptionError';
  readonly code = 'EINVAL';
}

export function defaultMountOptions(): MountOptions {
  return {
    fsname: 'devfuse',
    subtype: undefined,
    allow_other: false,
    allow_root: false,
    default_permissions: false,
    ro: false,
    nosuid: true,
    nodev: true,
    noexec: false,
    sync: false,
    dirsync: false,
    atime: 'relatime',
    nodiratime: false,
    lazytime: false,
    max_read: undefined,
    blksize: undefined,
    rootmode: undefined,
    auto_unmount: true,
    stack: false,
  };
}

/** The MS_* flags of mount(2). */
export function mountFlags(o: MountOptions): number {
  let f = 0;
  if (o.ro) f |= MS_RDONLY;
  if (o.nosuid) f |= MS_NOSUID;
  if (o.nodev) f |= MS_NODEV;
  if (o.noexec) f |= MS_NOEXEC;
  if (o.sync) f |= MS_SYNCHRONOUS;
  if (o.dirsync) f |= MS_DIRSYNC;
  if (o.atime === 'noatime') f |= MS_NOATIME;
  if (o.atime === 'strictatime') f |= MS_STRICTATIME;
  if (o.nodiratime) f |= MS_NODIRATIME;
  if (o.lazytime) f |= MS_LAZYTIME;
  return f;
}

/** The filesystem type: "fuse" or "fuse.<subtype>". */
export function fsType(o: MountOptions): string {
  return o.subtype ? `fuse.${o.subtype}` : 'fuse';
}

/** S_IFDIR: a directory root, what a mountpoint directory needs. */
export const ROOTMODE_DIR = S_IFDIR;

/**
 * The data string of mount(2) for a plain fuse mount. The kernel rejects
 * blksize= on plain fuse with a bare EINVAL ("blksize only supported for
 * fuseblk" goes to the kernel log only), so it is refused here by name.
 */
export function kernelMountData(o: MountOptions, fd: number, rootmode: number, uid: number, gid: number): string {
  if (o.blksize !== undefined) {
    throw new MountOptionError('-o blksize= is only valid for fuseblk (block-device) mounts; the kernel rejects it on a plain fuse mount');
  }
  const parts = [`fd=${fd}`, `rootmode=${rootmode.toString(8)}`, `user_id=${uid}`, `group_id=${gid}`];
  if (o.allow_other || o.allow_root) parts.push('allow_other');
  if (o.default_permissions) parts.push('default_permissions');
  if (o.max_read !== undefined) parts.push(`max_read=${o.max_read}`);
  return parts.join(',');
}

/**
 * The `-o` string for fusermount3. It knows fewer flags than mount(2):
 * (fuse 3.14) rw/ro, suid/nosuid, dev/nodev, exec/noexec, async/sync,
 * atime/noatime, dirsync, and exits on anything else, so the options it
 * lacks are refused here by name. It ignores suid/dev for ordinary users
 * (with a warning) and wants `user_allow_other` in /etc/fuse.conf for
 * allow_other. rootmode is its own to choose: the mountpoint's file type.
 */
export function fusermountOptions(o: MountOptions): string {
  if (o.blksize !== undefined) {
    throw new MountOptionError('-o blksize= is only valid for fuseblk (block-device) mounts; the kernel rejects it on a plain fuse mount');
  }
  const unsupported = [
    o.atime === 'strictatime' && 'strictatime',
    o.nodiratime && 'nodiratime',
    o.lazytime && 'lazytime',
  ].filter((x): x is string => typeof x === 'string');
  if (unsupported.length > 0) {
    throw new MountOptionError(`fusermount3 does not accept ${unsupported.join(', ')}; mount as root (or in a user namespace) to use ${unsupported.length > 1 ? 'them' : 'it'}`);
  }
  const parts = [
    o.ro ? 'ro' : 'rw',
    o.nosuid ? 'nosuid' : 'suid',
    o.nodev ? 'nodev' : 'dev',
    o.noexec ? 'noexec' : 'exec',
    o.sync ? 'sync' : 'async',
  ];
  if (o.dirsync) parts.push('dirsync');
  if (o.atime === 'noatime') parts.push('noatime');
  parts.push(`fsname=${escapeOption(o.fsname)}`);
  if (o.subtype) parts.push(`subtype=${escapeOption(o.subtype)}`);
  if (o.allow_other || o.allow_root) parts.push('allow_other');
  if (o.default_permissions) parts.push('default_permissions');
  if (o.max_read !== undefined) parts.push(`max_read=${o.max_read}`);
  if (o.auto_unmount) parts.push('auto_unmount');
  return parts.join(',');
}
