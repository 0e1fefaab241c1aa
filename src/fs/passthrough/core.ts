/**
 * The state every passthrough operation shares: the I/O adapter, the inode
 * table, the open handles, and the lookup step (a name to a counted inode
 * and its attributes).
 */
import { FuseError } from '../../api/errors';
import type { Entry, SessionApi } from '../../api/filesystem';
import type { DirHandle } from './dirs';
import { InodeTable, type Inode } from './inodes';
import { attempt, createIo, sysError, then, type Io, type IoMode, type MaybePromise } from './io';
import {
  AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, errno, lib, O_CLOEXEC, O_DIRECTORY, O_NOFOLLOW, O_PATH, S_IFDIR, S_IFMT,
  STATX_BASIC_STATS, type CPath, type Libc, type Native,
} from './libc';
import { readStatx, statxDev, STATX_SIZE, type Stat } from './stat';

export interface PassthroughOptions {
  /**
   * Where the syscalls run: 'sync' (default) on the main thread, as a
   * single-threaded libfuse server does; 'async' on the libuv thread pool,
   * so a slow source (NFS, a spinning disk) never stalls the event loop.
   * Sync is the default because local sources answer in microseconds and a
   * thread-pool hop costs more than the call (npm run bench: statx round
   * trip 12.7 against 43.6 µs on one CPU, 4 KiB random reads at queue depth
   * 16: 72k against 18k IOPS).
   */
  io?: IoMode;
  /**
   * FOPEN_KEEP_CACHE on every open: the kernel keeps a file's cached pages
   * across opens (with auto_inval_data it still drops them when it sees
   * mtime or size change). Off by default: a source changed from outside
   * would otherwise be read stale until then.
   */
  keepCache?: boolean;
  /**
   * Pass extended attributes through (default true). false answers the
   * xattr requests ENOSYS, after which the kernel never sends them again:
   * libfuse's passthrough_ll without -o xattr. `ls -l` asks every file for
   * two attributes (security.selinux, system.posix_acl_access), two round
   * trips per entry that this spares.
   */
  xattr?: boolean;
}

const PATH_FLAGS = O_PATH | O_NOFOLLOW | O_CLOEXEC;
const STAT_FLAGS = AT_SYMLINK_NOFOLLOW;
const FSTAT_FLAGS = AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW;

export class Core {
  readonly io: Io;
  readonly L: Libc = lib();
  readonly inodes: InodeTable;
  /** st_dev of the source root (stat.ts keys its inodes by number). */
  readonly rootDev: number;
  /** Root creates files for their callers: chown to ctx.uid/ctx.gid (namespace.ts). */
  readonly asRoot: boolean;
  readonly euid: number;
  readonly egid: number;
  /** FUSE_WRITEBACK_CACHE was negotiated: opens must allow the kernel's reads (files.ts). */
  writeback = false;
  readonly keepCache: boolean;
  /** Open file descriptors handed out as fh, closed on release or destroy. */
  readonly files = new Set<number>();
  /** FUSE passthrough: the session to register backing files with, when it was negotiated (files.ts). */
  session: SessionApi | null = null;
  /** Backing ids by fh, dropped on release. */
  readonly backing = new Map<number, number>();
  /** Open directory handles by fh (their descriptor). */
  readonly dirs = new Map<number, DirHandle>();

  constructor(
    readonly source: string,
    options: PassthroughOptions,
  ) {
    this.io = createIo(options.io ?? 'sync');
    this.keepCache = options.keepCache ?? false;
    this.euid = process.geteuid?.() ?? -1;
    this.egid = process.getegid?.() ?? -1;
    this.asRoot = this.euid === 0;
    // The root is opened before anything is mounted, so mounting over the source itself works.
    const fd = this.L.openat(AT_FDCWD, source, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0) throw sourceError(source, errno());
    const b = Buffer.alloc(STATX_SIZE);
    if (this.L.statx(fd, '', FSTAT_FLAGS, STATX_BASIC_STATS, b) < 0) {
      const e = errno();
      this.L.close(fd);
      throw sourceError(source, e);
    }
    this.rootDev = statxDev(b);
    const st = readStatx(b, this.rootDev);
    if ((st.mode & S_IFMT) !== S_IFDIR) throw new Error(`passthrough: ${source} is not a directory`);
    this.inodes = new InodeTable(fd, st);
    reserveFdTable(this.L, fd);
  }

  /** fstat of a descriptor (O_PATH ones included). */
  statFd(fd: number): MaybePromise<Stat> {
    const b = this.io.scratch(STATX_SIZE);
    return then(this.io.call(this.L.statx, fd, '', FSTAT_FLAGS, STATX_BASIC_STATS, b), () => readStatx(b, this.rootDev));
  }

