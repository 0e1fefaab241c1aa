/**
 * The path-based filesystem interface: libfuse's high-level
 * `struct fuse_operations` (as of 3.18, with statx and syncfs) in TypeScript.
 * fromPathFilesystem() (adapter.ts) turns one into the inode-level
 * Filesystem devfuse serves, keeping the node table, the lookup counts and
 * the path locks that libfuse's lib/fuse.c keeps for a C filesystem.
 *
 * Conventions, for every operation:
 * - Every method is optional; a missing one is answered as libfuse answers
 *   it (ENOSYS for most, success for open/release/opendir/releasedir/flush).
 * - Paths are absolute within the filesystem ("/", "/a/b"), as the
 *   filesystem's own tree names them at the moment of the call.
 * - Handlers return values or promises; they fail by throwing (or
 *   rejecting with, or returning) a FuseError, or any error carrying an
 *   errno `code` ('ENOENT'): fs.promises errors pass through as they are.
 * - Operations on an open file get the handle its open/create returned
 *   (`fh`) right after the path; operations where the kernel may or may not
 *   name an open file take `fh: number | undefined` just before `ctx`.
 * - `ctx` is the request's context: caller uid/gid/pid/umask, and a
 *   `signal` aborted when the caller is interrupted.
 */
import type { AttrInput, Timespec, IoctlResult, Lock, PollHandle, RequestContext, Result, SessionApi, StatfsResult, StatxResult, OpenResult } from '../api/filesystem';

export type { Timespec };

/** A time as a stat may carry it: a Date, milliseconds since the epoch, or seconds + nanoseconds. */
export type TimeInput = Date | number | Timespec;

/**
 * File attributes as a path filesystem gives them: Node's fs.Stats and
 * fs.BigIntStats fit as they are, and so does a plain object with `mode`
 * and whatever else it knows (missing numbers are 0, nlink 1, blocks from
 * the size, missing times the epoch); or the kernel's own fuse_attr
 * (Attr, as attrFromStats makes it: times in seconds with *timensec
 * fields), told apart by those nanosecond fields.
 */
export type PathStat = StatLike | (AttrInput & { dev?: number | bigint });

/** A stat as Node and most programs write one (times as Dates, milliseconds, or { sec, nsec }). */
export interface StatLike {
  /** File type and permission bits (S_IFREG | 0o644...). */
  mode: number | bigint;
  /**
   * The inode number the filesystem knows the file by. Shown as st_ino when
   * nonzero (option useIno, default on), and used to give hard links found
   * by lookup one node; 0 or absent: devfuse numbers the file itself.
   */
  ino?: number | bigint;
  /** The device the inode lives on (hard links are recognized per device). */
  dev?: number | bigint;
  size?: number | bigint;
  blocks?: number | bigint;
  nlink?: number | bigint;
  uid?: number | bigint;
  gid?: number | bigint;
  rdev?: number | bigint;
  blksize?: number | bigint;
  atime?: TimeInput;
  mtime?: TimeInput;
  ctime?: TimeInput;
  /** As fs.Stats (numbers) and fs.BigIntStats (bigints) have them; preferred over atime/mtime/ctime when present. */
  atimeMs?: number | bigint;
  mtimeMs?: number | bigint;
  ctimeMs?: number | bigint;
  /** As fs.BigIntStats has them: exact to the nanosecond; preferred over everything else. */
  atimeNs?: bigint;
  mtimeNs?: bigint;
  ctimeNs?: bigint;
}

/**
 * What open, create and opendir answer: a handle number (passed back to
 * every later call on the open file), nothing (handle 0), or the handle
 * with the kernel's per-open flags.
 */
export type PathOpenResult = number | void | undefined | (Omit<OpenResult, 'backingId'> & { fh?: number });

/**
 * One directory entry: a name, or a name with its attributes. With
 * attributes for every entry, listings answer READDIRPLUS (`ls -l` then
 * needs no lookup per entry), unless option readdirplus is false.
 */
export type PathDirEntry = string | { name: string; stat?: PathStat };

/**
 * What readdir answers: the whole listing as an array (devfuse keeps it for
 * the open directory, so offsets stay stable however the directory
 * changes), or an iterable / async iterable for a directory too large to
 * list at once, which devfuse pulls from as the kernel asks. "." and ".."
 * are added when the listing lacks them.
 */
export type PathDirListing = readonly PathDirEntry[] | Iterable<PathDirEntry> | AsyncIterable<PathDirEntry>;

