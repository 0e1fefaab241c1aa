/**
 * Linux ABI constants, named as the C headers name them, one copy for the
 * server (src/server/device/sys.ts re-exports the ones it uses) and the
 * filesystems. Kept here rather than taken from node:fs: the values are the
 * kernel's own (the wire carries Linux values whatever the host libc says).
 */

// <sys/stat.h> file types and mode bits
export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;
export const S_ISUID = 0o4000;
export const S_ISGID = 0o2000;
export const S_ISVTX = 0o1000;
export const S_IXGRP = 0o010;
/** Every permission bit including setuid/setgid/sticky. */
export const S_IALLUGO = 0o7777;
export const S_IXUGO = 0o111;

/**
 * The bits a write, truncate or chown by a caller without CAP_FSETID
 * drops (should_remove_suid / setattr_should_drop_suidgid): setuid always,
 * setgid only from a group-executable file (setgid without group execute
 * marks mandatory locking, and stays). Directories keep theirs; callers
 * check the type.
 */
export function killableBits(mode: number): number {
  let bits = mode & S_ISUID;
  if ((mode & (S_ISGID | S_IXGRP)) === (S_ISGID | S_IXGRP)) bits |= S_ISGID;
  return bits;
}

// access(2) masks
export const R_OK = 4;
export const W_OK = 2;
export const X_OK = 1;

// <fcntl.h> open flags
export const O_ACCMODE = 0o3;
export const O_RDONLY = 0o0;
export const O_WRONLY = 0o1;
export const O_RDWR = 0o2;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_DIRECT = 0o40000;
export const O_NOATIME = 0o1000000;
export const O_EXCL = 0o200;
export const O_CREAT = 0o100;
export const O_NOCTTY = 0o400;
export const O_NONBLOCK = 0o4000;
export const O_ASYNC = 0o20000;
export const O_DIRECTORY = 0o200000;
export const O_NOFOLLOW = 0o400000;
export const O_CLOEXEC = 0o2000000;
export const O_PATH = 0o10000000;
export const O_TMPFILE = 0o20000000 | O_DIRECTORY;

// *at() flags
export const AT_FDCWD = -100;
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const AT_REMOVEDIR = 0x200;
export const AT_SYMLINK_FOLLOW = 0x400;
export const AT_EMPTY_PATH = 0x1000;
export const AT_EACCESS = 0x200;
export const AT_STATX_SYNC_AS_STAT = 0;

// lseek whence
export const SEEK_DATA = 3;
export const SEEK_HOLE = 4;
export const SEEK_SET = 0;

// flock(2) operations
export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;

// fcntl record lock types
export const F_RDLCK = 0;
export const F_WRLCK = 1;
export const F_UNLCK = 2;

// <linux/falloc.h>
export const FALLOC_FL_KEEP_SIZE = 0x01;
export const FALLOC_FL_PUNCH_HOLE = 0x02;
export const FALLOC_FL_ZERO_RANGE = 0x10;

// renameat2 flags
export const RENAME_NOREPLACE = 1;
export const RENAME_EXCHANGE = 2;
export const RENAME_WHITEOUT = 4;

// <sys/xattr.h> setxattr flags
export const XATTR_CREATE = 1;
export const XATTR_REPLACE = 2;

// utimensat special nanoseconds
export const UTIME_NOW = (1 << 30) - 1;
export const UTIME_OMIT = (1 << 30) - 2;

// statx masks
export const STATX_BASIC_STATS = 0x7ff;
