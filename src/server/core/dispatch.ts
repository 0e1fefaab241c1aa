/**
 * The dispatch table: for each opcode, how the decoded request becomes a
 * call on the Filesystem and how its result becomes reply bytes. Together
 * with src/protocol/ops/<opcode>.ts (decode) and replies.ts (encode), this
 * is the one place to read what devfuse does with an opcode. READ and WRITE
 * are served by data.ts, which the data workers share.
 *
 * Session-level opcodes (INIT, FORGET, BATCH_FORGET, INTERRUPT, DESTROY,
 * NOTIFY_REPLY, CUSE_INIT) are handled in session.ts, not here.
 *
 * Handlers may return bytes synchronously: a filesystem whose methods
 * return plain values (memfs) is answered in the same tick, with no
 * promise allocated.
 */
// From the defining modules, not '../protocol': see the note in session.ts.
import { DirentBuffer } from '../../protocol/dirent';
import { Errno } from '../../protocol/errno';
import { FattrFlags, GetattrFlags, IoctlFlags, LkFlags, Opcode, PollFlags, ReleaseFlags, FsyncFlags, OpenInFlags } from '../../protocol/constants';
import { S_IFDIR } from '../../linux/constants';
import { InvalidReplyError } from '../../protocol/errors';
import { encodeName } from '../../protocol/names';
import {
  replyAttr, replyBmap, replyCopy, replyCreate, replyData, replyEmpty, replyEntry, replyError, replyIoctl, replyIoctlRetry, replyLk,
  replyLseek, replyOpen, replyPoll, replyReadlink, replyStatfs, replyStatx, replyWrite, replyXattrSize, type ReplyBytes,
} from '../../protocol/replies';
import { type Request } from '../../protocol/ops';
import { openFlags, S_IFMT, splitTimeout, toAttrOut, toEntryOut, type Timeouts } from './attr';
import type { Context } from './context';
import { FuseError } from '../../api/errors';
import type { Entry, Filesystem, IoctlResult, Lock, OpenResult, PollHandle, SetattrChanges, StatfsResult } from '../../api/filesystem';
import type { DirectIo, WriteOrdering } from './write-order';
import { countResult, serveRead, serveWrite, type Handled } from './data';
import { then } from './maybe';

export type { Handled } from './data';

/** What the dispatcher needs from the session. */
export interface DispatchHost {
  readonly fs: Filesystem;
  readonly timeouts: Timeouts;
  readonly minor: number;
  /** Which opens are direct (the ordering rule's and -o direct_io's concern). */
  readonly directIo: DirectIo;
  /** The ordering rule's writes in flight; null with -o no_write_ordering. */
  readonly writeOrder: WriteOrdering | null;
  pollHandle(kh: number): PollHandle;
}

type Handler<R> = (h: DispatchHost, req: R, ctx: Context) => Handled;
type Table = { [O in Opcode]?: Handler<Extract<Request, { opcode: O }>> };

function enosys(): never {
  throw new FuseError(Errno.ENOSYS);
}

function openReply(h: DispatchHost, unique: number, ino: number, o: OpenResult | undefined): Buffer {
  const open_flags = openFlags(o, h.directIo.forced);
  const fh = o?.fh ?? 0;
  h.directIo.opened(ino, fh, open_flags);
  return replyOpen(unique, { fh, open_flags, backing_id: o?.backingId ?? 0 });
}

/** An entry reply; a nonzero node id counts as one lookup once the reply is delivered. */
function entry(h: DispatchHost, ctx: Context, e: Entry): Buffer {
  const out = toEntryOut(e, h.timeouts);
  if (out.nodeid !== 0) ctx.countLookups([out.nodeid]);
  return replyEntry(ctx.unique, out, h.minor);
}

function created(h: DispatchHost, ctx: Context, r: { entry: Entry; open: OpenResult }): Buffer {
  const e = toEntryOut(r.entry, h.timeouts);
  if (e.nodeid === 0) throw new InvalidReplyError('create/tmpfile returned an entry with ino 0');
  const open_flags = openFlags(r.open, h.directIo.forced);
  const fh = r.open?.fh ?? 0;
  h.directIo.opened(e.nodeid, fh, open_flags);
  ctx.countLookups([e.nodeid]);
  return replyCreate(ctx.unique, e, { fh, open_flags, backing_id: r.open?.backingId ?? 0 });
}

