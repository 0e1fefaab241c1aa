/**
 * mount(8)/libfuse-style `-o` option strings: "ro,fsname=my\,fs,attr_timeout=1".
 *
 * Options are separated by commas; a backslash escapes the next character
 * (so "\," is a comma inside a value and "\\" a backslash) or, as in libfuse,
 * starts a three-digit octal escape ("\040" is a space). Each option is `key`
 * or `key=value`.
 *
 * The mount-level options (what mount(2) or fusermount3 consume) become a
 * typed MountOptions; everything else, known to the session (attr_timeout=,
 * writeback_cache, ...) or unknown, is handed on untouched in `rest`, where
 * the session rejects what nobody knows.
 *
 * Defaults are libfuse's: nosuid and nodev unless `suid`/`dev` is asked for.
 * One difference: auto_unmount is on by default (`noauto_unmount` turns it
 * off), because a dead mount left behind by a crashed Node process is the
 * worse surprise.
 */
import {
  MS_DIRSYNC, MS_LAZYTIME, MS_NOATIME, MS_NODEV, MS_NODIRATIME, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_STRICTATIME,
  MS_SYNCHRONOUS,
} from '../linux/constants';

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
}

export interface ParsedOptions {
  mount: MountOptions;
  /** The options that are not mount-level, in order of appearance (a later repeat wins). */
  rest: Map<string, string | true>;
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
  };
}

/** Boolean options: key → [field, value it sets]. */
const FLAGS: Record<string, [keyof MountOptions, boolean | MountOptions['atime']]> = {
  ro: ['ro', true], rw: ['ro', false],
  nosuid: ['nosuid', true], suid: ['nosuid', false],
  nodev: ['nodev', true], dev: ['nodev', false],
  noexec: ['noexec', true], exec: ['noexec', false],
  sync: ['sync', true], async: ['sync', false],
  dirsync: ['dirsync', true],
  noatime: ['atime', 'noatime'], atime: ['atime', 'relatime'],
  relatime: ['atime', 'relatime'], norelatime: ['atime', 'relatime'],
  strictatime: ['atime', 'strictatime'], nostrictatime: ['atime', 'relatime'],
  nodiratime: ['nodiratime', true], diratime: ['nodiratime', false],
  lazytime: ['lazytime', true], nolazytime: ['lazytime', false],
  allow_other: ['allow_other', true],
  allow_root: ['allow_root', true],
  default_permissions: ['default_permissions', true],
  auto_unmount: ['auto_unmount', true], noauto_unmount: ['auto_unmount', false],
};

/** Accepted for compatibility and ignored: libfuse 3 mounts over non-empty directories anyway. */
const IGNORED = new Set(['nonempty']);

/** Set by devfuse itself; a user-supplied value would only confuse the kernel. */
const RESERVED = new Set(['fd', 'user_id', 'group_id']);

/**
 * Splits an option string at unescaped commas and resolves the escapes.
 * Empty items (",,") are dropped.
 */
export function splitOptions(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      const oct = /^[0-3][0-7]{2}/.exec(s.slice(i + 1, i + 4));
      if (oct) {
        cur += String.fromCharCode(parseInt(oct[0], 8));
        i += 3;
      } else {
        cur += s[++i]!;
      }
    } else if (c === ',') {
      if (cur !== '') out.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  if (cur !== '') out.push(cur);
  return out;
}

/** Escapes a value so that splitOptions gives it back whole. */
export function escapeOption(s: string): string {
  return s.replace(/[\\,]/g, (c) => '\\' + c);
}

/**
 * Parses one or more `-o` strings (later ones override earlier ones) on top
 * of `base` (default: defaultMountOptions()). Throws MountOptionError for a
 * malformed mount-level option; never for the rest.
 */
export function parseMountOptions(opts: string | readonly string[], base: MountOptions = defaultMountOptions()): ParsedOptions {
  const mount: MountOptions = { ...base };
  const rest = new Map<string, string | true>();
  const list = typeof opts === 'string' ? [opts] : opts;
  for (const item of list.flatMap(splitOptions)) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    const value: string | true = eq < 0 ? true : item.slice(eq + 1);
    const flag = FLAGS[key];
    if (flag) {
      if (value !== true) throw new MountOptionError(`-o ${key} takes no value (got "${item}")`);
      (mount as unknown as Record<string, unknown>)[flag[0]] = flag[1];
      continue;
    }
    switch (key) {
      case 'fsname':
        mount.fsname = str(key, value);
        break;
      case 'subtype': {
        const v = str(key, value);
        if (/[\s,/]/.test(v)) throw new MountOptionError(`-o subtype=${v}: the subtype becomes part of the type "fuse.${v}" and may not contain spaces, commas or slashes`);
        mount.subtype = v;
        break;
      }
      case 'max_read':
        mount.max_read = uint(key, value, 10);
        break;
      case 'blksize':
        mount.blksize = uint(key, value, 10);
        break;
      case 'rootmode':
        mount.rootmode = uint(key, value, 8);
        break;
      case 'blkdev':
        throw new MountOptionError('-o blkdev: fuseblk mounts (a filesystem backed by a block device) are not supported by devfuse');
      default:
        if (IGNORED.has(key)) break;
        if (RESERVED.has(key)) throw new MountOptionError(`-o ${key}= is set by devfuse itself and may not be given`);
        rest.delete(key); // a later repeat moves to the end, as if given once, last
        rest.set(key, value);
    }
  }
  return { mount, rest };
}

function str(key: string, value: string | true): string {
  if (value === true || value === '') throw new MountOptionError(`-o ${key}= needs a value`);
  return value;
}

function uint(key: string, value: string | true, radix: 8 | 10): number {
  const v = str(key, value);
  const ok = radix === 8 ? /^[0-7]+$/.test(v) : /^[0-9]+$/.test(v);
  const n = ok ? parseInt(v, radix) : NaN;
  if (!Number.isSafeInteger(n) || n > 0xffffffff) {
    throw new MountOptionError(`-o ${key}=${v}: expected ${radix === 8 ? 'an octal' : 'a decimal'} number below 2^32`);
  }
  return n;
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
export const ROOTMODE_DIR = 0o40000;

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
