/**
 * Every `-o` name devfuse knows, once: what it sets and how its value is
 * read. `mount` options become the typed MountOptions (what mount(2) or
 * fusermount3 consume, mount.ts); `session` options become SessionOptions
 * (the session, and the accelerations serve() plugs in: session.ts).
 * parse.ts reads option strings against this table.
 *
 * A name missing here is an error ("unknown option -o x"), so adding an
 * option is one entry here and the field it sets.
 */
import { MountOptionError, type MountOptions } from './mount';
import type { SessionOptions } from './session';

export interface MountOptionDef {
  readonly target: 'mount';
  /** Applies `value` (true: given without "=") of option `key`; `item` is the option as written, for messages. */
  set(o: MountOptions, value: string | true, key: string, item: string): void;
}

export interface SessionOptionDef {
  readonly target: 'session';
  set(o: SessionOptions, value: string | true, key: string): void;
}

export type OptionDef = MountOptionDef | SessionOptionDef;

// ---- mount-level: errors are MountOptionError (EINVAL) -----------------------

/** A mount flag: `key` sets `field` to `to`, and takes no value. */
function mountFlag<K extends keyof MountOptions>(field: K, to: MountOptions[K]): MountOptionDef {
  return {
    target: 'mount',
    set(o, value, key, item) {
      if (value !== true) throw new MountOptionError(`-o ${key} takes no value (got "${item}")`);
      o[field] = to;
    },
  };
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

function mountUint(field: 'max_read' | 'blksize' | 'rootmode', radix: 8 | 10): MountOptionDef {
  return { target: 'mount', set: (o, value, key) => void (o[field] = uint(key, value, radix)) };
}

/** Refused with `message`. */
function mountRefused(message: string): MountOptionDef {
  return {
    target: 'mount',
    set() {
      throw new MountOptionError(message);
    },
  };
}

/** Set by devfuse itself; a user-supplied value would only confuse the kernel. */
const reserved = (key: string): MountOptionDef => mountRefused(`-o ${key}= is set by devfuse itself and may not be given`);

// ---- session-level: errors are plain Errors naming the option -----------------

/** A session flag: `key` sets `field` to `to`, and takes no value. */
function flag<K extends keyof SessionOptions>(field: K, to: SessionOptions[K]): SessionOptionDef {
  return {
    target: 'session',
    set(o, value, key) {
      if (value !== true) throw new Error(`-o ${key} takes no value`);
      o[field] = to;
    },
  };
}

type NumberField = { [K in keyof SessionOptions]-?: SessionOptions[K] extends number | undefined ? K : never }[keyof SessionOptions];

/** A number ≥ 0. */
function num(field: NumberField): SessionOptionDef {
  return {
    target: 'session',
    set(o, v, key) {
      const n = typeof v === 'string' ? Number(v) : NaN;
      if (!Number.isFinite(n) || n < 0) throw new Error(`-o ${key}: expected a number, got ${v === true ? 'nothing' : JSON.stringify(v)}`);
      o[field] = n;
    },
  };
}

export const OPTIONS: Readonly<Record<string, OptionDef>> = {
  // mount(2) flags (defaults are libfuse's: nosuid, nodev)
  ro: mountFlag('ro', true),
  rw: mountFlag('ro', false),
  nosuid: mountFlag('nosuid', true),
  suid: mountFlag('nosuid', false),
  nodev: mountFlag('nodev', true),
  dev: mountFlag('nodev', false),
  noexec: mountFlag('noexec', true),
  exec: mountFlag('noexec', false),
  sync: mountFlag('sync', true),
  async: mountFlag('sync', false),
  dirsync: mountFlag('dirsync', true),
  noatime: mountFlag('atime', 'noatime'),
  atime: mountFlag('atime', 'relatime'),
  relatime: mountFlag('atime', 'relatime'),
  norelatime: mountFlag('atime', 'relatime'),
  strictatime: mountFlag('atime', 'strictatime'),
  nostrictatime: mountFlag('atime', 'relatime'),
  nodiratime: mountFlag('nodiratime', true),
  diratime: mountFlag('nodiratime', false),
  lazytime: mountFlag('lazytime', true),
  nolazytime: mountFlag('lazytime', false),
  // the fuse mount's own
  allow_other: mountFlag('allow_other', true),
  allow_root: mountFlag('allow_root', true),
  default_permissions: mountFlag('default_permissions', true),
  auto_unmount: mountFlag('auto_unmount', true),
  noauto_unmount: mountFlag('auto_unmount', false),
  stack: mountFlag('stack', true),
  fsname: { target: 'mount', set: (o, value, key) => void (o.fsname = str(key, value)) },
  subtype: {
    target: 'mount',
    set(o, value, key) {
      const v = str(key, value);
      if (/[\s,/]/.test(v)) throw new MountOptionError(`-o subtype=${v}: the subtype becomes part of the type "fuse.${v}" and may not contain spaces, commas or slashes`);
      o.subtype = v;
    },
  },
  max_read: mountUint('max_read', 10),
  blksize: mountUint('blksize', 10),
  rootmode: mountUint('rootmode', 8),
  blkdev: mountRefused('-o blkdev: fuseblk mounts (a filesystem backed by a block device) are not supported by devfuse'),
  // Accepted for compatibility and ignored: libfuse 3 mounts over non-empty directories anyway.
  // (It is not `stack`: a directory with files in it is not a FUSE mount.)
  nonempty: { target: 'mount', set: () => undefined },
  fd: reserved('fd'),
  user_id: reserved('user_id'),
  group_id: reserved('group_id'),

  // the session
  debug: flag('debug', true),
  entry_timeout: num('entryTimeout'),
  attr_timeout: num('attrTimeout'),
  negative_timeout: num('negativeTimeout'),
  writeback_cache: flag('writebackCache', true),
  no_writeback_cache: flag('writebackCache', false),
  direct_io: flag('directIo', true),
  async_read: flag('asyncRead', true),
  sync_read: flag('asyncRead', false),
  readdirplus: {
    target: 'session',
    set(o, v) {
      if (v !== 'yes' && v !== 'no' && v !== 'auto') throw new Error('-o readdirplus takes yes, no or auto');
      o.readdirplus = v;
    },
  },
  max_write: num('maxWrite'),
  max_readahead: num('maxReadahead'),
  max_background: num('maxBackground'),
  congestion_threshold: num('congestionThreshold'),
  atomic_o_trunc: flag('atomicOTrunc', true),
  export_support: flag('exportSupport', true),
  posix_acl: flag('posixAcl', true),
  handle_killpriv: flag('handleKillpriv', true),
  handle_killpriv_v2: flag('handleKillprivV2', true),
  no_handle_killpriv_v2: flag('handleKillprivV2', false),
  cache_symlinks: flag('cacheSymlinks', true),
  auto_inval_data: flag('autoInvalData', true),
  no_auto_inval_data: flag('autoInvalData', false),
  explicit_inval_data: flag('explicitInvalData', true),
  no_parallel_dirops: flag('parallelDirops', false),
  direct_io_allow_mmap: flag('directIoAllowMmap', true),
  no_direct_io_allow_mmap: flag('directIoAllowMmap', false),
  create_supp_group: flag('createSuppGroup', true),
  request_timeout: num('requestTimeout'),
  no_write_ordering: flag('writeOrdering', false),
  // Backing files (FUSE_PASSTHROUGH): the kernel does the I/O on them. Not the passthrough filesystem.
  passthrough: flag('passthrough', true),
  // the accelerations (src/server/accel)
  busy_poll: num('busyPoll'),
  stream_poll: num('streamPoll'),
  workers: num('workers'),
  no_splice: flag('splice', false),
  colocate: flag('colocate', true),
};
