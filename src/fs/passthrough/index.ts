/**
 * passthrough(source): a filesystem that mirrors a source directory, in the
 * spirit of libfuse's example/passthrough_hp.cc.
 *
 *   serve(passthrough('/srv/data'), '/mnt/data', { options: 'allow_other,default_permissions' })
 *
 * - Inodes are kept O_PATH descriptors keyed by (st_dev, st_ino) (inodes.ts);
 *   every call is relative to one of them (namespace.ts, attrs.ts).
 * - Open files and directories are source descriptors handed out as fh
 *   (files.ts, dirs.ts); flock is passed through, POSIX locks are the
 *   kernel's (locks.ts).
 * - Syscalls run on the libuv thread pool or the main thread (io.ts).
 * - Run as root, files created through the mount belong to the caller.
 *
 * The server makes every access as itself. Serving other users as root,
 * mount with default_permissions so that the kernel checks their
 * permissions against the modes and owners the passthrough reports.
 */
import { InitFlags } from '../../protocol';
import { FuseError } from '../../api/errors';
import type { Filesystem, SessionApi, WriteInfo } from '../../api/filesystem';
import type { SplicedData } from '../../api/spliced';
import * as attrs from './attrs';
import { Core, type PassthroughOptions } from './core';
import * as dirs from './dirs';
import * as files from './files';
import { flock } from './locks';
import * as ns from './namespace';

export type { PassthroughOptions } from './core';
export type { IoMode } from './io';

/** The Filesystem methods a passthrough implements (the others answer ENOSYS, or are the kernel's: getlk/setlk). */
type Implemented =
  | 'init' | 'destroy' | 'lookup' | 'forget' | 'getattr' | 'setattr' | 'readlink' | 'mknod' | 'mkdir' | 'unlink' | 'rmdir'
  | 'symlink' | 'rename' | 'link' | 'create' | 'tmpfile' | 'open' | 'read' | 'write' | 'flush' | 'release' | 'fsync'
  | 'fallocate' | 'lseek' | 'copyFileRange' | 'flock' | 'opendir' | 'readdir' | 'readdirplus' | 'releasedir' | 'fsyncdir'
  | 'statfs' | 'syncfs' | 'access' | 'getxattr' | 'listxattr' | 'setxattr' | 'removexattr';

/** A passthrough Filesystem, with what tests and embedders need beyond the interface. */
export type Passthrough = Filesystem & Required<Pick<Filesystem, Implemented>> & PassthroughExtras;

export interface PassthroughExtras {
  readonly source: string;
  /** Source inodes the kernel currently holds (not counting the root): each is one open descriptor. */
  readonly inodeCount: number;
  /** Open file and directory handles. */
  readonly handleCount: number;
  /** Closes every descriptor, the source root's included; the filesystem is unusable afterwards. */
  close(): void;
}

/** What the xattr requests answer with xattr: false (the kernel remembers ENOSYS and stops asking). */
const NO_XATTR = new FuseError('ENOSYS');