function statfsReply(unique: number, minor: number, st: StatfsResult): Buffer {
  return replyStatfs(
    unique,
    {
      blocks: st.blocks ?? 0, bfree: st.bfree ?? 0, bavail: st.bavail ?? 0, files: st.files ?? 0, ffree: st.ffree ?? 0,
      bsize: st.bsize ?? 4096, namelen: st.namelen ?? 255, frsize: st.frsize ?? st.bsize ?? 4096,
    },
    minor,
  );
}

/** The xattr size protocol: size 0 asks how big; a value larger than `size` is ERANGE. */
function xattrReply(unique: number, size: number, value: Buffer): ReplyBytes {
  if (size === 0) return replyXattrSize(unique, value.length);
  if (value.length > size) return replyError(unique, Errno.ERANGE);
  return replyData(unique, value);
}

function setattrChanges(a: Extract<Request, { opcode: Opcode.SETATTR }>['arg']): SetattrChanges {
  const v = a.valid;
  const c: SetattrChanges = {};
  if (v & FattrFlags.MODE) c.mode = a.mode;
  if (v & FattrFlags.UID) c.uid = a.uid;
  if (v & FattrFlags.GID) c.gid = a.gid;
  if (v & FattrFlags.SIZE) c.size = a.size;
  if (v & FattrFlags.ATIME) c.atime = v & FattrFlags.ATIME_NOW ? 'now' : { sec: a.atime, nsec: a.atimensec };
  if (v & FattrFlags.MTIME) c.mtime = v & FattrFlags.MTIME_NOW ? 'now' : { sec: a.mtime, nsec: a.mtimensec };
  if (v & FattrFlags.CTIME) c.ctime = { sec: a.ctime, nsec: a.ctimensec };
  if (v & FattrFlags.KILL_SUIDGID) c.killSuidgid = true;
  if (v & FattrFlags.LOCKOWNER) c.lockOwner = a.lock_owner;
  return c;
}

/** F_RDLCK/F_WRLCK/F_UNLCK → LOCK_SH/LOCK_EX/LOCK_UN, LOCK_NB when not waiting. */
function flockOp(type: number, sleep: boolean): number {
  const op = type === 0 ? 1 : type === 1 ? 2 : 8;
  return op === 8 || sleep ? op : op | 4;
}

function lockOf(l: Lock): Lock {
  return { start: l.start, end: l.end, type: l.type, pid: l.pid };
}

