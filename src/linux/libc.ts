/**
 * Every libc function devfuse calls, bound through koffi once, here: the
 * device channel's hot path, the mount layer, colocation's scheduler calls,
 * releaseFreedMemory's malloc_trim and the passthrough's *at family all
 * take theirs from libc().
 *
 * Bindings return the raw result (-1 with errno() set on failure), never
 * throw: EAGAIN ends every batch of device reads, and an exception each time
 * would cost more than the syscall. sys.ts wraps the ones that should throw.
 *
 * koffi and libc are loaded on first use, not at import, so that importing
 * devfuse on a machine without them fails only when a syscall is needed.
 *
 * Variadic functions (fcntl, ioctl, openat) are declared with a fixed
 * prototype whose extra argument is a `long` (a full register, never an
 * `int` with an undefined upper half): sound on the Linux ABIs Node runs on,
 * and koffi then also calls them asynchronously (it refuses variadic async
 * calls). Struct types are anonymous: named ones would collide with any
 * other koffi user in the process.
 */
import type * as Koffi from 'koffi';

/** A koffi function: callable, and `.async(...args, cb)` on the libuv thread pool. */
export type Native<A extends unknown[], R = number> = ((...args: A) => R) & {
  async: (...args: [...A, (err: unknown, res: R) => void]) => void;
};

/** A path argument: a string koffi encodes as UTF-8, or NUL-terminated bytes. */
export type CPath = string | Buffer;

type I = number;
type Ptr = Buffer | null;

/** struct msghdr as koffi marshals it (recvmsg/sendmsg). */
export interface MsgHdr {
  msg_name: null;
  msg_namelen: number;
  msg_iov: { iov_base: Buffer; iov_len: number }[];
  msg_iovlen: number;
  msg_control: Buffer | null;
  msg_controllen: number;
  msg_flags: number;
}

/** What the rest of devfuse needs of koffi itself (its types stay out of devfuse's declarations). */
export interface KoffiRuntime {
  errno(): number;
  sizeof(type: string): number;
}

export interface Libc {
  readonly koffi: KoffiRuntime;
  // files and descriptors
  read: Native<[I, Buffer, I]>;
  write: Native<[I, Buffer, I]>;
  close: Native<[I]>;
  fcntl: Native<[I, I, I]>;
  ioctlInt: Native<[I, I, I]>;
  ioctlPtr: Native<[I, I, Buffer]>;
  pipe2: Native<[Int32Array, I]>;
  splice: Native<[I, Ptr, I, Ptr, I, I]>;
  poll: Native<[Buffer, I, I]>;
  // mounts and sockets
  mount: Native<[string, string, string, I, string | null]>;
  umount2: Native<[string, I]>;
  socketpair: Native<[I, I, I, Int32Array]>;
  recvmsg: Native<[I, MsgHdr, I]>;
  sendmsg: Native<[I, MsgHdr, I]>;
  // scheduling (colocate)
  sched_yield: Native<[]>;
  sched_getcpu: Native<[]>;
  sched_setscheduler: Native<[I, I, Buffer]>;
  sched_getaffinity: Native<[I, I, Buffer]>;
  sched_setaffinity: Native<[I, I, Buffer]>;
  timerfd_create: Native<[I, I]>;
  timerfd_settime: Native<[I, I, Buffer, null]>;
  // memory (releaseFreedMemory: the heap's free pages back to the OS)
  malloc_trim: Native<[I]>;
  // the passthrough's calls
  openat: Native<[I, CPath, I, I]>;
  statx: Native<[I, CPath, I, I, Buffer]>;
  pread: Native<[I, Buffer, I, I]>;
  pwrite: Native<[I, Buffer, I, I]>;
  mkdirat: Native<[I, CPath, I]>;
  mknodat: Native<[I, CPath, I, I]>;
  symlinkat: Native<[CPath, I, CPath]>;
  linkat: Native<[I, CPath, I, CPath, I]>;
  unlinkat: Native<[I, CPath, I]>;
  renameat2: Native<[I, CPath, I, CPath, I]>;
  readlinkat: Native<[I, CPath, Buffer, I]>;
  fchownat: Native<[I, CPath, I, I, I]>;
  fchmodat: Native<[I, CPath, I, I]>;
  utimensat: Native<[I, CPath, Buffer, I]>;
  futimens: Native<[I, Buffer]>;
  fchmod: Native<[I, I]>;
  ftruncate: Native<[I, I]>;
  truncate: Native<[CPath, I]>;
  fsync: Native<[I]>;
  fdatasync: Native<[I]>;
  syncfs: Native<[I]>;
  getrlimit: Native<[I, Buffer]>;
  flock: Native<[I, I]>;
  fallocate: Native<[I, I, I, I]>;
  lseek: Native<[I, I | bigint, I]>;
  copyFileRange: Native<[I, Buffer, I, Buffer, I, I]>;
  getdents64: Native<[I, Buffer, I]>;
  fstatfs: Native<[I, Buffer]>;
  getxattr: Native<[CPath, CPath, Ptr, I]>;
  setxattr: Native<[CPath, CPath, Buffer, I, I]>;
  listxattr: Native<[CPath, Ptr, I]>;
  removexattr: Native<[CPath, CPath]>;
  faccessat: Native<[I, CPath, I, I]>;
}

let bound: Libc | undefined;
let K: KoffiRuntime | undefined;

/** The bindings (loaded on the first call). */
export function libc(): Libc {
  return (bound ??= bind());
}

/** errno of the last koffi call on this thread (also valid inside an async call's callback). */
export function errno(): number {
  return (K ?? libc().koffi).errno();
}

