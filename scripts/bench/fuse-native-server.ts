/**
 * The fuse-native peer: a passthrough written for fuse-native 2.2.6 (Node
 * over libfuse 2's high-level, path-based API through a native addon),
 * loaded from the benchmark's scratch install (.bench/node_modules).
 *
 *   node dist/scripts/bench/fuse-native-server.js SOURCE MOUNTPOINT [--timeouts0] [--no-xattr] [--devfuse]
 *
 * --devfuse runs the same program on devfuse/fuse-native (the require is
 * the only difference), for the side-by-side line of docs/fuse-native.md.
 *
 * Written the way a fuse-native user would: node:fs calls with callbacks,
 * paths joined onto the source. It is given its best settings where it has
 * them: the per-operation timeout timers are off (`timeout: false`), and
 * the cache timeouts are passed as strings, because fuse-native drops a
 * numeric 0. It has no big_writes option, so buffered and direct writes
 * arrive 4 KiB at a time: that is fuse-native as shipped.
 *
 * It passes extended attributes through, as devfuse's passthrough and
 * passthrough_ll -o xattr do, so that `ls -l` (two getxattr calls per
 * entry) asks the same of every peer. Node has no xattr calls: they are
 * made synchronously through koffi on the JS thread, the cheapest way a
 * fuse-native user has (an async addon would add a thread-pool hop).
 * --no-xattr leaves them out: libfuse then answers ENOSYS and the kernel
 * stops asking, as devfuse's -o no_xattr.
 *
 * Prints "READY <pid>" once mounted; unmounts on SIGTERM/SIGINT or when
 * (with --watch-stdin) stdin closes.
 */
import fs from 'node:fs';
import path from 'node:path';
import koffi from 'koffi';
import { REPO, parseArgs, fuseNativeOptions, mountForBench } from './util';

type Cb<T = void> = [T] extends [void] ? (err: number) => void : (err: number, value?: T) => void;

/** The subset of fuse-native's operations this passthrough implements. */
interface FuseOps {
  init(cb: Cb): void;
  access(p: string, mode: number, cb: Cb): void;
  statfs(p: string, cb: Cb<Record<string, number>>): void;
  getattr(p: string, cb: Cb<fs.Stats>): void;
  fgetattr(p: string, fd: number, cb: Cb<fs.Stats>): void;
  flush(p: string, fd: number, cb: Cb): void;
  fsync(p: string, datasync: boolean, fd: number, cb: Cb): void;
  readdir(p: string, cb: Cb<string[]>): void;
  truncate(p: string, size: number, cb: Cb): void;
  ftruncate(p: string, fd: number, size: number, cb: Cb): void;
  utimens(p: string, atime: number, mtime: number, cb: Cb): void;
  readlink(p: string, cb: Cb<string>): void;
  chown(p: string, uid: number, gid: number, cb: Cb): void;
  chmod(p: string, mode: number, cb: Cb): void;
  open(p: string, flags: number, cb: Cb<number>): void;
  opendir(p: string, flags: number, cb: Cb<number>): void;
  read(p: string, fd: number, buf: Buffer, len: number, pos: number, cb: (n: number) => void): void;
  write(p: string, fd: number, buf: Buffer, len: number, pos: number, cb: (n: number) => void): void;
  release(p: string, fd: number, cb: Cb): void;
  releasedir(p: string, fd: number, cb: Cb): void;
  create(p: string, mode: number, cb: Cb<number>): void;
  unlink(p: string, cb: Cb): void;
  rename(src: string, dest: string, cb: Cb): void;
  link(src: string, dest: string, cb: Cb): void;
  symlink(src: string, dest: string, cb: Cb): void;
  mkdir(p: string, mode: number, cb: Cb): void;
  rmdir(p: string, cb: Cb): void;
  getxattr?(p: string, name: string, position: number, cb: Cb<Buffer | null>): void;
  listxattr?(p: string, cb: Cb<string[]>): void;
  setxattr?(p: string, name: string, value: Buffer, position: number, flags: number, cb: Cb): void;
  removexattr?(p: string, name: string, cb: Cb): void;
}

interface FuseInstance {
  mount(cb: (err: Error | null) => void): void;
}

type FuseCtor = new (mnt: string, ops: FuseOps, opts: Record<string, unknown>) => FuseInstance;

/** fuse-native wants a negative errno; Node's errors carry it. */
function code(err: NodeJS.ErrnoException | null): number {
  if (!err) return 0;
  return typeof err.errno === 'number' ? (err.errno < 0 ? err.errno : -err.errno) : -5;
}