/** libfuse's lock commands (fcntl.h). */
export const F_GETLK = 5;
export const F_SETLK = 6;
export const F_SETLKW = 7;

export interface PathFilesystem {
  /** After INIT; `session` sends notifications (pathAdapter.invalidatePath uses it too). */
  init?(session: SessionApi): void | Promise<void>;
  /** The session ended (unmount). */
  destroy?(): void | Promise<void>;

  /** Attributes of `path`; `fh` when the kernel asks through an open file. */
  getattr?(path: string, fh: number | undefined, ctx: RequestContext): Result<PathStat>;
  /** libfuse 2's handle variant: preferred over getattr when the kernel names an open file. */
  fgetattr?(path: string, fh: number, ctx: RequestContext): Result<PathStat>;
  readlink?(path: string, ctx: RequestContext): Result<string | Buffer>;
  /** Attributes may be returned to spare the getattr that follows every create. */
  mknod?(path: string, mode: number, rdev: number, ctx: RequestContext): Result<PathStat | void>;
  mkdir?(path: string, mode: number, ctx: RequestContext): Result<PathStat | void>;
  unlink?(path: string, ctx: RequestContext): Result<void>;
  rmdir?(path: string, ctx: RequestContext): Result<void>;
  /** `target` is what the link will contain; `path` is the link's own name. */
  symlink?(target: string, path: string, ctx: RequestContext): Result<PathStat | void>;
  /** `flags`: RENAME_NOREPLACE (1), RENAME_EXCHANGE (2), RENAME_WHITEOUT (4); EINVAL for those you do not support. */
  rename?(from: string, to: string, flags: number, ctx: RequestContext): Result<void>;
  /** A hard link `path` to `existing`. */
  link?(existing: string, path: string, ctx: RequestContext): Result<PathStat | void>;
  chmod?(path: string, mode: number, fh: number | undefined, ctx: RequestContext): Result<void>;
  /** -1 for an id that does not change, as chown(2). */
  chown?(path: string, uid: number, gid: number, fh: number | undefined, ctx: RequestContext): Result<void>;
  truncate?(path: string, size: number, fh: number | undefined, ctx: RequestContext): Result<void>;
  /** libfuse 2's handle variant: preferred over truncate when the kernel names an open file. */
  ftruncate?(path: string, fh: number, size: number, ctx: RequestContext): Result<void>;
  /** New access and modification times; undefined leaves that time as it is (UTIME_OMIT). */
  utimens?(path: string, atime: Timespec | undefined, mtime: Timespec | undefined, fh: number | undefined, ctx: RequestContext): Result<void>;
  /** `flags`: open(2) flags (O_RDONLY..., O_APPEND, O_TRUNC with -o atomic_o_trunc). */
  open?(path: string, flags: number, ctx: RequestContext): Result<PathOpenResult>;
  /**
   * Reads into `buffer` (as many bytes as the kernel asked for) and returns
   * the count, short at end of file; or returns the data (a Buffer, or
   * Buffers to send one after another) of at most that many bytes.
   * `buffer` is lent for this call only.
   */
  read?(path: string, fh: number, buffer: Buffer, offset: number, ctx: RequestContext): Result<number | Buffer | Buffer[]>;
  /** Returns the bytes written. `data` is valid until the returned promise settles: copy what you keep. */
  write?(path: string, fh: number, data: Buffer, offset: number, ctx: RequestContext): Result<number>;
  statfs?(path: string, ctx: RequestContext): Result<StatfsResult>;
  /** Every close(2) of a descriptor of the open file. */
  flush?(path: string, fh: number, lockOwner: bigint, ctx: RequestContext): Result<void>;
  /** The last close: `flags` are the open flags. */
  release?(path: string, fh: number, flags: number, ctx: RequestContext): Result<void>;
  fsync?(path: string, fh: number, datasync: boolean, ctx: RequestContext): Result<void>;
  /** `flags`: XATTR_CREATE (1), XATTR_REPLACE (2). */
  setxattr?(path: string, name: string, value: Buffer, flags: number, ctx: RequestContext): Result<void>;
  /** The whole value (devfuse does the size protocol and ERANGE); throw ENODATA when absent. */
  getxattr?(path: string, name: string, ctx: RequestContext): Result<Buffer>;
  listxattr?(path: string, ctx: RequestContext): Result<string[]>;
  removexattr?(path: string, name: string, ctx: RequestContext): Result<void>;
  opendir?(path: string, flags: number, ctx: RequestContext): Result<PathOpenResult>;
  /** The entries of `path` (types.ts PathDirListing). `fh` is opendir's handle. */
  readdir?(path: string, fh: number, ctx: RequestContext): Result<PathDirListing>;
  releasedir?(path: string, fh: number, ctx: RequestContext): Result<void>;
  fsyncdir?(path: string, fh: number, datasync: boolean, ctx: RequestContext): Result<void>;
  /** access(2): `mask` of R_OK, W_OK, X_OK (or F_OK, 0). Missing: the kernel stops asking and allows. */
  access?(path: string, mask: number, ctx: RequestContext): Result<void>;
  /** Creates and opens a regular file. Missing: the kernel makes it with mknod, then opens it. */
  create?(path: string, mode: number, flags: number, ctx: RequestContext): Result<PathOpenResult>;
  /**
   * POSIX record locks, as fcntl(2): `cmd` F_GETLK (answer the conflicting
   * lock, or one of type F_UNLCK), F_SETLK, F_SETLKW (wait; honour ctx.signal).
   * Missing: the kernel keeps locks itself, which is right for most filesystems.
   */
  lock?(path: string, fh: number, cmd: number, lock: Lock, owner: bigint, ctx: RequestContext): Result<Lock | void>;
  /** BSD flock(2): LOCK_SH (1), LOCK_EX (2) or LOCK_UN (8), with LOCK_NB (4). Missing: the kernel's own. */
  flock?(path: string, fh: number, op: number, ctx: RequestContext): Result<void>;
  bmap?(path: string, blocksize: number, block: number, ctx: RequestContext): Result<number>;
  ioctl?(path: string, fh: number, cmd: number, arg: bigint, input: Buffer, outSize: number, flags: number, ctx: RequestContext): Result<IoctlResult>;
  poll?(path: string, fh: number, events: number, handle: PollHandle | null, ctx: RequestContext): Result<number>;
  fallocate?(path: string, fh: number, mode: number, offset: number, length: number, ctx: RequestContext): Result<void>;
  copyFileRange?(pathIn: string, fhIn: number, offIn: number, pathOut: string, fhOut: number, offOut: number, length: number, flags: number, ctx: RequestContext): Result<number>;
  /** SEEK_DATA (3) / SEEK_HOLE (4); returns the new offset. */
  lseek?(path: string, fh: number, offset: number, whence: number, ctx: RequestContext): Result<number>;
  /** statx(2) beyond the stat fields (btime...). Missing: the kernel falls back to getattr. */
  statx?(path: string, flags: number, mask: number, fh: number | undefined, ctx: RequestContext): Result<StatxResult>;
  syncfs?(path: string, ctx: RequestContext): Result<void>;
}

