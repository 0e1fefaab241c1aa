/**
 * pathMemfs(): an in-memory filesystem written on the path API, the way a
 * person would write one by path: a tree of inodes, every operation walks
 * its path from the root. It is the path layer's test bed (it passes the
 * conformance kit through fromPathFilesystem) and an example of the API:
 * handles for open files, so that a file unlinked while open keeps its data
 * until its last release; hard links; rename in all its shapes; xattrs;
 * listings with attributes, answering READDIRPLUS.
 *
 *   await serve(fromPathFilesystem(pathMemfs(), { readdirplus: true }), '/mnt/mem');
 *
 * Permissions are left to the kernel: mount with default_permissions when
 * other users use it. File contents are sparse blocks: memfs's FileData,
 * reused rather than written again (this is an example of the path API,
 * not of storing bytes).
 */
import { FuseError } from '../api/errors';
import type { RequestContext, StatfsResult, StatxResult, Timespec } from '../api/filesystem';
import { splitDev } from '../fs/memfs/attrs';
import { FileData } from '../fs/memfs/data';
import { LockTable } from '../fs/memfs/locks';
import { permits } from '../fs/memfs/perm';
import { nameByteLength } from '../protocol';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, S_ISGID, O_ACCMODE, O_EXCL, O_TRUNC, SEEK_DATA, SEEK_HOLE, STATX_BASIC_STATS } from '../linux/constants';
import { F_GETLK, F_SETLKW, type PathFilesystem, type PathStat } from '../path/types';

const BLOCK = 4096;
const NAME_MAX = 255;
const XATTR_CREATE = 1;
const XATTR_REPLACE = 2;
const FALLOC_FL_KEEP_SIZE = 1;
const FALLOC_FL_PUNCH_HOLE = 2;
const FALLOC_FL_ZERO_RANGE = 0x10;
const RENAME_NOREPLACE = 1;
const RENAME_EXCHANGE = 2;
const STATX_BTIME = 0x800;

function now(): Timespec {
  const ms = performance.timeOrigin + performance.now();
  const sec = Math.floor(ms / 1000);
  return { sec, nsec: Math.min(999_999_999, Math.floor((ms - sec * 1000) * 1e6)) };
}

class Inode {
  nlink = 1;
  rdev = 0;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  readonly btime: Timespec;
  data: FileData | null = null;
  target = '';
  children: Map<string, Inode> | null = null;
  parent: Inode | null = null;
  xattrs: Map<string, Buffer> | null = null;
  /** Open handles: the inode's data lives while one is open, even with no name left. */
  opens = 0;

  constructor(
    readonly ino: number,
    public mode: number,
    public uid: number,
    public gid: number,
  ) {
    this.atime = this.mtime = this.ctime = this.btime = now();
  }

  get isDir(): boolean {
    return (this.mode & S_IFMT) === S_IFDIR;
  }

  /** A symlink's size is its target's length in bytes (not in UTF-16 units, not as Buffer.byteLength counts escaped bytes). */
  get size(): number {
    return this.data ? this.data.size : this.isDir ? BLOCK : (this.mode & S_IFMT) === S_IFLNK ? nameByteLength(this.target) : 0;
  }

  stat(): PathStat {
    return {
      ino: this.ino, mode: this.mode, nlink: this.nlink, uid: this.uid, gid: this.gid, rdev: this.rdev, size: this.size,
      blocks: this.data ? this.data.stBlocks : 0, blksize: BLOCK, atime: this.atime, mtime: this.mtime, ctime: this.ctime,
    };
  }

  touch(): void {
    this.mtime = this.ctime = now();
  }

  /** statx: what stat() gives, and the birth time. */
  statx(): StatxResult {
    const t = (x: Timespec): { tv_sec: number; tv_nsec: number } => ({ tv_sec: x.sec, tv_nsec: x.nsec });
    const { major, minor } = splitDev(this.rdev);
    return {
      stat: {
        mask: STATX_BASIC_STATS | STATX_BTIME, blksize: BLOCK, attributes: 0, attributes_mask: 0, nlink: this.nlink, uid: this.uid, gid: this.gid,
        mode: this.mode, ino: this.ino, size: this.size, blocks: this.data ? this.data.stBlocks : 0, atime: t(this.atime), btime: t(this.btime), ctime: t(this.ctime), mtime: t(this.mtime),
        rdev_major: major, rdev_minor: minor, dev_major: 0, dev_minor: 0,
      },
    };
  }
}

export interface PathMemfsOptions {
  /** Bytes of file data it holds at most (default 1 GiB): ENOSPC beyond. */
  size?: number;
}

export interface PathMemfs extends PathFilesystem {
  /** Inodes alive (named, or open). */
  readonly inodeCount: number;
}