export const DISPATCH: Table = {
  [Opcode.LOOKUP]: (h, r, ctx) => {
    const { lookup } = h.fs;
    if (!lookup) return enosys();
    return then(lookup.call(h.fs, ctx, r.header.nodeid, r.name), (e) => entry(h, ctx, e));
  },

  [Opcode.GETATTR]: (h, r, ctx) => {
    const { getattr } = h.fs;
    if (!getattr) return enosys();
    const fh = r.arg.getattr_flags & GetattrFlags.FH ? r.arg.fh : undefined;
    return then(getattr.call(h.fs, ctx, r.header.nodeid, fh), (a) => replyAttr(r.header.unique, toAttrOut(a, r.header.nodeid, h.timeouts), h.minor));
  },

  [Opcode.SETATTR]: (h, r, ctx) => {
    const { setattr } = h.fs;
    if (!setattr) return enosys();
    const fh = r.arg.valid & FattrFlags.FH ? r.arg.fh : undefined;
    return then(setattr.call(h.fs, ctx, r.header.nodeid, setattrChanges(r.arg), fh), (a) =>
      replyAttr(r.header.unique, toAttrOut(a, r.header.nodeid, h.timeouts), h.minor),
    );
  },

  [Opcode.READLINK]: (h, r, ctx) => {
    const { readlink } = h.fs;
    if (!readlink) return enosys();
    return then(readlink.call(h.fs, ctx, r.header.nodeid), (target) => {
      if (typeof target !== 'string' || target.length === 0 || target.includes('\0')) throw new InvalidReplyError(`readlink returned ${JSON.stringify(target)}`);
      return replyReadlink(r.header.unique, target);
    });
  },

  [Opcode.MKNOD]: (h, r, ctx) => {
    const { mknod } = h.fs;
    if (!mknod) return enosys();
    return then(mknod.call(h.fs, ctx, r.header.nodeid, r.name, r.arg.mode, r.arg.rdev), (e) => entry(h, ctx, e));
  },

  [Opcode.MKDIR]: (h, r, ctx) => {
    const { mkdir } = h.fs;
    if (!mkdir) return enosys();
    // The kernel sends permission bits only; filesystems get a whole mode.
    const mode = (r.arg.mode & 0o7777) | S_IFDIR;
    return then(mkdir.call(h.fs, ctx, r.header.nodeid, r.name, mode), (e) => entry(h, ctx, e));
  },

  [Opcode.UNLINK]: (h, r, ctx) => {
    const { unlink } = h.fs;
    if (!unlink) return enosys();
    return then(unlink.call(h.fs, ctx, r.header.nodeid, r.name), () => replyEmpty(r.header.unique));
  },

  [Opcode.RMDIR]: (h, r, ctx) => {
    const { rmdir } = h.fs;
    if (!rmdir) return enosys();
    return then(rmdir.call(h.fs, ctx, r.header.nodeid, r.name), () => replyEmpty(r.header.unique));
  },

  [Opcode.SYMLINK]: (h, r, ctx) => {
    const { symlink } = h.fs;
    if (!symlink) return enosys();
    return then(symlink.call(h.fs, ctx, r.header.nodeid, r.name, r.linkname), (e) => entry(h, ctx, e));
  },

  [Opcode.RENAME]: (h, r, ctx) => {
    const { rename } = h.fs;
    if (!rename) return enosys();
    return then(rename.call(h.fs, ctx, r.header.nodeid, r.oldname, r.arg.newdir, r.newname, 0), () => replyEmpty(r.header.unique));
  },

  [Opcode.RENAME2]: (h, r, ctx) => {
    const { rename } = h.fs;
    if (!rename) return enosys();
    return then(rename.call(h.fs, ctx, r.header.nodeid, r.oldname, r.arg.newdir, r.newname, r.arg.flags), () => replyEmpty(r.header.unique));
  },

  [Opcode.LINK]: (h, r, ctx) => {
    const { link } = h.fs;
    if (!link) return enosys();
    return then(link.call(h.fs, ctx, r.arg.oldnodeid, r.header.nodeid, r.name), (e) => entry(h, ctx, e));
  },

  [Opcode.OPEN]: (h, r, ctx) => {
    const { open } = h.fs;
    // libfuse: no open handler means every open succeeds with fh 0.
    if (!open) return openReply(h, r.header.unique, r.header.nodeid, undefined);
    const info = { killSuidgid: (r.arg.open_flags & OpenInFlags.KILL_SUIDGID) !== 0 };
    return then(open.call(h.fs, ctx, r.header.nodeid, r.arg.flags, info), (o) => openReply(h, r.header.unique, r.header.nodeid, o));
  },

  [Opcode.READ]: (h, r, ctx) => (h.fs.read ? serveRead(h.fs, h.writeOrder, r, ctx) : enosys()),

  [Opcode.WRITE]: (h, r, ctx) => (h.fs.write ? serveWrite(h.fs, h.writeOrder, r, ctx) : enosys()),

  [Opcode.STATFS]: (h, r, ctx) => {
    const { statfs } = h.fs;
    if (!statfs) return statfsReply(r.header.unique, h.minor, {});
    return then(statfs.call(h.fs, ctx, r.header.nodeid), (st) => statfsReply(r.header.unique, h.minor, st));
  },

  [Opcode.RELEASE]: (h, r, ctx) => {
    const ino = r.header.nodeid;
    h.directIo.closed(ino, r.arg.fh);
    const { release } = h.fs;
    if (!release) return replyEmpty(r.header.unique);
    const info = {
      flags: r.arg.flags,
      flush: (r.arg.release_flags & ReleaseFlags.FLUSH) !== 0,
      flockUnlock: (r.arg.release_flags & ReleaseFlags.FLOCK_UNLOCK) !== 0,
      lockOwner: r.arg.lock_owner,
    };
    return then(release.call(h.fs, ctx, ino, r.arg.fh, info), () => replyEmpty(r.header.unique));
  },

  [Opcode.FSYNC]: (h, r, ctx) => {
    const { fsync } = h.fs;
    if (!fsync) return enosys();
    return then(fsync.call(h.fs, ctx, r.header.nodeid, r.arg.fh, (r.arg.fsync_flags & FsyncFlags.FDATASYNC) !== 0), () => replyEmpty(r.header.unique));
  },

  [Opcode.SETXATTR]: (h, r, ctx) => {
    const { setxattr } = h.fs;
    if (!setxattr) return enosys();
    return then(setxattr.call(h.fs, ctx, r.header.nodeid, r.name, r.value, r.arg.flags), () => replyEmpty(r.header.unique));
  },

  [Opcode.GETXATTR]: (h, r, ctx) => {
    const { getxattr } = h.fs;
    if (!getxattr) return enosys();
    return then(getxattr.call(h.fs, ctx, r.header.nodeid, r.name), (v) => {
      if (!Buffer.isBuffer(v)) throw new InvalidReplyError(`getxattr returned ${typeof v}, not a Buffer`);
      return xattrReply(r.header.unique, r.arg.size, v);
    });
  },

  [Opcode.LISTXATTR]: (h, r, ctx) => {
    const { listxattr } = h.fs;
    if (!listxattr) return enosys();
    return then(listxattr.call(h.fs, ctx, r.header.nodeid), (names) => {
      if (!Array.isArray(names)) throw new InvalidReplyError('listxattr returned no array');
      const parts: Buffer[] = [];
      for (const n of names) {
        if (typeof n !== 'string' || n.length === 0 || n.includes('\0')) throw new InvalidReplyError(`listxattr returned the name ${JSON.stringify(n)}`);
        parts.push(encodeName(n), Buffer.from([0]));
      }
      return xattrReply(r.header.unique, r.arg.size, Buffer.concat(parts));
    });
  },

  [Opcode.REMOVEXATTR]: (h, r, ctx) => {
    const { removexattr } = h.fs;
    if (!removexattr) return enosys();
    return then(removexattr.call(h.fs, ctx, r.header.nodeid, r.name), () => replyEmpty(r.header.unique));
  },

  [Opcode.FLUSH]: (h, r, ctx) => {
    const { flush } = h.fs;
    if (!flush) return enosys();
    return then(flush.call(h.fs, ctx, r.header.nodeid, r.arg.fh, r.arg.lock_owner), () => replyEmpty(r.header.unique));
  },

  [Opcode.OPENDIR]: (h, r, ctx) => {
    const { opendir } = h.fs;
    if (!opendir) return replyOpen(r.header.unique, { fh: 0, open_flags: 0, backing_id: 0 });
    return then(opendir.call(h.fs, ctx, r.header.nodeid, r.arg.flags), (o) =>
      replyOpen(r.header.unique, { fh: o?.fh ?? 0, open_flags: openFlags(o, false), backing_id: 0 }),
    );
  },

  [Opcode.READDIR]: (h, r, ctx) => {
    const { readdir } = h.fs;
    if (!readdir) return enosys();
    const out = new DirentBuffer(r.arg.size);
    const sink = {
      add: (name: string, ino: number, mode: number, nextOffset: number): boolean => {
        if (!Number.isSafeInteger(ino) || ino < 0) throw new InvalidReplyError(`readdir entry ${JSON.stringify(name)}: ino ${String(ino)} is not a non-negative integer`);
        if (!Number.isSafeInteger(nextOffset) || nextOffset < 0) throw new InvalidReplyError(`readdir entry ${JSON.stringify(name)}: offset ${String(nextOffset)} is not a non-negative integer`);
        return out.add({ ino, off: nextOffset, type: (mode & S_IFMT) >> 12, name });
      },
    };
    return then(readdir.call(h.fs, ctx, r.header.nodeid, r.arg.fh, r.arg.offset, sink), () => replyData(r.header.unique, out.finish()));
  },

  [Opcode.READDIRPLUS]: (h, r, ctx) => {
    const { readdirplus } = h.fs;
    if (!readdirplus) return enosys();
    const out = new DirentBuffer(r.arg.size);
    const counted: number[] = [];
    const sink = {
      add: (name: string, e: Entry, nextOffset: number): boolean => {
        if (!Number.isSafeInteger(nextOffset) || nextOffset < 0) throw new InvalidReplyError(`readdirplus entry ${JSON.stringify(name)}: offset ${String(nextOffset)} is not a non-negative integer`);
        const eo = toEntryOut(e, h.timeouts);
        const ok = out.addPlus(eo, { ino: eo.attr.ino, off: nextOffset, type: (eo.attr.mode & S_IFMT) >> 12, name });
        if (ok && eo.nodeid !== 0) counted.push(eo.nodeid);
        return ok;
      },
    };
    return then(readdirplus.call(h.fs, ctx, r.header.nodeid, r.arg.fh, r.arg.offset, sink), () => {
      ctx.countLookups(counted);
      return replyData(r.header.unique, out.finish());
    });
  },

  [Opcode.RELEASEDIR]: (h, r, ctx) => {
    const { releasedir } = h.fs;
    if (!releasedir) return replyEmpty(r.header.unique);
    return then(releasedir.call(h.fs, ctx, r.header.nodeid, r.arg.fh), () => replyEmpty(r.header.unique));
  },

  [Opcode.FSYNCDIR]: (h, r, ctx) => {
    const { fsyncdir } = h.fs;
    if (!fsyncdir) return enosys();
    return then(fsyncdir.call(h.fs, ctx, r.header.nodeid, r.arg.fh, (r.arg.fsync_flags & FsyncFlags.FDATASYNC) !== 0), () => replyEmpty(r.header.unique));
  },

  [Opcode.GETLK]: (h, r, ctx) => {
    const { getlk } = h.fs;
    if (!getlk) return enosys();
    return then(getlk.call(h.fs, ctx, r.header.nodeid, r.arg.fh, r.arg.owner, lockOf(r.arg.lk)), (l) => replyLk(r.header.unique, lockOf(l)));
  },

  [Opcode.SETLK]: (h, r, ctx) => setlk(h, r, ctx, false),
  [Opcode.SETLKW]: (h, r, ctx) => setlk(h, r, ctx, true),

  [Opcode.ACCESS]: (h, r, ctx) => {
    const { access } = h.fs;
    if (!access) return enosys();
    return then(access.call(h.fs, ctx, r.header.nodeid, r.arg.mask), () => replyEmpty(r.header.unique));
  },

  [Opcode.CREATE]: (h, r, ctx) => {
    const { create } = h.fs;
    if (!create) return enosys();
    const info = { killSuidgid: (r.arg.open_flags & OpenInFlags.KILL_SUIDGID) !== 0 };
    return then(create.call(h.fs, ctx, r.header.nodeid, r.name, r.arg.mode, r.arg.flags, info), (res) => created(h, ctx, res));
  },

  [Opcode.TMPFILE]: (h, r, ctx) => {
    const { tmpfile } = h.fs;
    if (!tmpfile) return enosys();
    return then(tmpfile.call(h.fs, ctx, r.header.nodeid, r.arg.mode, r.arg.flags), (res) => created(h, ctx, res));
  },

  [Opcode.BMAP]: (h, r, ctx) => {
    const { bmap } = h.fs;
    if (!bmap) return enosys();
    return then(bmap.call(h.fs, ctx, r.header.nodeid, r.arg.blocksize, r.arg.block), (b) => replyBmap(r.header.unique, countResult(b, Number.MAX_SAFE_INTEGER, 'bmap')));
  },

  [Opcode.IOCTL]: (h, r, ctx) => {
    const { ioctl } = h.fs;
    if (!ioctl) return enosys();
    const a = r.arg;
    return then(ioctl.call(h.fs, ctx, r.header.nodeid, a.fh, a.cmd, a.arg, r.data, a.out_size, a.flags), (res: IoctlResult) => {
      if ('retry' in res) {
        if (!(a.flags & IoctlFlags.UNRESTRICTED)) throw new InvalidReplyError('ioctl asked for a retry, but only unrestricted ioctls (CUSE) may');
        return replyIoctlRetry(r.header.unique, res.retry.in, res.retry.out);
      }
      if (res.data && res.data.length > a.out_size) throw new InvalidReplyError(`ioctl returned ${res.data.length} bytes of output, the caller has room for ${a.out_size}`);
      return replyIoctl(r.header.unique, res.result, res.data ?? null);
    });
  },

  [Opcode.POLL]: (h, r, ctx) => {
    const { poll } = h.fs;
    if (!poll) return enosys();
    const handle = r.arg.flags & PollFlags.SCHEDULE_NOTIFY ? h.pollHandle(r.arg.kh) : null;
    return then(poll.call(h.fs, ctx, r.header.nodeid, r.arg.fh, r.arg.events, handle), (revents) => replyPoll(r.header.unique, countResult(revents, 0xffffffff, 'poll')));
  },

  [Opcode.FALLOCATE]: (h, r, ctx) => {
    const { fallocate } = h.fs;
    if (!fallocate) return enosys();
    return then(fallocate.call(h.fs, ctx, r.header.nodeid, r.arg.fh, r.arg.mode, r.arg.offset, r.arg.length), () => replyEmpty(r.header.unique));
  },

  [Opcode.LSEEK]: (h, r, ctx) => {
    const { lseek } = h.fs;
    if (!lseek) return enosys();
    return then(lseek.call(h.fs, ctx, r.header.nodeid, r.arg.fh, r.arg.offset, r.arg.whence), (off) => replyLseek(r.header.unique, countResult(off, Number.MAX_SAFE_INTEGER, 'lseek')));
  },

  [Opcode.COPY_FILE_RANGE]: (h, r, ctx) => copyRange(h, r, ctx, false),
  [Opcode.COPY_FILE_RANGE_64]: (h, r, ctx) => copyRange(h, r, ctx, true),

  [Opcode.STATX]: (h, r, ctx) => {
    const { statx } = h.fs;
    if (!statx) return enosys();
    const fh = r.arg.getattr_flags & GetattrFlags.FH ? r.arg.fh : undefined;
    return then(statx.call(h.fs, ctx, r.header.nodeid, fh, r.arg.sx_flags, r.arg.sx_mask), (s) => {
      if (typeof s !== 'object' || s === null || typeof s.stat !== 'object') throw new InvalidReplyError('statx returned no { stat }');
      const [attr_valid, attr_valid_nsec] = splitTimeout(s.attrTimeout ?? h.timeouts.attr, 'attrTimeout');
      return replyStatx(r.header.unique, { attr_valid, attr_valid_nsec, flags: 0, stat: s.stat });
    });
  },

  [Opcode.SYNCFS]: (h, r, ctx) => {
    const { syncfs } = h.fs;
    if (!syncfs) return enosys();
    return then(syncfs.call(h.fs, ctx, r.header.nodeid), () => replyEmpty(r.header.unique));
  },
};

