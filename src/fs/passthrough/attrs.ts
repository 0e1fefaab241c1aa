/**
 * Attributes, links, statfs, access and extended attributes.
 *
 * Calls that have no descriptor-relative form for an O_PATH descriptor
 * (chmod, truncate, utimensat, the *xattr family) go through its
 * "/proc/self/fd/<fd>" path: the kernel resolves that magic link to the very
 * inode the descriptor holds (for a symlink, the symlink itself: utimensat
 * and xattrs then apply to the link, chmod answers EOPNOTSUPP as lchmod
 * would), with no name lookup that a rename could race.
 */
import { decodeName, decodeNameList } from '../../protocol';
import { FuseError } from '../../api/errors';
import type { AttrReplyInput, RequestContext, SetattrChanges, StatfsResult, Timespec } from '../../api/filesystem';
import type { Core } from './core';
import { attempt, sysError, then, type MaybePromise } from './io';
import {
  AT_EACCESS, AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, cPath, ERRNO, O_CLOEXEC, O_RDONLY, S_IFDIR, UTIME_NOW,
  UTIME_OMIT,
} from './libc';
import { killSuidgid as killPrivs } from './privs';
import { readStatfs, STATFS_SIZE, type Stat } from './stat';

const KEEP = 0xffffffff; // (uid_t)-1
const PATH_MAX = 4096;
const XATTR_PROBE = 4096;

export function getattr(c: Core, ino: number): MaybePromise<Stat> {
  return c.statFd(c.inodes.get(ino).fd);
}

/**
 * SETATTR, in the order that leaves what was asked: owner before mode (a
 * chown by root clears setuid/setgid, which a mode in the same request
 * must be able to set), then size and the setuid/setgid kill that goes
 * with it, then times (last, since truncating changes mtime). Through the
 * fh when the kernel gives one (ftruncate of an open file needs no write
 * permission check on the path).
 */
