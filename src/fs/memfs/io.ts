/**
 * Open files and their data: open, read, write, flush, release, fallocate,
 * lseek (SEEK_DATA/SEEK_HOLE), copy_file_range.
 *
 * Notes on what the kernel does for us:
 * - O_APPEND: the kernel resolves it and sends the offset to write at (its
 *   i_size, exact since every change goes through it), with or without the
 *   writeback cache — with writeback_cache the WRITEs are page flushes whose
 *   offsets must be taken as they are. So memfs never applies O_APPEND
 *   itself; it writes where it is told.
 * - O_TRUNC reaches open only with -o atomic_o_trunc; otherwise the kernel
 *   sends a SETATTR(size 0) with the new handle after the open.
 * - O_CREAT|O_EXCL is checked by the kernel (and again in create()).
 * - Access modes: the kernel checks FMODE_READ/FMODE_WRITE on every
 *   read/write, and with writeback_cache legitimately READs through a
 *   write-only handle (to fill partial pages), so read/write do not check
 *   the handle's mode again.
 * - O_DIRECT opens work as they are (the kernel sends their I/O straight
 *   through); memfs does not need FOPEN_DIRECT_IO for them.
 */
import type { OpenResult, ReadInfo, ReleaseInfo, RequestContext, WriteInfo } from '../../api/filesystem';
import { FuseError } from '../../api/errors';
import {
  FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE, FMODE_EXEC_FLAG, O_NOATIME, O_TRUNC, SEEK_DATA, SEEK_HOLE,
  W_OK, X_OK,
} from './constants';
import { removePrivs } from './attrs';
import type { Inode } from './inode';
import { accessForOpenFlags, isRoot, ownerOrRoot } from './perm';
import type { MemfsState } from './state';

/**
 * Checks and opens a regular file (or a special file: the kernel handles
 * FIFOs and devices itself, but a filesystem may still be asked). The
 * access mode needs r/w permission, O_TRUNC needs w, an execve() open
 * (the kernel's __FMODE_EXEC, forwarded in the flags) needs x rather than
 * r, O_NOATIME needs ownership.
 */
export function openFile(st: MemfsState, ctx: RequestContext, inode: Inode, flags: number): OpenResult {
  if (inode.isDir) throw new FuseError('EISDIR');
  let mask = flags & FMODE_EXEC_FLAG ? X_OK : accessForOpenFlags(flags);
  if (flags & O_TRUNC) mask |= W_OK;
  st.perms.check(ctx, inode, mask);
  if (flags & O_NOATIME && st.perms.enforced && !ownerOrRoot(ctx, inode)) throw new FuseError('EPERM');
  if (flags & O_TRUNC && inode.data) {
    // Only with atomic_o_trunc: the kernel then leaves the truncation to the open.
    if (inode.data.size !== 0) inode.data.truncate(0);
    st.modified(inode);
    removePrivs(st, inode, !isRoot(ctx));
  }
  // KEEP_CACHE: every change to the data goes through this kernel, whose page cache therefore stays right across opens.
  return { fh: st.open(inode, flags), keepCache: true };
}

export function open(st: MemfsState, ctx: RequestContext, ino: number, flags: number): OpenResult {
  return openFile(st, ctx, st.get(ino), flags);
}

export function read(st: MemfsState, ino: number, offset: number, size: number, info: ReadInfo): Buffer | Buffer[] {
  const inode = st.get(ino);
  const data = inode.fileData();
  if (!(info.flags & O_NOATIME)) st.accessed(inode);
  return data.read(offset, size);
}

/**
 * Writes a copy of `data` (a view into the request buffer). A write by a
 * caller other than root drops setuid, and setgid from a group-executable
 * file, as Linux's file_remove_privs() does (under handle_killpriv_v2 the
 * kernel flags it FUSE_WRITE_KILL_SUIDGID as well). Writeback flushes are
 * not the writer's doing: the kernel made the write through, flagged,
 * when the file had such bits. security.capability goes on every write,
 * flushes included (under handle_killpriv_v2 nobody else drops it).
 */
export function write(st: MemfsState, ctx: RequestContext, ino: number, offset: number, data: Buffer, info: WriteInfo): number {
  const inode = st.get(ino);
  const n = inode.fileData().write(offset, data);
  if (n === 0) return 0;
  st.modified(inode);
  removePrivs(st, inode, info.killSuidgid || (!info.writeback && !isRoot(ctx)));
  return n;
}

/** close(2) of one descriptor: POSIX drops all of the process's record locks on the file. */
export function flush(st: MemfsState, ino: number, lockOwner: bigint): void {
  st.locks.releaseOwner(ino, lockOwner);
}

/** The last descriptor of an open file description is gone: its flock goes with it, and the handle. */
export function release(st: MemfsState, fh: number, _info: ReleaseInfo): void {
  st.close(fh);
}

export function fallocate(st: MemfsState, ctx: RequestContext, ino: number, mode: number, offset: number, length: number): void {
  const inode = st.get(ino);
  const data = inode.fileData();
  if (offset < 0 || length <= 0) throw new FuseError('EINVAL');
  const keep = (mode & FALLOC_FL_KEEP_SIZE) !== 0;
  const sizeBefore = data.size;
  switch (mode & ~FALLOC_FL_KEEP_SIZE) {
    case 0:
      data.allocate(offset, length, keep);
      if (data.size === sizeBefore) return; // allocation alone changes no timestamp
      break;
    case FALLOC_FL_PUNCH_HOLE:
      // Linux requires KEEP_SIZE with PUNCH_HOLE (vfs_fallocate).
      if (!keep) throw new FuseError('EOPNOTSUPP');
      data.punchHole(offset, length);
      break;
    case FALLOC_FL_ZERO_RANGE:
      data.zeroRange(offset, length, keep);
      break;
    default:
      // COLLAPSE_RANGE, INSERT_RANGE, UNSHARE_RANGE, WRITE_ZEROES...
      throw new FuseError('EOPNOTSUPP');
  }
  st.modified(inode);
  removePrivs(st, inode, !isRoot(ctx));
}

export function lseek(st: MemfsState, ino: number, offset: number, whence: number): number {
  const data = st.get(ino).fileData();
  // The kernel answers SEEK_SET/CUR/END itself; only these two reach the filesystem.
  if (whence === SEEK_DATA) return data.seekData(offset);
  if (whence === SEEK_HOLE) return data.seekHole(offset);
  throw new FuseError('EINVAL');
}

export function copyFileRange(
  st: MemfsState, ctx: RequestContext, inoIn: number, offIn: number, inoOut: number, offOut: number, len: number, flags: number,
): number {
  if (flags !== 0) throw new FuseError('EINVAL');
  const src = st.get(inoIn);
  const dst = st.get(inoOut);
  const from = src.fileData();
  const to = dst.fileData();
  if (src === dst && offIn < offOut + len && offOut < offIn + len) throw new FuseError('EINVAL');
  const n = to.copyFrom(from, offIn, offOut, len);
  if (n > 0) {
    st.modified(dst);
    st.accessed(src);
    removePrivs(st, dst, !isRoot(ctx));
  }
  return n;
}
