/**
 * pathPassthrough(source): a directory mirrored by path, libfuse's
 * example/passthrough.c on the path API. Every operation is the same system
 * call on `source + path` (statx, openat, renameat2, utimensat...), every
 * open file a real descriptor, through the libc bindings devfuse's inode
 * passthrough uses: so the two passthroughs differ in the API they are
 * written on, which is what the benchmark's "devfuse path" peer measures.
 *
 *   await serve(fromPathFilesystem(pathPassthrough('/srv/data'), { readdirplus: true }), '/mnt/data');
 *
 * The calls are synchronous (a local source answers in microseconds, less
 * than a thread-pool hop costs). Attributes are returned as fuse_attr,
 * exact to the nanosecond. Names, symlink targets and xattr names that are
 * not UTF-8 reach the source as the bytes they are: cPath for libc, fsPath
 * for Node's fs, pathFromBytes for what the source answers. The server acts as itself: serving other users, mount
 * with default_permissions.
 */
import fs from 'node:fs';
import koffi from 'koffi';
import { FuseError } from '../api/errors';
import { Errno, decodeNameList } from '../protocol';
import type { Timespec } from '../api/filesystem';
import { cPath, errno, lib, type CPath } from '../fs/passthrough/libc';
import { permits } from '../fs/passthrough/attrs';
import { sysError } from '../fs/passthrough/io';
import { readStatx, statxDev, STATX_SIZE } from '../fs/passthrough/stat';
import { AT_EACCESS, AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_PATH, STATX_BASIC_STATS, UTIME_OMIT } from '../linux/constants';
import { fsPath, pathFromBytes } from '../path/bytes';
import type { PathFilesystem, PathStat } from '../path/types';

/** The kernel's FMODE_EXEC bit, which FUSE forwards in open flags and open(2) must not see. */
const FMODE_EXEC = 0o40;
const NOFOLLOW = AT_SYMLINK_NOFOLLOW;

/** The l*xattr calls: a path-based passthrough must not follow a symlink at the end of the path. */
function xattrCalls(): {
  get: (p: CPath, n: CPath, b: Buffer | null, s: number) => number;
  list: (p: CPath, b: Buffer | null, s: number) => number;
  set: (p: CPath, n: CPath, v: Buffer, s: number, f: number) => number;
  remove: (p: CPath, n: CPath) => number;
} {
  const l = koffi.load('libc.so.6');
  return {
    get: l.func('long lgetxattr(const char *path, const char *name, void *value, size_t size)') as never,
    list: l.func('long llistxattr(const char *path, void *list, size_t size)') as never,
    set: l.func('int lsetxattr(const char *path, const char *name, void *value, size_t size, int flags)') as never,
    remove: l.func('int lremovexattr(const char *path, const char *name)') as never,
  };
}