export function setattr(c: Core, ino: number, ch: SetattrChanges, fh: number | undefined): MaybePromise<AttrReplyInput> {
  const i = c.inodes.get(ino);
  const L = c.L;
  const chown = (): MaybePromise<void> =>
    ch.uid === undefined && ch.gid === undefined ? undefined : c.run(L.fchownat, i.fd, '', ch.uid ?? KEEP, ch.gid ?? KEEP, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
  const chmod = (): MaybePromise<void> => {
    if (ch.mode === undefined) return undefined;
    const mode = ch.mode & 0o7777;
    return fh !== undefined ? c.run(L.fchmod, fh, mode) : c.run(L.fchmodat, AT_FDCWD, i.proc, mode, 0);
  };
  const truncate = (): MaybePromise<void> => {
    if (ch.size === undefined) return undefined;
    return fh !== undefined ? c.run(L.ftruncate, fh, ch.size) : c.run(L.truncate, i.proc, ch.size);
  };
  // FATTR_KILL_SUIDGID (privs.ts): a truncate by a caller without CAP_FSETID; a chown's the source did already.
  // Not beside an explicit mode, which says what the bits are.
  const kill = (): MaybePromise<void> =>
    ch.killSuidgid && ch.mode === undefined && ch.size !== undefined
      ? killPrivs(c.io, L, fh ?? i.fd, fh !== undefined ? undefined : (mode) => c.run(L.fchmodat, AT_FDCWD, i.proc, mode, 0))
      : undefined;
  const times = (): MaybePromise<void> => {
    if (ch.atime === undefined && ch.mtime === undefined) return undefined;
    const ts = Buffer.allocUnsafe(32);
    timespec(ts, 0, ch.atime);
    timespec(ts, 16, ch.mtime);
    return fh !== undefined ? c.run(L.futimens, fh, ts) : c.run(L.utimensat, AT_FDCWD, i.proc, ts, 0);
  };
  return then(chown(), () => then(chmod(), () => then(truncate(), () => then(kill(), () => then(times(), () => c.statFd(i.fd))))));
}

/** One struct timespec of utimensat's pair: a time, UTIME_NOW, or UTIME_OMIT when absent. */
function timespec(b: Buffer, off: number, t: Timespec | 'now' | undefined): void {
  const sec = typeof t === 'object' ? t.sec : 0;
  b.writeBigInt64LE(BigInt(sec), off);
  b.writeBigInt64LE(BigInt(t === undefined ? UTIME_OMIT : t === 'now' ? UTIME_NOW : t.nsec), off + 8);
}

export function readlink(c: Core, ino: number): MaybePromise<string> {
  const b = c.io.scratch(PATH_MAX);
  return then(c.io.call(c.L.readlinkat, c.inodes.get(ino).fd, '', b, PATH_MAX), (n) => {
    if (n >= PATH_MAX) throw sysError(ERRNO.ENAMETOOLONG);
    return decodeName(b, 0, n);
  });
}

export function statfs(c: Core, ino: number): MaybePromise<StatfsResult> {
  const b = c.io.scratch(STATFS_SIZE);
  return then(c.io.call(c.L.fstatfs, c.inodes.get(ino).fd, b), () => readStatfs(b));
}

/** SYNCFS: syncfs(2) wants a real descriptor; O_PATH ones are refused. */
export function syncfs(c: Core, ino: number): MaybePromise<void> {
  return then(c.io.call(c.L.openat, c.inodes.get(ino).fd, '.', O_RDONLY | O_CLOEXEC, 0), (fd) =>
    then(
      attempt(() => c.run(c.L.syncfs, fd), () => c.closeQuietly(fd)),
      () => c.run(c.L.close, fd),
    ),
  );
}

const R_OK = 4;
const W_OK = 2;
const X_OK = 1;

/**
 * ACCESS (sent only without default_permissions). For a caller who is us,
 * faccessat on the kept descriptor answers. When root serves someone else,
 * faccessat would answer for root, so the mode bits are checked for the
 * caller's uid and gid instead (supplementary groups are unknown to FUSE,
 * and ACLs are not evaluated): advisory, as access(2) is. Mounts shared
 * between users should use default_permissions, where the kernel checks.
 */
export function access(c: Core, ctx: RequestContext, ino: number, mask: number): MaybePromise<void> {
  const i = c.inodes.get(ino);
  if (!c.asRoot || ctx.uid === c.euid) return c.run(c.L.faccessat, i.fd, '', mask, AT_EMPTY_PATH | AT_EACCESS | AT_SYMLINK_NOFOLLOW);
  return then(c.statFd(i.fd), (st) => {
    if (!permits(st, ctx, mask)) throw sysError(ERRNO.EACCES);
  });
}

/** Whether the mode bits of `st` grant `mask` to the caller (the path passthrough checks the same way). */
export function permits(st: Pick<Stat, 'mode' | 'uid' | 'gid'>, ctx: RequestContext, mask: number): boolean {
  const want = mask & (R_OK | W_OK | X_OK);
  if (ctx.uid === 0) {
    // root: read and write always; execute if anyone may, or on a directory.
    return !(want & X_OK) || (st.mode & 0o111) !== 0 || (st.mode & 0o170000) === S_IFDIR;
  }
  const bits = ctx.uid === st.uid ? st.mode >> 6 : ctx.gid === st.gid || ctx.groups?.includes(st.gid) ? st.mode >> 3 : st.mode;
  return (bits & want) === want;
}

// ---------------------------------------------------------------- xattrs

export function getxattr(c: Core, ino: number, name: string): MaybePromise<Buffer | FuseError> {
  const path = c.inodes.get(ino).proc;
  const n = cPath(name);
  // ENODATA, the usual answer (ls -l asks every file for security.selinux and
  // system.posix_acl_access), is returned, not thrown: see sized().
  return sized(c, (b) => c.io.tryCall(c.L.getxattr, path, n, b, b ? b.length : 0));
}

export function listxattr(c: Core, ino: number): MaybePromise<string[] | FuseError> {
  const path = c.inodes.get(ino).proc;
  return then(
    sized(c, (b) => c.io.tryCall(c.L.listxattr, path, b, b ? b.length : 0)),
    (list) => (list instanceof FuseError ? list : decodeNameList(list)),
  );
}

export function setxattr(c: Core, ino: number, name: string, value: Buffer, flags: number): MaybePromise<void> {
  return c.run(c.L.setxattr, c.inodes.get(ino).proc, cPath(name), value, value.length, flags);
}

export function removexattr(c: Core, ino: number, name: string): MaybePromise<void> {
  return c.run(c.L.removexattr, c.inodes.get(ino).proc, cPath(name));
}

/** A get/list call into `b` (null: ask the size); a failure is the FuseError as a value (Io.tryCall). */
type SizedCall = (b: Buffer | null) => MaybePromise<number | FuseError>;

/**
 * The get/list size protocol against the source: read into a probe buffer;
 * if the value is larger (ERANGE), ask its size with a null buffer and read
 * exactly that (a value growing in between repeats this, a few times). The
 * probe's result is copied out: in sync mode the probe buffer is shared.
 * Failures come back as values, never thrown: the usual one (ENODATA) is
 * the expected answer, not an accident.
 */
function sized(c: Core, call: SizedCall): MaybePromise<Buffer | FuseError> {
  const probe = c.io.scratch(XATTR_PROBE);
  return then(call(probe), (n) => {
    if (!(n instanceof FuseError)) return Buffer.from(probe.subarray(0, n));
    return n.errno === ERRNO.ERANGE ? exact(call, 3) : n;
  });
}

function exact(call: SizedCall, tries: number): MaybePromise<Buffer | FuseError> {
  return then(call(null), (size) => {
    if (size instanceof FuseError) return size;
    const b = Buffer.allocUnsafe(size);
    return then(call(b), (n) => {
      if (!(n instanceof FuseError)) return b.subarray(0, n);
      return n.errno === ERRNO.ERANGE && tries > 1 ? exact(call, tries - 1) : n;
    });
  });
}