/** The l*xattr calls (a path-based passthrough must not follow a symlink at the end of the path). */
function xattrOps(at: (p: string) => string): Pick<FuseOps, 'getxattr' | 'listxattr' | 'setxattr' | 'removexattr'> {
  const libc = koffi.load('libc.so.6');
  const lget = libc.func('long lgetxattr(const char *path, const char *name, void *value, size_t size)') as (p: string, n: string, b: Buffer | null, s: number) => number;
  const llist = libc.func('long llistxattr(const char *path, void *list, size_t size)') as (p: string, b: Buffer | null, s: number) => number;
  const lset = libc.func('int lsetxattr(const char *path, const char *name, void *value, size_t size, int flags)') as (p: string, n: string, b: Buffer, s: number, f: number) => number;
  const lremove = libc.func('int lremovexattr(const char *path, const char *name)') as (p: string, n: string) => number;
  const fail = (): number => -koffi.errno();
  const ENODATA = 61;
  // One scratch buffer as large as a value can be (XATTR_SIZE_MAX): one syscall per request.
  const scratch = Buffer.allocUnsafe(65536);
  return {
    getxattr: (p, name, _pos, cb) => {
      const n = lget(at(p), name, scratch, scratch.length);
      if (n >= 0) return cb(0, Buffer.from(scratch.subarray(0, n)));
      const e = fail();
      // fuse-native turns a null value into ENODATA itself.
      return e === -ENODATA ? cb(0, null) : cb(e);
    },
    listxattr: (p, cb) => {
      const n = llist(at(p), scratch, scratch.length);
      if (n < 0) return cb(fail());
      cb(0, scratch.toString('latin1', 0, n).split('\0').filter((s) => s !== ''));
    },
    setxattr: (p, name, value, _pos, flags, cb) => cb(lset(at(p), name, value, value.length, flags) < 0 ? fail() : 0),
    removexattr: (p, name, cb) => cb(lremove(at(p), name) < 0 ? fail() : 0),
  };
}

function main(): void {
  const { flags, positional } = parseArgs(process.argv.slice(2), ['devfuse', 'no-xattr', 'timeouts0', 'watch-stdin']);
  const [source, mnt] = positional;
  if (!source || !mnt) throw new Error('usage: fuse-native-server SOURCE MOUNTPOINT [--timeouts0] [--no-xattr]');
  const modPath = flags.has('devfuse') ? path.join(REPO, 'dist', 'src', 'fuse-native') : path.join(REPO, '.bench', 'node_modules', 'fuse-native');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Fuse = require(modPath) as FuseCtor;
  const at = (p: string): string => path.join(source, p);

  const ops: FuseOps = {
    init: (cb) => cb(0),
    access: (p, mode, cb) => fs.access(at(p), mode, (e) => cb(code(e))),
    statfs: (p, cb) =>
      fs.statfs(at(p), (e, s) => {
        if (e) return cb(code(e));
        cb(0, { bsize: s.bsize, frsize: s.bsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree, favail: s.ffree, fsid: 0, flag: 0, namemax: 255 });
      }),
    getattr: (p, cb) => fs.lstat(at(p), (e, st) => (e ? cb(code(e)) : cb(0, st))),
    fgetattr: (_p, fd, cb) => fs.fstat(fd, (e, st) => (e ? cb(code(e)) : cb(0, st))),
    flush: (_p, _fd, cb) => cb(0),
    fsync: (_p, datasync, fd, cb) => (datasync ? fs.fdatasync : fs.fsync)(fd, (e) => cb(code(e))),
    readdir: (p, cb) => fs.readdir(at(p), (e, names) => (e ? cb(code(e)) : cb(0, ['.', '..', ...names]))),
    truncate: (p, size, cb) => fs.truncate(at(p), size, (e) => cb(code(e))),
    ftruncate: (_p, fd, size, cb) => fs.ftruncate(fd, size, (e) => cb(code(e))),
    utimens: (p, atime, mtime, cb) => fs.utimes(at(p), atime / 1000, mtime / 1000, (e) => cb(code(e))),
    readlink: (p, cb) => fs.readlink(at(p), (e, t) => (e ? cb(code(e)) : cb(0, t))),
    chown: (p, uid, gid, cb) => fs.lchown(at(p), uid, gid, (e) => cb(code(e))),
    chmod: (p, mode, cb) => fs.chmod(at(p), mode, (e) => cb(code(e))),
    open: (p, flags, cb) => fs.open(at(p), flags, (e, fd) => (e ? cb(code(e)) : cb(0, fd))),
    opendir: (_p, _flags, cb) => cb(0, 0),
    read: (_p, fd, buf, len, pos, cb) => fs.read(fd, buf, 0, len, pos, (e, n) => cb(e ? code(e) : n)),
    write: (_p, fd, buf, len, pos, cb) => fs.write(fd, buf, 0, len, pos, (e, n) => cb(e ? code(e) : n)),
    release: (_p, fd, cb) => fs.close(fd, (e) => cb(code(e))),
    releasedir: (_p, _fd, cb) => cb(0),
    // fuse-native does not pass create's open flags on: open read-write, so that any later use of the fd works.
    create: (p, mode, cb) => fs.open(at(p), fs.constants.O_CREAT | fs.constants.O_RDWR, mode & 0o7777, (e, fd) => (e ? cb(code(e)) : cb(0, fd))),
    unlink: (p, cb) => fs.unlink(at(p), (e) => cb(code(e))),
    rename: (src, dest, cb) => fs.rename(at(src), at(dest), (e) => cb(code(e))),
    link: (src, dest, cb) => fs.link(at(src), at(dest), (e) => cb(code(e))),
    symlink: (src, dest, cb) => fs.symlink(src, at(dest), (e) => cb(code(e))),
    mkdir: (p, mode, cb) => fs.mkdir(at(p), { mode }, (e) => cb(code(e))),
    rmdir: (p, cb) => fs.rmdir(at(p), (e) => cb(code(e))),
    ...(flags.has('no-xattr') ? {} : xattrOps(at)),
  };

  mountForBench(new Fuse(mnt, ops, fuseNativeOptions('bench-fuse-native', flags)), 'fuse-native-server', mnt, flags.has('watch-stdin'));
}

main();