export function passthrough(source: string, options: PassthroughOptions = {}): Passthrough {
  const c = new Core(source, options);
  const xattr = options.xattr ?? true;
  const closeHandles = (): void => {
    for (const fd of c.files) c.closeQuietly(fd);
    for (const fd of c.dirs.keys()) c.closeQuietly(fd);
    c.files.clear();
    c.dirs.clear();
  };
  return {
    source,
    // READ and WRITE on data worker threads too, when the session has them (option workers).
    dataPath: { module: require.resolve('./data-path') },
    // setuid/setgid cleared here when the kernel asks (privs.ts): no GETXATTR before every write.
    handleKillprivV2: true,
    get inodeCount() {
      return c.inodes.size;
    },
    get handleCount() {
      return c.files.size + c.dirs.size;
    },
    close() {
      closeHandles();
      c.inodes.clear();
      c.closeQuietly(c.inodes.root.fd);
    },

    init(session: SessionApi) {
      c.writeback = (session.flags & InitFlags.WRITEBACK_CACHE) !== 0n;
      if (session.passthrough) c.session = session;
    },
    // The session is over: the kernel holds nothing any more (and sends no RELEASE after an abort).
    destroy() {
      closeHandles();
      c.inodes.clear();
    },

    lookup: (_ctx, parent, name) => ns.lookup(c, parent, name),
    forget: (ino, n) => c.inodes.forget(ino, n),
    getattr: (_ctx, ino) => attrs.getattr(c, ino),
    setattr: (_ctx, ino, changes, fh) => attrs.setattr(c, ino, changes, fh),
    readlink: (_ctx, ino) => attrs.readlink(c, ino),
    mknod: (ctx, parent, name, mode, rdev) => ns.mknod(c, ctx, parent, name, mode, rdev),
    mkdir: (ctx, parent, name, mode) => ns.mkdir(c, ctx, parent, name, mode),
    unlink: (_ctx, parent, name) => ns.unlink(c, parent, name),
    rmdir: (_ctx, parent, name) => ns.rmdir(c, parent, name),
    symlink: (ctx, parent, name, target) => ns.symlink(c, ctx, parent, name, target),
    rename: (_ctx, parent, name, newparent, newname, flags) => ns.rename(c, parent, name, newparent, newname, flags),
    link: (_ctx, ino, newparent, newname) => ns.link(c, ino, newparent, newname),
    create: (ctx, parent, name, mode, flags, info) => ns.create(c, ctx, parent, name, mode, flags, info.killSuidgid),
    tmpfile: (ctx, parent, mode, flags) => ns.tmpfile(c, ctx, parent, mode, flags),

    open: (_ctx, ino, flags, info) => files.open(c, ino, flags, info.killSuidgid),
    read: (ctx, _ino, fh, offset, size) => files.read(c, fh, offset, size, (n) => ctx.buffer(n)),
    write: (_ctx, _ino, fh, offset, data, info) => files.write(c, fh, offset, data, info.killSuidgid),
    // Big WRITEs straight from the channel's pipe into the file (the main thread's io mode only: the pipe
    // must be emptied before this returns, which a thread-pool call would not do).
    ...(c.io.mode === 'sync'
      ? { writeSpliced: (_ctx: unknown, _ino: number, fh: number, offset: number, data: SplicedData, info: WriteInfo) => files.writeSpliced(c, fh, offset, data, info.killSuidgid) }
      : {}),
    flush: (_ctx, _ino, fh) => files.flush(c, fh),
    release: (_ctx, _ino, fh) => files.release(c, fh),
    fsync: (_ctx, _ino, fh, datasync) => files.fsync(c, fh, datasync),
    fallocate: (_ctx, _ino, fh, mode, offset, length) => files.fallocate(c, fh, mode, offset, length),
    lseek: (_ctx, _ino, fh, offset, whence) => files.lseek(c, fh, offset, whence),
    copyFileRange: (_ctx, _inoIn, fhIn, offIn, _inoOut, fhOut, offOut, len, flags) => files.copyFileRange(c, fhIn, offIn, fhOut, offOut, len, flags),
    flock: (ctx, _ino, fh, _owner, op) => flock(c, ctx, fh, op),

    opendir: (_ctx, ino) => dirs.opendir(c, ino),
    readdir: (_ctx, _ino, fh, offset, out) => dirs.readdir(c, fh, offset, out),
    readdirplus: (_ctx, _ino, fh, offset, out) => dirs.readdirplus(c, fh, offset, out),
    releasedir: (_ctx, _ino, fh) => dirs.releasedir(c, fh),
    fsyncdir: (_ctx, _ino, fh, datasync) => dirs.fsyncdir(c, fh, datasync),

    statfs: (_ctx, ino) => attrs.statfs(c, ino),
    syncfs: (_ctx, ino) => attrs.syncfs(c, ino),
    access: (ctx, ino, mask) => attrs.access(c, ctx, ino, mask),
    getxattr: (_ctx, ino, name) => (xattr ? attrs.getxattr(c, ino, name) : NO_XATTR),
    listxattr: (_ctx, ino) => (xattr ? attrs.listxattr(c, ino) : NO_XATTR),
    setxattr: (_ctx, ino, name, value, flags) => (xattr ? attrs.setxattr(c, ino, name, value, flags) : NO_XATTR),
    removexattr: (_ctx, ino, name) => (xattr ? attrs.removexattr(c, ino, name) : NO_XATTR),
  };
}

/**
 * For test/helpers/serve-child.ts, which calls an export with no arguments:
 * the source from DEVFUSE_PASSTHROUGH_SOURCE, the I/O mode from
 * DEVFUSE_PASSTHROUGH_IO ('sync' or 'async').
 */
export function passthroughFromEnv(): Passthrough {
  const source = process.env.DEVFUSE_PASSTHROUGH_SOURCE;
  if (!source) throw new Error('passthroughFromEnv: set DEVFUSE_PASSTHROUGH_SOURCE to the source directory');
  const io = process.env.DEVFUSE_PASSTHROUGH_IO;
  if (io !== undefined && io !== 'sync' && io !== 'async') throw new Error(`DEVFUSE_PASSTHROUGH_IO must be sync or async, not ${io}`);
  return passthrough(source, { io, keepCache: process.env.DEVFUSE_PASSTHROUGH_KEEP_CACHE === '1' });
}
