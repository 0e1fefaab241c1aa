/**
 * Operations on open files: open, read, write, flush, release, fsync,
 * fallocate, lseek, copy_file_range, locks, bmap, ioctl, poll. The handle
 * the filesystem's open returned is passed straight back; the node keeps a
 * list of its open handles so that an unlinked file can still be asked for
 * its attributes (attrs.ts handleFor) until its last release.
 */
import type { IoctlResult, Lock, OpenInfo, OpenResult, PollHandle, ReadInfo, ReleaseInfo, RequestContext, WriteInfo } from '../api/filesystem';
import { InvalidReplyError } from '../protocol/errors';
import { lastly, then, type PathCore, type Settled } from './core';
import { opened, openResult, staleForAutoCache } from './open';
import { F_GETLK, F_SETLK, F_SETLKW } from './types';

const F_UNLCK = 2;

export function open(c: PathCore, ctx: RequestContext, ino: number, flags: number, _info: OpenInfo): Settled<OpenResult> {
  const node = c.table.get(ino);
  const { fs } = c;
  return c.withNamed(ctx, node, (path) =>
    then(fs.open ? fs.open(path, flags, ctx) : undefined, (r) => {
      const o = openResult(r);
      if (!staleForAutoCache(c, node)) return opened(c, node, o);
      // auto_cache with old attributes: look again before deciding whether cached data is still good.
      return then(c.stat(path, o.fh, ctx), (st) => {
        c.attr(node, st);
        return opened(c, node, o);
      });
    }),
  );
}

export function read(c: PathCore, ctx: RequestContext, ino: number, fh: number, offset: number, size: number, _info: ReadInfo): Settled<Buffer | Buffer[]> {
  const node = c.table.get(ino);
  return c.withNode(ctx, node, (path) => {
    const buf = ctx.buffer(size);
    return then(c.fs.read!(path, fh, buf, offset, ctx), (r) => {
      if (typeof r === 'number') {
        if (!Number.isInteger(r) || r < 0 || r > size) throw new InvalidReplyError(`read answered ${r}; expected a count from 0 to ${size}`);
        return buf.subarray(0, r);
      }
      return r;
    });
  });
}

export function write(c: PathCore, ctx: RequestContext, ino: number, fh: number, offset: number, data: Buffer, _info: WriteInfo): Settled<number> {
  return c.withNode(ctx, c.table.get(ino), (path) => c.fs.write!(path, fh, data, offset, ctx));
}

export function flush(c: PathCore, ctx: RequestContext, ino: number, fh: number, lockOwner: bigint): Settled<void> {
  return c.withNode(ctx, c.table.get(ino), (path) => c.fs.flush!(path, fh, lockOwner, ctx));
}

export function release(c: PathCore, ctx: RequestContext, ino: number, fh: number, info: ReleaseInfo): Settled<void> {
  const node = c.table.get(ino);
  const { fs } = c;
  // The handle is gone whatever the filesystem answers.
  return lastly(
    () => c.withNode(ctx, node, (path) => (fs.release ? fs.release(path, fh, info.flags, ctx) : undefined)),
    () => c.table.closed(node, fh),
  );
}

export function fsync(c: PathCore, ctx: RequestContext, ino: number, fh: number, datasync: boolean): Settled<void> {
  return c.withNode(ctx, c.table.get(ino), (path) => c.fs.fsync!(path, fh, datasync, ctx));
}

export function fallocate(c: PathCore, ctx: RequestContext, ino: number, fh: number, mode: number, offset: number, length: number): Settled<void> {
  return c.withNode(ctx, c.table.get(ino), (path) => c.fs.fallocate!(path, fh, mode, offset, length, ctx));
}

export function lseek(c: PathCore, ctx: RequestContext, ino: number, fh: number, offset: number, whence: number): Settled<number> {
  return c.withNode(ctx, c.table.get(ino), (path) => c.fs.lseek!(path, fh, offset, whence, ctx));
}

export function copyFileRange(
  c: PathCore, ctx: RequestContext, inoIn: number, fhIn: number, offIn: number, inoOut: number, fhOut: number, offOut: number, len: number, flags: number,
): Settled<number> {
  const a = c.table.get(inoIn);
  const b = c.table.get(inoOut);
  return c.withParts(ctx, [{ node: a, name: null, write: false }, { node: b, name: null, write: false }], () =>
    c.fs.copyFileRange!(c.table.pathOf(a), fhIn, offIn, c.table.pathOf(b), fhOut, offOut, len, flags, ctx),
  );
}

export function getlk(c: PathCore, ctx: RequestContext, ino: number, fh: number, owner: bigint, lock: Lock): Settled<Lock> {
  return c.withNode(ctx, c.table.get(ino), (path) =>
    then(c.fs.lock!(path, fh, F_GETLK, lock, owner, ctx), (l) => l ?? { start: 0, end: 0, type: F_UNLCK, pid: 0 }),
  );
}

/**
 * Lock requests that may wait (F_SETLKW, flock without LOCK_NB) take their
 * path without holding it: a lock held for minutes must not hold up every
 * rename of the file or of a directory above it.
 */
export function setlk(c: PathCore, ctx: RequestContext, ino: number, fh: number, owner: bigint, lock: Lock, sleep: boolean): Settled<void> {
  const node = c.table.get(ino);
  if (sleep) return then(c.fs.lock!(c.table.pathOf(node), fh, F_SETLKW, lock, owner, ctx), () => undefined);
  return c.withNode(ctx, node, (path) => then(c.fs.lock!(path, fh, F_SETLK, lock, owner, ctx), () => undefined));
}

export function flock(c: PathCore, ctx: RequestContext, ino: number, fh: number, _owner: bigint, op: number): Settled<void> {
  return c.fs.flock!(c.table.pathOf(c.table.get(ino)), fh, op, ctx);
}

export function bmap(c: PathCore, ctx: RequestContext, ino: number, blocksize: number, block: number): Settled<number> {
  return c.withNamed(ctx, c.table.get(ino), (path) => c.fs.bmap!(path, blocksize, block, ctx));
}

export function ioctl(c: PathCore, ctx: RequestContext, ino: number, fh: number, cmd: number, arg: bigint, input: Buffer, outSize: number, flags: number): Settled<IoctlResult> {
  return c.withNode(ctx, c.table.get(ino), (path) => c.fs.ioctl!(path, fh, cmd, arg, input, outSize, flags, ctx));
}

export function poll(c: PathCore, ctx: RequestContext, ino: number, fh: number, events: number, handle: PollHandle | null): Settled<number> {
  return c.withNode(ctx, c.table.get(ino), (path) => c.fs.poll!(path, fh, events, handle, ctx));
}
