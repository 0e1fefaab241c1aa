/**
 * Session options, the `-o` names that set them, and what devfuse asks of
 * the kernel at INIT.
 *
 * Every INIT flag of fuse.h is listed in INIT_POLICY with what devfuse does
 * with it and why, so that a refused capability is a decision written down,
 * not an omission.
 */
import { debugToStderr } from './core/debug';
import { InitFlags, type InitFlagName } from '../protocol';
import type { Filesystem } from '../api/filesystem';
import { DEFAULT_BUSY_POLL, DEFAULT_STREAM_POLL } from './accel/poll-window';

export interface SessionOptions {
  /** Print every request and reply, decoded, to this function (or stderr with `true`). */
  debug?: boolean | ((line: string) => void);
  /** Where problems are reported (handler crashes, invalid replies, protocol errors). Default: stderr. */
  log?: (line: string) => void;
  /** Seconds the kernel caches names (entry_timeout=, default 1). */
  entryTimeout?: number;
  /** Seconds the kernel caches attributes (attr_timeout=, default 1). */
  attrTimeout?: number;
  /** Seconds the kernel caches a negative lookup answered with ino 0 (negative_timeout=, default 0). */
  negativeTimeout?: number;
  /** FUSE_WRITEBACK_CACHE: buffered writes are cached and written back later (writeback_cache). */
  writebackCache?: boolean;
  /** FOPEN_DIRECT_IO on every open (direct_io). */
  directIo?: boolean;
  /** FUSE_ASYNC_READ (async_read, default on; sync_read turns it off). */
  asyncRead?: boolean;
  /** READDIRPLUS: 'auto' (default: the kernel decides per directory), 'yes' (always), 'no'. Needs fs.readdirplus. */
  readdirplus?: 'auto' | 'yes' | 'no';
  /** FUSE_PARALLEL_DIROPS: concurrent lookups and readdirs in one directory (default on). */
  parallelDirops?: boolean;
  /**
   * Largest WRITE, bytes (max_write=, default 1 MiB). A dd of 1 MiB blocks
   * is one WRITE each: buffered writes 1035 MB/s against 687 with 128 KiB
   * (bench --variant, one run); O_DIRECT alike (its requests are pipelined).
   */
  maxWrite?: number;
  /** Largest readahead, bytes (max_readahead=, default 1 MiB: clamped to the kernel's offer). */
  maxReadahead?: number;
  /** Background requests in flight (max_background=, default 64). */
  maxBackground?: number;
  /** congestion_threshold= (default 3/4 of max_background). */
  congestionThreshold?: number;
  /** FUSE_ATOMIC_O_TRUNC: open(O_TRUNC) arrives as OPEN with O_TRUNC instead of SETATTR + OPEN. */
  atomicOTrunc?: boolean;
  /** FUSE_EXPORT_SUPPORT: the filesystem answers lookups of "." and "..". */
  exportSupport?: boolean;
  /** FUSE_POSIX_ACL: the kernel enforces POSIX ACLs kept in system.posix_acl_* xattrs (implies DONT_MASK). */
  posixAcl?: boolean;
  /** FUSE_HANDLE_KILLPRIV: the filesystem clears suid/sgid on write, chown and truncate. */
  handleKillpriv?: boolean;
  /**
   * FUSE_HANDLE_KILLPRIV_V2: the filesystem clears setuid/setgid and
   * security.capability itself. Default: when the filesystem says it does
   * (Filesystem.handleKillprivV2); -o handle_killpriv_v2 asks for it
   * anyway, -o no_handle_killpriv_v2 never.
   */
  handleKillprivV2?: boolean;
  /** FUSE_CACHE_SYMLINKS */
  cacheSymlinks?: boolean;
  /** FUSE_AUTO_INVAL_DATA (default on): drop cached data when size or mtime change. */
  autoInvalData?: boolean;
  /** FUSE_EXPLICIT_INVAL_DATA: only notifications invalidate cached data. */
  explicitInvalData?: boolean;
  /** FUSE_DIRECT_IO_ALLOW_MMAP (default on): shared mmap works on direct_io files. */
  directIoAllowMmap?: boolean;
  /** FUSE_CREATE_SUPP_GROUP: send the caller's matching supplementary group with creates (ctx.groups). */
  createSuppGroup?: boolean;
  /**
   * FUSE_REQUEST_TIMEOUT (7.43): seconds after which the kernel aborts the
   * connection over an unanswered request. The kernel raises values below
   * 15 to 15 and checks every 15 s: the abort comes max(S,15) to
   * max(S,15)+15 s after the request (docs/cli.md).
   */
  requestTimeout?: number;
  /**
   * FUSE_PASSTHROUGH (kernel 6.9+, needs CAP_SYS_ADMIN): opens a filesystem
   * answers with a backing file (session.openBacking) have their reads and
   * writes done by the kernel on that file, without a round trip to the
   * server. The kernel refuses it together with the writeback cache.
   */
  passthrough?: boolean;
  /**
   * Only these uids may use the mount (libfuse's allow_root: the mounter and
   * root). Others get EACCES, except for requests on files already open.
   */
  allowUids?: readonly number[];
  /**
   * The writeback/direct-IO ordering rule (default on): direct IO waits for
   * overlapping writes still in flight. Off only to measure what it costs.
   */
  writeOrdering?: boolean;
  /**
   * The device channel's longest busy-poll for the next request, µs
   * (busy_poll=, default 50, 0 = never): it saves the wake-up a request
   * otherwise pays when the client is on another CPU, at the price of CPU
   * time while requests come back to back (poll-window.ts). serve() and
   * createCuseDevice() hand it to the DeviceChannel they open.
   */
  busyPoll?: number;
  /**
   * The busy-poll after a big WRITE (64 KiB or more), µs (stream_poll=,
   * default DEFAULT_STREAM_POLL; 0: as after any request): a writer's next
   * block takes longer than a round trip to arrive, and a server asleep
   * when it does pays a wake-up. Adapts as busy_poll does (poll-window.ts);
   * nothing without busy_poll. serve() and createCuseDevice() hand it on too.
   */
  streamPoll?: number;
  /**
   * Data worker threads (workers=, default 0): for a filesystem with a
   * dataPath, READ and WRITE are also served on this many threads, each on
   * its own clone of the device fd, started when requests queue up and
   * parked when they stop (data-workers.ts). Not with debug, nor for CUSE.
   */
  workers?: number;
  /**
   * Big WRITEs by splice(2) for filesystems with writeSpliced (default
   * true; -o no_splice turns it off): while they stream, requests are
   * spliced from the device into a pipe and WRITE data moves on from there
   * into the file, copied once instead of twice (splice.ts).
   */
  splice?: boolean;
  /**
   * -o colocate (default off): in tight exchanges, write replies as
   * SCHED_IDLE so that the client they wake runs on the server's CPU
   * instead of a halted one (colocate.ts: its gains, its danger, its
   * guards). Needs CAP_SYS_NICE and busy polling; the device channel only.
   */
  colocate?: boolean;
}

