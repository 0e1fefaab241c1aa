/**
 * Constants of include/uapi/linux/fuse.h up to protocol 7.45, named as the
 * header names them minus the FUSE_ prefix and grouped by what they apply
 * to: FUSE_WRITEBACK_CACHE → InitFlags.WRITEBACK_CACHE, FOPEN_DIRECT_IO →
 * FopenFlags.DIRECT_IO, FUSE_LOOKUP → Opcode.LOOKUP.
 */

/** FUSE_KERNEL_VERSION */
export const KERNEL_VERSION = 7;
/** FUSE_KERNEL_MINOR_VERSION: the newest minor this codec speaks. */
export const KERNEL_MINOR_VERSION = 45;
/**
 * The oldest minor devfuse serves. 7.12 (Linux 2.6.31) brought the umask
 * fields of create/mknod/mkdir and the layouts every later kernel uses; no
 * supported kernel speaks anything older.
 */
export const MIN_KERNEL_MINOR_VERSION = 12;
/** FUSE_ROOT_ID */
export const ROOT_ID = 1;
/** FUSE_MIN_READ_BUFFER: a read of /dev/fuse with a smaller buffer fails with EINVAL. */
export const MIN_READ_BUFFER = 8192;
/** FUSE_IOCTL_MAX_IOV: maximum of in_iovecs + out_iovecs. */
export const IOCTL_MAX_IOV = 256;
/** CUSE_INIT_INFO_MAX: the most bytes of KEY=VALUE strings a CUSE_INIT reply may carry. */
export const CUSE_INIT_INFO_MAX = 4096;
/** FUSE_UNIQUE_RESEND (bit 63 of fuse_in_header.unique, 7.40). */
export const UNIQUE_RESEND = 1n << 63n;
/** FUSE_INT_REQ_BIT (kernel-internal, fs/fuse/fuse_i.h): an INTERRUPT's unique is the original's with bit 0 set. */
export const INT_REQ_BIT = 1;
/** FUSE_INVALID_UIDGID (7.41): uid/gid the kernel could not map through an idmapping. */
export const INVALID_UIDGID = 0xffffffff;
/** OFFSET_MAX as a number: a lock that runs to the end of the file. (2^63-1 is not a double; this rounds to 2^63 and is written back as 2^63-1.) */
export const OFFSET_MAX = 9223372036854775807;

/** enum fuse_opcode */
export enum Opcode {
  LOOKUP = 1,
  FORGET = 2, // no reply
  GETATTR = 3,
  SETATTR = 4,
  READLINK = 5,
  SYMLINK = 6,
  MKNOD = 8,
  MKDIR = 9,
  UNLINK = 10,
  RMDIR = 11,
  RENAME = 12,
  LINK = 13,
  OPEN = 14,
  READ = 15,
  WRITE = 16,
  STATFS = 17,
  RELEASE = 18,
  FSYNC = 20,
  SETXATTR = 21,
  GETXATTR = 22,
  LISTXATTR = 23,
  REMOVEXATTR = 24,
  FLUSH = 25,
  INIT = 26,
  OPENDIR = 27,
  READDIR = 28,
  RELEASEDIR = 29,
  FSYNCDIR = 30,
  GETLK = 31,
  SETLK = 32,
  SETLKW = 33,
  ACCESS = 34,
  CREATE = 35,
  INTERRUPT = 36,
  BMAP = 37,
  DESTROY = 38,
  IOCTL = 39,
  POLL = 40,
  NOTIFY_REPLY = 41,
  BATCH_FORGET = 42,
  FALLOCATE = 43,
  READDIRPLUS = 44,
  RENAME2 = 45,
  LSEEK = 46,
  COPY_FILE_RANGE = 47,
  SETUPMAPPING = 48,
  REMOVEMAPPING = 49,
  SYNCFS = 50,
  TMPFILE = 51,
  STATX = 52,
  COPY_FILE_RANGE_64 = 53,
  /** CUSE specific */
  CUSE_INIT = 4096,
  /** Reserved opcodes: helpful to detect structure endian-ness */
  CUSE_INIT_BSWAP_RESERVED = 1048576, // CUSE_INIT << 8
  INIT_BSWAP_RESERVED = 436207616, // FUSE_INIT << 24
}

/** enum fuse_notify_code: the `error` field of a notification's fuse_out_header (unique 0). */
export enum NotifyCode {
  POLL = 1,
  INVAL_INODE = 2,
  INVAL_ENTRY = 3,
  STORE = 4,
  RETRIEVE = 5,
  DELETE = 6,
  RESEND = 7, // 7.40
  INC_EPOCH = 8, // 7.44
  PRUNE = 9, // 7.45
}

/**
 * INIT request/reply flags (fuse_init_in/out.flags, and flags2 for bits
 * 32..63). 64 bits, so bigints: the codec splits them into the two words.
 */
