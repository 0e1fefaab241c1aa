/**
 * The libc calls the passthrough makes: the *at family on kept O_PATH
 * descriptors, statx, getdents64, copy_file_range and the rest Node's fs
 * has no fd-relative form of. src/linux/libc.ts binds them (once, for all
 * of devfuse); this file picks the passthrough's and adds cPath.
 *
 * Every binding returns the raw result (-1 with errno on failure); io.ts
 * turns -1 into a FuseError, synchronously or on the thread pool. Paths are
 * `string` (ASCII or valid UTF-8, koffi encodes it) or a NUL-terminated
 * Buffer (any bytes: cPath below), so names that are not UTF-8 round-trip.
 */
import { encodeName } from '../../protocol';
import { libc, type CPath, type Libc as AllLibc } from '../../linux/libc';

export { errno, type CPath, type Native } from '../../linux/libc';

/** The calls the passthrough makes (src/linux/libc.ts binds them, with the rest of devfuse's). */
export type Libc = Pick<
  AllLibc,
  | 'openat' | 'close' | 'statx' | 'pread' | 'pwrite' | 'mkdirat' | 'mknodat' | 'symlinkat' | 'linkat' | 'unlinkat' | 'renameat2'
  | 'readlinkat' | 'fchownat' | 'fchmodat' | 'utimensat' | 'futimens' | 'fchmod' | 'ftruncate' | 'truncate' | 'fsync' | 'fdatasync'
  | 'syncfs' | 'fcntl' | 'getrlimit' | 'flock' | 'fallocate' | 'lseek' | 'copyFileRange' | 'getdents64' | 'fstatfs' | 'getxattr'
  | 'setxattr' | 'listxattr' | 'removexattr' | 'faccessat'
>;

/** The bindings, loaded on first use (importing devfuse must not need koffi). */
export function lib(): Libc {
  return libc();
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

export * from '../../linux/constants';

/** Errno values, the protocol's table (Linux numbers). */
export { Errno as ERRNO } from '../../protocol';