  /** lstat of `name` in the directory `dirfd`; a failure (ENOENT, mostly) is the FuseError as a value. */
  statAt(dirfd: number, name: CPath): MaybePromise<Stat | FuseError> {
    const b = this.io.scratch(STATX_SIZE);
    return then(this.io.tryCall(this.L.statx, dirfd, name, STAT_FLAGS, STATX_BASIC_STATS, b), (r) =>
      r instanceof FuseError ? r : readStatx(b, this.rootDev),
    );
  }

  /**
   * LOOKUP. Two ways, by what a call costs in each mode:
   *
   * - sync: one statx by name, which is all it takes when the file is
   *   known already (the kernel revalidating a name, the common case once
   *   a tree is cached); statx + open + fstat when it is new. The fstat on
   *   the new descriptor, not the first statx, decides the identity, in
   *   case the name changed between the two. READDIRPLUS passes the
   *   entry's d_ino: when no file with that inode number on the source's
   *   device is held, the entry is almost surely new and the first statx
   *   is skipped (a wrong guess, a mountpoint say, costs nothing but that
   *   statx: identity is still decided by the fstat).
   * - async: every call is a thread-pool hop (≈10 µs of main-thread time
   *   each, more in latency), so open + fstat, always two hops, as
   *   passthrough_hp does; a descriptor on a known file is closed again
   *   (close of an O_PATH descriptor never blocks, so it is made inline).
   */
  lookup(parent: Inode, name: CPath, dIno?: number): MaybePromise<Entry | FuseError> {
    if (this.io.mode === 'async' || (dIno !== undefined && !this.inodes.has(dIno))) return then(this.openEntry(parent.fd, name), (r) => ({ ino: r.inode.id, attr: r.st }));
    return then(this.statAt(parent.fd, name), (st) => {
      // A name that is not there (ENOENT, the usual failure) is answered without a throw.
      if (st instanceof FuseError) return st;
      const known = this.inodes.refKnown(st.key);
      if (known) return { ino: known.id, attr: st };
      return then(this.openEntry(parent.fd, name), (o) => ({ ino: o.inode.id, attr: o.st }));
    });
  }

  /** Opens an O_PATH descriptor on `name` in `dirfd` and counts one lookup of its file. */
  openEntry(dirfd: number, name: CPath): MaybePromise<{ inode: Inode; st: Stat }> {
    return then(this.io.call(this.L.openat, dirfd, name, PATH_FLAGS, 0), (fd) => this.adopt(fd));
  }

  /** Counts one lookup of the file `fd` (O_PATH) is open on; `fd` is kept or closed (InodeTable.adopt). */
  adopt(fd: number): MaybePromise<{ inode: Inode; st: Stat }> {
    return attempt(
      () => then(this.statFd(fd), (st) => ({ inode: this.inodes.adopt(fd, st), st })),
      () => this.L.close(fd),
    );
  }

  /** Closes a descriptor whose close result nobody waits for. */
  closeQuietly(fd: number): void {
    this.L.close(fd);
  }

  /** Runs a call for its side effect only. */
  run<A extends unknown[]>(f: Native<A>, ...args: A): MaybePromise<void> {
    return then(this.io.call(f, ...args), done);
  }
}

const done = (): void => undefined;

const RLIMIT_NOFILE = 7;
const F_DUPFD_CLOEXEC = 1030;
/** The most descriptors reserveFdTable makes room for (a 512 KiB table in the kernel). */
const RESERVE_MAX = 1 << 16;

/**
 * Grows this process's descriptor table once, to the NOFILE soft limit
 * (at most RESERVE_MAX), by duplicating `fd` just below it and closing the
 * copy. The passthrough keeps a descriptor per inode the kernel holds, and
 * the kernel grows the table by doubling; in a multi-threaded process (Node
 * always is) every growth waits for an RCU grace period, milliseconds on a
 * VM. Measured here: the first walk of a 10,000-entry directory spent
 * 10.4 µs per entry opening and keeping descriptors, against 2.2 µs once
 * the table had grown. Failure is harmless: the table then grows on demand.
 */
function reserveFdTable(L: Libc, fd: number): void {
  const rl = Buffer.alloc(16);
  if (L.getrlimit(RLIMIT_NOFILE, rl) !== 0) return;
  const soft = Number(rl.readBigUInt64LE(0));
  const top = Math.min(soft, RESERVE_MAX) - 1;
  if (top <= 1024) return;
  const dup = L.fcntl(fd, F_DUPFD_CLOEXEC, top);
  if (dup >= 0) L.close(dup);
}

function sourceError(source: string, e: number): Error {
  const err = sysError(e);
  return Object.assign(new Error(`passthrough: cannot open the source ${source}: ${err.code}`), { code: err.code, errno: e });
}
