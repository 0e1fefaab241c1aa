/**
 * The filesystem interface: low-level and inode-based, in the spirit of
 * libfuse's fuse_lowlevel_ops, with async handlers.
 *
 * - Every method is optional. A missing one is answered the way libfuse
 *   answers it (src/server/core/dispatch.ts): ENOSYS for most, which makes
 *   the kernel stop asking where the protocol allows (flush, fsync,
 *   xattrs, ...); a successful no-op for open/opendir/release/releasedir.
 * - Handlers return values (or promises of them) and fail by throwing a
 *   FuseError, or any Node error with an errno `code` (fs.promises errors
 *   work as they are). Anything else thrown is answered EIO and logged.
 *   A FuseError may also be returned (or resolved) as the value: that
 *   answers the same error without a throw, which costs V8 about a
 *   microsecond per frame it unwinds. Worth it on paths that fail often
 *   and are expected to (a negative LOOKUP, ENODATA from getxattr), as
 *   go-fuse and fuser return errno values instead of raising them.
 * - `ino` is the FUSE node id the filesystem chose in an Entry; 1 is the
 *   root. Lookup counting follows libfuse: each Entry returned by lookup,
 *   mknod, mkdir, symlink, link, create, tmpfile and each readdirplus entry
 *   with a nonzero ino is one reference, and `forget(ino, n)` gives n back.
 * - Attributes use the kernel's own struct (fuse_attr: seconds + nsec
 *   fields); `attrFromStats` converts Node's fs.Stats/BigIntStats.
 */
import type { DataPathSpec } from './data-path';
import type { SplicedData } from './spliced';
import type { Attr, FileLock, Kstatfs, Opcode, Statx } from '../protocol';
import type { FuseError } from './errors';

/** What a handler gives back: a value, or a FuseError answered as the error (no throw), or a promise of either. */
export type Result<T> = T | FuseError | Promise<T | FuseError>;

/** Who is asking, and for what. One per request. */
export interface RequestContext {
  readonly unique: number;
  readonly opcode: Opcode;
  readonly nodeid: number;
  readonly uid: number;
  readonly gid: number;
  readonly pid: number;
  /**
   * The caller's umask, as the kernel sends it with create/mknod/mkdir/tmpfile
   * (0 for other requests). The kernel has already applied it to `mode`
   * unless posix_acl (FUSE_DONT_MASK) was negotiated; then applying it is the
   * filesystem's job, where no default ACL says otherwise.
   */
  readonly umask: number;
  /** FUSE_CREATE_SUPP_GROUP: the caller's supplementary group matching the parent, when the kernel sent one. */
  readonly groups: readonly number[] | undefined;
  /** Aborted when the kernel sends INTERRUPT for this request. Handlers that wait should honour it. */
  readonly signal: AbortSignal;
  /**
   * The counterpart of the kernel's FUSE_DIO_CUSE: true for requests that
   * came through a CUSE session, which skip the writeback-ordering check
   * (there are no FUSE inodes and no page cache behind a CUSE device).
   */
  readonly cuse: boolean;
  /** READ/WRITE that bypass the page cache (O_DIRECT, or an open with directIo). */
  readonly directIo: boolean;
  /**
   * A buffer of `size` bytes for this request's reply data (a READ's bytes),
   * from a pool the session recycles once the reply is written: cheaper than
   * a fresh allocation for large reads. Valid until the handler's reply is
   * written; do not keep it.
   */
  buffer(size: number): Buffer;
}

/** Attributes as a filesystem may give them: `mode` is required, the rest defaults (nlink 1, blksize 4096, 0 otherwise). */
export type AttrInput = Partial<Attr> & { mode: number };

/** The answer to a lookup, and to everything that creates a name. */
export interface Entry {
  /** Node id of the inode; 0 makes a negative entry (the name is cached as absent for entryTimeout). */
  ino: number;
  /** With `ino`, must be unique for the filesystem's lifetime (NFS export). */
  generation?: number;
  attr: AttrInput;
  /** Seconds the kernel may cache the name; defaults to the session's entry_timeout. */
  entryTimeout?: number;
  /** Seconds the kernel may cache the attributes; defaults to the session's attr_timeout. */
  attrTimeout?: number;
}

/** getattr/setattr answer: attributes, or attributes with their own cache timeout. */
export type AttrReplyInput = AttrInput | { attr: AttrInput; attrTimeout?: number };