/** The high-level layer's options, libfuse's fuse_config where it still means something. */
export interface PathOptions {
  /** Seconds the kernel caches names (default: the session's entry_timeout, 1). */
  entryTimeout?: number;
  /** Seconds the kernel caches attributes (default: the session's attr_timeout, 1). */
  attrTimeout?: number;
  /** Seconds the kernel caches "no such name" (default: the session's negative_timeout, 0). */
  negativeTimeout?: number;
  /**
   * Show the filesystem's own inode numbers (PathStat.ino) as st_ino, and
   * give paths whose stat names one inode (same dev and ino, nlink > 1, not
   * a directory) one node: hard links then share one inode in the kernel.
   * Default true; false numbers every node itself (libfuse without use_ino).
   */
  useIno?: boolean;
  /** Every open bypasses the page cache (FOPEN_DIRECT_IO). */
  directIo?: boolean;
  /** Keep cached data across opens (FOPEN_KEEP_CACHE on every open). */
  kernelCache?: boolean;
  /**
   * Keep cached data across opens unless the file's size or mtime changed
   * since the last open (checked with a getattr at open when the attributes
   * are older than acAttrTimeout).
   */
  autoCache?: boolean;
  /** Seconds attributes count as fresh for autoCache (default: attrTimeout, or 1). */
  acAttrTimeout?: number;
  /** Answer READDIRPLUS from listings that carry attributes (default true). */
  readdirplus?: boolean;
  /** Every file shows this owner, group, or permissions masked by this umask (libfuse's uid=, gid=, umask=). */
  uid?: number;
  gid?: number;
  umask?: number;
}