export function pathPassthrough(source: string): PathFilesystem {
  const L = lib();
  const X = xattrCalls();
  const root = fs.realpathSync(source).replace(/\/$/, '');
  // *at() calls relative to the source: the kernel walks the path below it, not the source's own.
  const dfd = L.openat(AT_FDCWD, root, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
  if (dfd < 0) throw new FuseError(errno(), `cannot open ${root}`);
  const rel = (path: string): string | Buffer => (path === '/' ? '.' : cPath(path.slice(1)));
  const abs = (path: string): string | Buffer => cPath(root + path);
  // One scratch buffer per kind of call: every call here is synchronous and done before the next.
  const sx = Buffer.alloc(STATX_SIZE);
  const big = Buffer.alloc(65536);
  const rootDev = (L.statx(dfd, '.', 0, STATX_BASIC_STATS, sx), statxDev(sx));
  // One FuseError per errno, returned rather than thrown: a lookup of an absent name (before every
  // create) costs no Error and no stack trace.
  const fail = (): FuseError => sysError(errno());
  const done = (r: number): void | FuseError => (r < 0 ? fail() : undefined);
  const attr = (): PathStat => {
    const a: PathStat = readStatx(sx, rootDev);
    a.dev = statxDev(sx);
    return a;
  };
  const stat = (path: string): PathStat | FuseError => (L.statx(dfd, rel(path), NOFOLLOW, STATX_BASIC_STATS, sx) < 0 ? fail() : attr());
  const fstat = (fd: number): PathStat | FuseError => (L.statx(fd, '', AT_EMPTY_PATH | NOFOLLOW, STATX_BASIC_STATS, sx) < 0 ? fail() : attr());
  const made = (r: number, path: string): PathStat | FuseError => (r < 0 ? fail() : stat(path));
  const times = Buffer.alloc(32);
  const offs = Buffer.alloc(16);
  const timespec = (t: Timespec | undefined, off: number): void => {
    times.writeBigInt64LE(BigInt(t ? t.sec : 0), off);
    times.writeBigInt64LE(BigInt(t ? t.nsec : UTIME_OMIT), off + 8);
  };
  const fd = (r: number): number | FuseError => (r < 0 ? fail() : r);
  const euid = process.geteuid?.() ?? -1;
  const asRoot = euid === 0;

  return {
    destroy: () => void L.close(dfd),
    getattr: (path, fh) => (fh !== undefined ? fstat(fh) : stat(path)),
    readlink(path) {
      const n = L.readlinkat(dfd, rel(path), big, big.length);
      return n < 0 ? fail() : pathFromBytes(big.subarray(0, n));
    },
    mknod: (path, mode, rdev) => made(L.mknodat(dfd, rel(path), mode, rdev), path),
    mkdir: (path, mode) => made(L.mkdirat(dfd, rel(path), mode & 0o7777), path),
    unlink: (path) => done(L.unlinkat(dfd, rel(path), 0)),
    rmdir: (path) => done(L.unlinkat(dfd, rel(path), AT_REMOVEDIR)),
    symlink: (target, path) => made(L.symlinkat(cPath(target), dfd, rel(path)), path),
    rename: (from, to, flags) => done(L.renameat2(dfd, rel(from), dfd, rel(to), flags)),
    link: (existing, path) => made(L.linkat(dfd, rel(existing), dfd, rel(path), 0), path),
    chmod: (path, mode, fh) => done(fh !== undefined ? L.fchmod(fh, mode & 0o7777) : L.fchmodat(dfd, rel(path), mode & 0o7777, 0)),
    chown: (path, uid, gid, fh) =>
      done(fh !== undefined ? L.fchownat(fh, '', uid >>> 0, gid >>> 0, AT_EMPTY_PATH) : L.fchownat(dfd, rel(path), uid >>> 0, gid >>> 0, NOFOLLOW)),
    truncate: (path, size, fh) => done(fh !== undefined ? L.ftruncate(fh, size) : L.truncate(abs(path), size)),
    utimens(path, atime, mtime, fh) {
      timespec(atime, 0);
      timespec(mtime, 16);
      return done(fh !== undefined ? L.futimens(fh, times) : L.utimensat(dfd, rel(path), times, NOFOLLOW));
    },
    open: (path, flags) => fd(L.openat(dfd, rel(path), (flags & ~FMODE_EXEC) | O_CLOEXEC, 0)),
    create: (path, mode, flags) => fd(L.openat(dfd, rel(path), (flags & ~FMODE_EXEC) | O_CREAT | O_CLOEXEC, mode & 0o7777)),
    read: (_path, fh, buffer, offset) => fd(L.pread(fh, buffer, buffer.length, offset)),
    write: (_path, fh, data, offset) => fd(L.pwrite(fh, data, data.length, offset)),
    release: (_path, fh) => done(L.close(fh)),
    fsync: (_path, fh, datasync) => done(datasync ? L.fdatasync(fh) : L.fsync(fh)),
    statfs(path) {
      const s = fs.statfsSync(fsPath(root + path));
      return { bsize: s.bsize, frsize: s.bsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree, namelen: 255 };
    },
    readdir(path) {
      // With attributes, the listing answers READDIRPLUS: `ls -l` needs no lookup per entry.
      return fs.readdirSync(fsPath(root + path), { encoding: 'buffer' }).map((raw) => {
        const name = pathFromBytes(raw);
        const st = stat(path === '/' ? `/${name}` : `${path}/${name}`);
        return st instanceof FuseError ? name : { name, stat: st };
      });
    },
    access(path, mask, ctx) {
      // As the inode passthrough: faccessat answers for the server, so for
      // someone else served as root the mode bits are checked for the caller.
      if (!asRoot || ctx.uid === euid) return done(L.faccessat(dfd, rel(path), mask, AT_EACCESS | NOFOLLOW));
      if (L.statx(dfd, rel(path), NOFOLLOW, STATX_BASIC_STATS, sx) < 0) return fail();
      return permits(readStatx(sx, rootDev), ctx, mask) ? undefined : sysError(Errno.EACCES);
    },
    getxattr(path, name) {
      const n = X.get(abs(path), cPath(name), big, big.length);
      return n < 0 ? fail() : Buffer.from(big.subarray(0, n));
    },
    listxattr(path) {
      const n = X.list(abs(path), big, big.length);
      return n < 0 ? fail() : decodeNameList(big.subarray(0, n));
    },
    setxattr: (path, name, value, flags) => done(X.set(abs(path), cPath(name), value, value.length, flags)),
    removexattr: (path, name) => done(X.remove(abs(path), cPath(name))),
    fallocate: (_path, fh, mode, offset, length) => done(L.fallocate(fh, mode, offset, length)),
    lseek: (_path, fh, offset, whence) => fd(L.lseek(fh, offset, whence)),
    copyFileRange(_pathIn, fhIn, offIn, _pathOut, fhOut, offOut, length, flags) {
      offs.writeBigInt64LE(BigInt(offIn), 0);
      offs.writeBigInt64LE(BigInt(offOut), 8);
      return fd(L.copyFileRange(fhIn, offs.subarray(0, 8), fhOut, offs.subarray(8), length, flags));
    },
    flock: (_path, fh, op) => done(L.flock(fh, op)),
  };
}