function setlk(h: DispatchHost, r: Extract<Request, { opcode: Opcode.SETLK | Opcode.SETLKW }>, ctx: Context, sleep: boolean): Handled {
  const ino = r.header.nodeid;
  if (r.arg.lk_flags & LkFlags.FLOCK) {
    const { flock } = h.fs;
    if (!flock) return enosys();
    return then(flock.call(h.fs, ctx, ino, r.arg.fh, r.arg.owner, flockOp(r.arg.lk.type, sleep)), () => replyEmpty(r.header.unique));
  }
  const { setlk: set } = h.fs;
  if (!set) return enosys();
  return then(set.call(h.fs, ctx, ino, r.arg.fh, r.arg.owner, lockOf(r.arg.lk), sleep), () => replyEmpty(r.header.unique));
}

function copyRange(h: DispatchHost, r: Extract<Request, { opcode: Opcode.COPY_FILE_RANGE | Opcode.COPY_FILE_RANGE_64 }>, ctx: Context, wide: boolean): Handled {
  const { copyFileRange } = h.fs;
  if (!copyFileRange) return enosys();
  const a = r.arg;
  // COPY_FILE_RANGE answers in a u32 (fuse_write_out): ask for no more than fits.
  const len = wide ? a.len : Math.min(a.len, 0xfffff000);
  return then(copyFileRange.call(h.fs, ctx, r.header.nodeid, a.fh_in, a.off_in, a.nodeid_out, a.fh_out, a.off_out, len, a.flags), (n) => {
    const count = countResult(n, len, 'copyFileRange');
    return wide ? replyCopy(r.header.unique, count) : replyWrite(r.header.unique, count);
  });
}