/** What an open (file or directory) answers. */
export interface OpenResult {
  /** File handle passed back in every request on this open file. */
  fh?: number;
  /** FOPEN_DIRECT_IO: bypass the page cache for this open file. */
  directIo?: boolean;
  /** FOPEN_KEEP_CACHE: keep cached data from earlier opens. */
  keepCache?: boolean;
  /** FOPEN_NONSEEKABLE */
  nonseekable?: boolean;
  /** FOPEN_CACHE_DIR: the kernel may cache this directory's entries. */
  cacheDir?: boolean;
  /** FOPEN_STREAM: no file position at all. */
  stream?: boolean;
  /** FOPEN_NOFLUSH: no FLUSH on close. */
  noflush?: boolean;
  /** FOPEN_PARALLEL_DIRECT_WRITES */
  parallelDirectWrites?: boolean;
  /** FOPEN_PASSTHROUGH with a backing id from session.openBacking(fd). */
  backingId?: number;
}

/** Changes requested by SETATTR; absent fields are unchanged. Times are { sec, nsec } or 'now'. */
export interface SetattrChanges {
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  atime?: Timespec | 'now';
  mtime?: Timespec | 'now';
  ctime?: Timespec;
  /** FATTR_KILL_SUIDGID: drop setuid/setgid as a write by this caller would. */
  killSuidgid?: boolean;
  /** The lock owner when FATTR_LOCKOWNER is set (truncate through an fd). */
  lockOwner?: bigint;
}

export interface Timespec {
  sec: number;
  nsec: number;
}

/**
 * READDIR output: add entries until it says false (full); `nextOffset` is the
 * cookie READDIR resumes at. Offsets travel as JavaScript numbers, exact up
 * to 2^53: a filesystem whose cookies are wider (ext4's hashed directory
 * offsets reach 2^63) maps them to small ones, as passthrough does.
 */
export interface DirentSink {
  /** `mode` only needs the S_IFMT bits. Returns false, adding nothing, once the reply is full. */
  add(name: string, ino: number, mode: number, nextOffset: number): boolean;
}

/** READDIRPLUS output: each entry also answers a lookup (and counts as one when `entry.ino` is nonzero). */
export interface DirentPlusSink {
  add(name: string, entry: Entry, nextOffset: number): boolean;
}

export interface ReadInfo {
  /** open(2) flags of the file. */
  flags: number;
  lockOwner: bigint | undefined;
}

export interface WriteInfo extends ReadInfo {
  /** FUSE_WRITE_CACHE: writeback from the page cache; `fh` is one the kernel picked among the inode's opens. */
  writeback: boolean;
  /** FUSE_WRITE_KILL_SUIDGID: clear setuid/setgid as the write of an unprivileged caller would. */
  killSuidgid: boolean;
}

export interface OpenInfo {
  /**
   * FUSE_OPEN_KILL_SUIDGID (only under handle_killpriv_v2): an open with
   * O_TRUNC by a caller without CAP_FSETID; the truncation clears setuid,
   * and setgid from a group-executable file, as truncate(2) would.
   */
  killSuidgid: boolean;
}

export interface ReleaseInfo {
  flags: number;
  /** FUSE_RELEASE_FLUSH: flush before releasing. */
  flush: boolean;
  /** FUSE_RELEASE_FLOCK_UNLOCK: drop the flock held through this open file. */
  flockUnlock: boolean;
  lockOwner: bigint;
}

/** A POSIX lock as fcntl(2) describes it; `end` is inclusive, OFFSET_MAX for "to the end". */
export type Lock = FileLock;

export interface IoctlIovec {
  base: bigint;
  len: number;
}

export type IoctlResult =
  /** Done: ioctl(2) returns `result`, and `data` (≤ outSize bytes) is copied to the caller. */
  | { result: number; data?: Buffer }
  /** Unrestricted ioctls only: fetch these regions of the caller's memory and ask again. */
  | { retry: { in: IoctlIovec[]; out: IoctlIovec[] } };

/** Lets a filesystem wake up a poll(2) waiter later (FUSE_NOTIFY_POLL). */
export interface PollHandle {
  readonly kh: number;
  notify(): void;
}

export interface StatfsResult extends Partial<Kstatfs> {}

/** What statx answers: the kernel's struct statx, and optionally its own cache time in seconds. */
export interface StatxResult {
  stat: Statx;
  attrTimeout?: number;
}

