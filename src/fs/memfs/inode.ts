/**
 * An inode: attributes plus what its type holds (file data, directory
 * entries, a symlink target). One class rather than a union per type, since
 * most operations (getattr, setattr, xattrs, links) treat all types alike;
 * the accessors below check the type where it matters.
 */
import type { Timespec } from '../../api/filesystem';
import { nameByteLength, type Attr } from '../../protocol';
import { FuseError } from '../../api/errors';
import { BLOCK_SIZE, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from './constants';
import type { FileData } from './data';
import type { Directory } from './dir';

/** Directory sizes the way tmpfs reports them: a nominal 20 bytes per entry ("BOGO_DIRENT_SIZE"), "." and ".." included. */
const BOGO_DIRENT_SIZE = 20;

export class Inode {
  nlink = 0;
  /** The kernel's references (lookup count): entries handed out minus forgets. */
  nlookup = 0;
  /** Open file descriptions (open/create/opendir not yet released). */
  opens = 0;
  rdev = 0;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  /** Birth time (statx btime). */
  readonly btime: Timespec;
  data: FileData | null = null;
  dir: Directory | null = null;
  /** Directories: the node id of the parent (root: itself). Directories have exactly one name. */
  parent = 0;
  /** Symlinks: the target, as names.ts decodes bytes. */
  target = '';
  xattrs: Map<string, Buffer> | null = null;
  /** O_TMPFILE without O_EXCL: may be given a name by linkat() although nlink is 0. */
  linkable = false;

  constructor(
    readonly ino: number,
    readonly generation: number,
    /** Type and permission bits. */
    public mode: number,
    public uid: number,
    public gid: number,
    now: Timespec,
  ) {
    this.atime = now;
    this.mtime = now;
    this.ctime = now;
    this.btime = now;
  }

  get type(): number {
    return this.mode & S_IFMT;
  }

  get isDir(): boolean {
    return this.type === S_IFDIR;
  }

  get isReg(): boolean {
    return this.type === S_IFREG;
  }

  get isSymlink(): boolean {
    return this.type === S_IFLNK;
  }

  /** The entries of a directory; ENOTDIR for anything else. */
  entries(): Directory {
    if (!this.dir) throw new FuseError('ENOTDIR');
    return this.dir;
  }

  /** The data of a regular file; EISDIR for a directory, EINVAL for other types (as read(2) on them would). */
  fileData(): FileData {
    if (this.data) return this.data;
    throw new FuseError(this.isDir ? 'EISDIR' : 'EINVAL');
  }

  get size(): number {
    if (this.data) return this.data.size;
    if (this.dir) return BOGO_DIRENT_SIZE * (this.dir.size + 2);
    if (this.isSymlink) return nameByteLength(this.target);
    return 0;
  }

  attr(): Attr {
    return {
      ino: this.ino,
      size: this.size,
      blocks: this.data ? this.data.stBlocks : 0,
      atime: this.atime.sec,
      atimensec: this.atime.nsec,
      mtime: this.mtime.sec,
      mtimensec: this.mtime.nsec,
      ctime: this.ctime.sec,
      ctimensec: this.ctime.nsec,
      mode: this.mode,
      nlink: this.nlink,
      uid: this.uid,
      gid: this.gid,
      rdev: this.rdev,
      blksize: BLOCK_SIZE,
      flags: 0,
    };
  }
}