export function pathMemfs(options: PathMemfsOptions = {}): PathMemfs {
  const totalBlocks = Math.floor((options.size ?? 1024 ** 3) / BLOCK);
  let usedBlocks = 0;
  const space = {
    reserve(n: number): boolean {
      if (usedBlocks + n > totalBlocks) return false;
      usedBlocks += n;
      return true;
    },
    release(n: number): void {
      usedBlocks -= n;
    },
  };
  let nextIno = 1;
  let inodes = 0;
  const make = (mode: number, ctx: RequestContext, dir: Inode | null): Inode => {
    // A setgid directory passes its group on, and its setgid bit to subdirectories.
    const inheritGid = dir !== null && (dir.mode & S_ISGID) !== 0;
    if (inheritGid && (mode & S_IFMT) === S_IFDIR) mode |= S_ISGID;
    const i = new Inode(nextIno++, mode, ctx.uid, inheritGid ? dir.gid : ctx.gid);
    if ((mode & S_IFMT) === S_IFREG) i.data = new FileData(space);
    if ((mode & S_IFMT) === S_IFDIR) {
      i.children = new Map();
      i.nlink = 2;
    }
    inodes++;
    return i;
  };
  const root = new Inode(nextIno++, S_IFDIR | 0o755, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
  root.children = new Map();
  root.nlink = 2;
  root.parent = root;
  inodes++;

  const handles = new Map<number, Inode>();
  let nextFh = 1;
  // POSIX record locks and flock, kept here (the kit's lock scenarios), as memfs keeps them.
  const locks = new LockTable();
  const opened = (fh: number): Inode => {
    const i = handles.get(fh);
    if (!i) throw new FuseError('EBADF');
    return i;
  };

  const parts = (path: string): string[] => path.split('/').filter((p) => p !== '');
  const walk = (path: string): Inode => {
    let i = root;
    for (const name of parts(path)) {
      if (!i.children) throw new FuseError('ENOTDIR');
      const next = i.children.get(name);
      if (!next) throw new FuseError('ENOENT');
      i = next;
    }
    return i;
  };
  /** The directory a new or removed name lives in, and the name. */
  const split = (path: string): { dir: Inode; name: string } => {
    const p = parts(path);
    const name = p.pop();
    if (name === undefined) throw new FuseError('EBUSY'); // the root itself
    if (nameByteLength(name) > NAME_MAX) throw new FuseError('ENAMETOOLONG');
    const dir = walk('/' + p.join('/'));
    if (!dir.children) throw new FuseError('ENOTDIR');
    return { dir, name };
  };
  const inodeOf = (path: string, fh: number | undefined): Inode => (fh !== undefined && handles.has(fh) ? handles.get(fh)! : walk(path));
  /** A name is gone from its inode: with no name and no open handle left, its data goes. */
  const dropLink = (i: Inode): void => {
    i.nlink = i.isDir ? 0 : i.nlink - 1;
    i.ctime = now();
    maybeFree(i);
  };
  const maybeFree = (i: Inode): void => {
    if (i.opens === 0) locks.clear(i.ino);
    if (i.nlink > 0 || i.opens > 0) return;
    i.data?.free();
    inodes--;
  };
  const open = (i: Inode): number => {
    const fh = nextFh++;
    handles.set(fh, i);
    i.opens++;
    return fh;
  };
  const add = (path: string, mode: number, ctx: RequestContext, init?: (i: Inode) => void): Inode => {
    const { dir, name } = split(path);
    if (dir.children!.has(name)) throw new FuseError('EEXIST');
    const i = make(mode, ctx, dir);
    init?.(i);
    if (i.isDir) {
      i.parent = dir;
      dir.nlink++;
    }
    dir.children!.set(name, i);
    dir.touch();
    return i;
  };
  const isAncestor = (a: Inode, b: Inode): boolean => {
    for (let x = b; ; x = x.parent!) {
      if (x === a) return true;
      if (x === root) return false;
    }
  };
  const xattrs = (i: Inode): Map<string, Buffer> => (i.xattrs ??= new Map());
  const checkXattrName = (name: string): void => {
    if (!/^(user|trusted|security)\./.test(name)) throw new FuseError('EOPNOTSUPP');
    if (nameByteLength(name) > 255) throw new FuseError('ERANGE');
  };

  return {
    get inodeCount() {
      return inodes;
    },

    getattr: (path, fh) => inodeOf(path, fh).stat(),
    readlink(path) {
      const i = walk(path);
      if ((i.mode & S_IFMT) !== S_IFLNK) throw new FuseError('EINVAL');
      return i.target;
    },
    mknod: (path, mode, rdev, ctx) => add(path, mode, ctx, (i) => (i.rdev = rdev)).stat(),
    mkdir: (path, mode, ctx) => add(path, S_IFDIR | (mode & 0o7777), ctx).stat(),
    symlink: (target, path, ctx) => add(path, S_IFLNK | 0o777, ctx, (i) => (i.target = target)).stat(),
    unlink(path) {
      const { dir, name } = split(path);
      const i = dir.children!.get(name);
      if (!i) throw new FuseError('ENOENT');
      if (i.isDir) throw new FuseError('EISDIR');
      dir.children!.delete(name);
      dir.touch();
      dropLink(i);
    },
    rmdir(path) {
      const { dir, name } = split(path);
      const i = dir.children!.get(name);
      if (!i) throw new FuseError('ENOENT');
      if (!i.isDir) throw new FuseError('ENOTDIR');
      if (i.children!.size > 0) throw new FuseError('ENOTEMPTY');
      dir.children!.delete(name);
      dir.nlink--;
      dir.touch();
      dropLink(i);
    },
    rename(from, to, flags) {
      if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE) || (flags & RENAME_NOREPLACE && flags & RENAME_EXCHANGE)) throw new FuseError('EINVAL');
      const a = split(from);
      const b = split(to);
      const src = a.dir.children!.get(a.name);
      if (!src) throw new FuseError('ENOENT');
      const dst = b.dir.children!.get(b.name);
      if (flags & RENAME_EXCHANGE) {
        if (!dst) throw new FuseError('ENOENT');
        if ((src.isDir && isAncestor(src, b.dir)) || (dst.isDir && isAncestor(dst, a.dir))) throw new FuseError('EINVAL');
        a.dir.children!.set(a.name, dst);
        b.dir.children!.set(b.name, src);
        if (src.isDir !== dst.isDir && a.dir !== b.dir) {
          const moving = src.isDir ? src : dst;
          const [lose, gain] = src.isDir ? [a.dir, b.dir] : [b.dir, a.dir];
          lose.nlink--;
          gain.nlink++;
          moving.parent = gain;
        } else if (src.isDir) {
          src.parent = b.dir;
          dst.parent = a.dir;
        }
        src.ctime = dst.ctime = now();
        a.dir.touch();
        b.dir.touch();
        return;
      }
      if (src.isDir && isAncestor(src, b.dir)) throw new FuseError('EINVAL');
      if (dst) {
        if (flags & RENAME_NOREPLACE) throw new FuseError('EEXIST');
        if (dst === src) return;
        if (src.isDir && !dst.isDir) throw new FuseError('ENOTDIR');
        if (!src.isDir && dst.isDir) throw new FuseError('EISDIR');
        if (dst.isDir && dst.children!.size > 0) throw new FuseError('ENOTEMPTY');
        if (dst.isDir) b.dir.nlink--;
        dropLink(dst);
      }
      a.dir.children!.delete(a.name);
      b.dir.children!.set(b.name, src);
      if (src.isDir && a.dir !== b.dir) {
        a.dir.nlink--;
        b.dir.nlink++;
        src.parent = b.dir;
      }
      src.ctime = now();
      a.dir.touch();
      b.dir.touch();
    },
    link(existing, path) {
      const i = walk(existing);
      if (i.isDir) throw new FuseError('EPERM');
      const { dir, name } = split(path);
      if (dir.children!.has(name)) throw new FuseError('EEXIST');
      dir.children!.set(name, i);
      dir.touch();
      i.nlink++;
      i.ctime = now();
      return i.stat();
    },
    chmod(path, mode, fh) {
      const i = inodeOf(path, fh);
      i.mode = (i.mode & S_IFMT) | (mode & 0o7777);
      i.ctime = now();
    },
    chown(path, uid, gid, fh) {
      const i = inodeOf(path, fh);
      if (uid !== -1) i.uid = uid;
      if (gid !== -1) i.gid = gid;
      i.ctime = now();
    },
    truncate(path, size, fh) {
      const i = inodeOf(path, fh);
      if (i.isDir) throw new FuseError('EISDIR');
      if (!i.data) throw new FuseError('EINVAL');
      i.data.truncate(size);
      i.touch();
    },
    utimens(path, atime, mtime, fh) {
      const i = inodeOf(path, fh);
      if (atime) i.atime = atime;
      if (mtime) i.mtime = mtime;
      i.ctime = now();
    },
    open(path, flags) {
      const i = walk(path);
      if (i.isDir && (flags & O_ACCMODE) !== 0) throw new FuseError('EISDIR');
      if (flags & O_TRUNC && i.data) {
        i.data.truncate(0);
        i.touch();
      }
      return open(i);
    },
    create(path, mode, flags, ctx) {
      const { dir, name } = split(path);
      const existing = dir.children!.get(name);
      if (existing) {
        if (flags & O_EXCL) throw new FuseError('EEXIST');
        return open(existing);
      }
      return open(add(path, S_IFREG | (mode & 0o7777), ctx));
    },
    read(_path, fh, buffer, offset) {
      const i = handles.get(fh);
      if (!i?.data) throw new FuseError(i ? 'EISDIR' : 'EBADF');
      return i.data.read(offset, buffer.length);
    },
    write(_path, fh, data, offset) {
      const i = handles.get(fh);
      if (!i?.data) throw new FuseError(i ? 'EISDIR' : 'EBADF');
      const n = i.data.write(offset, data);
      i.touch();
      return n;
    },
    release(_path, fh) {
      const i = handles.get(fh);
      if (!i) return;
      handles.delete(fh);
      i.opens--;
      locks.releaseHandle(i.ino, fh);
      maybeFree(i);
    },
    flush(_path, fh, lockOwner) {
      // close(2) of any descriptor drops its owner's record locks.
      const i = handles.get(fh);
      if (i) locks.releaseOwner(i.ino, lockOwner);
    },
    access(path, mask, ctx) {
      if (mask & 7 && !permits(ctx, walk(path), mask & 7)) throw new FuseError('EACCES');
    },
    statx: (path, _flags, _mask, fh) => inodeOf(path, fh).statx(),
    lock(_path, fh, cmd, lock, owner, ctx) {
      const ino = opened(fh).ino;
      if (cmd === F_GETLK) return locks.getlk(ino, owner, lock);
      return locks.setlk(ino, owner, lock, cmd === F_SETLKW, cmd === F_SETLKW ? ctx.signal : null);
    },
    flock: (_path, fh, op, ctx) => locks.flock(opened(fh).ino, fh, op, ctx.signal),
    statfs(): StatfsResult {
      return { bsize: BLOCK, frsize: BLOCK, blocks: totalBlocks, bfree: totalBlocks - usedBlocks, bavail: totalBlocks - usedBlocks, files: 1 << 20, ffree: (1 << 20) - inodes, namelen: NAME_MAX };
    },
    readdir(path) {
      const i = walk(path);
      if (!i.children) throw new FuseError('ENOTDIR');
      return [...i.children].map(([name, c]) => ({ name, stat: c.stat() }));
    },
    setxattr(path, name, value, flags) {
      checkXattrName(name);
      if (value.length > 65536) throw new FuseError('E2BIG');
      const x = xattrs(walk(path));
      if (flags & XATTR_CREATE && x.has(name)) throw new FuseError('EEXIST');
      if (flags & XATTR_REPLACE && !x.has(name)) throw new FuseError('ENODATA');
      x.set(name, Buffer.from(value));
      walk(path).ctime = now();
    },
    getxattr(path, name) {
      const v = walk(path).xattrs?.get(name);
      if (!v) throw new FuseError('ENODATA');
      return v;
    },
    listxattr: (path) => [...(walk(path).xattrs?.keys() ?? [])],
    removexattr(path, name) {
      const i = walk(path);
      if (!i.xattrs?.delete(name)) throw new FuseError('ENODATA');
      i.ctime = now();
    },
    fallocate(_path, fh, mode, offset, length) {
      const data = handles.get(fh)?.data;
      if (!data) throw new FuseError('EBADF');
      const keep = (mode & FALLOC_FL_KEEP_SIZE) !== 0;
      if (mode === 0 || mode === FALLOC_FL_KEEP_SIZE) data.allocate(offset, length, keep);
      else if (mode === (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)) data.punchHole(offset, length);
      else if ((mode & ~FALLOC_FL_KEEP_SIZE) === FALLOC_FL_ZERO_RANGE) data.zeroRange(offset, length, keep);
      else throw new FuseError('EOPNOTSUPP');
      handles.get(fh)!.touch();
    },
    lseek(_path, fh, offset, whence) {
      const data = handles.get(fh)?.data;
      if (!data) throw new FuseError('EBADF');
      if (whence === SEEK_DATA) return data.seekData(offset);
      if (whence === SEEK_HOLE) return data.seekHole(offset);
      throw new FuseError('EINVAL');
    },
    copyFileRange(_pin, fhIn, offIn, _pout, fhOut, offOut, length, flags) {
      const src = handles.get(fhIn);
      const dst = handles.get(fhOut);
      if (!src?.data || !dst?.data) throw new FuseError('EBADF');
      if (flags !== 0) throw new FuseError('EINVAL');
      if (src === dst && offIn < offOut + length && offOut < offIn + length) throw new FuseError('EINVAL');
      const n = dst.data.copyFrom(src.data, offIn, offOut, length);
      if (n > 0) dst.touch();
      return n;
    },
  };
}