export interface Filesystem {
  /** After INIT; `session` is the place to send notifications from. */
  init?(session: SessionApi): void | Promise<void>;
  /** DESTROY, or the session ending. */
  destroy?(): void | Promise<void>;
  /**
   * READ and WRITE that worker threads may serve as well (option `workers`):
   * a module each worker loads; data-path.ts. Without it every request runs
   * on the main thread.
   */
  readonly dataPath?: DataPathSpec;
  /**
   * The filesystem clears privileges itself, as the VFS does (FUSE_HANDLE_KILLPRIV_V2):
   * setuid, and setgid from a group-executable file, when WriteInfo,
   * SetattrChanges or OpenInfo says killSuidgid; and security.capability on
   * every write, truncate and chown. devfuse then negotiates
   * HANDLE_KILLPRIV_V2 (unless -o no_handle_killpriv_v2), which spares the
   * GETXATTR("security.capability") round trip the kernel otherwise makes
   * before every write(2) to find out whether a capability must go.
   */
  readonly handleKillprivV2?: boolean;

  lookup?(ctx: RequestContext, parent: number, name: string): Result<Entry>;
  forget?(ino: number, nlookup: number): void;
  getattr?(ctx: RequestContext, ino: number, fh: number | undefined): Result<AttrReplyInput>;
  setattr?(ctx: RequestContext, ino: number, changes: SetattrChanges, fh: number | undefined): Result<AttrReplyInput>;
  readlink?(ctx: RequestContext, ino: number): Result<string>;
  mknod?(ctx: RequestContext, parent: number, name: string, mode: number, rdev: number): Result<Entry>;
  mkdir?(ctx: RequestContext, parent: number, name: string, mode: number): Result<Entry>;
  unlink?(ctx: RequestContext, parent: number, name: string): Result<void>;
  rmdir?(ctx: RequestContext, parent: number, name: string): Result<void>;
  symlink?(ctx: RequestContext, parent: number, name: string, target: string): Result<Entry>;
  /** `flags`: RENAME_NOREPLACE (1), RENAME_EXCHANGE (2), RENAME_WHITEOUT (4). */
  rename?(ctx: RequestContext, parent: number, name: string, newparent: number, newname: string, flags: number): Result<void>;
  link?(ctx: RequestContext, ino: number, newparent: number, newname: string): Result<Entry>;
  open?(ctx: RequestContext, ino: number, flags: number, info: OpenInfo): Result<OpenResult>;
  read?(ctx: RequestContext, ino: number, fh: number, offset: number, size: number, info: ReadInfo): Result<Buffer | Buffer[]>;
  /** Returns the bytes written. `data` is only valid until the returned promise settles: copy what you keep. */
  write?(ctx: RequestContext, ino: number, fh: number, offset: number, data: Buffer, info: WriteInfo): Result<number>;
  /**
   * A big WRITE whose data is still in a pipe (libfuse's write_buf): move it
   * to a file with `data.spliceTo(fd, offset)`, one copy instead of two, or
   * take it with `data.read()`. Optional, beside `write`; the session uses
   * it while big WRITEs stream, and only from a filesystem that also has
   * `write`. The data must be taken before this returns (the pipe serves the
   * next request); the count may still come as a promise.
   */
  writeSpliced?(ctx: RequestContext, ino: number, fh: number, offset: number, data: SplicedData, info: WriteInfo): Result<number>;
  flush?(ctx: RequestContext, ino: number, fh: number, lockOwner: bigint): Result<void>;
  release?(ctx: RequestContext, ino: number, fh: number, info: ReleaseInfo): Result<void>;
  fsync?(ctx: RequestContext, ino: number, fh: number, datasync: boolean): Result<void>;
  opendir?(ctx: RequestContext, ino: number, flags: number): Result<OpenResult>;
  readdir?(ctx: RequestContext, ino: number, fh: number, offset: number, out: DirentSink): Result<void>;
  readdirplus?(ctx: RequestContext, ino: number, fh: number, offset: number, out: DirentPlusSink): Result<void>;
  releasedir?(ctx: RequestContext, ino: number, fh: number): Result<void>;
  fsyncdir?(ctx: RequestContext, ino: number, fh: number, datasync: boolean): Result<void>;
  statfs?(ctx: RequestContext, ino: number): Result<StatfsResult>;
  /** `flags`: XATTR_CREATE (1), XATTR_REPLACE (2). */
  setxattr?(ctx: RequestContext, ino: number, name: string, value: Buffer, flags: number): Result<void>;
  /** The whole value; the session does the size probe (size 0) and ERANGE. Throw ENODATA when absent. */
  getxattr?(ctx: RequestContext, ino: number, name: string): Result<Buffer>;
  /** All names; the session encodes them and does the size protocol. */
  listxattr?(ctx: RequestContext, ino: number): Result<string[]>;
  removexattr?(ctx: RequestContext, ino: number, name: string): Result<void>;
  access?(ctx: RequestContext, ino: number, mask: number): Result<void>;
  create?(ctx: RequestContext, parent: number, name: string, mode: number, flags: number, info: OpenInfo): Result<{ entry: Entry; open: OpenResult }>;
  getlk?(ctx: RequestContext, ino: number, fh: number, owner: bigint, lock: Lock): Result<Lock>;
  /** `sleep`: F_SETLKW (wait; honour ctx.signal) rather than F_SETLK. */
  setlk?(ctx: RequestContext, ino: number, fh: number, owner: bigint, lock: Lock, sleep: boolean): Result<void>;
  /** BSD flock(2): op is LOCK_SH (1), LOCK_EX (2) or LOCK_UN (8), with LOCK_NB (4) when not waiting. */
  flock?(ctx: RequestContext, ino: number, fh: number, owner: bigint, op: number): Result<void>;
  bmap?(ctx: RequestContext, ino: number, blocksize: number, block: number): Result<number>;
  ioctl?(ctx: RequestContext, ino: number, fh: number, cmd: number, arg: bigint, input: Buffer, outSize: number, flags: number): Result<IoctlResult>;
  poll?(ctx: RequestContext, ino: number, fh: number, events: number, handle: PollHandle | null): Result<number>;
  fallocate?(ctx: RequestContext, ino: number, fh: number, mode: number, offset: number, length: number): Result<void>;
  /** SEEK_DATA (3) / SEEK_HOLE (4); returns the new offset. */
  lseek?(ctx: RequestContext, ino: number, fh: number, offset: number, whence: number): Result<number>;
  copyFileRange?(ctx: RequestContext, inoIn: number, fhIn: number, offIn: number, inoOut: number, fhOut: number, offOut: number, len: number, flags: number): Result<number>;
  /** statx(2) beyond fuse_attr (btime...): the session fills the cache time from attr_timeout unless `attrTimeout` says otherwise. */
  statx?(ctx: RequestContext, ino: number, fh: number | undefined, flags: number, mask: number): Result<StatxResult>;
  tmpfile?(ctx: RequestContext, parent: number, mode: number, flags: number): Result<{ entry: Entry; open: OpenResult }>;
  syncfs?(ctx: RequestContext, ino: number): Result<void>;
}

