/**
 * The POSIX and Linux constants memfs works with, named as <sys/stat.h>,
 * <fcntl.h>, <linux/falloc.h>, <linux/fs.h> and <sys/xattr.h> name them.
 * Kept here rather than taken from node:fs so that the values are the
 * kernel's own (the wire carries Linux values whatever the host libc says).
 */

// <sys/stat.h>
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

// access(2) / permission masks (MAY_READ etc.)
export const R_OK = 4;
export const W_OK = 2;
export const X_OK = 1;

// <fcntl.h> open flags (Linux generic values)
export const O_ACCMODE = 0o3;
export const O_RDONLY = 0o0;
export const O_WRONLY = 0o1;
export const O_RDWR = 0o2;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_DIRECT = 0o40000;
export const O_NOATIME = 0o1000000;
export const O_EXCL = 0o200;
/** Kernel-internal f_flags bit set on opens for execve (fs.h); FUSE forwards it in OPEN flags. */
export const FMODE_EXEC_FLAG = 0o40;

// <linux/falloc.h>
export const FALLOC_FL_KEEP_SIZE = 0x01;
export const FALLOC_FL_PUNCH_HOLE = 0x02;
export const FALLOC_FL_ZERO_RANGE = 0x10;

// lseek whence
export const SEEK_DATA = 3;
export const SEEK_HOLE = 4;

// <linux/fs.h> renameat2 flags
export const RENAME_NOREPLACE = 1;
export const RENAME_EXCHANGE = 2;
export const RENAME_WHITEOUT = 4;

// <sys/xattr.h>
export const XATTR_CREATE = 1;
export const XATTR_REPLACE = 2;
/** XATTR_NAME_MAX and XATTR_SIZE_MAX (<linux/limits.h>). */
export const XATTR_NAME_MAX = 255;
export const XATTR_SIZE_MAX = 65536;

// fcntl lock types
export const F_RDLCK = 0;
export const F_WRLCK = 1;
export const F_UNLCK = 2;

// flock(2) operations
export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;

/** NAME_MAX: longest name in bytes. */
export const NAME_MAX = 255;
/** PATH_MAX less the NUL: the longest symlink target. */
export const SYMLINK_MAX = 4095;
/** The block size memfs allocates file data in, reports in st_blksize and statfs. */
export const BLOCK_SIZE = 4096;
/**
 * The largest file size: offsets are JavaScript numbers, exact up to 2^53.
 * (The kernel allows 2^63-1; beyond this memfs answers EFBIG.)
 */
export const MAX_FILE_SIZE = Number.MAX_SAFE_INTEGER;
/** Most hard links to one inode before EMLINK (nlink is a u32 on the wire). */
export const LINK_MAX = 0xffffffff - 1;
