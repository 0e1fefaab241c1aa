/**
 * The libc calls the passthrough makes, through koffi: the *at family on
 * kept O_PATH descriptors, statx, getdents64, copy_file_range and the rest
 * Node's fs has no fd-relative form of.
 *
 * Every binding returns the raw result (-1 with errno on failure); io.ts
 * turns -1 into a FuseError, synchronously or on the thread pool. Paths are
 * `string` (ASCII or valid UTF-8, koffi encodes it) or a NUL-terminated
 * Buffer (any bytes: cPath below), so names that are not UTF-8 round-trip.
 *
 * A few of these (openat, fcntl) are variadic in C; they are declared with
 * a fixed prototype, as sys.ts does, which is sound on the Linux ABIs Node
 * runs on and lets koffi call them asynchronously (it refuses variadic
 * async calls). Constants are the Linux generic values (x86-64, arm64).
 */
import koffi from 'koffi';
import { encodeName } from '../../protocol';

/** A path argument: a string koffi encodes as UTF-8, or NUL-terminated bytes. */
export type CPath = string | Buffer;

/** A koffi function: callable, and `.async(...args, cb)` on the libuv thread pool. */
export type Native<A extends unknown[]> = ((...args: A) => number) & {
  async: (...args: [...A, (err: unknown, res: number) => void]) => void;
};

type I = number;
type Ptr = Buffer | null;

export interface Libc {
  openat: Native<[I, CPath, I, I]>;
  close: Native<[I]>;
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
  fcntl: Native<[I, I, I]>;
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

let libc: Libc | undefined;

/** The bindings, loaded on first use (importing devfuse must not need koffi). */
export function lib(): Libc {
  if (libc) return libc;
  const l = koffi.load('libc.so.6');
  const f = <A extends unknown[]>(decl: string): Native<A> => l.func(decl) as unknown as Native<A>;
  libc = {
    openat: f('int openat(int dirfd, const char *path, int flags, unsigned int mode)'),
    close: f('int close(int fd)'),
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
    fcntl: f('int fcntl(int fd, int cmd, long arg)'),
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
  return libc;
}

/** errno of the last koffi call on this thread (also valid inside an async call's callback). */
export function errno(): number {
  return koffi.errno();
}

/** Names that cannot travel as a JS string: lone surrogates stand for bytes that are not UTF-8 (names.ts). */
const NEEDS_BYTES = /[\ud800-\udfff]/;

/**
 * A name or path as libc wants it. The common name is passed as the string
 * itself (koffi encodes it, no Buffer); one holding escaped bytes becomes
 * exactly those bytes, NUL-terminated.
 */
export function cPath(name: string): CPath {
  if (!NEEDS_BYTES.test(name)) return name;
  const b = encodeName(name);
  const z = Buffer.allocUnsafe(b.length + 1);
  b.copy(z);
  z[b.length] = 0;
  return z;
}

// ---------------------------------------------------------------- constants

export * from '../../linux';



export const F_DUPFD_CLOEXEC = 1030;




/** statx mask: the fields of struct stat (STATX_BASIC_STATS). */


/** Errno values, the protocol's table (Linux numbers). */
export { Errno as ERRNO } from '../../protocol';