/**
 * What a filesystem can do to the kernel's caches (the notifications),
 * available from init(). Each is written without blocking request handling
 * (the kernel may need a reply before it can take the notification), and
 * resolves once the kernel has taken it.
 */
export interface SessionApi {
  /** Negotiated protocol minor and flags. */
  readonly minor: number;
  readonly flags: bigint;
  /** Drop cached data of `ino` in [off, off+len) (len 0: to the end); off < 0 drops attributes only. */
  notifyInvalInode(ino: number, off?: number, len?: number): Promise<void>;
  /** Drop the cached name `name` in `parent`. */
  notifyInvalEntry(parent: number, name: string, expireOnly?: boolean): Promise<void>;
  /** As inval_entry, and if the name points to `child`, delete it from the dcache as if unlinked. */
  notifyDelete(parent: number, child: number, name: string): Promise<void>;
  /** Put `data` in the page cache of `ino` at `offset`. */
  notifyStore(ino: number, offset: number, data: Buffer): Promise<void>;
  /** Read back what the kernel has cached of `ino`. */
  notifyRetrieve(ino: number, offset: number, size: number): Promise<Buffer>;
  /** FUSE_PASSTHROUGH was negotiated: openBacking() may be used. */
  readonly passthrough: boolean;
  /**
   * Registers an open file descriptor as a backing file (FUSE_DEV_IOC_BACKING_OPEN);
   * answer an open with `{ backingId }` and the kernel does that file's reads and
   * writes on it directly. Throws a FuseError when the kernel refuses.
   */
  openBacking(fd: number): number;
  /** Drops a backing id (FUSE_DEV_IOC_BACKING_CLOSE); open files keep their backing file. */
  closeBacking(id: number): void;
}