export const InitFlags = {
  ASYNC_READ: 1n << 0n,
  POSIX_LOCKS: 1n << 1n,
  FILE_OPS: 1n << 2n,
  ATOMIC_O_TRUNC: 1n << 3n,
  EXPORT_SUPPORT: 1n << 4n,
  BIG_WRITES: 1n << 5n,
  DONT_MASK: 1n << 6n,
  SPLICE_WRITE: 1n << 7n,
  SPLICE_MOVE: 1n << 8n,
  SPLICE_READ: 1n << 9n,
  FLOCK_LOCKS: 1n << 10n,
  HAS_IOCTL_DIR: 1n << 11n,
  AUTO_INVAL_DATA: 1n << 12n,
  DO_READDIRPLUS: 1n << 13n,
  READDIRPLUS_AUTO: 1n << 14n,
  ASYNC_DIO: 1n << 15n,
  WRITEBACK_CACHE: 1n << 16n,
  NO_OPEN_SUPPORT: 1n << 17n,
  PARALLEL_DIROPS: 1n << 18n,
  HANDLE_KILLPRIV: 1n << 19n,
  POSIX_ACL: 1n << 20n,
  ABORT_ERROR: 1n << 21n,
  MAX_PAGES: 1n << 22n,
  CACHE_SYMLINKS: 1n << 23n,
  NO_OPENDIR_SUPPORT: 1n << 24n,
  EXPLICIT_INVAL_DATA: 1n << 25n,
  MAP_ALIGNMENT: 1n << 26n,
  SUBMOUNTS: 1n << 27n,
  HANDLE_KILLPRIV_V2: 1n << 28n,
  SETXATTR_EXT: 1n << 29n,
  INIT_EXT: 1n << 30n,
  INIT_RESERVED: 1n << 31n,
  // bits 32..63 travel in flags2
  SECURITY_CTX: 1n << 32n,
  HAS_INODE_DAX: 1n << 33n,
  CREATE_SUPP_GROUP: 1n << 34n,
  HAS_EXPIRE_ONLY: 1n << 35n,
  DIRECT_IO_ALLOW_MMAP: 1n << 36n,
  PASSTHROUGH: 1n << 37n,
  NO_EXPORT_SUPPORT: 1n << 38n,
  HAS_RESEND: 1n << 39n,
  ALLOW_IDMAP: 1n << 40n,
  OVER_IO_URING: 1n << 41n,
  REQUEST_TIMEOUT: 1n << 42n,
} as const;
export type InitFlagName = keyof typeof InitFlags;
/** Obsolete alias for DIRECT_IO_ALLOW_MMAP (FUSE_DIRECT_IO_RELAX). */
export const INIT_DIRECT_IO_RELAX = InitFlags.DIRECT_IO_ALLOW_MMAP;

/** CUSE INIT request/reply flags */
export const CuseInitFlags = {
  UNRESTRICTED_IOCTL: 1 << 0,
} as const;

/** Bitmasks for fuse_setattr_in.valid */
export const FattrFlags = {
  MODE: 1 << 0,
  UID: 1 << 1,
  GID: 1 << 2,
  SIZE: 1 << 3,
  ATIME: 1 << 4,
  MTIME: 1 << 5,
  FH: 1 << 6,
  ATIME_NOW: 1 << 7,
  MTIME_NOW: 1 << 8,
  LOCKOWNER: 1 << 9,
  CTIME: 1 << 10,
  KILL_SUIDGID: 1 << 11,
} as const;

/** Flags returned by OPEN, OPENDIR and CREATE (fuse_open_out.open_flags) */
export const FopenFlags = {
  /** bypass page cache for this open file */
  DIRECT_IO: 1 << 0,
  /** don't invalidate the data cache on open */
  KEEP_CACHE: 1 << 1,
  /** the file is not seekable */
  NONSEEKABLE: 1 << 2,
  /** allow caching this directory */
  CACHE_DIR: 1 << 3,
  /** the file is stream-like (no file position at all) */
  STREAM: 1 << 4,
  /** don't flush data cache on close (unless FUSE_WRITEBACK_CACHE) */
  NOFLUSH: 1 << 5,
  /** allow concurrent direct writes on the same inode */
  PARALLEL_DIRECT_WRITES: 1 << 6,
  /** passthrough read/write io for this open file (backing_id) */
  PASSTHROUGH: 1 << 7,
} as const;

/** Release flags (fuse_release_in.release_flags) */
export const ReleaseFlags = {
  FLUSH: 1 << 0,
  FLOCK_UNLOCK: 1 << 1,
} as const;

/** Getattr flags (fuse_getattr_in.getattr_flags) */
export const GetattrFlags = {
  FH: 1 << 0,
} as const;

/** Lock flags (fuse_lk_in.lk_flags) */
export const LkFlags = {
  FLOCK: 1 << 0,
} as const;

/** WRITE flags (fuse_write_in.write_flags) */
export const WriteFlags = {
  /** delayed write from page cache, file handle is guessed */
  CACHE: 1 << 0,
  /** lock_owner field is valid */
  LOCKOWNER: 1 << 1,
  /** kill suid and sgid bits (obsolete alias FUSE_WRITE_KILL_PRIV) */
  KILL_SUIDGID: 1 << 2,
} as const;

/** Read flags (fuse_read_in.read_flags) */
export const ReadFlags = {
  LOCKOWNER: 1 << 1,
} as const;