export type ResolvedOptions = Required<Omit<SessionOptions, 'debug' | 'log' | 'requestTimeout' | 'allowUids' | 'handleKillprivV2'>> & {
  /** undefined: as the filesystem says. */
  handleKillprivV2: boolean | undefined;
  allowUids: ReadonlySet<number> | null;
  debug: ((line: string) => void) | null;
  log: (line: string) => void;
  requestTimeout: number;
};

export const MIB = 1024 * 1024;

export function resolveOptions(o: SessionOptions): ResolvedOptions {
  const stderr = (line: string): void => void process.stderr.write(line + '\n');
  const maxBackground = o.maxBackground ?? 64;
  if (o.workers !== undefined && !(Number.isInteger(o.workers) && o.workers >= 0 && o.workers <= 63)) throw new Error(`workers must be an integer from 0 to 63, not ${o.workers}`);
  return {
    debug: o.debug === true ? debugToStderr : typeof o.debug === 'function' ? o.debug : null,
    log: o.log ?? ((line) => stderr(`devfuse: ${line}`)),
    entryTimeout: o.entryTimeout ?? 1,
    attrTimeout: o.attrTimeout ?? 1,
    negativeTimeout: o.negativeTimeout ?? 0,
    writebackCache: o.writebackCache ?? false,
    directIo: o.directIo ?? false,
    asyncRead: o.asyncRead ?? true,
    readdirplus: o.readdirplus ?? 'auto',
    parallelDirops: o.parallelDirops ?? true,
    maxWrite: o.maxWrite ?? MIB,
    maxReadahead: o.maxReadahead ?? MIB,
    maxBackground,
    congestionThreshold: o.congestionThreshold ?? Math.floor((maxBackground * 3) / 4),
    atomicOTrunc: o.atomicOTrunc ?? false,
    exportSupport: o.exportSupport ?? false,
    posixAcl: o.posixAcl ?? false,
    handleKillpriv: o.handleKillpriv ?? false,
    handleKillprivV2: o.handleKillprivV2,
    cacheSymlinks: o.cacheSymlinks ?? false,
    autoInvalData: o.autoInvalData ?? true,
    explicitInvalData: o.explicitInvalData ?? false,
    directIoAllowMmap: o.directIoAllowMmap ?? true,
    createSuppGroup: o.createSuppGroup ?? false,
    requestTimeout: o.requestTimeout ?? 0,
    writeOrdering: o.writeOrdering ?? true,
    busyPoll: o.busyPoll ?? DEFAULT_BUSY_POLL,
    streamPoll: o.streamPoll ?? DEFAULT_STREAM_POLL,
    workers: o.workers ?? 0,
    splice: o.splice ?? true,
    colocate: o.colocate ?? false,
    passthrough: o.passthrough ?? false,
    allowUids: o.allowUids ? new Set(o.allowUids) : null,
  };
}

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
  PASSTHROUGH: { want: (o) => o.passthrough && !o.writebackCache, why: 'option passthrough (needs CAP_SYS_ADMIN; the kernel refuses it with writeback_cache)' },
  NO_EXPORT_SUPPORT: { want: never, why: 'not needed: without EXPORT_SUPPORT we never claim NFS export works' },
  HAS_RESEND: { want: never, why: 'kernel capability; devfuse never asks for a resend' },
  ALLOW_IDMAP: { want: never, why: 'idmapped mounts would send FUSE_INVALID_UIDGID our filesystems do not handle' },
  OVER_IO_URING: { want: never, why: 'measured through koffi (scripts/bench/channel-uring.ts): it works from Node, but a round trip costs more than read(2)+write(2) here, and idle waiting would need a worker thread (device-channel.ts)' },
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