function bind(): Libc {
  let koffi: typeof Koffi;
  try {
    // Lazy on purpose (see the file comment).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    koffi = require('koffi') as typeof Koffi;
  } catch (e) {
    throw new Error(`devfuse needs the koffi package for its syscalls, and it failed to load: ${(e as Error).message}`);
  }
  const lib = koffi.load('libc.so.6');
  K = koffi;
  const f = <A extends unknown[]>(decl: string): Native<A> => lib.func(decl) as unknown as Native<A>;
  const iovec = koffi.struct({ iov_base: 'void *', iov_len: 'size_t' });
  const msghdr = koffi.struct({
    msg_name: 'void *',
    msg_namelen: 'uint32_t',
    msg_iov: koffi.pointer(iovec),
    msg_iovlen: 'size_t',
    msg_control: 'void *',
    msg_controllen: 'size_t',
    msg_flags: 'int',
  });
  return {
    koffi,
    read: f('long read(int fd, void *buf, size_t count)'),
    write: f('long write(int fd, const void *buf, size_t count)'),
    close: f('int close(int fd)'),
    fcntl: f('int fcntl(int fd, int cmd, long arg)'),
    ioctlInt: f('int ioctl(int fd, unsigned long request, long arg)'),
    ioctlPtr: lib.func('ioctl', 'int', ['int', 'unsigned long', 'void *']) as unknown as Native<[I, I, Buffer]>,
    pipe2: f('int pipe2(_Out_ int *fds, int flags)'),
    splice: f('long splice(int fd_in, void *off_in, int fd_out, void *off_out, size_t len, unsigned int flags)'),
    poll: f('int poll(void *fds, unsigned long nfds, int timeout)'),
    mount: f('int mount(const char *source, const char *target, const char *type, unsigned long flags, const char *data)'),
    umount2: f('int umount2(const char *target, int flags)'),
    socketpair: f('int socketpair(int domain, int type, int protocol, _Out_ int *sv)'),
    recvmsg: lib.func('recvmsg', 'long', ['int', koffi.inout(koffi.pointer(msghdr)), 'int']) as unknown as Native<[I, MsgHdr, I]>,
    sendmsg: lib.func('sendmsg', 'long', ['int', koffi.pointer(msghdr), 'int']) as unknown as Native<[I, MsgHdr, I]>,
    sched_yield: f('int sched_yield(void)'),
    sched_getcpu: f('int sched_getcpu(void)'),
    sched_setscheduler: f('int sched_setscheduler(int pid, int policy, void *param)'),
    sched_getaffinity: f('int sched_getaffinity(int pid, size_t size, void *mask)'),
    sched_setaffinity: f('int sched_setaffinity(int pid, size_t size, void *mask)'),
    timerfd_create: f('int timerfd_create(int clockid, int flags)'),
    timerfd_settime: f('int timerfd_settime(int fd, int flags, void *value, void *old)'),
    malloc_trim: f('int malloc_trim(size_t pad)'),
    openat: f('int openat(int dirfd, const char *path, int flags, unsigned int mode)'),
    statx: f('int statx(int dirfd, const char *path, int flags, unsigned int mask, void *buf)'),
    pread: f('long pread64(int fd, void *buf, size_t count, int64_t offset)'),
    pwrite: f('long pwrite64(int fd, void *buf, size_t count, int64_t offset)'),
    mkdirat: f('int mkdirat(int dirfd, const char *path, unsigned int mode)'),
    mknodat: f('int mknodat(int dirfd, const char *path, unsigned int mode, uint64_t dev)'),
    symlinkat: f('int symlinkat(const char *target, int dirfd, const char *path)'),
    linkat: f('int linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)'),
    unlinkat: f('int unlinkat(int dirfd, const char *path, int flags)'),
    renameat2: f('int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags)'),
    readlinkat: f('long readlinkat(int dirfd, const char *path, void *buf, size_t size)'),
    fchownat: f('int fchownat(int dirfd, const char *path, uint32_t uid, uint32_t gid, int flags)'),
    fchmodat: f('int fchmodat(int dirfd, const char *path, unsigned int mode, int flags)'),
    utimensat: f('int utimensat(int dirfd, const char *path, void *times, int flags)'),
    futimens: f('int futimens(int fd, void *times)'),
    fchmod: f('int fchmod(int fd, unsigned int mode)'),
    ftruncate: f('int ftruncate64(int fd, int64_t length)'),
    truncate: f('int truncate64(const char *path, int64_t length)'),
    fsync: f('int fsync(int fd)'),
    fdatasync: f('int fdatasync(int fd)'),
    syncfs: f('int syncfs(int fd)'),
    getrlimit: f('int getrlimit(int resource, void *rlim)'),
    flock: f('int flock(int fd, int op)'),
    fallocate: f('int fallocate64(int fd, int mode, int64_t offset, int64_t len)'),
    lseek: f('int64_t lseek64(int fd, int64_t offset, int whence)'),
    copyFileRange: f('long copy_file_range(int fdin, void *offin, int fdout, void *offout, size_t len, unsigned int flags)'),
    getdents64: f('long getdents64(int fd, void *buf, size_t size)'),
    fstatfs: f('int fstatfs64(int fd, void *buf)'),
    getxattr: f('long getxattr(const char *path, const char *name, void *value, size_t size)'),
    setxattr: f('int setxattr(const char *path, const char *name, void *value, size_t size, int flags)'),
    listxattr: f('long listxattr(const char *path, void *list, size_t size)'),
    removexattr: f('int removexattr(const char *path, const char *name)'),
    faccessat: f('int faccessat(int dirfd, const char *path, int mode, int flags)'),
  };
}
