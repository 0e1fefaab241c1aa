/**
 * Session options: what a session (and the accelerations serve() plugs into
 * it) can be asked to do, with their defaults. Their `-o` names are in
 * table.ts; what they make devfuse ask of the kernel at INIT, init-policy.ts.
 */
import { debugToStderr } from '../core/debug';

/** The default largest busy-poll window, µs (busy_poll=; docs/design/polling.md). */
export const DEFAULT_BUSY_POLL = 50;

/**
 * The default largest window after a big WRITE, µs (stream_poll=): long
 * enough for a writer to fill its next 1 MiB block (0.2-0.4 ms here).
 */
export const DEFAULT_STREAM_POLL = 1000;

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
   * Largest WRITE, bytes (max_write=, default 1 MiB: a dd of 1 MiB blocks
   * is one WRITE each; docs/design/options.md).
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
   * Backing files, the kernel's FUSE_PASSTHROUGH (-o passthrough; kernel
   * 6.9+, needs CAP_SYS_ADMIN): opens a filesystem answers with a backing
   * file (session.openBacking) have their reads and writes done by the
   * kernel on that file, without a round trip to the server. The kernel
   * refuses it together with the writeback cache. (Not the passthrough
   * filesystem of src/fs, which may use it.)
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
   * time while requests come back to back (docs/design/polling.md).
   * serve() and createCuseDevice() plug the polling in (accel/polling.ts).
   */
  busyPoll?: number;
  /**
   * The busy-poll after a big WRITE (64 KiB or more), µs (stream_poll=,
   * default DEFAULT_STREAM_POLL; 0: as after any request): a writer's next
   * block takes longer than a round trip to arrive, and a server asleep
   * when it does pays a wake-up. Adapts as busy_poll does; nothing without
   * busy_poll.
   */
  streamPoll?: number;
  /**
   * Data worker threads (workers=, default 0): for a filesystem with a
   * dataPath, READ and WRITE are also served on this many threads, each on
   * its own clone of the device fd, started when requests queue up and
   * parked when they stop (docs/design/workers.md). Not with debug, nor for CUSE.
   */
  workers?: number;
  /**
   * Big WRITEs by splice(2) for filesystems with writeSpliced (default
   * true; -o no_splice turns it off): while they stream, requests are
   * spliced from the device into a pipe and WRITE data moves on from there
   * into the file, copied once instead of twice (docs/design/splice.md).
   */
  splice?: boolean;
  /**
   * -o colocate (default off): in tight exchanges, write replies as
   * SCHED_IDLE so that the client they wake runs on the server's CPU
   * instead of a halted one (docs/design/colocate.md: its gains, its
   * danger, its guards). Needs CAP_SYS_NICE and busy polling; not for CUSE.
   */
  colocate?: boolean;
}

export type ResolvedOptions = Required<Omit<SessionOptions, 'debug' | 'log' | 'requestTimeout' | 'allowUids' | 'handleKillprivV2' | 'passthrough'>> & {
  /** SessionOptions.passthrough: ask for FUSE_PASSTHROUGH (backing files). */
  backingFiles: boolean;
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
    backingFiles: o.passthrough ?? false,
    allowUids: o.allowUids ? new Set(o.allowUids) : null,
  };
}

/** The acceleration knobs (src/server/accel), resolved: what serve() reads to plug them in. */
export type AccelOptions = Pick<ResolvedOptions, 'busyPoll' | 'streamPoll' | 'workers' | 'splice' | 'colocate' | 'writeOrdering' | 'debug' | 'log'>;