/** The `-o` names of session options (the mount-level ones live in mount-options.ts). */
export function sessionOptionsFromMountOptions(rest: ReadonlyMap<string, string | true>): SessionOptions {
  const o: SessionOptions = {};
  const num = (k: string, v: string | true): number => {
    const n = typeof v === 'string' ? Number(v) : NaN;
    if (!Number.isFinite(n) || n < 0) throw new Error(`-o ${k}: expected a number, got ${v === true ? 'nothing' : JSON.stringify(v)}`);
    return n;
  };
  const flag = (k: string, v: string | true): boolean => {
    if (v !== true) throw new Error(`-o ${k} takes no value`);
    return true;
  };
  for (const [k, v] of rest) {
    switch (k) {
      case 'debug': o.debug = flag(k, v); break;
      case 'entry_timeout': o.entryTimeout = num(k, v); break;
      case 'attr_timeout': o.attrTimeout = num(k, v); break;
      case 'negative_timeout': o.negativeTimeout = num(k, v); break;
      case 'writeback_cache': o.writebackCache = flag(k, v); break;
      case 'no_writeback_cache': o.writebackCache = !flag(k, v); break;
      case 'direct_io': o.directIo = flag(k, v); break;
      case 'async_read': o.asyncRead = flag(k, v); break;
      case 'sync_read': o.asyncRead = !flag(k, v); break;
      case 'readdirplus':
        if (v !== 'yes' && v !== 'no' && v !== 'auto') throw new Error('-o readdirplus takes yes, no or auto');
        o.readdirplus = v;
        break;
      case 'max_write': o.maxWrite = num(k, v); break;
      case 'max_readahead': o.maxReadahead = num(k, v); break;
      case 'max_background': o.maxBackground = num(k, v); break;
      case 'congestion_threshold': o.congestionThreshold = num(k, v); break;
      case 'atomic_o_trunc': o.atomicOTrunc = flag(k, v); break;
      case 'export_support': o.exportSupport = flag(k, v); break;
      case 'posix_acl': o.posixAcl = flag(k, v); break;
      case 'handle_killpriv': o.handleKillpriv = flag(k, v); break;
      case 'handle_killpriv_v2': o.handleKillprivV2 = flag(k, v); break;
      case 'no_handle_killpriv_v2': o.handleKillprivV2 = !flag(k, v); break;
      case 'cache_symlinks': o.cacheSymlinks = flag(k, v); break;
      case 'auto_inval_data': o.autoInvalData = flag(k, v); break;
      case 'no_auto_inval_data': o.autoInvalData = !flag(k, v); break;
      case 'explicit_inval_data': o.explicitInvalData = flag(k, v); break;
      case 'no_parallel_dirops': o.parallelDirops = !flag(k, v); break;
      case 'direct_io_allow_mmap': o.directIoAllowMmap = flag(k, v); break;
      case 'no_direct_io_allow_mmap': o.directIoAllowMmap = !flag(k, v); break;
      case 'create_supp_group': o.createSuppGroup = flag(k, v); break;
      case 'request_timeout': o.requestTimeout = num(k, v); break;
      case 'no_write_ordering': o.writeOrdering = !flag(k, v); break;
      case 'passthrough': o.passthrough = flag(k, v); break;
      case 'busy_poll': o.busyPoll = num(k, v); break;
      case 'stream_poll': o.streamPoll = num(k, v); break;
      case 'workers': o.workers = num(k, v); break;
      case 'no_splice': o.splice = !flag(k, v); break;
      case 'colocate': o.colocate = flag(k, v); break;
      default:
        throw new Error(`unknown option -o ${k}${v === true ? '' : '=' + v}`);
    }
  }
  return o;
}
