/**
 * Linux ABI constants, named as the C headers name them, one copy for the
 * server and the filesystems (src/fs may import src/linux, never
 * src/server). Kept here rather than taken from node:fs: the values are the
 * kernel's own (the wire carries Linux values whatever the host libc says).
 * The generic values (x86-64, arm64, riscv64).
 *
 * The syscalls themselves: libc.ts (bindings, raw results) and sys.ts
 * (wrappers that throw a SysError).
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

// <fcntl.h> commands
export const F_DUPFD_CLOEXEC = 1030;
export const F_GETFD = 1;
export const F_SETFD = 2;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const F_SETOWN = 8;
export const F_GETOWN = 9;
export const F_SETSIG = 10;
export const F_GETSIG = 11;
export const F_SETPIPE_SZ = 1031;
export const FD_CLOEXEC = 1;

// mount(2) flags
export const MS_RDONLY = 1;
export const MS_NOSUID = 2;
export const MS_NODEV = 4;
export const MS_NOEXEC = 8;
export const MS_SYNCHRONOUS = 16;
export const MS_DIRSYNC = 128;
export const MS_NOATIME = 1024;
export const MS_NODIRATIME = 2048;
export const MS_RELATIME = 1 << 21;
export const MS_STRICTATIME = 1 << 24;
export const MS_LAZYTIME = 1 << 25;

// umount2(2) flags
export const MNT_FORCE = 1;
export const MNT_DETACH = 2;
export const MNT_EXPIRE = 4;
export const UMOUNT_NOFOLLOW = 8;

// sockets
export const AF_UNIX = 1;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_SEQPACKET = 5;
export const SOCK_NONBLOCK = O_NONBLOCK;
export const SOCK_CLOEXEC = O_CLOEXEC;
export const MSG_DONTWAIT = 0x40;
export const MSG_CMSG_CLOEXEC = 0x40000000;
/** In RecvResult.flags: the control buffer was too small, some fds were dropped (closed). */
export const MSG_CTRUNC = 0x8;
export const SOL_SOCKET = 1;
export const SCM_RIGHTS = 1;

// poll(2) events
export const POLLIN = 0x1;
export const POLLPRI = 0x2;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;

// splice(2) flags
export const SPLICE_F_MOVE = 1;
export const SPLICE_F_NONBLOCK = 2;

// scheduling policies, clocks, timerfd
export const SCHED_OTHER = 0;
export const SCHED_IDLE = 5;
export const CLOCK_MONOTONIC = 1;
export const TFD_CLOEXEC = O_CLOEXEC;
/** capability bit of CAP_SYS_NICE (<linux/capability.h>) */
export const CAP_SYS_NICE = 23;

// <linux/fuse.h> device ioctls (magic 229)
/** _IOR(229, 0, uint32_t): a new fd on the same FUSE connection (per-thread queues). */
export const FUSE_DEV_IOC_CLONE = 0x8004e500;
/** _IOW(229, 1, struct fuse_backing_map): register a backing file (FUSE_PASSTHROUGH); returns a backing id. */
export const FUSE_DEV_IOC_BACKING_OPEN = 0x4010e501;
/** _IOW(229, 2, uint32_t): drop a backing id. */
export const FUSE_DEV_IOC_BACKING_CLOSE = 0x4004e502;
/** _IO(229, 3): process INIT synchronously (before mount(2) returns); 6.18+. */
export const FUSE_DEV_IOC_SYNC_INIT = 0xe503;