/** Ioctl flags (fuse_ioctl_in.flags, fuse_ioctl_out.flags) */
export const IoctlFlags = {
  /** 32bit compat ioctl on 64bit machine */
  COMPAT: 1 << 0,
  /** not restricted to well-formed ioctls, retry allowed */
  UNRESTRICTED: 1 << 1,
  /** retry with new iovecs */
  RETRY: 1 << 2,
  /** 32bit ioctl */
  '32BIT': 1 << 3,
  /** is a directory */
  DIR: 1 << 4,
  /** x32 compat ioctl on 64bit machine (64bit time_t) */
  COMPAT_X32: 1 << 5,
} as const;

/** Poll flags (fuse_poll_in.flags) */
export const PollFlags = {
  /** request poll notify */
  SCHEDULE_NOTIFY: 1 << 0,
} as const;

/** Fsync flags (fuse_fsync_in.fsync_flags) */
export const FsyncFlags = {
  /** sync data only, not metadata */
  FDATASYNC: 1 << 0,
} as const;

/** fuse_attr flags */
export const AttrFlags = {
  /** object is a submount root */
  SUBMOUNT: 1 << 0,
  /** enable DAX for this file in per inode DAX mode */
  DAX: 1 << 1,
} as const;

/** Open flags (fuse_open_in.open_flags, fuse_create_in.open_flags) */
export const OpenInFlags = {
  /** kill suid and sgid if executable */
  KILL_SUIDGID: 1 << 0,
} as const;

/** setxattr flags (fuse_setxattr_in.setxattr_flags) */
export const SetxattrFlags = {
  /** clear SGID when system.posix_acl_access is set */
  ACL_KILL_SGID: 1 << 0,
} as const;

/** notify_inval_entry flags */
export const NotifyInvalEntryFlags = {
  EXPIRE_ONLY: 1 << 0,
} as const;

/** enum fuse_ext_type: types 0..31 are the count of a fuse_secctx_header. */
export const ExtType = {
  MAX_NR_SECCTX: 31,
  GROUPS: 32,
} as const;

/** FUSE_SETUPMAPPING_FLAG_* (DAX) */
export const SetupmappingFlags = {
  WRITE: 1 << 0,
  READ: 1 << 1,
} as const;

/** The FUSE_COMPAT_* sizes: what older minors send or expect instead of the full struct. */
export const CompatSize = {
  /** fuse_entry_out before 7.9 */
  ENTRY_OUT: 120,
  /** fuse_attr_out before 7.9 */
  ATTR_OUT: 96,
  /** fuse_mknod_in before 7.12 */
  MKNOD_IN: 8,
  /** fuse_write_in before 7.9 */
  WRITE_IN: 24,
  /** fuse_statfs_out before 7.4 */
  STATFS: 48,
  /** fuse_setxattr_in without FUSE_SETXATTR_EXT */
  SETXATTR_IN: 8,
  /** fuse_init_out before 7.5 */
  INIT_OUT: 8,
  /** fuse_init_out before 7.23 */
  INIT_OUT_22: 24,
} as const;

/** FUSE_URING_* sizes and enum fuse_uring_cmd (7.42). */
export const URING_IN_OUT_HEADER_SZ = 128;
export const URING_OP_IN_OUT_SZ = 128;
export enum UringCmd {
  INVALID = 0,
  REGISTER = 1,
  COMMIT_AND_FETCH = 2,
}

/** _IOC(dir, type, nr, size) as <asm-generic/ioctl.h> builds it. */
function ioc(dir: number, type: number, nr: number, size: number): number {
  return ((dir << 30) | (size << 16) | (type << 8) | nr) >>> 0;
}
const IOC_NONE = 0;
const IOC_WRITE = 1;
const IOC_READ = 2;

/** Device ioctls on /dev/fuse */
export const DEV_IOC_MAGIC = 229;
export const DevIoctl = {
  /** _IOR(229, 0, uint32_t): attach this fd to the session of the fd passed */
  CLONE: ioc(IOC_READ, DEV_IOC_MAGIC, 0, 4),
  /** _IOW(229, 1, struct fuse_backing_map) */
  BACKING_OPEN: ioc(IOC_WRITE, DEV_IOC_MAGIC, 1, 16),
  /** _IOW(229, 2, uint32_t) */
  BACKING_CLOSE: ioc(IOC_WRITE, DEV_IOC_MAGIC, 2, 4),
  /** _IO(229, 3) (7.45) */
  SYNC_INIT: ioc(IOC_NONE, DEV_IOC_MAGIC, 3, 0),
} as const;

/** Directory entry types (fuse_dirent.type): the DT_* values, which are S_IFMT >> 12. */
export const DirentType = {
  UNKNOWN: 0,
  FIFO: 1,
  CHR: 2,
  DIR: 4,
  BLK: 6,
  REG: 8,
  LNK: 10,
  SOCK: 12,
} as const;

/** Name of an opcode for messages and traces ("LOOKUP", or "opcode 99" when unknown). */
export function opcodeName(opcode: number): string {
  const name = (Opcode as unknown as Record<number, string | undefined>)[opcode];
  return name ?? `opcode ${opcode}`;
}
